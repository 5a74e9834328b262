#!/bin/sh
# Wall time of the fraud tutorial's pipeline (examples/sagemaker-fraud) on
# Ferry: the SageMaker SDK builds the definition against `ferry server`'s S3
# listener (timed once), then `ferry run definition.json` runs processing ->
# script-mode XGBoost training -> evaluation -> condition -> create model ->
# bias and explainability checks -> register -> deploy Lambda, in a home
# with no executions (first) and again in the same home (second: the three
# jobs are cache hits). Reference, in the same run: the same three scripts
# run by hand, one after another, with the same Python. Each is repeated
# RUNS times (default 3), each first run in a fresh copy of the home.
#
#   sh bench/sagemaker/run.sh        (from the repository root)
#
# PYTHON is the interpreter with sagemaker<3, pandas, scikit-learn, xgboost
# and joblib (default: $FERRY_TEST_PYTHON, else .venv/bin/python3).
set -eu
runs=${RUNS:-3}
py=${PYTHON:-${FERRY_TEST_PYTHON:-$PWD/.venv/bin/python3}}
ex=$PWD/examples/sagemaker-fraud
data=$PWD/examples/fraud-detection/data
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
go build -o "$work/ferry" ./cmd/ferry
ferry() { FERRY_HOME="$home" "$work/ferry" "$@"; }
now() { date +%s.%N; }

# The home: runtimes, data, the deploy Lambda's stand-in, the definition.
home=$work/home0
mkdir -p "$home"
printf 'runtimes:\n  - image: "*sagemaker-scikit-learn*"\n    command: [%s]\n  - image: "*sagemaker-xgboost*"\n    command: [%s]\n  - image: "*lambda/python*"\n    command: [%s]\n' "$py" "$py" "$py" >"$home/ferry.yaml"
read=s3://sagemaker-sample-files/datasets/tabular/synthetic_automobile_claims/
{
	ferry s3 mb s3://sagemaker-sample-files
	ferry s3 cp "$data/claims.csv" "$read"
	ferry s3 cp "$data/customers.csv" "$read"
	ferry s3 mb s3://fraud-demo
	ferry lambda register sagemaker-fraud-det-demo-lambda-step --code "$ex/lambda" --handler deploy_request.lambda_handler
} >/dev/null
FERRY_HOME="$home" "$work/ferry" server --addr 127.0.0.1:0 2>"$work/server.log" &
server=$!
url=
for _ in $(seq 100); do
	url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/server.log")
	[ -n "$url" ] && break
	sleep 0.1
done
[ -n "$url" ] || { cat "$work/server.log"; exit 1; }
start=$(now)
AWS_ENDPOINT_URL=$url AWS_ACCESS_KEY_ID=ferry AWS_SECRET_ACCESS_KEY=ferry AWS_DEFAULT_REGION=us-east-1 \
	"$py" "$ex/pipeline.py" --bucket fraud-demo --cache --out "$work/definition.json" >"$work/sdk.log" 2>&1 || { cat "$work/sdk.log"; exit 1; }
sdk=$(echo "$(now) - $start" | bc)
kill "$server"
wait "$server" 2>/dev/null || true
server=

params="-p SkipModelBiasCheck=true -p SkipModelExplainabilityCheck=true -p RegisterNewModelBiasBaseline=true -p RegisterNewModelExplainabilityBaseline=true"
i=1
while [ "$i" -le "$runs" ]; do
	home=$work/home$i
	cp -a "$work/home0" "$home"
	for which in first second; do
		start=$(now)
		# shellcheck disable=SC2086
		ferry run "$work/definition.json" $params >"$work/out" 2>&1 || { cat "$work/out"; exit 1; }
		echo "$which $(echo "$(now) - $start" | bc)" >>"$work/times"
	done
	grep -q "LambdaStepRealTimeDeploy *Succeeded" "$work/out" || { cat "$work/out"; exit 1; }

	# The reference: the same scripts by hand.
	hand=$work/hand$i
	mkdir -p "$hand/claims" "$hand/customers" "$hand/model-dir" "$hand/output" "$hand/model"
	cp "$data/claims.csv" "$hand/claims/"
	cp "$data/customers.csv" "$hand/customers/"
	start=$(now)
	{
		"$py" "$ex/code/preprocessing.py" --base-dir "$hand"
		SM_CHANNEL_TRAIN=$hand/train SM_CHANNEL_VALIDATION=$hand/val SM_MODEL_DIR=$hand/model-dir SM_OUTPUT_DATA_DIR=$hand/output \
			"$py" "$ex/code/xgboost_train.py" --colsample_bytree 0.75 --eta 0.5 --eval_metric auc --max_depth 5 \
			--num_round 5 --objective binary:logistic --subsample 0.75
		tar czf "$hand/model/model.tar.gz" -C "$hand/model-dir" xgboost-model
		"$py" "$ex/code/evaluate.py" --base-dir "$hand"
	} >"$work/hand.log" 2>&1 || { cat "$work/hand.log"; exit 1; }
	echo "hand $(echo "$(now) - $start" | bc)" >>"$work/times"
	i=$((i + 1))
done

echo "SDK builds the definition (uploads to ferry server): $sdk s"
for which in first second hand; do
	grep "^$which " "$work/times" | cut -d' ' -f2 | sort -n | awk -v w="$which" '
		{ t[NR] = $1 }
		END { printf "%s: median %.2f s, best %.2f s over %d runs\n", w, t[int((NR+1)/2)], t[1], NR }'
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
