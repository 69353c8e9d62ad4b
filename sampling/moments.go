package sampling

import (
	"fmt"
	"math"
	"slices"
)

// UnitMoments are the moments of the units summed into the rows (cells)
// of a design without PSU column, where every unit is its own PSU: row c
// sums the units of one stratum, fpc value and domain, is weighted 1, and
// its Ratios numerator and denominator are the units' Σ w y and Σ w x.
// The influence value of a unit for ratio k in a domain is
// z = w (a_k y_k − b_k x_k) (a_k = 1/X_k, b_k = R_k/X_k), so a stratum's
// Σ z over its units is that of the cells and
//
//	Σ z² = a² Σ w² y² − 2ab Σ w² y x + b² Σ w² x²,
//
// and a combination's Σ (Σ_k c_k z_k)² needs the cross-moments of its
// terms. With n_h the units of stratum h, its contribution
// (1 − f_h) n_h/(n_h − 1) (Σ z² − (Σ z)²/n_h) is that of EstimateRatios on
// the units, with the same fpc (of n_h units), lonely-PSU rules (a
// stratum of one unit) and degrees of freedom (units of nonzero weight
// minus strata); so are the differences from the whole population
// (Ratios.VsOverall), and the contrasts between domains (Contrasts), whose
// terms in one cell combine the moments of their estimands. A total
// (no denominator) has z = w y, so Σ z² = Σ w² y² and its YX and XX are
// not read. A design with Units serves EstimateRatios of ratios and totals
// (no Items or Cov) under linearization; its design effects are NaN (they
// need Σ w y², the caller's).
type UnitMoments struct {
	// Units are the units of each cell, Positive those of nonzero weight.
	Units, Positive []int64
	// YY, YX and XX are, per estimand k of Ratios.Num and per cell,
	// Σ w² y_k², Σ w² y_k x_k and Σ w² x_k² (YX and XX nil for a total).
	YY, YX, XX [][]float64
	// Pairs are the cross-moments of two estimands, one for every two
	// terms of a combination (Ratios.Combos).
	Pairs []MomentPair
	// Residuals, when set, make the variance calibration-aware for a
	// weighting constant within each cell (see UnitResiduals).
	Residuals *UnitResiduals
}

// MomentPair are the cross-moments, per cell, of estimands K < L:
// Σ w² y_K y_L, Σ w² y_K x_L, Σ w² x_K y_L and Σ w² x_K x_L.
type MomentPair struct {
	K, L           int
	YY, YX, XY, XX []float64
}

// unitsAt returns the units of row i: 1, or those of the cell.
func (d *Design) unitsAt(i int) int {
	if u := d.spec.Units; u != nil {
		return int(u.Units[i])
	}
	return 1
}

// checkUnits checks the Units of the design of n rows.
func (d *Design) checkUnits() error {
	u, s := d.spec.Units, &d.spec
	if u == nil {
		return nil
	}
	switch {
	case s.PSU != "" || len(s.Stages) > 0 || s.PPS != PPSNone:
		return fmt.Errorf("sampling: %w: unit moments stand for a design whose every row is its own PSU (no PSU column, stages or PPS)", ErrBadDesign)
	case s.Variance != Linearization:
		return fmt.Errorf("sampling: %w: unit moments give linearized variances only", ErrBadDesign)
	case s.AdjustInfluence != nil || s.AdjustInfluenceTerms != nil:
		return fmt.Errorf("sampling: %w: unit moments carry no calibration residuals", ErrBadDesign)
	case s.Weight == "" && s.FPC != "":
		return fmt.Errorf("sampling: %w: unit moments need the cells' weights", ErrBadDesign)
	case len(u.Units) != d.n || len(u.Positive) != d.n:
		return fmt.Errorf("sampling: %w: unit counts of %d and %d cells for %d rows", ErrBadDesign, len(u.Units), len(u.Positive), d.n)
	}
	for i, n := range u.Units {
		if n < 1 || u.Positive[i] < 0 || u.Positive[i] > n {
			return fmt.Errorf("sampling: %w: cell %d holds %d units, %d of nonzero weight", ErrBadDesign, i+1, n, u.Positive[i])
		}
	}
	return d.checkResiduals()
}

