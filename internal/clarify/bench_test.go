package clarify

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ferryml/ferry/gbdt"
)

// plainModel hides the model's Contribs so the job runs Kernel SHAP.
type plainModel struct{ m *gbdt.Model }

func (p plainModel) NumOutputs() int { return 1 }

func (p plainModel) Predict(ctx context.Context, dst, x []float64, n int) error {
	return FromModel(p.m).Predict(ctx, dst, x, n)
}

func benchSHAP(b *testing.B, pred func(*gbdt.Model) Predictor) {
	m := loadFraudModel(b)
	cfg, err := ParseConfig([]byte(`{"label":"fraud","excluded_columns":["predicted_fraud"],
		"methods":{"shap":{"num_samples":100,"agg_method":"mean_abs","seed":42,"num_clusters":10}}}`))
	if err != nil {
		b.Fatal(err)
	}
	data := headRows(b, fraudData, 1000)
	ds, err := ReadData(data, nil)
	if err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(b.TempDir(), "out")
	b.ResetTimer()
	for b.Loop() {
		if _, err := RunDataset(b.Context(), cfg, ds, pred(m), out, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSHAP1000Tree is the whole explainability job (SHAP, out.csv,
// analysis.json, report) for 1,000 rows of the fraud data with the
// 100-tree fraud model: exact TreeSHAP.
func BenchmarkSHAP1000Tree(b *testing.B) {
	benchSHAP(b, func(m *gbdt.Model) Predictor { return FromModel(m) })
}

// BenchmarkSHAP1000Kernel is the same job when the model is treated as a
// black box: Kernel SHAP with 100 coalitions per row against a 10-row
// k-means baseline (1,000 × 100 × 10 model evaluations).
func BenchmarkSHAP1000Kernel(b *testing.B) {
	benchSHAP(b, func(m *gbdt.Model) Predictor { return plainModel{m} })
}
