// Package transformjob is the sagemaker_transform kind: a SageMaker batch
// transform job (CreateTransformJob request) run locally against a model
// that a sagemaker_model step created. Every object under the input S3Uri
// is split into records (SplitType Line), sent in batches (MultiRecord, up
// to MaxPayloadInMB) or one by one (SingleRecord) through the same serving
// path an endpoint uses, and written as <name>.out under the output, which
// is stored as an artifact and published to S3OutputPath. DataProcessing's
// InputFilter, JoinSource and OutputFilter work on CSV records.
package transformjob

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/sagemaker/job"
	"github.com/ferryml/ferry/internal/serving"
	"github.com/ferryml/ferry/internal/step"
)

// ID is the kind's stable ID.
const ID = "sagemaker_transform"

// Kind is the sagemaker_transform kind.
type Kind struct {
	R   *job.Runner
	Reg *registry.Registry
	// Load loads a model artifact for serving (the server's loader).
	Load serving.LoadFunc
}

var (
	_ step.Kind      = (*Kind)(nil)
	_ step.Validator = (*Kind)(nil)
)

type request struct {
	FerryModel       artifact.Ref `json:"FerryModel"`
	TransformJobName string       `json:"TransformJobName"`
	ModelName        string       `json:"ModelName"`
	BatchStrategy    string       `json:"BatchStrategy"`
	MaxPayloadInMB   int          `json:"MaxPayloadInMB"`
	TransformInput   struct {
		DataSource struct {
			S3DataSource struct {
				S3Uri string `json:"S3Uri"`
			} `json:"S3DataSource"`
		} `json:"DataSource"`
		ContentType     string `json:"ContentType"`
		SplitType       string `json:"SplitType"`
		CompressionType string `json:"CompressionType"`
	} `json:"TransformInput"`
	TransformOutput struct {
		S3OutputPath string `json:"S3OutputPath"`
		Accept       string `json:"Accept"`
		AssembleWith string `json:"AssembleWith"`
	} `json:"TransformOutput"`
	DataProcessing struct {
		InputFilter  string `json:"InputFilter"`
		OutputFilter string `json:"OutputFilter"`
		JoinSource   string `json:"JoinSource"`
	} `json:"DataProcessing"`
	Environment map[string]string `json:"Environment"`
}

// Spec implements step.Kind.
func (*Kind) Spec() step.Spec {
	ignored := func(name string) step.Field {
		return step.Field{Name: name, Type: step.Any, Description: "accepted and ignored"}
	}
	return step.Spec{
		Kind:        ID,
		Description: "A SageMaker batch transform job (CreateTransformJob request) run locally with a model created by a sagemaker_model step: records of every input object go through the model's serving path and are written as <object>.out, stored as the artifact output and published to S3OutputPath.",
		Version:     "1",
		Args: []step.Field{
			{Name: "ModelName", Type: step.String, Required: true, Description: "a model created by sagemaker_model (its ModelName property)"},
			{Name: "FerryModel", Type: step.Artifact, Description: "the model output of the sagemaker_model step; when given, ModelName is not looked up"},
			{Name: "TransformInput", Type: step.Object, Required: true, Description: "DataSource.S3DataSource.S3Uri, ContentType, SplitType (None or Line)"},
			{Name: "TransformOutput", Type: step.Object, Required: true, Description: "S3OutputPath, Accept, AssembleWith (None or Line)"},
			{Name: "BatchStrategy", Type: step.String, Enum: []string{"MultiRecord", "SingleRecord"}, Description: "records per request (default MultiRecord)"},
			{Name: "MaxPayloadInMB", Type: step.Integer, Description: "largest request of a MultiRecord batch (default 6)"},
			{Name: "DataProcessing", Type: step.Object, Description: "InputFilter, OutputFilter ($, $[i], $[a:b], $[i,j]) and JoinSource (None or Input) on CSV records"},
			{Name: "TransformJobName", Type: step.String},
			{Name: "Environment", Type: step.StringMap, Description: "accepted (the model's environment comes from its container)"},
			ignored("TransformResources"), ignored("MaxConcurrentTransforms"), ignored("ModelClientConfig"),
			ignored("ExperimentConfig"), ignored("Tags"), ignored("DataCaptureConfig"), ignored("BatchDataCaptureConfig"),
		},
		Outputs:    []step.Field{{Name: "output", Type: step.Artifact, Description: "the .out files"}},
		Properties: []step.Field{{Name: "TransformJobName", Type: step.String}, {Name: "TransformJobStatus", Type: step.String}, {Name: "TransformOutput", Type: step.Object, Description: "S3OutputPath"}, {Name: "ModelName", Type: step.String}},

		DynamicProperties: true,
	}
}

