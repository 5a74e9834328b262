#!/bin/sh
# Scale benchmark: `ferry train` on a 10M x 28 CSV (about 2.9 GB of text;
# gbdtbench -write-csv, gen.py's training distribution), read in one
# streaming pass, within 4 GiB. Prints the peak memory (/usr/bin/time -v,
# maximum resident set size), wall and CPU time, and deletes the CSV
# (KEEP=1 keeps it).
#
#   bench/gbdt/scale.sh [WORKDIR]          (from the repository root)
#
# Environment: ROWS (10000000), ROUNDS (100), NTHREAD (2), KEEP.
set -eu
work=${1:-/tmp/ferry-gbdt-scale}
rows=${ROWS:-10000000}
rounds=${ROUNDS:-100}
nthread=${NTHREAD:-2}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mkdir -p "$work"
csv=$work/train_${rows}.csv
go build -o "$work/ferry" "$root/cmd/ferry"
go build -o "$work/gbdtbench" "$here"
[ -f "$csv" ] || "$work/gbdtbench" -write-csv "$csv" -rows "$rows"
echo "== scale: $rows x 28 CSV ($(du -m "$csv" | cut -f1) MB), depth 6, eta 0.3, $rounds rounds, $nthread threads"
rm -rf "$work/model"
/usr/bin/time -v -o "$work/scale.time" "$work/ferry" train --train "$csv" --label y -H objective=binary:logistic \
	-H max_depth=6 -H eta=0.3 -H num_round="$rounds" -H nthread="$nthread" --output "$work/model" | tee "$work/scale.out"
awk -F': ' '
	/Maximum resident set size/ { rss = $2 }
	/Elapsed \(wall clock\)/ { n = split($2, p, ":"); wall = 0; for (i = 1; i <= n; i++) wall = wall * 60 + p[i] }
	/User time|System time/ { cpu += $2 }
	END { printf "scale: peak memory %.0f MB (%.2f GiB, limit 4 GiB), wall %.0f s, CPU %.0f s\n", rss / 1024, rss / 1048576, wall, cpu }
' "$work/scale.time"
[ -n "${KEEP:-}" ] || rm -f "$csv"
