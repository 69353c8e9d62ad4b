package index

import (
	"fmt"

	"github.com/sipas-go/sipas/sampling"
)

// VsNationResult holds, for every domain g and index j, the difference
// domain − nation and its SE: Diff[g][j], SE[g][j], with j running over
// the C ratios and then the M composites given to VsNationDiff.
type VsNationResult struct {
	Diff, SE [][]float64
}

// VsNationDiff estimates, through the design's one variance engine
// (sampling.Design.EstimateRatios with Ratios.VsOverall), the difference
// between each domain's index and the national index and its design-based
// SE (METHODOLOGY §8, CLI.md vs_nation / se_vs_nation):
//
//	Δ_gc = R_gc − R_c,   R_gc = Σ w d_g y_c / Σ w d_g x_c,   R_c = Σ w y_c / Σ w x_c,
//	Δ_gm = Σ_c a_mc Δ_gc  for each composite m (element, SIPAS),
//
// with the influence values of the difference z_i = Σ_c a_c (z_gc,i − z_c,i),
// where z_gc,i = w_i d_gi (y_ci − R_gc x_ci)/X̂_gc and z_c,i = w_i (y_ci −
// R_c x_ci)/X̂_c, so the variance accounts for the domain being part of the
// nation (the covariance of the two ratios) and for the random
// denominators. One engine call gives every domain, for every design
// (linearized, calibrated, replicate). R equivalent: svyratio on the
// domain-zeroed and national variables with covmat = TRUE, then
// svycontrast (testdata/trend.R).
//
// num[c] and den[c] are y_c and x_c per design row (missing answers
// already 0 in both); domain[i] is row i's domain 0..nDomains−1 or −1;
// composites[m] has C coefficients. Results are in the units of y/x
// (proportions for 0/1 indicators: multiply by 100 for the percent of the
// index rows); NaN where the domain has no answer to a criterion the
// index uses. Lengths that disagree panic; engine errors are returned.
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
	out, err := d.EstimateRatios(&sampling.Ratios{
		Num: num, Den: den, Combos: composites,
		Domain: domain, NDomains: nDomains, Overall: true, VsOverall: true,
	})
	if err != nil {
		return nil, fmt.Errorf("index: domains minus nation: %w", err)
	}
	j := c + len(composites)
	res := &VsNationResult{Diff: make([][]float64, nDomains), SE: make([][]float64, nDomains)}
	for g := range nDomains {
		res.Diff[g] = out.VsEst[g*j : (g+1)*j : (g+1)*j]
		res.SE[g] = out.VsSE[g*j : (g+1)*j : (g+1)*j]
	}
	return res, nil
}
