package monitor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/registry"
)

// Endpoints is what the service reads of the registry.
type Endpoints interface {
	Endpoint(ctx context.Context, name string) (registry.Endpoint, error)
	Version(ctx context.Context, ref registry.PackageRef) (registry.Version, error)
}

// Service is the monitoring operations that the CLI, the HTTP API and the
// scheduler call.
type Service struct {
	Store     Store
	Endpoints Endpoints
	Artifacts artifact.Store
	// CaptureRoot is where endpoints without a capture destination of
	// their own capture ($FERRY_HOME/data-capture).
	CaptureRoot string
	// GroundTruthRoot holds uploaded labels, per endpoint.
	GroundTruthRoot string
	Logger          *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Webhooks delivers the monitors' webhook calls (a webhook.Sender
	// with its defaults when nil).
	Webhooks Notifier
	// LookupEnv reads the webhook secrets' variables (os.LookupEnv when nil).
	LookupEnv func(name string) (string, bool)
	// ConsoleURL is the server's address (http://127.0.0.1:8080) that the
	// report links of webhook calls start with; without it they are paths.
	ConsoleURL string
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// registeredKeys are the drift-check baseline keys of a model version
// that a monitor of each type uses when it is given no baseline.
var registeredKeys = map[Type]map[string]string{
	DataQuality:        {BaselineStatistics: KeyModelDataStatistics, BaselineConstraints: KeyModelDataConstraints},
	ModelQuality:       {BaselineStatistics: registry.KeyModelStatistics, BaselineConstraints: registry.KeyModelConstraints},
	BiasDrift:          {BaselineAnalysis: registry.KeyBiasPostTrainingConstraints},
	FeatureAttribution: {BaselineAnalysis: registry.KeyExplainabilityConstraints},
}

// required lists the baseline keys each type needs.
var required = map[Type][]string{
	DataQuality:        {BaselineConstraints},
	ModelQuality:       {BaselineConstraints},
	BiasDrift:          {BaselineAnalysis},
	FeatureAttribution: {BaselineAnalysis},
}

// Create validates and stores a monitor. Baselines it is not given come
// from the drift-check baselines of the model version the endpoint serves
// (its first variant): model_data_statistics and model_data_constraints
// for data quality, model_statistics and model_constraints for model
// quality, bias_post_training_constraints for bias drift and
// explainability_constraints for feature attribution.
func (s *Service) Create(ctx context.Context, m Monitor) (Monitor, error) {
	if err := m.Validate(); err != nil {
		return Monitor{}, err
	}
	if m.Baseline == nil {
		m.Baseline = map[string]artifact.Ref{}
	}
	ep, err := s.Endpoints.Endpoint(ctx, m.Endpoint)
	if err != nil {
		return Monitor{}, fmt.Errorf("creating monitor %q: %w", m.Name, err)
	}
	var missing []string
	for _, k := range required[m.Type] {
		if m.Baseline[k] == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 && len(ep.Config.Variants) > 0 {
		v := ep.Config.Variants[0]
		if ver, err := s.Endpoints.Version(ctx, registry.PackageRef{Group: v.Group, Version: v.Version}); err == nil {
			for k, key := range registeredKeys[m.Type] {
				if ref, ok := ver.DriftBaselines[key]; ok && m.Baseline[k] == "" {
					m.Baseline[k] = ref
				}
			}
		}
	}
	for _, k := range required[m.Type] {
		if m.Baseline[k] == "" {
			return Monitor{}, fmt.Errorf("creating monitor %q: no %s baseline given, and the model version endpoint %q serves has no %s drift-check baseline: %w",
				m.Name, k, m.Endpoint, registeredKeys[m.Type][k], registry.ErrInvalid)
		}
	}
	for k, ref := range m.Baseline {
		if ok, err := s.Artifacts.Exists(ctx, ref); err != nil || !ok {
			return Monitor{}, fmt.Errorf("creating monitor %q: baseline %s artifact %s is not stored: %w", m.Name, k, ref.Short(), registry.ErrInvalid)
		}
	}
	m.CreatedAt = s.now()
	if err := s.Store.CreateMonitor(ctx, m); err != nil {
		return Monitor{}, fmt.Errorf("creating monitor %q: %w", m.Name, err)
	}
	return m, nil
}

// Monitor returns a monitor.
func (s *Service) Monitor(ctx context.Context, name string) (Monitor, error) {
	m, err := s.Store.Monitor(ctx, name)
	if err != nil {
		return Monitor{}, fmt.Errorf("monitor %q: %w", name, err)
	}
	return m, nil
}

// Monitors returns every monitor.
func (s *Service) Monitors(ctx context.Context) ([]Monitor, error) { return s.Store.Monitors(ctx) }

// Delete deletes a monitor and its run history.
func (s *Service) Delete(ctx context.Context, name string) error {
	if err := s.Store.DeleteMonitor(ctx, name); err != nil {
		return fmt.Errorf("deleting monitor %q: %w", name, err)
	}
	return nil
}

// Runs returns a monitor's runs, newest first.
func (s *Service) Runs(ctx context.Context, name string, limit int) ([]Run, error) {
	if _, err := s.Monitor(ctx, name); err != nil {
		return nil, err
	}
	return s.Store.Runs(ctx, name, limit)
}

// MaxWindow bounds the window of a run on demand: captured data is read
// hour by hour, so a window of centuries would read for hours.
const MaxWindow = 366 * 24 * time.Hour

// RunNow runs a monitor on demand over the window w (at most MaxWindow).
func (s *Service) RunNow(ctx context.Context, name string, w Window) (Run, error) {
	m, err := s.Monitor(ctx, name)
	if err != nil {
		return Run{}, err
	}
	if !w.From.Before(w.To) {
		return Run{}, fmt.Errorf("window %s to %s is empty: %w", w.From.Format(time.RFC3339), w.To.Format(time.RFC3339), registry.ErrInvalid)
	}
	if w.To.Sub(w.From) > MaxWindow {
		return Run{}, fmt.Errorf("window %s to %s is longer than %d days: %w", w.From.Format(time.RFC3339), w.To.Format(time.RFC3339),
			MaxWindow/(24*time.Hour), registry.ErrInvalid)
	}
	r, _, err := s.Store.ClaimRun(ctx, Run{Monitor: m.Name, Window: w, Status: RunInProgress, Owner: "on-demand", StartedAt: s.now()})
	if err != nil {
		return Run{}, fmt.Errorf("running monitor %q: %w", name, err)
	}
	return s.Execute(ctx, m, r)
}

// UploadGroundTruth stores labels for the endpoint that monitor watches;
// model-quality and bias-drift runs join them with captured predictions
// by inference id. It returns the number of labels.
func (s *Service) UploadGroundTruth(ctx context.Context, name string, r io.Reader) (int, error) {
	m, err := s.Monitor(ctx, name)
	if err != nil {
		return 0, err
	}
	gts, err := ParseGroundTruth(r)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", err, registry.ErrInvalid)
	}
	if _, err := WriteGroundTruth(s.GroundTruthRoot, m.Endpoint, s.now(), gts); err != nil {
		return 0, err
	}
	return len(gts), nil
}

// Execute runs a claimed run of m and records its outcome (and event).
// The outputs (statistics, constraint_violations.json, report.html) are
// stored as one artifact, Run.Output.
func (s *Service) Execute(ctx context.Context, m Monitor, r Run) (Run, error) {
	log := s.logger().With("monitor", m.Name, "run", r.ID)
	work, err := os.MkdirTemp("", "ferry-monitor-")
	if err != nil {
		return r, fmt.Errorf("running monitor %q: %w", m.Name, err)
	}
	defer os.RemoveAll(work)
	out, runErr := s.execute(ctx, m, r.Window, work)
	r.EndedAt = s.now()
	switch {
	case runErr != nil:
		r.Status, r.Failure = RunFailed, runErr.Error()
	default:
		r.Records, r.Violations = out.records, len(out.violations)
		r.Status = RunCompleted
		if r.Violations > 0 {
			r.Status = RunCompletedWithViolations
		}
		ref, err := s.Artifacts.PutDir(ctx, work)
		if err != nil {
			r.Status, r.Failure = RunFailed, "storing the run's output: "+err.Error()
		} else {
			r.Output = ref
		}
	}
	r.Webhook = s.notify(ctx, m, r, out.violations)
	if err := s.Store.FinishRun(context.WithoutCancel(ctx), r, m.Endpoint); err != nil {
		return r, fmt.Errorf("recording run %d of monitor %q: %w", r.ID, m.Name, err)
	}
	log.InfoContext(ctx, "monitoring run finished", "status", r.Status, "records", r.Records, "violations", r.Violations)
	if r.Status == RunFailed {
		return r, fmt.Errorf("monitor %q run %d: %s", m.Name, r.ID, r.Failure)
	}
	return r, nil
}

// outcome is what one execution found.
type outcome struct {
	records    int64
	violations []Violation
}

func (s *Service) execute(ctx context.Context, m Monitor, w Window, work string) (outcome, error) {
	ep, err := s.Endpoints.Endpoint(ctx, m.Endpoint)
	if err != nil {
		return outcome{}, err
	}
	root := ep.Config.DataCapture.Destination
	if root == "" {
		root = s.CaptureRoot
	}
	env := &runEnv{svc: s, m: m, ep: ep, w: w, work: work, captureRoot: root}
	var o outcome
	switch m.Type {
	case DataQuality:
		o, err = env.dataQuality(ctx)
	case ModelQuality:
		o, err = env.modelQuality(ctx)
	case BiasDrift:
		o, err = env.biasDrift(ctx)
	case FeatureAttribution:
		o, err = env.featureAttribution(ctx)
	default:
		err = fmt.Errorf("unknown monitor type %q", m.Type)
	}
	if err != nil {
		return outcome{}, err
	}
	if err := (Violations{Violations: o.violations}).WriteFile(work); err != nil {
		return outcome{}, err
	}
	return o, nil
}

// baselineFile returns the path of a baseline artifact's file: the file
// named name in it, or its only file.
func (s *Service) baselineFile(ctx context.Context, m Monitor, key, name string) (string, error) {
	ref, ok := m.Baseline[key]
	if !ok || ref == "" {
		return "", fmt.Errorf("monitor %q has no %s baseline", m.Name, key)
	}
	dir, err := s.Artifacts.Path(ctx, ref)
	if err != nil {
		return "", fmt.Errorf("%s baseline: %w", key, err)
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	es, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("%s baseline: %w", key, err)
	}
	var files []string
	for _, e := range es {
		if !e.IsDir() {
			files = append(files, e.Name())
		}
	}
	if len(files) == 1 {
		return filepath.Join(dir, files[0]), nil
	}
	return "", fmt.Errorf("%s baseline %s holds no %s", key, ref.Short(), name)
}

var errNoData = errors.New("no captured data in the window")
