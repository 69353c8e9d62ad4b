package index

import (
	"fmt"
	"math"

	"github.com/sipas-go/sipas/sampling"
)

// VsNationResult holds, for every domain g and index j, the difference
// domain − nation and its SE: Diff[g][j], SE[g][j], with j running over
// the C ratios and then the M composites given to VsNationDiff.
type VsNationResult struct {
	Diff, SE [][]float64
}

// VsNationDiff estimates, through the design's one variance engine
// (sampling.Design.EstimateRatios), the difference between each domain's
// index and the national index and its design-based SE (METHODOLOGY §8,
// CLI.md vs_nation / se_vs_nation):
//
//	Δ_gc = R_gc − R_c,   R_gc = Σ w d_g y_c / Σ w d_g x_c,   R_c = Σ w y_c / Σ w x_c,
//	Δ_gm = Σ_c a_mc Δ_gc  for each composite m (element, SIPAS),
//
// with the influence values of the difference z_i = Σ_c a_c (z_gc,i − z_c,i),
// where z_gc,i = w_i d_gi (y_ci − R_gc x_ci)/X̂_gc and z_c,i = w_i (y_ci −
// R_c x_ci)/X̂_c, so the variance accounts for the domain being part of the
// nation (the covariance of the two ratios) and for the random
// denominators. In general it is one EstimateRatios call per domain with
// 2C estimands (the C ratios on the domain-zeroed variables y_c·d_g,
// x_c·d_g — the same estimate and influence values as R's domain
// estimation — and the C national ratios) and C + M contrasts. R
// equivalent: svyratio on the domain-zeroed and national variables with
// covmat = TRUE, then svycontrast (testdata/trend.R). When every stratum
// lies in a single domain (provinces as strata and as domains, the SIPAS
// design) and the variance is linearized without calibration or
// LonelyAverage, all domains come from one EstimateRatios call instead
// (vsNationOnePass: the same variance, split by strata).
//
// num[c] and den[c] are y_c and x_c per design row (missing answers
// already 0 in both); domain[i] is row i's domain 0..nDomains−1 or −1;
// composites[m] has C coefficients. Results are in the units of y/x
// (proportions for 0/1 indicators: multiply by 100 for the percent of the
// index rows). Lengths that disagree panic; engine errors are returned.
func VsNationDiff(d *sampling.Design, num, den [][]float64, domain []int32, nDomains int, composites [][]float64) (*VsNationResult, error) {
	c := len(num)
	if len(den) != c {
		panic(fmt.Sprintf("index: VsNationDiff: %d numerators, %d denominators", c, len(den)))
	}
	n := d.Rows()
	if len(domain) != n {
		panic(fmt.Sprintf("index: VsNationDiff: %d domain codes for %d design rows", len(domain), n))
	}
	for k := range c {
		if len(num[k]) != n || len(den[k]) != n {
			panic(fmt.Sprintf("index: VsNationDiff: variable %d has %d/%d values for %d design rows", k, len(num[k]), len(den[k]), n))
		}
	}
	for m, a := range composites {
		if len(a) != c {
			panic(fmt.Sprintf("index: VsNationDiff: composite %d has %d coefficients for %d ratios", m, len(a), c))
		}
	}
	combos := make([][]float64, 0, c+len(composites))
	for k := range c {
		v := make([]float64, 2*c)
		v[k], v[c+k] = 1, -1
		combos = append(combos, v)
	}
	for _, a := range composites {
		v := make([]float64, 2*c)
		for k, x := range a {
			v[k], v[c+k] = x, -x
		}
		combos = append(combos, v)
	}
	if vsNationNested(d, domain) {
		return vsNationOnePass(d, num, den, domain, nDomains, composites)
	}
	return vsNationPerDomain(d, num, den, domain, nDomains, combos)
}

// vsNationPerDomain is the general VsNationDiff: one EstimateRatios call per
// domain on the domain-zeroed and national variables with the C + M
// contrasts combos (over 2C estimands).
func vsNationPerDomain(d *sampling.Design, num, den [][]float64, domain []int32, nDomains int, combos [][]float64) (*VsNationResult, error) {
	c, n := len(num), d.Rows()
	res := &VsNationResult{Diff: make([][]float64, nDomains), SE: make([][]float64, nDomains)}
	gy := make([][]float64, c)
	gx := make([][]float64, c)
	for k := range c {
		gy[k] = make([]float64, n)
		gx[k] = make([]float64, n)
	}
	for g := range nDomains {
		for k := range c {
			for i := range n {
				if domain[i] == int32(g) {
					gy[k][i], gx[k][i] = num[k][i], den[k][i]
				} else {
					gy[k][i], gx[k][i] = 0, 0
				}
			}
		}
		r := &sampling.Ratios{
			Num:    append(append([][]float64(nil), gy...), num...),
			Den:    append(append([][]float64(nil), gx...), den...),
			Combos: combos,
		}
		out, err := d.EstimateRatios(r)
		if err != nil {
			return nil, fmt.Errorf("index: domain %d minus nation: %w", g, err)
		}
		res.Diff[g] = make([]float64, len(combos))
		res.SE[g] = make([]float64, len(combos))
		for j := range combos {
			at := out.Index(0, 2*c+j)
			res.Diff[g][j], res.SE[g][j] = out.Est[at], out.SE[at]
		}
	}
	return res, nil
}

