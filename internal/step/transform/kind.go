// Package transform is the `transform` step kind, Ferry's counterpart of
// SageMaker's batch transform: it runs a model over every row of a CSV
// dataset and outputs the predictions as an artifact.
//
// # Arguments
//
//   - model (required): a Ferry model directory (model.Load).
//   - data (required): a directory holding exactly one .csv file.
//   - header (default true): the CSV's first row is a header. With a
//     header, columns are matched to the model's feature names by name
//     (other columns are ignored); without one, each row must hold exactly
//     the model's features, in order.
//   - label: the name of a column to drop before predicting (for example
//     the label of a test split); it needs a header.
//   - output_format: "csv" (the only format).
//   - join_source (default false): each output row is the input row
//     followed by the prediction(s), like SageMaker's join_source=Input.
//
// Cells follow the model-input rule of package cell, as the endpoints
// do: pandas' default NA strings (empty, NA, N/A, NaN, nan, NULL, ...)
// are missing values (NaN). A feature cell that is not a finite number, a row whose column count differs from
// the first row's, or a feature column missing from the header fails the
// step permanently, naming the row (1-based, counting the header) and
// column.
//
// # Outputs and properties
//
// predictions: a directory holding predictions.csv. Its header is
// `prediction` (one output) or `prediction_0` .. `prediction_<K-1>` (K
// outputs, the class probabilities of a multi-class model); with
// join_source it is the input header followed by those, and when the input
// has no header neither does the output. Property rows is the number of
// data rows predicted.
package transform

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ferryml/ferry/internal/artifact"
	"github.com/ferryml/ferry/internal/cell"
	"github.com/ferryml/ferry/internal/frame"
	"github.com/ferryml/ferry/internal/model"
	"github.com/ferryml/ferry/internal/quote"
	"github.com/ferryml/ferry/internal/step"
)

// ID is the kind's stable ID.
const ID = "transform"

// version is part of the cache key: bump it when outputs change.
const version = "1+" + model.Version + "+frame/" + frame.Version

// Argument, output and property names.
const (
	ArgModel        = "model"
	ArgData         = "data"
	ArgHeader       = "header"
	ArgLabel        = "label"
	ArgOutputFormat = "output_format"
	ArgJoinSource   = "join_source"

	OutputPredictions = "predictions"
	PredictionsFile   = "predictions.csv"

	PropRows = "rows"
)

// FormatCSV is the only output format.
const FormatCSV = "csv"

// BatchSize is the number of rows passed to each Predict call.
const BatchSize = 4096

// Kind is the transform step kind.
type Kind struct{}

// New returns the kind.
func New() *Kind { return &Kind{} }

// Spec declares the kind.
func (*Kind) Spec() step.Spec {
	return step.Spec{
		Kind:        ID,
		Description: "Batch inference: runs a model over a CSV dataset and outputs the predictions (SageMaker batch transform).",
		Version:     version,
		Args: []step.Field{
			{Name: ArgModel, Type: step.Artifact, Required: true, Description: "a Ferry model directory"},
			{Name: ArgData, Type: step.Artifact, Required: true, Description: "a directory holding one .csv file"},
			{Name: ArgHeader, Type: step.Boolean, Default: true, Description: "the CSV has a header row; columns are then matched to the model's features by name"},
			{Name: ArgLabel, Type: step.String, Description: "a column to drop before predicting (needs a header)"},
			{Name: ArgOutputFormat, Type: step.String, Default: FormatCSV, Enum: []string{FormatCSV}, Description: "output format"},
			{Name: ArgJoinSource, Type: step.Boolean, Default: false, Description: "output each input row followed by its prediction(s)"},
		},
		Outputs: []step.Field{
			{Name: OutputPredictions, Type: step.Artifact, Description: "directory holding predictions.csv"},
		},
		Properties: []step.Field{
			{Name: PropRows, Type: step.Integer, Description: "number of rows predicted"},
		},
	}
}

// options are the decoded arguments.
type options struct {
	header, join bool
	label        string
}

