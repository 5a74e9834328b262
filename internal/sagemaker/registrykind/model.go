// Package registrykind holds the SageMaker pipeline kinds that act on
// Ferry's model registry: sagemaker_model (CreateModel) and
// sagemaker_register_model (CreateModelPackage). Both turn the SageMaker
// model (an image URI and a model.tar.gz at ModelDataUrl) into one model
// artifact: a directory holding model.tar.gz and sagemaker-model.json (the
// image, its environment and the URL), which the serving loader
// (package modeltar, with the image's mapped runtime) serves.
package registrykind

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/sagemaker/job"
	"github.com/ferryml/ferry/internal/sagemaker/modeltar"
	"github.com/ferryml/ferry/internal/step"
)

// ManifestFile names the SageMaker model manifest in a model artifact.
const ManifestFile = "sagemaker-model.json"

// Manifest records how SageMaker would run the model.
type Manifest struct {
	Image        string            `json:"Image"`
	ModelDataUrl string            `json:"ModelDataUrl"`
	Environment  map[string]string `json:"Environment,omitempty"`
}

// ReadManifest reads the manifest of a model artifact directory; ok is
// false when dir is not a SageMaker model artifact.
func ReadManifest(dir string) (Manifest, bool, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, os.ErrNotExist) {
		return Manifest{}, false, nil
	}
	if err != nil {
		return Manifest{}, false, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return Manifest{}, false, fmt.Errorf("reading %s: %w", ManifestFile, err)
	}
	return m, true, nil
}

// Container is a model container of CreateModel or an inference container
// of CreateModelPackage.
type Container struct {
	Image        string            `json:"Image"`
	ModelDataUrl string            `json:"ModelDataUrl"`
	Environment  map[string]string `json:"Environment,omitempty"`
}

// modelArtifact stores the container's model as a Ferry artifact.
func modelArtifact(ctx context.Context, env step.Env, r *job.Runner, c Container) (artifact.Ref, error) {
	ref, err := StoreModel(ctx, env.Store, r, env.WorkDir, env.Log, c)
	var pe *permanentError
	if errors.As(err, &pe) {
		return "", step.Permanent(pe.err)
	}
	return ref, err
}

