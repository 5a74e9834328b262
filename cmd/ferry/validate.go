package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ferryml/ferry/internal/pipeline"
	"github.com/ferryml/ferry/internal/sagemaker/definition"
)

// validateProblem is one problem in `ferry validate --output json`.
type validateProblem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Step    string `json:"step,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// validateResult is the JSON report for one file.
type validateResult struct {
	File     string            `json:"file"`
	Valid    bool              `json:"valid"`
	Name     string            `json:"name,omitempty"`
	Steps    int               `json:"steps,omitempty"`
	Digest   string            `json:"digest,omitempty"`
	Problems []validateProblem `json:"problems"`
}

// validateMain is `ferry validate FILE...`: it parses and validates each
// definition against the registered step kinds and prints every problem,
// one per line as file:line:column: step "s": field "f": message. Local
// artifact paths are checked to exist. The exit status is 1 when any file
// has a problem.
func validateMain(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("validate", "[--output text|json] FILE...")
	output := fs.String("output", "text", "output format: text or json")
	m.runtimeFlag(fs)
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *output != "text" && *output != "json" {
		return &exitError{2, fmt.Sprintf("--output %q: want text or json", *output)}
	}
	if len(files) == 0 {
		fs.Usage()
		return &exitError{2, "no definition file given"}
	}
	kinds := m.kindSpecs()
	var results []validateResult
	bad := 0
	for _, file := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		res := validateFile(file, kinds)
		if !res.Valid {
			bad++
		}
		results = append(results, res)
		if *output == "text" {
			if res.Valid {
				fmt.Fprintf(m.Stdout, "%s: valid: pipeline %q, %d steps, digest %.12s\n", file, res.Name, res.Steps, res.Digest)
				continue
			}
			for _, pr := range res.Problems {
				fmt.Fprintln(m.Stdout, formatProblem(pr))
			}
		}
	}
	if *output == "json" {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return fmt.Errorf("writing the report: %w", err)
		}
	}
	if bad > 0 {
		msg := fmt.Sprintf("%d of %d definitions have problems", bad, len(results))
		if len(results) == 1 {
			msg = fmt.Sprintf("%s: %d problems", results[0].File, len(results[0].Problems))
			if len(results[0].Problems) == 1 {
				msg = fmt.Sprintf("%s: 1 problem", results[0].File)
			}
		}
		return &exitError{1, msg}
	}
	return nil
}

func formatProblem(pr validateProblem) string {
	e := &pipeline.ValidationError{File: pr.File, Pos: pipeline.Pos{Line: pr.Line, Column: pr.Column}, Step: pr.Step, Field: pr.Field, Msg: pr.Message}
	return e.Error()
}

// validateFile reads, parses and validates one definition.
func validateFile(file string, kinds pipeline.KindLookup) validateResult {
	res := validateResult{File: file, Problems: []validateProblem{}}
	data, err := os.ReadFile(file)
	if err != nil {
		res.Problems = append(res.Problems, validateProblem{File: file, Message: fmt.Sprintf("reading the definition: %v", err)})
		return res
	}
	p, err := definition.Load(file, data, kinds)
	if p != nil {
		res.Name, res.Steps, res.Digest = p.Name, len(p.Steps), p.Digest
		err = pipeline.MergeErrors(err, localPathProblems(p, kinds))
	}
	var verrs *pipeline.ValidationErrors
	switch {
	case err == nil:
		res.Valid = true
	case errors.As(err, &verrs):
		for _, e := range verrs.Errs {
			res.Problems = append(res.Problems, validateProblem{
				File: e.File, Line: e.Pos.Line, Column: e.Pos.Column, Step: e.Step, Field: e.Field, Message: e.Msg,
			})
		}
	default:
		res.Problems = append(res.Problems, validateProblem{File: file, Message: err.Error()})
	}
	return res
}

// localPathProblems reports artifact arguments naming local paths that do
// not exist (relative paths resolve against the definition's directory).
func localPathProblems(p *pipeline.Pipeline, kinds pipeline.KindLookup) error {
	var errs []*pipeline.ValidationError
	for _, lp := range p.LocalPaths(kinds) {
		path := lp.Path
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(p.File), path)
		}
		if _, err := os.Stat(path); err != nil {
			msg := fmt.Sprintf("local artifact path %q does not exist", lp.Path)
			if !errors.Is(err, os.ErrNotExist) {
				msg = fmt.Sprintf("local artifact path %q: %v", lp.Path, err)
			}
			errs = append(errs, &pipeline.ValidationError{File: p.File, Pos: lp.Pos, Step: lp.Step, Field: lp.Field, Msg: msg})
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &pipeline.ValidationErrors{Errs: errs}
}
