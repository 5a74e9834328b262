package gbdt

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ferryml/ferry/shap"
	"github.com/ferryml/ferry/table"
)

func TestContribsInterventional(t *testing.T) {
	t.Parallel()
	const n, nf, nb, rows = 500, 4, 3, 6
	rng := rand.New(rand.NewPCG(7, 8))
	x := make([]float64, n*nf)
	y := make([]float64, n)
	for i := range n {
		s := 0.0
		for j := range nf {
			v := rng.NormFloat64()
			if rng.IntN(10) == 0 {
				v = math.NaN()
			} else {
				s += v * float64(j+1)
			}
			x[i*nf+j] = v
		}
		y[i] = float64(int(s+rng.NormFloat64()) % 3)
		if y[i] < 0 {
			y[i] = -y[i]
		}
	}
	for _, tc := range []struct {
		name      string
		objective string
		numClass  int
	}{
		{"Binary", BinaryLogistic, 0},
		{"Multiclass", MultiSoftprob, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			yy := y
			if tc.numClass == 0 {
				yy = make([]float64, n)
				for i, v := range y {
					yy[i] = min(v, 1)
				}
			}
			p := DefaultParams()
			p.Objective = tc.objective
			p.NumClass = tc.numClass
			p.NumRound = 8
			p.MaxDepth = 4
			res, err := Train(t.Context(), &table.Dataset{X: x, Y: yy, NumFeature: nf}, p)
			if err != nil {
				t.Fatal(err)
			}
			md := res.Model
			k := md.NumOutputGroups()
			background := x[:nb*nf]
			xr := x[nb*nf : (nb+rows)*nf]
			got := make([]float64, rows*k*(nf+1))
			md.ContribsInterventional(got, xr, background)
			for i := range rows {
				want, expected, err := shap.ExactInterventional(md.PredictMargin, xr[i*nf:(i+1)*nf], nf, background, nb, shap.KernelOptions{Outputs: k})
				if err != nil {
					t.Fatal(err)
				}
				margin := make([]float64, k)
				md.MarginRow(margin, xr[i*nf:(i+1)*nf])
				for g := range k {
					block := got[(i*k+g)*(nf+1) : (i*k+g+1)*(nf+1)]
					sum := 0.0
					for j := range nf {
						sum += block[j]
						if math.Abs(block[j]-want[g*nf+j]) > 1e-9 {
							t.Errorf("row %d class %d feature %d: got %v, want %v", i, g, j, block[j], want[g*nf+j])
						}
					}
					if math.Abs(block[nf]-expected[g]) > 1e-9 {
						t.Errorf("row %d class %d bias: got %v, want %v", i, g, block[nf], expected[g])
					}
					if math.Abs(sum+block[nf]-margin[g]) > 1e-9 {
						t.Errorf("row %d class %d: sum %v, margin %v", i, g, sum+block[nf], margin[g])
					}
				}
			}
		})
	}
}
