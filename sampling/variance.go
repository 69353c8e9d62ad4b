package sampling

import (
	"fmt"
	"math"
	"math/bits"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// Ratios is a set of K estimands — ratios Ŷ_k/X̂_k or totals Ŷ_k — evaluated
// in G domains at once, plus C linear combinations of the K per domain.
// EstimateRatios is the one variance engine of the package: every
// estimator (Mean, Total, Ratio, the SIPAS indices) is a Ratios.
type Ratios struct {
	// Num are the K numerator variables y_k, each of length Rows();
	// missing values already set to 0 by the caller.
	Num [][]float64
	// Den are the K denominators x_k; Den[k] == nil means estimand k is the
	// total Σ w·y_k (no ratio). Den may be nil (all totals).
	Den [][]float64
	// Valid optionally marks, per estimand, the rows where it is observed
	// (they count in N and in the design effect's n). nil or Valid[k] == nil:
	// rows with Den[k] ≠ 0 for a ratio, every row for a total.
	Valid [][]bool
	// Domain gives each row's domain 0..NDomains−1, or −1 for a row in no
	// domain (it stays in the design with zero influence: R's subset
	// semantics). nil: one domain of all rows.
	Domain   []int32
	NDomains int
	// Combos are C coefficient vectors of length K: composite
	// c = Σ_k Combos[c][k]·R_k per domain (element and SIPAS indices).
	Combos [][]float64
	// Cov asks for the (K+C)×(K+C) covariance per domain.
	Cov bool
	// Items are further estimands given as small integer codes (Likert
	// items), numbered after the Num/Den ones: estimand len(Num)+i is
	// Items[i]. They avoid materialising two float64 columns per item (the
	// engine reads one byte per row and item).
	Items []Item
	// Overall also estimates over all rows, as an extra last domain (index
	// NDomains) computed in the same passes over the data (national and by
	// province at once). Ignored when Domain is nil.
	Overall bool
	// VsOverall also estimates, for every domain g < NDomains and every
	// estimand or combination j, the difference θ_gj − θ_overall,j and its
	// variance (RatioResult.VsEst, VsVar, VsSE): domain minus nation. It
	// needs Domain and Overall (a caller bug otherwise). The influence
	// values of the difference are z_gj,i − z_all,j,i (z_gj zero outside the
	// domain, z_all over every row), so the variance accounts for the domain
	// being part of the whole (their covariance); see EstimateRatios.
	VsOverall bool
}

// Item is an estimand given as codes: the mean of Values[code − Min] over
// the rows where that value is not NaN (missing codes map to NaN; codes
// outside the table count as missing). It is the ratio Σ w·y·v / Σ w·v
// with y the value and v = 1 for a valid code, exactly as the Num/Den pair
// (y·v, v) would be.
type Item struct {
	Codes  []int8
	Min    int8
	Values []float64
}

// table returns the numerator and denominator of every int8 code.
func (it *Item) table() (y, x *[256]float64) {
	y, x = new([256]float64), new([256]float64)
	for c := -128; c < 128; c++ {
		j := c - int(it.Min)
		if j >= 0 && j < len(it.Values) && !math.IsNaN(it.Values[j]) {
			y[uint8(int8(c))] = it.Values[j]
			x[uint8(int8(c))] = 1
		}
	}
	return y, x
}

// vrMaterialize returns r with its Items turned into Num/Den columns (for
// the code paths that read columns row by row: replicate designs, the
// average lonely-PSU scale, more than 64 combinations).
func vrMaterialize(r *Ratios, n int) *Ratios {
	out := *r
	nn := len(r.Num)
	out.Num = append(append([][]float64(nil), r.Num...), make([][]float64, len(r.Items))...)
	out.Den = make([][]float64, nn+len(r.Items))
	if r.Den != nil {
		copy(out.Den, r.Den)
	}
	if r.Valid != nil {
		out.Valid = make([][]bool, nn+len(r.Items))
		copy(out.Valid, r.Valid)
	}
	for i := range r.Items {
		yt, xt := r.Items[i].table()
		y, x := make([]float64, n), make([]float64, n)
		for j, c := range r.Items[i].Codes {
			y[j], x[j] = yt[uint8(c)], xt[uint8(c)]
		}
		out.Num[nn+i], out.Den[nn+i] = y, x
	}
	out.Items = nil
	return &out
}

// RatioResult holds the estimates of EstimateRatios. Slices are indexed
// g*(K+C)+j for domain g and estimand j (the K estimands, then the C
// combinations). Undefined values (an empty domain, a zero denominator) are
// NaN.
type RatioResult struct {
	K, C, G int
	Est     []float64
	SE      []float64
	Var     []float64
	// Deff is the design effect against simple random sampling with
	// replacement (R's deff = "replace"):
	//
	//	deff = V / v_srs,  v_srs = W · Σ_i w_i (r_i − r̄)² / (n − 1)
	//
	// over the n rows (with w_i ≠ 0) where the estimand is observed in the
	// domain, W = Σ w_i over them, r_i = z_i/w_i the influence value per unit
	// weight and r̄ = Σ w_i r_i / W. For a mean this is R svymean's
	// svyvar(x)/n, for a total svyvar(x)·W²/n, for a ratio that of
	// svytotal(r) with r = (y − R x)/X̂, as R svyratio. For a combination
	// the same formula is applied to the combined influence values, over
	// the rows where at least one component is observed.
	Deff []float64
	// DeffWOR is the design effect against simple random sampling without
	// replacement of n from W (R's deff = TRUE): V / (v_srs·(1 − n/W)).
	DeffWOR []float64
	// N is the unweighted number of rows where the estimand is observed in
	// the domain (zero-weight rows included); for a combination, rows where
	// at least one component with a nonzero coefficient is observed.
	N []int
	// Cov is the covariance matrix per domain, when asked.
	Cov []*mat.SymDense
	// DF is the design degrees of freedom.
	DF int
	// VsEst, VsVar and VsSE are the differences domain − overall of
	// Ratios.VsOverall, indexed g*(K+C)+j for the NDomains data domains
	// (nil without VsOverall). NaN where either estimate is NaN. No design
	// effect, N or covariance is given for them.
	VsEst, VsVar, VsSE []float64
	// rep holds the replicate estimates of a replicate design (nil under
	// linearization), for ReplicateSE.
	rep *repEstimates
}

// Index returns the position of domain g, estimand j in the result slices.
func (r *RatioResult) Index(g, j int) int { return g*(r.K+r.C) + j }

// vrTotals are the pass-over-rows quantities of EstimateRatios.
type vrTotals struct {
	K, C, J, G int
	Y, X       []float64 // [g*K+k]
	est        []float64 // [g*J+j]
	a, b       []float64 // [g*K+k]: r_i = y_i·a − x_i·b; z_i = w_i r_i
	W          []float64 // [g*J+j]: Σ w over observed rows
	N, Nobs    []int     // [g*J+j]: observed rows, and those with w ≠ 0
	combos     [][]vrTerm
	overall    int       // index of the all-rows domain, −1 without Overall
	vs         bool      // Ratios.VsOverall
	vsV        []float64 // [g*J+j], g < overall: variance of domain − overall
	nNum       int       // estimands from Num/Den; the rest are Items
	fusable    bool      // every estimand a Num/Den ratio (vrBlockFused applies)
	ytab, xtab []*[256]float64
}

type vrTerm struct {
	k    int
	coef float64
}

// EstimateRatios estimates every estimand of r in every domain with its
// variance under the design. It panics on caller bugs (lengths that do not
// match Rows(), domain codes out of range).
//
// Linearization (R svyrecvar, ultimate cluster): the influence value of row
// i for a ratio is z_i = w_i (y_i − R̂ x_i)/X̂, for a total z_i = w_i y_i, for
// a combination Σ_k c_k z_ik; zero outside the domain. With PSU totals
// z_hj = Σ_{i∈hj} z_i over all n_h PSUs of stratum h (PSUs without domain
// rows count as zeros),
//
//	V = Σ_h (1 − f_h) n_h/(n_h − 1) Σ_j (z_hj − z̄_h)²
//
// computed in one pass over rows in (stratum, PSU) order, with lonely
// strata handled as R's survey.lonely.psu (see LonelyPSU).
//
// Replicate designs: θ̂_r is the same estimand computed with the replicate
// weights w_ri, and V = scale Σ_r rscale_r (θ̂_r − θ̄)², θ̄ = θ̂ (mse) or the
// mean of the θ̂_r (R svrVar).
//
// VsOverall: the difference D_gj = θ̂_gj − θ̂_all,j has influence values
// z_gj,i − z_all,j,i, so its linearized variance is the formula above on
// the PSU totals z_ghp − z_all,hp (lonely PSUs and fpc as for any estimand;
// LonelyAverage scales it as the overall estimand, whose rows it spans);
// in a stratum the domain does not touch the difference is −z_all. With
// calibration (AdjustInfluence) the adjusted PSU totals of the domain and
// the whole are differenced. Replicate designs: θ̂_r,gj − θ̂_r,all,j through
// the same V formula. The R equivalent is svyratio on the domain-zeroed and
// whole-sample variables with covmat = TRUE and svycontrast.
func (d *Design) EstimateRatios(r *Ratios) (*RatioResult, error) {
	if len(r.Items) > 0 && (d.reps != nil || len(r.Combos) > 64 ||
		(d.spec.Lonely == LonelyAverage && (d.okStrata < len(d.nh) || d.spec.AdjustDomainLonely))) {
		for i := range r.Items {
			if len(r.Items[i].Codes) != d.n {
				panic(fmt.Sprintf("sampling: EstimateRatios: item %d has %d codes, design has %d rows", i, len(r.Items[i].Codes), d.n))
			}
		}
		r = vrMaterialize(r, d.n)
	}
	t := d.vrCheckAndTotal(r)
	J, G := t.J, t.G
	res := &RatioResult{K: t.K, C: t.C, G: G, DF: d.df,
		Est: t.est, SE: make([]float64, G*J), Var: make([]float64, G*J),
		Deff: make([]float64, G*J), DeffWOR: make([]float64, G*J), N: make([]int, G*J)}
	copy(res.N, t.N)
	var V []float64
	var cov [][]float64
	var s1, s2 []float64
	if d.reps == nil && (d.spec.AdjustInfluence != nil || d.spec.AdjustInfluenceTerms != nil || d.stages != nil || d.pps != nil) {
		V, cov, s1, s2 = d.vrInfluence(r, t) // calibration-aware, multistage or PPS (influence.go)
	} else if d.reps == nil && d.spec.Units != nil && d.spec.Units.Residuals != nil {
		V, s1, s2 = d.vrMomentsResiduals(r, t) // and calibration residuals (moments_adjust.go)
	} else if d.reps == nil && d.spec.Units != nil {
		V, s1, s2 = d.vrMoments(r, t) // per-cell moments (moments.go)
	} else if d.reps == nil {
		V, cov, s1, s2 = d.vrLinearize(r, t)
		if d.spec.Lonely == LonelyAdjust {
			d.vrLonelyAdjust(r, t, V, cov, s1) // lonely.go
		}
	} else {
		var err error
		V, cov, res.rep, err = d.vrReplicate(r, t)
		if err != nil {
			return nil, err
		}
		s1, s2 = d.vrDeffSums(r, t)
	}
	if t.vs {
		nd := t.overall
		res.VsEst, res.VsVar, res.VsSE = make([]float64, nd*J), make([]float64, nd*J), make([]float64, nd*J)
		for g := 0; g < nd; g++ {
			for j := 0; j < J; j++ {
				i := g*J + j
				e := t.est[i] - t.est[t.overall*J+j]
				v := max(t.vsV[i], 0) // rounding when the domain is the whole
				if math.IsNaN(e) {
					v = math.NaN()
				}
				res.VsEst[i], res.VsVar[i], res.VsSE[i] = e, v, math.Sqrt(v)
			}
		}
	}
	for i := range V {
		est := res.Est[i]
		if math.IsNaN(est) {
			res.Var[i], res.SE[i], res.Deff[i], res.DeffWOR[i] = math.NaN(), math.NaN(), math.NaN(), math.NaN()
			continue
		}
		v := V[i]
		res.Var[i] = v
		res.SE[i] = math.Sqrt(v)
		n := t.Nobs[i]
		if d.reps != nil {
			n = t.N[i]
		}
		res.Deff[i], res.DeffWOR[i] = DesignEffects(v, n, t.W[i], s1[i], s2[i])
	}
	if r.Cov {
		res.Cov = make([]*mat.SymDense, G)
		for g := 0; g < G; g++ {
			m := mat.NewSymDense(J, cov[g])
			for j := 0; j < J; j++ {
				if math.IsNaN(res.Est[g*J+j]) {
					for l := 0; l < J; l++ {
						m.SetSym(j, l, math.NaN())
					}
				}
			}
			res.Cov[g] = m
		}
	}
	return res, nil
}

// vrCheckAndTotal validates r (panicking on caller bugs) and computes the
// full-sample totals, estimates and counts.
func (d *Design) vrCheckAndTotal(r *Ratios) *vrTotals {
	nNum := len(r.Num)
	for i := range r.Items {
		if len(r.Items[i].Codes) != d.n {
			panic(fmt.Sprintf("sampling: EstimateRatios: item %d has %d codes, design has %d rows", i, len(r.Items[i].Codes), d.n))
		}
	}
	if r.Den != nil && len(r.Den) != nNum {
		panic(fmt.Sprintf("sampling: EstimateRatios: %d numerators, %d denominators", nNum, len(r.Den)))
	}
	if r.Valid != nil && len(r.Valid) != nNum {
		panic(fmt.Sprintf("sampling: EstimateRatios: %d numerators, %d validity masks", nNum, len(r.Valid)))
	}
	K := nNum + len(r.Items)
	for k := 0; k < nNum; k++ {
		if len(r.Num[k]) != d.n {
			panic(fmt.Sprintf("sampling: EstimateRatios: numerator %d has length %d, design has %d rows", k, len(r.Num[k]), d.n))
		}
		if x := vrDen(r, k); x != nil && len(x) != d.n {
			panic(fmt.Sprintf("sampling: EstimateRatios: denominator %d has length %d, design has %d rows", k, len(x), d.n))
		}
		if v := vrValid(r, k); v != nil && len(v) != d.n {
			panic(fmt.Sprintf("sampling: EstimateRatios: validity %d has length %d, design has %d rows", k, len(v), d.n))
		}
	}
	G := 1
	if r.Domain != nil {
		if len(r.Domain) != d.n {
			panic(fmt.Sprintf("sampling: EstimateRatios: Domain has length %d, design has %d rows", len(r.Domain), d.n))
		}
		G = r.NDomains
		if G < 0 {
			panic("sampling: EstimateRatios: negative NDomains")
		}
		for _, g := range r.Domain {
			if int(g) >= G || g < -1 {
				panic(fmt.Sprintf("sampling: EstimateRatios: domain code %d out of range [−1, %d)", g, G))
			}
		}
	}
	overall := -1
	if r.Domain != nil && r.Overall {
		overall = G
		G++
	}
	if r.VsOverall && overall < 0 {
		panic("sampling: EstimateRatios: VsOverall needs Domain and Overall")
	}
	C := len(r.Combos)
	J := K + C
	t := &vrTotals{K: K, C: C, J: J, G: G,
		Y: make([]float64, G*K), X: make([]float64, G*K),
		est: make([]float64, G*J), a: make([]float64, G*K), b: make([]float64, G*K),
		W: make([]float64, G*J), N: make([]int, G*J), Nobs: make([]int, G*J), overall: overall, nNum: nNum,
		vs: r.VsOverall}
	if t.vs {
		t.vsV = make([]float64, overall*J)
	}
	for i := range r.Items {
		y, x := r.Items[i].table()
		t.ytab, t.xtab = append(t.ytab, y), append(t.xtab, x)
	}
	t.fusable = len(r.Items) == 0 && r.Den != nil
	for k := 0; k < nNum && t.fusable; k++ {
		t.fusable = r.Den[k] != nil
	}
	t.combos = make([][]vrTerm, C)
	for c, co := range r.Combos {
		if len(co) != K {
			panic(fmt.Sprintf("sampling: EstimateRatios: combination %d has %d coefficients, want %d", c, len(co), K))
		}
		for k, v := range co {
			if v != 0 {
				t.combos[c] = append(t.combos[c], vrTerm{k, v})
			}
		}
	}
	// Totals in one pass over the rows, split in two halves (one goroutine
	// each, private accumulators merged at the end); each half goes through
	// the estimands one column at a time. Rows where a combination is
	// observed (the union of its terms') are marked in a bit mask per row.
	nw := 1
	if d.n >= 50000 {
		nw = 2
	}
	type acc struct {
		Y, X, W []float64
		N, O    []int
	}
	accs := make([]acc, nw)
	var wg sync.WaitGroup
	for wi := 0; wi < nw; wi++ {
		i0, i1 := wi*d.n/nw, (wi+1)*d.n/nw
		a := &accs[wi]
		*a = acc{Y: make([]float64, G*K), X: make([]float64, G*K), W: make([]float64, G*J), N: make([]int, G*J), O: make([]int, G*J)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.vrTotalsRange(r, t, i0, i1, a.Y, a.X, a.W, a.N, a.O)
		}()
	}
	wg.Wait()
	for _, a := range accs {
		for i := range a.Y {
			t.Y[i] += a.Y[i]
			t.X[i] += a.X[i]
		}
		for i := range a.W {
			t.W[i] += a.W[i]
			t.N[i] += a.N[i]
			t.Nobs[i] += a.O[i]
		}
	}
	for g := 0; g < G; g++ {
		for k := 0; k < K; k++ {
			gk := g*K + k
			e := math.NaN()
			if t.N[g*J+k] > 0 {
				if k < nNum && vrDen(r, k) == nil {
					e = t.Y[gk]
					t.a[gk] = 1
				} else if t.X[gk] != 0 {
					e = t.Y[gk] / t.X[gk]
					t.a[gk] = 1 / t.X[gk]
					t.b[gk] = e / t.X[gk]
				}
			}
			t.est[g*J+k] = e
		}
		for c, terms := range t.combos {
			e := 0.0
			for _, tm := range terms {
				e += tm.coef * t.est[g*J+tm.k]
			}
			if len(terms) == 0 && t.N[g*J+K+c] == 0 {
				e = math.NaN()
			}
			t.est[g*J+K+c] = e
		}
	}
	return t
}

func vrDen(r *Ratios, k int) []float64 {
	if r.Den == nil {
		return nil
	}
	return r.Den[k]
}

func vrValid(r *Ratios, k int) []bool {
	if r.Valid == nil {
		return nil
	}
	return r.Valid[k]
}

func vrObserved(r *Ratios, k, i int) bool {
	if v := vrValid(r, k); v != nil {
		return v[i]
	}
	if x := vrDen(r, k); x != nil {
		return x[i] != 0
	}
	return true
}

// vrWorker holds one goroutine's scratch for vrLinearize.
type vrWorker struct {
	J, G      int
	cell      []float64 // [g*J+j] PSU totals of z for the current PSU
	cellMark  []int32   // PSU+1 that last touched g
	touched   []int32
	m         []int     // [g] PSUs of the current stratum touched
	mean, m2  []float64 // [g*J+j] Welford accumulators over the stratum's PSUs
	co        []float64 // [g*J*J] co-moments (Cov only)
	strMark   []int32   // stratum+1 that last touched g
	strTouch  []int32
	V         []float64 // [g*J+j]
	cov       []float64 // [g*J*J]
	s1, s2    []float64 // [g*J+j] Σ z, Σ z²/w (design effect)
	rbuf      []float64 // [k*vrBlock+j] r of row j of the block
	rbuf2     []float64 // the same for the second domain of vrBlockFused
	rc2       []float64
	ybuf      []float64 // decoded item values of the block
	xbuf      []float64
	wbuf      []float64 // gathered weights of the block
	rc        []float64 // [j] a combination's r
	idx       []int32   // rows of the block
	gs        []int32   // their domains
	wantCov   bool
	lonelyAvg bool
	// VsOverall (gA: the all-rows domain, −1 without it): the current
	// stratum's PSU totals of the overall (aBuf, J per PSU with rows) and
	// of the domains (cVal, J per entry; entry e is PSU cQ[e], chained per
	// domain from cHead through cNext)
	gA           int
	aBuf, cVal   []float64
	cQ, cNext    []int32
	cHead, cTail []int32   // [g]
	dq           []float64 // scratch: one domain's difference over the PSUs
	VD           []float64 // [g*J+j] variance of domain g − overall
	ssA          []float64 // [j] the overall's sum of squares in the stratum
}

// vrLinearize returns V (g*J+j), the covariance blocks (per g, J*J, only
// when r.Cov) and the design-effect sums.
func (d *Design) vrLinearize(r *Ratios, t *vrTotals) (V []float64, cov [][]float64, s1, s2 []float64) {
	H := len(d.nh)
	// split strata into two halves by rows
	split := H
	if d.n > 20000 && H > 1 {
		half := int32(d.n / 2)
		for h := 0; h < H; h++ {
			if d.psuStart[d.strataPSU[h+1]] >= half {
				split = h + 1
				break
			}
		}
		if split >= H {
			split = H - 1
		}
	}
	ranges := [][2]int{{0, split}}
	if split < H {
		ranges = append(ranges, [2]int{split, H})
	}
	workers := make([]*vrWorker, len(ranges))
	var wg sync.WaitGroup
	for i, rg := range ranges {
		wk := d.newVrWorker(t, r.Cov)
		workers[i] = wk
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.vrStrata(r, t, wk, rg[0], rg[1], true)
		}()
	}
	wg.Wait()
	J := t.J
	V, s1, s2 = workers[0].V, workers[0].s1, workers[0].s2
	for _, wk := range workers[1:] {
		for i := range V {
			V[i] += wk.V[i]
			s1[i] += wk.s1[i]
			s2[i] += wk.s2[i]
		}
		for i := range wk.cov {
			workers[0].cov[i] += wk.cov[i]
		}
		for i := range wk.VD {
			workers[0].VD[i] += wk.VD[i]
		}
	}
	if t.vs {
		t.vsV = workers[0].VD[:t.overall*J]
	}
	cov = d.vrAverage(r, t, V, workers[0].cov)
	return V, cov, s1, s2
}

