package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferryml/ferry/internal/clarify"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/step/clarifycheck"
)

// cmdClarify runs a Clarify processing job on its own:
// ferry clarify --config analysis_config.json --data data.csv [--model MODEL] --output DIR.
func cmdClarify(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("clarify", "--config analysis_config.json --data data.csv [--model MODEL] --output DIR")
	cfgPath := fs.String("config", "", "Clarify analysis_config.json (required)")
	dataPath := fs.String("data", "", "CSV data set (required)")
	modelArg := fs.String("model", "", "model: a Ferry model folder, an XGBoost model.json, a registered version GROUP/VERSION, or an endpoint URL (http://...)")
	outDir := fs.String("output", "", "output folder for analysis.json, explanations_shap/ and the report (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"--config", *cfgPath}, {"--data", *dataPath}, {"--output", *outDir}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		fs.Usage()
		return &exitError{code: 2, msg: "missing " + strings.Join(missing, ", ")}
	}
	cfg, err := clarify.ReadConfig(*cfgPath)
	if err != nil {
		return err
	}
	var pred clarify.Predictor
	if *modelArg != "" {
		if pred, err = m.clarifyModel(ctx, *modelArg, cfg); err != nil {
			return fmt.Errorf("--model %s: %w", *modelArg, err)
		}
	}
	res, err := clarify.Run(ctx, cfg, *dataPath, pred, *outDir, clarify.Options{BaselineDirs: []string{filepath.Dir(*dataPath)}})
	if errors.Is(err, clarify.ErrModelNeeded) {
		return fmt.Errorf("%w (--model MODEL)", err)
	}
	if err != nil {
		return err
	}
	a := res.Analysis
	fmt.Fprintf(m.Stdout, "wrote %s\n", filepath.Join(*outDir, clarify.AnalysisFile))
	if a.PreTraining != nil {
		fmt.Fprintf(m.Stdout, "  pre-training bias: %d facet(s)\n", len(a.PreTraining.Facets))
	}
	if a.PostTraining != nil {
		fmt.Fprintf(m.Stdout, "  post-training bias: %d facet(s)\n", len(a.PostTraining.Facets))
	}
	if a.Explanations != nil && a.Explanations.KernelSHAP != nil {
		fmt.Fprintf(m.Stdout, "  SHAP: %d feature(s), %d output(s)\n", len(res.Features), len(a.Explanations.KernelSHAP))
	}
	if a.Explanations != nil && a.Explanations.PDP != nil {
		fmt.Fprintf(m.Stdout, "  partial dependence: %d feature(s)\n", len(a.Explanations.PDP))
	}
	name := "report"
	if r := cfg.Methods.Report; r != nil {
		name = r.Name
	}
	fmt.Fprintf(m.Stdout, "report: %s\n", filepath.Join(*outDir, name+".html"))
	return nil
}

// clarifyModel resolves --model: an endpoint URL, a model folder, an
// XGBoost model.json, or a registered version GROUP/VERSION.
func (m *Main) clarifyModel(ctx context.Context, arg string, cfg *clarify.Config) (clarify.Predictor, error) {
	if strings.HasPrefix(arg, "http://") || strings.HasPrefix(arg, "https://") {
		ep := clarify.NewEndpoint(arg)
		if p := cfg.Predictor; p != nil && p.Probability != nil {
			ep.Column = p.Probability.Index
		}
		return ep, nil
	}
	if st, err := os.Stat(arg); err == nil {
		if st.IsDir() {
			return clarifycheck.LoadModelDir(arg)
		}
		return clarifycheck.LoadModelFile(arg)
	}
	ref, err := registry.ParsePackageRef(arg)
	if err != nil {
		return nil, errors.New("not a model folder, a model file, an endpoint URL or a registered version GROUP/VERSION")
	}
	reg, err := m.Registry(ctx)
	if err != nil {
		return nil, err
	}
	v, err := reg.Version(ctx, ref)
	if err != nil {
		return nil, err
	}
	store, err := m.Store()
	if err != nil {
		return nil, err
	}
	dir, err := store.Path(ctx, v.Model)
	if err != nil {
		return nil, fmt.Errorf("model artifact of %s: %w", ref, err)
	}
	return clarifycheck.LoadModelDir(dir)
}
