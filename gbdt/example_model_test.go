package gbdt_test

import (
	"context"
	"fmt"
	"math"

	"github.com/ferryml/ferry/gbdt"
	"github.com/ferryml/ferry/table"
)

// Read a model file saved by XGBoost (here 1.7's save_model("model.json");
// .ubj, the old binary format and pickles read the same way) and predict.
// XGBoost's own predictions for this row are 0.4685087 (probability) and
// -0.12613212 (margin, in float32).
func ExampleReadModelFile() {
	m, err := gbdt.ReadModelFile("testdata/xgboost/binary_base_score_names/model.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Objective, len(m.Trees), "trees, features", m.FeatureNames)
	row := []float64{63, 38.1640625, 0.48828125, 8.7265625, 3, 0.23046875}
	prob := make([]float64, 1)
	m.Predict(prob, row)
	margin := make([]float64, 1)
	m.PredictMargin(margin, row)
	fmt.Printf("probability %.7f, margin %.6f\n", prob[0], margin[0])
	// Output:
	// binary:logistic 15 trees, features [age income debt_ratio tenure_years num_accounts utilisation]
	// probability 0.4685087, margin -0.126132
}

// TreeSHAP contributions, as XGBoost's predict(pred_contribs=True): one
// value per feature and the bias last, adding up to the margin.
func ExampleModel_Contribs() {
	m, err := gbdt.ReadModelFile("testdata/xgboost/binary_base_score_names/model.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	row := []float64{63, 38.1640625, 0.48828125, 8.7265625, 3, 0.23046875}
	contribs := make([]float64, m.NumFeature+1)
	m.Contribs(contribs, row)
	sum := 0.0
	for i, c := range contribs {
		name := "bias"
		if i < m.NumFeature {
			name = m.FeatureNames[i]
		}
		fmt.Printf("%-12s %+.4f\n", name, c)
		sum += c
	}
	fmt.Printf("sum %.4f\n", sum)
	// Output:
	// age          +0.3223
	// income       +0.0415
	// debt_ratio   -0.4334
	// tenure_years -0.1476
	// num_accounts +0.0031
	// utilisation  +0.2291
	// bias         -0.1412
	// sum -0.1261
}

// Early stopping on a validation set, with progress reported per round.
func ExampleWithEval() {
	// y = x0 plus a step in x1; train on 300 rows, validate on 100.
	gen := func(n, seed int) *table.Dataset {
		d := &table.Dataset{NumFeature: 2}
		for i := range n {
			a := float64((i*7+seed)%100) / 100
			b := float64((i*13+seed)%50) / 50
			d.X = append(d.X, a, b)
			d.Y = append(d.Y, a+math.Floor(2*b))
		}
		return d
	}
	train, valid := gen(300, 1), gen(100, 5)
	p := gbdt.DefaultParams()
	p.NumRound = 200
	p.EarlyStoppingRounds = 5
	rounds := 0
	res, err := gbdt.Train(context.Background(), train, p,
		gbdt.WithEval("validation", valid),
		gbdt.WithProgress(func(int, map[string]float64) { rounds++ }))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("stopped after", rounds, "rounds; best", res.BestIteration)
	fmt.Printf("validation rmse %.4f\n", res.Metrics["validation-rmse"])
	// Output:
	// stopped after 20 rounds; best 14
	// validation rmse 0.0143
}