// vrAverage rescales V, the differences' variances and the covariance
// blocks c (flat, when r.Cov) under LonelyAverage, and returns the blocks
// per domain.
func (d *Design) vrAverage(r *Ratios, t *vrTotals, V, c []float64) (cov [][]float64) {
	J, G, H := t.J, t.G, len(d.nh)
	if d.spec.Lonely == LonelyAverage && (d.okStrata < H || d.spec.AdjustDomainLonely) {
		sc := d.vrAverageScale(r, t)
		for i := range V {
			V[i] *= sc[i]
		}
		for i := range t.vsV {
			t.vsV[i] *= sc[t.overall*J+i%J]
		}
		if r.Cov {
			for g := 0; g < G; g++ {
				for j := 0; j < J; j++ {
					for l := 0; l < J; l++ {
						c[g*J*J+j*J+l] *= math.Sqrt(sc[g*J+j] * sc[g*J+l])
					}
				}
			}
		}
	}
	if r.Cov {
		cov = make([][]float64, G)
		for g := 0; g < G; g++ {
			cov[g] = c[g*J*J : (g+1)*J*J]
		}
	}
	return cov
}

func (d *Design) newVrWorker(t *vrTotals, wantCov bool) *vrWorker {
	J, G := t.J, t.G
	wk := &vrWorker{J: J, G: G,
		cell: make([]float64, G*J), cellMark: make([]int32, G),
		m: make([]int, G), mean: make([]float64, G*J), m2: make([]float64, G*J),
		strMark: make([]int32, G),
		V:       make([]float64, G*J), s1: make([]float64, G*J), s2: make([]float64, G*J),
		rbuf: make([]float64, t.K*vrBlock), rc: make([]float64, vrBlock),
		rbuf2: make([]float64, t.K*vrBlock), rc2: make([]float64, vrBlock),
		ybuf: make([]float64, vrBlock), xbuf: make([]float64, vrBlock), wbuf: make([]float64, vrBlock),
		idx: make([]int32, vrBlock), gs: make([]int32, vrBlock), wantCov: wantCov,
		lonelyAvg: d.spec.Lonely == LonelyAverage}
	if wantCov {
		wk.co = make([]float64, G*J*J)
		wk.cov = make([]float64, G*J*J)
	}
	wk.gA = -1
	if t.vs {
		wk.gA = t.overall
		wk.cHead, wk.cTail = make([]int32, G), make([]int32, G)
		wk.VD, wk.ssA = make([]float64, G*J), make([]float64, J)
	}
	return wk
}

