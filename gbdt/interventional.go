package gbdt

import (
	"fmt"

	"github.com/ferryml/ferry/tree"
)

// ContribsInterventional writes exact interventional SHAP values in margin
// units for each row of x against the background rows (row-major, each
// weighing equally) into dst: n×NumOutputGroups×(NumFeature+1), the last
// value of each block the bias (base margin plus the mean of the class's
// tree sums over the background). Each block sums to the row's margin. It
// implements model.InterventionalExplainer.
func (m *Model) ContribsInterventional(dst, x, background []float64) {
	nf := m.NumFeature
	n := len(x) / nf
	k := m.NumOutputGroups()
	w := nf + 1
	if n*nf != len(x) || len(dst) < n*k*w || len(background)%nf != 0 {
		panic(fmt.Sprintf("gbdt: ContribsInterventional with %d values for %d features, %d background values and dst of %d", len(x), nf, len(background), len(dst)))
	}
	parallelRows(n, 4, func(lo, hi int) {
		s := tree.NewInterventionalScratch(nf, m.maxDepth)
		for r := lo; r < hi; r++ {
			row := x[r*nf : (r+1)*nf]
			for g := range k {
				d := dst[(r*k+g)*w : (r*k+g+1)*w]
				clear(d)
				s.Interventional(m.classTrees[g], row, background, d, 1)
				d[nf] += m.baseMargins[g]
			}
		}
	})
}
