package sampling

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"gonum.org/v1/gonum/stat/distuv"
)

// ContrastTerm is one term of a contrast: Coef times the estimate of
// estimand Estimand (indexed as in RatioResult: the K estimands, then the C
// combinations) in domain Domain (0 without domains; Ratios.NDomains is the
// all-rows domain of Ratios.Overall).
type ContrastTerm struct {
	Domain, Estimand int
	Coef             float64
}

// ContrastResult holds the contrasts of Design.Contrasts, in the order
// asked. NaN where an estimate in a term is NaN.
type ContrastResult struct {
	Est, SE, Var []float64
	// DF is the design degrees of freedom (of the intervals and p-values).
	DF int
}

// Contrasts estimates the linear combinations
//
//	θ̂_c = Σ_t c_t θ̂_{g_t j_t}
//
// of the estimates of r in any domains and estimands (province A − province
// B, region against region, this year's element against last year's on a
// design holding both years), with the variance that accounts for their
// covariance, as R svycontrast on svyby(..., covmat = TRUE). It returns the
// estimates of r too (EstimateRatios).
//
// The contrast is one estimand of the whole design: under linearization its
// influence values are z_i = Σ_t c_t z_{g_t j_t, i} (each zero outside its
// domain), and V is the formula of EstimateRatios on their PSU totals, over
// every stratum of the design (a lonely PSU under LonelyAdjust centred at
// the mean PSU total of all strata; LonelyAverage scaled by H over the
// strata that are not lonely), calibration residuals and later stages
// included. Under replicate weights θ̂_c,r = Σ_t c_t θ̂_{g_t j_t, r} and
// V = scale Σ_r rscale_r (θ̂_c,r − θ̄_c)². Terms out of range panic. A
// design of per-stratum unit moments (DesignOptions.Units) finishes each
// stratum's Σ z and Σ z² from its cells' moments (see UnitMoments); a
// contrast that combines two estimands in one domain needs their
// cross-moments (UnitMoments.Pairs), else it is an error wrapping
// ErrBadDesign. With calibration residuals (UnitMoments.Residuals) the
// contrast's influence values are adjusted as one, as on the rows.
func (d *Design) Contrasts(r *Ratios, cs [][]ContrastTerm) (*RatioResult, *ContrastResult, error) {
	res, err := d.EstimateRatios(r)
	if err != nil {
		return nil, nil, err
	}
	J, G := res.K+res.C, res.G
	for c, terms := range cs {
		for _, tm := range terms {
			if tm.Domain < 0 || tm.Domain >= G || tm.Estimand < 0 || tm.Estimand >= J {
				panic(fmt.Sprintf("sampling: Contrasts: contrast %d: term (domain %d, estimand %d) out of range (%d domains, %d estimands)", c, tm.Domain, tm.Estimand, G, J))
			}
		}
	}
	out := &ContrastResult{Est: make([]float64, len(cs)), SE: make([]float64, len(cs)), Var: make([]float64, len(cs)), DF: res.DF}
	for c, terms := range cs {
		for _, tm := range terms {
			out.Est[c] += tm.Coef * res.Est[tm.Domain*J+tm.Estimand]
		}
	}
	switch {
	case d.reps != nil:
		d.ctReplicate(res, cs, out)
	case d.spec.Units != nil:
		if err := d.ctMoments(r, d.vrCheckAndTotal(r), cs, out); err != nil {
			return nil, nil, err
		}
	default:
		if len(r.Items) > 0 {
			r = vrMaterialize(r, d.n)
		}
		d.ctLinearize(r, d.vrCheckAndTotal(r), cs, out)
	}
	for c := range cs {
		if math.IsNaN(out.Est[c]) {
			out.Var[c] = math.NaN()
		}
		out.SE[c] = math.Sqrt(out.Var[c])
	}
	return res, out, nil
}