// vsNationNested reports whether every stratum of d lies in a single domain
// (all its rows share one domain code, −1 included) and the design's
// variance is stratum-additive linearization: no replicate weights, no
// calibration adjustment of the influence values, no LonelyAverage (whose
// rescaling is global). Then vsNationOnePass applies.
func vsNationNested(d *sampling.Design, domain []int32) bool {
	spec := d.Spec()
	if d.Replicates() > 0 || spec.AdjustInfluence != nil || spec.Lonely == sampling.LonelyAverage {
		return false
	}
	h := d.NStrata()
	if h == 0 {
		return false
	}
	const unset = math.MinInt32
	of := make([]int32, h)
	for i := range of {
		of[i] = unset
	}
	for i, s := range d.Stratum() {
		switch of[s] {
		case domain[i]:
		case unset:
			of[s] = domain[i]
		default:
			return false
		}
	}
	return true
}

// vsNationOnePass is VsNationDiff in one EstimateRatios call when every
// stratum lies in one domain (vsNationNested). The influence values of
// domain g's difference, D = d_g z_g − z_n, have PSU totals that in a
// stratum h of g are those of d_g (z_g − z_n) and in any other stratum
// those of −z_n. Linearization adds stratum contributions S_h(·), so
//
//	V(D) = Σ_{h∈g} S_h(z_g − z_n) + Σ_{h∉g} S_h(z_n)
//	     = V_g(ratio_g − B) + V(B) − V_g(B),
//
// where B is the national ratio's linearized variable
// b_i = (y_i − R x_i)/X̂ as a total (influence w_i b_i = z_n,i), V_g(·) is
// the engine's domain-g variance (influence zeroed outside g) and V(B) its
// whole-population one (Overall). The engine call has the C ratios y_c/x_c
// and the C totals of b_c as estimands, by domain and overall, with the
// combinations ratio_c − B_c, Σ a_mc (ratio_c − B_c) and Σ a_mc B_c.
// Estimates are the domain ratio minus the national ratio, summed as the
// per-domain path's engine combination does (same order).
func vsNationOnePass(d *sampling.Design, num, den [][]float64, domain []int32, nDomains int, composites [][]float64) (*VsNationResult, error) {
	c, m, n := len(num), len(composites), d.Rows()
	w := d.Weights()
	// b_c = y_c a_c − x_c b_c, a_c = 1/X̂_c, b_c = R_c/X̂_c (the engine's
	// linearized ratio variable).
	bv := make([][]float64, c)
	for k := range c {
		var Y, X float64
		y, x := num[k], den[k]
		for i, wi := range w {
			Y += wi * y[i]
			X += wi * x[i]
		}
		v := make([]float64, n)
		if X != 0 {
			a, b := 1/X, Y/X/X
			for i := range v {
				v[i] = y[i]*a - x[i]*b
			}
		}
		bv[k] = v
	}
	k2 := 2 * c
	combos := make([][]float64, 0, c+2*m)
	for k := range c {
		v := make([]float64, k2)
		v[k], v[c+k] = 1, -1
		combos = append(combos, v)
	}
	for _, a := range composites {
		v := make([]float64, k2)
		for k, x := range a {
			v[k], v[c+k] = x, -x
		}
		combos = append(combos, v)
	}
	for _, a := range composites {
		v := make([]float64, k2)
		copy(v[c:], a)
		combos = append(combos, v)
	}
	out, err := d.EstimateRatios(&sampling.Ratios{
		Num:      append(append([][]float64(nil), num...), bv...),
		Den:      append(append([][]float64(nil), den...), make([][]float64, c)...),
		Combos:   combos,
		Domain:   domain,
		NDomains: nDomains,
		Overall:  true,
	})
	if err != nil {
		return nil, fmt.Errorf("index: domains minus nation: %w", err)
	}
	nat := nDomains
	res := &VsNationResult{Diff: make([][]float64, nDomains), SE: make([][]float64, nDomains)}
	for g := range nDomains {
		diff := make([]float64, c+m)
		se := make([]float64, c+m)
		for j := range c + m {
			// the difference, as Σ coef·est over the nonzero
			// coefficients in estimand order (domain ratios, then national)
			co := combos[j]
			e := 0.0
			for k := range c {
				if co[k] != 0 {
					e += co[k] * out.Est[out.Index(g, k)]
				}
			}
			for k := range c {
				if co[c+k] != 0 {
					e += co[c+k] * out.Est[out.Index(nat, k)]
				}
			}
			bj := c + j // B_c, or the combination Σ a_mc B_c
			if j >= c {
				bj = k2 + c + m + (j - c)
			}
			v := out.Var[out.Index(g, k2+j)] + out.Var[out.Index(nat, bj)] - out.Var[out.Index(g, bj)]
			diff[j], se[j] = e, math.Sqrt(max(v, 0))
			if math.IsNaN(e) || math.IsNaN(v) {
				diff[j], se[j] = math.NaN(), math.NaN()
			}
		}
		res.Diff[g], res.SE[g] = diff, se
	}
	return res, nil
}
