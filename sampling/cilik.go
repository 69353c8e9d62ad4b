package sampling

import (
	"cmp"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// LikelihoodInterval returns the interval of R svyciprop(method =
// "likelihood") (survey 4.1) for the share p̂ = Σ w y / Σ w of the values
// y ∈ [0, 1] with weights w > 0: the n rows behind the share (a domain's
// rows with a value), se = SE(p̂) from the design, t on df degrees of
// freedom (below 1: the normal quantile), level 0 meaning 0.95.
//
// As R, it fits the intercept-only quasibinomial glm with the weights
// rescaled to mean 1 (R's IRLS, iterations included: β̂, μ̂ = expit(β̂) and
// the model variance v of the last iteration), takes s = se/(μ̂(1−μ̂)) and
// the design effect λ = s²/v, and profiles the deviance at
// β_k = β̂ ± k·δ·s (k < 10, δ = t_{n−1, 1−a/2}/5, a = Φ(t_{df, α/2}√λ)/2,
// until |z| ≥ 5δ):
//
//	z(β) = ±√(ΔD(β)/φ),  φ = n/(n−1) · Σ w (y − p̂)² / Σ w / (μ̂(1−μ̂)),
//
// φ being R's svyvar of the Pearson residuals. The bounds are expit of the
// β where R's cubic spline (method "fmm", 3 points per grid point) through
// (β_k, z_k), inverted by linear interpolation, crosses z = ±t_{df,α/2}√λ.
// A bound the grid does not reach is NaN (R's NA), as are the bounds for
// fewer than 2 rows, p̂ of 0 or 1, or a NaN se. An se of 0 (or below
// 1e-10·√(p̂(1−p̂)), rounding noise) gives [p̂, p̂], as R.
func LikelihoodInterval(y, w []float64, se float64, df int, level float64) (lo, hi float64) {
	if len(y) != len(w) {
		panic("sampling: LikelihoodInterval: y and w differ in length")
	}
	if level == 0 {
		level = 0.95
	}
	n := len(y)
	nan := math.NaN()
	if n < 2 || !(level > 0 && level < 1) || math.IsNaN(se) {
		return nan, nan
	}
	// prior weights of R's svyglm: w/mean(w)
	D := 0.0
	for _, x := range w {
		D += x
	}
	m := D / float64(n)
	W, Sy := 0.0, 0.0
	for i, x := range w {
		wi := x / m
		W += wi
		Sy += wi * y[i]
	}
	ph := Sy / W
	if !(ph > 0 && ph < 1) {
		return nan, nan
	}
	if se < 1e-10*math.Sqrt(ph*(1-ph)) {
		// rounding noise of an SE that is 0 in exact arithmetic (a share
		// equal in every PSU): R's profile is then flat, and so is this
		se = 0
	}
	beta, naive, ok := likIRLS(y, w, m, W, Sy)
	if !ok {
		return nan, nan
	}
	muT := glmLinkinv(beta)
	vT := muT * (1 - muT)
	s := se / vT // the svyglm standard error of β̂
	lambda := s * s / naive
	// φ: svyvar of the Pearson residuals (y − μ̂)/√(μ̂(1−μ̂)) with the design weights
	ss := 0.0
	for i, x := range w {
		d := y[i] - ph
		ss += x * d * d
	}
	phi := float64(n) / float64(n-1) * (ss / D) / vT

	alpha := 1 - level
	cut := ciQuantileT(alpha/2, df) * math.Sqrt(lambda) // < 0
	a := distuv.UnitNormal.CDF(cut) / 2
	zmax := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(1 - a/2)
	del := zmax / 5
	// the profile: (β, z) pairs, β̂ first, then down, then up
	bs := make([]float64, 1, 19)
	zs := make([]float64, 1, 19)
	bs[0] = beta
	lmu, l1mu := math.Log(muT), math.Log(1-muT)
	for _, sgn := range [2]float64{-1, 1} {
		z := 0.0
		for step := 1; step < 10 && math.Abs(z) < zmax; step++ {
			b := beta + sgn*float64(step)*del*s
			mu := glmLinkinv(b)
			dev := 2 * (Sy*(lmu-math.Log(mu)) + (W-Sy)*(l1mu-math.Log(1-mu)))
			zz := dev / phi
			if zz > -0.001 {
				zz = max(zz, 0)
			} else {
				return nan, nan // R: the original fit had not converged
			}
			z = sgn * math.Sqrt(zz)
			bs = append(bs, b)
			zs = append(zs, z)
		}
	}
	// R: order(z), then spline(x = β, y = z) and approx(spline y, spline x)
	idx := make([]int, len(zs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int { return cmp.Compare(zs[i], zs[j]) })
	px, py := make([]float64, len(idx)), make([]float64, len(idx))
	for k, i := range idx {
		px[k], py[k] = bs[i], zs[i]
	}
	sx, sy := rSpline(px, py)
	ax, ay := rRegularize(sy, sx)
	blo, bhi := rApprox(ax, ay, cut), rApprox(ax, ay, -cut)
	return rExpit(blo), rExpit(bhi)
}

// rExpit is survey's expit, exp(η)/(1 + exp(η)).
func rExpit(x float64) float64 { return math.Exp(x) / (1 + math.Exp(x)) }

// likIRLS runs R glm.fit's IRLS (glmIRLS) for the intercept-only quasibinomial model
// with prior weights w_i/m (W their sum, Sy = Σ (w_i/m) y_i): starting at
// μ_i = (w y + 1/2)/(w + 1) row by row, Fisher scoring until the relative
// change of the deviance is below 1e-8 (at most 25 iterations). It
// returns β̂ and the unscaled model variance 1/Σ w μ'²/V(μ) with the
// weights of the last iteration, as R's summary.glm.
func likIRLS(y, w []float64, m, W, Sy float64) (beta, naive float64, ok bool) {
	const epsilon, maxit = 1e-8, 25
	// first iteration, row by row from glm's starting values
	dev0, sw, swz, c := 0.0, 0.0, 0.0, 0.0
	for i, x := range w {
		wi := x / m
		yi := y[i]
		ms := (wi*yi + 0.5) / (wi + 1)
		eta := math.Log(ms / (1 - ms))
		if yi == 0 || yi == 1 {
			// a 0/1 value: μ = expit(logit(μ_start)) = μ_start and
			// dμ/dη = μ(1−μ) (up to rounding, which the iterations that
			// follow remove), and y log y terms vanish
			v := ms * (1 - ms)
			if yi == 1 {
				dev0 -= 2 * wi * math.Log(ms)
			} else {
				dev0 -= 2 * wi * math.Log(1-ms)
			}
			wt := wi * v
			sw += wt
			swz += wt * (eta + (yi-ms)/v)
			continue
		}
		mu := glmLinkinv(eta)
		dev0 += 2 * wi * (glmYLogY(yi, mu) + glmYLogY(1-yi, 1-mu))
		me := glmMuEta(eta, mu)
		wt := wi * me * me / (mu * (1 - mu))
		sw += wt
		swz += wt * (eta + (yi-mu)/me)
		c += 2 * wi * (glmYLogY(yi, 1) + glmYLogY(1-yi, 1)) // Σ 2w(y log y + (1−y) log(1−y))
	}
	dev := func(b float64) float64 {
		mu := glmLinkinv(b)
		return c - 2*(Sy*math.Log(mu)+(W-Sy)*math.Log(1-mu))
	}
	beta, naive = swz/sw, 1/sw
	devold := dev0
	for it := 1; ; it++ {
		d := dev(beta)
		if math.IsNaN(d) || math.IsInf(d, 0) {
			return 0, 0, false
		}
		if math.Abs(d-devold)/(math.Abs(d)+0.1) < epsilon || it >= maxit {
			return beta, naive, true
		}
		devold = d
		mu := glmLinkinv(beta)
		me := glmMuEta(beta, mu)
		naive = 1 / (W * me * me / (mu * (1 - mu)))
		beta += (Sy/W - mu) / me
	}
}

// rRegularize is R's regularize.values(x, y, ties = mean): the pairs
// sorted by x (stably) with the y of tied x averaged; NaN pairs dropped.
func rRegularize(x, y []float64) (ux, uy []float64) {
	idx := make([]int, 0, len(x))
	for i := range x {
		if !math.IsNaN(x[i]) && !math.IsNaN(y[i]) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(i, j int) int { return cmp.Compare(x[i], x[j]) })
	for k := 0; k < len(idx); {
		j := k + 1
		s := y[idx[k]]
		for j < len(idx) && x[idx[j]] == x[idx[k]] {
			s += y[idx[j]]
			j++
		}
		ux = append(ux, x[idx[k]])
		uy = append(uy, s/float64(j-k))
		k = j
	}
	return ux, uy
}

// rSpline is R's spline(x, y) with its defaults: the Forsythe, Malcolm
// and Moler cubic spline (method "fmm") through the regularized points,
// evaluated at 3·n equally spaced points from min(x) to max(x).
func rSpline(x, y []float64) (xout, yout []float64) {
	x, y = rRegularize(x, y)
	n := len(x)
	if n == 0 {
		return nil, nil
	}
	b, c, d := fmmSpline(x, y)
	nout := 3 * n
	xout = rSeq(x[0], x[n-1], nout)
	yout = make([]float64, nout)
	i := 0
	for l, u := range xout {
		if u < x[i] || (i < n-1 && x[i+1] < u) {
			i = 0
			j := n
			for {
				k := (i + j) / 2
				if u < x[k] {
					j = k
				} else {
					i = k
				}
				if j <= i+1 {
					break
				}
			}
		}
		dx := u - x[i]
		yout[l] = y[i] + dx*(b[i]+dx*(c[i]+dx*d[i]))
	}
	return xout, yout
}

// rSeq is R's seq.int(from, to, length.out = n).
func rSeq(from, to float64, n int) []float64 {
	s := make([]float64, n)
	if n > 0 {
		s[0] = from
	}
	if n > 1 {
		s[n-1] = to
	}
	if n > 2 {
		by := (to - from) / float64(n-1)
		for i := 1; i < n-1; i++ {
			if i < n/2 {
				s[i] = from + float64(i)*by
			} else {
				s[i] = to - float64(n-1-i)*by
			}
		}
	}
	return s
}

// fmmSpline returns the coefficients of the cubic spline through (x, y),
// x increasing, with the end conditions of Forsythe, Malcolm and Moler
// (third derivatives at the ends matched to divided differences): on
// [x_i, x_{i+1}], y_i + b_i t + c_i t² + d_i t³ with t = x − x_i.
func fmmSpline(x, y []float64) (b, c, d []float64) {
	n := len(x)
	b, c, d = make([]float64, n), make([]float64, n), make([]float64, n)
	if n < 2 {
		return b, c, d
	}
	if n < 3 {
		t := (y[1] - y[0]) / (x[1] - x[0])
		b[0], b[1] = t, t
		return b, c, d
	}
	nm1 := n - 1
	// tridiagonal system: b diagonal, d off-diagonal, c right-hand side
	d[0] = x[1] - x[0]
	c[1] = (y[1] - y[0]) / d[0]
	for i := 1; i < nm1; i++ {
		d[i] = x[i+1] - x[i]
		b[i] = 2 * (d[i-1] + d[i])
		c[i+1] = (y[i+1] - y[i]) / d[i]
		c[i] = c[i+1] - c[i]
	}
	// end conditions: third derivatives from divided differences
	b[0] = -d[0]
	b[nm1] = -d[n-2]
	c[0], c[nm1] = 0, 0
	if n > 3 {
		c[0] = c[2]/(x[3]-x[1]) - c[1]/(x[2]-x[0])
		c[nm1] = c[n-2]/(x[nm1]-x[n-3]) - c[n-3]/(x[n-2]-x[n-4])
		c[0] = c[0] * d[0] * d[0] / (x[3] - x[0])
		c[nm1] = -c[nm1] * d[n-2] * d[n-2] / (x[nm1] - x[n-4])
	}
	// Gaussian elimination
	for i := 1; i <= nm1; i++ {
		t := d[i-1] / b[i-1]
		b[i] = b[i] - t*d[i-1]
		c[i] = c[i] - t*c[i-1]
	}
	// backward substitution
	c[nm1] = c[nm1] / b[nm1]
	for i := n - 2; i >= 0; i-- {
		c[i] = (c[i] - d[i]*c[i+1]) / b[i]
	}
	// polynomial coefficients
	b[nm1] = (y[nm1]-y[n-2])/d[n-2] + d[n-2]*(c[n-2]+2*c[nm1])
	for i := 0; i < nm1; i++ {
		b[i] = (y[i+1]-y[i])/d[i] - d[i]*(c[i+1]+2*c[i])
		d[i] = (c[i+1] - c[i]) / d[i]
		c[i] = 3 * c[i]
	}
	c[nm1] = 3 * c[nm1]
	d[nm1] = d[n-2]
	return b, c, d
}

// rApprox is R's approx(x, y, xout = v)$y, x sorted and unique: linear
// interpolation, NaN outside [x_0, x_{n−1}] (rule = 1).
func rApprox(x, y []float64, v float64) float64 {
	n := len(x)
	if n == 0 || math.IsNaN(v) || v < x[0] || v > x[n-1] {
		return math.NaN()
	}
	i, j := 0, n-1
	for i < j-1 {
		ij := (i + j) / 2
		if v < x[ij] {
			j = ij
		} else {
			i = ij
		}
	}
	if v == x[j] {
		return y[j]
	}
	if v == x[i] {
		return y[i]
	}
	return y[i] + (y[j]-y[i])*((v-x[i])/(x[j]-x[i]))
}

// LikelihoodIntervals returns the Likelihood interval (LikelihoodInterval)
// of every estimand k of r with share[k] in every domain g of res =
// d.EstimateRatios(r), at res.Index(g, k), on dfs[g] degrees of freedom
// (the overall domain of r.Overall included). Estimand k is read as a
// share of the values y/unit (unit 1 for shares, 100 for percentages)
// over the domain's rows with a nonzero weight where it has a value (Den
// ≠ 0, or a valid item code; for a sub-share y/x, the rows with x = 1);
// the bounds come back in the unit. Entries of other estimands and of the
// combinations are NaN, and so is every entry on a replicate design (as R
// survey 4.1, see Likelihood). It panics when share or dfs are shorter
// than the estimands or domains.
func (d *Design) LikelihoodIntervals(r *Ratios, res *RatioResult, share []bool, unit float64, dfs []int, level float64) (lo, hi []float64) {
	lo, hi = make([]float64, len(res.Est)), make([]float64, len(res.Est))
	for i := range lo {
		lo[i], hi[i] = math.NaN(), math.NaN()
	}
	if d.reps != nil {
		return lo, hi
	}
	G := res.G
	nd := G // data domains; with Overall the last domain holds every row
	if r.Domain != nil && r.Overall {
		nd = G - 1
	}
	// the rows grouped by data domain (a counting sort)
	var order []int
	start := make([]int, nd+1)
	if r.Domain == nil {
		start[1] = d.n
	} else {
		for _, g := range r.Domain {
			if g >= 0 {
				start[g+1]++
			}
		}
		for g := 0; g < nd; g++ {
			start[g+1] += start[g]
		}
		order = make([]int, start[nd])
		next := slices.Clone(start[:nd])
		for i, g := range r.Domain {
			if g >= 0 {
				order[next[g]] = i
				next[g]++
			}
		}
	}
	rows := func(g int, f func(i int)) {
		if order == nil || g == nd {
			for i := 0; i < d.n; i++ {
				f(i)
			}
			return
		}
		for _, i := range order[start[g]:start[g+1]] {
			f(i)
		}
	}
	var ys, ws []float64
	nn := len(r.Num)
	for k, ok := range share[:nn+len(r.Items)] {
		if !ok {
			continue
		}
		// value and validity of row i
		var val func(i int) (float64, bool)
		if k < nn {
			num, den := r.Num[k], r.Den[k]
			var valid []bool
			if k < len(r.Valid) {
				valid = r.Valid[k]
			}
			val = func(i int) (float64, bool) {
				if (valid != nil && !valid[i]) || den[i] == 0 {
					return 0, false
				}
				return num[i] / den[i], true
			}
		} else {
			it := &r.Items[k-nn]
			yt, xt := it.table()
			val = func(i int) (float64, bool) {
				c := uint8(it.Codes[i])
				return yt[c], xt[c] != 0
			}
		}
		for g := 0; g < G; g++ {
			at := res.Index(g, k)
			if math.IsNaN(res.Est[at]) {
				continue
			}
			ys, ws = ys[:0], ws[:0]
			rows(g, func(i int) {
				if y, ok := val(i); ok && d.w[i] != 0 {
					ys = append(ys, y/unit)
					ws = append(ws, d.w[i])
				}
			})
			l, h := LikelihoodInterval(ys, ws, res.SE[at]/unit, dfs[g], level)
			lo[at], hi[at] = unit*l, unit*h
		}
	}
	return lo, hi
}