// vrBlock is the number of rows of a PSU processed together.
const vrBlock = 512

// vrStrata runs the linearization pass over strata [h0, h1): per PSU, in
// blocks of rows, the influence values z_i = w_i r_i, r_i = y_i a − x_i b,
// of every estimand (one column at a time), their PSU totals per domain and
// Σ z²/w; combinations from the r_i of their terms. With cells false the
// PSU totals only feed Σ z (design effect of replicate designs).
func (d *Design) vrStrata(r *Ratios, t *vrTotals, wk *vrWorker, h0, h1 int, cells bool) {
	K, J := t.K, t.J
	dom := r.Domain
	idx := wk.idx
	gs := wk.gs
	for h := h0; h < h1; h++ {
		for p := d.strataPSU[h]; p < d.strataPSU[h+1]; p++ {
			start, end := int(d.psuStart[p]), int(d.psuStart[p+1])
			for b0 := start; b0 < end; b0 += vrBlock {
				m := min(vrBlock, end-b0)
				idx = idx[:m]
				if d.order != nil {
					for j := range idx {
						idx[j] = d.order[b0+j]
					}
				} else {
					for j := range idx {
						idx[j] = int32(b0 + j)
					}
				}
				// uniform: every row of the block is in domain g0 (or in none)
				uniform, g0 := true, int32(0)
				if dom == nil {
					if wk.cellMark[0] != p+1 {
						wk.cellMark[0] = p + 1
						wk.touched = append(wk.touched, 0)
					}
				} else {
					gs = gs[:m]
					g0 = dom[idx[0]]
					for j, i := range idx {
						g := dom[i]
						gs[j] = g
						if g != g0 {
							uniform = false
						}
						if g >= 0 && wk.cellMark[g] != p+1 {
							wk.cellMark[g] = p + 1
							wk.touched = append(wk.touched, g)
						}
					}
				}
				gA := t.overall
				if gA >= 0 && wk.cellMark[gA] != p+1 {
					wk.cellMark[gA] = p + 1
					wk.touched = append(wk.touched, int32(gA))
				}
				if uniform && g0 >= 0 && gA >= 0 && t.fusable && d.order == nil {
					// domain and whole population in one loop
					d.vrBlockFused(r, t, wk, int(idx[0]), m, int(g0), gA)
					continue
				}
				switch {
				case uniform && g0 < 0: // no row of the block is in a domain
				case uniform:
					d.vrBlockPass(r, t, wk, idx, nil, int(g0))
				default:
					d.vrBlockPass(r, t, wk, idx, gs, 0)
				}
				if gA >= 0 {
					d.vrBlockPass(r, t, wk, idx, nil, gA)
				}
			}
			// flush the PSU's totals into Σ z and the stratum accumulators
			// (all combinations first: VsOverall reads the overall's cells
			// while updating each domain's)
			for _, g := range wk.touched {
				cg := wk.cell[int(g)*J : int(g)*J+J]
				for c, terms := range t.combos {
					v := 0.0
					for _, tm := range terms {
						v += tm.coef * cg[tm.k]
					}
					cg[K+c] = v
				}
			}
			qA := int32(-1)
			if wk.VD != nil && cells {
				// the overall's PSU totals, PSU qA of the stratum
				qA = int32(len(wk.aBuf) / J)
				wk.aBuf = append(wk.aBuf, wk.cell[wk.gA*J:wk.gA*J+J]...)
			}
			for _, g := range wk.touched {
				cg := wk.cell[int(g)*J : int(g)*J+J]
				s1 := wk.s1[int(g)*J : int(g)*J+J]
				for j, v := range cg {
					s1[j] += v
				}
				if !cells {
					continue
				}
				if wk.strMark[g] != int32(h)+1 {
					wk.strMark[g] = int32(h) + 1
					wk.strTouch = append(wk.strTouch, g)
					wk.m[g] = 0
					clear(wk.mean[int(g)*J : int(g)*J+J])
					clear(wk.m2[int(g)*J : int(g)*J+J])
					if wk.wantCov {
						clear(wk.co[int(g)*J*J : (int(g)+1)*J*J])
					}
					if wk.VD != nil {
						wk.cHead[g] = -1
					}
				}
				wk.m[g]++
				m := float64(wk.m[g])
				mean := wk.mean[int(g)*J : int(g)*J+J]
				m2 := wk.m2[int(g)*J : int(g)*J+J]
				if wk.wantCov {
					co := wk.co[int(g)*J*J : (int(g)+1)*J*J]
					f := (m - 1) / m
					for j := 0; j < J; j++ {
						dj := (cg[j] - mean[j]) * f
						for l := 0; l < J; l++ {
							co[j*J+l] += dj * (cg[l] - mean[l])
						}
					}
				}
				for j := 0; j < J; j++ {
					delta := cg[j] - mean[j]
					mean[j] += delta / m
					m2[j] += delta * (cg[j] - mean[j])
				}
				if wk.VD != nil && int(g) != wk.gA {
					// keep the domain's PSU totals for the differences
					e := int32(len(wk.cQ))
					wk.cQ = append(wk.cQ, qA)
					wk.cVal = append(wk.cVal, cg...)
					wk.cNext = append(wk.cNext, -1)
					if wk.cHead[g] < 0 {
						wk.cHead[g] = e
					} else {
						wk.cNext[wk.cTail[g]] = e
					}
					wk.cTail[g] = e
				}
			}
			for _, g := range wk.touched {
				clear(wk.cell[int(g)*J : int(g)*J+J])
			}
			wk.touched = wk.touched[:0]
		}
		if cells {
			d.vrStratumEnd(wk, h)
		}
	}
}