// ValidateArgs implements step.Validator.
func (k *Kind) ValidateArgs(a map[string]any) []error {
	var errs []error
	if dp, ok := a["DataProcessing"].(map[string]any); ok {
		for _, name := range []string{"InputFilter", "OutputFilter"} {
			if s, ok := dp[name].(string); ok {
				if _, err := parseFilter(s); err != nil {
					errs = append(errs, &step.FieldError{Field: "DataProcessing." + name, Msg: err.Error()})
				}
			}
		}
		if s, ok := dp["JoinSource"].(string); ok && s != "None" && s != "Input" {
			errs = append(errs, &step.FieldError{Field: "DataProcessing.JoinSource", Msg: fmt.Sprintf("%q: want None or Input", s)})
		}
	}
	if in, ok := a["TransformInput"].(map[string]any); ok {
		if s, ok := in["SplitType"].(string); ok && s != "None" && s != "Line" {
			errs = append(errs, &step.FieldError{Field: "TransformInput.SplitType", Msg: fmt.Sprintf("%q: Ferry splits None and Line (not RecordIO, TFRecord)", s)})
		}
		if s, ok := in["CompressionType"].(string); ok && s != "" && s != "None" {
			errs = append(errs, &step.FieldError{Field: "TransformInput.CompressionType", Msg: fmt.Sprintf("%q: only None is supported", s)})
		}
	}
	return errs
}

// Run implements step.Kind.
func (k *Kind) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	if k.Load == nil {
		return step.Result{}, step.Permanent(errors.New("sagemaker_transform: no model registry (validation only)"))
	}
	var a request
	b, _ := json.Marshal(req.Args)
	if err := json.Unmarshal(b, &a); err != nil {
		return step.Result{}, step.Permanent(fmt.Errorf("decoding the request: %w", err))
	}
	if errs := k.ValidateArgs(req.Args); len(errs) > 0 {
		return step.Result{}, step.Permanent(errors.Join(errs...))
	}
	inF, _ := parseFilter(a.DataProcessing.InputFilter)
	outF, _ := parseFilter(a.DataProcessing.OutputFilter)
	join := a.DataProcessing.JoinSource == "Input"
	modelRef := a.FerryModel
	if modelRef == "" {
		if k.Reg == nil {
			return step.Result{}, step.Permanent(errors.New("ModelName: no model registry to look it up in (give FerryModel)"))
		}
		mrec, err := k.Reg.Model(ctx, a.ModelName)
		if err != nil {
			return step.Result{}, step.Permanent(fmt.Errorf("ModelName: %w", err))
		}
		modelRef = mrec.Artifact
	}
	m, err := k.Load(ctx, modelRef)
	if err != nil {
		return step.Result{}, fmt.Errorf("loading model %s: %w", a.ModelName, err)
	}
	if c, ok := m.Invoker.(io.Closer); ok {
		defer c.Close()
	}
	srv, err := serving.NewServer(nil, serving.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return step.Result{}, err
	}
	defer srv.Close()
	const endpoint = "transform"
	srv.SetModel(endpoint, m)
	ref, err := k.R.Resolve(ctx, env.Store, a.TransformInput.DataSource.S3DataSource.S3Uri)
	if err != nil {
		return step.Result{}, fmt.Errorf("TransformInput: %w", err)
	}
	inDir, err := env.Store.Path(ctx, ref)
	if err != nil {
		return step.Result{}, err
	}
	outDir := filepath.Join(env.WorkDir, "output")
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return step.Result{}, err
	}
	ct := a.TransformInput.ContentType
	if ct == "" {
		ct = "text/csv"
	}
	accept := a.TransformOutput.Accept
	if accept == "" {
		accept = ct
	}
	maxPayload := 6 << 20
	if a.MaxPayloadInMB > 0 {
		maxPayload = a.MaxPayloadInMB << 20
	}
	t := &transformer{srv: srv, endpoint: endpoint, ct: ct, accept: accept, inF: inF, outF: outF, join: join,
		single: a.BatchStrategy == "SingleRecord", split: a.TransformInput.SplitType == "Line", maxPayload: maxPayload,
		assembleLines: a.TransformOutput.AssembleWith == "Line"}
	records := 0
	err = filepath.WalkDir(inDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(inDir, p)
		n, err := t.file(ctx, p, filepath.Join(outDir, rel+".out"))
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		records += n
		return nil
	})
	if err != nil {
		var se *serving.StatusError
		if errors.As(err, &se) && se.Status < 500 {
			return step.Result{}, step.Permanent(err)
		}
		return step.Result{}, err
	}
	out, err := env.Store.PutDir(ctx, outDir)
	if err != nil {
		return step.Result{}, err
	}
	if a.TransformOutput.S3OutputPath != "" && k.R.Objects != nil {
		if err := k.R.Objects.Publish(ctx, outDir, a.TransformOutput.S3OutputPath); err != nil {
			return step.Result{}, fmt.Errorf("publishing %s: %w", a.TransformOutput.S3OutputPath, err)
		}
	}
	if env.Log != nil {
		fmt.Fprintf(env.Log, "transformed %d records with model %s\n", records, a.ModelName)
	}
	name := a.TransformJobName
	if name == "" {
		name = strings.Trim(strings.NewReplacer("_", "-", ".", "-").Replace("pipelines-"+trim(req.ExecutionID, 12)+"-"+req.StepName), "-")
	}
	return step.Result{Outputs: map[string]artifact.Ref{"output": out}, Properties: map[string]any{
		"TransformJobName": name, "TransformJobStatus": "Completed", "ModelName": a.ModelName,
		"TransformOutput":  map[string]any{"S3OutputPath": a.TransformOutput.S3OutputPath, "Accept": accept, "AssembleWith": a.TransformOutput.AssembleWith},
		"TransformEndTime": time.Now().UTC().Format(time.RFC3339Nano),
	}}, nil
}

