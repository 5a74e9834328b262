package monitor

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// DataBaseline profiles a training data set (CSV with a header row) and
// returns its statistics and suggested constraints. Columns named in
// exclude (a label, say) are left out.
func DataBaseline(r io.Reader, exclude []string) (*Statistics, *Constraints, error) {
	p := NewProfiler(nil)
	if err := p.AddCSV(r); err != nil {
		return nil, nil, err
	}
	st := p.Profile().Statistics
	if len(exclude) > 0 {
		st.Features = slices.DeleteFunc(st.Features, func(f FeatureStatistics) bool { return slices.Contains(exclude, f.Name) })
	}
	if len(st.Features) == 0 {
		return nil, nil, errors.New("the data set has no feature columns")
	}
	return st, SuggestConstraints(st), nil
}

// QualityBaseline computes model-quality metrics on an evaluation set (CSV
// with a header row holding the label and the model's prediction, a score
// for classification) and constraints that allow each metric to get worse
// by tolerance (a fraction of its value).
func QualityBaseline(r io.Reader, problem, label, prediction string, threshold, tolerance float64) (*QualityStatistics, *QualityConstraints, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("reading the CSV header: %w", err)
	}
	li, pi := slices.Index(header, label), slices.Index(header, prediction)
	if li < 0 {
		return nil, nil, fmt.Errorf("the data set has no label column %q", label)
	}
	if pi < 0 {
		return nil, nil, fmt.Errorf("the data set has no prediction column %q", prediction)
	}
	var y, p []float64
	for line := 2; ; line++ {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading CSV: %w", err)
		}
		yv, err := ParseLabel(row[li])
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: %w", line, err)
		}
		pv, err := strconv.ParseFloat(strings.TrimSpace(row[pi]), 64)
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: prediction %q is not a number", line, row[pi])
		}
		y, p = append(y, yv), append(p, pv)
	}
	st, err := QualityMetrics(problem, y, p, threshold)
	if err != nil {
		return nil, nil, err
	}
	return st, SuggestQualityConstraints(st, tolerance), nil
}

// WriteBaseline writes statistics.json and constraints.json into dir.
func WriteBaseline(dir string, statistics, constraints any) error {
	if err := WriteJSON(filepath.Join(dir, StatisticsFile), statistics); err != nil {
		return err
	}
	return WriteJSON(filepath.Join(dir, ConstraintsFile), constraints)
}
