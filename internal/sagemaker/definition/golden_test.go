package definition

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/pipeline"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The SageMaker SDK built these definitions (testdata/sdk/make_definitions.py).
var sdkDefinitions = []string{"tutorial", "every_step", "tuning"}

// TestSDKDefinitionsGolden translates and validates each definition the
// SDK built and compares the resulting pipeline with its golden dump.
func TestSDKDefinitionsGolden(t *testing.T) {
	t.Parallel()
	for _, name := range sdkDefinitions {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join("testdata", name+".json")
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !IsDefinition(data) {
				t.Fatalf("IsDefinition(%s) = false", file)
			}
			p, err := Load(file, data, newStubKinds())
			if err != nil {
				t.Fatalf("Load(%s): %v", file, err)
			}
			got, err := json.MarshalIndent(dump(p), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			compareGolden(t, filepath.Join("testdata", "golden", name+".golden"), string(got)+"\n")
		})
	}
}

// TestInvalidGolden loads every broken definition in testdata/invalid and
// compares the full list of problems with its .golden file.
func TestInvalidGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/invalid/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 15 {
		t.Errorf("only %d invalid definitions; want at least 15", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Base(file)
			_, err = Load(name, data, newStubKinds())
			var verrs *pipeline.ValidationErrors
			if !errors.As(err, &verrs) {
				t.Fatalf("Load(%s) = %v, want *pipeline.ValidationErrors", name, err)
			}
			for _, e := range verrs.Errs {
				if e.File != name || e.Pos.Line == 0 {
					t.Errorf("problem %q is not located in %s", e.Error(), name)
				}
			}
			golden := strings.TrimSuffix(file, ".json") + ".golden"
			compareGolden(t, golden, err.Error()+"\n")
		})
	}
}

func compareGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("differs from %s (-want +got):\n%s", golden, diff)
	}
}

// pipelineDump is what the golden files hold of a translated pipeline.
type pipelineDump struct {
	Name        string      `json:"name"`
	Digest      string      `json:"digest"`
	Parallelism int         `json:"parallelism,omitempty"`
	Parameters  []paramDump `json:"parameters"`
	Steps       []stepDump  `json:"steps"`
}

type paramDump struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Default any    `json:"default,omitempty"`
	Enum    []any  `json:"enum,omitempty"`
}

type stepDump struct {
	Name          string                           `json:"name"`
	Kind          string                           `json:"kind"`
	Line          int                              `json:"line"`
	Needs         []string                         `json:"needs,omitempty"`
	DependsOn     []string                         `json:"depends_on,omitempty"`
	If            string                           `json:"if,omitempty"`
	Then          []string                         `json:"then,omitempty"`
	Else          []string                         `json:"else,omitempty"`
	Cache         *pipeline.CachePolicy            `json:"cache,omitempty"`
	Retry         *pipeline.RetryPolicy            `json:"retry,omitempty"`
	PropertyFiles map[string]pipeline.PropertyFile `json:"property_files,omitempty"`
	Args          map[string]any                   `json:"args"`
}

func dump(p *pipeline.Pipeline) pipelineDump {
	d := pipelineDump{Name: p.Name, Digest: p.Digest, Parallelism: p.Parallelism}
	for _, pr := range p.Parameters {
		d.Parameters = append(d.Parameters, paramDump{Name: pr.Name, Type: string(pr.Type), Default: pr.Default, Enum: pr.Enum})
	}
	for _, st := range p.Steps {
		sd := stepDump{
			Name: st.Name, Kind: st.Kind, Line: st.Pos.Line, Needs: p.Dependencies(st), DependsOn: st.DependsOn,
			Then: st.Then, Else: st.Else, Retry: st.Retry, PropertyFiles: st.PropertyFiles, Args: st.Args,
		}
		if st.If != nil {
			sd.If = st.If.String()
		}
		if st.Cache.Enabled {
			c := st.Cache
			sd.Cache = &c
		}
		d.Steps = append(d.Steps, sd)
	}
	return d
}