// vrStratumEnd adds stratum h's contribution for every domain that touched
// it: (1 − f_h) n_h/(n_h − 1) Σ_j (z_hj − z̄_h)² over all n_h PSUs, from the
// Welford sums over the m PSUs with domain rows:
// Σ_all (t − t̄)² = M2 + m(μ − t̄)² + (n_h − m) t̄², t̄ = mμ/n_h.
func (d *Design) vrStratumEnd(wk *vrWorker, h int) {
	J := wk.J
	nh := d.nh[h]
	fh := d.fh[h]
	for _, g := range wk.strTouch {
		if fh < 1e-7 { // R onestrat: self-representing stratum
			continue
		}
		m := float64(wk.m[g])
		mean := wk.mean[int(g)*J : int(g)*J+J]
		m2 := wk.m2[int(g)*J : int(g)*J+J]
		V := wk.V[int(g)*J : int(g)*J+J]
		var scale float64
		center := true
		switch {
		case nh > 1 && wk.m[g] == 1 && d.spec.AdjustDomainLonely && int(g) != wk.gA:
			// the domain holds one PSU of several (R survey.adjust.domain.lonely)
			switch d.spec.Lonely {
			case LonelyAdjust: // uncentred; vrLonelyAdjust moves the centre
				scale, center = fh*float64(nh)/float64(nh-1), false
			case LonelyAverage:
				continue // rescaled by vrAverageScale
			default:
				scale = fh * float64(nh) / float64(nh-1)
			}
		case nh > 1:
			scale = fh * float64(nh) / float64(nh-1)
		default:
			switch d.spec.Lonely {
			case LonelyAdjust:
				scale, center = fh, false
			default: // remove, certainty: centred single PSU = 0; average: left out
				continue
			}
		}
		fn := float64(nh)
		for j := 0; j < J; j++ {
			var ss float64
			if center {
				tb := m * mean[j] / fn
				ss = m2[j] + m*(mean[j]-tb)*(mean[j]-tb) + (fn-m)*tb*tb
			} else {
				ss = m2[j] + m*mean[j]*mean[j]
			}
			V[j] += scale * ss
		}
		if wk.wantCov {
			co := wk.co[int(g)*J*J : (int(g)+1)*J*J]
			cv := wk.cov[int(g)*J*J : (int(g)+1)*J*J]
			for j := 0; j < J; j++ {
				for l := 0; l < J; l++ {
					var ss float64
					if center {
						tj := m * mean[j] / fn
						tl := m * mean[l] / fn
						ss = co[j*J+l] + m*(mean[j]-tj)*(mean[l]-tl) + (fn-m)*tj*tl
					} else {
						ss = co[j*J+l] + m*mean[j]*mean[l]
					}
					cv[j*J+l] += scale * ss
				}
			}
		}
	}
	if wk.VD != nil {
		d.vrStratumEndVs(wk, h)
	}
	wk.strTouch = wk.strTouch[:0]
}

