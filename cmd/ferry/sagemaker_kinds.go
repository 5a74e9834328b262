package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/ferryml/ferry/internal/app"
	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/objstore"
	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/sagemaker/callback"
	"github.com/ferryml/ferry/internal/sagemaker/definition"
	"github.com/ferryml/ferry/internal/sagemaker/imagemap"
	"github.com/ferryml/ferry/internal/sagemaker/job"
	"github.com/ferryml/ferry/internal/sagemaker/jsonget"
	"github.com/ferryml/ferry/internal/sagemaker/lambda"
	"github.com/ferryml/ferry/internal/sagemaker/modeltar"
	"github.com/ferryml/ferry/internal/sagemaker/optml"
	"github.com/ferryml/ferry/internal/sagemaker/registrykind"
	"github.com/ferryml/ferry/internal/sagemaker/transformjob"
	"github.com/ferryml/ferry/internal/sagemaker/tuningjob"
	"github.com/ferryml/ferry/internal/serving"
	"github.com/ferryml/ferry/internal/step"
)

// configFile is the name of Ferry's config file in FERRY_HOME.
const configFile = "ferry.yaml"

// sagemakerConfig is the part of $FERRY_HOME/ferry.yaml that the SageMaker
// job kinds read:
//
//	runtimes:                       # image URI pattern -> local command
//	  - image: "*sagemaker-xgboost:1.3-1*"
//	    command: [/opt/py38/bin/python3]
//	sandbox: bwrap                  # or unshare; default: detect
type sagemakerConfig struct {
	Runtimes []imagemap.Rule `yaml:"runtimes"`
	Sandbox  string          `yaml:"sandbox"`
}

// runtimeFlag adds --runtime IMAGE_PATTERN=COMMAND (repeatable) to fs.
func (m *Main) runtimeFlag(fs *flag.FlagSet) {
	fs.Func("runtime", "map container images to a local command, IMAGE_PATTERN=COMMAND (repeatable; tried before FERRY_RUNTIMES and $FERRY_HOME/ferry.yaml)", func(s string) error {
		r, err := imagemap.ParseFlag(s)
		if err != nil {
			return err
		}
		m.runtimes = append(m.runtimes, r)
		return nil
	})
}

// readSageMakerConfig reads ferry.yaml (absent: empty), the FERRY_RUNTIMES
// variable ("PATTERN=COMMAND" entries separated by ";") and the --runtime
// flags; rules are tried flags first, then the variable, then the file.
func (m *Main) readSageMakerConfig() (cfg sagemakerConfig, err error) {
	path := filepath.Join(m.Home(), configFile)
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return cfg, fmt.Errorf("reading %s: %w", path, err)
	default:
		var all map[string]yaml.Node // other sections belong to others
		if err := yaml.Unmarshal(b, &all); err != nil {
			return cfg, fmt.Errorf("reading %s: %w", path, err)
		}
		if n, ok := all["runtimes"]; ok {
			if err := n.Decode(&cfg.Runtimes); err != nil {
				return cfg, fmt.Errorf("reading %s: runtimes: %w", path, err)
			}
		}
		if n, ok := all["sandbox"]; ok {
			if err := n.Decode(&cfg.Sandbox); err != nil {
				return cfg, fmt.Errorf("reading %s: sandbox: %w", path, err)
			}
		}
	}
	defer func() { cfg.Runtimes = append(append([]imagemap.Rule(nil), m.runtimes...), cfg.Runtimes...) }()
	if env := m.Getenv("FERRY_RUNTIMES"); env != "" {
		var rules []imagemap.Rule
		for _, s := range strings.Split(env, ";") {
			if strings.TrimSpace(s) == "" {
				continue
			}
			r, err := imagemap.ParseFlag(strings.TrimSpace(s))
			if err != nil {
				return cfg, fmt.Errorf("FERRY_RUNTIMES: %w", err)
			}
			rules = append(rules, r)
		}
		cfg.Runtimes = append(rules, cfg.Runtimes...)
	}
	switch optml.Method(cfg.Sandbox) {
	case "", optml.Bubblewrap, optml.Unshare:
	default:
		return cfg, fmt.Errorf("%s: sandbox %q: want %s or %s", path, cfg.Sandbox, optml.Bubblewrap, optml.Unshare)
	}
	return cfg, nil
}

// sagemakerRunner builds what the SageMaker job kinds share. The sandbox
// is detected when the first job runs.
func (m *Main) sagemakerRunner() (*job.Runner, error) {
	cfg, err := m.readSageMakerConfig()
	if err != nil {
		return nil, err
	}
	rt, err := imagemap.New(cfg.Runtimes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(m.Home(), configFile), err)
	}
	if m.jobEnv == nil {
		m.jobEnv = map[string]string{}
	}
	return &job.Runner{
		Runtimes: rt, SandboxMethod: optml.Method(cfg.Sandbox), CacheDir: filepath.Join(m.Home(), "cache", "sagemaker-models"),
		Objects: m.jobObjects(), Env: m.jobEnv, CacheArgsFunc: definition.CacheArgs,
	}, nil
}