// ctReplicate is Contrasts' replicate variance (R svrVar of the replicate
// contrasts).
func (d *Design) ctReplicate(res *RatioResult, cs [][]ContrastTerm, out *ContrastResult) {
	p := res.rep
	J := res.K + res.C
	R := len(p.rscales)
	th := make([]float64, R)
	for c, terms := range cs {
		for rep := range th {
			v := 0.0
			for _, tm := range terms {
				v += tm.Coef * p.theta[rep*p.stride+tm.Domain*J+tm.Estimand]
			}
			th[rep] = v
		}
		centre := out.Est[c]
		if !p.mse {
			s, n := 0.0, 0
			for rep, v := range th {
				if !math.IsNaN(v) && p.rscales[rep] > 0 {
					s += v
					n++
				}
			}
			centre = s / float64(n)
		}
		v := 0.0
		for rep, x := range th {
			if dv := x - centre; !math.IsNaN(dv) {
				v += p.rscales[rep] * dv * dv
			}
		}
		out.Var[c] = p.scale * v
	}
}

// ctTotals are the PSU totals of the influence values of one domain: the
// PSUs holding a row of it (ascending) and J values per PSU.
type ctTotals struct {
	psus []int32
	vals []float64
}

// ctLinearize is Contrasts' linearization. Without calibration or later
// stages, one pass over the rows in PSU order gives the PSU totals of every
// domain used (sparse: a PSU holds rows of few domains) and each contrast
// costs the PSUs of its domains. Otherwise each (domain, estimand) used gets
// its full influence vector through the calibration hook and the stage
// totals, as in the calibration-aware path of EstimateRatios.
func (d *Design) ctLinearize(r *Ratios, t *vrTotals, cs [][]ContrastTerm, out *ContrastResult) {
	J, G := t.J, t.G
	used := make([]bool, G*J)
	for _, terms := range cs {
		for _, tm := range terms {
			used[tm.Domain*J+tm.Estimand] = true
		}
	}
	dense := d.spec.AdjustInfluence != nil || d.spec.AdjustInfluenceTerms != nil || d.stages != nil
	var tots []ctTotals
	var dtot map[int][]float64
	if dense {
		dtot = d.ctDenseTotals(r, t, used)
	} else {
		tots = d.ctSparseTotals(r, t, used)
	}
	P := len(d.psuStratum)
	np := 0
	for _, nh := range d.nh {
		np += nh
	}
	var lonely []int
	for h, l := range d.lonely {
		if l {
			lonely = append(lonely, h)
		}
	}
	avg := 1.0
	if d.spec.Lonely == LonelyAverage && d.okStrata < len(d.nh) {
		avg = float64(len(d.nh)) / float64(d.okStrata)
	}
	acc := make([]float64, P)
	accMark := make([]int32, P)
	hs := make([]float64, len(d.nh))
	hMark := make([]int32, len(d.nh))
	ss := make([]float64, len(d.nh))
	cnt := make([]int, len(d.nh))
	var touchedP, touchedH []int32
	var denseT []float64
	if dense {
		denseT = make([]float64, d.totLen)
	}
	for c, terms := range cs {
		if dense {
			clear(denseT)
			for _, tm := range terms {
				for p, v := range dtot[tm.Domain*J+tm.Estimand] {
					denseT[p] += tm.Coef * v
				}
			}
			out.Var[c] = avg * d.infStrataCov(denseT, denseT)
			continue
		}
		mark := int32(c) + 1
		touchedP, touchedH = touchedP[:0], touchedH[:0]
		for _, tm := range terms {
			ct := &tots[tm.Domain]
			for q, p := range ct.psus {
				if accMark[p] != mark {
					accMark[p] = mark
					acc[p] = 0
					touchedP = append(touchedP, p)
				}
				acc[p] += tm.Coef * ct.vals[q*J+tm.Estimand]
			}
		}
		total := 0.0
		for _, p := range touchedP {
			h := d.psuStratum[p]
			if hMark[h] != mark {
				hMark[h] = mark
				hs[h] = 0
				touchedH = append(touchedH, h)
			}
			hs[h] += acc[p]
			total += acc[p]
		}
		// per stratum: Σ over its n_h PSUs (untouched ones are 0) of
		// (T_p − T̄_h)², from the touched PSUs in a second pass
		for _, h := range touchedH {
			ss[h], cnt[h] = 0, 0
		}
		for _, p := range touchedP {
			h := d.psuStratum[p]
			dv := acc[p] - hs[h]/float64(d.nh[h])
			ss[h] += dv * dv
			cnt[h]++
		}
		var v float64
		for _, h := range touchedH {
			f, nh := d.fh[h], d.nh[h]
			if f < 1e-7 || d.lonely[h] {
				continue
			}
			mean := hs[h] / float64(nh)
			s := ss[h] + float64(nh-cnt[h])*mean*mean
			v += f * float64(nh) / float64(nh-1) * s
		}
		if d.spec.Lonely == LonelyAdjust {
			c0 := total / float64(np)
			for _, h := range lonely {
				if f := d.fh[h]; f >= 1e-7 {
					th := 0.0
					if hMark[h] == mark {
						th = hs[h]
					}
					v += f * (th - c0) * (th - c0)
				}
			}
		}
		out.Var[c] = avg * v
	}
}

