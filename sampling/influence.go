package sampling

import (
	"math"
	"sync"
)

// vrInfluence is the linearization of EstimateRatios when
// DesignOptions.AdjustInfluence is set (calibrated weights). For every domain g
// and every estimand or combination j it builds the influence vector of the
// whole sample in the original row order,
//
//	z_i = w_i (y_i a_gj − x_i b_gj)   for rows i in domain g, 0 elsewhere
//
// (a combination: Σ_k c_k z_ik), hands it to the hook, which replaces it by
// the calibration residuals (R svyrecvar with design$postStrata: after
// postStratify, rake or calibrate the residuals are no longer zero outside
// the domain), and then computes, from the PSU totals of the adjusted z over
// every row, the same stratified with-replacement variance as vrLinearize:
//
//	V = Σ_h (1 − f_h) n_h/(n_h − 1) Σ_j (z_hj − z̄_h)²
//
// with the lonely-PSU policies of vrStratumEnd and LonelyAverage's scale.
//
// Multistage designs (DesignOptions.Stages with fpc) take this path too, with
// or without a hook: each totals vector holds the PSU totals followed by
// the unit totals of every later stage (Design.totLen floats), and
// infStrataCov adds the later stages' terms (stagesCov). Everything done
// to PSU totals here is linear, so it applies to the whole vector.
//
// The design-effect sums s1 = Σ z and s2 = Σ z²/w are those of the
// UNADJUSTED z, as R does: svymean's deff = "replace" divides the
// calibration-aware variance by svyvar(x, design)/n, the weighted variance
// under the calibrated weights, which does not see the calibration.
//
// Each (g, k) costs one pass over the rows plus its share of a hook call:
// the K estimands of one domain run on two goroutines (the hook must be
// safe for concurrent use), each handing its vectors to the hook in blocks
// of up to infBlockFloats/n vectors, so that the hook's own work (the
// operator of each step) is shared by the block. The hook is linear (R's
// residualizations are), so a combination's adjusted PSU totals are the
// same combination of its terms' and it costs no hook call. With Cov the
// PSU totals of the J vectors of one domain are kept (J × #PSU floats) to
// form the covariance.
//
// VsOverall: the overall domain is done first and its adjusted PSU totals
// (J × #PSU) kept; each domain's adjusted PSU totals minus them are the
// PSU totals of the adjusted difference (the hook is linear), whose
// variance goes to t.vsV.
func (d *Design) vrInfluence(r *Ratios, t *vrTotals) (V []float64, cov [][]float64, s1, s2 []float64) {
	if len(r.Items) > 0 {
		r = vrMaterialize(r, d.n)
	}
	hook := d.spec.AdjustInfluence
	J, G := t.J, t.G
	P := d.totLen // PSU totals, then later-stage unit totals (multistage)
	V = make([]float64, G*J)
	s1, s2 = make([]float64, G*J), make([]float64, G*J)
	if r.Cov {
		cov = make([][]float64, G)
	}
	// rows of each domain (the overall domain: every row)
	var members [][]int32
	if r.Domain != nil {
		members = make([][]int32, r.NDomains)
		for i, g := range r.Domain {
			if g >= 0 {
				members[g] = append(members[g], int32(i))
			}
		}
	}
	rowsOf := func(g int) []int32 {
		if r.Domain == nil || g == t.overall {
			return nil // all rows
		}
		return members[g]
	}
	nw := 1
	if d.n*J >= 20000 && J > 1 {
		nw = 2
	}
	K, C := t.K, t.C
	// the combinations that use estimand k, with their coefficients
	type use struct {
		c    int
		coef float64
	}
	uses := make([][]use, K)
	for c, terms := range t.combos {
		for _, tm := range terms {
			uses[tm.k] = append(uses[tm.k], use{c, tm.coef})
		}
	}
	type scratch struct {
		zs    [][]float64 // a block of influence vectors
		tot   []float64   // PSU totals when Cov is not asked
		dtot  []float64   // PSU totals of domain − overall (VsOverall)
		cacc  [][]float64 // [c][p]: this worker's share of the combinations' PSU totals
		terms []InfluenceTerm
	}
	bs := max(1, min((K+nw-1)/nw, infBlockFloats/max(1, d.n)))
	scr := make([]scratch, nw)
	for i := range scr {
		scr[i] = scratch{zs: make([][]float64, bs), tot: make([]float64, P), dtot: make([]float64, P), cacc: make([][]float64, C)}
		for j := range scr[i].zs {
			scr[i].zs[j] = make([]float64, d.n)
		}
		for c := range scr[i].cacc {
			scr[i].cacc[c] = make([]float64, P)
		}
	}
	var tots [][]float64 // [j][p] with Cov
	if r.Cov {
		tots = make([][]float64, J)
		for j := range tots {
			tots[j] = make([]float64, P)
		}
	}
	var allTot [][]float64 // [j][p] the overall's adjusted PSU totals (VsOverall)
	order := make([]int, 0, G)
	if t.vs {
		allTot = make([][]float64, J)
		for j := range allTot {
			allTot[j] = make([]float64, P)
		}
		order = append(order, t.overall)
	}
	for g := 0; g < G; g++ {
		if !t.vs || g != t.overall {
			order = append(order, g)
		}
	}
	// vsAdd records the adjusted PSU totals tot of (g, j) for the differences
	vsAdd := func(g, j int, tot, dtot []float64) {
		if !t.vs {
			return
		}
		if g == t.overall {
			copy(allTot[j], tot)
			return
		}
		for p, v := range tot {
			dtot[p] = v - allTot[j][p]
		}
		t.vsV[g*J+j] = d.infStrataCov(dtot, dtot)
	}
	for _, g := range order {
		rows := rowsOf(g)
		var wg sync.WaitGroup
		for wi := 0; wi < nw; wi++ {
			wg.Add(1)
			go func(sc *scratch) {
				defer wg.Done()
				for _, ca := range sc.cacc {
					clear(ca)
				}
				for k0 := wi; k0 < K; k0 += bs * nw {
					// the block: estimands k0, k0+nw, … (at most bs)
					nb := 0
					for k := k0; k < K && nb < bs; k += nw {
						z := sc.zs[nb]
						clear(z)
						s1[g*J+k], s2[g*J+k] = d.infValues(r, t, g, k, rows, z)
						nb++
					}
					if hook != nil {
						hook(sc.zs[:nb]...)
					} else if th := d.spec.AdjustInfluenceTerms; th != nil {
						terms := sc.terms[:0]
						dom := g
						if g == t.overall || r.Domain == nil {
							dom = -1
						}
						for b := 0; b < nb; b++ {
							k := k0 + b*nw
							terms = append(terms, InfluenceTerm{Domain: dom, Item: k, A: t.a[g*K+k], B: t.b[g*K+k]})
						}
						sc.terms = terms
						th(terms, sc.zs[:nb]...)
					}
					for b := 0; b < nb; b++ {
						k := k0 + b*nw
						tot := sc.tot
						if r.Cov {
							tot = tots[k]
						}
						clear(tot)
						for i, zi := range sc.zs[b] {
							tot[d.psu[i]] += zi
						}
						d.stageTotals(tot, sc.zs[b])
						if !r.Cov {
							V[g*J+k] = d.infStrataCov(tot, tot)
						}
						vsAdd(g, k, tot, sc.dtot)
						// the hook is linear: a combination's adjusted PSU
						// totals are the combination of its terms'
						for _, u := range uses[k] {
							ca := sc.cacc[u.c]
							for p, v := range tot {
								ca[p] += u.coef * v
							}
						}
					}
				}
				// the combinations' unadjusted sums (design effect)
				for c := wi; c < C; c += nw {
					s1[g*J+K+c], s2[g*J+K+c] = d.infValues(r, t, g, K+c, rows, sc.zs[0])
				}
			}(&scr[wi])
		}
		wg.Wait()
		for c := 0; c < C; c++ {
			tot := scr[0].cacc[c]
			for _, sc := range scr[1:] {
				for p, v := range sc.cacc[c] {
					tot[p] += v
				}
			}
			if r.Cov {
				copy(tots[K+c], tot)
			} else {
				V[g*J+K+c] = d.infStrataCov(tot, tot)
			}
			vsAdd(g, K+c, tot, scr[0].dtot)
		}
		if r.Cov {
			c := make([]float64, J*J)
			for j := 0; j < J; j++ {
				for l := j; l < J; l++ {
					v := d.infStrataCov(tots[j], tots[l])
					c[j*J+l], c[l*J+j] = v, v
				}
				V[g*J+j] = c[j*J+j]
			}
			cov[g] = c
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
		for g := range cov {
			for j := 0; j < J; j++ {
				for l := 0; l < J; l++ {
					cov[g][j*J+l] *= math.Sqrt(sc[g*J+j] * sc[g*J+l])
				}
			}
		}
	}
	return V, cov, s1, s2
}

// infBlockFloats bounds the floats of one worker's block of influence
// vectors in vrInfluence (8 MB: 26 vectors of 40,000 rows, 1 of 1,000,000).
// A variable so that tests can make blocks small.
var infBlockFloats = 1 << 20

// infValues writes the unadjusted influence values of estimand or
// combination j in domain g into z (rows: the domain's rows, nil for all
// rows; z is zero elsewhere) and returns Σ z and Σ z²/w over them.
func (d *Design) infValues(r *Ratios, t *vrTotals, g, j int, rows []int32, z []float64) (sz, sz2 float64) {
	K := t.K
	w := d.w[:d.n]
	// r_i = Σ_t coef_t (y_ti a_t − x_ti b_t) over the terms of j
	type term struct {
		y, x       []float64
		coef, a, b float64
	}
	var terms []term
	add := func(k int, coef float64) {
		tm := term{y: r.Num[k][:d.n], coef: coef, a: t.a[g*K+k], b: t.b[g*K+k]}
		if x := vrDen(r, k); x != nil {
			tm.x = x[:d.n]
		}
		terms = append(terms, tm)
	}
	if j < K {
		add(j, 1)
	} else {
		for _, tm := range t.combos[j-K] {
			add(tm.k, tm.coef)
		}
	}
	at := func(i int) {
		var ri float64
		if j < K {
			tm := &terms[0]
			ri = tm.y[i] * tm.a
			if tm.x != nil {
				ri -= tm.x[i] * tm.b
			}
		} else {
			for q := range terms {
				tm := &terms[q]
				v := tm.y[i] * tm.a
				if tm.x != nil {
					v -= tm.x[i] * tm.b
				}
				ri += tm.coef * v
			}
		}
		zi := w[i] * ri
		z[i] = zi
		sz += zi
		sz2 += zi * ri
	}
	if rows == nil {
		for i := range w {
			at(i)
		}
	} else {
		for _, i := range rows {
			at(int(i))
		}
	}
	return sz, sz2
}

// lonelyCentre returns the centres of lonely PSUs under LonelyAdjust: the
// mean PSU totals over all strata, Σ_p a_p / Σ_h n_h (the first P entries
// of a and b; later-stage totals follow them in multistage designs).
func (d *Design) lonelyCentre(a, b []float64) (ca, cb float64) {
	np := 0
	for _, nh := range d.nh {
		np += nh
	}
	for p := range d.psuStratum {
		ca += a[p]
		cb += b[p]
	}
	return ca / float64(np), cb / float64(np)
}

// infStrataCov returns Σ_h scale_h Σ_p (a_p − ā_h)(b_p − b̄_h) over the PSU
// totals a and b, with the conventions of vrStratumEnd: strata with
// 1 − f_h < 1e-7 are self-representing (no contribution); a stratum with a
// single PSU contributes f_h (a_p − c_a)(b_p − c_b) under LonelyAdjust,
// centred at the mean PSU total over all strata c_a = Σ_p a_p / Σ_h n_h (R
// survey ≥ 4.2; a calibrated design keeps every row, so every stratum
// counts), and nothing otherwise (LonelyAverage is applied by the caller).
func (d *Design) infStrataCov(a, b []float64) float64 {
	var v float64
	if d.pps != nil {
		v = d.ppsCov(a, b)
		if d.stages != nil {
			v += d.stagesCov(a, b)
		}
		return v
	}
	var ca, cb float64
	if d.spec.Lonely == LonelyAdjust && d.okStrata < len(d.nh) {
		ca, cb = d.lonelyCentre(a, b)
	}
	for h, nh := range d.nh {
		fh := d.fh[h]
		if fh < 1e-7 {
			continue
		}
		p0, p1 := int(d.strataPSU[h]), int(d.strataPSU[h+1])
		if nh <= 1 {
			if d.spec.Lonely == LonelyAdjust {
				for p := p0; p < p1; p++ {
					v += fh * (a[p] - ca) * (b[p] - cb)
				}
			}
			continue
		}
		var ma, mb float64
		for p := p0; p < p1; p++ {
			ma += a[p]
			mb += b[p]
		}
		fn := float64(nh)
		ma /= fn
		mb /= fn
		var ss float64
		for p := p0; p < p1; p++ {
			ss += (a[p] - ma) * (b[p] - mb)
		}
		// PSUs counted in n_h but absent from the rows (none in practice)
		ss += float64(nh-(p1-p0)) * ma * mb
		v += fh * fn / (fn - 1) * ss
	}
	if d.stages != nil {
		v += d.stagesCov(a, b)
	}
	return v
}
