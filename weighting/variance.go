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
		v.once.Do(v.factorize)
		r := mat.NewVecDense(len(v.rows), nil)
		cw := make([]float64, len(v.rows))
		for k, i := range v.rows {
			cw[k] = v.G[i] * math.Sqrt(v.W0[i])
			r.SetVec(k, z[i]/cw[k])
		}
		var beta, fit mat.VecDense
		if err := v.qr.SolveVecTo(&beta, false, r); err != nil {
			// collinear columns cannot pass a successful calibration
			panic("weighting: AdjustInfluence: " + err.Error())
		}
		fit.MulVec(v.a, &beta)
		for k, i := range v.rows {
			z[i] = (r.AtVec(k) - fit.AtVec(k)) * cw[k]
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

// factorize computes the QR factorization of √w0·X over the rows with a
// non-zero final weight (once; R keeps it as cal$qr).
func (v *VarianceInfo) factorize() {
	n := len(v.W0)
	for i := 0; i < n; i++ {
		if v.W0[i] != 0 && v.G[i] != 0 {
			v.rows = append(v.rows, i)
		}
	}
	v.a = mat.NewDense(max(len(v.rows), 1), v.P, nil)
	for k, i := range v.rows {
		sw := math.Sqrt(v.W0[i])
		for c := 0; c < v.P; c++ {
			v.a.Set(k, c, v.X[i*v.P+c]*sw)
		}
	}
	v.qr = new(mat.QR)
	v.qr.Factorize(v.a)
}