// vsStratum returns the factor of stratum h's sum of squares in the
// variance of a difference domain − overall, whether the squares are
// centred, and false when the stratum adds nothing: (1 − f_h)
// n_h/(n_h − 1) centred; a lonely stratum uncentred with (1 − f_h) under
// LonelyAdjust, nothing otherwise; nothing from a certainty stratum.
func (d *Design) vsStratum(h int) (scale float64, center, ok bool) {
	nh, fh := d.nh[h], d.fh[h]
	switch {
	case fh < 1e-7:
		return 0, false, false
	case nh > 1:
		return fh * float64(nh) / float64(nh-1), true, true
	case d.spec.Lonely == LonelyAdjust:
		return fh, false, true
	}
	return 0, false, false
}

// vrStratumEndVs adds stratum h's contribution to the variances of the
// differences domain − overall (Ratios.VsOverall; see EstimateRatios) and
// empties the stratum's buffers. A domain that does not touch the stratum
// has difference −a (a: the overall's PSU totals) and gets S_h(a), from
// the overall's Welford sums; one that does gets S_h(c − a) from its PSU
// totals c (zero in the PSUs it does not touch) in two passes over the
// stratum's PSUs: exact when c = a (a domain holding all the rows of the
// estimand), where a difference of sums of squares would leave rounding.
func (d *Design) vrStratumEndVs(wk *vrWorker, h int) {
	J, gA := wk.J, wk.gA
	defer func() {
		wk.aBuf, wk.cVal, wk.cQ, wk.cNext = wk.aBuf[:0], wk.cVal[:0], wk.cQ[:0], wk.cNext[:0]
	}()
	if wk.strMark[gA] != int32(h)+1 {
		return
	}
	scale, center, ok := d.vsStratum(h)
	if !ok {
		return
	}
	fn := float64(d.nh[h])
	mA := float64(wk.m[gA])
	meanA := wk.mean[gA*J : gA*J+J]
	m2A := wk.m2[gA*J : gA*J+J]
	ssA := wk.ssA
	for j := 0; j < J; j++ {
		if center {
			tb := mA * meanA[j] / fn
			ssA[j] = m2A[j] + mA*(meanA[j]-tb)*(meanA[j]-tb) + (fn-mA)*tb*tb
		} else {
			ssA[j] = m2A[j] + mA*meanA[j]*meanA[j]
		}
	}
	nq := len(wk.aBuf) / J
	for g := 0; g < gA; g++ {
		VD := wk.VD[g*J : g*J+J]
		if wk.strMark[g] != int32(h)+1 {
			for j, v := range ssA {
				VD[j] += scale * v
			}
			continue
		}
		// dq = c − a per PSU with rows (the others count as zeros)
		if cap(wk.dq) < len(wk.aBuf) {
			wk.dq = make([]float64, len(wk.aBuf))
		}
		dq := wk.dq[:len(wk.aBuf)]
		for i, v := range wk.aBuf {
			dq[i] = -v
		}
		for e := wk.cHead[g]; e >= 0; e = wk.cNext[e] {
			q := int(wk.cQ[e])
			cv := wk.cVal[int(e)*J : int(e)*J+J]
			dr := dq[q*J : q*J+J]
			for j, v := range cv {
				dr[j] += v
			}
		}
		for j := 0; j < J; j++ {
			var ss float64
			if center {
				mu := 0.0
				for q := 0; q < nq; q++ {
					mu += dq[q*J+j]
				}
				mu /= fn
				for q := 0; q < nq; q++ {
					dv := dq[q*J+j] - mu
					ss += dv * dv
				}
				ss += (fn - float64(nq)) * mu * mu
			} else {
				for q := 0; q < nq; q++ {
					ss += dq[q*J+j] * dq[q*J+j]
				}
			}
			VD[j] += scale * ss
		}
	}
}

