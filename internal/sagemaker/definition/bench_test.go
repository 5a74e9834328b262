package definition

import (
	"os"
	"testing"

	"github.com/ferryml/ferry/internal/pipeline"
)

// BenchmarkLoad translates and validates the tutorial-shaped SDK
// definition; BenchmarkLoadFerryYAML parses and validates the same
// pipeline in Ferry's own format (examples/fraud-detection), for scale.
func BenchmarkLoad(b *testing.B) {
	data, err := os.ReadFile("testdata/tutorial.json")
	if err != nil {
		b.Fatal(err)
	}
	kinds := newStubKinds()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Load("tutorial.json", data, kinds); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseFerryYAML parses Ferry's own fraud-detection pipeline (no
// kind checks: its kinds are not registered here), the same work as
// BenchmarkParse for the YAML front end.
func BenchmarkParseFerryYAML(b *testing.B) {
	data, err := os.ReadFile("../../../examples/fraud-detection/pipeline.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := pipeline.Parse("pipeline.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse translates the tutorial-shaped SDK definition without
// the kind checks.
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("testdata/tutorial.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("tutorial.json", data); err != nil {
			b.Fatal(err)
		}
	}
}
