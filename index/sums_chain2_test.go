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

// TestSecondCalibrationSumsEqualCompute: a second calibration that needs
// every row (linear, raking-ratio, logit; with a working-model variance),
// or a category calibration bounding the final weights, after a first
// (with class-cell steps and trimming before, between and after), solved
// by passes over a Parquet file of row groups of 700 and finished from
// the cells' sums, equals weighting.NewDesign + Compute on the rows at
// 1e-12: estimates, SEs, intervals, design effects, nationally and by
// domains with domain − nation differences.
func TestSecondCalibrationSumsEqualCompute(t *testing.T) {
	base := loadFixture(t)
	defer base.Release()
	n := int(base.NumRows())
	wc, _ := arrowio.Column(base, "weight")
	w0, _, _ := arrowio.Float64s(wc)
	age, inc, s2 := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range age {
		age[i] = 18 + float64((i*7919)%53)
		inc[i] = 3 + math.Mod(float64(i)*0.61803, 9)
		s2[i] = 1 + age[i]/30
	}
	rec := withColumns(base, map[string][]float64{"age": age, "income": inc, "s2": s2}, respondedColumn(base))
	defer rec.Release()
	path := filepath.Join(t.TempDir(), "ballots.parquet")
	if err := arrowio.WriteRecord(path, rec, arrowio.WithBatchSize(700)); err != nil {
		t.Fatal(err)
	}
	grand := 28443265.0
	level := marginJSON("level", testTotals(t, rec, "level", "weight", grand))
	gender := marginJSON("gender", testTotals(t, rec, "gender", "weight", grand))
	region := marginJSON("region", testTotals(t, rec, "region", "weight", grand))
	f := grand / sumF(w0)
	age1 := fmt.Sprintf(`{"age": %v}`, numericTotal(rec, w0, age, f*1.03))
	inc2 := fmt.Sprintf(`{"income": %v}`, numericTotal(rec, w0, inc, f*0.98))
	lin := `{"calibrate": {"margins": [` + gender + `], "numeric": ` + age1 + `}}`
	// bounds on the final weights around the first calibration's range
	ws1, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [` + lin + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	r1, err := weighting.Apply(ws1, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := r1.Final.Min, r1.Final.Max
	bounds := fmt.Sprintf("[%v, %v]", lo*0.8, hi*0.8)
	wide := fmt.Sprintf("[%v, %v]", lo*0.5, hi*2.5)
	specs := map[string]string{
		"linear then linear":                        lin + `, {"calibrate": {"margins": [` + level + `], "numeric": ` + inc2 + `}}`,
		"raking then logit":                         `{"calibrate": {"method": "raking", "numeric": ` + age1 + `}}, {"calibrate": {"method": "logit", "bounds": [0.6, 1.7], "margins": [` + level + `], "numeric": ` + inc2 + `}}`,
		"linear then variance":                      lin + `, {"calibrate": {"variance": "s2", "numeric": ` + inc2 + `}}`,
		"poststratify linear rake raking trim":      `{"poststratify": ` + region + `}, ` + lin + `, {"rake": {"margins": [` + level + `, ` + gender + `]}}, {"calibrate": {"method": "raking", "numeric": ` + inc2 + `}}, {"trim": {"max": 1.8, "min": 0.6}}`,
		"linear then bounds on the weights":         lin + `, {"calibrate": {"bounds": ` + bounds + `, "bounds_const": true, "margins": [` + level + `]}}`,
		"nonresponse linear post raking-const post": `{"nonresponse": {"classes": ["region"], "responded": "responded"}}, ` + lin + `, {"poststratify": ` + region + `}, {"calibrate": {"method": "raking", "bounds": ` + wide + `, "bounds_const": true, "margins": [` + level + `]}}, {"poststratify": ` + gender + `}`,
	}
	design := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc"}
	opts := []*Options{
		{},
		{By: []string{"level"}, VsNation: true},
		{By: []string{"province"}, Score: ScoreMean, NoExpectations: true},
	}
	if testing.Short() {
		opts = opts[1:2]
	}
	for name, step := range specs {
		ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [` + step + `]}`))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := CalibratedSumsSupport(design, ws); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		jk := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn}
		if err := CalibratedSumsSupport(jk, ws); err == nil {
			t.Errorf("%s under JKn: passes accept it", name)
		}
		r, err := weighting.Apply(ws, rec, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !boundBinds(ws, r) {
			t.Fatalf("%s: no bound on the final weights binds", name)
		}
		for _, opt := range opts {
			where := fmt.Sprintf("%s by %v", name, opt.By)
			want, wsum := weightedInMemory(t, rec, design, ws, opt)
			got, st := calibratedStreamed(t, path, design, ws, opt)
			if st.Calibrations() < 2 {
				t.Fatalf("%s: %d calibrations solved row by row, want 2", where, st.Calibrations())
			}
			sameRows(t, where, want, got, 1e-12)
			if math.Abs(st.Result.Final.Sum-wsum) > 1e-12*wsum {
				t.Errorf("%s: final weights sum to %.17g streamed, %.17g in memory", where, st.Result.Final.Sum, wsum)
			}
		}
	}
}