// Run predicts every row of the data and stores predictions.csv.
func (*Kind) Run(ctx context.Context, env step.Env, req step.Request) (step.Result, error) {
	opts := options{header: true}
	if v, ok := req.Args[ArgHeader]; ok && v != nil {
		b, ok := v.(bool)
		if !ok {
			return step.Result{}, step.Permanent(fmt.Errorf("transform: %s: want a boolean, got %T", ArgHeader, v))
		}
		opts.header = b
	}
	if v, ok := req.Args[ArgJoinSource]; ok && v != nil {
		b, ok := v.(bool)
		if !ok {
			return step.Result{}, step.Permanent(fmt.Errorf("transform: %s: want a boolean, got %T", ArgJoinSource, v))
		}
		opts.join = b
	}
	if v, ok := req.Args[ArgLabel]; ok && v != nil {
		s, ok := v.(string)
		if !ok {
			return step.Result{}, step.Permanent(fmt.Errorf("transform: %s: want a string, got %T", ArgLabel, v))
		}
		opts.label = s
	}
	if v, ok := req.Args[ArgOutputFormat]; ok && v != nil && v != FormatCSV {
		return step.Result{}, step.Permanent(fmt.Errorf("transform: %s: unsupported format %v (want %q)", ArgOutputFormat, v, FormatCSV))
	}
	if opts.label != "" && !opts.header {
		return step.Result{}, step.Permanent(fmt.Errorf("transform: %s %q needs %s: true (columns are matched by name)", ArgLabel, opts.label, ArgHeader))
	}

	modelDir, err := inputDir(ctx, env.Store, req.Args, ArgModel)
	if err != nil {
		return step.Result{}, err
	}
	dataDir, err := inputDir(ctx, env.Store, req.Args, ArgData)
	if err != nil {
		return step.Result{}, err
	}
	m, err := model.Load(modelDir)
	if err != nil {
		return step.Result{}, step.Permanent(fmt.Errorf("transform: %w", err))
	}
	csvPath, err := findCSV(dataDir)
	if err != nil {
		return step.Result{}, step.Permanent(fmt.Errorf("transform: %s: %w", ArgData, err))
	}

	outDir := filepath.Join(env.WorkDir, "outputs", OutputPredictions)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return step.Result{}, fmt.Errorf("transform: %w", err)
	}
	in, err := os.Open(csvPath)
	if err != nil {
		return step.Result{}, fmt.Errorf("transform: %w", err)
	}
	defer in.Close()
	out, err := os.Create(filepath.Join(outDir, PredictionsFile))
	if err != nil {
		return step.Result{}, fmt.Errorf("transform: %w", err)
	}
	defer out.Close()
	bw := bufio.NewWriter(out)
	rows, err := transform(ctx, m, in, bw, opts)
	if err != nil {
		if ctx.Err() != nil {
			return step.Result{}, fmt.Errorf("transform: %w", err)
		}
		return step.Result{}, step.Permanent(fmt.Errorf("transform: %s: %w", filepath.Base(csvPath), err))
	}
	if err := bw.Flush(); err != nil {
		return step.Result{}, fmt.Errorf("transform: writing %s: %w", PredictionsFile, err)
	}
	if err := out.Close(); err != nil {
		return step.Result{}, fmt.Errorf("transform: writing %s: %w", PredictionsFile, err)
	}
	if env.Logger != nil {
		env.Logger.Info("batch transform done", "rows", rows, "features", m.NumFeatures(), "outputs", m.NumOutputs())
	}
	if env.Log != nil {
		fmt.Fprintf(env.Log, "transform: predicted %d rows\n", rows)
	}
	ref, err := env.Store.PutDir(ctx, outDir)
	if err != nil {
		return step.Result{}, fmt.Errorf("transform: storing predictions: %w", err)
	}
	return step.Result{
		Outputs:    map[string]artifact.Ref{OutputPredictions: ref},
		Properties: map[string]any{PropRows: int64(rows)},
	}, nil
}

