package index

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// TestCalibratedSumsWithoutPSU: a calibration to numeric variables (and
// category margins) of a design without PSU column, every ballot its own
// PSU — linear, raking-ratio and logit with bounds, per-row bounds, a
// working-model variance, after nonresponse or followed by trimming —
// solved by passes over the file and finished from the cells' moments of
// the ballots' residual terms, equals weighting.NewDesign + Compute on the
// rows at 1e-12 (estimates, SEs, intervals, design effects, n, df, the
// differences from the nation), without strata, with strata, with strata
// and fpc, nationally and by domains, the fixture's missing answers
// included; and so does its sums table written and read back.
func TestCalibratedSumsWithoutPSU(t *testing.T) {
	f := numericCalFixture(t)
	defer f.rec.Release()
	level, gender, num := f.level, f.gender, f.num
	specs := []struct{ name, steps string }{
		{"linear numeric", `{"calibrate": {"numeric": ` + num + `}}`},
		{"linear", `{"calibrate": {"margins": [` + level + `, ` + gender + `], "numeric": ` + num + `}}`},
		{"raking bounds", `{"calibrate": {"method": "raking", "bounds": [0.3, 3], "margins": [` + level + `], "numeric": ` + num + `}}`},
		{"logit", `{"calibrate": {"method": "logit", "bounds": [0.4, 2.6], "margins": [` + gender + `], "numeric": ` + num + `}}`},
		{"bounds columns", `{"calibrate": {"bounds_columns": ["lo", "hi"], "margins": [` + level + `], "numeric": ` + num + `}}`},
		{"variance", `{"calibrate": {"variance": "s2", "margins": [` + level + `], "numeric": ` + num + `}}`},
		{"nonresponse then linear", `{"nonresponse": {"classes": ["region"], "responded": "responded"}}, {"calibrate": {"margins": [` + gender + `], "numeric": ` + num + `}}`},
		{"raking then trim", `{"calibrate": {"method": "raking", "margins": [` + level + `], "numeric": ` + num + `}}, {"trim": {"max": 1.5, "redistribute": "equal"}}`},
	}
	designs := []*sampling.DesignOptions{
		{},
		{Strata: "stratum"},
		{Strata: "stratum", FPC: "fpc"},
	}
	opts := []*Options{
		{},
		{By: []string{"level"}, VsNation: true},
		{By: []string{"province"}, Score: ScoreMean, NoExpectations: true},
	}
	for i, sp := range specs {
		if testing.Short() && !fullTests() && i%3 != 0 {
			continue // the race run: three specs, each on one design
		}
		ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [` + sp.steps + `]}`))
		if err != nil {
			t.Fatalf("%s: %v", sp.name, err)
		}
		st, err := weighting.SolveStream(context.Background(), ws, ScanFile(f.path))
		if err != nil {
			t.Fatalf("%s: %v", sp.name, err)
		}
		for j, design := range designs {
			// each spec meets every design and every option over the
			// specs (all of them with SIPAS_FULL_TESTS=1)
			if !fullTests() && (testing.Short() || j != i%len(designs)) && j != (i+1)%len(designs) {
				continue
			}
			if err := CalibratedSumsSupport(design, ws); err != nil {
				t.Fatalf("%s: %v", sp.name, err)
			}
			d, out, err := weighting.NewDesign(context.Background(), f.rec, ws, design)
			if err != nil {
				t.Fatalf("%s: %v", sp.name, err)
			}
			for k, opt := range opts {
				if !fullTests() && k != (i+j)%len(opts) {
					continue
				}
				where := fmt.Sprintf("%s, strata %q fpc %q, by %v", sp.name, design.Strata, design.FPC, opt.By)
				want, err := Compute(context.Background(), d, out, nil, opt)
				if err != nil {
					t.Fatal(err)
				}
				got := calibratedSummed(t, f.path, design, ws, st, opt)
				sameRows(t, where, want, got, 1e-12)
			}
			out.Release()
		}
	}
}

// TestCalibratedSumsWithoutPSURefused: without PSU column a calibration
// that needs every ballot streams alone (nonresponse before it, trimming
// after it); with post-stratification, raking or another calibration, or
// under replicates, it is refused with the reason.
func TestCalibratedSumsWithoutPSURefused(t *testing.T) {
	num := `{"age": 1000, "income": 500}`
	lv := `{"by": ["level"], "totals": {"1": 10, "2": 20}}`
	for _, c := range []struct {
		steps string
		spec  *sampling.DesignOptions
		want  error
	}{
		{`{"poststratify": ` + lv + `}, {"calibrate": {"numeric": ` + num + `}}`, &sampling.DesignOptions{}, errNoPSUWeighting},
		{`{"calibrate": {"numeric": ` + num + `}}, {"rake": {"margins": [` + lv + `]}}`, &sampling.DesignOptions{Strata: "stratum"}, errNoPSUWeighting},
		{`{"calibrate": {"margins": [` + lv + `]}}, {"calibrate": {"numeric": ` + num + `}}`, &sampling.DesignOptions{}, errNoPSUWeighting},
		{`{"trim": {"max": 3}}, {"calibrate": {"numeric": ` + num + `}}`, &sampling.DesignOptions{}, errNoPSUWeighting},
		{`{"calibrate": {"numeric": ` + num + `}}`, &sampling.DesignOptions{Variance: sampling.JK1}, errNoPSUReplicates},
	} {
		ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [` + c.steps + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		if err := CalibratedSumsSupport(c.spec, ws); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.steps, err, c.want)
		}
	}
}

