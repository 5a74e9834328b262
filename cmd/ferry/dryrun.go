package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ferryml/ferry/internal/pipeline"
)

// dryRunStep is one step of `ferry run --dry-run --output json`.
type dryRunStep struct {
	Name  string   `json:"name"`
	Kind  string   `json:"kind"`
	Needs []string `json:"needs,omitempty"`
	// Gate is "CONDITION is true|false" for a step in a condition branch.
	Gate string `json:"gate,omitempty"`
}

// dryRun prints what `ferry run` would run: the steps in the order they
// can start, with what each waits for, after the parameters have been
// checked. Nothing runs and nothing is recorded.
func dryRun(w io.Writer, p *pipeline.Pipeline, params map[string]string, output string) error {
	if _, err := p.CoerceParams(params); err != nil {
		return &exitError{1, fmt.Sprintf("pipeline %q parameters: %v", p.Name, err)}
	}
	var steps []dryRunStep
	for _, st := range p.TopoOrder() {
		s := dryRunStep{Name: st.Name, Kind: st.Kind, Needs: p.Dependencies(st)}
		if cond, branch, ok := p.Gate(st); ok {
			s.Gate = fmt.Sprintf("%s is %t", cond, branch == pipeline.BranchThen)
		}
		steps = append(steps, s)
	}
	if output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Pipeline string       `json:"pipeline"`
			Digest   string       `json:"digest"`
			Steps    []dryRunStep `json:"steps"`
		}{p.Name, p.Digest, steps})
	}
	fmt.Fprintf(w, "pipeline %q (version %.12s): %d steps; dry run, nothing runs\n", p.Name, p.Digest, len(steps))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i, s := range steps {
		var when []string
		if len(s.Needs) > 0 {
			when = append(when, "after "+strings.Join(s.Needs, ", "))
		}
		if s.Gate != "" {
			when = append(when, "if "+s.Gate)
		}
		fmt.Fprintf(tw, "%d.\t%s\t%s\t%s\n", i+1, s.Name, s.Kind, strings.Join(when, "; "))
	}
	return tw.Flush()
}
