package sampling

import (
	"fmt"
	"math"
)

// UnitResiduals are the calibration residuals of a design of unit moments
// (UnitMoments) whose weights come from a weighting that is constant
// within each cell (post-stratification, raking, calibration to category
// margins: every step's factor is a function of the cell's classes). The
// residual of each unit i of cell c is then e_i = z_i − w_i A_c, with A_c
// a constant of the cell (R svyrecvar with design$postStrata: each step
// subtracts the unit's weight times a linear function of the class sums of
// z), so that over the units of a cell
//
//	Σ e = Σ z − A_c Σ w,  Σ e² = Σ w² r² − 2 A_c Σ w² r + A_c² Σ w²
//
// with z = w r, r = α y − β x; the variance is that of the adjusted PSU
// totals (DesignOptions.AdjustInfluence) with every unit its own PSU: per
// stratum of n_h units (1 − f_h) n_h/(n_h − 1) (Σ e² − (Σ e)²/n_h), a
// lonely unit under LonelyAdjust centred at the mean unit total over all
// strata, LonelyAverage scaled as there. The residuals are not zero
// outside a domain, so every cell of a stratum enters every domain's sums.
type UnitResiduals struct {
	// W and W2 are per cell Σ w and Σ w² over its units (final weights).
	W, W2 []float64
	// WY and WX are, per estimand k and per cell, Σ w² y_k and Σ w² x_k
	// (WX nil for a total), for Σ w z = Σ w² r. Nil: UnitMoments.YX and
	// XX stand for them, which holds when x_k is 0 or 1 and y_k = 0
	// where x_k = 0; a total then needs them.
	WY, WX [][]float64
	// Adjust takes the cell sums Σ z of influence vectors (one value per
	// cell, zero outside the domain) and replaces each in place by the
	// cell sums of the units' residuals, Σ z − A_c W_c. It must treat
	// every vector alone, be linear and safe for concurrent use
	// (weighting.Result.AdjustInfluence of a weighting run on the cells).
	Adjust func(zs ...[]float64)
	// AdjustTerms is Adjust for an adjustment that needs to know what each
	// vector is (as DesignOptions.AdjustInfluenceTerms: terms[b] says how
	// zs[b] was formed, over the cells of domain Domain, −1 for every
	// cell); set one of them. A combination of estimands, or a contrast,
	// is adjusted through its terms.
	AdjustTerms func(terms []InfluenceTerm, zs ...[]float64)
}

// checkResiduals checks the Residuals of a design of unit moments.
func (d *Design) checkResiduals() error {
	u := d.spec.Units
	if u == nil || u.Residuals == nil {
		return nil
	}
	e := u.Residuals
	switch {
	case (e.Adjust == nil) == (e.AdjustTerms == nil):
		return fmt.Errorf("sampling: %w: unit residuals need one adjustment (Adjust or AdjustTerms)", ErrBadDesign)
	case len(e.W) != d.n || len(e.W2) != d.n:
		return fmt.Errorf("sampling: %w: unit residuals of %d and %d cells for %d rows", ErrBadDesign, len(e.W), len(e.W2), d.n)
	case e.WY != nil && (len(e.WY) != len(u.YY) || len(e.WX) != len(u.YY)):
		return fmt.Errorf("sampling: %w: unit residuals' first moments of %d and %d estimands for %d", ErrBadDesign, len(e.WY), len(e.WX), len(u.YY))
	case d.spec.AdjustDomainLonely:
		return fmt.Errorf("sampling: %w: the domain lonely-PSU adjustment is supported for one-stage designs without calibration or PPS", ErrBadDesign)
	}
	return nil
}

