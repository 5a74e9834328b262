package job_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/gbdt"
	"github.com/ferryml/ferry/internal/sagemaker/job"
	"github.com/ferryml/ferry/internal/step"
)

const xgbImage = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.3-1"

func tarGz(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// untar reads the files of a .tar.gz.
func untar(t *testing.T, path string) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	if err := job.ExtractTarGz(path, dir); err != nil {
		t.Fatal(err)
	}
	out := make(map[string][]byte)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err == nil {
			out[e.Name()] = b
		}
	}
	return out
}

const trainScript = `
import argparse, json, os, sys
p = argparse.ArgumentParser()
p.add_argument("--num_round", type=int)
p.add_argument("--eta", type=float)
p.add_argument("--objective")
a = p.parse_args()
env = {k: v for k, v in os.environ.items() if k.startswith("SM_")}
rows = open(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "train.csv")).read().splitlines()
with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.txt"), "w") as f:
    f.write("rows=%d\n" % len(rows))
with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "seen.json"), "w") as f:
    json.dump({"args": vars(a), "argv": sys.argv[1:], "env": env,
               "hp_file": json.load(open("/opt/ml/input/config/hyperparameters.json")),
               "hosts": json.load(open("/opt/ml/input/config/resourceconfig.json"))["hosts"],
               "cwd": os.getcwd()}, f)
for r in range(a.num_round):
    print("[%d]#011train-auc:0.%d#011validation-auc:0.6%d" % (r, 7 + r, r), flush=True)
`

func TestTrainingScriptMode(t *testing.T) {
	t.Parallel()
	b, objs, r := setup(t)
	objs.put("s3://bucket/code/sourcedir.tar.gz", tarGz(t, map[string]string{"xgboost_train.py": trainScript}))
	objs.put("s3://bucket/prep/train/train.csv", []byte("1,2\n3,4\n5,6\n"))
	objs.put("s3://bucket/prep/validation/validation.csv", []byte("1,2\n"))
	args := map[string]any{
		"AlgorithmSpecification": map[string]any{"TrainingImage": xgbImage, "TrainingInputMode": "File",
			"MetricDefinitions": []any{
				map[string]any{"Name": "train:auc", "Regex": `train-auc:([0-9\.]+)`},
				map[string]any{"Name": "validation:auc", "Regex": `validation-auc:([0-9\.]+)`},
			}},
		"OutputDataConfig": map[string]any{"S3OutputPath": "s3://bucket/training_jobs"},
		"ResourceConfig":   map[string]any{"InstanceCount": 1, "InstanceType": "ml.m4.xlarge", "VolumeSizeInGB": 30},
		"RoleArn":          "arn:aws:iam::000000000000:role/x",
		"HyperParameters": map[string]any{
			"num_round": "3", "eta": "0.5", "objective": `"binary:logistic"`,
			"sagemaker_program":          `"xgboost_train.py"`,
			"sagemaker_submit_directory": `"s3://bucket/code/sourcedir.tar.gz"`,
			"sagemaker_region":           `"us-east-1"`,
		},
		"InputDataConfig": []any{
			map[string]any{"ChannelName": "train", "ContentType": "text/csv", "DataSource": map[string]any{"S3DataSource": map[string]any{"S3Uri": "s3://bucket/prep/train", "S3DataType": "S3Prefix"}}},
			map[string]any{"ChannelName": "validation", "ContentType": "text/csv", "DataSource": map[string]any{"S3DataSource": map[string]any{"S3Uri": "s3://bucket/prep/validation", "S3DataType": "S3Prefix"}}},
		},
		"ProfilerConfig": map[string]any{"S3OutputPath": "s3://bucket/"},
	}
	k := &job.Training{R: r}
	if errs := k.ValidateArgs(args); len(errs) > 0 {
		t.Fatal(errs)
	}
	var log strings.Builder
	env := b.Env(t)
	env.Log = &log
	res, err := k.Run(t.Context(), env, step.Request{ExecutionID: "exec2", StepName: "XGBModelTraining", Args: args})
	if err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	model := untar(t, filepath.Join(b.Path(t, res.Outputs[job.OutputModel]), "model.tar.gz"))
	if got := string(model["model.txt"]); got != "rows=3\n" {
		t.Errorf("model.txt = %q", got)
	}
	if _, ok := objs.get("s3://bucket/training_jobs/pipelines-exec2-XGBModelTraining/output/model.tar.gz"); !ok {
		t.Error("model.tar.gz not published under S3OutputPath/<job>/output/")
	}
	if got := res.Properties["ModelArtifacts"].(map[string]any)["S3ModelArtifacts"]; got != "s3://bucket/training_jobs/pipelines-exec2-XGBModelTraining/output/model.tar.gz" {
		t.Errorf("S3ModelArtifacts = %v", got)
	}
	var seen struct {
		Args   map[string]any    `json:"args"`
		Argv   []string          `json:"argv"`
		Env    map[string]string `json:"env"`
		HPFile map[string]string `json:"hp_file"`
		Hosts  []string          `json:"hosts"`
		Cwd    string            `json:"cwd"`
	}
	out := untar(t, filepath.Join(b.Path(t, res.Outputs[job.OutputOutput]), "output.tar.gz"))
	if err := json.Unmarshal(out["seen.json"], &seen); err != nil {
		t.Fatalf("seen.json: %v (%s)", err, out["seen.json"])
	}
	if diff := cmp.Diff([]string{"--eta", "0.5", "--num_round", "3", "--objective", "binary:logistic"}, seen.Argv); diff != "" {
		t.Errorf("argv (-want +got):\n%s", diff)
	}
	wantEnv := map[string]string{
		"SM_MODEL_DIR": "/opt/ml/model", "SM_CHANNEL_TRAIN": "/opt/ml/input/data/train", "SM_CHANNEL_VALIDATION": "/opt/ml/input/data/validation",
		"SM_CHANNELS": `["train","validation"]`, "SM_OUTPUT_DATA_DIR": "/opt/ml/output/data", "SM_HP_NUM_ROUND": "3", "SM_HP_OBJECTIVE": "binary:logistic",
		"SM_HPS": `{"eta":0.5,"num_round":3,"objective":"binary:logistic"}`,
	}
	for k, want := range wantEnv {
		if seen.Env[k] != want {
			t.Errorf("%s = %q, want %q", k, seen.Env[k], want)
		}
	}
	if seen.HPFile["sagemaker_program"] != `"xgboost_train.py"` || seen.Cwd != "/opt/ml/code" || len(seen.Hosts) != 1 {
		t.Errorf("hyperparameters.json %v, cwd %s, hosts %v", seen.HPFile, seen.Cwd, seen.Hosts)
	}
	got := res.Properties["FinalMetricDataList"].([]any)
	if len(got) != 2 || got[0].(map[string]any)["Value"] != 0.9 || got[1].(map[string]any)["MetricName"] != "validation:auc" || got[1].(map[string]any)["Value"] != 0.62 {
		t.Errorf("FinalMetricDataList = %v", got)
	}
}

