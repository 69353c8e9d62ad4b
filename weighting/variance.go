package weighting

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// AdjustInfluence replaces the influence values z of an estimator (one per
// row, in the row order of the record that was weighted; z_i = w_i y_i for
// a total, w_i (y_i − ȳ)/Σw for a mean, with w the final weights) by their
// calibration residuals, for every post-stratification, raking and
// calibration step in order, exactly as R survey's svyrecvar does with
// design$postStrata. The linearized variance is then computed from the
// adjusted z as usual (Σ_h (1−f_h) n_h/(n_h−1) Σ_j (z_hj − z̄_h)²).
// Nonresponse adjustment and trimming are treated as fixed (as R does).
// Rows with final weight 0 must have z_i = 0 and stay 0.
//
// It is safe for concurrent use once the Result is no longer modified.
func (r *Result) AdjustInfluence(z []float64) {
	if len(z) != len(r.Weights) {
		panic("weighting: AdjustInfluence: length of z differs from the weights")
	}
	for i := range r.Steps {
		if v := r.Steps[i].Variance; v != nil {
			v.Adjust(z)
		}
	}
}

// Adjust applies one step's residualization to z (see VarianceInfo and
// Result.AdjustInfluence). Rows whose weights are 0 are left out.
func (v *VarianceInfo) Adjust(z []float64) {
	switch v.Kind {
	case "poststratify":
		// R: psmeans = rowsum(x·oldw/psw)/Σ oldw by post-stratum; x − psmeans·psw.
		k := maxClass(v.Classes) + 1
		num := make([]float64, k)
		den := make([]float64, k)
		for i, zi := range z {
			if v.NewWeights[i] == 0 {
				continue
			}
			c := v.Classes[i]
			num[c] += v.OldWeights[i] * zi / v.NewWeights[i]
			den[c] += v.OldWeights[i]
		}
		for i := range z {
			if v.NewWeights[i] == 0 {
				continue
			}
			c := v.Classes[i]
			z[i] -= v.NewWeights[i] * num[c] / den[c]
		}
	case "rake":
		// R: for (iterations in 1:10) for (margin in psvar)
		//   x <- x - psw * ave(x/psw, margin)   (unweighted class means)
		type mc struct {
			sum []float64
			cnt []float64
		}
		ms := make([]mc, len(v.Margins))
		for j, m := range v.Margins {
			k := maxClass(m.Classes) + 1
			ms[j] = mc{make([]float64, k), make([]float64, k)}
			for i, c := range m.Classes {
				if m.Weights[i] != 0 {
					ms[j].cnt[c]++
				}
			}
		}
		for it := 0; it < 10; it++ {
			for j, m := range v.Margins {
				s, cnt := ms[j].sum, ms[j].cnt
				clear(s)
				for i, zi := range z {
					if m.Weights[i] != 0 {
						s[m.Classes[i]] += zi / m.Weights[i]
					}
				}
				for i := range z {
					if m.Weights[i] != 0 {
						c := m.Classes[i]
						z[i] -= m.Weights[i] * s[c] / cnt[c]
					}
				}
			}
		}
	case "greg":
		// R: x <- qr.resid(cal$qr, x/cal$w) * cal$w, cal$qr = qr(X·√w0),
		// cal$w = g·√w0.
		// Residual of the least-squares fit of r_i = z_i/(g_i√w0_i) on
		// a_i = √w0_i x_i: r − Aβ with (A'A)β = A'r, i.e. with weights w0:
		// (X'W0X)β = Σ √w0_i x_i r_i, solved by Cholesky on Jacobi-scaled
		// columns (the same residuals as R's QR; O(non-zeros) memory).
		v.once.Do(v.factorize)
		p := v.P
		rhs := mat.NewVecDense(p, nil)
		rv := make([]float64, len(v.rows))
		for k, i := range v.rows {
			sw := math.Sqrt(v.W0[i])
			rv[k] = z[i] / (v.G[i] * sw)
			cols, vals := v.ModelRow(i)
			for q, c := range cols {
				rhs.SetVec(int(c), rhs.AtVec(int(c))+sw*vals[q]*v.scl[c]*rv[k])
			}
		}
		var beta mat.VecDense
		if err := v.chol.SolveVecTo(&beta, rhs); err != nil {
			panic("weighting: AdjustInfluence: " + err.Error())
		}
		b := beta.RawVector().Data
		for k, i := range v.rows {
			sw := math.Sqrt(v.W0[i])
			cols, vals := v.ModelRow(i)
			fit := 0.0
			for q, c := range cols {
				fit += sw * vals[q] * v.scl[c] * b[c]
			}
			z[i] = (rv[k] - fit) * v.G[i] * sw
		}
	default:
		panic("weighting: unknown VarianceInfo kind " + v.Kind)
	}
}

func maxClass(c []int32) int32 {
	var m int32
	for _, v := range c {
		if v > m {
			m = v
		}
	}
	return m
}

// factorize computes the Cholesky factorization of S X'W0X S over the rows
// with a non-zero final weight, S = diag(1/√(X'W0X)_kk) (once).
func (v *VarianceInfo) factorize() {
	p := v.P
	for i := range v.W0 {
		if v.W0[i] != 0 && v.G[i] != 0 {
			v.rows = append(v.rows, i)
		}
	}
	t := make([]float64, p*p)
	for _, i := range v.rows {
		v.x.addOuter(t, p, i, v.W0[i])
	}
	v.scl = make([]float64, p)
	for k := 0; k < p; k++ {
		v.scl[k] = 1
		if d := t[k*p+k]; d > 0 {
			v.scl[k] = 1 / math.Sqrt(d)
		}
	}
	for a := 0; a < p; a++ {
		for b := 0; b < p; b++ {
			t[a*p+b] *= v.scl[a] * v.scl[b]
		}
	}
	v.chol = new(mat.Cholesky)
	if !v.chol.Factorize(mat.NewSymDense(p, t)) {
		panic("weighting: AdjustInfluence: calibration variables are collinear")
	}
}
