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

// estcalSteps are the calibrate steps of the R goldens of
// testdata/calopts.R by case (as weighting's tests spell them), then a
// trimming after a calibration and nonresponse adjustments before one.
var estcalSteps = func() map[string]string {
	const margins = `"margins": [{"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}], "numeric": {"enroll": 3811472}`
	const iter = `"epsilon": 1e-13, "max_iter": 200`
	const stype = `"margins": [{"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}]`
	cal := func(s string) string { return `{"calibrate": {` + s + `}}` }
	return map[string]string{
		"ratio":             cal(`"numeric": {"enroll": 3811472}, "variance": "enroll"`),
		"var_linear":        cal(margins + `, "variance": "enroll"`),
		"var_bounded":       cal(margins + `, "variance": "enroll", "bounds": [0.7, 1.6], ` + iter),
		"var_raking":        cal(margins + `, "variance": "enroll", "method": "raking", ` + iter),
		"bconst_linear":     cal(margins + `, "bounds": [15, 60], "bounds_const": true, ` + iter),
		"bconst_raking":     cal(margins + `, "bounds": [15, 60], "bounds_const": true, "method": "raking", ` + iter),
		"rowbounds_logit":   cal(margins + `, "bounds_columns": ["glo", "ghi"], "method": "logit", ` + iter),
		"agg_raking":        cal(margins + `, "aggregate": "dnum", "method": "raking", ` + iter),
		"agg_raking_w2":     cal(margins + `, "aggregate": "dnum", "method": "raking", ` + iter),
		"agg_bounded":       cal(`"numeric": {"one": 6194, "enroll": 3811472}, "aggregate": "dnum", "bounds": [0.2, 5], ` + iter),
		"agg_linear":        cal(stype + `, "aggregate": "dnum"`),
		"agg_linear_w2":     cal(stype + `, "aggregate": "dnum"`),
		"agg_linear_num_w2": cal(`"numeric": {"one": 6194, "api00": 4117230}, "aggregate": "dnum"`),
		// not R goldens: the steps around a calibration that passes solve
		"linear then trim":              cal(margins) + `, {"trim": {"max": 1.3, "min": 0.5}}`,
		"logit then trim equal":         cal(margins+`, "method": "logit", "bounds": [0.7, 1.6], `+iter) + `, {"trim": {"max": 1.3, "redistribute": "equal"}}`,
		"poststratify then numeric":     `{"poststratify": {"by": ["size"], "totals": {"big": 2900, "small": 3294}}}, ` + cal(`"numeric": {"enroll": 3811472}`),
		"rake then raking":              `{"rake": {"margins": [{"by": ["size"], "totals": {"big": 2900, "small": 3294}}, {"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}]}}, ` + cal(`"numeric": {"enroll": 3811472}, "method": "raking", `+iter),
		"nonresponse then linear":       `{"nonresponse": {"classes": ["stype"], "responded": "resp"}}, ` + cal(margins),
		"nonresponse then raking":       `{"nonresponse": {"classes": ["size"], "responded": "resp"}}, ` + cal(margins+`, "method": "raking", `+iter),
		"clus1 raking then trim":        cal(margins+`, "method": "raking", `+iter) + `, {"trim": {"max": 2}}`,
		"clus1 nonresponse then bounds": `{"nonresponse": {"classes": ["size"], "responded": "resp"}}, ` + cal(`"numeric": {"one": 6194, "enroll": 3811472}, "bounds": [0.2, 5], `+iter),
		// steps after the calibration
		"linear then rake":                   cal(margins) + `, {"rake": {"margins": [{"by": ["size"], "totals": {"big": 2900, "small": 3294}}, {"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}]}}`,
		"raking then poststratify then trim": cal(margins+`, "method": "raking", `+iter) + `, {"poststratify": {"by": ["size"], "totals": {"big": 2900, "small": 3294}}}, {"trim": {"max": 1.3, "min": 0.5}}`,
		"linear then nonresponse then rake":  cal(margins) + `, {"nonresponse": {"classes": ["stype"], "responded": "resp"}}, {"rake": {"margins": [{"by": ["size"], "totals": {"big": 2900, "small": 3294}}, {"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}]}}`,
		"clus1 poststratify then aggregate":  `{"poststratify": {"by": ["size"], "totals": {"big": 2900, "small": 3294}}}, ` + cal(`"numeric": {"one": 6194, "enroll": 3811472}, "aggregate": "dnum", "method": "raking", `+iter),
		"clus1 aggregate then poststratify":  cal(stype+`, "aggregate": "dnum"`) + `, {"poststratify": {"by": ["size"], "totals": {"big": 2900, "small": 3294}}}`,
		"clus1 numeric then rake":            cal(`"numeric": {"one": 6194, "enroll": 3811472}`) + `, {"rake": {"margins": [{"by": ["size"], "totals": {"big": 2900, "small": 3294}}, {"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}]}}`,
	}
}()

