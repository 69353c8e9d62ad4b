package weighting

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
)

// The calibration-aware linearized variance of the engine
// (sampling.DesignOptions.AdjustInfluence = weighting.Result.AdjustInfluence)
// against R survey: svymean(~api00) and svytotal(~enroll) after
// postStratify, rake and calibrate (linear, raking, logit, with and without
// bounds) on apistrat and apiclus1 (testdata/weighting/se_*.csv, written by
// testdata/weighting.R), and svymean(~access_1) on the synthetic SIPAS
// survey (se_sipas.csv), at 1e-7.

// apiDesigns are the designs of the api data sets in testdata/weighting.R:
// apistrat stratified by stype, apiclus1 one-stage clusters by dnum.
var apiDesigns = map[string]sampling.DesignOptions{
	"apistrat": {Strata: "stype", FPC: "fpc"},
	"apiclus1": {PSU: "dnum", FPC: "fpc"},
}

// engDesign applies spec to rec, appends the final weight and returns the
// calibration-aware design over the result (release the record).
func engDesign(t *testing.T, mem memory.Allocator, js string, rec arrow.RecordBatch, ds sampling.DesignOptions) (*sampling.Design, arrow.RecordBatch) {
	t.Helper()
	spec, err := ParseSpecBytes([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Apply(spec, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := AppendWeights(mem, rec, spec.Output, res.Weights, nil)
	ds.Weight = spec.Output.Weight
	if ds.Weight == "" {
		ds.Weight = "weight"
	}
	ds.AdjustInfluence = res.AdjustInfluence
	d, err := sampling.NewDesign(out, &ds)
	if err != nil {
		out.Release()
		t.Fatal(err)
	}
	return d, out
}

func TestEngineCalibrationSEMatchesR(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	for name, ds := range apiDesigns {
		rec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "api", name+".csv"), arrowio.WithAllocator(mem))
		if err != nil {
			t.Fatal(err)
		}
		specs := goldenSpecs(name)
		_, rows := readCSV(t, filepath.Join("..", "testdata", "weighting", "se_"+name+".csv"))
		checked := 0
		for _, r := range rows {
			cs, stat, variable := r[0], r[1], r[2]
			js, ok := specs[cs]
			if !ok {
				t.Errorf("%s: no spec for golden case %q", name, cs)
				continue
			}
			wantEst, _ := strconv.ParseFloat(r[3], 64)
			wantSE, _ := strconv.ParseFloat(r[4], 64)
			d, out := engDesign(t, mem, js, rec, ds)
			var est []sampling.Estimate
			if stat == "mean" {
				est, err = d.Mean(out, []string{variable}, nil)
			} else {
				est, err = d.Total(out, []string{variable}, nil)
			}
			out.Release()
			if err != nil {
				t.Fatal(err)
			}
			got := est[0]
			if relErr(got.Estimate, wantEst) > 1e-9 {
				t.Errorf("%s %s %s(%s): estimate %.12g, R %.12g", name, cs, stat, variable, got.Estimate, wantEst)
			}
			ok = relErr(got.SE, wantSE) < 1e-7
			if wantSE < 1e-12*math.Abs(wantEst) { // a calibrated total: SE 0 up to rounding
				ok = got.SE < 1e-9*math.Abs(wantEst)
			}
			if !ok {
				t.Errorf("%s %s %s(%s): SE %.12g, R %.12g (rel %.3g)", name, cs, stat, variable, got.SE, wantSE, relErr(got.SE, wantSE))
			}
			checked++
		}
		if checked < 16 {
			t.Errorf("%s: only %d golden rows checked", name, checked)
		}
		rec.Release()
	}
}

func TestEngineCalibrationSEMatchesRSIPAS(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	dir := filepath.Join("..", "testdata", "weighting")
	rec := sipasRecord(t, mem)
	defer rec.Release()
	checked := 0
	_, seRows := readCSV(t, filepath.Join(dir, "se_sipas.csv"))
	for _, r := range seRows {
		if r[1] != "linearization" {
			continue
		}
		js, err := os.ReadFile(filepath.Join(dir, "sipas_"+r[0]+".json"))
		if err != nil {
			t.Fatal(err)
		}
		// the output weight must not replace the design weight column "weight"
		spec := strings.TrimSuffix(strings.TrimSpace(string(js)), "}") + `, "output": {"weight": "final_w"}}`
		wantEst, _ := strconv.ParseFloat(r[2], 64)
		wantSE, _ := strconv.ParseFloat(r[3], 64)
		d, out := engDesign(t, mem, spec, rec, sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc", Nest: true})
		est, err := d.Mean(out, []string{"access_1"}, nil)
		out.Release()
		if err != nil {
			t.Fatal(err)
		}
		if relErr(est[0].Estimate, wantEst) > 1e-9 {
			t.Errorf("%s: mean %.12g, R %.12g", r[0], est[0].Estimate, wantEst)
		}
		if e := relErr(est[0].SE, wantSE); e > 1e-7 {
			t.Errorf("%s: SE %.12g, R %.12g (rel %.3g)", r[0], est[0].SE, wantSE, e)
		}
		checked++
	}
	if checked != 4 {
		t.Errorf("%d SIPAS cases checked, want 4", checked)
	}
}

// Domains: R's svyby on a calibrated design keeps every row (weight zero
// outside the domain) and residualizes the domain's influence values over
// the whole sample, so the residuals are not zero outside the domain.
// svymean/svytotal by sch.wide (not a calibration margin) and by stype (a
// margin) after postStratify, rake and linear/logit calibration, with
// R's deff = "replace" (svyvar under the calibrated weights), against
// testdata/weighting/se_domain.csv (testdata/weighting_domains.R).
func TestEngineCalibrationDomainsMatchR(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	_, rows := readCSV(t, filepath.Join("..", "testdata", "weighting", "se_domain.csv"))
	checked := 0
	for name, ds := range apiDesigns {
		rec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "api", name+".csv"), arrowio.WithAllocator(mem))
		if err != nil {
			t.Fatal(err)
		}
		specs := goldenSpecs(name)
		for _, cs := range []string{"ps", "rake", "cal_linear", "cal_logit"} {
			d, out := engDesign(t, mem, specs[cs], rec, ds)
			got := map[string]sampling.Estimate{}
			ests := []sampling.Estimand{{Statistic: "mean", Num: "api00"}, {Statistic: "total", Num: "enroll"}}
			for _, by := range []string{"", "sch.wide", "stype"} {
				var opt *sampling.EstimateOptions
				if by != "" {
					opt = &sampling.EstimateOptions{By: []string{by}}
				}
				res, err := d.Estimates(out, ests, opt)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range res {
					dom := ""
					if len(e.Domain) > 0 {
						dom = e.Domain[0].Value
					}
					got[string(e.Statistic)+"|"+by+"|"+dom] = e
				}
			}
			out.Release()
			for _, r := range rows {
				if r[0] != name || r[1] != cs {
					continue
				}
				e, ok := got[r[2]+"|"+r[4]+"|"+r[5]]
				if !ok {
					t.Errorf("%s %s: no estimate for %v", name, cs, r)
					continue
				}
				wantEst, _ := strconv.ParseFloat(r[6], 64)
				wantSE, _ := strconv.ParseFloat(r[7], 64)
				wantDeff, _ := strconv.ParseFloat(r[8], 64)
				if relErr(e.Estimate, wantEst) > 1e-9 {
					t.Errorf("%s %s %s by %s=%s: estimate %.12g, R %.12g", name, cs, r[2], r[4], r[5], e.Estimate, wantEst)
				}
				if wantSE < 1e-9*math.Abs(wantEst) { // a calibrated total: SE 0 up to rounding
					if e.SE > 1e-9*math.Abs(wantEst) {
						t.Errorf("%s %s %s by %s=%s: SE %.12g, R %.3g", name, cs, r[2], r[4], r[5], e.SE, wantSE)
					}
					checked++
					continue
				}
				if relErr(e.SE, wantSE) > 1e-7 {
					t.Errorf("%s %s %s by %s=%s: SE %.12g, R %.12g (rel %.3g)", name, cs, r[2], r[4], r[5], e.SE, wantSE, relErr(e.SE, wantSE))
				}
				if relErr(e.Deff, wantDeff) > 1e-7 {
					t.Errorf("%s %s %s by %s=%s: deff %.12g, R %.12g (rel %.3g)", name, cs, r[2], r[4], r[5], e.Deff, wantDeff, relErr(e.Deff, wantDeff))
				}
				checked++
			}
		}
		rec.Release()
	}
	if checked != len(rows) {
		t.Errorf("%d of %d golden rows checked", checked, len(rows))
	}
}

