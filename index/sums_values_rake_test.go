package index

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// TestWeightedEstimandSumsRakeBoundedByDesign: means, shares, totals and
// ratios (with missing values) after raking, alone and chained with
// nonresponse, post-stratification and calibration to category margins,
// with a design weight that differs between the ballots of a PSU and of a
// class (weight2), with PSUs and without PSU column: the cells are keyed
// by the design, domains and classes only (as many as their distinct
// values among the ballots; the design weight key made about three times
// as many), and the estimates, SEs, intervals, design effects, n and df,
// nationally and by domains, and the contrasts between domains equal
// weighting.NewDesign + Estimates on the ballots at 1e-12.
func TestWeightedEstimandSumsRakeBoundedByDesign(t *testing.T) {
	ctx := context.Background()
	base, level, gender, region, _ := weightingFixture(t)
	defer base.Release()
	ac, err := arrowio.Column(base, "procedures_2")
	if err != nil {
		t.Fatal(err)
	}
	holes, _, _ := arrowio.Float64s(ac)
	holes = append([]float64(nil), holes...)
	for i := range holes {
		if i%5 == 2 {
			holes[i] = math.NaN()
		}
	}
	rec := withColumns(base, map[string][]float64{"holes": holes}, nil)
	defer rec.Release()
	pq := filepath.Join(t.TempDir(), "b.parquet")
	if err := arrowio.Write(pq, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(450)); err != nil {
		t.Fatal(err)
	}
	est := []sampling.Estimand{
		{Statistic: sampling.StatMean, Num: "access_1"},
		{Statistic: sampling.StatMean, Num: "expect_1"}, // a share
		{Statistic: sampling.StatMean, Num: "holes"},
		{Statistic: sampling.StatTotal, Num: "procedures_2"},
		{Statistic: sampling.StatTotal, Num: "holes"},
		{Statistic: sampling.StatRatio, Num: "access_1", Den: "access_2"},
		{Statistic: sampling.StatRatio, Num: "holes", Den: "access_2"},
	}
	rake := `{"rake": {"margins": [` + level + `, ` + gender + `, ` + region + `]}}`
	specs := map[string]string{
		"rake":             `{"design_weight": "weight2", "steps": [` + rake + `]}`,
		"nonresponse_rake": `{"design_weight": "weight2", "steps": [{"nonresponse": {"classes": ["level"], "responded": "responded"}}, {"rake": {"margins": [` + gender + `, ` + region + `]}}]}`,
		"ps_rake":          `{"design_weight": "weight2", "steps": [{"poststratify": ` + region + `}, ` + rake + `]}`,
		"rake_cal":         `{"design_weight": "weight2", "steps": [{"rake": {"margins": [` + gender + `, ` + region + `]}}, {"calibrate": {"margins": [` + level + `, ` + gender + `]}}]}`,
	}
	designs := map[string]*sampling.DesignOptions{
		"psu":    {Strata: "stratum", PSU: "psu", FPC: "fpc"},
		"no_psu": {Strata: "stratum"},
	}
	opts := []*sampling.EstimateOptions{
		{},
		{By: []string{"province"}, CI: sampling.Logit},
		{By: []string{"level", "gender"}, DF: sampling.DFDomain},
	}
	for name, js := range specs {
		ws, err := weighting.ParseSpecBytes([]byte(js))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for dname, design := range designs {
			d, out, err := weighting.NewDesign(ctx, rec, ws, design)
			if err != nil {
				t.Fatalf("%s %s: %v", name, dname, err)
			}
			for _, opt := range opts {
				where := fmt.Sprintf("%s %s by %v", name, dname, opt.By)
				want, cs, wantC := memoryEstimates(t, where, d, out, est, opt)
				s, err := SumEstimandsFile(ctx, pq, design, opt.By, est, &StreamOptions{Weighting: ws, Read: []arrowio.Option{arrowio.WithBatchSize(333)}})
				if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				tab, err := s.Table(nil)
				if err != nil {
					t.Fatal(err)
				}
				k, _ := weighting.CellKeysOf(ws)
				keys := append(append([]string{design.Strata, design.PSU, design.FPC}, opt.By...), k.Columns...)
				if c, dd := tab.NumRows(), distinctRows(t, rec, keys); c != dd {
					t.Errorf("%s: %d cells; the ballots hold %d distinct values of the design, domain and class columns", where, c, dd)
				}
				dc, cells, _, err := WeightedEstimandSums(ctx, tab, design, ws, est, s.Shares(), opt.By)
				if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				got, gotC := cellEstimates(t, tab, dc, cells, est, opt, cs)
				tab.Release()
				if dc.DF() != d.DF() {
					t.Errorf("%s: df %d from the cells, %d from the rows", where, dc.DF(), d.DF())
				}
				sameEstimates(t, where, want, got, true)
				sameContrasts(t, where, want, wantC, gotC)
			}
			out.Release()
		}
	}
}
