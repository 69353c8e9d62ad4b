package index

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// TestWeightedEstimandSumsRakeBoundedByDesign: means, shares, totals and
// ratios (with missing values) after raking, alone and chained with
// nonresponse, post-stratification (before and after) and calibration to
// category margins (rakeWeightings), with a design weight that differs
// between the ballots of a PSU and of a class (weight2), with PSUs and
// without PSU column: the cells are keyed
// by the design, domains and classes only (as many as their distinct
// values among the ballots; the design weight key made about three times
// as many), and the estimates, SEs, intervals, design effects, n and df,
// nationally and by domains, and the contrasts between domains equal
// weighting.NewDesign + Estimates on the ballots at 1e-12.
func TestWeightedEstimandSumsRakeBoundedByDesign(t *testing.T) {
	base, level, gender, region, _ := weightingFixture(t)
	defer base.Release()
	rec, pq := holesFile(t, base, nil, nil)
	defer rec.Release()
	specs, designs := rakeWeightings(level, gender, region)
	weightedEstimandFileEqualMemory(t, rec, pq, specs, designs, func(where string, design *sampling.DesignOptions, ws *weighting.Spec, opt *sampling.EstimateOptions, tab arrow.RecordBatch) {
		k, _ := weighting.CellKeysOf(ws)
		keys := append(append([]string{design.Strata, design.PSU, design.FPC}, opt.By...), k.Columns...)
		if c, dd := tab.NumRows(), distinctRows(t, rec, keys); c != dd {
			t.Errorf("%s: %d cells; the ballots hold %d distinct values of the design, domain and class columns", where, c, dd)
		}
	})
}
