package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/gbdt"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/quote"
	"github.com/ferryml/ferry/internal/registry"
	"github.com/ferryml/ferry/internal/step/training"
	"github.com/ferryml/ferry/table"
)

// hyperFlag collects repeated -H name=value flags.
type hyperFlag map[string]any

func (h hyperFlag) String() string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k+"="+fmt.Sprint(h[k]))
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

func (h hyperFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("want name=value, got %q", s)
	}
	h[strings.TrimSpace(name)] = value
	return nil
}

func cmdTrain(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("train", "--algorithm xgboost --train T.csv [--validation V.csv] [-H name=value ...] [--label NAME] [--weight-column NAME] [--categorical F1,F2] [--schema schema.json] --output DIR")
	alg := fs.String("algorithm", training.AlgorithmXGBoost, "learner: "+strings.Join(training.Algorithms(), ", "))
	trainPath := fs.String("train", "", "training CSV with a header, label first unless --label (required)")
	validPath := fs.String("validation", "", "validation CSV, same columns")
	schemaPath := fs.String("schema", "", "tabular_prepare schema.json to record as the model's feature transform")
	label := fs.String("label", "", "label column name (default: the first column)")
	weight := fs.String("weight-column", "", "xgboost: column of sample weights (not a feature; the validation CSV's is used when present)")
	categorical := fs.String("categorical", "", "xgboost: comma-separated names of the categorical features (integer category codes)")
	out := fs.String("output", "", "model directory to write (required)")
	hp := hyperFlag{}
	fs.Var(hp, "H", "hyperparameter name=value (repeatable; XGBoost names for xgboost)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	var missing []string
	if *trainPath == "" {
		missing = append(missing, "--train")
	}
	if *out == "" {
		missing = append(missing, "--output")
	}
	if len(missing) > 0 {
		fs.Usage()
		return &exitError{code: 2, msg: "missing " + strings.Join(missing, ", ")}
	}
	if errs := training.CheckHyperparameters(*alg, hp); len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		return &exitError{code: 2, msg: strings.Join(msgs, "\n")}
	}
	s, err := training.Run(ctx, training.Job{
		Algorithm: *alg, Hyperparameters: hp, Train: *trainPath, Validation: *validPath,
		Schema: *schemaPath, Label: *label, Weight: *weight, Categorical: splitNames(*categorical),
		OutputDir: *out, Log: m.Stderr,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "wrote %s (%s, %d features, label %q)\n", *out, s.Manifest.Flavor, len(s.Manifest.FeatureNames), s.Manifest.Label)
	names := make([]string, 0, len(s.Metrics))
	for k := range s.Metrics {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(m.Stdout, "  %s: %.6g\n", k, s.Metrics[k])
	}
	if s.Manifest.Flavor == training.AlgorithmXGBoost {
		fmt.Fprintf(m.Stdout, "  best_iteration: %d\n", s.BestIteration)
	}
	return nil
}

// splitNames splits a comma-separated list of names, dropping empty ones.
func splitNames(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// marginer is implemented by models with a margin (raw score) output.
type marginer interface {
	NumOutputGroups() int
	PredictMargin(dst, x []float64)
}

func cmdPredict(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("predict", "--model MODEL --data X.csv [--margin] [--contribs] [--all-trees] [--label NAME] [--output OUT.csv]")
	modelPath := fs.String("model", "", "a Ferry model directory, an XGBoost model file (.json, .ubj or the binary format), or a registered version GROUP/VERSION (required)")
	dataPath := fs.String("data", "", "CSV with a header of feature names (required)")
	margin := fs.Bool("margin", false, "write margins (raw scores) instead of predictions")
	contribs := fs.Bool("contribs", false, "write TreeSHAP contributions (one column per feature, then bias)")
	allTrees := fs.Bool("all-trees", false, "XGBoost models: use every tree, not only those up to the best_iteration early stopping recorded")
	label := fs.String("label", "", "a column of the data to ignore (the label)")
	outPath := fs.String("output", "", "output CSV (default: standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if *modelPath == "" || *dataPath == "" {
		fs.Usage()
		return &exitError{code: 2, msg: "missing --model or --data"}
	}
	if *margin && *contribs {
		return &exitError{code: 2, msg: "--margin and --contribs are exclusive"}
	}
	path, err := m.modelPath(ctx, *modelPath)
	if err != nil {
		return err
	}
	md, err := model.LoadFile(path)
	if err != nil {
		return err
	}
	if *allTrees {
		gm, ok := md.Predictor.(*gbdt.Model)
		if !ok {
			return &exitError{code: 2, msg: fmt.Sprintf("--all-trees applies to XGBoost models, not flavor %s", md.Manifest.Flavor)}
		}
		if err := gm.SetAllTrees(true); err != nil {
			return err
		}
	}
	x, n, err := readFeatures(*dataPath, md.Manifest.FeatureNames, *label)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	nf := md.NumFeatures()
	var header []string
	var values []float64
	switch {
	case *contribs:
		ex, ok := md.Predictor.(model.Explainer)
		if !ok {
			return fmt.Errorf("model flavor %s has no TreeSHAP contributions", md.Manifest.Flavor)
		}
		k := md.NumOutputs()
		if mg, ok := md.Predictor.(marginer); ok {
			k = mg.NumOutputGroups()
		}
		for c := range k {
			for _, f := range md.Manifest.FeatureNames {
				header = append(header, classPrefix(k, c)+f)
			}
			header = append(header, classPrefix(k, c)+"bias")
		}
		values = make([]float64, n*k*(nf+1))
		ex.Contribs(values, x)
	case *margin:
		mg, ok := md.Predictor.(marginer)
		if !ok {
			return fmt.Errorf("model flavor %s has no margin output", md.Manifest.Flavor)
		}
		header = numbered("margin", mg.NumOutputGroups())
		values = make([]float64, n*mg.NumOutputGroups())
		mg.PredictMargin(values, x)
	default:
		header = numbered("prediction", md.NumOutputs())
		if md.NumOutputs() > 1 {
			header = numbered("prob", md.NumOutputs())
		}
		values = make([]float64, n*md.NumOutputs())
		md.Predict(values, x)
	}
	var w io.Writer = m.Stdout
	var f *os.File
	if *outPath != "" {
		if f, err = os.Create(*outPath); err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(strings.Join(header, ",") + "\n")
	width := len(header)
	for r := range n {
		for j, v := range values[r*width : (r+1)*width] {
			if j > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		}
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing predictions: %w", err)
	}
	if f != nil {
		return f.Close()
	}
	return nil
}

func classPrefix(k, c int) string {
	if k == 1 {
		return ""
	}
	return strconv.Itoa(c) + ":"
}

func numbered(name string, k int) []string {
	if k == 1 {
		return []string{name}
	}
	out := make([]string, k)
	for i := range out {
		out[i] = name + "_" + strconv.Itoa(i)
	}
	return out
}

// readFeatures reads a CSV with a header and returns its rows with the
// columns in the model's feature order, dropping the label column.
func readFeatures(path string, features []string, label string) ([]float64, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	t, err := table.ReadCSV(bufio.NewReader(f))
	if err != nil {
		return nil, 0, fmt.Errorf("reading %s: %w", path, err)
	}
	if label != "" {
		c := t.Column(label)
		if c < 0 {
			return nil, 0, fmt.Errorf("reading %s: no column %q to drop as --label", path, label)
		}
		_, t = t.Split(c)
	}
	idx := make([]int, len(features))
	for i, name := range features {
		if idx[i] = t.Column(name); idx[i] < 0 {
			return nil, 0, fmt.Errorf("reading %s: no column for model feature %q", path, name)
		}
	}
	if len(t.Names) != len(features) {
		for _, name := range t.Names {
			found := false
			for _, fn := range features {
				found = found || fn == name
			}
			if !found {
				return nil, 0, fmt.Errorf("reading %s: column %q is not a model feature (name the label with --label)", path, name)
			}
		}
	}
	n := t.Rows()
	m := len(t.Names)
	x := make([]float64, 0, n*len(features))
	for r := range n {
		for _, j := range idx {
			x = append(x, t.Data[r*m+j])
		}
	}
	return x, n, nil
}

// modelPath resolves a --model argument that names a model directory, a
// model file or, when no such path exists, a registered version
// GROUP/VERSION (whose model artifact's directory it returns), as
// `ferry clarify --model` does.
func (m *Main) modelPath(ctx context.Context, arg string) (string, error) {
	_, statErr := os.Stat(arg)
	if statErr == nil {
		return arg, nil
	}
	ref, err := registry.ParsePackageRef(arg)
	if err != nil {
		return "", fmt.Errorf("--model %s: not a registered version GROUP/VERSION, and %w", quote.Value(arg), statErr)
	}
	reg, err := m.Registry(ctx)
	if err != nil {
		return "", err
	}
	v, err := reg.Version(ctx, ref)
	if err != nil {
		return "", err
	}
	store, err := m.Store()
	if err != nil {
		return "", err
	}
	dir, err := store.Path(ctx, v.Model)
	if err != nil {
		return "", fmt.Errorf("model artifact of %s: %w", ref, err)
	}
	return dir, nil
}
