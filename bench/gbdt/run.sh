#!/bin/sh
# GBDT benchmark: Ferry beside XGBoost 3.x and LightGBM 4.x (the PyPI
# venv) and XGBoost 1.7 (Debian's python3-xgboost, kept for history), in
# one run, same data, same hyperparameters, 2 threads.
#
#   bench/gbdt/run.sh [WORKDIR]          (from the repository root)
#
# 1. Training alone on 1M x 28 (depth 6, eta 0.3, 100 rounds, hist):
#    training time, test AUC, batch prediction rows/s, single-row latency
#    (Ferry: in process; the others: predict from Python), TreeSHAP rows/s
#    and peak memory (/usr/bin/time -v), then the ratios.
# 2. Whole jobs on the issue's shape, 200,000 x 20 with 2% missing cells
#    (depth 6, 100 rounds, default settings): `ferry train` on the CSV vs
#    pandas read + DMatrix/Dataset + train; best of REPEAT runs.
# 3. The fraud-data quality check.
# 4. Small data, one tuning trial's training: the encoded fraud table
#    (3,500 train / 1,500 validation rows, 48 features; bench/tuning/
#    data.py's split), depth 6, eta 0.3, 100 rounds, 1 thread, validation
#    AUC every round; best of SMALL_REPEAT trainings on the data read once
#    (gbdtbench -small beside small.py with XGBoost 3.x), CPU ratio.
# 5. Inference alone: batch prediction and TreeSHAP of the model section 1
#    trained (written to WORKDIR/model.json), loaded by each side
#    (gbdtbench -load beside xgb_bench.py with the model file), so the
#    same trees; REPEAT runs, one line each, no training.
# Environment: ROUNDS (100), ROWS (1000000), NTHREAD (2), REPEAT (3),
# SMALL_REPEAT (20), VENV_PYTHON (FERRY_TEST_PYTHON or .venv/bin/python3),
# SKIP (words of "train job fraud small infer" to skip).
set -eu
work=${1:-/tmp/ferry-gbdt-bench}
rounds=${ROUNDS:-100}
rows=${ROWS:-1000000}
nthread=${NTHREAD:-2}
repeat=${REPEAT:-3}
skip=${SKIP:-}
py=/usr/bin/python3
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${VENV_PYTHON:-${FERRY_TEST_PYTHON:-$root/.venv/bin/python3}}
mkdir -p "$work"

go build -o "$work/gbdtbench" "$here"
go build -o "$work/ferry" "$root/cmd/ferry"

field() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p"; }
rss() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
cpu() { awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$1"; }
wall() { sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$1" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }'; }

case " $skip " in *" train "*) ;; *)
	if [ ! -f "$work/train.f32" ] || [ "$(cat "$work/rows" 2>/dev/null)" != "$rows" ]; then
		$py "$here/gen.py" "$work" "$rows" 200000
		echo "$rows" >"$work/rows"
	fi
	echo "== training: synthetic ${rows} x 28, ${rounds} rounds, depth 6, eta 0.3, ${nthread} threads"
	/usr/bin/time -v -o "$work/ferry.time" "$work/gbdtbench" -data "$work" -rounds "$rounds" -nthread "$nthread" -model "$work/model.json" | tee "$work/ferry.out"
	/usr/bin/time -v -o "$work/xgb3.time" "$venv" "$here/xgb_bench.py" "$work" "$rounds" "$nthread" 10000 | tee "$work/xgb3.out"
	/usr/bin/time -v -o "$work/lgb.time" "$venv" "$here/lgb_bench.py" "$work" "$rounds" "$nthread" 10000 | tee "$work/lgb.out"
	/usr/bin/time -v -o "$work/xgb17.time" $py "$here/xgb_bench.py" "$work" "$rounds" "$nthread" 10000 | tee "$work/xgb17.out"
	for side in xgb3 lgb xgb17; do
		awk -v name="$(cut -d' ' -f1 "$work/$side.out")" \
			-v ft="$(field "$work/ferry.out" train_s)" -v xt="$(field "$work/$side.out" train_s)" \
			-v fp="$(field "$work/ferry.out" predict_rows_per_s)" -v xp="$(field "$work/$side.out" predict_rows_per_s)" \
			-v fs="$(field "$work/ferry.out" shap_rows_per_s)" -v xs="$(field "$work/$side.out" shap_rows_per_s)" \
			-v fa="$(field "$work/ferry.out" test_auc)" -v xa="$(field "$work/$side.out" test_auc)" \
			-v fc="$(field "$work/ferry.out" train_cpu_s)" -v xc="$(field "$work/$side.out" train_cpu_s)" \
			-v fr="$(rss "$work/ferry.time")" -v xr="$(rss "$work/$side.time")" 'BEGIN {
			printf "ferry vs %s: train wall %.2fx, train CPU %.2fx; batch predict %.2fx; TreeSHAP %.2fx; peak memory %.2fx (%d vs %d MB); test AUC diff %+.5f\n",
				name, ft / xt, fc / xc, fp / xp, fs / xs, fr / xr, fr / 1024, xr / 1024, fa - xa
		}'
	done
	;;
esac

