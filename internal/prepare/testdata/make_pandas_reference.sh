#!/bin/sh
# Writes pandas_dataset.csv.gz: the tutorial's preparation of the real
# fraud-detection tables done by pandas 1.5.3 (bench/prepare/prepare_pandas.py
# with Debian's /usr/bin/python3), full dataset in input order.
#   internal/prepare/testdata/make_pandas_reference.sh   (from the repo root)
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/in/claims" "$tmp/in/customers"
cp examples/fraud-detection/data/claims.csv "$tmp/in/claims/"
cp examples/fraud-detection/data/customers.csv "$tmp/in/customers/"
/usr/bin/python3 bench/prepare/prepare_pandas.py "$tmp/in" "$tmp/out"
gzip -9n <"$tmp/out/full/dataset.csv" >internal/prepare/testdata/pandas_dataset.csv.gz
