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
	cases := map[string][]rCase{
		"apistrat": {
			{"margins_numeric", "size", `{"calibrate": {` + stype + `, "numeric": {"enroll": 3811472}}}`, strat},
			{"ratio_variance", "size", `{"calibrate": {"numeric": {"enroll": 3811472}, "variance": "enroll"}}`, strat},
			{"ps_margins", "size", `{"poststratify": {` + size + `}}, {"calibrate": {` + stype + `, "numeric": {"enroll": 3811472}}}`, strat},
			{"rake_numeric", "size", `{"rake": {"margins": [{` + size + `}, {"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}], "max_iter": 1000, "epsilon": 1e-14}}, ` +
				`{"calibrate": {"numeric": {"enroll": 3811472}}}`, strat},
		},
		"apiclus1": {{"clus1_numeric", "stype", `{"calibrate": {"numeric": {"one": 6194, "enroll": 3811472}}}`, clus}},
	}
	golds := golden.Rows(t, filepath.Join("..", "testdata", "calrep_estimate", "estimates.csv"))
	dir := t.TempDir()
	compared := 0
	for name, cs := range cases {
		rec, files, _ := estcalFixtureFiles(t, dir, name+".csv")
		defer rec.Release()
		compared += sameReplicatesAsR(t, rec, files[1], cs, golds, false, estcalEstimates)
	}
	if want := 2 * (len(golds) - 1); compared < want {
		t.Errorf("%d comparisons with R, want %d", compared, want)
	}
}

// rCase is a weighting (its steps, of design weight pw) that R's goldens
// estimate under designs, nationally and by the domain by.
type rCase struct {
	key, by, steps string
	designs        map[string]*sampling.DesignOptions
}

// rEstimands are the estimands the replicate tests compare with R: means
// (of values, of a 0/1 share, of a variable with missing values), totals
// and a ratio of the api fixtures (estcalFixture).
var rEstimands = []sampling.Estimand{
	{Statistic: sampling.StatMean, Num: "api00"}, {Statistic: sampling.StatMean, Num: "hi"}, {Statistic: sampling.StatMean, Num: "holes"},
	{Statistic: sampling.StatTotal, Num: "enroll"}, {Statistic: sampling.StatTotal, Num: "holes"},
	{Statistic: sampling.StatRatio, Num: "api00", Den: "enroll"},
}

// replicateStream gives the estimates est (and the contrasts cs) of the
// weighting ws of the design spec streamed from the file at path, read
// with read.
type replicateStream func(t *testing.T, path string, spec *sampling.DesignOptions, ws *weighting.Spec, est []sampling.Estimand,
	opt *sampling.EstimateOptions, cs [][]sampling.DomainCoef, read []arrowio.Option) ([]sampling.Estimate, []sampling.ContrastEstimate)

// estcalEstimates is estcalStreamed as a replicateStream.
func estcalEstimates(t *testing.T, path string, spec *sampling.DesignOptions, ws *weighting.Spec, est []sampling.Estimand,
	opt *sampling.EstimateOptions, cs [][]sampling.DomainCoef, read []arrowio.Option) ([]sampling.Estimate, []sampling.ContrastEstimate) {
	t.Helper()
	return estcalStreamed(t, context.Background(), path, spec, ws, est, opt, cs, read)
}

// sameReplicatesAsR: for every case and design, the rEstimands nationally
// and by the case's domain, of the rows rec in memory
// (weighting.NewDesign, which re-weights every replicate row by row) and
// streamed from the file at path by stream (read in batches of 41), equal
// each other at 1e-12 (estimate, SE, interval, design effect; n, df and
// PSUs exactly) and, both, R's golden rows golds of the case, design and
// domain at 1e-9 (sameAsR). With contrasts, the contrasts between the
// domains (memoryEstimates) are streamed too and equal the in-memory
// ones. It returns the number of comparisons with R.
func sameReplicatesAsR(t *testing.T, rec arrow.RecordBatch, path string, cases []rCase, golds []map[string]string, contrasts bool, stream replicateStream) int {
	t.Helper()
	ctx := context.Background()
	read := []arrowio.Option{arrowio.WithBatchSize(41)}
	compared := 0
	for _, c := range cases {
		ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "pw", "steps": [` + c.steps + `]}`))
		if err != nil {
			t.Fatalf("%s: %v", c.key, err)
		}
		for dname, design := range c.designs {
			if err := CalibratedEstimandSumsSupport(design, ws); err != nil {
				t.Fatalf("%s %s: %v", c.key, dname, err)
			}
			d, wrec, err := weighting.NewDesign(ctx, rec, ws, design)
			if err != nil {
				t.Fatalf("%s %s: %v", c.key, dname, err)
			}
			defer wrec.Release()
			for _, by := range [][]string{nil, {c.by}} {
				opt := &sampling.EstimateOptions{By: by}
				where := fmt.Sprintf("%s %s by %v", c.key, dname, by)
				var mem []sampling.Estimate
				var cs [][]sampling.DomainCoef
				var memC []sampling.ContrastEstimate
				if contrasts {
					mem, cs, memC = memoryEstimates(t, where, d, wrec, rEstimands, opt)
				} else if mem, err = d.Estimates(wrec, rEstimands, opt); err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				streamed, gotC := stream(t, path, design, ws, rEstimands, opt, cs, read)
				sameEstimates(t, where, mem, streamed, false)
				if cs != nil {
					sameContrasts(t, where, mem, memC, gotC)
				}
				for path, got := range map[string][]sampling.Estimate{"in memory": mem, "streamed": streamed} {
					compared += sameAsR(t, where+" "+path, got, golds, c.key, dname, strings.Join(by, ""))
				}
			}
		}
	}
	return compared
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
