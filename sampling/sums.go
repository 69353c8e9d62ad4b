package sampling

// DesignEffects returns the design effects of an estimate of variance v
// against simple random sampling with replacement (deff) and without
// replacement of n from W (deffWOR), as RatioResult.Deff and DeffWOR:
//
//	v_srs   = W · (s2 − s1²/W) / (n − 1)
//	deff    = v / v_srs
//	deffWOR = v / (v_srs · (1 − n/W))
//
// over the n rows where the estimand is observed, with W = Σ w_i, s1 = Σ w_i
// r_i and s2 = Σ w_i r_i² for the influence values per unit weight r_i. It
// lets an estimator that has the sums but not the rows (cells of a table
// of sums) report the engine's design effects. When s2 − s1²/W is within
// rounding of 0 (r constant over the rows) v_srs is 0 and the design
// effects are +Inf (or NaN when v is 0 too), not the noise of either sign.
func DesignEffects(v float64, n int, W, s1, s2 float64) (deff, deffWOR float64) {
	fn := float64(n)
	ss := s2 - s1*s1/W
	if ss <= 1e-12*s2 {
		// r is constant (e.g. the total of a variable that is 1 on every
		// row): the difference is rounding noise, of either sign
		ss = 0
	}
	vsrs := W * ss / (fn - 1)
	return v / vsrs, v / (vsrs * (1 - fn/W))
}
