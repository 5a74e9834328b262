// Command ferrymon times Ferry's data-quality monitoring run on the
// benchmark's data: a baseline (statistics.json, constraints.json) from
// the reference CSV, then one run over the hour of captured data: read
// and profile every record, check the constraints and drift, and write
// statistics.json and constraint_violations.json.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/ferryml/ferry/internal/monitor"
)

func main() {
	dir := flag.String("dir", "/tmp/ferry-bench-monitoring", "data directory (bench/monitoring/gen)")
	workers := flag.Int("workers", 0, "profiling workers (0: GOMAXPROCS)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the monitoring run to this file")
	flag.Parse()

	t0 := time.Now()
	f, err := os.Open(filepath.Join(*dir, "reference.csv"))
	if err != nil {
		log.Fatal(err)
	}
	base, cons, err := monitor.DataBaseline(f, nil)
	f.Close()
	if err != nil {
		log.Fatal(err)
	}
	baselineTime := time.Since(t0)
	names := make([]string, len(base.Features))
	for i, x := range base.Features {
		names[i] = x.Name
	}

	out := filepath.Join(*dir, "ferry-out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		log.Fatal(err)
	}
	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	c1 := cpu()
	t1 := time.Now()
	w := monitor.Window{From: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), To: time.Date(2026, 1, 1, 11, 0, 0, 0, time.UTC)}
	p, err := monitor.ProfileCaptures(filepath.Join(*dir, "capture"), "bench-ep", w, names, *workers)
	if err != nil {
		log.Fatal(err)
	}
	prof := p.Profile()
	vs, _ := monitor.Check(prof, base, cons)
	if err := monitor.WriteJSON(filepath.Join(out, monitor.StatisticsFile), prof.Statistics); err != nil {
		log.Fatal(err)
	}
	if err := (monitor.Violations{Violations: vs}).WriteFile(out); err != nil {
		log.Fatal(err)
	}
	runTime, runCPU := time.Since(t1), cpu()-c1
	var drifted []string
	for _, v := range vs {
		drifted = append(drifted, v.FeatureName+" "+v.ConstraintCheckType)
	}
	fmt.Printf("ferry: baseline of the reference %.3f s; data-quality run over %d captured records: wall %.3f s, CPU %.3f s; violations: %s\n",
		baselineTime.Seconds(), prof.Statistics.Dataset.ItemCount, runTime.Seconds(), runCPU.Seconds(), strings.Join(drifted, ", "))
}

// cpu returns the process's user + system CPU time so far.
func cpu() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
