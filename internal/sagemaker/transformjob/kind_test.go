package transformjob_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/artifact"
	ferrymodel "github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/sagemaker/imagemap"
	"github.com/ferryml/ferry/internal/sagemaker/job"
	"github.com/ferryml/ferry/internal/sagemaker/modeltar"
	"github.com/ferryml/ferry/internal/sagemaker/registrykind"
	"github.com/ferryml/ferry/internal/sagemaker/transformjob"
	"github.com/ferryml/ferry/internal/serving"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/steptest"
)

func TestTransformJoinAndFilter(t *testing.T) {
	t.Parallel()
	b := steptest.New(t)
	reg := b.Registry(t)
	rt, _ := imagemap.New(nil)
	r := &job.Runner{Runtimes: rt}
	model := b.PutFile(t, "testdata/model.tar.gz", "model.tar.gz")
	input := b.PutFile(t, "testdata/test.csv", "test.csv")
	mres, err := b.Run(t, &registrykind.Model{R: r, Reg: reg}, step.Request{ExecutionID: "e", StepName: "M", Args: map[string]any{
		"ModelName":        "fraud-model",
		"PrimaryContainer": map[string]any{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", "ModelDataUrl": string(model)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	// The XGBoost model is also Ferry's own model directory (for
	// clarify_check and deploy).
	if m, err := ferrymodel.Load(b.Path(t, mres.Outputs["model"])); err != nil || m.Predictor.NumFeatures() != 5 {
		t.Errorf("Ferry model directory: %v", err)
	}
	loader := &modeltar.Loader{CacheDir: t.TempDir()}
	load := func(ctx context.Context, ref artifact.Ref) (*serving.Model, error) {
		return loader.Load(ctx, b.Path(t, ref))
	}
	k := &transformjob.Kind{R: r, Reg: reg, Load: load}
	args := map[string]any{
		"ModelName":          "fraud-model",
		"TransformInput":     map[string]any{"DataSource": map[string]any{"S3DataSource": map[string]any{"S3DataType": "S3Prefix", "S3Uri": string(input)}}, "ContentType": "text/csv", "SplitType": "Line"},
		"TransformOutput":    map[string]any{"S3OutputPath": "s3://bucket/out", "AssembleWith": "Line", "Accept": "text/csv"},
		"DataProcessing":     map[string]any{"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"},
		"TransformResources": map[string]any{"InstanceCount": 1, "InstanceType": "ml.m5.large"},
	}
	if errs := k.ValidateArgs(args); len(errs) > 0 {
		t.Fatal(errs)
	}
	res, err := b.Run(t, k, step.Request{ExecutionID: "e", StepName: "Transform", Args: args})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(b.Path(t, res.Outputs["output"]), "test.csv.out"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	if len(lines) != 5 {
		t.Fatalf("got %d lines:\n%s", len(lines), got)
	}
	for _, l := range lines {
		f := strings.Split(l, ",")
		if len(f) != 2 || f[0] != "1" {
			t.Fatalf("line %q: want label,prediction", l)
		}
		if p, err := strconv.ParseFloat(f[1], 64); err != nil || p < 0 || p > 1 {
			t.Errorf("line %q: prediction not a probability", l)
		}
	}

	bad := map[string]any{"DataProcessing": map[string]any{"InputFilter": "$.features", "JoinSource": "Output"}, "TransformInput": map[string]any{"SplitType": "RecordIO"}}
	if errs := k.ValidateArgs(bad); len(errs) != 3 {
		t.Errorf("ValidateArgs: %v", errs)
	}
	// FerryModel (the Model step's output, as the translation passes it)
	// needs no lookup by name.
	args["FerryModel"] = mres.Outputs["model"]
	args["ModelName"] = "not-in-the-registry"
	if _, err := b.Run(t, k, step.Request{ExecutionID: "e", StepName: "Transform2", Args: args}); err != nil {
		t.Errorf("with FerryModel: %v", err)
	}
	delete(args, "FerryModel")
	args["ModelName"] = "nope"
	if _, err := b.Run(t, k, step.Request{Args: args}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown model: %v", err)
	}
}