// ctSparseTotals returns, for every domain with a (domain, estimand) in
// used, the PSU totals of its influence values z_i = w_i (y_i a − x_i b)
// (combinations: the combination of the totals), in one pass over the rows
// in PSU order.
func (d *Design) ctSparseTotals(r *Ratios, t *vrTotals, used []bool) []ctTotals {
	J, G, K := t.J, t.G, t.K
	gUsed := make([]bool, G)
	for i, u := range used {
		if u {
			gUsed[i/J] = true
		}
	}
	tots := make([]ctTotals, G)
	cell := make([]float64, G*J)
	mark := make([]int32, G)
	var touched []int32
	add := func(g, i int) {
		if mark[g] == 0 {
			mark[g] = 1
			touched = append(touched, int32(g))
		}
		wi := d.w[i]
		cg := cell[g*J : g*J+K]
		for k := range cg {
			v := r.Num[k][i] * t.a[g*K+k]
			if x := vrDen(r, k); x != nil {
				v -= x[i] * t.b[g*K+k]
			}
			cg[k] += wi * v
		}
	}
	for p := range d.psuStratum {
		for pos := d.psuStart[p]; pos < d.psuStart[p+1]; pos++ {
			i := int(pos)
			if d.order != nil {
				i = int(d.order[pos])
			}
			if r.Domain == nil {
				if gUsed[0] {
					add(0, i)
				}
				continue
			}
			if g := int(r.Domain[i]); g >= 0 && gUsed[g] {
				add(g, i)
			}
			if t.overall >= 0 && gUsed[t.overall] {
				add(t.overall, i)
			}
		}
		for _, g := range touched {
			cg := cell[int(g)*J : int(g)*J+J]
			for c, terms := range t.combos {
				v := 0.0
				for _, tm := range terms {
					v += tm.coef * cg[tm.k]
				}
				cg[K+c] = v
			}
			ct := &tots[g]
			ct.psus = append(ct.psus, int32(p))
			ct.vals = append(ct.vals, cg...)
			clear(cg)
			mark[g] = 0
		}
		touched = touched[:0]
	}
	return tots
}

// ctDenseTotals returns, for every (domain, estimand) in used, the PSU and
// later-stage unit totals (Design.totLen) of its influence values after the
// calibration hook, keyed g*J+j. A hook of DesignOptions.AdjustInfluenceTerms
// adjusts each estimand's vector with its term; a combination's is the
// combination of its estimands' adjusted vectors (the hook is linear).
func (d *Design) ctDenseTotals(r *Ratios, t *vrTotals, used []bool) map[int][]float64 {
	J := t.J
	var members [][]int32
	if r.Domain != nil {
		members = make([][]int32, r.NDomains)
		for i, g := range r.Domain {
			if g >= 0 {
				members[g] = append(members[g], int32(i))
			}
		}
	}
	out := map[int][]float64{}
	z := make([]float64, d.n)
	var zk []float64
	th := d.spec.AdjustInfluenceTerms
	if th != nil {
		zk = make([]float64, d.n)
	}
	for gj, u := range used {
		if !u {
			continue
		}
		g, j := gj/J, gj%J
		var rows []int32
		if r.Domain != nil && g != t.overall {
			rows = members[g]
		}
		clear(z)
		switch {
		case th != nil:
			dom := g
			if r.Domain == nil || g == t.overall {
				dom = -1
			}
			terms := []vrTerm{{j, 1}}
			if j >= t.K {
				terms = t.combos[j-t.K]
			}
			for _, tm := range terms {
				clear(zk)
				d.infValues(r, t, g, tm.k, rows, zk)
				th([]InfluenceTerm{{Domain: dom, Item: tm.k, A: t.a[g*t.K+tm.k], B: t.b[g*t.K+tm.k]}}, zk)
				for i, v := range zk {
					z[i] += tm.coef * v
				}
			}
		default:
			d.infValues(r, t, g, j, rows, z)
			if h := d.spec.AdjustInfluence; h != nil {
				h(z)
			}
		}
		tot := make([]float64, d.totLen)
		for i, zi := range z {
			tot[d.psu[i]] += zi
		}
		d.stageTotals(tot, z)
		out[gj] = tot
	}
	return out
}