// unitsDF sets the degrees of freedom of a design with Units: units of
// nonzero weight minus strata holding one (R degf.survey.design2).
func (d *Design) unitsDF() {
	u := d.spec.Units
	strOK := make([]bool, len(d.nh))
	np, ns := 0, 0
	for i, p := range u.Positive {
		if p > 0 {
			np += int(p)
			if h := d.stratum[i]; !strOK[h] {
				strOK[h] = true
				ns++
			}
		}
		if p < u.Units[i] {
			d.zeroW = true
		}
	}
	d.df = np - ns
}

// momentForms computes the influence sums of the cells from their moments.
type momentForms struct {
	u     *UnitMoments
	r     *Ratios
	t     *vrTotals
	pairs [][]int32 // [c]: per term pair (i < j of t.combos[c]) its Pairs index
}

func newMomentForms(u *UnitMoments, r *Ratios, t *vrTotals) *momentForms {
	if len(r.Items) > 0 || r.Cov {
		panic("sampling: EstimateRatios: unit moments carry ratios and totals of Num and Den only, without Cov")
	}
	K := t.K
	if len(u.YY) != K || len(u.YX) != K || len(u.XX) != K {
		panic(fmt.Sprintf("sampling: EstimateRatios: unit moments of %d estimands, want %d", len(u.YY), K))
	}
	at := make(map[[2]int]int32, len(u.Pairs))
	for p, pr := range u.Pairs {
		at[[2]int{pr.K, pr.L}] = int32(p)
	}
	f := &momentForms{u: u, r: r, t: t, pairs: make([][]int32, len(t.combos))}
	for c, terms := range t.combos {
		for i := range terms {
			for j := i + 1; j < len(terms); j++ {
				k, l := terms[i].k, terms[j].k
				if k > l {
					k, l = l, k
				}
				p, ok := at[[2]int{k, l}]
				if !ok {
					panic(fmt.Sprintf("sampling: EstimateRatios: no unit cross-moments of estimands %d and %d (combination %d)", k, l, c))
				}
				f.pairs[c] = append(f.pairs[c], p)
			}
		}
	}
	return f
}

// cell sets z[j] = Σ z and q[j] = Σ z² over the units of cell i for the
// influence values w (α_k y_k − β_k x_k) of every estimand and combination.
func (f *momentForms) cell(i int, al, be, z, q []float64) {
	K, u := f.t.K, f.u
	for k := 0; k < K; k++ {
		a, b := al[k], be[k]
		if x := vrDen(f.r, k); x != nil {
			z[k] = a*f.r.Num[k][i] - b*x[i]
			q[k] = a*a*u.YY[k][i] - 2*a*b*u.YX[k][i] + b*b*u.XX[k][i]
		} else { // a total: z = w y a
			z[k] = a * f.r.Num[k][i]
			q[k] = a * a * u.YY[k][i]
		}
	}
	for c, terms := range f.t.combos {
		zc, qc := 0.0, 0.0
		for _, tm := range terms {
			zc += tm.coef * z[tm.k]
			qc += tm.coef * tm.coef * q[tm.k]
		}
		n := 0
		for x := range terms {
			for y := x + 1; y < len(terms); y++ {
				pr := &u.Pairs[f.pairs[c][n]]
				n++
				k, l, ck, cl := terms[x].k, terms[y].k, terms[x].coef, terms[y].coef
				if k > l {
					k, l, ck, cl = l, k, cl, ck
				}
				ak, bk, aL, bL := al[k], be[k], al[l], be[l]
				qc += 2 * ck * cl * (ak*aL*pr.YY[i] - ak*bL*pr.YX[i] - bk*aL*pr.XY[i] + bk*bL*pr.XX[i])
			}
		}
		z[K+c], q[K+c] = zc, qc
	}
}

