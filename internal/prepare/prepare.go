// Package prepare is the tabular_prepare processor: it joins input
// tables, encodes them (ordinal maps, one-hot encoding, fill values),
// splits the rows into train, validation and test sets, and writes them
// in the SageMaker XGBoost convention (label first) together with
// schema.json, the feature transform that serving applies to raw records.
package prepare

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/ferryml/ferry/internal/feature"
	"github.com/ferryml/ferry/internal/frame"
	"github.com/ferryml/ferry/internal/step"
	"github.com/ferryml/ferry/internal/step/processing"
)

// Name is the processor's ID.
const Name = "tabular_prepare"

// version is part of the cache key: bump it when outputs change.
const version = "1+frame/" + frame.Version + "+feature/" + feature.Version

// Output names and the file each output directory holds.
const (
	OutputTrain      = "train"
	OutputValidation = "validation"
	OutputTest       = "test"
	OutputFull       = "full"
	OutputSchema     = "schema"
	SchemaFile       = "schema.json"
)

var outputFiles = map[string]string{
	OutputTrain:      "train",
	OutputValidation: "validation",
	OutputTest:       "test",
	OutputFull:       "dataset",
}

// Property names.
const (
	PropTrainRows      = "train_rows"
	PropValidationRows = "validation_rows"
	PropTestRows       = "test_rows"
	PropFullRows       = "full_rows"
	PropNumFeatures    = "num_features"
)

// Processor is the tabular_prepare processor.
type Processor struct{}

// New returns the processor.
func New() *Processor { return &Processor{} }

// Name returns "tabular_prepare".
func (*Processor) Name() string { return Name }

// Version returns the processor's code version.
func (*Processor) Version() string { return version }

// Inputs declares no fixed inputs: any named tables may be given.
func (*Processor) Inputs() []step.Field { return nil }

// Outputs declares train, validation, test, full and schema.
func (*Processor) Outputs() []step.Field {
	return []step.Field{
		{Name: OutputTrain, Type: step.Artifact, Description: "train.csv: label first, then the features"},
		{Name: OutputValidation, Type: step.Artifact, Description: "validation.csv"},
		{Name: OutputTest, Type: step.Artifact, Description: "test.csv"},
		{Name: OutputFull, Type: step.Artifact, Description: "dataset.csv: every row, in input order"},
		{Name: OutputSchema, Type: step.Artifact, Description: "schema.json: the feature transform"},
	}
}

// ValidateConfig checks the config; errors are *step.FieldError.
func (*Processor) ValidateConfig(config map[string]any) []error {
	_, errs := ParseConfig(config)
	return errs
}

// Process reads the inputs, prepares them and writes the outputs.
func (p *Processor) Process(ctx context.Context, job processing.Job) (map[string]any, error) {
	cfg, errs := ParseConfig(job.Config)
	if len(errs) > 0 {
		return nil, step.Permanent(fmt.Errorf("tabular_prepare config: %w", joinErrs(errs)))
	}
	for name := range job.OutputDirs {
		if _, ok := outputFiles[name]; !ok && name != OutputSchema {
			return nil, step.Permanent(fmt.Errorf("tabular_prepare: unknown output %q", name))
		}
	}
	tables := make(map[string]*frame.Frame, len(job.Inputs))
	for name, dir := range job.Inputs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		f, err := ReadInput(dir, cfg.Inputs[name])
		if err != nil {
			return nil, step.Permanent(fmt.Errorf("reading input %q: %w", name, err))
		}
		tables[name] = f
	}
	res, err := Prepare(ctx, tables, cfg)
	if err != nil {
		return nil, step.Permanent(err)
	}
	if err := res.Write(ctx, job.OutputDirs, cfg); err != nil {
		return nil, err
	}
	return res.Properties(), nil
}

func joinErrs(errs []error) error {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}

// ReadInput reads the table in an input artifact directory: the file
// opts.File, or else its only .csv or .parquet file (searched
// recursively).
func ReadInput(dir string, opts InputConfig) (*frame.Frame, error) {
	path := opts.File
	if path != "" {
		if !filepath.IsLocal(path) {
			return nil, fmt.Errorf("file %q is not a path inside the input", path)
		}
		path = filepath.Join(dir, path)
	} else {
		var found []string
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			ext := strings.ToLower(filepath.Ext(p))
			if !d.IsDir() && (ext == ".csv" || ext == ".parquet") {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("listing input: %w", err)
		}
		switch len(found) {
		case 0:
			return nil, fmt.Errorf("no .csv or .parquet file in the input")
		case 1:
			path = found[0]
		default:
			return nil, fmt.Errorf("%d data files in the input; choose one with file", len(found))
		}
	}
	if strings.EqualFold(filepath.Ext(path), ".parquet") {
		return frame.ReadParquetFile(path)
	}
	return frame.ReadCSVFile(path, frame.CSVOptions{
		NoHeader:    opts.NoHeader,
		Names:       opts.Names,
		NAValues:    opts.NAValues,
		NoDefaultNA: opts.NoDefaultNA,
	})
}

// Result is a prepared dataset.
type Result struct {
	// Full is every row: label first, then the features, in input order.
	Full *frame.Frame
	// Split holds the row indexes of each part in Full.
	Split frame.Split
	// Transform is the feature transform (schema.json).
	Transform *feature.Transform
}

// Properties returns the step properties: row counts and feature count.
func (r *Result) Properties() map[string]any {
	return map[string]any{
		PropTrainRows:      int64(len(r.Split.Train)),
		PropValidationRows: int64(len(r.Split.Validation)),
		PropTestRows:       int64(len(r.Split.Test)),
		PropFullRows:       int64(r.Full.NumRows()),
		PropNumFeatures:    int64(len(r.Transform.Features)),
	}
}

// Write writes the outputs named in dirs (train, validation, test, full,
// schema) into their directories. CSV rows are formatted once, in
// parallel, and the outputs are written concurrently.
func (r *Result) Write(ctx context.Context, dirs map[string]string, cfg Config) error {
	var text *frame.CSVText
	names := slices.Sorted(maps.Keys(dirs))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	defer wg.Wait() // on an early return too: no write outlives the call
	for k, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		dir := dirs[name]
		if name == OutputSchema {
			b, err := json.MarshalIndent(r.Transform, "", "  ")
			if err != nil {
				return fmt.Errorf("encoding schema: %w", err)
			}
			if err := os.WriteFile(filepath.Join(dir, SchemaFile), append(b, '\n'), 0o644); err != nil {
				return fmt.Errorf("writing schema: %w", err)
			}
			continue
		}
		var rows []int // nil: every row
		switch name {
		case OutputTrain:
			rows = r.Split.Train
		case OutputValidation:
			rows = r.Split.Validation
		case OutputTest:
			rows = r.Split.Test
		}
		if rows == nil && name != OutputFull {
			rows = []int{}
		}
		base := filepath.Join(dir, outputFiles[name])
		if cfg.Format == "parquet" {
			f := r.Full
			if rows != nil {
				f = f.Take(rows)
			}
			if err := frame.WriteParquetFile(base+".parquet", f); err != nil {
				return fmt.Errorf("writing output %q: %w", name, err)
			}
			continue
		}
		if text == nil {
			text = frame.FormatCSV(r.Full, 0)
		}
		noHeader := cfg.Header != nil && !*cfg.Header
		wg.Go(func() {
			if err := text.WriteRowsFile(base+".csv", rows, frame.CSVWriteOptions{NoHeader: noHeader}); err != nil {
				errs[k] = fmt.Errorf("writing output %q: %w", name, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
