#!/bin/sh
# Runs Ferry's Clarify benchmarks and the Python references side by side.
# Usage (from the repository root): sh bench/clarify/run.sh
set -eu
echo "== bias metrics, 1,000,000 rows (Go, then numpy)"
go test ./bias/ -run '^$' -bench 'Compute1M|Columns1M|FlipTest' -benchtime 5x -benchmem
/usr/bin/python3 bench/clarify/bias_numpy.py 1000000
echo "== SHAP, 1,000 rows of the fraud model (Go, then XGBoost pred_contribs)"
go test ./internal/clarify/ -run '^$' -bench 'SHAP1000' -benchtime 3x
/usr/bin/python3 bench/clarify/shap_xgboost.py
