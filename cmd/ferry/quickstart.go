package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ferryml/ferry/examples"
	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/run"
	"github.com/ferryml/ferry/internal/serving"
)

// The tutorial's names (seed-tutorial.md §1.1).
const (
	quickstartExample  = "fraud-detection"
	quickstartGroup    = "fraud-detect-xgb-model-group"
	quickstartEndpoint = "fraud-detect-xgb-pipeline-endpoint"
	quickstartRows     = 5
)

// quickstartFirstRunFlags are the tutorial's four first-run flags: with no
// baseline registered yet, the checks are skipped and their results become
// the new baselines.
var quickstartFirstRunFlags = []string{
	"skip_model_bias_check", "register_new_model_bias_baseline",
	"skip_model_explainability_check", "register_new_model_explainability_baseline",
}

// cmdQuickstart is `ferry quickstart`: the fraud-detection tutorial end to
// end on embedded defaults, then the tutorial's call of the endpoint.
func cmdQuickstart(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("quickstart", "[--example DIR] [-p name=value ...]")
	dir := fs.String("example", "", "the fraud-detection example folder (default: the copy built into ferry, written to $FERRY_HOME/examples)")
	params := paramFlags{}
	fs.Var(params, "p", "set a pipeline parameter, name=value (repeatable)")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	start := time.Now()
	if *dir == "" {
		var err error
		if *dir, err = m.unpackExample(quickstartExample); err != nil {
			return err
		}
	}
	file := filepath.Join(*dir, "pipeline.yaml")
	src, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("reading the example pipeline: %w", err)
	}
	p, err := m.loadPipeline(file, src)
	if err != nil {
		return err
	}
	reg, err := m.Registry(ctx)
	if err != nil {
		return err
	}
	// The checks can compare only when both baselines exist.
	hasBaseline := true
	for _, key := range []string{"bias_post_training_constraints", "explainability_constraints"} {
		_, ok, err := reg.LatestApprovedBaseline(ctx, quickstartGroup, key)
		if err != nil {
			return err
		}
		hasBaseline = hasBaseline && ok
	}
	if hasBaseline {
		fmt.Fprintf(m.Stdout, "Running %s: the bias and explainability checks compare against the baselines of the latest approved version of %s.\n\n", p.Name, quickstartGroup)
	} else {
		fmt.Fprintf(m.Stdout, "Running %s (first run in %s: the checks are skipped and register new baselines, as in the tutorial's first run).\n\n", p.Name, m.Home())
		for _, name := range quickstartFirstRunFlags {
			if _, set := params[name]; !set {
				params[name] = "true"
			}
		}
	}
	eng, es, err := m.engine(ctx)
	if err != nil {
		return err
	}
	var ex *run.Execution
	err = m.execute(ctx, es, p, "text", engine.RunOptions{Source: src, Params: params}, func(opts engine.RunOptions) (*run.Execution, error) {
		ex, err = eng.Run(ctx, p, opts)
		return ex, err
	})
	if err != nil {
		return err
	}
	steps, err := es.StepRuns(ctx, ex.ID)
	if err != nil {
		return err
	}
	byName := make(map[string]*run.StepRun, len(steps))
	for _, s := range steps {
		byName[s.Step] = s
	}

	store, err := m.Store()
	if err != nil {
		return err
	}
	rows, labels, err := firstTestRows(ctx, store, byName["prepare"], quickstartRows)
	if err != nil {
		return err
	}
	preds, err := m.invokeOverHTTP(ctx, reg, quickstartEndpoint, rows)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "\nThe endpoint %s answered the first %d test rows (CSV, label dropped):\n\n", quickstartEndpoint, len(rows))
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 3, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tPrediction\tLabel\t")
	for i := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%s\t\n", i, preds[i], labels[i])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	m.quickstartSummary(ctx, reg, store, ex, byName, time.Since(start))
	return nil
}

// unpackExample writes the embedded example folder under
// $FERRY_HOME/examples and returns its path. Files already there with the
// same content are left alone, so their modification times (and the
// artifacts made from them) stay put.
func (m *Main) unpackExample(name string) (string, error) {
	root := filepath.Join(m.Home(), "examples")
	err := fs.WalkDir(examples.FS, name, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(root, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := examples.FS.ReadFile(p)
		if err != nil {
			return err
		}
		if old, err := os.ReadFile(dst); err == nil && bytes.Equal(old, data) {
			return nil
		}
		tmp := dst + ".tmp"
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			return err
		}
		return os.Rename(tmp, dst)
	})
	if err != nil {
		return "", fmt.Errorf("writing the %s example to %s: %w", name, root, err)
	}
	return filepath.Join(root, name), nil
}