// permanentError marks a StoreModel failure that a retry would not fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// StoreModel stores the model of a container (Image and a model.tar.gz at
// ModelDataUrl: s3:// in the object namespace, or an artifact reference)
// as a model artifact the serving layer loads: model.tar.gz and
// sagemaker-model.json, plus Ferry's own model files for an XGBoost model
// (so clarify_check, transform and deploy read it natively). workDir is a
// scratch directory (made when missing); log, when not nil, gets warnings.
// The artifact store is content-addressed: the same model stored twice is
// one artifact.
func StoreModel(ctx context.Context, store artifact.Store, r *job.Runner, workDir string, log io.Writer, c Container) (artifact.Ref, error) {
	if c.ModelDataUrl == "" {
		return "", &permanentError{errors.New("ModelDataUrl: required (Ferry serves models from a model.tar.gz)")}
	}
	src, err := r.Resolve(ctx, store, c.ModelDataUrl)
	if err != nil {
		return "", fmt.Errorf("ModelDataUrl: %w", err)
	}
	dir, err := store.Path(ctx, src)
	if err != nil {
		return "", fmt.Errorf("ModelDataUrl: %w", err)
	}
	tgz, err := findTarGz(dir)
	if err != nil {
		return "", &permanentError{fmt.Errorf("ModelDataUrl %s: %w", c.ModelDataUrl, err)}
	}
	out := filepath.Join(workDir, "sagemaker-model")
	if err := os.RemoveAll(out); err != nil {
		return "", err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	if err := copyFile(tgz, filepath.Join(out, "model.tar.gz")); err != nil {
		return "", err
	}
	b, _ := json.MarshalIndent(Manifest(c), "", "  ")
	if err := os.WriteFile(filepath.Join(out, ManifestFile), b, 0o644); err != nil {
		return "", err
	}
	// A model that cannot be converted here (no xgboost in the mapped
	// Python) is still stored: serving converts it when it loads.
	cache := r.CacheDir
	if cache == "" {
		cache = filepath.Join(os.TempDir(), "ferry-sagemaker-models")
	}
	l := &modeltar.Loader{CacheDir: cache}
	if rt, err := r.Runtimes.Lookup(c.Image); err == nil {
		l.Python = rt.Command
	}
	if ok, err := l.WriteFerryModel(ctx, out, out); ok && err != nil && log != nil {
		fmt.Fprintf(log, "warning: the XGBoost model was not converted for Ferry's own kinds: %v\n", err)
	}
	ref, err := store.PutDir(ctx, out)
	if err != nil {
		return "", fmt.Errorf("storing the model: %w", err)
	}
	return ref, nil
}

func findTarGz(dir string) (string, error) {
	if _, err := os.Stat(filepath.Join(dir, "model.tar.gz")); err == nil {
		return filepath.Join(dir, "model.tar.gz"), nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var found []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".tar.gz") {
			found = append(found, filepath.Join(dir, e.Name()))
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("want one model.tar.gz, found %d .tar.gz files", len(found))
	}
	return found[0], nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ModelID is the sagemaker_model kind's stable ID.
const ModelID = "sagemaker_model"

// Model is the sagemaker_model kind: CreateModel.
type Model struct {
	R   *job.Runner
	Reg *registry.Registry
}

var (
	_ step.Kind      = (*Model)(nil)
	_ step.Validator = (*Model)(nil)
)

type createModel struct {
	ModelName        string      `json:"ModelName"`
	PrimaryContainer *Container  `json:"PrimaryContainer"`
	Containers       []Container `json:"Containers"`
}

// Spec implements step.Kind.
func (*Model) Spec() step.Spec {
	return step.Spec{
		Kind:        ModelID,
		Description: "A SageMaker Model step (CreateModel request): the PrimaryContainer's model.tar.gz (ModelDataUrl) and image become a named model in Ferry's registry, served natively (XGBoost) or by inference.py workers.",
		Version:     "1",
		NoCache:     true,
		Args: []step.Field{
			{Name: "PrimaryContainer", Type: step.Object, Description: "Image (mapped to a runtime), ModelDataUrl (s3:// or sha256:), Environment"},
			{Name: "Containers", Type: step.List, Description: "a one-container list is taken as the PrimaryContainer"},
			{Name: "ModelName", Type: step.String, Description: "the name (default: pipelines-<execution>-<step>)"},
			{Name: "ExecutionRoleArn", Type: step.Any, Description: "accepted and ignored"},
			{Name: "VpcConfig", Type: step.Any, Description: "accepted and ignored"},
			{Name: "EnableNetworkIsolation", Type: step.Any, Description: "accepted and ignored"},
			{Name: "InferenceExecutionConfig", Type: step.Any, Description: "accepted and ignored"},
			{Name: "Tags", Type: step.Any, Description: "accepted and ignored"},
		},
		Outputs: []step.Field{{Name: "model", Type: step.Artifact, Description: "model.tar.gz and sagemaker-model.json"}},
		Properties: []step.Field{
			{Name: "ModelName", Type: step.String},
			{Name: "ModelArn", Type: step.String},
			{Name: "PrimaryContainer", Type: step.Object},
		},
		DynamicProperties: true,
	}
}

// ValidateArgs implements step.Validator.
func (k *Model) ValidateArgs(a map[string]any) []error {
	_, p := a["PrimaryContainer"]
	c, _ := a["Containers"].([]any)
	if !p && len(c) != 1 {
		return []error{&step.FieldError{Field: "PrimaryContainer", Msg: "required (or Containers with exactly one container: multi-container models are not supported)"}}
	}
	return nil
}

var nameRE = regexp.MustCompile(`[^A-Za-z0-9-]`)

func defaultName(given string, req step.Request) string {
	if given != "" {
		return given
	}
	exec := req.ExecutionID
	if len(exec) > 12 {
		exec = exec[:12]
	}
	name := nameRE.ReplaceAllString("pipelines-"+exec+"-"+req.StepName, "-")
	if len(name) > 63 {
		name = name[:63]
	}
	return strings.TrimRight(name, "-")
}

// Run implements step.Kind.
func (k *Model) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	if k.Reg == nil {
		return step.Result{}, step.Permanent(errors.New("sagemaker_model: no model registry (validation only)"))
	}
	a, err := decode[createModel](req.Args)
	if err != nil {
		return step.Result{}, err
	}
	c := a.PrimaryContainer
	if c == nil {
		if len(a.Containers) != 1 {
			return step.Result{}, step.Permanent(errors.New("PrimaryContainer: required (or Containers with exactly one container)"))
		}
		c = &a.Containers[0]
	}
	if _, err := k.R.Runtimes.Lookup(c.Image); err != nil {
		return step.Result{}, step.Permanent(fmt.Errorf("PrimaryContainer.Image: %w", err))
	}
	ref, err := modelArtifact(ctx, env, k.R, *c)
	if err != nil {
		return step.Result{}, err
	}
	name := defaultName(a.ModelName, req)
	m, err := k.Reg.CreateModel(ctx, name, ref)
	if err != nil {
		if registry.IsInvalid(err) {
			return step.Result{}, step.Permanent(err)
		}
		return step.Result{}, err
	}
	if env.Log != nil {
		fmt.Fprintf(env.Log, "model %s -> %s (image %s)\n", m.Name, m.Artifact, c.Image)
	}
	return step.Result{
		Outputs: map[string]artifact.Ref{"model": ref},
		Properties: map[string]any{"ModelName": m.Name, "ModelArn": "arn:aws:sagemaker:local:000000000000:model/" + strings.ToLower(m.Name),
			"CreationTime":     m.CreatedAt.UTC().Format(time.RFC3339Nano),
			"PrimaryContainer": map[string]any{"Image": c.Image, "ModelDataUrl": c.ModelDataUrl, "Environment": c.Environment},
			"Containers":       []any{map[string]any{"Image": c.Image, "ModelDataUrl": c.ModelDataUrl, "Environment": c.Environment}},
			"ExecutionRoleArn": req.Args["ExecutionRoleArn"]},
	}, nil
}

// decode decodes a SageMaker request leniently: the SDK emits fields
// Ferry does not use, and the Spec already rejects unknown top-level keys.
func decode[T any](args map[string]any) (T, error) {
	var v T
	b, err := json.Marshal(args)
	if err != nil {
		return v, fmt.Errorf("encoding arguments: %w", err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, step.Permanent(fmt.Errorf("decoding the request: %w", err))
	}
	return v, nil
}
