package index

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// TestCalibratedEstimandReplicatesEqualMemory: means (of values, of a 0/1
// share, of a variable with holes), totals and ratios, nationally and by
// domains, and contrasts between domains, under JKn, JK1 and the
// bootstrap (a fixed seed) after an unbounded linear calibration (with a
// working-model variance; to a numeric total alone; after a nonresponse
// adjustment; after a post-stratification), solved by passes over CSV
// and Parquet files read in several batches, with every replicate's
// calibration solved from the sums per cell and the variance finished
// from the replicate sums, equal weighting.NewDesign (which re-calibrates
// every replicate's weights row by row) + Estimates and EstimateContrasts
// at 1e-12 on every estimate, SE, interval, design effect and degrees of
// freedom.
func TestCalibratedEstimandReplicatesEqualMemory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	type fixture struct {
		rec   arrow.RecordBatch
		by    string
		files []string
		psu   *sampling.DesignOptions // strata, PSU and fpc
	}
	fixtures := map[string]*fixture{}
	for _, f := range []struct{ name, by string }{{"apistrat.csv", "size"}, {"apiclus1.csv", "stype"}} {
		rec, files, psu := estcalFixtureFiles(t, dir, f.name)
		defer rec.Release()
		fixtures[strings.TrimSuffix(f.name, ".csv")] = &fixture{rec: rec, by: f.by, files: files, psu: psu}
	}
	read := []arrowio.Option{arrowio.WithBatchSize(41)}
	designs := map[string]func(*sampling.DesignOptions) *sampling.DesignOptions{
		"jkn": func(p *sampling.DesignOptions) *sampling.DesignOptions {
			d := *p
			d.Variance = sampling.JKn
			return &d
		},
		"jk1": func(p *sampling.DesignOptions) *sampling.DesignOptions {
			return &sampling.DesignOptions{PSU: p.PSU, Variance: sampling.JK1}
		},
		"bootstrap": func(p *sampling.DesignOptions) *sampling.DesignOptions {
			return &sampling.DesignOptions{Strata: p.Strata, PSU: p.PSU, Variance: sampling.Bootstrap, Replicates: 30, Seed: 7}
		},
	}
	ests := []sampling.Estimand{
		{Statistic: sampling.StatMean, Num: "api00"}, {Statistic: sampling.StatMean, Num: "hi"}, {Statistic: sampling.StatMean, Num: "holes"},
		{Statistic: sampling.StatTotal, Num: "enroll"}, {Statistic: sampling.StatTotal, Num: "holes"},
		{Statistic: sampling.StatRatio, Num: "api00", Den: "enroll"},
	}
	const stype = `"margins": [{"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}]`
	cases := []struct{ key, fixture, steps string }{
		{"ratio", "apistrat", estcalSteps["ratio"]},
		{"margins and numeric", "apistrat", `{"calibrate": {` + stype + `, "numeric": {"enroll": 3811472}}}`},
		{"poststratify then numeric", "apistrat", estcalSteps["poststratify then numeric"]},
		{"nonresponse then linear", "apistrat", estcalSteps["nonresponse then linear"]},
		{"clus1 nonresponse then numeric", "apiclus1", `{"nonresponse": {"classes": ["size"], "responded": "resp"}}, {"calibrate": {"numeric": {"one": 6194, "enroll": 3811472}}}`},
	}
	for _, c := range cases {
		fx := fixtures[c.fixture]
		steps := c.steps
		ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "pw", "steps": [` + steps + `]}`))
		if err != nil {
			t.Fatalf("%s: %v", c.key, err)
		}
		for dname, mk := range designs {
			design := mk(fx.psu)
			if err := CalibratedEstimandSumsSupport(design, ws); err != nil {
				t.Fatalf("%s %s: %v", c.key, dname, err)
			}
			d, wrec, err := weighting.NewDesign(ctx, fx.rec, ws, design)
			if err != nil {
				t.Fatalf("%s %s: %v", c.key, dname, err)
			}
			defer wrec.Release()
			for _, by := range [][]string{nil, {fx.by}} {
				opt := &sampling.EstimateOptions{By: by}
				want, err := d.Estimates(wrec, ests, opt)
				if err != nil {
					t.Fatalf("%s %s: %v", c.key, dname, err)
				}
				var cs [][]sampling.DomainCoef
				var wantC []sampling.ContrastEstimate
				if by != nil {
					cs = [][]sampling.DomainCoef{{{Domain: 0, Coef: 1}, {Domain: 1, Coef: -1}}}
					if wantC, err = d.EstimateContrasts(wrec, ests, cs, opt); err != nil {
						t.Fatalf("%s %s: %v", c.key, dname, err)
					}
				}
				for _, path := range fx.files {
					where := fmt.Sprintf("%s %s %s by %v", c.key, dname, filepath.Ext(path), by)
					got, gotC := estcalStreamed(t, ctx, path, design, ws, ests, opt, cs, read)
					sameEstimates(t, where, want, got, true)
					sameContrasts(t, where, want, wantC, gotC)
				}
			}
		}
	}
}

// TestCalibratedEstimandReplicatesRefused: a replicate variance after a
// calibration that neither the sums per cell nor the replicates' Newton
// iterations over the rows re-solve on every replicate (a second
// calibration after it) is refused with the reason, before any pass;
// raking-ratio and bounded ones, one of cluster means, and calibrations
// followed by class steps or trimming are accepted.
func TestCalibratedEstimandReplicatesRefused(t *testing.T) {
	design := &sampling.DesignOptions{Strata: "stype", PSU: "snum", Variance: sampling.JKn}
	// raking-ratio and bounded calibrations: every replicate's Newton
	// iterations over the rows (SolveNewtonReplicates); a calibration of
	// cluster means too
	for _, key := range []string{"var_raking", "var_bounded", "agg_linear", "linear then trim", "raking then poststratify then trim", "linear then nonresponse then rake"} {
		ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "pw", "steps": [` + estcalSteps[key] + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		if err := CalibratedEstimandSumsSupport(design, ws); err != nil {
			t.Errorf("%s: %v", key, err)
		}
	}
	for steps, want := range map[string]string{
		`{"calibrate": {"numeric": {"enroll": 3811472}}}, {"calibrate": {"numeric": {"api00": 4117230}}}`: "steps after the calibration (calibrate)",
	} {
		key := steps
		ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "pw", "steps": [` + steps + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		err = CalibratedEstimandSumsSupport(design, ws)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", key, err, want)
		}
	}
	sup := &sampling.DesignOptions{PSU: "snum", RepWeightsPrefix: "rw", Variance: sampling.SuppliedReplicates}
	ws, _ := weighting.ParseSpecBytes([]byte(`{"design_weight": "pw", "steps": [` + estcalSteps["var_linear"] + `]}`))
	if err := CalibratedEstimandSumsSupport(sup, ws); err == nil || !strings.Contains(err.Error(), "not re-weighted") {
		t.Errorf("supplied replicate weights: %v", err)
	}
}
