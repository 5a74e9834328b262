package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/ferryml/ferry/internal/engine"
	"github.com/ferryml/ferry/internal/run"
)

// BenchmarkEngineOverhead measures what the engine adds per step: a
// generated 200-step pipeline of no-op steps (layers of 10), with the
// cache on but always missing, against a real SQLite store. It reports
// ms/step.
func BenchmarkEngineOverhead(b *testing.B) {
	for _, par := range []int{1, 8} {
		b.Run(map[int]string{1: "Sequential", 8: "Parallel8"}[par], func(b *testing.B) {
			bd := setup(b, noopKind())
			p, src := bd.load(b, generated(200))
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				ex, err := bd.eng.Run(context.Background(), p, engine.RunOptions{Source: src, NoCache: true, Parallelism: par})
				if err != nil || ex.Status != run.Succeeded {
					b.Fatalf("run: %v %v", err, ex)
				}
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N*200), "ms/step")
		})
	}
}
