package pipeline_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ferryml/ferry/internal/pipeline"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestInvalidGolden validates every broken definition in testdata/invalid
// and compares the full list of messages with its .golden file.
func TestInvalidGolden(t *testing.T) {
	t.Parallel()
	kinds := testKinds(t)
	files, err := filepath.Glob("testdata/invalid/*.*")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, file := range files {
		if strings.HasSuffix(file, ".golden") {
			continue
		}
		n++
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = pipeline.Load(name, data, kinds)
			if err == nil {
				t.Fatalf("Load(%s) = nil error, want problems", name)
			}
			var verrs *pipeline.ValidationErrors
			if !errors.As(err, &verrs) {
				t.Fatalf("Load(%s) error is %T, want *ValidationErrors", name, err)
			}
			for _, e := range verrs.Errs {
				if e.File != name {
					t.Errorf("problem %q has file %q, want %q", e.Error(), e.File, name)
				}
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(file, filepath.Ext(file)) + ".golden"
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
				t.Errorf("messages differ from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
	if n < 15 {
		t.Errorf("only %d invalid definitions; want at least 15", n)
	}
}

// TestValidDefinitions checks that the example definitions load without
// problems and that formatting does not change the digest.
func TestValidDefinitions(t *testing.T) {
	t.Parallel()
	kinds := testKinds(t)
	digests := map[string]string{}
	for _, name := range []string{"fraud.yaml", "fraud.json", "fraud_reformatted.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata/valid", name))
		if err != nil {
			t.Fatal(err)
		}
		p, err := pipeline.Load(name, data, kinds)
		if err != nil {
			t.Fatalf("Load(%s): %v", name, err)
		}
		if len(p.Digest) != 64 {
			t.Errorf("%s: digest %q is not 64 hex digits", name, p.Digest)
		}
		digests[name] = p.Digest
	}
	if digests["fraud.yaml"] != digests["fraud.json"] || digests["fraud.yaml"] != digests["fraud_reformatted.yaml"] {
		t.Errorf("digests differ for the same definition: %v", digests)
	}
}

// TestDigestChangesWithMeaning checks that a change of meaning changes the
// digest.
func TestDigestChangesWithMeaning(t *testing.T) {
	t.Parallel()
	base := "version: 1\nname: p\nsteps:\n  - {name: a, kind: fail, message: hi}\n"
	tests := []struct {
		name string
		def  string
		same bool
	}{
		{name: "comment and spacing", def: "# c\nversion: 1\nname:   p\nsteps:\n- name: a\n  kind: fail\n  message: 'hi'\n", same: true},
		{name: "message", def: "version: 1\nname: p\nsteps:\n  - {name: a, kind: fail, message: hello}\n"},
		{name: "integer vs string", def: "version: 1\nname: p\nsteps:\n  - {name: a, kind: fail, message: hi, x: '1'}\n"},
	}
	pb, err := pipeline.Parse("base.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := pipeline.Parse("x.yaml", []byte(tt.def))
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Digest == pb.Digest; got != tt.same {
				t.Errorf("same digest = %v, want %v\nbase: %s\nthis: %s", got, tt.same, pb.CanonicalJSON(), p.CanonicalJSON())
			}
		})
	}
}

// TestGraphGolden writes the parsed example as a normalized graph: steps in
// topological order with dependencies, gates and envelope settings.
func TestGraphGolden(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/valid/fraud.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Load("fraud.yaml", data, testKinds(t))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "pipeline %s (parallelism %d)\n", p.Name, p.Parallelism)
	for _, pr := range p.Parameters {
		fmt.Fprintf(&b, "param %s %s default=%v enum=%v\n", pr.Name, pr.Type, pr.Default, pr.Enum)
	}
	for _, st := range p.TopoOrder() {
		fmt.Fprintf(&b, "step %s kind=%s deps=%v", st.Name, st.Kind, p.Dependencies(st))
		if cond, branch, ok := p.Gate(st); ok {
			fmt.Fprintf(&b, " gate=%s.%s", cond, branch)
		}
		if st.If != nil {
			fmt.Fprintf(&b, " if=%q then=%v else=%v", st.If.Src, st.Then, st.Else)
		}
		if st.Retry != nil {
			fmt.Fprintf(&b, " retry=%+v", *st.Retry)
		}
		if st.Timeout > 0 {
			fmt.Fprintf(&b, " timeout=%s", st.Timeout)
		}
		fmt.Fprintf(&b, " cache=%+v", st.Cache)
		for _, name := range sortedNames(st.PropertyFiles) {
			fmt.Fprintf(&b, " property_file[%s]=%+v", name, st.PropertyFiles[name])
		}
		b.WriteString("\n")
	}
	got := b.String()
	golden := "testdata/valid/fraud.graph.golden"
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
		t.Errorf("graph differs (-want +got):\n%s", diff)
	}
}

func sortedNames[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
