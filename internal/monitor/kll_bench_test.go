package monitor

import (
	"math/rand/v2"
	"testing"
)

func BenchmarkKLLAdd(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	xs := make([]float64, 1<<20)
	for i := range xs {
		xs[i] = r.NormFloat64()
	}
	for b.Loop() {
		s := newKLL()
		for _, x := range xs {
			s.Add(x)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(xs)), "ns/value")
}