// CacheArgs returns the arguments that key the cache (step.CacheArgser):
// Runner.CacheArgsFunc's choice.
func (k *Kind) CacheArgs(args map[string]any) map[string]any {
	if k.R == nil || k.R.CacheArgsFunc == nil {
		return args
	}
	return k.R.CacheArgsFunc(ID, args)
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

type transformer struct {
	srv                  *serving.Server
	endpoint, ct, accept string
	inF, outF            *filter
	join, single, split  bool
	assembleLines        bool
	maxPayload           int
}

// file transforms one input object into dst; it returns the record count.
func (t *transformer) file(ctx context.Context, src, dst string) (int, error) {
	body, err := os.ReadFile(src)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, err
	}
	var out bytes.Buffer
	if !t.split {
		resp, err := t.invoke(ctx, body)
		if err != nil {
			return 0, err
		}
		out.Write(resp)
		return 1, os.WriteFile(dst, out.Bytes(), 0o644)
	}
	var lines []string
	for _, l := range strings.Split(string(body), "\n") {
		if strings.TrimSpace(strings.TrimSuffix(l, "\r")) != "" {
			lines = append(lines, strings.TrimSuffix(l, "\r"))
		}
	}
	csv := baseType(t.ct) == "text/csv"
	inputs := make([]string, len(lines))
	for i, l := range lines {
		inputs[i] = l
		if csv && !t.inF.all {
			f, err := t.inF.apply(strings.Split(l, ","))
			if err != nil {
				return 0, fmt.Errorf("record %d: %w", i+1, err)
			}
			inputs[i] = strings.Join(f, ",")
		}
	}
	for start := 0; start < len(inputs); {
		end := start + 1
		if !t.single {
			size := len(inputs[start]) + 1
			for end < len(inputs) && size+len(inputs[end])+1 <= t.maxPayload {
				size += len(inputs[end]) + 1
				end++
			}
		}
		resp, err := t.invoke(ctx, []byte(strings.Join(inputs[start:end], "\n")+"\n"))
		if err != nil {
			return 0, fmt.Errorf("records %d-%d: %w", start+1, end, err)
		}
		preds := strings.Split(strings.TrimRight(string(resp), "\n"), "\n")
		if (t.join || !t.outF.all) && len(preds) != end-start {
			return 0, fmt.Errorf("records %d-%d: the model answered %d lines for %d records; joining needs one per record", start+1, end, len(preds), end-start)
		}
		for i, p := range preds {
			line := p
			if t.join || !t.outF.all {
				fields := strings.Split(p, ",")
				if t.join {
					fields = append(strings.Split(lines[start+i], ","), fields...)
				}
				f, err := t.outF.apply(fields)
				if err != nil {
					return 0, fmt.Errorf("record %d: %w", start+i+1, err)
				}
				line = strings.Join(f, ",")
			}
			out.WriteString(line)
			out.WriteByte('\n')
		}
		start = end
	}
	return len(lines), os.WriteFile(dst, out.Bytes(), 0o644)
}

func (t *transformer) invoke(ctx context.Context, body []byte) ([]byte, error) {
	resp, err := t.srv.Invoke(ctx, t.endpoint, serving.Request{ContentType: t.ct, Accept: t.accept, Body: body})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

func baseType(ct string) string {
	t, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(t))
}