// Collinear calibration variables: the stype margin given twice makes the
// model matrix rank-deficient (the second copy's indicators repeat the
// first's). The calibration solves its Newton steps with a generalized
// inverse, as R's grake, so the weights are those of the single margin;
// the residualization must then project on the same column space (R's
// qr.resid does whatever the rank) and give R's SEs of the single-margin
// case (se_*.csv) instead of failing.
func TestEngineCollinearCalibrationMatchesR(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	margin := `{"by": ["stype"], "totals": ` + popStype + `}`
	cases := []string{"cal_raking", "cal_raking_bounded", "cal_logit", "cal_linear_bounded"}
	for name, ds := range apiDesigns {
		rec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "api", name+".csv"), arrowio.WithAllocator(mem))
		if err != nil {
			t.Fatal(err)
		}
		specs := goldenSpecs(name)
		_, rows := readCSV(t, filepath.Join("..", "testdata", "weighting", "se_"+name+".csv"))
		checked := 0
		for _, cs := range cases {
			js := strings.Replace(specs[cs], `"margins": [`+margin+`]`, `"margins": [`+margin+`, `+margin+`]`, 1)
			if js == specs[cs] {
				t.Fatalf("%s: no margin to duplicate in %s", cs, js)
			}
			d, out := engDesign(t, mem, js, rec, ds)
			mean, err := d.Mean(out, []string{"api00"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			total, err := d.Total(out, []string{"enroll"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			out.Release()
			for _, r := range rows {
				if r[0] != cs {
					continue
				}
				got := mean[0]
				if r[1] != "mean" {
					got = total[0]
				}
				wantEst, _ := strconv.ParseFloat(r[3], 64)
				wantSE, _ := strconv.ParseFloat(r[4], 64)
				if relErr(got.Estimate, wantEst) > 1e-9 {
					t.Errorf("%s %s %s: estimate %.12g, R %.12g", name, cs, r[1], got.Estimate, wantEst)
				}
				ok := relErr(got.SE, wantSE) < 1e-7
				if wantSE < 1e-12*math.Abs(wantEst) { // a calibrated total: SE 0 up to rounding
					ok = got.SE < 1e-9*math.Abs(wantEst)
				}
				if !ok {
					t.Errorf("%s %s %s: SE %.12g, R %.12g (rel %.3g)", name, cs, r[1], got.SE, wantSE, relErr(got.SE, wantSE))
				}
				checked++
			}
		}
		if checked != 2*len(cases) {
			t.Errorf("%s: %d golden rows checked, want %d", name, checked, 2*len(cases))
		}
		rec.Release()
	}
}
