package cell_test

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/ferryml/ferry/internal/cell"
)

// gbdtRule is the rule training and batch transform used before package
// cell (gbdt.ParseCell: five NA strings, any strconv.ParseFloat syntax),
// kept as the reference for BenchmarkNumber.
func gbdtRule(s string) (float64, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "", "NA", "NaN", "nan", "N/A":
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not finite", s)
	}
	return v, nil
}

var benchCells = []string{"12.3456", "NA", "", "0.1428", "1e3", "-7.25", "142.8571"}

// BenchmarkNumber parses 7 typical cells with package cell's rule and with
// the previous gbdt rule, side by side (docs: README of the fixes report).
func BenchmarkNumber(b *testing.B) {
	for _, bc := range []struct {
		name  string
		parse func(string) (float64, error)
	}{{"cell", cell.Number}, {"gbdt-rule", gbdtRule}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				for _, c := range benchCells {
					if _, err := bc.parse(c); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