case " $skip " in *" job "*) ;; *)
	csv=$work/job_200000x20.csv
	[ -f "$csv" ] || $py "$here/gen.py" --csv "$csv" 200000 20 0.02
	echo "== whole jobs: 200,000 x 20, 2% missing, depth 6, ${rounds} rounds, default settings; best of $repeat (wall s, peak KB, CPU s)"
	best() { sort -n | head -1; }
	: >"$work/job.ferry"
	: >"$work/job.xgb3"
	: >"$work/job.lgb"
	: >"$work/job.xgb17"
	for i in $(seq "$repeat"); do
		rm -rf "$work/job_model"
		/usr/bin/time -v -o "$work/jf.time" "$work/ferry" train --train "$csv" --label y -H objective=binary:logistic \
			-H max_depth=6 -H num_round="$rounds" --output "$work/job_model" >/dev/null 2>&1
		echo "$(wall "$work/jf.time") $(rss "$work/jf.time") $(cpu "$work/jf.time")" >>"$work/job.ferry"
		/usr/bin/time -v -o "$work/jx.time" "$venv" "$here/job.py" xgboost "$csv" "$rounds" | tee "$work/jx3.out"
		echo "$(wall "$work/jx.time") $(rss "$work/jx.time") $(cpu "$work/jx.time")" >>"$work/job.xgb3"
		/usr/bin/time -v -o "$work/jx.time" "$venv" "$here/job.py" lightgbm "$csv" "$rounds" | tee "$work/jl.out"
		echo "$(wall "$work/jx.time") $(rss "$work/jx.time") $(cpu "$work/jx.time")" >>"$work/job.lgb"
		/usr/bin/time -v -o "$work/jx.time" $py "$here/job.py" xgboost "$csv" "$rounds" | tee "$work/jx17.out"
		echo "$(wall "$work/jx.time") $(rss "$work/jx.time") $(cpu "$work/jx.time")" >>"$work/job.xgb17"
		echo "ferry train job_s=$(tail -1 "$work/job.ferry" | cut -d' ' -f1) cpu_s=$(tail -1 "$work/job.ferry" | cut -d' ' -f3)"
	done
	fbest=$(best <"$work/job.ferry")
	for side in xgb3 lgb xgb17; do
		awk -v side="$side" -v f="$fbest" -v s="$(best <"$work/job.$side")" 'BEGIN {
			split(f, a, " "); split(s, b, " ")
			printf "whole job ferry %.2f s (CPU %.2f s) vs %s %.2f s (CPU %.2f s): wall %.2fx, CPU %.2fx; peak memory %d vs %d MB\n",
				a[1], a[3], side, b[1], b[3], a[1] / b[1], a[3] / b[3], a[2] / 1024, b[2] / 1024
		}'
	done
	;;
esac

case " $skip " in *" fraud "*) ;; *)
	echo "== fraud quality"
	$py "$here/fraud_quality.py" "$work/ferry" "$work/fraud"
	;;
esac

case " $skip " in *" small "*) ;; *)
	small_repeat=${SMALL_REPEAT:-20}
	echo "== small data: fraud 3,500 x 48, depth 6, ${rounds} rounds, 1 thread, validation AUC per round; best of $small_repeat"
	"$venv" "$root/bench/tuning/data.py" "$work/small" >/dev/null
	"$work/gbdtbench" -small "$work/small/fraud" -rounds "$rounds" -nthread 1 -repeat "$small_repeat" | tee "$work/small.ferry"
	"$venv" "$here/small.py" "$work/small/fraud" "$rounds" "$small_repeat" | tee "$work/small.xgb3"
	awk -v f="$(field "$work/small.ferry" train_cpu_ms)" -v x="$(field "$work/small.xgb3" train_cpu_ms)" \
		-v fa="$(field "$work/small.ferry" validation_auc)" -v xa="$(field "$work/small.xgb3" validation_auc)" 'BEGIN {
		printf "small data ferry vs xgboost 3: training CPU %.2fx (%.1f vs %.1f ms); validation AUC diff %+.5f\n", f / x, f, x, fa - xa
	}'
	;;
esac

case " $skip " in *" infer "*) ;; *)
	if [ ! -f "$work/model.json" ]; then
		echo "== inference: no $work/model.json (run the train section first)"
	else
		echo "== inference: batch prediction (200,000 rows) and TreeSHAP (10,000 rows) of $work/model.json, ${nthread} threads; $repeat runs (load: $(cut -d' ' -f1-3 /proc/loadavg))"
		for i in $(seq "$repeat"); do
			"$work/gbdtbench" -data "$work" -load "$work/model.json" -nthread "$nthread" | tee "$work/infer.ferry"
			"$venv" "$here/xgb_bench.py" "$work" "$rounds" "$nthread" 10000 "$work/model.json" | tee "$work/infer.xgb3"
			$py "$here/xgb_bench.py" "$work" "$rounds" "$nthread" 10000 "$work/model.json" | tee "$work/infer.xgb17"
			for side in xgb3 xgb17; do
				awk -v name="$(cut -d' ' -f1 "$work/infer.$side")" \
					-v fp="$(field "$work/infer.ferry" predict_rows_per_s)" -v xp="$(field "$work/infer.$side" predict_rows_per_s)" \
					-v fpc="$(field "$work/infer.ferry" predict_rows_per_cpu_s)" -v xpc="$(field "$work/infer.$side" predict_rows_per_cpu_s)" \
					-v fs="$(field "$work/infer.ferry" shap_rows_per_s)" -v xs="$(field "$work/infer.$side" shap_rows_per_s)" \
					-v fsc="$(field "$work/infer.ferry" shap_rows_per_cpu_s)" -v xsc="$(field "$work/infer.$side" shap_rows_per_cpu_s)" 'BEGIN {
					printf "inference ferry vs %s: batch predict %.2fx wall, %.2fx per CPU second; TreeSHAP %.2fx wall, %.2fx per CPU second\n",
						name, fp / xp, fpc / xpc, fs / xs, fsc / xsc
				}'
			done
		done
	fi
	;;
esac
