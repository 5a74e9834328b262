#!/usr/bin/env bash
# Engine overhead per step, measured side by side with a reference in the
# same run:
#   1. `go test -bench EngineOverhead`: 200 no-op steps in-process (fake
#      kind, real SQLite store) -> ms/step of pure engine work;
#   2. the real binary running a generated 200-step pipeline of `true`
#      command steps (--no-cache), against the reference: a shell loop
#      running `true` 200 times. The difference per step is what Ferry
#      adds around a child process (scheduling, records, logs, work dirs).
# Usage: bench/engine/run.sh [steps]   (from anywhere; default 200 steps)
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-200}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go test -run '^$' -bench EngineOverhead -benchtime 5x ./internal/engine/

go build -o "$work/ferry" ./cmd/ferry
{
	echo "version: 1"
	echo "name: bench-$n"
	echo "steps:"
	for ((i = 0; i < n; i++)); do
		echo "  - {name: s$i, kind: command, command: [\"true\", \"$i\"]$([ "$i" -gt 0 ] && echo ", depends_on: [s$((i - 1))]")}"
	done
} >"$work/p.yaml"

now() { date +%s.%N; }
t0=$(now)
for ((i = 0; i < n; i++)); do true "$i"; /bin/true; done
t1=$(now)
FERRY_HOME="$work/home" "$work/ferry" run --no-cache "$work/p.yaml" >/dev/null
t2=$(now)
awk -v n="$n" -v ref="$(echo "$t1 - $t0" | bc)" -v fer="$(echo "$t2 - $t1" | bc)" 'BEGIN {
	printf "reference (shell, %d x /bin/true): %.3fs, %.2f ms/step\n", n, ref, ref * 1000 / n
	printf "ferry run (%d command steps, sequential): %.3fs, %.2f ms/step\n", n, fer, fer * 1000 / n
	printf "engine overhead around a child process: %.2f ms/step\n", (fer - ref) * 1000 / n
}'