// vrMomentsResiduals is vrInfluence for a design with Units and
// Residuals: per domain g the cells' Σ z (zero outside g) from the
// moments, their residual coefficients A_c from the adjustment of those
// cell sums, and per stratum Σ e and Σ e² over all its cells (Σ z² and
// Σ w z from the moments again), finished as infStrataCov with every unit
// its own PSU. VsOverall: the difference e_g − e_all, whose raw part is
// z_g − z_all (the moments of the difference coefficients in g's cells,
// −z_all elsewhere) and whose coefficient is A_g − A_all. It holds three
// floats per cell and estimand (the cell sums and the domain's and the
// whole population's coefficients). Design effects are NaN (the caller's).
func (d *Design) vrMomentsResiduals(r *Ratios, t *vrTotals) (V, s1, s2 []float64) {
	u := d.spec.Units
	res := u.Residuals
	f := newMomentForms(u, r, t)
	K, J, G, n, H := t.K, t.J, t.G, d.n, len(d.nh)
	for k := 0; k < K; k++ {
		if vrDen(r, k) == nil && res.WY == nil {
			panic("sampling: EstimateRatios: unit residuals without WY carry ratios, not totals")
		}
	}
	V, s1, s2 = make([]float64, G*J), make([]float64, G*J), make([]float64, G*J)
	in := func(g, i int) bool {
		return r.Domain == nil || g == t.overall || int(r.Domain[i]) == g
	}
	newJ := func() [][]float64 {
		x := make([][]float64, J)
		for j := range x {
			x[j] = make([]float64, n)
		}
		return x
	}
	zb, qb, pb := make([]float64, J), make([]float64, J), make([]float64, J)
	// moments sets zb, qb, pb to the cell's Σ z, Σ z² and Σ w z under the
	// coefficients al, be (Σ w² r = α Σ w²y − β Σ w²x; without WY, WX:
	// y·x = y, x² = x)
	moments := func(i int, al, be []float64) {
		f.cell(i, al, be, zb, qb)
		for k := 0; k < K; k++ {
			switch {
			case res.WY == nil:
				pb[k] = al[k]*u.YX[k][i] - be[k]*u.XX[k][i]
			case res.WX[k] == nil: // a total: Σ w z = α Σ w² y
				pb[k] = al[k] * res.WY[k][i]
			default:
				pb[k] = al[k]*res.WY[k][i] - be[k]*res.WX[k][i]
			}
		}
		for c, terms := range t.combos {
			v := 0.0
			for _, tm := range terms {
				v += tm.coef * pb[tm.k]
			}
			pb[K+c] = v
		}
	}
	Z, A := newJ(), newJ()
	var allA [][]float64
	if t.vs {
		allA = newJ()
	}
	S, Q := make([]float64, H*J), make([]float64, H*J)
	Sh, Qh := make([]float64, H), make([]float64, H)
	// finish writes to out[j] the variance from the strata's S and Q
	finish := func(out func(j int, v float64)) {
		for j := 0; j < J; j++ {
			for h := 0; h < H; h++ {
				Sh[h], Qh[h] = S[h*J+j], Q[h*J+j]
			}
			out(j, d.unitStrataVar(Sh, Qh))
		}
	}
	order := make([]int, 0, G)
	if t.vs {
		order = append(order, t.overall)
	}
	for g := 0; g < G; g++ {
		if !t.vs || g != t.overall {
			order = append(order, g)
		}
	}
	aA, bA := t.a, t.b
	if t.vs {
		aA, bA = t.a[t.overall*K:t.overall*K+K], t.b[t.overall*K:t.overall*K+K]
	}
	dal, dbe := make([]float64, K), make([]float64, K)
	for _, g := range order {
		al, be := t.a[g*K:g*K+K], t.b[g*K:g*K+K]
		// the cells' Σ z in g, and their coefficients A = (Σ z − Σ e)/W
		for i := 0; i < n; i++ {
			if !in(g, i) {
				for j := 0; j < J; j++ {
					Z[j][i] = 0
				}
				continue
			}
			f.cell(i, al, be, zb, qb)
			for j := 0; j < J; j++ {
				Z[j][i] = zb[j]
			}
		}
		for j := 0; j < J; j++ {
			copy(A[j], Z[j])
		}
		res.adjust(t, g, r.Domain == nil, A)
		for j := 0; j < J; j++ {
			for i, adj := range A[j] {
				if res.W[i] != 0 {
					A[j][i] = (Z[j][i] - adj) / res.W[i]
				} else {
					A[j][i] = 0
				}
				s1[g*J+j] += Z[j][i]
			}
			s2[g*J+j] = math.NaN()
		}
		// per stratum Σ e and Σ e² over all its cells
		clear(S)
		clear(Q)
		d.eachCell(func(h, i int) {
			if !in(g, i) {
				return
			}
			moments(i, al, be)
			for j := 0; j < J; j++ {
				a := A[j][i]
				S[h*J+j] += zb[j]
				Q[h*J+j] += qb[j] - 2*a*pb[j]
			}
		})
		d.eachCell(func(h, i int) {
			w, w2 := res.W[i], res.W2[i]
			for j := 0; j < J; j++ {
				a := A[j][i]
				S[h*J+j] -= a * w
				Q[h*J+j] += a * a * w2
			}
		})
		finish(func(j int, v float64) { V[g*J+j] = v })
		if !t.vs {
			continue
		}
		if g == t.overall {
			for j := 0; j < J; j++ {
				copy(allA[j], A[j])
			}
			continue
		}
		// the difference e_g − e_all: z_g − z_all in g's cells (the
		// difference coefficients), −z_all elsewhere; coefficient A_g − A_all
		for k := 0; k < K; k++ {
			dal[k], dbe[k] = al[k]-aA[k], be[k]-bA[k]
		}
		clear(S)
		clear(Q)
		d.eachCell(func(h, i int) {
			sign := 1.0
			if in(g, i) {
				moments(i, dal, dbe)
			} else {
				moments(i, aA, bA)
				sign = -1
			}
			w, w2 := res.W[i], res.W2[i]
			for j := 0; j < J; j++ {
				a := A[j][i] - allA[j][i]
				z, p := sign*zb[j], sign*pb[j]
				S[h*J+j] += z - a*w
				Q[h*J+j] += qb[j] - 2*a*p + a*a*w2
			}
		})
		finish(func(j int, v float64) { t.vsV[g*J+j] = v })
	}
	d.vrAverage(r, t, V, nil) // AdjustDomainLonely is refused with Residuals
	return V, s1, s2
}