// vrMoments is vrLinearize for a design with Units: per stratum and
// domain the units' Σ z and Σ z² from the cells' moments, turned into the
// Welford sums vrStratumEnd finishes (m units, mean, centred sum of
// squares); the differences from the whole population per stratum from
// Σ d and Σ d² of d = z_g − z_all; under LonelyAdjust the lonely units'
// totals recentred as on the rows (vrLonelyAdjust: a lonely stratum or
// domain holds one unit, whose total is its cell's). Design effects are
// NaN.
func (d *Design) vrMoments(r *Ratios, t *vrTotals) (V, s1, s2 []float64) {
	f := newMomentForms(d.spec.Units, r, t)
	K, J, G := t.K, t.J, t.G
	wk := d.newVrWorker(t, false)
	wk.VD = nil // the differences are finished here
	S, Q := make([]float64, G*J), make([]float64, G*J)
	z, q := make([]float64, J), make([]float64, J)
	var VD []float64
	var cellsA []int       // the stratum's cells
	var zA, qA []float64   // their overall Σ z, Σ z² (VsOverall)
	var dal, dbe []float64 // coefficients of a difference
	sD, qD := make([]float64, J), make([]float64, J)
	if t.vs {
		VD = make([]float64, G*J)
		dal, dbe = make([]float64, K), make([]float64, K)
	}
	add := func(h, g, i int) {
		if wk.strMark[g] != int32(h)+1 {
			wk.strMark[g] = int32(h) + 1
			wk.strTouch = append(wk.strTouch, int32(g))
			wk.m[g] = 0
			clear(S[g*J : g*J+J])
			clear(Q[g*J : g*J+J])
		}
		wk.m[g] += d.unitsAt(i)
		f.cell(i, t.a[g*K:g*K+K], t.b[g*K:g*K+K], z, q)
		for j := 0; j < J; j++ {
			S[g*J+j] += z[j]
			Q[g*J+j] += q[j]
		}
	}
	for h := range d.nh {
		cellsA = cellsA[:0]
		for p := d.strataPSU[h]; p < d.strataPSU[h+1]; p++ {
			for pos := d.psuStart[p]; pos < d.psuStart[p+1]; pos++ {
				i := int(pos)
				if d.order != nil {
					i = int(d.order[pos])
				}
				cellsA = append(cellsA, i)
				g := 0
				if r.Domain != nil {
					g = int(r.Domain[i])
				}
				if g >= 0 {
					add(h, g, i)
				}
				if t.overall >= 0 {
					add(h, t.overall, i)
				}
			}
		}
		for _, g := range wk.strTouch {
			m := float64(wk.m[g])
			for j := 0; j < J; j++ {
				s := S[int(g)*J+j]
				wk.s1[int(g)*J+j] += s
				wk.mean[int(g)*J+j] = s / m
				wk.m2[int(g)*J+j] = Q[int(g)*J+j] - s*s/m
			}
		}
		if t.vs {
			d.momentsVs(f, t, h, cellsA, VD, &zA, &qA, dal, dbe, sD, qD, z, q)
		}
		d.vrStratumEnd(wk, h)
	}
	V, s1, s2 = wk.V, wk.s1, wk.s2
	for i := range s2 {
		s2[i] = math.NaN()
	}
	if t.vs {
		t.vsV = VD[:t.overall*J]
	}
	d.vrAverage(r, t, V, nil)
	if d.spec.Lonely == LonelyAdjust {
		// a lonely unit's total is its cell's Σ z
		d.vrLonelyAdjust(r, t, V, nil, s1)
	}
	return V, s1, s2
}

