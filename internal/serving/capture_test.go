package serving

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/registry"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func captureServer(t *testing.T, pct float64, dest string) *Server {
	t.Helper()
	clock := time.Date(2026, 11, 23, 5, 7, 9, 123_000_000, time.UTC)
	n := 0
	s, err := NewServer(models{ref(1): {Predictor: &linear{W: []float64{1, 2}, Bias: 0.5}}}.load, Options{
		Logger: quiet, Seed: 1,
		Now: func() time.Time { return clock },
		NewID: func() string {
			n++
			return fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ep := endpoint("fraud-ep", 1, registry.Variant{Name: "AllTraffic", Model: ref(1)})
	ep.Config.DataCapture = registry.DataCapture{Enabled: true, SamplingPercentage: pct, Destination: dest}
	if err := s.Apply(t.Context(), []registry.Endpoint{ep}, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDataCaptureLayout checks the records against SageMaker's capture
// format (pipelines.md §3.3) with a golden file, and the directory layout
// ENDPOINT/VARIANT/yyyy/mm/dd/hh/.
func TestDataCaptureLayout(t *testing.T) {
	t.Parallel()
	dest := t.TempDir()
	s := captureServer(t, 100, dest)
	reqs := []Request{
		{ContentType: "text/csv", Body: []byte("1,2\n3,4\n"), InferenceID: "order-17"},
		{ContentType: "application/json", Accept: "application/json", Body: []byte(`{"instances": [[1, 2]]}`)},
		{ContentType: "application/jsonlines", Accept: "text/csv", Body: []byte("[1, 2]\n")},
	}
	for _, r := range reqs {
		if _, err := s.Invoke(t.Context(), "fraud-ep", r); err != nil {
			t.Fatal(err)
		}
	}
	// A failed request is not captured.
	if _, err := s.Invoke(t.Context(), "fraud-ep", Request{Body: []byte("x,y")}); err == nil {
		t.Fatal("want a 400")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(dest, "fraud-ep", "AllTraffic", "2026", "11", "23", "05")
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("capture directory: %v", err)
	}
	if len(files) != 1 || files[0].Name() != "07-09-123-00000000-0000-4000-8000-000000000001.jsonl" {
		t.Fatalf("capture files %v, want one named MM-SS-mmm-<event id>.jsonl", files)
	}
	got, err := os.ReadFile(filepath.Join(dir, files[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "capture.jsonl")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("capture records (-want +got):\n%s", diff)
	}
	// Independently of the golden file: each line has SageMaker's keys.
	for i, line := range lines(string(got)) {
		var rec struct {
			CaptureData struct {
				EndpointInput, EndpointOutput map[string]string
			}
			EventMetadata map[string]string
			EventVersion  string
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		for mode, item := range map[string]map[string]string{"INPUT": rec.CaptureData.EndpointInput, "OUTPUT": rec.CaptureData.EndpointOutput} {
			if item["mode"] != mode || item["observedContentType"] == "" || item["data"] == "" ||
				!slices.Contains([]string{"CSV", "JSON", "BASE64"}, item["encoding"]) {
				t.Errorf("line %d: %s item %v lacks SageMaker's fields", i+1, mode, item)
			}
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", rec.EventMetadata["inferenceTime"]); err != nil ||
			rec.EventMetadata["eventId"] == "" || rec.EventVersion != "0" {
			t.Errorf("line %d: event metadata %v, version %q", i+1, rec.EventMetadata, rec.EventVersion)
		}
	}
}

func TestDataCaptureSampling(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		pct    float64
		lo, hi int
	}{
		{"none at 0 percent", 0, 0, 0},
		{"about half at 50 percent", 50, 400, 600},
		{"all at 100 percent", 100, 1000, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dest := t.TempDir()
			s := captureServer(t, tt.pct, dest)
			for range 1000 {
				if _, err := s.Invoke(t.Context(), "fraud-ep", Request{Body: []byte("1,2")}); err != nil {
					t.Fatal(err)
				}
			}
			s.Close()
			n := 0
			filepath.WalkDir(dest, func(path string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					b, _ := os.ReadFile(path)
					n += strings.Count(string(b), "\n")
				}
				return nil
			})
			if n < tt.lo || n > tt.hi {
				t.Errorf("%d records captured, want %d..%d", n, tt.lo, tt.hi)
			}
		})
	}
}