// adjust replaces the J vectors zs of domain g (t's estimands, then its
// combinations) by their adjusted values: all at once by Adjust, or the
// estimands' with their terms by AdjustTerms and each combination as the
// same combination of its terms' adjusted vectors (the adjustment is
// linear). noDomains: the design has no domains (every term's Domain −1).
func (e *UnitResiduals) adjust(t *vrTotals, g int, noDomains bool, zs [][]float64) {
	if e.AdjustTerms == nil {
		e.Adjust(zs...)
		return
	}
	K := t.K
	dom := g
	if noDomains || g == t.overall {
		dom = -1
	}
	terms := make([]InfluenceTerm, K)
	for k := range terms {
		terms[k] = InfluenceTerm{Domain: dom, Item: k, A: t.a[g*K+k], B: t.b[g*K+k]}
	}
	e.AdjustTerms(terms, zs[:K]...)
	for c, cterms := range t.combos {
		z := zs[K+c]
		clear(z)
		for _, tm := range cterms {
			for i, v := range zs[tm.k] {
				z[i] += tm.coef * v
			}
		}
	}
}

// ctResidualVar is the variance of a contrast of a design with Units and
// Residuals from its cells' Σ z (zc, overwritten), Σ z² (qc) and Σ w z
// (pc): the cells' coefficients A = (Σ z − Σ e)/W from the adjustment of
// Σ z, and per stratum Σ e and Σ e² (in S and Q, of one float per
// stratum) finished by unitStrataVar. With UnitResiduals.AdjustTerms, Σ e
// is the sum of the contrast's terms tzs adjusted with their terms (tzs
// overwritten).
func (d *Design) ctResidualVar(zc, qc, pc, S, Q []float64, terms []InfluenceTerm, tzs [][]float64) float64 {
	res := d.spec.Units.Residuals
	var e []float64
	if res.AdjustTerms != nil {
		// the contrast's terms adjusted one by one, summed
		res.AdjustTerms(terms, tzs...)
		e = make([]float64, len(zc))
		for _, z := range tzs {
			for i, v := range z {
				e[i] += v
			}
		}
	} else {
		e = append([]float64(nil), zc...)
		res.Adjust(e)
	}
	clear(S)
	clear(Q)
	d.eachCell(func(h, i int) {
		a := 0.0
		if w := res.W[i]; w != 0 {
			a = (zc[i] - e[i]) / w
		}
		S[h] += zc[i] - a*res.W[i]
		Q[h] += qc[i] - 2*a*pc[i] + a*a*res.W2[i]
	})
	return d.unitStrataVar(S, Q)
}

// eachCell calls fn with every cell (row) i and its stratum h, stratum
// by stratum.
func (d *Design) eachCell(fn func(h, i int)) {
	for h := range d.nh {
		for p := d.strataPSU[h]; p < d.strataPSU[h+1]; p++ {
			for pos := d.psuStart[p]; pos < d.psuStart[p+1]; pos++ {
				i := int(pos)
				if d.order != nil {
					i = int(d.order[pos])
				}
				fn(h, i)
			}
		}
	}
}

// unitStrataVar is infStrataCov(e, e) over units that are their own PSUs,
// from each stratum's Σ e (S) and Σ e² (Q) over its n_h units.
func (d *Design) unitStrataVar(S, Q []float64) float64 {
	var ca float64
	if d.spec.Lonely == LonelyAdjust && d.okStrata < len(d.nh) {
		np := 0
		for h, nh := range d.nh {
			np += nh
			ca += S[h]
		}
		ca /= float64(np)
	}
	var v float64
	for h, nh := range d.nh {
		fh := d.fh[h]
		if fh < 1e-7 {
			continue
		}
		fn := float64(nh)
		if nh <= 1 {
			if d.spec.Lonely == LonelyAdjust {
				v += fh * (Q[h] - 2*ca*S[h] + ca*ca*fn)
			}
			continue
		}
		v += fh * fn / (fn - 1) * (Q[h] - S[h]*S[h]/fn)
	}
	return v
}