// momentsVs adds stratum h's contribution to the variances VD of the
// differences domain − overall, as vrStratumEndVs: over the stratum's n_h
// units the difference is z_g − z_all in the domain and −z_all elsewhere,
// (1 − f_h) n_h/(n_h − 1) (Σ d² − (Σ d)²/n_h).
func (d *Design) momentsVs(f *momentForms, t *vrTotals, h int, cells []int, VD []float64, zA, qA *[]float64, dal, dbe, sD, qD, z, q []float64) {
	K, J, gA := t.K, t.J, t.overall
	scale, center, ok := d.vsStratum(h)
	if !ok || len(cells) == 0 {
		return
	}
	nh := d.nh[h]
	// the overall's sums per cell
	*zA, *qA = (*zA)[:0], (*qA)[:0]
	aA, bA := t.a[gA*K:gA*K+K], t.b[gA*K:gA*K+K]
	for _, i := range cells {
		f.cell(i, aA, bA, z, q)
		*zA, *qA = append(*zA, z...), append(*qA, q...)
	}
	dom := f.r.Domain
	fn := float64(nh)
	for g := 0; g < gA; g++ {
		clear(sD)
		clear(qD)
		for k := 0; k < K; k++ {
			dal[k], dbe[k] = t.a[g*K+k]-aA[k], t.b[g*K+k]-bA[k]
		}
		for e, i := range cells {
			if int(dom[i]) == g {
				f.cell(i, dal, dbe, z, q)
				for j := 0; j < J; j++ {
					sD[j] += z[j]
					qD[j] += q[j]
				}
				continue
			}
			za, qa := (*zA)[e*J:e*J+J], (*qA)[e*J:e*J+J]
			for j := 0; j < J; j++ {
				sD[j] -= za[j]
				qD[j] += qa[j]
			}
		}
		for j := 0; j < J; j++ {
			ss := qD[j]
			if center {
				ss -= sD[j] * sD[j] / fn
			}
			VD[g*J+j] += scale * ss
		}
	}
}

