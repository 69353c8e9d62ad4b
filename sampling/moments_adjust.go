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
	// Terms, set instead of Adjust and AdjustTerms (W, W2, WY and WX are
	// then not read), are residuals that differ unit by unit within a
	// cell (see UnitTerms).
	Terms *UnitTerms
}

// checkResiduals checks the Residuals of a design of unit moments.
func (d *Design) checkResiduals() error {
	u := d.spec.Units
	if u == nil || u.Residuals == nil {
		return nil
	}
	e := u.Residuals
	set := 0
	for _, ok := range []bool{e.Adjust != nil, e.AdjustTerms != nil, e.Terms != nil} {
		if ok {
			set++
		}
	}
	switch {
	case set != 1:
		return fmt.Errorf("sampling: %w: unit residuals need one adjustment (Adjust, AdjustTerms or Terms)", ErrBadDesign)
	case e.Terms != nil:
		return d.checkUnitTerms(e.Terms)
	case len(e.W) != d.n || len(e.W2) != d.n:
		return fmt.Errorf("sampling: %w: unit residuals of %d and %d cells for %d rows", ErrBadDesign, len(e.W), len(e.W2), d.n)
	case e.WY != nil && (len(e.WY) != len(u.YY) || len(e.WX) != len(u.YY)):
		return fmt.Errorf("sampling: %w: unit residuals' first moments of %d and %d estimands for %d", ErrBadDesign, len(e.WY), len(e.WX), len(u.YY))
	case d.spec.AdjustDomainLonely:
		return fmt.Errorf("sampling: %w: the domain lonely-PSU adjustment is supported for one-stage designs without calibration or PPS", ErrBadDesign)
	}
	return nil
}

// UnitTerms are calibration residuals of a design of unit moments that
// differ unit by unit (a calibration to numeric variables: every unit its
// own factor g_i). The residual of unit i is e_i = z_i − Σ_k b_ik c_k,
// with b_i the unit's P terms and c the P coefficients of the influence
// vector, linear in it (weighting.Streamed.Rows: b_ik = g_i w0_i x_ik).
// Over the units of a cell
//
//	Σ e = Σ z − Σ_k c_k Σ b_k,
//	Σ e² = Σ z² − 2 Σ_k c_k Σ z b_k + Σ_kl c_k c_l Σ b_k b_l,
//
// with Σ z b_k = α Σ w y b_k − β Σ w x b_k for z = w (α y − β x).
type UnitTerms struct {
	// P is the number of terms.
	P int
	// B[k] are per cell Σ b_k, BB[k*P+l] per cell Σ b_k b_l (BB[k*P+l]
	// and BB[l*P+k] may be the same slice).
	B, BB [][]float64
	// WYB[e*P+k] and WXB[e*P+k] are, per estimand e of Ratios.Num and
	// term k, per cell Σ w y_e b_k and Σ w x_e b_k (WXB nil for a total).
	WYB, WXB [][]float64
	// Coefficients returns the coefficients c of the influence vectors
	// the terms describe (one per term, P values each): the vectors
	// themselves are not needed, only how they were formed. It must be
	// safe for concurrent use.
	Coefficients func(terms []InfluenceTerm) [][]float64
}

// unitCorr is what a weighting subtracts from the units' influence values
// of one domain's J vectors, per cell: W_c A_c (UnitResiduals with a
// coefficient per cell) or Σ_k c_k Σ b_k (UnitTerms), and the matching
// parts of Σ e² (cross with Σ z, from the first moments pw of the cell,
// and the square).
type unitCorr struct {
	res  *UnitResiduals
	A    [][]float64 // [j][cell]: the cells' coefficients A_c
	C    [][]float64 // [j][k]: the vectors' coefficients c (UnitTerms)
	J, P int
}