// boundBinds says whether some final weight sits on a bound of the last
// step, a calibration bounding the final weights.
func boundBinds(ws *weighting.Spec, r *weighting.Result) bool {
	c := ws.Steps[len(ws.Steps)-1].Calibrate
	if c == nil || !c.BoundsConst {
		return true // another step last: not checked
	}
	for _, w := range r.Weights {
		if math.Abs(w-c.Bounds[0]) < 1e-9*w || math.Abs(w-c.Bounds[1]) < 1e-9*w {
			return true
		}
	}
	return false
}

// calchain2Steps are the steps of the R goldens of testdata/calchain2.R,
// by case: a second calibration that needs every row after a first, with
// a post-stratification between or after them, and a calibration to the
// stype margin with bounds on the final weights after a calibration.
func calchain2Steps(t *testing.T) map[string]string {
	return golden.Steps(t, filepath.Join("..", "testdata", "calchain2", "steps.json"))
}

// TestSecondCalibrationEstimandsEqualMemory: means, totals and ratios,
// nationally and by sch.wide, and a contrast between its domains, after
// the chains of calibrations of testdata/calchain2.R, streamed from CSV
// and Parquet in batches of 41 rows, equal weighting.NewDesign +
// Estimates and EstimateContrasts at 1e-12; the national means and totals
// of api00 and enroll equal R's at 1e-9.
func TestSecondCalibrationEstimandsEqualMemory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	base, err := arrowio.ReadAll(filepath.Join("..", "testdata", "calchain2", "apistrat.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer base.Release()
	csv, pq := filepath.Join(dir, "a.csv"), filepath.Join(dir, "a.parquet")
	if err := arrowio.WriteRecord(csv, base); err != nil {
		t.Fatal(err)
	}
	if err := arrowio.Write(pq, base.Schema(), []arrow.RecordBatch{base}, arrowio.WithRowGroupRows(37)); err != nil {
		t.Fatal(err)
	}
	design := &sampling.DesignOptions{Strata: "stype", PSU: "snum", FPC: "fpc"}
	ests := []sampling.Estimand{
		{Statistic: sampling.StatMean, Num: "api00"}, {Statistic: sampling.StatTotal, Num: "enroll"},
		{Statistic: sampling.StatMean, Num: "enroll"}, {Statistic: sampling.StatTotal, Num: "api00"},
		{Statistic: sampling.StatRatio, Num: "api00", Den: "enroll"},
	}
	golds := golden.Rows(t, filepath.Join("..", "testdata", "calchain2", "estimates.csv"))
	read := []arrowio.Option{arrowio.WithBatchSize(41)}
	compared := 0
	for key, steps := range calchain2Steps(t) {
		if testing.Short() && !strings.HasSuffix(key, "post") && !strings.Contains(key, "bconst_logit") {
			continue
		}
		ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "pw", "steps": [` + steps + `]}`))
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if err := CalibratedSumsSupport(design, ws); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		d, wrec, err := weighting.NewDesign(ctx, base, ws, design)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		defer wrec.Release()
		for _, by := range [][]string{nil, {"sch.wide"}} {
			opt := &sampling.EstimateOptions{By: by, CI: sampling.Logit}
			want, err := d.Estimates(wrec, ests, opt)
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			var cs [][]sampling.DomainCoef
			var wantC []sampling.ContrastEstimate
			if by != nil {
				cs = [][]sampling.DomainCoef{{{Domain: 0, Coef: 1}, {Domain: 1, Coef: -1}}}
				if wantC, err = d.EstimateContrasts(wrec, ests, cs, opt); err != nil {
					t.Fatalf("%s: %v", key, err)
				}
			}
			for _, path := range []string{csv, pq} {
				where := fmt.Sprintf("%s %s by %v", key, filepath.Ext(path), by)
				got, gotC := estcalStreamed(t, ctx, path, design, ws, ests, opt, cs, read)
				sameEstimates(t, where, want, got, true)
				sameContrasts(t, where, want, wantC, gotC)
				if by != nil {
					continue
				}
				for _, r := range golds {
					if r["case"] != key || r["domain"] != "" {
						continue
					}
					for _, e := range got {
						if string(e.Statistic) != r["stat"] || e.Variable != r["var"] {
							continue
						}
						compared++
						if !golden.Close(e.Estimate, golden.Float(t, r["est"]), 1e-9) || !golden.Close(e.SE, golden.Float(t, r["se"]), 1e-9) {
							t.Errorf("%s %s %s: %v (SE %v), R %s (SE %s)", where, r["stat"], r["var"], e.Estimate, e.SE, r["est"], r["se"])
						}
					}
				}
			}
		}
	}
	if compared == 0 {
		t.Error("no comparison with R")
	}
}
