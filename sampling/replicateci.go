package sampling

import "math"

// repEstimates are the replicate estimates θ̂_r of every (domain, estimand)
// of one EstimateRatios call on a replicate design, theta[r*stride + i].
type repEstimates struct {
	theta   []float64
	est     []float64 // the full-sample estimates, [i]
	stride  int
	scale   float64
	rscales []float64
	mse     bool
}

// ReplicateSE returns the replicate standard error of f(θ̂) for result i
// (index as Index) of a replicate design,
//
//	sqrt(scale Σ_r rscale_r (f(θ̂_r) − c)²),  c = f(θ̂) (mse) or the mean of the f(θ̂_r),
//
// which is R svrVar applied to a transformed estimate, as R does when it
// refits a model on every replicate (svyglm, hence svyciprop). Replicates
// where f(θ̂_r) is NaN are left out, as R. ok is false under linearization.
func (r *RatioResult) ReplicateSE(i int, f func(float64) float64) (se float64, ok bool) {
	p := r.rep
	if p == nil {
		return math.NaN(), false
	}
	R := len(p.rscales)
	c := f(p.est[i])
	if !p.mse {
		s, n := 0.0, 0
		for rep := 0; rep < R; rep++ {
			if v := f(p.theta[rep*p.stride+i]); !math.IsNaN(v) && p.rscales[rep] > 0 {
				s += v
				n++
			}
		}
		c = s / float64(n)
	}
	v := 0.0
	for rep := 0; rep < R; rep++ {
		if dv := f(p.theta[rep*p.stride+i]) - c; !math.IsNaN(dv) {
			v += p.rscales[rep] * dv * dv
		}
	}
	return math.Sqrt(p.scale * v), true
}

// ShareInterval returns the confidence interval of result i read as a share
// p = Est/unit (unit 1 for shares, 100 for percentages), in the unit of the
// estimate, on df degrees of freedom, with N[i] as the n of Beta. It is
// ConfidenceInterval(method, p, SE/unit, N, df, level), except for Logit on
// a replicate design, where the standard error of logit(p) comes from the
// replicates (ReplicateSE of logit(θ/unit)), as R svyciprop(method =
// "logit"), whose svyglm refits per replicate. A replicate share within
// 1e-12 of 0 or 1 is taken as 0 or 1, so that rounding does not decide
// between an infinite logit (an interval of [0, unit]) and a dropped
// replicate (R's refit diverges there).
func (r *RatioResult) ShareInterval(i int, method CIMethod, unit float64, df int, level float64) (lo, hi float64) {
	p, se := r.Est[i]/unit, r.SE[i]/unit
	if method == Logit && r.rep != nil && p > 0 && p < 1 && !math.IsNaN(se) {
		if level == 0 {
			level = 0.95
		}
		if level <= 0 || level >= 1 {
			return math.NaN(), math.NaN()
		}
		s, _ := r.ReplicateSE(i, func(x float64) float64 {
			x /= unit
			// a replicate at the boundary (every answer of the domain
			// satisfied, say) is there whatever the order of its sums:
			// within rounding of 0 or 1 it is 0 or 1 (logit ±Inf), not
			// a value either side of it that the rounding picked
			switch {
			case math.Abs(x) <= 1e-12:
				x = 0
			case math.Abs(x-1) <= 1e-12:
				x = 1
			}
			return math.Log(x / (1 - x))
		})
		lo, hi = ciLogit(p, s, df, 1-level)
		return unit * lo, unit * hi
	}
	lo, hi = ConfidenceInterval(method, p, se, r.N[i], df, level)
	return unit * lo, unit * hi
}
