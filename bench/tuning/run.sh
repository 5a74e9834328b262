#!/bin/sh
# Tuning benchmark: Ferry's tuning step beside Optuna (TPE sampler) driving
# XGBoost 3.x, in one run, on the same search space (max_depth, eta,
# min_child_weight, subsample, colsample_bytree, lambda), 50 trials per
# seed. How each side runs: Ferry runs PARALLEL trials at a time
# (max_parallel_trials, default 2: both cores), each on NTHREAD threads
# (default 1); Optuna runs as it does by default, one trial at a time
# (study.optimize with n_jobs=1), each XGBoost training on OPTUNA_NTHREAD
# threads (default 0: XGBoost's default, every core). PARALLEL=1
# OPTUNA_NTHREAD=1 gives the one-trial-one-thread comparison of round 1.
#
#   bench/tuning/run.sh [WORKDIR]          (from the repository root)
#
# Seeds run one at a time, Ferry's variants and Optuna in turn (a load
# change on a shared machine falls on both sides alike).
#
# Data: the encoded fraud table (3,500 train / 1,500 validation rows) and a
# synthetic set (20,000 / 10,000 rows, 20 features), written by data.py.
# Ferry runs twice per seed: bayesian (TPE) alone, and bayesian with
# early_stopping auto (Hyperband brackets). Prints per seed the best
# validation AUC after 10, 25 and 50 trials, wall and CPU seconds, then the
# means and the ratios. Environment: SEEDS ("1 2 3 4 5"), TRIALS (50),
# FRAUD_ROUNDS (100), SYNTH_ROUNDS (50), NTHREAD (1), PARALLEL (2),
# OPTUNA_NTHREAD (0), VARIANTS ("off auto": Ferry without and with early
# stopping), PYTHON (the venv's python3).
set -eu
work=${1:-/tmp/ferry-tuning-bench}
seeds=${SEEDS:-1 2 3 4 5}
trials=${TRIALS:-50}
nthread=${NTHREAD:-1}
parallel=${PARALLEL:-2}
onthread=${OPTUNA_NTHREAD:-0}
variants=${VARIANTS:-off auto}
py=${PYTHON:-${FERRY_TEST_PYTHON:-.venv/bin/python3}}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
"$py" "$here/data.py" "$work"
go build -o "$work/tuningbench" "$here"
rm -f "$work/summary"

for set in fraud synth; do
	if [ $set = fraud ]; then rounds=${FRAUD_ROUNDS:-100}; else rounds=${SYNTH_ROUNDS:-50}; fi
	echo "== $set: $trials trials, $rounds rounds, seeds $seeds"
	# Seed by seed, each side in turn, so that a change in the machine's
	# load falls on both sides alike.
	sides=
	for v in $variants; do
		if [ $v = off ]; then side=ferry; else side=ferry-es; fi
		sides="$sides $side"
		: >"$work/$set.$side"
	done
	: >"$work/$set.optuna"
	for seed in $seeds; do
		for v in $variants; do
			if [ $v = off ]; then side=ferry; label=ferry-bayesian; else side=ferry-es; label=ferry-bayesian+es; fi
			"$work/tuningbench" -data "$work/$set" -trials "$trials" -rounds "$rounds" -parallel "$parallel" -nthread "$nthread" \
				-early-stopping $v -seeds "$seed" | sed -u "s/^ferry/$label/" | tee -a "$work/$set.$side"
		done
		"$py" "$here/optuna_bench.py" "$work/$set" "$trials" "$rounds" "$onthread" "$seed" | tee -a "$work/$set.optuna"
	done
	for side in $sides; do
		awk -v side="$side" -v set="$set" '
			function f(line, k,   i, n, a) { n = split(line, a, " "); for (i = 1; i <= n; i++) if (index(a[i], k "=") == 1) return substr(a[i], length(k) + 2); return 0 }
			FNR == NR { fb += f($0, "best"); fw += f($0, "wall_s"); fc += f($0, "cpu_s"); fb10 += f($0, "best10"); fb25 += f($0, "best25"); fn++; next }
			{ ob += f($0, "best"); ow += f($0, "wall_s"); oc += f($0, "cpu_s"); ob10 += f($0, "best10"); ob25 += f($0, "best25"); on++ }
			END {
				printf "%s %s: mean best AUC @10/@25/@50: ferry %.5f/%.5f/%.5f optuna %.5f/%.5f/%.5f (diff@50 %+.5f); wall ferry %.1fs optuna %.1fs (ratio %.3f); cpu ferry %.1fs optuna %.1fs (ratio %.3f)\n",
					set, side, fb10/fn, fb25/fn, fb/fn, ob10/on, ob25/on, ob/on, fb/fn - ob/on, fw/fn, ow/on, fw/ow, fc/fn, oc/on, fc/oc
			}' "$work/$set.$side" "$work/$set.optuna" | tee -a "$work/summary"
	done
done