func newUnitCorr(res *UnitResiduals, J, n int) *unitCorr {
	u := &unitCorr{res: res, J: J}
	if tm := res.Terms; tm != nil {
		u.P, u.C = tm.P, make([][]float64, J)
		for j := range u.C {
			u.C[j] = make([]float64, tm.P)
		}
		return u
	}
	u.P, u.A = 1, make([][]float64, J)
	for j := range u.A {
		u.A[j] = make([]float64, n)
	}
	return u
}

// set sets the coefficients of domain g's vectors from their cells' Σ z
// (Z, zero outside g; not changed).
func (u *unitCorr) set(t *vrTotals, g int, noDomains bool, Z [][]float64) {
	if tm := u.res.Terms; tm != nil {
		dom := g
		if noDomains || g == t.overall {
			dom = -1
		}
		K := t.K
		terms := make([]InfluenceTerm, K)
		for k := range terms {
			terms[k] = InfluenceTerm{Domain: dom, Item: k, A: t.a[g*K+k], B: t.b[g*K+k]}
		}
		cf := tm.Coefficients(terms)
		for k := 0; k < K; k++ {
			copy(u.C[k], cf[k])
		}
		for c, cterms := range t.combos {
			v := u.C[K+c]
			clear(v)
			for _, ct := range cterms {
				for k, x := range u.C[ct.k] {
					v[k] += ct.coef * x
				}
			}
		}
		return
	}
	for j := range u.A {
		copy(u.A[j], Z[j])
	}
	u.res.adjust(t, g, noDomains, u.A)
	for j := range u.A {
		for i, adj := range u.A[j] {
			if w := u.res.W[i]; w != 0 {
				u.A[j][i] = (Z[j][i] - adj) / w
			} else {
				u.A[j][i] = 0
			}
		}
	}
}

// sub makes u's coefficients those of u minus o's (a difference of two
// domains' vectors).
func (u *unitCorr) sub(o *unitCorr) {
	for j := range u.A {
		for i, v := range o.A[j] {
			u.A[j][i] -= v
		}
	}
	for j := range u.C {
		for k, v := range o.C[j] {
			u.C[j][k] -= v
		}
	}
}

func (u *unitCorr) copyFrom(o *unitCorr) {
	for j := range u.A {
		copy(u.A[j], o.A[j])
	}
	for j := range u.C {
		copy(u.C[j], o.C[j])
	}
}

// lin and quad are vector j's Σ b·c and Σ (b·c)² over cell i; cross is
// Σ z (b·c) from the cell's first moments pw (moments).
func (u *unitCorr) lin(j, i int) float64 {
	if u.A != nil {
		return u.A[j][i] * u.res.W[i]
	}
	v := 0.0
	for k, c := range u.C[j] {
		v += c * u.res.Terms.B[k][i]
	}
	return v
}

func (u *unitCorr) quad(j, i int) float64 {
	if u.A != nil {
		a := u.A[j][i]
		return a * a * u.res.W2[i]
	}
	c, BB := u.C[j], u.res.Terms.BB
	v := 0.0
	for k, ck := range c {
		if ck == 0 {
			continue
		}
		row := 0.0
		for l, cl := range c {
			row += cl * BB[k*u.P+l][i]
		}
		v += ck * row
	}
	return v
}

func (u *unitCorr) cross(j, i int, pw []float64) float64 {
	if u.A != nil {
		return u.A[j][i] * pw[j]
	}
	v := 0.0
	for k, c := range u.C[j] {
		v += c * pw[j*u.P+k]
	}
	return v
}

