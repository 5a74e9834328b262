package clarifycheck

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/ferryml/ferry/internal/clarify"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/processing"
)

// Processor is the processing step's "clarify" processor: the Clarify
// processing job of the Step Functions sample. Inputs: config (a folder
// holding analysis_config.json), data (a folder with the CSV data set),
// model (optional model folder). Output: analysis (Clarify's output
// folder).
type Processor struct {
	// LoadModel loads the model input; NewProcessor sets LoadModelDir.
	LoadModel ModelLoaderFunc
}

// NewProcessor returns the clarify processor.
func NewProcessor() *Processor { return &Processor{LoadModel: LoadModelDir} }

var _ processing.Processor = (*Processor)(nil)

// Name returns "clarify".
func (p *Processor) Name() string { return "clarify" }

// Version is the processor's code version.
func (p *Processor) Version() string { return "1+" + clarify.Version }

// Inputs declares config, data and the optional model.
func (p *Processor) Inputs() []step.Field {
	return []step.Field{
		{Name: "config", Type: step.Artifact, Required: true, Description: "folder holding analysis_config.json"},
		{Name: "data", Type: step.Artifact, Required: true, Description: "folder holding the CSV data set"},
		{Name: "model", Type: step.Artifact, Description: "model folder, for SHAP, PDP and post-training bias without predicted_label"},
	}
}

// Outputs declares the analysis folder.
func (p *Processor) Outputs() []step.Field {
	return []step.Field{{Name: "analysis", Type: step.Artifact, Description: "Clarify's output: analysis.json, explanations_shap/, report.html"}}
}

// ValidateConfig accepts no settings: the job is configured by the config
// input's analysis_config.json.
func (p *Processor) ValidateConfig(config map[string]any) []error {
	keys := make([]string, 0, len(config))
	for k := range config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	for _, k := range keys {
		errs = append(errs, &step.FieldError{Field: "config." + k, Msg: "the clarify processor takes its settings from the config input's analysis_config.json"})
	}
	return errs
}

// Process runs the Clarify job.
func (p *Processor) Process(ctx context.Context, job processing.Job) (map[string]any, error) {
	cfgDir, ok := job.Inputs["config"]
	if !ok {
		return nil, step.Permanent(errors.New("input config: required"))
	}
	dataDir, ok := job.Inputs["data"]
	if !ok {
		return nil, step.Permanent(errors.New("input data: required"))
	}
	cfgPath := filepath.Join(cfgDir, clarify.ConfigFile)
	if _, err := os.Stat(cfgPath); err != nil {
		return nil, step.Permanent(fmt.Errorf("input config: %s not found", clarify.ConfigFile))
	}
	cfg, err := clarify.ReadConfig(cfgPath)
	if err != nil {
		return nil, step.Permanent(err)
	}
	dataPath, err := dataFile(dataDir)
	if err != nil {
		return nil, step.Permanent(fmt.Errorf("input data: %w", err))
	}
	var pred clarify.Predictor
	if dir, ok := job.Inputs["model"]; ok && dir != "" {
		if pred, err = p.LoadModel(dir); err != nil {
			return nil, step.Permanent(fmt.Errorf("input model: %w", err))
		}
	}
	out, ok := job.OutputDirs["analysis"]
	if !ok {
		return nil, errors.New("output analysis: no directory")
	}
	res, err := clarify.Run(ctx, cfg, dataPath, pred, out, clarify.Options{BaselineDirs: []string{cfgDir, dataDir}})
	if err != nil {
		return nil, step.Permanent(fmt.Errorf("running the Clarify job: %w", err))
	}
	if job.Log != nil {
		fmt.Fprintf(job.Log, "clarify: analysed %d feature(s); wrote %s\n", len(res.Features), clarify.AnalysisFile)
	}
	return nil, nil
}