// ctMoments is Contrasts' linearization for a design with Units. In a
// cell of domain g a unit's influence value for the contrast is
// Σ_t c_t z_{g_t j_t} over the terms of domain g or of the whole
// population, a combination Σ_k w (α_k y_k − β_k x_k) of its estimands
// with α_k = Σ_t c_t a_{g_t k} and β_k = Σ_t c_t b_{g_t k}; its Σ z and
// Σ z² over the cell's units come from the moments (the cross-moments of
// two estimands when a cell combines them). Per stratum of n_h units the
// variance is ctLinearize's: (1 − f_h) n_h/(n_h − 1) (Σ z² − (Σ z)²/n_h),
// lonely strata as there. With Residuals the contrast's influence values
// are adjusted as one (the adjustment is linear): its cells' Σ z give
// their coefficients A_c and each stratum's Σ e and Σ e² come as in
// vrMomentsResiduals, from Σ w z = Σ_k (α_k Σ w² y_k − β_k Σ w² x_k).
func (d *Design) ctMoments(r *Ratios, t *vrTotals, cs [][]ContrastTerm, out *ContrastResult) error {
	u := d.spec.Units
	K := t.K
	at := make(map[[2]int]int, len(u.Pairs))
	for p, pr := range u.Pairs {
		at[[2]int{pr.K, pr.L}] = p
	}
	np := 0
	for _, nh := range d.nh {
		np += nh
	}
	avg := 1.0
	if d.spec.Lonely == LonelyAverage && d.okStrata < len(d.nh) {
		avg = float64(len(d.nh)) / float64(d.okStrata)
	}
	type term struct {
		g, k int
		coef float64
	}
	var ex []term
	var ks []int // the estimands combined in a cell
	al, be := make([]float64, K), make([]float64, K)
	used := make([]bool, K)
	hs, qs := make([]float64, len(d.nh)), make([]float64, len(d.nh))
	at0 := func(v []float64, i int) float64 { // nil (a total's x): 0
		if v == nil {
			return 0
		}
		return v[i]
	}
	res := u.Residuals
	var zc, qc, pc []float64 // per cell Σ z, Σ z², Σ w z (with Residuals)
	var tm *UnitTerms
	P := 1
	if res != nil {
		zc, qc, pc = make([]float64, d.n), make([]float64, d.n), make([]float64, d.n)
		if tm = res.Terms; tm != nil {
			// per cell and term Σ z b_k instead of Σ w z
			P = tm.P
			pc = make([]float64, d.n*P)
		}
	}
	for c, terms := range cs {
		ex = ex[:0]
		for _, tm := range terms {
			if tm.Estimand < K {
				ex = append(ex, term{tm.Domain, tm.Estimand, tm.Coef})
				continue
			}
			for _, ct := range t.combos[tm.Estimand-K] {
				ex = append(ex, term{tm.Domain, ct.k, tm.Coef * ct.coef})
			}
		}
		clear(hs)
		clear(qs)
		clear(zc)
		clear(qc)
		clear(pc)
		total := 0.0
		for i := 0; i < d.n; i++ {
			g := 0
			if r.Domain != nil {
				g = int(r.Domain[i])
			}
			ks = ks[:0]
			for _, e := range ex {
				if e.g != g && e.g != t.overall {
					continue
				}
				if !used[e.k] {
					used[e.k] = true
					al[e.k], be[e.k] = 0, 0
					ks = append(ks, e.k)
				}
				al[e.k] += e.coef * t.a[e.g*K+e.k]
				be[e.k] += e.coef * t.b[e.g*K+e.k]
			}
			if len(ks) == 0 {
				continue
			}
			slices.Sort(ks)
			z, q, pw := 0.0, 0.0, 0.0 // pw: Σ w z
			for x, k := range ks {
				used[k] = false
				a, b := al[k], be[k]
				den := vrDen(r, k)
				z += a*r.Num[k][i] - b*at0(den, i)
				q += a*a*u.YY[k][i] - 2*a*b*at0(u.YX[k], i) + b*b*at0(u.XX[k], i)
				switch {
				case res == nil:
				case tm != nil:
					for l := 0; l < P; l++ {
						v := a * tm.WYB[k*P+l][i]
						if tm.WXB != nil && tm.WXB[k*P+l] != nil {
							v -= b * tm.WXB[k*P+l][i]
						}
						pc[i*P+l] += v
					}
				case res.WY != nil:
					pw += a*res.WY[k][i] - b*at0(res.WX[k], i)
				case den == nil:
					return fmt.Errorf("sampling: Contrasts: %w: the unit residuals lack the first moments of total %d", ErrBadDesign, k)
				default:
					pw += a*u.YX[k][i] - b*u.XX[k][i]
				}
				for _, l := range ks[x+1:] {
					p, ok := at[[2]int{k, l}]
					if !ok {
						return fmt.Errorf("sampling: Contrasts: %w: contrast %d combines estimands %d and %d in one domain, whose unit cross-moments the design lacks", ErrBadDesign, c, k, l)
					}
					pr := &u.Pairs[p]
					aL, bL := al[l], be[l]
					q += 2 * (a*aL*pr.YY[i] - a*bL*at0(pr.YX, i) - b*aL*at0(pr.XY, i) + b*bL*at0(pr.XX, i))
				}
			}
			if res != nil {
				zc[i], qc[i] = z, q
				if tm == nil {
					pc[i] = pw
				}
				continue
			}
			h := d.stratum[i]
			hs[h] += z
			qs[h] += q
			total += z
		}
		if res != nil {
			var its []InfluenceTerm
			var tzs [][]float64
			if res.AdjustTerms != nil || tm != nil {
				// each term of the contrast its own vector, for the
				// adjustment that needs to know what it is
				for _, e := range ex {
					a, b := e.coef*t.a[e.g*K+e.k], e.coef*t.b[e.g*K+e.k]
					dom := e.g
					if r.Domain == nil || e.g == t.overall {
						dom = -1
					}
					its = append(its, InfluenceTerm{Domain: dom, Item: e.k, A: a, B: b})
					z := make([]float64, d.n)
					den := vrDen(r, e.k)
					for i := range z {
						if dom < 0 || int(r.Domain[i]) == dom {
							z[i] = a*r.Num[e.k][i] - b*at0(den, i)
						}
					}
					tzs = append(tzs, z)
				}
			}
			out.Var[c] = avg * d.ctResidualVar(zc, qc, pc, hs, qs, its, tzs)
			continue
		}
		var v float64
		for h, nh := range d.nh {
			f := d.fh[h]
			if f < 1e-7 || d.lonely[h] {
				continue
			}
			fn := float64(nh)
			v += f * fn / (fn - 1) * (qs[h] - hs[h]*hs[h]/fn)
		}
		if d.spec.Lonely == LonelyAdjust {
			c0 := total / float64(np)
			for h, l := range d.lonely {
				if f := d.fh[h]; l && f >= 1e-7 {
					v += f * (hs[h] - c0) * (hs[h] - c0)
				}
			}
		}
		out.Var[c] = avg * v
	}
	return nil
}