// moments sets pw to the first moments of cell i under the coefficients
// al, be (per vector: Σ w z with a coefficient per cell, Σ z b_k with
// UnitTerms; without WY, WX: y·x = y, x² = x).
func (u *unitCorr) moments(m *UnitMoments, t *vrTotals, i int, al, be, pw []float64) {
	K, P, res := t.K, u.P, u.res
	for k := 0; k < K; k++ {
		for l := 0; l < P; l++ {
			var v float64
			switch tm := res.Terms; {
			case tm != nil && tm.WXB == nil:
				v = al[k] * tm.WYB[k*P+l][i]
			case tm != nil:
				v = al[k] * tm.WYB[k*P+l][i]
				if x := tm.WXB[k*P+l]; x != nil {
					v -= be[k] * x[i]
				}
			case res.WY == nil:
				v = al[k]*m.YX[k][i] - be[k]*m.XX[k][i]
			case res.WX[k] == nil: // a total: Σ w z = α Σ w² y
				v = al[k] * res.WY[k][i]
			default:
				v = al[k]*res.WY[k][i] - be[k]*res.WX[k][i]
			}
			pw[k*P+l] = v
		}
	}
	for c, terms := range t.combos {
		for l := 0; l < P; l++ {
			v := 0.0
			for _, tm := range terms {
				v += tm.coef * pw[tm.k*P+l]
			}
			pw[(K+c)*P+l] = v
		}
	}
}

// checkUnitTerms checks the Terms of a design's unit residuals.
func (d *Design) checkUnitTerms(tm *UnitTerms) error {
	u, P := d.spec.Units, tm.P
	switch {
	case d.spec.AdjustDomainLonely:
		return fmt.Errorf("sampling: %w: the domain lonely-PSU adjustment is supported for one-stage designs without calibration or PPS", ErrBadDesign)
	case P < 1 || tm.Coefficients == nil:
		return fmt.Errorf("sampling: %w: unit residual terms need P ≥ 1 terms and their coefficients", ErrBadDesign)
	case len(tm.B) != P || len(tm.BB) != P*P || len(tm.WYB) != len(u.YY)*P || (tm.WXB != nil && len(tm.WXB) != len(u.YY)*P):
		return fmt.Errorf("sampling: %w: unit residual terms of %d, %d and %d moments for %d terms and %d estimands", ErrBadDesign, len(tm.B), len(tm.BB), len(tm.WYB), P, len(u.YY))
	}
	for _, cols := range [][][]float64{tm.B, tm.BB, tm.WYB, tm.WXB} {
		for _, c := range cols {
			if c != nil && len(c) != d.n {
				return fmt.Errorf("sampling: %w: a unit residual term's moments of %d cells for %d rows", ErrBadDesign, len(c), d.n)
			}
		}
	}
	return nil
}

