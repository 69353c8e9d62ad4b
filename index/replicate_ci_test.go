package index

import (
	"context"
	"strconv"
	"testing"

	"github.com/sipas-go/sipas/internal/golden"
	"github.com/sipas-go/sipas/sampling"
)

// Under replicate weights the criterion's logit interval is R's
// svyciprop(method = "logit") on the replicate design, whose svyglm refits
// per replicate (testdata/stats.R, JKn over the provinces of the small
// synthetic survey); the delta method is R's answer only under
// linearization. R's estimate and bounds come from the iterative glm fit
// (1e-7).
func TestCriterionLogitReplicatesMatchR(t *testing.T) {
	rec := loadFixture(t)
	defer rec.Release()
	gold := golden.Rows(t, "../testdata/stats/index_logit_jkn.csv")
	checked := 0
	for _, mse := range []bool{true, false} {
		d, err := sampling.NewDesign(rec, &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", Nest: true,
			Variance: sampling.JKn, MSE: &mse})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Compute(context.Background(), d, rec, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		rows := map[string]Row{}
		for _, r := range res.Rows {
			if r.Kind == KindCriterion {
				rows[r.ID] = r
			}
		}
		for _, g := range gold {
			if g["mse"] != map[bool]string{true: "TRUE", false: "FALSE"}[mse] {
				continue
			}
			r := rows[g["id"]]
			if df, _ := strconv.Atoi(g["df"]); r.DF != df {
				t.Errorf("%s: df %d, R %d", g["id"], r.DF, df)
			}
			if !golden.Close(r.Estimate, golden.Float(t, g["estimate"]), 1e-7) ||
				!golden.Close(r.CILow, golden.Float(t, g["ci_low"]), 1e-7) || !golden.Close(r.CIHigh, golden.Float(t, g["ci_high"]), 1e-7) {
				t.Errorf("mse %v %s: %.15g [%.15g, %.15g], R %s [%s, %s]", mse, g["id"], r.Estimate, r.CILow, r.CIHigh,
					g["estimate"], g["ci_low"], g["ci_high"])
			}
			checked++
		}
	}
	if checked != 10 {
		t.Errorf("%d rows checked, want 10", checked)
	}
}