// vrDeffSums returns Σ z and Σ z²/w per (domain, estimand) for the design
// effect (replicate designs; linearization gets them in its own pass).
func (d *Design) vrDeffSums(r *Ratios, t *vrTotals) (s1, s2 []float64) {
	wk := d.newVrWorker(t, false)
	d.vrStrata(r, t, wk, 0, len(d.nh), false)
	return wk.s1, wk.s2
}

// vrAverageScale returns, per (domain, estimand), R's nstrat/nokstrat
// factor of LonelyAverage: R svyby and na.rm drop the rows outside the
// domain or with a missing value, so nstrat counts the strata with at
// least one row where the estimand is observed in the domain, and nokstrat
// those of them that are not lonely (survey 4.1 onestage). For a
// combination, rows where any component is observed.
func (d *Design) vrAverageScale(r *Ratios, t *vrTotals) []float64 {
	J, K := t.J, t.K
	seen := make([]int32, t.G*J) // stratum+1 last counted
	nstr := make([]int, t.G*J)
	nok := make([]int, t.G*J)
	// with AdjustDomainLonely: per domain, the PSUs of the stratum holding
	// its rows (a domain in one PSU of several is lonely there)
	var psus []int
	var lastPSU []int32
	if d.spec.AdjustDomainLonely && r.Domain != nil {
		psus, lastPSU = make([]int, t.G), make([]int32, t.G)
	}
	for h := range d.nh {
		if psus != nil {
			clear(psus)
			for p := d.strataPSU[h]; p < d.strataPSU[h+1]; p++ {
				for pos := d.psuStart[p]; pos < d.psuStart[p+1]; pos++ {
					i := int(pos)
					if d.order != nil {
						i = int(d.order[pos])
					}
					if g := r.Domain[i]; g >= 0 && (psus[g] == 0 || lastPSU[g] != p) {
						psus[g] += d.unitsAt(i)
						lastPSU[g] = p
					}
				}
			}
		}
		for pos := d.psuStart[d.strataPSU[h]]; pos < d.psuStart[d.strataPSU[h+1]]; pos++ {
			i := int(pos)
			if d.order != nil {
				i = int(d.order[pos])
			}
			g := 0
			if r.Domain != nil {
				g = int(r.Domain[i])
			}
			mark := func(j int) {
				if seen[g*J+j] != int32(h)+1 {
					seen[g*J+j] = int32(h) + 1
					nstr[g*J+j]++
					domLonely := psus != nil && g != t.overall && d.nh[h] > 1 && psus[g] == 1
					if !d.lonely[h] && !domLonely {
						nok[g*J+j]++
					}
				}
			}
			markAll := func() {
				for k := 0; k < K; k++ {
					if vrObserved(r, k, i) {
						mark(k)
					}
				}
				for c, terms := range t.combos {
					for _, tm := range terms {
						if vrObserved(r, tm.k, i) {
							mark(K + c)
							break
						}
					}
				}
			}
			if g >= 0 {
				markAll()
			}
			if t.overall >= 0 {
				g = t.overall
				markAll()
			}
		}
	}
	sc := make([]float64, t.G*J)
	for i := range sc {
		sc[i] = float64(nstr[i]) / float64(nok[i])
	}
	return sc
}