// ContrastInterval returns the Wald interval est ± t_{df,1−α/2}·se at the
// given level (0 means 0.95) and the two-sided p-value 2·P(T_df > |est/se|)
// of the hypothesis that the contrast is 0 (normal quantiles when df < 1).
// se = 0 gives p = 0 for est ≠ 0 and NaN for est = 0.
func ContrastInterval(est, se float64, df int, level float64) (lo, hi, p float64) {
	lo, hi = ConfidenceInterval(Wald, est, se, 0, df, level)
	tv := math.Abs(est / se)
	switch {
	case math.IsNaN(tv):
		p = math.NaN()
	case df < 1:
		p = 2 * distuv.UnitNormal.Survival(tv)
	default:
		p = 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.Survival(tv)
	}
	return lo, hi, p
}

// DomainCoef is one term of a contrast between domains: Coef times the
// estimate in domain Domain (numbered as NewDomains on the by columns).
type DomainCoef struct {
	Domain int
	Coef   float64
}

// ContrastEstimate is one contrast of EstimateContrasts.
type ContrastEstimate struct {
	Statistic Statistic
	// Variable is the column, or "NUM/DEN" for a ratio.
	Variable string
	// Contrast is the index of the contrast in the call.
	Contrast int
	// Estimate, SE, the Wald interval and the two-sided p-value of the
	// hypothesis that the contrast is 0 (ContrastInterval); NaN when a
	// domain of the contrast has no estimate.
	Estimate, SE, CILow, CIHigh, P float64
	// DF is the degrees of freedom of the interval and the p-value (the
	// design's).
	DF int
}

// EstimateContrasts estimates, for every estimand of est, each contrast
// Σ_t c_t θ̂(domain_t) between the domains of opt.By (Contrasts, the same
// one-engine variance with the covariance of the domains), with Wald
// intervals at opt.Level and p-values. Results come contrast by contrast,
// and within a contrast in the order of est. opt.CI and opt.DF do not
// apply (a contrast is not a share; its df is the design's). Domains out of
// range panic.
func (d *Design) EstimateContrasts(rec arrow.RecordBatch, est []Estimand, cs [][]DomainCoef, opt *EstimateOptions) ([]ContrastEstimate, error) {
	var o EstimateOptions
	if opt != nil {
		o = *opt
	}
	r, _, names, _, err := d.estRatios(rec, est, o.By)
	if err != nil {
		return nil, err
	}
	return d.contrastsOf(r, est, names, cs, &o, nil)
}

// contrastsOf is EstimateContrasts on the Ratios r of est. shift, when
// set, is per estimand a constant that r's estimates lack (CellSums.Shift):
// a contrast gets shift·Σ coefficients back.
func (d *Design) contrastsOf(r *Ratios, est []Estimand, names []string, cs [][]DomainCoef, o *EstimateOptions, shift []float64) ([]ContrastEstimate, error) {
	K := len(est)
	terms := make([][]ContrastTerm, 0, len(cs)*K)
	for _, c := range cs {
		for k := 0; k < K; k++ {
			tt := make([]ContrastTerm, len(c))
			for i, dc := range c {
				tt[i] = ContrastTerm{Domain: dc.Domain, Estimand: k, Coef: dc.Coef}
			}
			terms = append(terms, tt)
		}
	}
	_, res, err := d.Contrasts(r, terms)
	if err != nil {
		return nil, err
	}
	out := make([]ContrastEstimate, len(terms))
	for i := range terms {
		k := i % K
		e := ContrastEstimate{Statistic: est[k].Statistic, Variable: names[k], Contrast: i / K,
			Estimate: res.Est[i], SE: res.SE[i], DF: res.DF}
		if shift != nil && shift[k] != 0 {
			sum := 0.0
			for _, dc := range cs[i/K] {
				sum += dc.Coef
			}
			e.Estimate += shift[k] * sum
		}
		e.CILow, e.CIHigh, e.P = ContrastInterval(e.Estimate, e.SE, e.DF, o.Level)
		out[i] = e
	}
	return out, nil
}
