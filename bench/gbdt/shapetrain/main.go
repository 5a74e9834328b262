// Command shapetrain is job.py's phases in Go, for bench/gbdt/shapes.sh:
// it reads a CSV with table.ReadCSV (label y), builds the dataset and
// trains with gbdt.Train (binary:logistic, depth 6, ROUNDS rounds, the
// other parameters at their defaults, no evaluation sets, as
// xgboost.train without evals), and prints the time of each phase, so
// that training alone can be compared beside the whole `ferry train` job.
//
//	go run ./bench/gbdt/shapetrain TRAIN.csv ROUNDS
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/ferryml/ferry/gbdt"
	"github.com/ferryml/ferry/table"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "shapetrain:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) != 3 {
		return fmt.Errorf("usage: shapetrain TRAIN.csv ROUNDS")
	}
	rounds, err := strconv.Atoi(os.Args[2])
	if err != nil {
		return fmt.Errorf("rounds: %w", err)
	}
	t0 := time.Now()
	f, err := os.Open(os.Args[1])
	if err != nil {
		return fmt.Errorf("opening data: %w", err)
	}
	defer f.Close()
	t, err := table.ReadCSV(f)
	if err != nil {
		return fmt.Errorf("reading %s: %w", os.Args[1], err)
	}
	t1 := time.Now()
	d, err := t.Dataset("y", "")
	if err != nil {
		return fmt.Errorf("building the dataset: %w", err)
	}
	t2 := time.Now()
	p := gbdt.DefaultParams()
	for k, v := range map[string]string{"objective": "binary:logistic", "max_depth": "6", "num_round": strconv.Itoa(rounds)} {
		if err := p.Set(k, v); err != nil {
			return fmt.Errorf("setting %s: %w", k, err)
		}
	}
	if _, err := gbdt.Train(context.Background(), d, p); err != nil {
		return fmt.Errorf("training: %w", err)
	}
	t3 := time.Now()
	fmt.Printf("ferry-go read_s=%.3f prepare_s=%.3f train_s=%.3f job_s=%.3f\n",
		t1.Sub(t0).Seconds(), t2.Sub(t1).Seconds(), t3.Sub(t2).Seconds(), t3.Sub(t0).Seconds())
	return nil
}