// calibratedNoise checks the estimates got (from the cells' moments) whose
// SE from the rows (want) is rounding noise about 0 — the total of a
// calibration variable, calibrated exactly — and makes their SE,
// interval and design effect want's: the moments give Σ e² as a
// difference of sums of squares of the uncalibrated influence values,
// exact in the arithmetic but here a cancellation of terms some 1e18
// times larger, so their SE is noise of at most 1e-8 of the estimate
// (the rows' about 1e-17).
func calibratedNoise(t *testing.T, where string, want, got []sampling.Estimate) {
	t.Helper()
	for i, w := range want {
		if i >= len(got) || w.SE >= 1e-12*math.Abs(w.Estimate) {
			continue
		}
		g := &got[i]
		if !(g.SE <= 1e-8*math.Abs(w.Estimate)) {
			t.Errorf("%s: %s %s %v: SE %v from the cells, rounding noise %v from the rows", where, w.Statistic, w.Variable, w.Domain, g.SE, w.SE)
		}
		g.SE, g.CILow, g.CIHigh, g.Deff = w.SE, w.CILow, w.CIHigh, w.Deff
	}
}

// TestCalibratedEstimandSumsWithoutPSU: means (of values, of a 0/1 share,
// of a variable with holes), totals and ratios, nationally and by domain,
// and contrasts between domains, after a calibration that passes solve
// (the R goldens of testdata/calopts.R on apistrat, whose design has no
// PSU column: a working-model variance, bounds, raking, bounds on the
// weights, per-row bounds with logit; a trimming after one, nonresponse
// before one) on a design without PSU column — with strata and fpc, with
// strata, with neither — streamed from CSV and Parquet and finished from
// the cells' moments of the residual terms, equal weighting.NewDesign +
// Estimates and EstimateContrasts on the rows at 1e-12 on every number
// (Wald and logit intervals); and, on R's design (strata and fpc), the
// national means and totals equal svymean and svytotal on calibrate() at
// 1e-9. So do cluster aggregates and nonresponse then bounds on apiclus1
// without its PSU column.
func TestCalibratedEstimandSumsWithoutPSU(t *testing.T) {
	ctx := context.Background()
	rec, files, _ := estcalFixtureFiles(t, t.TempDir(), "apistrat.csv")
	defer rec.Release()
	read := []arrowio.Option{arrowio.WithBatchSize(41)}
	ests := []sampling.Estimand{
		{Statistic: sampling.StatMean, Num: "api00"}, {Statistic: sampling.StatMean, Num: "hi"}, {Statistic: sampling.StatMean, Num: "holes"},
		{Statistic: sampling.StatTotal, Num: "enroll"}, {Statistic: sampling.StatTotal, Num: "holes"},
		{Statistic: sampling.StatRatio, Num: "api00", Den: "enroll"},
	}
	golds := golden.Rows(t, filepath.Join("..", "testdata", "calopts", "estimates.csv"))
	designs := []*sampling.DesignOptions{{Strata: "stype", FPC: "fpc"}, {Strata: "stype"}, {}}
	keys := []string{"ratio", "var_linear", "var_bounded", "var_raking", "bconst_raking", "rowbounds_logit", "linear then trim", "logit then trim equal", "nonresponse then linear", "nonresponse then raking"}
	compared := 0
	for i, key := range keys {
		if testing.Short() && !fullTests() && i%5 != 0 {
			continue // the race run: two of the calibrations
		}
		ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "pw", "steps": [` + estcalSteps[key] + `]}`))
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		for j, design := range designs {
			if j != 0 && !fullTests() && j != 1+i%2 {
				continue // R's design, and one other in turn
			}
			if err := CalibratedEstimandSumsSupport(design, ws); err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			d, wrec, err := weighting.NewDesign(ctx, rec, ws, design)
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			for _, by := range [][]string{nil, {"size"}} {
				ci := []sampling.CIMethod{sampling.Wald, sampling.Logit}[(i+j)%2]
				if by == nil {
					ci = sampling.Wald
				}
				opt := &sampling.EstimateOptions{By: by, CI: ci}
				want, cs, wantC := memoryEstimates(t, key, d, wrec, ests, opt)
				for _, path := range files {
					where := fmt.Sprintf("%s strata %q fpc %q %s by %v %s", key, design.Strata, design.FPC, filepath.Ext(path), by, ci)
					got, gotC := estcalStreamed(t, ctx, path, design, ws, ests, opt, cs, read)
					calibratedNoise(t, where, want, got)
					sameEstimates(t, where, want, got, true)
					sameContrasts(t, where, want, wantC, gotC)
					if by != nil || j != 0 {
						continue
					}
					for _, r := range golds {
						if r["case"] != key {
							continue
						}
						for _, e := range got {
							if string(e.Statistic) != r["stat"] || e.Variable != r["var"] {
								continue
							}
							compared++
							est, se := golden.Float(t, r["est"]), golden.Float(t, r["se"])
							if !golden.Close(e.Estimate, est, 1e-9) || !(golden.Close(e.SE, se, 1e-9) || se < 1e-12*math.Abs(est) && e.SE < 1e-8*math.Abs(est)) {
								t.Errorf("%s %s %s: %v (SE %v), R %s (SE %s)", where, r["stat"], r["var"], e.Estimate, e.SE, r["est"], r["se"])
							}
						}
					}
				}
			}
			wrec.Release()
		}
	}
	if compared == 0 {
		t.Error("no comparison with R")
	}
	// cluster aggregates (the clusters a column, not the design's PSUs),
	// and nonresponse then bounds, on apiclus1 without its PSU column
	crec, cfiles, _ := estcalFixtureFiles(t, t.TempDir(), "apiclus1.csv")
	defer crec.Release()
	for i, key := range []string{"agg_raking", "agg_linear_num_w2", "clus1 nonresponse then bounds"} {
		if testing.Short() && !fullTests() && i > 0 {
			break
		}
		dw := "pw"
		if key == "agg_linear_num_w2" {
			dw = "pw2"
		}
		ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "` + dw + `", "steps": [` + estcalSteps[key] + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		design := &sampling.DesignOptions{FPC: "fpc"}
		d, wrec, err := weighting.NewDesign(ctx, crec, ws, design)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		opt := &sampling.EstimateOptions{By: []string{"stype"}}
		cests := append(ests[:len(ests):len(ests)], sampling.Estimand{Statistic: sampling.StatRatio, Num: "hi", Den: "one"})
		want, cs, wantC := memoryEstimates(t, key, d, wrec, cests, opt)
		got, gotC := estcalStreamed(t, ctx, cfiles[1], design, ws, cests, opt, cs, read)
		calibratedNoise(t, key, want, got)
		sameEstimates(t, key, want, got, true)
		sameContrasts(t, key, want, wantC, gotC)
		wrec.Release()
	}
}