func TestTrainingBuiltinXGBoost(t *testing.T) {
	t.Parallel()
	b, objs, r := setup(t)
	rng := rand.New(rand.NewPCG(1, 2))
	var train, valid strings.Builder
	for i := range 400 {
		x1, x2 := rng.Float64(), rng.Float64()
		y := 0
		if x1+0.3*x2+0.2*rng.NormFloat64() > 0.6 {
			y = 1
		}
		w := &train
		if i >= 320 {
			w = &valid
		}
		fmt.Fprintf(w, "%d,%.4f,%.4f\n", y, x1, x2)
	}
	objs.put("s3://bucket/d/train/part-0.csv", []byte(train.String()))
	objs.put("s3://bucket/d/validation/v.csv", []byte(valid.String()))
	args := map[string]any{
		"AlgorithmSpecification": map[string]any{"TrainingImage": xgbImage, "TrainingInputMode": "File"},
		"OutputDataConfig":       map[string]any{"S3OutputPath": "s3://bucket/out"},
		"HyperParameters":        map[string]any{"num_round": "20", "max_depth": "3", "eta": "0.3", "objective": "binary:logistic", "eval_metric": "auc", "verbosity": "1"},
		"InputDataConfig": []any{
			map[string]any{"ChannelName": "train", "ContentType": "text/csv", "DataSource": map[string]any{"S3DataSource": map[string]any{"S3Uri": "s3://bucket/d/train"}}},
			map[string]any{"ChannelName": "validation", "ContentType": "text/csv", "DataSource": map[string]any{"S3DataSource": map[string]any{"S3Uri": "s3://bucket/d/validation"}}},
		},
	}
	res, err := b.Run(t, &job.Training{R: r}, step.Request{ExecutionID: "e3", StepName: "Builtin", Args: args})
	if err != nil {
		t.Fatal(err)
	}
	files := untar(t, filepath.Join(b.Path(t, res.Outputs[job.OutputModel]), "model.tar.gz"))
	m, err := gbdt.ReadModel(bytes.NewReader(files["xgboost-model"]))
	if err != nil {
		t.Fatalf("xgboost-model: %v", err)
	}
	if m.NumFeatures() != 2 {
		t.Errorf("model has %d features, want 2", m.NumFeatures())
	}
	metrics := res.Properties["FinalMetricDataList"].([]any)
	found := false
	for _, x := range metrics {
		mm := x.(map[string]any)
		if mm["MetricName"] == "validation:auc" {
			found = true
			if v := mm["Value"].(float64); v < 0.7 {
				t.Errorf("validation:auc = %v, want a learned model", v)
			}
		}
	}
	if !found {
		t.Errorf("no validation:auc in %v", metrics)
	}
	if rt := res.Properties["FerryRuntime"].(map[string]any); rt["builtin"] != "xgboost" {
		t.Errorf("FerryRuntime = %v", rt)
	}

	t.Run("UnknownHyperparameter", func(t *testing.T) {
		t.Parallel()
		bad := map[string]any{}
		for k, v := range args {
			bad[k] = v
		}
		bad["HyperParameters"] = map[string]any{"num_round": "2", "max_dept": "3"}
		_, err := b.Run(t, &job.Training{R: r}, step.Request{ExecutionID: "e3", StepName: "Bad", Args: bad})
		if err == nil || !strings.Contains(err.Error(), "max_dept") || !step.IsPermanent(err) {
			t.Errorf("got %v", err)
		}
	})
}