// firstTestRows reads the prepare step's test split and returns its first
// n rows with the label (column 0) dropped, and the labels.
func firstTestRows(ctx context.Context, store artifact.Store, prep *run.StepRun, n int) (rows, labels []string, err error) {
	if prep == nil {
		return nil, nil, errors.New("the execution has no prepare step")
	}
	ref, ok := prep.Outputs["test"]
	if !ok {
		return nil, nil, errors.New("the prepare step has no test output")
	}
	dir, err := store.Path(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.Open(filepath.Join(dir, "test.csv"))
	if err != nil {
		return nil, nil, fmt.Errorf("reading the test split: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	header := true
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if header {
			header = false
			continue
		}
		label, rest, ok := strings.Cut(line, ",")
		if !ok {
			return nil, nil, fmt.Errorf("test.csv line %d: no feature columns", len(rows)+2)
		}
		labels = append(labels, label)
		rows = append(rows, rest)
		if len(rows) == n {
			break
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading the test split: %w", err)
	}
	return rows, labels, nil
}

// invokeOverHTTP serves the home's endpoints on a loopback port, as
// `ferry server` does, and sends rows as one text/csv request, as the
// tutorial's Predictor does. It returns one prediction per row.
func (m *Main) invokeOverHTTP(ctx context.Context, reg *registry.Registry, endpoint string, rows []string) ([]string, error) {
	store, err := m.Store()
	if err != nil {
		return nil, err
	}
	srv, err := serving.NewServer(servingLoader(store), serving.Options{Logger: m.Logger})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	if err := srv.Sync(ctx, reg); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	srv.Routes(mux)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on loopback: %w", err)
	}
	hs := &http.Server{Handler: serving.Recover(mux, m.Logger), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln) //nolint:errcheck // Close below ends it
	defer hs.Close()

	url := "http://" + ln.Addr().String() + "/endpoints/" + endpoint + "/invocations"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(strings.Join(rows, "\n")+"\n"))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Accept", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoking %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("invoking %s: %w", endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("invoking %s: %s: %s", endpoint, resp.Status, strings.TrimSpace(string(body)))
	}
	var preds []string
	for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		line = strings.TrimSpace(line)
		if _, err := strconv.ParseFloat(line, 64); err != nil {
			return nil, fmt.Errorf("invoking %s: answer %q is not a number", endpoint, line)
		}
		preds = append(preds, line)
	}
	if len(preds) != len(rows) {
		return nil, fmt.Errorf("invoking %s: %d answers for %d rows", endpoint, len(preds), len(rows))
	}
	return preds, nil
}

// quickstartSummary prints where the results are and what to run next.
func (m *Main) quickstartSummary(ctx context.Context, reg *registry.Registry, store artifact.Store, ex *run.Execution, steps map[string]*run.StepRun, took time.Duration) {
	w := m.Stdout
	fmt.Fprintf(w, "\nDone in %s.\n\n", took.Round(10*time.Millisecond))
	if s := steps["evaluate"]; s != nil {
		if auc, ok := jsonPath(s.Properties, "evaluation", "classification_metrics", "roc_auc", "value").(float64); ok {
			fmt.Fprintf(w, "%-30s %.4f (the condition asks for >= the auc_threshold parameter, 0.7 by default)\n", "Test ROC-AUC:", auc)
		}
		if ref, ok := s.Outputs["evaluation"]; ok {
			if dir, err := store.Path(ctx, ref); err == nil {
				fmt.Fprintf(w, "%-30s %s\n", "Evaluation:", filepath.Join(dir, "evaluation.json"))
			}
		}
	}
	for _, name := range []string{"model-bias-check", "explainability-check"} {
		s := steps[name]
		if s == nil {
			continue
		}
		if ref, ok := s.Outputs["analysis"]; ok {
			if dir, err := store.Path(ctx, ref); err == nil {
				fmt.Fprintf(w, "%-30s %s\n", name+" report:", filepath.Join(dir, "report.html"))
			}
		}
	}
	version := ""
	if s := steps["register"]; s != nil {
		if v, ok := s.Properties["model_package_arn"].(string); ok {
			version = v
			fmt.Fprintf(w, "%-30s %s\n", "Model version:", v)
		}
	}
	if ep, err := reg.Endpoint(ctx, quickstartEndpoint); err == nil {
		fmt.Fprintf(w, "%-30s %s (%s)\n", "Endpoint:", ep.Name, ep.Status)
	}
	fmt.Fprintf(w, "\nLook around (FERRY_HOME=%s):\n", m.Home())
	fmt.Fprintf(w, "  ferry steps %s\n", ex.ID)
	fmt.Fprintf(w, "  ferry logs %s model-bias-check\n", ex.ID)
	fmt.Fprintf(w, "  ferry models list %s\n", quickstartGroup)
	if version != "" {
		fmt.Fprintf(w, "  ferry models show %s\n", version)
	}
	fmt.Fprintf(w, "  ferry endpoints show %s\n", quickstartEndpoint)
	fmt.Fprintf(w, "  ferry server        # then: curl -H 'Content-Type: text/csv' --data-binary @rows.csv http://127.0.0.1:8080/endpoints/%s/invocations\n", quickstartEndpoint)
	fmt.Fprintf(w, "Run ferry quickstart again: the checks then compare against this version's baselines.\n")
}

// jsonPath walks nested JSON objects; it returns nil when a key is missing.
func jsonPath(v any, keys ...string) any {
	for _, k := range keys {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = obj[k]
	}
	return v
}
