// Command gbdtbench measures Ferry's boosted trees on the table written by
// gen.py: training time, test AUC, batch prediction rows/s, TreeSHAP
// rows/s and single-row latency. run.sh runs it beside xgb_bench.py.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"github.com/ferryml/ferry/gbdt"
	"github.com/ferryml/ferry/table"
)

const numFeature = 28

// cpuSeconds is the process's user+system CPU time: under a shared,
// oversubscribed machine it is a fairer measure than wall time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// readF32 reads a file of little-endian float32 values as float64, 1 MB
// at a time: the whole file as bytes beside its float64 copy would add
// its size to the process's peak memory.
func readF32(path string) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	out := make([]float64, st.Size()/4)
	buf := make([]byte, 1<<20)
	for i := 0; i < len(out); {
		n := min(len(buf), 4*(len(out)-i))
		if _, err := io.ReadFull(f, buf[:n]); err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		for j := 0; j < n; j += 4 {
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(buf[j:])))
			i++
		}
	}
	return out, nil
}

func main() {
	dir := flag.String("data", "/tmp/gbdtbench", "directory written by gen.py")
	rounds := flag.Int("rounds", 100, "boosting rounds")
	depth := flag.Int("depth", 6, "max_depth")
	threads := flag.Int("nthread", 2, "threads")
	shapRows := flag.Int("shap-rows", 10000, "rows explained with TreeSHAP")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of training")
	out := flag.String("model", "", "write the model JSON here")
	load := flag.String("load", "", "inference mode: read this model file instead of training (train_s=0) and time batch prediction and TreeSHAP only; -cpuprofile then profiles them")
	csvPath := flag.String("csv", "", "whole-job mode: read this CSV (label y first) with table.ReadCSV and train on it, timing the phases")
	small := flag.String("small", "", "small-data mode: DIR with train.csv and valid.csv (label first; bench/tuning/data.py's fraud split), trained -repeat times with validation AUC every round")
	repeat := flag.Int("repeat", 20, "small-data mode: trainings timed (the best is printed)")
	writeCSV := flag.String("write-csv", "", "generator mode: write a CSV of -rows rows of gen.py's training distribution (label y first, 28 features, 7 significant digits, 2% of the last 6 columns empty) to this path")
	csvRows := flag.Int("rows", 10000000, "generator mode: rows")
	flag.Parse()
	if *writeCSV != "" {
		if err := writeScaleCSV(*writeCSV, *csvRows); err != nil {
			fmt.Fprintln(os.Stderr, "gbdtbench:", err)
			os.Exit(1)
		}
		return
	}
	if *small != "" {
		if err := runSmall(*small, *rounds, *depth, *threads, *repeat, *cpuprofile); err != nil {
			fmt.Fprintln(os.Stderr, "gbdtbench:", err)
			os.Exit(1)
		}
		return
	}
	if *csvPath != "" {
		if err := runCSV(*csvPath, *rounds, *depth, *threads, *cpuprofile); err != nil {
			fmt.Fprintln(os.Stderr, "gbdtbench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*dir, *rounds, *depth, *threads, *shapRows, *cpuprofile, *out, *load); err != nil {
		fmt.Fprintln(os.Stderr, "gbdtbench:", err)
		os.Exit(1)
	}
}

func run(dir string, rounds, depth, threads, shapRows int, cpuprofile, out, load string) error {
	runtime.GOMAXPROCS(threads)
	xte, err := readF32(filepath.Join(dir, "test.f32"))
	if err != nil {
		return err
	}
	yte, err := readF32(filepath.Join(dir, "test.y"))
	if err != nil {
		return err
	}
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var m *gbdt.Model
	var trainSec, trainCPU float64
	if load != "" {
		if m, err = gbdt.ReadModelFile(load); err != nil {
			return err
		}
	} else {
		if m, trainSec, trainCPU, err = trainBench(dir, rounds, depth, threads); err != nil {
			return err
		}
		if cpuprofile != "" {
			pprof.StopCPUProfile()
		}
	}
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		if err := m.WriteJSON(f); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return measure(m, xte, yte, shapRows, trainSec, trainCPU)
}

// trainBench trains the benchmark's model on dir's training rows and
// returns it with the wall and CPU seconds taken.
func trainBench(dir string, rounds, depth, threads int) (*gbdt.Model, float64, float64, error) {
	xtr, err := readF32(filepath.Join(dir, "train.f32"))
	if err != nil {
		return nil, 0, 0, err
	}
	ytr, err := readF32(filepath.Join(dir, "train.y"))
	if err != nil {
		return nil, 0, 0, err
	}
	p := gbdt.DefaultParams()
	p.Objective = gbdt.BinaryLogistic
	p.NumRound = rounds
	p.MaxDepth = depth
	p.Eta = 0.3
	p.NThread = threads
	start := time.Now()
	cpu0 := cpuSeconds()
	res, err := gbdt.Train(context.Background(), &table.Dataset{X: xtr, Y: ytr, NumFeature: numFeature}, p)
	if err != nil {
		return nil, 0, 0, err
	}
	return res.Model, time.Since(start).Seconds(), cpuSeconds() - cpu0, nil
}

// measure times batch prediction, single rows and TreeSHAP on the test
// rows and prints the figures line.
func measure(m *gbdt.Model, xte, yte []float64, shapRows int, trainSec, trainCPU float64) error {
	nte := len(yte)
	pred := make([]float64, nte)
	m.Predict(pred, xte) // warm
	best := math.Inf(1)
	cpu0 := cpuSeconds()
	for range 3 {
		start := time.Now()
		m.Predict(pred, xte)
		best = min(best, time.Since(start).Seconds())
	}
	predCPU := (cpuSeconds() - cpu0) / 3
	auc := gbdt.AUC(pred, yte, nil)
	predRate := float64(nte) / best

	// Single row, in process.
	row := make([]float64, 1)
	const reps = 200000
	start := time.Now()
	for i := range reps {
		r := i % nte
		m.PredictRow(row, xte[r*numFeature:(r+1)*numFeature])
	}
	rowNs := float64(time.Since(start).Nanoseconds()) / reps

	shapRows = min(shapRows, nte)
	contribs := make([]float64, shapRows*(numFeature+1))
	start = time.Now()
	cpu0 = cpuSeconds()
	m.Contribs(contribs, xte[:shapRows*numFeature])
	shapRate := float64(shapRows) / time.Since(start).Seconds()
	shapCPU := cpuSeconds() - cpu0

	fmt.Printf("ferry train_s=%.2f train_cpu_s=%.2f test_auc=%.5f predict_rows_per_s=%.0f predict_rows_per_cpu_s=%.0f single_row_us=%.2f shap_rows_per_s=%.0f shap_rows_per_cpu_s=%.0f trees=%d\n",
		trainSec, trainCPU, auc, predRate, float64(nte)/predCPU, rowNs/1000, shapRate, float64(shapRows)/shapCPU, len(m.Trees))
	return nil
}

// runCSV times what `ferry train` does with a CSV: read it, then train
// (no per-round evaluation), and prints the time to the first round's end
// and the mean time of the other rounds.
func runCSV(path string, rounds, depth, threads int, cpuprofile string) error {
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	tab, err := table.ReadCSV(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	data, err := tab.Dataset("", "") // the label is the first column
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	readSec := time.Since(start).Seconds()
	p := gbdt.DefaultParams()
	p.Objective = gbdt.BinaryLogistic
	p.NumRound = rounds
	p.MaxDepth = depth
	p.NThread = threads
	var first time.Duration
	t0 := time.Now()
	progress := gbdt.WithProgress(func(round int, _ map[string]float64) {
		if round == 0 {
			first = time.Since(t0)
		}
	})
	if _, err := gbdt.Train(context.Background(), data, p, progress); err != nil {
		return err
	}
	trainSec := time.Since(t0).Seconds()
	fmt.Printf("ferry-csv read_s=%.3f first_round_s=%.3f round_ms=%.2f train_s=%.3f job_s=%.3f\n",
		readSec, first.Seconds(), (trainSec-first.Seconds())/float64(max(1, rounds-1))*1000, trainSec, time.Since(start).Seconds())
	return nil
}

// runSmall times one tuning trial's training on a small table: the data
// read once, then repeat trainings (eval_metric auc on the validation set
// every round, as small.py does with XGBoost), printing the best wall and
// CPU milliseconds per training.
func runSmall(dir string, rounds, depth, threads, repeat int, cpuprofile string) error {
	read := func(name string) (*table.Dataset, error) {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		tab, err := table.ReadCSV(f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		d, err := tab.Dataset("", "") // the label is the first column
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		return d, nil
	}
	train, err := read("train.csv")
	if err != nil {
		return err
	}
	valid, err := read("valid.csv")
	if err != nil {
		return err
	}
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	p := gbdt.DefaultParams()
	p.Objective = gbdt.BinaryLogistic
	p.NumRound, p.MaxDepth, p.NThread = rounds, depth, threads
	p.EvalMetric = []string{gbdt.MetricAUC}
	bestWall, bestCPU := math.Inf(1), math.Inf(1)
	var auc float64
	for range repeat {
		t0, c0 := time.Now(), cpuSeconds()
		res, err := gbdt.Train(context.Background(), train, p, gbdt.WithEval("validation", valid))
		if err != nil {
			return err
		}
		bestWall = min(bestWall, time.Since(t0).Seconds())
		bestCPU = min(bestCPU, cpuSeconds()-c0)
		auc = res.Metrics["validation-auc"]
	}
	fmt.Printf("ferry small train_ms=%.2f train_cpu_ms=%.2f validation_auc=%.5f\n", bestWall*1000, bestCPU*1000, auc)
	return nil
}

// writeScaleCSV writes rows rows of gen.py's training distribution (its
// make(), with Go's random streams) as a CSV, label y first: the scale
// benchmark's file, written faster than Python formats it.
func writeScaleCSV(path string, rows int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("y")
	for j := range numFeature {
		fmt.Fprintf(w, ",x%d", j)
	}
	w.WriteString("\n")
	rng := rand.New(rand.NewPCG(20261205, 28))
	var x [numFeature]float64
	line := make([]byte, 0, 512)
	for range rows {
		for j := range x {
			x[j] = float64(float32(rng.NormFloat64()))
		}
		z := 0.8*x[0] - 0.6*x[1] + 0.5*x[2]*x[3] + 0.4*math.Sin(2*x[5]) + 0.3*x[6]*x[6] - 0.3 -
			0.5*math.Abs(x[12]) + 0.3*x[13]*x[14] + 0.8*rng.NormFloat64()
		if x[4] > 0.3 {
			z += 0.7
		} else {
			z -= 0.4
		}
		for _, v := range x[7:12] {
			z += 0.25 * v
		}
		line = line[:0]
		if z > 0 {
			line = append(line, '1')
		} else {
			line = append(line, '0')
		}
		for j, v := range x {
			line = append(line, ',')
			if j >= 22 && rng.Float64() < 0.02 {
				continue
			}
			line = strconv.AppendFloat(line, v, 'g', 7, 32)
		}
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
