package index

import (
	"testing"

	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// TestWeightedEstimandSumsReplicates: the means, totals and ratios of a
// weighted replicate design (JKn, the bootstrap, every step re-run on
// every replicate) finished from the estimand cell sums of the design
// weights (two accumulators over batches of 333 rows, merged) equal
// weighting.NewDesign + Estimates on the rows at 1e-12: estimates, SEs,
// logit intervals of the shares, design effects, counts, PSUs, flags and
// domain degrees of freedom (the rank of the domain's replicate weights),
// with design weights constant and varying within PSUs, and with
// nonrespondents (cells of weight 0).
func TestWeightedEstimandSumsReplicates(t *testing.T) {
	rec, level, gender, region, read := weightingFixture(t)
	defer rec.Release()
	specs := map[string]string{
		"ps":         read("sipas_ps.json"),
		"cal_linear": read("sipas_cal_linear.json"),
		"nonresponse_ps": `{"design_weight": "weight", "steps": [{"nonresponse": {"classes": ["region"], "responded": "responded"}},
			{"poststratify": ` + level + `}]}`,
		"w_rake_trim": `{"design_weight": "weight2", "steps": [{"rake": {"margins": [` + level + `, ` + gender + `, ` + region + `]}},
			{"trim": {"max": 2.2, "min": 0.4}}]}`,
	}
	designs := map[string]*sampling.DesignOptions{
		"jkn":       {Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn},
		"bootstrap": {Strata: "stratum", PSU: "psu", Variance: sampling.Bootstrap, Replicates: 20, Seed: 3},
	}
	est := []sampling.Estimand{
		{Statistic: sampling.StatMean, Num: "access_1"},
		{Statistic: sampling.StatTotal, Num: "procedures_2"},
		{Statistic: sampling.StatRatio, Num: "access_1", Den: "access_2"},
		{Statistic: sampling.StatMean, Num: "expect_1"}, // a share
	}
	opt := &sampling.EstimateOptions{By: []string{"level"}, CI: sampling.Logit, DF: sampling.DFDomain}
	for name, js := range specs {
		ws, err := weighting.ParseSpecBytes([]byte(js))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for dname, design := range designs {
			weightedEstimandsEqualMemory(t, name+" "+dname, rec, design, ws, est, opt)
		}
	}
}
