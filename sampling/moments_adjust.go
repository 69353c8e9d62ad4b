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
	// Adjust takes the cell sums Σ z of influence vectors (one value per
	// cell, zero outside the domain) and replaces each in place by the
	// cell sums of the units' residuals, Σ z − A_c W_c. It must treat
	// every vector alone, be linear and safe for concurrent use
	// (weighting.Result.AdjustInfluence of a weighting run on the cells).
	Adjust func(zs ...[]float64)
}

// checkResiduals checks the Residuals of a design of unit moments.
func (d *Design) checkResiduals() error {
	u := d.spec.Units
	if u == nil || u.Residuals == nil {
		return nil
	}
	e := u.Residuals
	switch {
	case e.Adjust == nil:
		return fmt.Errorf("sampling: %w: unit residuals without their adjustment", ErrBadDesign)
	case len(e.W) != d.n || len(e.W2) != d.n:
		return fmt.Errorf("sampling: %w: unit residuals of %d and %d cells for %d rows", ErrBadDesign, len(e.W), len(e.W2), d.n)
	case d.spec.AdjustDomainLonely:
		return fmt.Errorf("sampling: %w: the domain lonely-PSU adjustment is supported for one-stage designs without calibration or PPS", ErrBadDesign)
	}
	return nil
}