// vrMomentsResiduals is vrInfluence for a design with Units and
// Residuals: per domain g the cells' Σ z (zero outside g) from the
// moments, the weighting's coefficients from them (unitCorr: the cells'
// A_c from the adjustment of those cell sums, or the vectors' c of
// UnitTerms), and per stratum Σ e and Σ e² over all its cells (Σ z² and
// the first moments from the moments again), finished as infStrataCov
// with every unit its own PSU. VsOverall: the difference e_g − e_all,
// whose raw part is z_g − z_all (the moments of the difference
// coefficients in g's cells, −z_all elsewhere) and whose coefficients are
// g's less the whole population's. With a coefficient per cell it holds
// three floats per cell and estimand (the cell sums and the domain's and
// the whole population's coefficients). Design effects are NaN (the
// caller's).
func (d *Design) vrMomentsResiduals(r *Ratios, t *vrTotals) (V, s1, s2 []float64) {
	u := d.spec.Units
	res := u.Residuals
	f := newMomentForms(u, r, t)
	K, J, G, n, H := t.K, t.J, t.G, d.n, len(d.nh)
	for k := 0; k < K; k++ {
		if vrDen(r, k) == nil && res.WY == nil && res.Terms == nil {
			panic("sampling: EstimateRatios: unit residuals without WY carry ratios, not totals")
		}
	}
	V, s1, s2 = make([]float64, G*J), make([]float64, G*J), make([]float64, G*J)
	in := func(g, i int) bool {
		return r.Domain == nil || g == t.overall || int(r.Domain[i]) == g
	}
	Z := make([][]float64, J)
	for j := range Z {
		Z[j] = make([]float64, n)
	}
	uc := newUnitCorr(res, J, n)
	P := uc.P
	zb, qb, pw := make([]float64, J), make([]float64, J), make([]float64, J*P)
	// moments sets zb, qb to the cell's Σ z, Σ z² and pw to its first
	// moments under the coefficients al, be
	moments := func(i int, al, be []float64) {
		f.cell(i, al, be, zb, qb)
		uc.moments(u, t, i, al, be, pw)
	}
	var all, dc *unitCorr
	if t.vs {
		all, dc = newUnitCorr(res, J, n), newUnitCorr(res, J, n)
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
		// the cells' Σ z in g, and the weighting's coefficients
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
		uc.set(t, g, r.Domain == nil, Z)
		for j := 0; j < J; j++ {
			for _, z := range Z[j] {
				s1[g*J+j] += z
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
				S[h*J+j] += zb[j]
				Q[h*J+j] += qb[j] - 2*uc.cross(j, i, pw)
			}
		})
		d.eachCell(func(h, i int) {
			for j := 0; j < J; j++ {
				S[h*J+j] -= uc.lin(j, i)
				Q[h*J+j] += uc.quad(j, i)
			}
		})
		finish(func(j int, v float64) { V[g*J+j] = v })
		if !t.vs {
			continue
		}
		if g == t.overall {
			all.copyFrom(uc)
			continue
		}
		// the difference e_g − e_all: z_g − z_all in g's cells (the
		// difference coefficients), −z_all elsewhere; coefficients g's
		// less the whole population's
		for k := 0; k < K; k++ {
			dal[k], dbe[k] = al[k]-aA[k], be[k]-bA[k]
		}
		dc.copyFrom(uc)
		dc.sub(all)
		clear(S)
		clear(Q)
		d.eachCell(func(h, i int) {
			sign := 1.0
			if in(g, i) {
				moments(i, dal, dbe)
			} else {
				moments(i, aA, bA)
				sign = -1
				for x := range pw {
					pw[x] = -pw[x]
				}
			}
			for j := 0; j < J; j++ {
				S[h*J+j] += sign*zb[j] - dc.lin(j, i)
				Q[h*J+j] += qb[j] - 2*dc.cross(j, i, pw) + dc.quad(j, i)
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
// overwritten). With UnitTerms, pc holds per cell and term Σ z b_k (P
// values a cell) and the contrast's coefficients are the sum of its
// terms'.
func (d *Design) ctResidualVar(zc, qc, pc, S, Q []float64, terms []InfluenceTerm, tzs [][]float64) float64 {
	res := d.spec.Units.Residuals
	if tm := res.Terms; tm != nil {
		// the contrast's coefficients are the sum of its terms'
		uc := newUnitCorr(res, 1, d.n)
		for _, cf := range tm.Coefficients(terms) {
			for k, v := range cf {
				uc.C[0][k] += v
			}
		}
		clear(S)
		clear(Q)
		P := tm.P
		d.eachCell(func(h, i int) {
			S[h] += zc[i] - uc.lin(0, i)
			Q[h] += qc[i] - 2*uc.cross(0, i, pc[i*P:i*P+P]) + uc.quad(0, i)
		})
		return d.unitStrataVar(S, Q)
	}
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
// from each stratum's Σ e (S) and Σ e² (Q) over its n_h units. A
// stratum's sum of squares about the mean (or the lonely centre) is ≥ 0;
// the difference of moments that gives it can fall below 0 by rounding
// when the residuals are near 0 (a calibration variable's own total), and
// is then 0.
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
				v += fh * max(0, Q[h]-2*ca*S[h]+ca*ca*fn)
			}
			continue
		}
		v += fh * fn / (fn - 1) * max(0, Q[h]-S[h]*S[h]/fn)
	}
	return v
}
