#!/bin/sh
# Wall time of `ferry quickstart`: the fraud-detection pipeline end to end
# (prepare, train, evaluate, condition, create model, two Clarify checks,
# register, deploy) plus the 5-row invocation over loopback, in an empty
# home, then again in the same home (cache hits, drift checks against
# version 1). Each is repeated RUNS times (default 3) in fresh homes.
#
#   sh bench/quickstart/run.sh          (from the repository root)
set -eu
runs=${RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/ferry" ./cmd/ferry
i=1
while [ "$i" -le "$runs" ]; do
	home="$work/home$i"
	for which in first second; do
		start=$(date +%s.%N)
		FERRY_HOME="$home" "$work/ferry" quickstart >"$work/out" 2>&1 || { cat "$work/out"; exit 1; }
		end=$(date +%s.%N)
		echo "$which $(echo "$end - $start" | bc)" >>"$work/times"
	done
	i=$((i + 1))
done
for which in first second; do
	grep "^$which " "$work/times" | cut -d' ' -f2 | sort -n | awk -v w="$which" '
		{ t[NR] = $1 }
		END { printf "%s run: median %.3f s, best %.3f s over %d runs\n", w, t[int((NR+1)/2)], t[1], NR }'
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
