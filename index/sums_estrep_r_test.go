package index

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// TestCalibratedEstimandReplicatesR: means (of values, of a 0/1 share, of
// a variable with missing values), totals and ratios, nationally and by a
// domain, under JKn (with fpc) and JK1 (with and without the fpc) after a
// linear calibration to category margins and numeric totals (alone, with
// a working-model variance, after a post-stratification, after a raking),
// both in memory (weighting.NewDesign, which re-weights every replicate
// row by row) and streamed (passes over a Parquet file in row groups of
// 37 read in batches of 41, every replicate's calibration solved from
// the cells' sums), equal R survey's svymean, svytotal, svyratio and svyby
// on calibrate() of as.svrepdesign() at 1e-9 on every estimate and SE
// (testdata/calrep_estimate.R).
func TestCalibratedEstimandReplicatesR(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	type fixture struct {
		rec  arrow.RecordBatch
		path string
	}
	fixtures := map[string]fixture{}
	for _, name := range []string{"apistrat", "apiclus1"} {
		rec, files, _ := estcalFixtureFiles(t, dir, name+".csv")
		defer rec.Release()
		fixtures[name] = fixture{rec: rec, path: files[1]}
	}
	const stype = `"margins": [{"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}]`
	const size = `"by": ["size"], "totals": {"big": 2900, "small": 3294}`
	strat := map[string]*sampling.DesignOptions{
		"jkn": {Strata: "stype", PSU: "snum", FPC: "fpc", Variance: sampling.JKn},
		"jk1": {PSU: "snum", Variance: sampling.JK1},
	}
	clus := map[string]*sampling.DesignOptions{
		"jk1":    {PSU: "dnum", Variance: sampling.JK1},
		"jk1fpc": {PSU: "dnum", FPC: "fpc", Variance: sampling.JK1},
	}
	cases := []struct {
		key, fixture, by, steps string
		designs                 map[string]*sampling.DesignOptions
	}{
		{"margins_numeric", "apistrat", "size", `{"calibrate": {` + stype + `, "numeric": {"enroll": 3811472}}}`, strat},
		{"ratio_variance", "apistrat", "size", `{"calibrate": {"numeric": {"enroll": 3811472}, "variance": "enroll"}}`, strat},
		{"ps_margins", "apistrat", "size", `{"poststratify": {` + size + `}}, {"calibrate": {` + stype + `, "numeric": {"enroll": 3811472}}}`, strat},
		{"rake_numeric", "apistrat", "size", `{"rake": {"margins": [{` + size + `}, {"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}], "max_iter": 1000, "epsilon": 1e-14}}, ` +
			`{"calibrate": {"numeric": {"enroll": 3811472}}}`, strat},
		{"clus1_numeric", "apiclus1", "stype", `{"calibrate": {"numeric": {"one": 6194, "enroll": 3811472}}}`, clus},
	}
	ests := []sampling.Estimand{
		{Statistic: sampling.StatMean, Num: "api00"}, {Statistic: sampling.StatMean, Num: "hi"}, {Statistic: sampling.StatMean, Num: "holes"},
		{Statistic: sampling.StatTotal, Num: "enroll"}, {Statistic: sampling.StatTotal, Num: "holes"},
		{Statistic: sampling.StatRatio, Num: "api00", Den: "enroll"},
	}
	golds := golden.Rows(t, filepath.Join("..", "testdata", "calrep_estimate", "estimates.csv"))
	read := []arrowio.Option{arrowio.WithBatchSize(41)}
	compared := 0
	for _, c := range cases {
		fx := fixtures[c.fixture]
		ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "pw", "steps": [` + c.steps + `]}`))
		if err != nil {
			t.Fatalf("%s: %v", c.key, err)
		}
		for dname, design := range c.designs {
			if err := CalibratedEstimandSumsSupport(design, ws); err != nil {
				t.Fatalf("%s %s: %v", c.key, dname, err)
			}
			d, wrec, err := weighting.NewDesign(ctx, fx.rec, ws, design)
			if err != nil {
				t.Fatalf("%s %s: %v", c.key, dname, err)
			}
			defer wrec.Release()
			for _, by := range [][]string{nil, {c.by}} {
				opt := &sampling.EstimateOptions{By: by}
				mem, err := d.Estimates(wrec, ests, opt)
				if err != nil {
					t.Fatalf("%s %s: %v", c.key, dname, err)
				}
				streamed, _ := estcalStreamed(t, ctx, fx.path, design, ws, ests, opt, nil, read)
				for path, got := range map[string][]sampling.Estimate{"in memory": mem, "streamed": streamed} {
					where := fmt.Sprintf("%s %s %s by %v", c.key, dname, path, by)
					compared += sameAsR(t, where, got, golds, c.key, dname, strings.Join(by, ""))
				}
			}
		}
	}
	if want := 2 * (len(golds) - 1); compared < want {
		t.Errorf("%d comparisons with R, want %d", compared, want)
	}
}

// sameAsR compares the estimates got with the golden rows of case key,
// design dname and domain column by at 1e-9 (an SE that R gives as rounding
// noise, below 1e-12 of the estimate, a calibration variable's total, only
// to be below 1e-9 of the estimate), and returns how many it compared.
func sameAsR(t *testing.T, where string, got []sampling.Estimate, golds []map[string]string, key, dname, by string) int {
	t.Helper()
	n := 0
	for _, r := range golds {
		if r["case"] != key || r["design"] != dname || r["by"] != by {
			continue
		}
		var e *sampling.Estimate
		for i := range got {
			dom := ""
			if len(got[i].Domain) > 0 {
				dom = got[i].Domain[0].Value
			}
			if string(got[i].Statistic) == r["stat"] && got[i].Variable == r["var"] && dom == r["domain"] {
				e = &got[i]
			}
		}
		if e == nil {
			t.Errorf("%s: no %s %s in domain %q", where, r["stat"], r["var"], r["domain"])
			continue
		}
		n++
		est, se := golden.Float(t, r["est"]), golden.Float(t, r["se"])
		if !golden.Close(e.Estimate, est, 1e-9) {
			t.Errorf("%s %s %s %q: estimate %.17g, R %.17g", where, r["stat"], r["var"], r["domain"], e.Estimate, est)
		}
		if se < 1e-12*math.Abs(est) {
			if e.SE > 1e-9*math.Abs(est) {
				t.Errorf("%s %s %s %q: SE %.17g, R %.17g (≈ 0)", where, r["stat"], r["var"], r["domain"], e.SE, se)
			}
		} else if !golden.Close(e.SE, se, 1e-9) {
			t.Errorf("%s %s %s %q: SE %.17g, R %.17g", where, r["stat"], r["var"], r["domain"], e.SE, se)
		}
	}
	return n
}
