#!/bin/sh
# Writes the Clarify analysis_config.json for the abalone example: the
# Lambda "sagemaker-clarify-write-config" of the Step Functions sample, as a
# Ferry command step.
#
# Input:  $FERRY_INPUT_TRAIN/train.csv (label Rings first, header row, Sex one-hot encoded)
# Output: $FERRY_OUTPUT_CONFIG/analysis_config.json
#
# The SHAP baseline is one row: the mode of Sex (its one-hot columns) and the
# means of the numeric columns over the training split, as the sample's notebook builds it.
set -eu
train="$FERRY_INPUT_TRAIN/train.csv"
out="$FERRY_OUTPUT_CONFIG/analysis_config.json"
test -f "$train" || { echo "write_config.sh: $train not found" >&2; exit 1; }

awk -F, '
NR == 1 { for (i = 1; i <= NF; i++) name[i] = $i; n = NF; next }
{ rows++; for (i = 2; i <= n; i++) sum[i] += $i }
END {
	if (rows == 0) { print "write_config.sh: no rows in train.csv" > "/dev/stderr"; exit 1 }
	# The mode of Sex: the one-hot column with the largest count.
	best = 0
	for (i = 2; i <= n; i++) if (name[i] ~ /^Sex_/ && (best == 0 || sum[i] > sum[best])) best = i
	printf "{\n  \"dataset_type\": \"text/csv\",\n  \"headers\": ["
	for (i = 1; i <= n; i++) printf "%s\"%s\"", (i > 1 ? ", " : ""), name[i]
	printf "],\n  \"label\": \"%s\",\n", name[1]
	printf "  \"methods\": {\n    \"shap\": {\n      \"baseline\": [["
	for (i = 2; i <= n; i++) {
		if (name[i] ~ /^Sex_/) v = (i == best) ? 1 : 0; else v = sum[i] / rows
		printf "%s%.10g", (i > 2 ? ", " : ""), v
	}
	printf "]],\n      \"num_samples\": 20,\n      \"agg_method\": \"mean_abs\",\n      \"use_logit\": false,\n      \"save_local_shap_values\": true\n    },\n"
	printf "    \"report\": {\"name\": \"report\", \"title\": \"Analysis Report\"}\n  },\n"
	printf "  \"predictor\": {\"model_name\": \"abalone-rf\", \"content_type\": \"text/csv\", \"accept_type\": \"text/csv\"}\n}\n"
}' "$train" > "$out"
echo "wrote $out"