// vrRun is a run of consecutive rows [s, e) in domain g.
type vrRun struct{ s, e, g int32 }

// vrTotalsRange accumulates, over rows [i0, i1), the totals Σ w y and Σ w x
// per (domain, estimand) and the observed counts and weight sums per
// (domain, estimand or combination): each estimand through the path for
// its kind (vrRunTotals, vrItemTotals, vrRowTotals), then the
// combinations' counts (vrComboCounts), 64 combinations at a time.
func (d *Design) vrTotalsRange(r *Ratios, t *vrTotals, i0, i1 int, Y, X, W []float64, N, O []int) {
	K, C := t.K, t.C
	dom := r.Domain
	w := d.w[i0:i1]
	var mask []uint64
	var full uint64
	if C > 0 {
		mask = make([]uint64, i1-i0)
	}
	// runs of consecutive rows in one domain (positions relative to i0)
	var runs []vrRun
	if dom == nil {
		runs = []vrRun{{0, int32(i1 - i0), 0}}
	} else {
		for i := i0; i < i1; {
			j := i + 1
			for j < i1 && dom[j] == dom[i] {
				j++
			}
			runs = append(runs, vrRun{int32(i - i0), int32(j - i0), dom[i]})
			i = j
		}
	}
	for c0 := 0; c0 < max(C, 1); c0 += 64 {
		c1 := min(C, c0+64)
		if C > 0 {
			clear(mask)
			full = 0
			for c := c0; c < c1; c++ {
				if len(t.combos[c]) > 0 {
					full |= 1 << uint(c-c0)
				}
			}
		}
		for k := 0; k < K; k++ {
			var bitsK uint64
			for c := c0; c < c1; c++ {
				for _, tm := range t.combos[c] {
					if tm.k == k {
						bitsK |= 1 << uint(c-c0)
					}
				}
			}
			if c0 > 0 {
				// totals were done with the first group; only masks now
				vrMaskOnly(r, k, i0, i1, mask, bitsK)
				continue
			}
			var yAll, xAll []float64
			var vAll []bool
			item := k >= t.nNum
			var yt, xt *[256]float64
			var codesAll []int8
			if item {
				yt, xt = t.ytab[k-t.nNum], t.xtab[k-t.nNum]
				codesAll = r.Items[k-t.nNum].Codes[i0:i1]
			} else {
				yAll = r.Num[k][i0:i1]
				xAll, vAll = vrDen(r, k), vrValid(r, k)
				if xAll != nil {
					xAll = xAll[i0:i1]
				}
				if vAll != nil {
					vAll = vAll[i0:i1]
				}
			}
			if !item && xAll != nil && vAll == nil {
				// the common case: a ratio whose denominator marks the
				// observed rows
				var mk []uint64
				if bitsK != 0 {
					mk = mask
				}
				d.vrRunTotals(runs, t, k, yAll, xAll, w, mk, bitsK, Y, X, W, N, O)
				continue
			}
			if item {
				d.vrItemTotals(r, t, k, i0, i1, codesAll, yt, xt, bitsK, mask, Y, X, W, N, O)
				continue
			}
			d.vrRowTotals(r, t, k, i0, i1, yAll, xAll, vAll, mask, bitsK, Y, X, W, N, O)
		}
		if C == 0 {
			break
		}
		d.vrComboCounts(r, t, i0, c0, c1, full, mask, W, N, O)
	}
}

// vrRowTotals is vrTotalsRange's general row loop for estimand k given as
// a numerator column (with a denominator or validity mask, or neither for
// a total) over rows [i0, i1): run-length sums per domain (rows come
// grouped by PSU, so the domain rarely changes), the overall domain's sums
// alongside, and bitsK set in mask on the rows where k is observed.
func (d *Design) vrRowTotals(r *Ratios, t *vrTotals, k, i0, i1 int, yAll, xAll []float64, vAll []bool, mask []uint64, bitsK uint64, Y, X, W []float64, N, O []int) {
	K, J := t.K, t.J
	dom := r.Domain
	w := d.w[i0:i1]
	var dm []int32
	if dom != nil {
		dm = dom[i0:i1]
	}
	// run-length accumulation: rows come grouped by PSU, so the
	// domain rarely changes from one row to the next
	cur := -1
	var sy, sx, sw float64
	var sn, so int
	var ay, ax, aw float64 // the all-rows domain (Overall)
	var an, ao int
	all := t.overall >= 0
	const chunk = 4096
	for c0 := 0; c0 < len(w); c0 += chunk {
		c1 := min(c0+chunk, len(w))
		ww := w[c0:c1]
		y := yAll[c0:c1]
		var x []float64
		var v []bool
		if xAll != nil {
			x = xAll[c0:c1]
		}
		if vAll != nil {
			v = vAll[c0:c1]
		}
		var dmc []int32
		if dm != nil {
			dmc = dm[c0:c1]
		}
		mk := mask
		if mk != nil {
			mk = mask[c0:c1]
		}
		for i, wi := range ww {
			g := 0
			if dmc != nil {
				g = int(dmc[i])
			}
			if g != cur {
				if cur >= 0 {
					Y[cur*K+k] += sy
					X[cur*K+k] += sx
					W[cur*J+k] += sw
					N[cur*J+k] += sn
					O[cur*J+k] += so
				}
				cur = g
				sy, sx, sw, sn, so = 0, 0, 0, 0, 0
			}
			if g < 0 && !all {
				continue
			}
			ok := true
			wy := wi * y[i]
			var wx float64
			if x != nil {
				xi := x[i]
				wx = wi * xi
				ok = xi != 0
			}
			if v != nil {
				ok = v[i]
			}
			if all {
				ay += wy
				ax += wx
				if ok {
					an++
					aw += wi
					if wi != 0 {
						ao++
					}
				}
			}
			if g < 0 {
				if ok && bitsK != 0 {
					mk[i] |= bitsK
				}
				continue
			}
			sy += wy
			sx += wx
			if ok {
				sn++
				sw += wi
				if wi != 0 {
					so++
				}
				if bitsK != 0 {
					mk[i] |= bitsK
				}
			}
		}
	}
	if cur >= 0 {
		Y[cur*K+k] += sy
		X[cur*K+k] += sx
		W[cur*J+k] += sw
		N[cur*J+k] += sn
		O[cur*J+k] += so
	}
	if all {
		gA := t.overall
		Y[gA*K+k] += ay
		X[gA*K+k] += ax
		W[gA*J+k] += aw
		N[gA*J+k] += an
		O[gA*J+k] += ao
	}
}

