package sampling

import "math"

// More intervals for a share p in (0, 1), as R svyciprop (survey 4.1),
// from p̂ and SE(p̂) by the delta method (R svycontrast), with t on df
// degrees of freedom.
const (
	// XLogit is the Wald interval on the logit scale,
	// expit(logit(p) ± t·SE/(p(1−p))), R svyciprop(method = "xlogit"): the
	// delta method whatever the variance method (Logit follows R's refit of
	// the model under replicate weights).
	XLogit CIMethod = Beta + 1 + iota
	// Asin is the Wald interval on the arcsine square-root scale,
	// sin²(asin(√p) ± t·SE/(2√(p(1−p)))), R svyciprop(method = "asin").
	Asin
	// Wilson is the score interval with the effective sample size
	// n* = p(1−p)/SE² (Kott and Carr 1997), t on df:
	//
	//	(p + t²/(2n*) ± t·√(p(1−p)/n* + t²/(4n*²))) / (1 + t²/n*)
	//
	// R survey 4.1 has no such svyciprop method.
	Wilson
	// Likelihood is R svyciprop(method = "likelihood"): the profile
	// likelihood interval of the intercept-only quasibinomial svyglm, its
	// deviance scaled by the Pearson dispersion and its cutoff by the
	// design effect of the fit (LikelihoodInterval). It needs the rows
	// behind the share, so Design.Estimates computes it and
	// ConfidenceInterval, given only p̂ and SE(p̂), returns NaN. Replicate
	// designs get NaN: R survey 4.1 returns NA there (its Pearson
	// residuals under replicate weights are √n times too large, so the
	// profile never reaches the cutoff).
	Likelihood
)

// ciProp returns the XLogit, Asin or Wilson interval of
// ConfidenceInterval.
func ciProp(method CIMethod, p, se float64, df int, alpha float64) (lo, hi float64) {
	if method == XLogit {
		return ciLogit(p, se/(p*(1-p)), df, alpha)
	}
	q := ciQuantileT(1-alpha/2, df)
	if method == Wilson {
		n := p * (1 - p) / (se * se)
		q2n := q * q / n
		c := (p + q2n/2) / (1 + q2n)
		h := q * math.Sqrt(p*(1-p)/n+q2n/(4*n)) / (1 + q2n)
		return c - h, c + h
	}
	a := math.Asin(math.Sqrt(p))
	s := se / (2 * math.Sqrt(p*(1-p)))
	// R applies sin² to the bounds as they are (no clamping to [0, π/2])
	l, h := math.Sin(a-q*s), math.Sin(a+q*s)
	return l * l, h * h
}