// jobObjects is the home's s3:// namespace as the SageMaker job kinds see
// it (SageMaker's S3Prefix rules, docs/sagemaker-jobs.md), opened on first
// use so that validation opens nothing.
func (m *Main) jobObjects() job.NamespaceObjects {
	var (
		once  sync.Once
		ns    *objstore.Store
		store artifact.Store
		err   error
	)
	open := func(ctx context.Context) (*objstore.Store, artifact.Store, error) {
		once.Do(func() {
			if ns, err = m.Objects(ctx); err == nil {
				store, err = m.Store()
			}
		})
		return ns, store, err
	}
	return job.NamespaceObjects{
		ImportFunc: func(ctx context.Context, uri string) (artifact.Ref, error) {
			ns, store, err := open(ctx)
			if err != nil {
				return "", err
			}
			u, err := objstore.ParseURI(uri)
			if err != nil {
				return "", err
			}
			return objstore.Import(ctx, ns, store, u)
		},
		ObjectExistsFunc: func(ctx context.Context, uri string) (bool, error) {
			ns, _, err := open(ctx)
			if err != nil {
				return false, err
			}
			u, err := objstore.ParseURI(uri)
			if err != nil {
				return false, err
			}
			_, err = ns.Head(ctx, u.Bucket, u.Key)
			if errors.Is(err, objstore.ErrNoSuchKey) {
				return false, nil
			}
			return err == nil, err
		},
		PublishFunc: func(ctx context.Context, dir, uri string) error {
			ns, _, err := open(ctx)
			if err != nil {
				return err
			}
			u, err := objstore.ParseURI(uri)
			if err != nil {
				return err
			}
			_, err = objstore.PublishDir(ctx, ns, dir, u)
			return err
		},
	}
}

// startJobObjects starts, for a local run of a pipeline with SageMaker
// job steps, the S3 listener on 127.0.0.1
// that the run's SageMaker jobs reach through AWS_ENDPOINT_URL (boto3,
// s3fs and pandas honour it); through a server it does nothing.
func (m *Main) startJobObjects(ctx context.Context, p *pipeline.Pipeline) (stop func(), err error) {
	if m.remote() || !slices.ContainsFunc(p.Steps, func(s *pipeline.Step) bool { return strings.HasPrefix(s.Kind, "sagemaker_") }) {
		return func() {}, nil // only SageMaker jobs reach for AWS_ENDPOINT_URL
	}
	srv, err := m.StartS3(ctx)
	if err != nil {
		return nil, fmt.Errorf("starting the object listener for jobs: %w", err)
	}
	if m.jobEnv == nil {
		m.jobEnv = map[string]string{}
	}
	m.jobEnv["AWS_ENDPOINT_URL"] = srv.URL
	// The loopback listener checks no signature; boto3 still wants
	// credentials and a region to sign with, as a job's instance role
	// would give it on SageMaker.
	m.jobEnv["AWS_ACCESS_KEY_ID"] = "ferry-local-job"
	m.jobEnv["AWS_SECRET_ACCESS_KEY"] = "ferry-local-job"
	m.jobEnv["AWS_DEFAULT_REGION"] = "us-east-1"
	return func() { srv.Close() }, nil
}

// sagemakerKinds returns the kinds that run SageMaker pipeline steps. A
// bad config leaves the default runtimes for validation, and every job
// reports the config error instead of running.
func (m *Main) sagemakerKinds(reg *registry.Registry) []step.Kind {
	r, err := m.sagemakerRunner()
	if err != nil {
		rt, _ := imagemap.New(nil)
		r = &job.Runner{Runtimes: rt, ConfigErr: err}
	}
	transform := &transformjob.Kind{R: r}
	if reg != nil {
		if store, err := m.Store(); err == nil {
			transform.Reg, transform.Load = reg, m.sagemakerServingLoader(store)
		}
	}
	return []step.Kind{
		&job.Processing{R: r},
		&job.Training{R: r},
		&lambda.Kind{Functions: m.lambdaFunctions(), Runtimes: r.Runtimes, Env: r.Env},
		&callback.Kind{Dir: m.callbackDir()},
		&registrykind.Model{R: r, Reg: reg},
		&registrykind.Register{R: r, Reg: reg},
		transform,
		&jsonget.Kind{R: r},
		&tuningjob.Kind{R: r, Trials: m.trialStore(reg != nil)},
	}
}

// sagemakerModelLoader loads the model artifacts that sagemaker_model and
// sagemaker_register_model store (model.tar.gz + sagemaker-model.json):
// ok is false for any other artifact. The image's mapped runtime converts
// non-JSON XGBoost models (cached under $FERRY_HOME/cache/sagemaker-models)
// and runs inference.py workers.
func (m *Main) sagemakerModelLoader() func(ctx context.Context, dir string) (*serving.Model, bool, error) {
	return func(ctx context.Context, dir string) (*serving.Model, bool, error) {
		man, ok, err := registrykind.ReadManifest(dir)
		if !ok || err != nil {
			return nil, ok, err
		}
		if _, err := os.Stat(filepath.Join(dir, model.ManifestFile)); err == nil {
			return nil, false, nil // converted at creation: Ferry's own loader serves it
		}
		r, err := m.sagemakerRunner()
		if err != nil {
			return nil, true, err
		}
		l := &modeltar.Loader{CacheDir: filepath.Join(m.Home(), "cache", "sagemaker-models"), Logger: m.Logger, Environment: man.Environment}
		if rt, err := r.Runtimes.Lookup(man.Image); err == nil {
			l.Python = rt.Command
		}
		sm, err := l.Load(ctx, dir)
		if err != nil {
			return nil, true, fmt.Errorf("loading the SageMaker model (image %s): %w", man.Image, err)
		}
		return sm, true, nil
	}
}

