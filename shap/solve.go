package shap

import "math"

// solveSPD solves a·x = b for a symmetric positive semi-definite n×n
// matrix a (row-major, only read), writing x into b. It tries a Cholesky
// factorisation and falls back to the pseudo-inverse (through a Jacobi
// eigen-decomposition) when a is singular, as shap falls back to
// numpy.linalg.pinv. work must hold at least 2·n·n + n values.
func solveSPD(a []float64, b []float64, n int, work []float64) {
	l := work[:n*n]
	if cholesky(a, l, n) {
		// Forward then back substitution.
		for i := range n {
			s := b[i]
			for k := range i {
				s -= l[i*n+k] * b[k]
			}
			b[i] = s / l[i*n+i]
		}
		for i := n - 1; i >= 0; i-- {
			s := b[i]
			for k := i + 1; k < n; k++ {
				s -= l[k*n+i] * b[k]
			}
			b[i] = s / l[i*n+i]
		}
		return
	}
	pinvSolve(a, b, n, work)
}

// cholesky writes the lower factor of a into l and reports whether a is
// numerically positive definite.
func cholesky(a, l []float64, n int) bool {
	clear(l)
	scale := 0.0
	for i := range n {
		scale = max(scale, math.Abs(a[i*n+i]))
	}
	tol := 1e-13 * scale
	for i := range n {
		for j := 0; j <= i; j++ {
			s := a[i*n+j]
			for k := range j {
				s -= l[i*n+k] * l[j*n+k]
			}
			if i == j {
				if s <= tol {
					return false
				}
				l[i*n+i] = math.Sqrt(s)
			} else {
				l[i*n+j] = s / l[j*n+j]
			}
		}
	}
	return true
}

// pinvSolve writes pinv(a)·b into b using a cyclic Jacobi
// eigen-decomposition of the symmetric matrix a; eigenvalues below
// 1e-12 of the largest are treated as zero.
func pinvSolve(a, b []float64, n int, work []float64) {
	d := work[:n*n]        // becomes diagonal
	v := work[n*n : 2*n*n] // eigenvectors in columns
	tmp := work[2*n*n : 2*n*n+n]
	copy(d, a[:n*n])
	clear(v)
	for i := range n {
		v[i*n+i] = 1
	}
	for sweep := 0; sweep < 100; sweep++ {
		off := 0.0
		for p := range n {
			for q := p + 1; q < n; q++ {
				off += d[p*n+q] * d[p*n+q]
			}
		}
		if off < 1e-30 {
			break
		}
		for p := range n {
			for q := p + 1; q < n; q++ {
				apq := d[p*n+q]
				if math.Abs(apq) < 1e-300 {
					continue
				}
				theta := (d[q*n+q] - d[p*n+p]) / (2 * apq)
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := range n {
					dkp, dkq := d[k*n+p], d[k*n+q]
					d[k*n+p] = c*dkp - s*dkq
					d[k*n+q] = s*dkp + c*dkq
				}
				for k := range n {
					dpk, dqk := d[p*n+k], d[q*n+k]
					d[p*n+k] = c*dpk - s*dqk
					d[q*n+k] = s*dpk + c*dqk
				}
				for k := range n {
					vkp, vkq := v[k*n+p], v[k*n+q]
					v[k*n+p] = c*vkp - s*vkq
					v[k*n+q] = s*vkp + c*vkq
				}
			}
		}
	}
	largest := 0.0
	for i := range n {
		largest = max(largest, math.Abs(d[i*n+i]))
	}
	// x = V · diag(1/λ) · Vᵀ · b
	for i := range n {
		s := 0.0
		for k := range n {
			s += v[k*n+i] * b[k]
		}
		if lam := d[i*n+i]; math.Abs(lam) > 1e-12*largest && lam != 0 {
			tmp[i] = s / lam
		} else {
			tmp[i] = 0
		}
	}
	for k := range n {
		s := 0.0
		for i := range n {
			s += v[k*n+i] * tmp[i]
		}
		b[k] = s
	}
}