// vrComboCounts counts, over rows [i0, i1), the rows and weights where the
// combinations c0 ≤ c < c1 are observed (the union of their terms'
// observed rows, marked in mask), per domain and overall; full has the
// bits of the combinations with terms, counted at once for rows observed
// in all of them.
func (d *Design) vrComboCounts(r *Ratios, t *vrTotals, i0, c0, c1 int, full uint64, mask []uint64, W []float64, N, O []int) {
	K, J, G := t.K, t.J, t.G
	dom := r.Domain
	w := d.w[i0:]
	fullN := make([]int, G)
	fullO := make([]int, G)
	fullW := make([]float64, G)
	for i, mk := range mask {
		if mk == 0 {
			continue
		}
		wi := w[i]
		for pass := 0; pass < 2; pass++ {
			g := 0
			if pass == 1 {
				if t.overall < 0 {
					break
				}
				g = t.overall
			} else if dom != nil {
				g = int(dom[i0+i])
				if g < 0 {
					continue
				}
			}
			if mk == full {
				fullN[g]++
				fullW[g] += wi
				if wi != 0 {
					fullO[g]++
				}
				continue
			}
			for b := mk; b != 0; {
				c := c0 + bits.TrailingZeros64(b)
				b &= b - 1
				j := g*J + K + c
				N[j]++
				W[j] += wi
				if wi != 0 {
					O[j]++
				}
			}
		}
	}
	for g := 0; g < G; g++ {
		for c := c0; c < c1; c++ {
			if full&(1<<uint(c-c0)) != 0 {
				j := g*J + K + c
				N[j] += fullN[g]
				W[j] += fullW[g]
				O[j] += fullO[g]
			}
		}
	}
}

// vrBlockPass adds the influence values of a block of rows (idx) to the PSU
// cells and to Σ z²/w: every row in domain g0 when gs is nil, else row j in
// domain gs[j] (−1: none).
func (d *Design) vrBlockPass(r *Ratios, t *vrTotals, wk *vrWorker, idx, gs []int32, g0 int) {
	K, J := t.K, t.J
	w := d.w
	m := len(idx)
	contig := d.order == nil
	var wblk []float64 // the block's weights (items)
	for k := 0; k < K; k++ {
		rb := wk.rbuf[k*vrBlock : k*vrBlock+m]
		if k >= t.nNum {
			// an item: decode the block's codes, then the same kernel on
			// block-local slices
			if wblk == nil {
				if contig {
					wblk = w[idx[0] : int(idx[0])+m]
				} else {
					wblk = wk.wbuf[:m]
					for j, i := range idx {
						wblk[j] = w[i]
					}
				}
			}
			yt, xt := t.ytab[k-t.nNum], t.xtab[k-t.nNum]
			codes := r.Items[k-t.nNum].Codes
			yy, xx := wk.ybuf[:m], wk.xbuf[:m]
			if contig {
				cc := codes[idx[0] : int(idx[0])+m]
				for j, c := range cc {
					yy[j], xx[j] = yt[uint8(c)], xt[uint8(c)]
				}
			} else {
				for j, i := range idx {
					c := codes[i]
					yy[j], xx[j] = yt[uint8(c)], xt[uint8(c)]
				}
			}
			if gs == nil {
				a, b := t.a[g0*K+k], t.b[g0*K+k]
				var tz, ts2 float64
				for j, yv := range yy {
					rr := yv*a - xx[j]*b
					z := wblk[j] * rr
					tz += z
					ts2 += z * rr
					rb[j] = rr
				}
				wk.cell[g0*J+k] += tz
				wk.s2[g0*J+k] += ts2
				continue
			}
			for j, yv := range yy {
				g := int(gs[j])
				if g < 0 {
					rb[j] = 0
					continue
				}
				rr := yv*t.a[g*K+k] - xx[j]*t.b[g*K+k]
				z := wblk[j] * rr
				wk.cell[g*J+k] += z
				wk.s2[g*J+k] += z * rr
				rb[j] = rr
			}
			continue
		}
		y := r.Num[k]
		var x []float64
		if r.Den != nil {
			x = r.Den[k]
		}
		if gs == nil {
			a, b := t.a[g0*K+k], t.b[g0*K+k]
			var tz, ts2 float64
			if lo := int(idx[0]); contig && x != nil {
				// contiguous rows: plain slices, no gather
				yy, xx, ww := y[lo:lo+m], x[lo:lo+m], w[lo:lo+m]
				rb = rb[:len(yy)]
				xx = xx[:len(yy)]
				ww = ww[:len(yy)]
				for j, yv := range yy {
					rr := yv*a - xx[j]*b
					z := ww[j] * rr
					tz += z
					ts2 += z * rr
					rb[j] = rr
				}
			} else if x == nil {
				for j, i := range idx {
					rr := y[i] * a
					z := w[i] * rr
					tz += z
					ts2 += z * rr
					rb[j] = rr
				}
			} else {
				for j, i := range idx {
					rr := y[i]*a - x[i]*b
					z := w[i] * rr
					tz += z
					ts2 += z * rr
					rb[j] = rr
				}
			}
			wk.cell[g0*J+k] += tz
			wk.s2[g0*J+k] += ts2
			continue
		}
		for j, i := range idx {
			g := int(gs[j])
			if g < 0 {
				rb[j] = 0
				continue
			}
			rr := y[i] * t.a[g*K+k]
			if x != nil {
				rr -= x[i] * t.b[g*K+k]
			}
			z := w[i] * rr
			wk.cell[g*J+k] += z
			wk.s2[g*J+k] += z * rr
			rb[j] = rr
		}
	}
	rc := wk.rc[:m]
	for c, terms := range t.combos {
		clear(rc)
		for _, tm := range terms {
			rb := wk.rbuf[tm.k*vrBlock : tm.k*vrBlock+m]
			co := tm.coef
			for j := range rc {
				rc[j] += co * rb[j]
			}
		}
		if gs == nil {
			s := 0.0
			for j, i := range idx {
				s += w[i] * rc[j] * rc[j]
			}
			wk.s2[g0*J+K+c] += s
		} else {
			for j, i := range idx {
				if g := int(gs[j]); g >= 0 {
					wk.s2[g*J+K+c] += w[i] * rc[j] * rc[j]
				}
			}
		}
	}
}
