package index

import (
	"context"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index/rank"
	"github.com/sipas-go/sipas/internal/synth"
	"github.com/sipas-go/sipas/sampling"
)

// TestTrendRecoversSyntheticTruth runs the whole chain on the synthetic
// generator with its known truth (issue 6: "the generator's known true
// trends are recovered within their intervals"): three yearly surveys
// (2019–2021, 63 provinces, 30 communes × 10 ballots each, independent
// samples of one population model with province trends), index.Compute by
// province with the stratified two-stage design (strata = provinces, PSUs =
// communes), TrendPointsFromRows and CompareYears.
//
// Changes: the true change of SIPAS and of the five elements (100 × the
// Truth's shares) must lie within change ± 1.96·SE for a share of the
// 63 × 6 × (2 previous-year + 1 base-year) = 1,134 province intervals (plus
// the national ones) in [0.90, 0.985]. The bounds are wide on purpose: the
// single-year Wald intervals of this generator and estimator themselves
// cover the truth only about 0.90 of the time at this size (logged; 0.84
// with 10 communes per province — normal quantile with few PSUs, reported
// upstream), so the lower bound checks the change SE is not too small
// (using se₂ alone gives ≈ 0.83); the upper bound catches an SE that is too
// large (se₁ + se₂ instead of sqrt(se₁² + se₂²) gives ≈ 0.99).
//
// Ranks: the true SIPAS ranks (from the Truth) must lie in the simultaneous
// 95% sets in each year (a ≥ 0.95 event, fixed seeds) and in the marginal
// sets for ≥ 0.95 − 3·sqrt(0.95·0.05/189) of the 63 × 3 province-years.
// Skipped with -short (about 2 s CPU).
func TestTrendRecoversSyntheticTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("full chain on synthetic surveys")
	}
	var pts []TrendPoint
	var truth *synth.Truth
	for _, y := range []int{2019, 2020, 2021} {
		rb, tr, err := synth.Survey(synth.SurveyConfig{Seed: 42, Year: y, PSUsPerStratum: 30, BallotsPerPSU: 10}, memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		truth = tr
		d, err := sampling.NewDesign(rb, &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu"})
		if err != nil {
			rb.Release()
			t.Fatal(err)
		}
		res, err := Compute(context.Background(), d, rb, nil, &Options{By: []string{"province"}})
		rb.Release()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range TrendPointsFromRows(y, "", res.Rows) {
			if p.Kind == KindSIPAS || p.Kind == KindElement {
				pts = append(pts, p)
			}
		}
	}
	rows, err := CompareYears(pts, &CompareOptions{Adjust: rank.AdjustHolm, Rank: rank.Options{Draws: 4000}})
	if err != nil {
		t.Fatal(err)
	}
	provOf := func(r TrendRow) string {
		if r.National {
			return ""
		}
		return r.Domain[len("province="):]
	}
	trueVal := func(kind, id string, y int, p string) float64 {
		if kind == KindSIPAS {
			return 100 * truth.SIPAS(y, p)
		}
		return 100 * truth.Element(y, p, id)
	}
	lvl := map[string][2]int{}
	for _, r := range rows {
		p := provOf(r)
		tv := trueVal(r.Kind, r.ID, r.Year, p)
		c := lvl[r.Kind]
		c[1]++
		if math.Abs(r.Estimate-tv) <= 1.96*r.SE {
			c[0]++
		}
		lvl[r.Kind] = c
	}
	t.Logf("single-year intervals est ± 1.96·SE covering the truth [covered, n] by kind: %v", lvl)
	// in counts the intervals with the SE of CompareYears; small and large
	// those with SE/√2 and SE·√2 (about se₂ alone and se₁ + se₂ when the
	// two years' SEs are similar), which the bounds must reject.
	in, small, large, n := 0, 0, 0, 0
	cover := func(r TrendRow, change, se float64, from int) {
		if math.IsNaN(change) {
			return
		}
		p := provOf(r)
		tc := trueVal(r.Kind, r.ID, r.Year, p) - trueVal(r.Kind, r.ID, from, p)
		n++
		d := math.Abs(change - tc)
		if d <= 1.959963984540054*se {
			in++
		}
		if d <= 1.959963984540054*se/math.Sqrt2 {
			small++
		}
		if d <= 1.959963984540054*se*math.Sqrt2 {
			large++
		}
	}
	for _, r := range rows {
		cover(r, r.ChangePrev, r.SEChangePrev, r.PrevYear)
		if r.Year != 2020 { // 2020's base change equals its previous-year change
			cover(r, r.ChangeBase, r.SEChangeBase, r.BaseYear)
		}
	}
	cov := float64(in) / float64(n)
	t.Logf("change intervals: %d of %d cover the true change (%.3f, bounds [0.90, 0.985])", in, n, cov)
	if n < 1000 || cov < 0.90 || cov > 0.985 {
		t.Errorf("change coverage %.3f over %d intervals outside [0.90, 0.985]", cov, n)
	}
	cs, cl := float64(small)/float64(n), float64(large)/float64(n)
	t.Logf("with SE/√2: %.3f, with SE·√2: %.3f", cs, cl)
	if cs >= 0.90 || cl <= 0.985 {
		t.Errorf("the bounds do not discriminate: SE/√2 gives %.3f, SE·√2 %.3f", cs, cl)
	}

	// Ranks of SIPAS against the true ranks.
	margIn, margN := 0, 0
	for _, y := range []int{2019, 2020, 2021} {
		var yr []TrendRow
		for _, r := range rows {
			if r.Kind == KindSIPAS && r.Year == y && !r.National {
				yr = append(yr, r)
			}
		}
		theta := make([]float64, len(yr))
		for i, r := range yr {
			theta[i] = truth.SIPAS(y, provOf(r))
		}
		tr := trueRanks(theta)
		all := true
		for i, r := range yr {
			margN++
			if r.RankLow <= tr[i] && tr[i] <= r.RankHigh {
				margIn++
			}
			if r.RankSimulLow > tr[i] || tr[i] > r.RankSimulHigh {
				all = false
				t.Logf("%d %s: true rank %d outside the simultaneous set [%d, %d]", y, r.Domain, tr[i], r.RankSimulLow, r.RankSimulHigh)
			}
		}
		if len(yr) != 63 || !all {
			t.Errorf("%d: %d provinces ranked; simultaneous sets cover the true ranks: %v", y, len(yr), all)
		}
	}
	mc := float64(margIn) / float64(margN)
	mtol := 0.95 - 3*math.Sqrt(0.95*0.05/float64(margN))
	t.Logf("marginal rank sets: %d of %d cover the true rank (%.3f, bound %.3f)", margIn, margN, mc, mtol)
	if mc < mtol {
		t.Errorf("marginal rank coverage %.3f < %.3f", mc, mtol)
	}
}

// trueRanks is the rank of Mogstad et al.: r_j = 1 + #{k : θ_k > θ_j}
// (tied domains share the better rank).
func trueRanks(theta []float64) []int {
	r := make([]int, len(theta))
	for j, v := range theta {
		r[j] = 1
		for _, w := range theta {
			if w > v {
				r[j]++
			}
		}
	}
	return r
}