// estcalFixture reads testdata/calopts/name with the columns the tests
// add: a 0/1 share hi (api00 > 700), api00 with holes (NaN every 11th
// row), a domain size (enroll > 500), a respondent flag resp.
func estcalFixture(t *testing.T, name string) arrow.RecordBatch {
	t.Helper()
	base, err := arrowio.ReadAll(filepath.Join("..", "testdata", "calopts", name))
	if err != nil {
		t.Fatal(err)
	}
	defer base.Release()
	col := func(c string) []float64 {
		a, err := arrowio.Column(base, c)
		if err != nil {
			t.Fatal(err)
		}
		v, _, err := arrowio.Float64s(a)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	api, enroll := col("api00"), col("enroll")
	n := len(api)
	hi, holes, size, resp := make([]float64, n), make([]float64, n), make([]string, n), make([]string, n)
	for i := range api {
		if api[i] > 700 {
			hi[i] = 1
		}
		holes[i] = api[i]
		if i%11 == 3 {
			holes[i] = math.NaN()
		}
		size[i] = "small"
		if enroll[i] > 500 {
			size[i] = "big"
		}
		resp[i] = []string{"yes", "yes", "no", "yes", "yes", "yes", "no", "yes"}[i%8]
	}
	return withColumns(base, map[string][]float64{"hi": hi, "holes": holes}, map[string][]string{"size": size, "resp": resp})
}

// estcalFixtureFiles writes estcalFixture(name) to dir as CSV and as
// Parquet in row groups of 37 rows, and returns its rows (the caller
// releases them), the two files and its design (strata, PSUs, fpc).
func estcalFixtureFiles(t *testing.T, dir, name string) (arrow.RecordBatch, []string, *sampling.DesignOptions) {
	t.Helper()
	rec := estcalFixture(t, name)
	base := strings.TrimSuffix(name, ".csv")
	csv, pq := filepath.Join(dir, base+".csv"), filepath.Join(dir, base+".parquet")
	if err := arrowio.WriteRecord(csv, rec); err != nil {
		t.Fatal(err)
	}
	if err := arrowio.Write(pq, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(37)); err != nil {
		t.Fatal(err)
	}
	design := &sampling.DesignOptions{Strata: "stype", PSU: "snum", FPC: "fpc"}
	if base == "apiclus1" {
		design = &sampling.DesignOptions{PSU: "dnum", FPC: "fpc"}
	}
	return rec, []string{csv, pq}, design
}

// TestCalibratedEstimandSumsEqualMemory: means (of values, of a 0/1
// share, of a variable with holes), totals and ratios, nationally and by
// domains, and contrasts between domains, after every calibration that
// passes over the rows solve (the R goldens of testdata/calopts.R: a
// working-model variance, bounds, bounds on the weights, per-row bounds
// columns, raking, logit, cluster aggregates; then a trimming after a
// calibration and nonresponse before one; post-stratification, raking,
// nonresponse and trimming after one), streamed from CSV and Parquet
// in several batches and finished from the cells' sums with the
// term-by-term residuals, equal weighting.NewDesign + Estimates and
// EstimateContrasts on the rows at 1e-12 on every number; and the
// national means and totals equal R's svymean and svytotal on
// calibrate() at 1e-9.
func TestCalibratedEstimandSumsEqualMemory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	type fixture struct {
		rec    arrow.RecordBatch
		design *sampling.DesignOptions
		by     string
		files  []string
		read   []arrowio.Option
	}
	fixtures := map[string]*fixture{}
	for _, f := range []struct{ name, by string }{{"apistrat.csv", "size"}, {"apiclus1.csv", "stype"}} {
		rec, files, design := estcalFixtureFiles(t, dir, f.name)
		defer rec.Release()
		fixtures[strings.TrimSuffix(f.name, ".csv")] = &fixture{rec: rec, design: design, by: f.by, files: files, read: []arrowio.Option{arrowio.WithBatchSize(41)}}
	}
	ests := []sampling.Estimand{
		{Statistic: sampling.StatMean, Num: "api00"}, {Statistic: sampling.StatMean, Num: "hi"}, {Statistic: sampling.StatMean, Num: "holes"},
		{Statistic: sampling.StatTotal, Num: "enroll"}, {Statistic: sampling.StatTotal, Num: "holes"},
		{Statistic: sampling.StatRatio, Num: "api00", Den: "enroll"}, {Statistic: sampling.StatRatio, Num: "hi", Den: "one"},
	}
	golds := golden.Rows(t, filepath.Join("..", "testdata", "calopts", "estimates.csv"))
	compared := 0
	for key, steps := range estcalSteps {
		fx, dw := fixtures["apistrat"], "pw"
		if strings.HasPrefix(key, "agg_") || strings.HasPrefix(key, "clus1 ") {
			fx = fixtures["apiclus1"]
			if strings.HasSuffix(key, "_w2") {
				dw = "pw2"
			}
		}
		ests := ests
		if fx == fixtures["apistrat"] {
			ests = ests[:len(ests)-1] // no column one
		}
		ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "` + dw + `", "steps": [` + steps + `]}`))
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if err := CalibratedSumsSupport(fx.design, ws); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if last := ws.Steps[len(ws.Steps)-1]; last.Trim != nil {
			if r, err := weighting.Apply(ws, fx.rec, nil); err != nil || r.Steps[len(r.Steps)-1].Trim.Trimmed == 0 {
				t.Fatalf("%s: the trimming changes no weight (%v)", key, err)
			}
		}
		d, wrec, err := weighting.NewDesign(ctx, fx.rec, ws, fx.design)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		defer wrec.Release()
		for _, by := range [][]string{nil, {fx.by}} {
			for _, ci := range []sampling.CIMethod{sampling.Wald, sampling.Logit} {
				opt := &sampling.EstimateOptions{By: by, CI: ci}
				want, err := d.Estimates(wrec, ests, opt)
				if err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				var cs [][]sampling.DomainCoef
				var wantC []sampling.ContrastEstimate
				if by != nil {
					cs = [][]sampling.DomainCoef{{{Domain: 0, Coef: 1}, {Domain: 1, Coef: -1}}}
					if fx.by == "stype" {
						cs = append(cs, []sampling.DomainCoef{{Domain: 0, Coef: 0.5}, {Domain: 1, Coef: 0.5}, {Domain: 2, Coef: -1}})
					}
					if wantC, err = d.EstimateContrasts(wrec, ests, cs, opt); err != nil {
						t.Fatalf("%s: %v", key, err)
					}
				}
				for _, path := range fx.files {
					where := fmt.Sprintf("%s %s by %v %s", key, filepath.Ext(path), by, ci)
					got, gotC := estcalStreamed(t, ctx, path, fx.design, ws, ests, opt, cs, fx.read)
					sameEstimates(t, where, want, got, true)
					sameContrasts(t, where, want, wantC, gotC)
					if by != nil || ci != sampling.Wald {
						continue
					}
					// R: svymean and svytotal on calibrate()
					for _, r := range golds {
						if r["case"] != key {
							continue
						}
						var e *sampling.Estimate
						for i := range got {
							if string(got[i].Statistic) == r["stat"] && got[i].Variable == r["var"] {
								e = &got[i]
							}
						}
						if e == nil {
							continue
						}
						compared++
						est, se := golden.Float(t, r["est"]), golden.Float(t, r["se"])
						if se < 1e-12*math.Abs(est) { // a calibration variable: the SE is rounding noise
							if !golden.Close(e.Estimate, est, 1e-9) || e.SE > 1e-9*math.Abs(est) {
								t.Errorf("%s %s %s: %v (SE %v), R %v (SE ≈ 0)", where, r["stat"], r["var"], e.Estimate, e.SE, est)
							}
							continue
						}
						if !golden.Close(e.Estimate, est, 1e-9) || !golden.Close(e.SE, se, 1e-9) {
							t.Errorf("%s %s %s: %v (SE %v), R %s (SE %s)", where, r["stat"], r["var"], e.Estimate, e.SE, r["est"], r["se"])
						}
					}
				}
			}
		}
	}
	if compared < 13*2*2 {
		t.Errorf("%d comparisons with R, want at least %d", compared, 13*2*2)
	}
}

// estcalStreamed is the streamed path of estimates after a calibration
// that needs every row: passes over the file solve it, one more sums the
// cells, and the estimates and contrasts cs finish from them.
func estcalStreamed(t *testing.T, ctx context.Context, path string, spec *sampling.DesignOptions, ws *weighting.Spec, est []sampling.Estimand,
	opt *sampling.EstimateOptions, cs [][]sampling.DomainCoef, read []arrowio.Option) ([]sampling.Estimate, []sampling.ContrastEstimate) {
	t.Helper()
	st, err := weighting.SolveStream(ctx, ws, ScanFile(path, read...))
	if err != nil {
		t.Fatal(err)
	}
	s, err := SumCalibratedEstimandsFile(ctx, path, spec, opt.By, est, st, &StreamOptions{Read: read})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := s.Table(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	var d *sampling.Design
	var cells []sampling.CellSums
	switch {
	case spec.Variance == sampling.Linearization && weighting.SolvedSupport(ws) == nil:
		// through the sums table with the calibration's record, written
		// to Parquet and read back (CalibratedEstimandSumsTable)
		back := calibratedTableBack(t, tab, ws, st)
		defer back.Release()
		shares, err := EstimandShares(back, est)
		if err != nil {
			t.Fatal(err)
		}
		var st2 *weighting.Streamed
		if d, cells, st2, err = CalibratedEstimandSumsTable(back, spec, ws, est, shares, opt.By); err != nil {
			t.Fatal(err)
		}
		if st2.Result.Final.Sum != st.Result.Final.Sum {
			t.Errorf("the table's calibration: final weights sum %v, solved %v", st2.Result.Final.Sum, st.Result.Final.Sum)
		}
		return cellEstimates(t, back, d, cells, est, opt, cs)
	case spec.Variance == sampling.Linearization:
		d, cells, err = CalibratedEstimandSums(tab, spec, st, est, s.Shares(), opt.By)
	default:
		// every replicate's calibration from the sums, its weights
		// checked in one more pass
		var cr *CalibratedReplicates
		if cr, err = NewCalibratedReplicates(tab, spec, st); err != nil {
			t.Fatal(err)
		}
		if err := cr.CheckFile(ctx, path, &StreamOptions{Read: read}); err != nil {
			t.Fatal(err)
		}
		d, cells, err = CalibratedEstimandReplicateSums(ctx, tab, spec, cr, est, s.Shares(), opt.By)
	}
	if err != nil {
		t.Fatal(err)
	}
	return cellEstimates(t, tab, d, cells, est, opt, cs)
}

// cellEstimates are the estimates est (and the contrasts cs, if any) of
// design d from its cells of the sums table tab.
func cellEstimates(t *testing.T, tab arrow.RecordBatch, d *sampling.Design, cells []sampling.CellSums, est []sampling.Estimand,
	opt *sampling.EstimateOptions, cs [][]sampling.DomainCoef) ([]sampling.Estimate, []sampling.ContrastEstimate) {
	t.Helper()
	dm, err := sampling.NewDomains(tab, opt.By)
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.EstimatesFromCells(est, cells, dm, opt)
	if err != nil {
		t.Fatal(err)
	}
	var gotC []sampling.ContrastEstimate
	if cs != nil {
		if gotC, err = d.EstimateContrastsFromCells(est, cells, dm, cs, opt); err != nil {
			t.Fatal(err)
		}
	}
	return got, gotC
}

// sameContrasts checks that the contrasts got (from the cells) equal want
// (from the rows) at 1e-12 relative to the scale of their estimand's
// domain estimates est, and their degrees of freedom exactly.
func sameContrasts(t *testing.T, where string, est []sampling.Estimate, want, got []sampling.ContrastEstimate) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d contrasts, want %d", where, len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		for _, p := range [][2]float64{{w.Estimate, g.Estimate}, {w.SE, g.SE}, {w.CILow, g.CILow}, {w.CIHigh, g.CIHigh}, {w.P, g.P}} {
			if !relClose(p[0], p[1], 1e-12, termScale(est, w)+w.SE) {
				t.Errorf("%s contrast %d %s: %+v in memory, %+v streamed", where, w.Contrast, w.Variable, w, g)
				break
			}
		}
		if w.DF != g.DF {
			t.Errorf("%s contrast %d: df %d in memory, %d streamed", where, i, w.DF, g.DF)
		}
	}
}

// relClose reports whether a and b agree to tol relative to the larger
// of their magnitudes and scale (both NaN agree).
func relClose(a, b, tol, scale float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol*math.Max(scale, math.Max(math.Abs(a), math.Abs(b)))
}

// termScale is the largest magnitude of the domain estimates of a
// contrast's estimand: the scale of its rounding.
func termScale(est []sampling.Estimate, c sampling.ContrastEstimate) float64 {
	m := math.Abs(c.Estimate)
	for _, e := range est {
		if e.Statistic == c.Statistic && e.Variable == c.Variable {
			m = max(m, math.Abs(e.Estimate))
		}
	}
	return m
}

// sameEstimates checks that the estimates got (from the cells) equal want
// (from the rows): statistic, variable, domain, n, df, PSUs and flag
// exactly; estimate, SE and interval at 1e-12 relative to the larger of
// the row's estimate and SE; the design effect too or, with deff, at 1e-12
// relative to itself, and to 10⁻³ below that (a design effect near 0 is a
// calibration variable's, whose variance is what a cancellation leaves).
func sameEstimates(t *testing.T, where string, want, got []sampling.Estimate, deff bool) {
	t.Helper()
	if len(want) != len(got) || len(want) == 0 {
		t.Fatalf("%s: %d estimates from the rows, %d from the cells", where, len(want), len(got))
	}
	for i, w := range want {
		g := got[i]
		label := fmt.Sprintf("%s: %s %s %v", where, w.Statistic, w.Variable, w.Domain)
		if w.Statistic != g.Statistic || w.Variable != g.Variable || fmt.Sprint(w.Domain) != fmt.Sprint(g.Domain) ||
			w.N != g.N || w.DF != g.DF || w.PSUs != g.PSUs || w.Flag != g.Flag {
			t.Errorf("%s: %+v from the cells, %+v from the rows", label, g, w)
			continue
		}
		scale := math.Max(math.Abs(w.Estimate), math.Abs(w.SE))
		for _, p := range [][3]any{{"estimate", w.Estimate, g.Estimate}, {"se", w.SE, g.SE}, {"ci_low", w.CILow, g.CILow}, {"ci_high", w.CIHigh, g.CIHigh}} {
			if a, b := p[1].(float64), p[2].(float64); !relClose(a, b, 1e-12, scale) {
				t.Errorf("%s: %s %.17g from the cells, %.17g from the rows", label, p[0], b, a)
			}
		}
		ds := scale
		if deff {
			ds = 1e-3
		}
		if !relClose(w.Deff, g.Deff, 1e-12, ds) {
			t.Errorf("%s: deff %.17g from the cells, %.17g from the rows", label, g.Deff, w.Deff)
		}
	}
}
