#!/bin/sh
# Abalone random forest, Ferry beside scikit-learn 1.2.1 in one run:
# RandomForestRegressor(n_estimators=100, max_depth=10, max_features="sqrt"),
# same 70/30 split (forest/testdata/abalone_reference.json), 2 threads.
#
#   sh bench/forest/run.sh
set -eu
cd "$(dirname "$0")/../.."
echo "== scikit-learn (n_jobs=2)"
/usr/bin/python3 bench/forest/abalone.py
echo "== ferry (GOMAXPROCS=2)"
GOMAXPROCS=2 go test -run '^$' -bench 'Abalone|Predict$|Contribs' -benchtime 5x ./forest/
GOMAXPROCS=2 go test -run '^$' -bench 'PredictOne' ./forest/
echo "== ferry Kernel SHAP, 1,000 rows x 48 features"
GOMAXPROCS=2 go test -run '^$' -bench 'Kernel48' -benchtime 1x ./shap/
