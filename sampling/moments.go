package sampling

import (
	"fmt"
	"math"
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
// (Ratios.VsOverall). A design with Units serves EstimateRatios of ratios
// (no totals, Items or Cov) under linearization; its design effects are
// NaN (they need Σ w y², the caller's).
type UnitMoments struct {
	// Units are the units of each cell, Positive those of nonzero weight.
	Units, Positive []int64
	// YY, YX and XX are, per estimand k of Ratios.Num and per cell,
	// Σ w² y_k², Σ w² y_k x_k and Σ w² x_k².
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
		panic("sampling: EstimateRatios: unit moments carry ratios of Num and Den only, without Cov")
	}
	K := t.K
	if len(u.YY) != K || len(u.YX) != K || len(u.XX) != K {
		panic(fmt.Sprintf("sampling: EstimateRatios: unit moments of %d estimands, want %d", len(u.YY), K))
	}
	for k := 0; k < K; k++ {
		if vrDen(r, k) == nil {
			panic("sampling: EstimateRatios: unit moments carry ratios, not totals")
		}
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
		z[k] = a*f.r.Num[k][i] - b*f.r.Den[k][i]
		q[k] = a*a*u.YY[k][i] - 2*a*b*u.YX[k][i] + b*b*u.XX[k][i]
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
// Σ d and Σ d² of d = z_g − z_all. Design effects are NaN.
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
