package cell_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/cell"
)

func TestNumber(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	tests := []struct {
		in      string
		want    float64
		wantErr error
	}{
		{"1.5", 1.5, nil},
		{" 1.5 ", 1.5, nil},
		{"-3", -3, nil},
		{"+2e3", 2000, nil},
		{".5", 0.5, nil},
		{"5.", 5, nil},
		{"", nan, nil},
		{"  ", nan, nil},
		{"NA", nan, nil},
		{" N/A", nan, nil},
		{"NaN", nan, nil},
		{"nan", nan, nil},
		{"-nan", nan, nil},
		{"NULL", nan, nil},
		{"null", nan, nil},
		{"#N/A", nan, nil},
		{"<NA>", nan, nil},
		{"None", 0, cell.ErrNotNumber},
		{"NAN", 0, cell.ErrNotNumber},
		{"abc", 0, cell.ErrNotNumber},
		{"0x10", 0, cell.ErrNotNumber},
		{"1_000", 0, cell.ErrNotNumber},
		{"1e", 0, cell.ErrNotNumber},
		{"1,5", 0, cell.ErrNotNumber},
		{"inf", 0, cell.ErrNotFinite},
		{"-Infinity", 0, cell.ErrNotFinite},
		{"1e999", 0, cell.ErrNotFinite},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := cell.Number(tc.in)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Number(%q) = %v, %v; want error %v", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Number(%q): %v", tc.in, err)
			}
			if math.IsNaN(tc.want) != math.IsNaN(got) || (!math.IsNaN(got) && got != tc.want) {
				t.Errorf("Number(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestFloatKeepsInfinity(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"inf", "-INF", "Infinity", "1e400"} {
		v, err := cell.Float(s)
		if err != nil || !math.IsInf(v, 0) {
			t.Errorf("Float(%q) = %v, %v; want an infinity", s, v, err)
		}
	}
	if _, err := cell.Float("NA"); err == nil {
		t.Error(`Float("NA") succeeded; NA strings are Number's business`)
	}
}

func TestNAValuesMatchIsNA(t *testing.T) {
	t.Parallel()
	for _, s := range cell.NAValues() {
		if !cell.IsNA(s) {
			t.Errorf("IsNA(%q) = false for a member of NAValues", s)
		}
	}
	for _, s := range []string{"None", " NA", "na", "NAN", "0"} {
		if cell.IsNA(s) {
			t.Errorf("IsNA(%q) = true", s)
		}
	}
}

func TestErrorQuotesAtMost100Bytes(t *testing.T) {
	t.Parallel()
	_, err := cell.Number(strings.Repeat("z", 1<<20))
	if err == nil || len(err.Error()) > 200 {
		t.Fatalf("error is %d bytes: %.300v", len(err.Error()), err)
	}
}

func FuzzNumber(f *testing.F) {
	for _, s := range []string{"1.5", "NA", "inf", "0x1p3", " -2e-3 ", "1e999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := cell.Number(s)
		if err != nil {
			return
		}
		if math.IsInf(v, 0) {
			t.Fatalf("Number(%q) = %v: model input must be finite", s, v)
		}
		if math.IsNaN(v) != cell.IsMissing(s) {
			t.Fatalf("Number(%q) = %v but IsMissing = %v", s, v, cell.IsMissing(s))
		}
	})
}