// vrMomentsResiduals is vrInfluence for a design with Units and
// Residuals: per domain g the cells' Σ z, Σ z² and Σ w z (zero outside g)
// from the moments, their residual coefficients A_c from the adjustment
// of the cell sums Σ z, and per stratum Σ e and Σ e² over all its cells,
// finished as infStrataCov with every unit its own PSU. VsOverall: the
// difference e_g − e_all, whose raw part is z_g − z_all (the moments of
// the difference coefficients in g's cells, −z_all elsewhere) and whose
// coefficient is A_g − A_all. Design effects are NaN (the caller's).
func (d *Design) vrMomentsResiduals(r *Ratios, t *vrTotals) (V, s1, s2 []float64) {
	u := d.spec.Units
	res := u.Residuals
	f := newMomentForms(u, r, t)
	K, J, G, n := t.K, t.J, t.G, d.n
	for k := 0; k < K; k++ {
		if vrDen(r, k) == nil {
			panic("sampling: EstimateRatios: unit residuals carry ratios, not totals")
		}
	}
	V, s1, s2 = make([]float64, G*J), make([]float64, G*J), make([]float64, G*J)
	H := len(d.nh)
	// the cells of each stratum
	cellsOf := make([][]int32, H)
	for h := range d.nh {
		for p := d.strataPSU[h]; p < d.strataPSU[h+1]; p++ {
			for pos := d.psuStart[p]; pos < d.psuStart[p+1]; pos++ {
				i := int32(pos)
				if d.order != nil {
					i = d.order[pos]
				}
				cellsOf[h] = append(cellsOf[h], i)
			}
		}
	}
	in := func(g, i int) bool {
		return r.Domain == nil || g == t.overall || int(r.Domain[i]) == g
	}
	// raw[g]: per cell and j the unadjusted Σ z, Σ z², Σ w z (zero outside g)
	type raw struct{ z, q, p [][]float64 }
	newRaw := func() raw {
		x := raw{make([][]float64, J), make([][]float64, J), make([][]float64, J)}
		for j := 0; j < J; j++ {
			x.z[j], x.q[j], x.p[j] = make([]float64, n), make([]float64, n), make([]float64, n)
		}
		return x
	}
	zb, qb, pb := make([]float64, J), make([]float64, J), make([]float64, J)
	// fill sets x to the moments of coefficients al, be over the cells of
	// domain g (every cell for g < 0), zero elsewhere
	fill := func(x raw, g int, al, be []float64) {
		for i := 0; i < n; i++ {
			if g >= 0 && !in(g, i) {
				for j := 0; j < J; j++ {
					x.z[j][i], x.q[j][i], x.p[j][i] = 0, 0, 0
				}
				continue
			}
			f.cell(i, al, be, zb, qb)
			for k := 0; k < K; k++ {
				pb[k] = al[k]*u.YX[k][i] - be[k]*u.XX[k][i] // Σ w² r: y·x = y, x² = x
			}
			for c, terms := range t.combos {
				v := 0.0
				for _, tm := range terms {
					v += tm.coef * pb[tm.k]
				}
				pb[K+c] = v
			}
			for j := 0; j < J; j++ {
				x.z[j][i], x.q[j][i], x.p[j][i] = zb[j], qb[j], pb[j]
			}
		}
	}
	// coef sets A[j] to the residual coefficients of the vectors x.z
	coef := func(x raw, A [][]float64) {
		for j := 0; j < J; j++ {
			copy(A[j], x.z[j])
		}
		res.Adjust(A...)
		for j := 0; j < J; j++ {
			for i, adj := range A[j] {
				if res.W[i] != 0 {
					A[j][i] = (x.z[j][i] - adj) / res.W[i]
				} else {
					A[j][i] = 0
				}
			}
		}
	}
	newA := func() [][]float64 {
		A := make([][]float64, J)
		for j := range A {
			A[j] = make([]float64, n)
		}
		return A
	}
	S, Q := make([]float64, H), make([]float64, H)
	// strataVar is infStrataCov of the residuals of cells with the raw
	// moments (z, q, p) and coefficients A
	strataVar := func(z, q, p, A []float64) float64 {
		for h, cells := range cellsOf {
			var sh, qh float64
			for _, i := range cells {
				a := A[i]
				sh += z[i] - a*res.W[i]
				qh += q[i] - 2*a*p[i] + a*a*res.W2[i]
			}
			S[h], Q[h] = sh, qh
		}
		return d.unitStrataVar(S, Q)
	}
	var all raw
	var allA [][]float64
	order := make([]int, 0, G)
	if t.vs {
		order = append(order, t.overall)
	}
	for g := 0; g < G; g++ {
		if !t.vs || g != t.overall {
			order = append(order, g)
		}
	}
	x, A := newRaw(), newA()
	var dx raw
	var dA [][]float64
	var dal, dbe []float64
	if t.vs {
		all, allA = newRaw(), newA()
		dx, dA = newRaw(), newA()
		dal, dbe = make([]float64, K), make([]float64, K)
	}
	for _, g := range order {
		al, be := t.a[g*K:g*K+K], t.b[g*K:g*K+K]
		fill(x, g, al, be)
		coef(x, A)
		for j := 0; j < J; j++ {
			for _, v := range x.z[j] {
				s1[g*J+j] += v
			}
			s2[g*J+j] = math.NaN()
			V[g*J+j] = strataVar(x.z[j], x.q[j], x.p[j], A[j])
		}
		if !t.vs {
			continue
		}
		if g == t.overall {
			for j := 0; j < J; j++ {
				copy(all.z[j], x.z[j])
				copy(all.q[j], x.q[j])
				copy(all.p[j], x.p[j])
				copy(allA[j], A[j])
			}
			continue
		}
		// the difference e_g − e_all
		aA, bA := t.a[t.overall*K:t.overall*K+K], t.b[t.overall*K:t.overall*K+K]
		for k := 0; k < K; k++ {
			dal[k], dbe[k] = al[k]-aA[k], be[k]-bA[k]
		}
		fill(dx, g, dal, dbe)
		for j := 0; j < J; j++ {
			for i := 0; i < n; i++ {
				if !in(g, i) {
					dx.z[j][i], dx.q[j][i], dx.p[j][i] = -all.z[j][i], all.q[j][i], -all.p[j][i]
				}
				dA[j][i] = A[j][i] - allA[j][i]
			}
			t.vsV[g*J+j] = strataVar(dx.z[j], dx.q[j], dx.p[j], dA[j])
		}
	}
	if d.spec.Lonely == LonelyAverage && d.okStrata < len(d.nh) {
		sc := d.vrAverageScale(r, t)
		for i := range V {
			V[i] *= sc[i]
		}
		for i := range t.vsV {
			t.vsV[i] *= sc[t.overall*J+i%J]
		}
	}
	return V, s1, s2
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
