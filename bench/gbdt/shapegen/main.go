// Command shapegen writes a synthetic binary-classification CSV of a
// given shape for bench/gbdt/shapes.sh: a header, the label y first, then
// DENSE float features x0, x1, ... (8 significant digits, a fraction
// MISSING of the cells empty) and ONEHOT groups of LEVELS 0/1 indicator
// columns (c<g>_<level>, exactly one 1 per group and row), as a one-hot
// encoded categorical column arrives from tabular_prepare or pandas'
// get_dummies.
//
//	go run ./bench/gbdt/shapegen -rows 200000 -dense 50 -onehot 10 -levels 15 -missing 0.02 -out t.csv
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "shapegen:", err)
		os.Exit(1)
	}
}

func run() (err error) {
	rows := flag.Int("rows", 100000, "rows")
	dense := flag.Int("dense", 20, "dense float features")
	missing := flag.Float64("missing", 0.02, "fraction of the dense cells left empty (missing)")
	onehot := flag.Int("onehot", 0, "one-hot encoded categorical groups")
	levels := flag.Int("levels", 15, "indicator columns per one-hot group")
	out := flag.String("out", "", "output CSV (required)")
	seed := flag.Uint64("seed", 20261205, "random seed")
	flag.Parse()
	if *out == "" || *rows < 1 || *dense < 1 || *onehot < 0 || *levels < 2 {
		return fmt.Errorf("need -out, -rows >= 1, -dense >= 1, -onehot >= 0 and -levels >= 2")
	}
	f, err := os.Create(*out)
	if err != nil {
		return fmt.Errorf("creating output: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("writing %s: %w", *out, cerr)
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	line := []byte("y")
	for j := range *dense {
		line = append(line, ",x"...)
		line = strconv.AppendInt(line, int64(j), 10)
	}
	for g := range *onehot {
		for l := range *levels {
			line = fmt.Appendf(line, ",c%d_%d", g, l)
		}
	}
	line = append(line, '\n')
	if _, err := w.Write(line); err != nil {
		return fmt.Errorf("writing %s: %w", *out, err)
	}
	rng := rand.New(rand.NewPCG(*seed, 1))
	x := make([]float64, *dense)
	lv := make([]int, *onehot)
	// Each level of each group shifts the score by a fixed effect.
	effect := make([]float64, *onehot**levels)
	for i := range effect {
		effect[i] = 0.4 * rng.NormFloat64()
	}
	at := func(j int) float64 { return x[j%*dense] }
	for range *rows {
		for j := range x {
			x[j] = float64(float32(rng.NormFloat64()))
		}
		for g := range lv {
			lv[g] = rng.IntN(*levels)
		}
		// A HIGGS-like mix of linear terms, interactions and thresholds,
		// as gen.py's --csv shape, plus the categorical effects.
		z := 0.8*at(0) - 0.6*at(1) + 0.5*at(2)*at(3) + 0.3*at(5)*at(5) - 0.3 + 0.8*rng.NormFloat64()
		if at(4) > 0.3 {
			z += 0.7
		} else {
			z -= 0.4
		}
		for j := 6; j < min(*dense, 12); j++ {
			z += 0.2 * x[j]
		}
		for g, l := range lv {
			z += effect[g**levels+l]
		}
		line = line[:0]
		if z > 0 {
			line = append(line, '1')
		} else {
			line = append(line, '0')
		}
		for _, v := range x {
			line = append(line, ',')
			if rng.Float64() >= *missing {
				line = strconv.AppendFloat(line, math.Round(v*1e7)/1e7, 'g', 8, 64)
			}
		}
		for _, l := range lv {
			for k := range *levels {
				if k == l {
					line = append(line, ",1"...)
				} else {
					line = append(line, ",0"...)
				}
			}
		}
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return fmt.Errorf("writing %s: %w", *out, err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", *out, err)
	}
	return nil
}
