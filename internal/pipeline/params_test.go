package pipeline_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/pipeline"
)

const paramsDef = `version: 1
name: params
parameters:
  auc_threshold:   {type: float,   default: 0.7}
  approval_status: {type: string,  default: Approved, enum: [Approved, PendingManualApproval, Rejected]}
  skip_bias_check: {type: boolean, default: true}
  rounds:          {type: integer, default: 100}
  depth:           {type: integer, enum: [3, 5, 7]}
  version:         {default: 1.0}
steps:
  - {name: a, kind: fail, message: x}
`

func TestCoerceParams(t *testing.T) {
	t.Parallel()
	p, err := pipeline.Parse("params.yaml", []byte(paramsDef))
	if err != nil {
		t.Fatal(err)
	}
	defaults := map[string]any{
		"auc_threshold": 0.7, "approval_status": "Approved", "skip_bias_check": true,
		"rounds": int64(100), "depth": int64(5), "version": "1.0",
	}
	tests := []struct {
		name      string
		overrides map[string]string
		want      map[string]any // changes from defaults
		wantErr   []string       // substrings, one per expected problem
	}{
		{name: "defaults", overrides: map[string]string{"depth": "5"}},
		{name: "float", overrides: map[string]string{"depth": "5", "auc_threshold": "0.85"}, want: map[string]any{"auc_threshold": 0.85}},
		{name: "float from integer text", overrides: map[string]string{"depth": "5", "auc_threshold": "1"}, want: map[string]any{"auc_threshold": 1.0}},
		{name: "integer", overrides: map[string]string{"depth": "7", "rounds": " 250 "}, want: map[string]any{"depth": int64(7), "rounds": int64(250)}},
		{name: "boolean words", overrides: map[string]string{"depth": "5", "skip_bias_check": "FALSE"}, want: map[string]any{"skip_bias_check": false}},
		{name: "boolean digits", overrides: map[string]string{"depth": "5", "skip_bias_check": "0"}, want: map[string]any{"skip_bias_check": false}},
		{name: "string enum", overrides: map[string]string{"depth": "5", "approval_status": "Rejected"}, want: map[string]any{"approval_status": "Rejected"}},
		{name: "string keeps spaces", overrides: map[string]string{"depth": "5", "version": " 2 "}, want: map[string]any{"version": " 2 "}},
		{name: "missing value without default", wantErr: []string{`parameter "depth": no value given and no default (set it with -p depth=VALUE)`}},
		{name: "unknown parameter", overrides: map[string]string{"depth": "5", "thresh": "1"}, wantErr: []string{`parameter "thresh": unknown parameter`}},
		{name: "not an integer", overrides: map[string]string{"depth": "5", "rounds": "1.5"}, wantErr: []string{`parameter "rounds": "1.5" is not an integer`}},
		{name: "not a float", overrides: map[string]string{"depth": "5", "auc_threshold": "high"}, wantErr: []string{`parameter "auc_threshold": "high" is not a finite number`}},
		{name: "not finite", overrides: map[string]string{"depth": "5", "auc_threshold": "NaN"}, wantErr: []string{`"NaN" is not a finite number`}},
		{name: "not a boolean", overrides: map[string]string{"depth": "5", "skip_bias_check": "maybe"}, wantErr: []string{`parameter "skip_bias_check": "maybe" is not a boolean`}},
		{name: "not in string enum", overrides: map[string]string{"depth": "5", "approval_status": "approved"}, wantErr: []string{`parameter "approval_status": "approved" is not one of [Approved, PendingManualApproval, Rejected]`}},
		{name: "not in integer enum", overrides: map[string]string{"depth": "4"}, wantErr: []string{`parameter "depth": "4" is not one of [3, 5, 7]`}},
		{name: "every problem at once", overrides: map[string]string{"rounds": "x", "nope": "1"}, wantErr: []string{`"nope": unknown`, `"rounds": "x"`, `"depth": no value`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := p.CoerceParams(tt.overrides)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("CoerceParams = %v, want errors %q", got, tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				if n := strings.Count(err.Error(), "\n") + 1; n != len(tt.wantErr) {
					t.Errorf("error has %d problems, want %d:\n%v", n, len(tt.wantErr), err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]any{}
			for k, v := range defaults {
				want[k] = v
			}
			for k, v := range tt.want {
				want[k] = v
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("CoerceParams (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParameterDefinitions(t *testing.T) {
	t.Parallel()
	p, err := pipeline.Parse("params.yaml", []byte(paramsDef))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]pipeline.Parameter{}
	for _, pr := range p.Parameters {
		got[pr.Name] = *pr
	}
	want := map[string]pipeline.Parameter{
		"auc_threshold":   {Name: "auc_threshold", Type: pipeline.ParamFloat, Default: 0.7, HasDefault: true, Pos: pipeline.Pos{Line: 4, Column: 3}},
		"approval_status": {Name: "approval_status", Type: pipeline.ParamString, Default: "Approved", HasDefault: true, Enum: []any{"Approved", "PendingManualApproval", "Rejected"}, Pos: pipeline.Pos{Line: 5, Column: 3}},
		"skip_bias_check": {Name: "skip_bias_check", Type: pipeline.ParamBoolean, Default: true, HasDefault: true, Pos: pipeline.Pos{Line: 6, Column: 3}},
		"rounds":          {Name: "rounds", Type: pipeline.ParamInteger, Default: int64(100), HasDefault: true, Pos: pipeline.Pos{Line: 7, Column: 3}},
		"depth":           {Name: "depth", Type: pipeline.ParamInteger, Enum: []any{int64(3), int64(5), int64(7)}, Pos: pipeline.Pos{Line: 8, Column: 3}},
		// A missing type means string; the scalar's text is kept.
		"version": {Name: "version", Type: pipeline.ParamString, Default: "1.0", HasDefault: true, Pos: pipeline.Pos{Line: 9, Column: 3}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parameters (-want +got):\n%s", diff)
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "90s", want: 90 * time.Second},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "1.5h", want: 90 * time.Minute},
		{in: "250ms", want: 250 * time.Millisecond},
		{in: "0s", want: 0},
		{in: "30d", want: 30 * day},
		{in: "2w", want: 14 * day},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "P30D", want: 30 * day},
		{in: "PT1H", want: time.Hour},
		{in: "PT1M30S", want: 90 * time.Second},
		{in: "PT0.5S", want: 500 * time.Millisecond},
		{in: "P1Y", want: 365 * day},
		{in: "P30M", want: 900 * day},
		{in: "P1W", want: 7 * day},
		{in: "P1DT12H", want: 36 * time.Hour},
		{in: "5y", want: 5 * 365 * day},
		{in: "T16m", want: 16 * time.Minute},
		{in: "30dT5h", want: 30*day + 5*time.Hour},
		{in: "", wantErr: "empty duration"},
		{in: "600", wantErr: `duration "600" has no unit (write for example 600s)`},
		{in: "10 minutes", wantErr: `bad duration "10 minutes"`},
		{in: "P", wantErr: `bad duration "P"`},
		{in: "PT", wantErr: `bad duration "PT"`},
		{in: "-5s", wantErr: `bad duration "-5s"`},
		{in: "1h-5m", wantErr: `bad duration "1h-5m"`},
		{in: "3000000000h", wantErr: "is too long"},
		{in: "P99999999999Y", wantErr: "is too long"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := pipeline.ParseDuration(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseDuration(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			// FormatDuration writes a form that reads back to the same value.
			back, err := pipeline.ParseDuration(pipeline.FormatDuration(got))
			if err != nil || back != got {
				t.Errorf("ParseDuration(FormatDuration(%v) = %q) = %v, %v", got, pipeline.FormatDuration(got), back, err)
			}
		})
	}
}