// sagemakerModelFlags adds serve-model's flags for SageMaker models:
// --image (whose mapped runtime converts and serves the model) and
// --runtime.
func (m *Main) sagemakerModelFlags(fs *flag.FlagSet) *string {
	m.runtimeFlag(fs)
	return fs.String("image", "", "for a model.tar.gz: the SageMaker image it was made for; its mapped runtime converts non-JSON XGBoost models and runs inference.py (default: python3 on PATH)")
}

// loadModelPath loads a model for serve-model: a SageMaker model.tar.gz
// (or a directory holding one), else a Ferry model directory or an XGBoost
// model.json. An archive is unpacked once per content digest under
// $FERRY_HOME/cache/sagemaker-models; nothing is left in temporary
// directories.
func (m *Main) loadModelPath(ctx context.Context, path, image string) (*serving.Model, error) {
	tgz := ""
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		if _, err := os.Stat(filepath.Join(path, "model.tar.gz")); err == nil {
			tgz = filepath.Join(path, "model.tar.gz")
		}
	} else if err == nil && strings.HasSuffix(path, ".tar.gz") {
		tgz = path
	}
	if tgz == "" {
		return serving.LoadModel(path)
	}
	r, err := m.sagemakerRunner()
	if err != nil {
		return nil, err
	}
	python := []string{"python3"}
	if image != "" {
		rt, err := r.Runtimes.Lookup(image)
		if err != nil {
			return nil, err
		}
		python = rt.Command
	}
	l := &modeltar.Loader{CacheDir: filepath.Join(m.Home(), "cache", "sagemaker-models"), Python: python, Logger: m.Logger}
	sm, err := l.LoadArchive(ctx, tgz)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", path, err)
	}
	return sm, nil
}

// sagemakerServingLoader is serving.StoreLoader that also serves SageMaker
// models: the artifacts of sagemaker_model and sagemaker_register_model
// (model.tar.gz + sagemaker-model.json) that are not Ferry model
// directories already, such as inference.py models.
func (m *Main) sagemakerServingLoader(store artifact.Store) serving.LoadFunc {
	base := serving.StoreLoader(store)
	sagemaker := m.sagemakerModelLoader()
	return func(ctx context.Context, ref artifact.Ref) (*serving.Model, error) {
		dir, err := store.Path(ctx, ref)
		if err != nil {
			return nil, err
		}
		sm, ok, err := sagemaker(ctx, dir)
		if !ok {
			return base(ctx, ref)
		}
		if err != nil {
			return nil, err
		}
		sm.Ref = ref
		return sm, nil
	}
}

// sagemakerObjects is app.SageMakerObjects over the home's object
// namespace: the SageMaker API's models are stored as the
// sagemaker_model kind stores them (model.tar.gz and its manifest, plus
// Ferry's own model files for XGBoost), in the content-addressed artifact
// store.
func (m *Main) sagemakerObjects(store artifact.Store) app.SageMakerObjects {
	return sagemakerObjects{m: m, store: store}
}

type sagemakerObjects struct {
	m     *Main
	store artifact.Store
}

func (o sagemakerObjects) StoreModel(ctx context.Context, image, modelDataURL string, env map[string]string) (artifact.Ref, error) {
	r, err := o.m.sagemakerRunner()
	if err != nil {
		return "", err
	}
	tmp := filepath.Join(o.m.Home(), "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", fmt.Errorf("storing the model: %w", err)
	}
	work, err := os.MkdirTemp(tmp, "sagemaker-model-")
	if err != nil {
		return "", fmt.Errorf("storing the model: %w", err)
	}
	defer os.RemoveAll(work)
	return registrykind.StoreModel(ctx, o.store, r, work, nil, registrykind.Container{Image: image, ModelDataUrl: modelDataURL, Environment: env})
}

func (o sagemakerObjects) Import(ctx context.Context, uri string) (artifact.Ref, error) {
	r, err := o.m.sagemakerRunner()
	if err != nil {
		return "", err
	}
	return r.Resolve(ctx, o.store, uri)
}

func (o sagemakerObjects) Container(ctx context.Context, model artifact.Ref) (string, string, bool) {
	dir, err := o.store.Path(ctx, model)
	if err != nil {
		return "", "", false
	}
	man, ok, err := registrykind.ReadManifest(dir)
	if !ok || err != nil {
		return "", "", false
	}
	return man.Image, man.ModelDataUrl, true
}
