// Command ferryprep runs the tabular_prepare processor once, outside the
// engine, for the prepare benchmark (bench/prepare/run.sh):
//
//	go run ./bench/prepare/ferryprep -config examples/fraud-detection/prepare.yaml \
//	    -in /tmp/ferry-bench-prepare -out /tmp/ferry-bench-prepare/ferry-out
//
// It reads the config of the definition's tabular_prepare step, takes each
// input from <in>/<input name>/ and writes the outputs to <out>/<output>/.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ferryml/ferry/internal/prepare"
	"github.com/ferryml/ferry/internal/step/processing"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ferryprep:", err)
		os.Exit(1)
	}
}

func run() error {
	cfgPath := flag.String("config", "examples/fraud-detection/prepare.yaml", "pipeline definition holding a tabular_prepare step")
	in := flag.String("in", "/tmp/ferry-bench-prepare", "directory with one subdirectory per input")
	out := flag.String("out", "/tmp/ferry-bench-prepare/ferry-out", "output directory")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return fmt.Errorf("creating profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("starting profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	b, err := os.ReadFile(*cfgPath)
	if err != nil {
		return fmt.Errorf("reading config: %w", err)
	}
	var doc struct {
		Steps []struct {
			Processor string         `yaml:"processor"`
			Inputs    map[string]any `yaml:"inputs"`
			Config    map[string]any `yaml:"config"`
		} `yaml:"steps"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("parsing %s: %w", *cfgPath, err)
	}
	for _, s := range doc.Steps {
		if s.Processor != prepare.Name {
			continue
		}
		j, err := json.Marshal(s.Config)
		if err != nil {
			return fmt.Errorf("encoding config: %w", err)
		}
		job := processing.Job{Inputs: map[string]string{}, OutputDirs: map[string]string{}}
		if err := json.Unmarshal(j, &job.Config); err != nil {
			return fmt.Errorf("decoding config: %w", err)
		}
		for name := range s.Inputs {
			job.Inputs[name] = filepath.Join(*in, name)
		}
		for _, o := range prepare.New().Outputs() {
			dir := filepath.Join(*out, o.Name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("creating output: %w", err)
			}
			job.OutputDirs[o.Name] = dir
		}
		start := time.Now()
		props, err := prepare.New().Process(context.Background(), job)
		if err != nil {
			return err
		}
		fmt.Printf("ferry prepare: %.2fs %v\n", time.Since(start).Seconds(), props)
		return nil
	}
	return fmt.Errorf("%s has no %s step", *cfgPath, prepare.Name)
}