// transform reads the CSV from r, predicts in batches and writes the
// output CSV to w. It returns the number of data rows.
func transform(ctx context.Context, m *model.Model, r io.Reader, w io.Writer, opts options) (int, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // checked here, to name the row
	cw := csv.NewWriter(w)
	nf, nout := m.NumFeatures(), m.NumOutputs()

	predNames := make([]string, nout)
	if nout == 1 {
		predNames[0] = "prediction"
	} else {
		for k := range predNames {
			predNames[k] = fmt.Sprintf("prediction_%d", k)
		}
	}

	// cols[j] is the CSV column of feature j.
	cols := make([]int, nf)
	width := -1
	rowNum := 0 // 1-based record number, counting the header
	var header []string
	if opts.header {
		rec, err := cr.Read()
		if err == io.EOF {
			return 0, errors.New("empty CSV: no header row")
		}
		if err != nil {
			return 0, fmt.Errorf("reading CSV: %w", err)
		}
		rowNum = 1
		header = rec
		width = len(rec)
		if cols, err = matchColumns(header, m.Manifest.FeatureNames, nf, opts.label); err != nil {
			return 0, err
		}
		if opts.join {
			err = cw.Write(append(append([]string(nil), header...), predNames...))
		} else {
			err = cw.Write(predNames)
		}
		if err != nil {
			return 0, err
		}
	} else {
		for j := range cols {
			cols[j] = j
		}
		if !opts.join {
			if err := cw.Write(predNames); err != nil {
				return 0, err
			}
		}
	}

	x := make([]float64, 0, BatchSize*nf)
	dst := make([]float64, BatchSize*nout)
	batch := make([][]string, 0, BatchSize) // the batch's source rows, for join_source
	outRec := make([]string, 0, nout)
	rows := 0
	flush := func() error {
		n := len(batch)
		if n == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		m.Predict(dst[:n*nout], x)
		for i := range n {
			outRec = outRec[:0]
			if opts.join {
				outRec = append(outRec, batch[i]...)
			}
			for _, v := range dst[i*nout : (i+1)*nout] {
				outRec = append(outRec, strconv.FormatFloat(v, 'g', -1, 64))
			}
			if err := cw.Write(outRec); err != nil {
				return err
			}
		}
		rows += n
		x = x[:0]
		batch = batch[:0]
		return nil
	}

	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("reading CSV: %w", err)
		}
		rowNum++
		if width < 0 {
			width = len(rec)
			if width != nf {
				return 0, fmt.Errorf("row %d has %d columns; without a header each row must hold the model's %d features in order", rowNum, width, nf)
			}
		}
		if len(rec) != width {
			return 0, fmt.Errorf("row %d has %d columns, want %d", rowNum, len(rec), width)
		}
		for _, c := range cols {
			v, err := cell.Number(rec[c])
			if err != nil {
				return 0, fmt.Errorf("row %d, column %s: %w", rowNum, columnName(header, c), err)
			}
			x = append(x, v)
		}
		batch = append(batch, rec)
		if len(batch) == BatchSize {
			if err := flush(); err != nil {
				return 0, err
			}
		}
	}
	if err := flush(); err != nil {
		return 0, err
	}
	cw.Flush()
	return rows, cw.Error()
}

// matchColumns maps each model feature to its column in header. Without
// feature names in the manifest, the columns other than label are taken
// in order.
func matchColumns(header, features []string, nf int, label string) ([]int, error) {
	labelCol := -1
	if label != "" {
		for i, h := range header {
			if strings.TrimSpace(h) == label {
				labelCol = i
				break
			}
		}
		if labelCol < 0 {
			return nil, fmt.Errorf("label column %q is not in the header", label)
		}
	}
	cols := make([]int, nf)
	if len(features) == 0 {
		j := 0
		for i := range header {
			if i == labelCol {
				continue
			}
			if j < nf {
				cols[j] = i
			}
			j++
		}
		if j != nf {
			return nil, fmt.Errorf("the header has %d feature columns, the model takes %d (and names none)", j, nf)
		}
		return cols, nil
	}
	index := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		if i == labelCol {
			continue
		}
		if _, dup := index[h]; dup {
			index[h] = -1 // ambiguous
			continue
		}
		index[h] = i
	}
	var missing []string
	for j, f := range features {
		i, ok := index[f]
		switch {
		case !ok:
			missing = append(missing, strconv.Quote(f))
		case i < 0:
			return nil, fmt.Errorf("feature column %q appears more than once in the header", f)
		default:
			cols[j] = i
		}
	}
	if len(missing) > 0 {
		s := "s"
		if len(missing) == 1 {
			s = ""
		}
		return nil, fmt.Errorf("missing feature column%s %s (the model's features: %s)", s, strings.Join(missing, ", "), strings.Join(features, ", "))
	}
	return cols, nil
}

// columnName names column c (0-based) for an error: its header name and
// 1-based number, or just the number.
func columnName(header []string, c int) string {
	if c < len(header) {
		return fmt.Sprintf("%d (%s)", c+1, quote.Value(header[c]))
	}
	return strconv.Itoa(c + 1)
}

// inputDir resolves the artifact argument name to a local directory.
func inputDir(ctx context.Context, store artifact.Store, args map[string]any, name string) (string, error) {
	var ref artifact.Ref
	switch x := args[name].(type) {
	case artifact.Ref:
		ref = x
	case string:
		r, err := artifact.ParseRef(x)
		if err != nil {
			return "", step.Permanent(fmt.Errorf("transform: %s: %w", name, err))
		}
		ref = r
	case nil:
		return "", step.Permanent(fmt.Errorf("transform: %s: required", name))
	default:
		return "", step.Permanent(fmt.Errorf("transform: %s: want an artifact reference, got %T", name, x))
	}
	dir, err := store.Path(ctx, ref)
	if err != nil {
		return "", fmt.Errorf("transform: %s: %w", name, err)
	}
	return dir, nil
}

// findCSV returns the only .csv file in dir (searched recursively).
func findCSV(dir string) (string, error) {
	var found []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(strings.ToLower(d.Name()), ".csv") {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	switch len(found) {
	case 0:
		return "", errors.New("no .csv file in the artifact")
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%d .csv files in the artifact; want exactly one", len(found))
}

// Interface guard.
var _ step.Kind = (*Kind)(nil)
