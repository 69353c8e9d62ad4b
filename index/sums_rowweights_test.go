package index

import (
	"context"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// calibratedStreamed is the streamed path of a calibration that needs
// every row: passes over the file at path solve it, one more sums the
// ballots with their final weights, and the indices finish from the cells.
func calibratedStreamed(t *testing.T, path string, spec *sampling.DesignOptions, ws *weighting.Spec, opt *Options) (*Result, *weighting.Streamed) {
	t.Helper()
	st, err := weighting.SolveStream(context.Background(), ws, ScanFile(path))
	if err != nil {
		t.Fatal(err)
	}
	return calibratedSummed(t, path, spec, ws, st, opt), st
}

// calibratedSummed is calibratedStreamed once the passes that solve the
// calibration (st) are done.
func calibratedSummed(t *testing.T, path string, spec *sampling.DesignOptions, ws *weighting.Spec, st *weighting.Streamed, opt *Options) *Result {
	t.Helper()
	ctx := context.Background()
	s, err := SumCalibratedFile(ctx, path, nil, spec, opt, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := s.Table(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	got, _, err := FromCalibratedSums(ctx, tab, nil, spec, st, opt)
	if err != nil {
		t.Fatal(err)
	}
	if st.Calibrations() > 1 {
		// a chain of calibrations: no sums table with its record
		if out, err := CalibratedSumsTable(tab, ws, st); err == nil {
			out.Release()
			t.Fatal("a sums table with a record of a chain of calibrations")
		}
		return got
	}
	sameFromTable(t, path, tab, spec, ws, st, opt, got)
	return got
}

// numericTotal is Σ w·x over rec, times f.
func numericTotal(rec arrow.RecordBatch, w, x []float64, f float64) float64 {
	var s float64
	for i := range w {
		s += w[i] * x[i]
	}
	return s * f
}

// numericCal is the fixture of the calibrations to numeric variables:
// the index fixture with numeric variables age and income, per-row bounds
// lo and hi, a working-model variance s2 and a response flag, written to
// a Parquet file of 700-row groups; the margins of level, gender and
// region (their population counts) and the numeric totals num (JSON).
type numericCal struct {
	rec                        arrow.RecordBatch
	path                       string
	level, gender, region, num string
}

func numericCalFixture(t *testing.T) *numericCal {
	t.Helper()
	base := loadFixture(t)
	defer base.Release()
	n := int(base.NumRows())
	wc, _ := arrowio.Column(base, "weight")
	w0, _, _ := arrowio.Float64s(wc)
	age, inc, lo, hi, s2 := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range age {
		age[i] = 18 + float64((i*7919)%53)
		inc[i] = 3 + math.Mod(float64(i)*0.61803, 9)
		lo[i], hi[i] = 0.5+0.01*float64(i%9), 1.8+0.05*float64(i%5)
		s2[i] = 1 + age[i]/30
	}
	resp := make([]string, n)
	for i := range resp {
		resp[i] = []string{"yes", "yes", "no", "yes", "yes", "yes", "no"}[i%7]
	}
	rec := withColumns(base, map[string][]float64{"age": age, "income": inc, "lo": lo, "hi": hi, "s2": s2}, map[string][]string{"responded": resp})
	path := filepath.Join(t.TempDir(), "ballots.parquet")
	if err := arrowio.WriteRecord(path, rec, arrowio.WithBatchSize(700)); err != nil {
		t.Fatal(err)
	}
	grand := 28443265.0
	return &numericCal{rec: rec, path: path,
		level:  marginJSON("level", testTotals(t, rec, "level", "weight", grand)),
		gender: marginJSON("gender", testTotals(t, rec, "gender", "weight", grand)),
		region: marginJSON("region", testTotals(t, rec, "region", "weight", grand)),
		num:    fmt.Sprintf(`{"age": %v, "income": %v}`, numericTotal(rec, w0, age, grand/sumF(w0)*1.03), numericTotal(rec, w0, inc, grand/sumF(w0)*0.98)),
	}
}

// TestCalibratedSumsEqualCompute: a calibration with numeric variables,
// bounds, per-row bounds, a working-model variance or a trimming of g,
// after class-cell steps or none, and followed by trimming steps or
// class-cell steps (post-stratification, raking, category calibration,
// nonresponse) or none,
// solved by passes over a Parquet file of several row groups and finished
// from the per-cell sums of the final weights and of the residuals'
// terms, equals weighting.NewDesign + Compute on the rows at 1e-12:
// estimates, linearized SEs with the calibration residuals, intervals and
// design effects, nationally and by domains.
func TestCalibratedSumsEqualCompute(t *testing.T) {
	f := numericCalFixture(t)
	defer f.rec.Release()
	rec, path, level, gender, region, num := f.rec, f.path, f.level, f.gender, f.region, f.num
	specs := map[string]string{
		"linear":          `{"calibrate": {"margins": [` + level + `, ` + gender + `], "numeric": ` + num + `}}`,
		"raking bounds":   `{"calibrate": {"method": "raking", "bounds": [0.3, 3], "margins": [` + level + `], "numeric": ` + num + `}}`,
		"logit":           `{"calibrate": {"method": "logit", "bounds": [0.4, 2.6], "margins": [` + gender + `], "numeric": ` + num + `}}`,
		"bounds columns":  `{"calibrate": {"bounds_columns": ["lo", "hi"], "margins": [` + level + `], "numeric": ` + num + `}}`,
		"variance":        `{"calibrate": {"variance": "s2", "margins": [` + level + `], "numeric": ` + num + `}}`,
		"trim":            `{"calibrate": {"trim": [0.97, 1.1], "margins": [` + gender + `], "numeric": ` + num + `}}`,
		"then trim":       `{"calibrate": {"margins": [` + level + `], "numeric": ` + num + `}}, {"trim": {"max": 1.8, "min": 0.6}}`,
		"then trim equal": `{"calibrate": {"method": "raking", "margins": [` + level + `], "numeric": ` + num + `}}, {"trim": {"max": 1.5, "redistribute": "equal"}}`,
		// nonresponse by classes, then the calibration from the adjusted weights
		"nonresponse then linear":        `{"nonresponse": {"classes": ["region"], "responded": "responded"}}, {"calibrate": {"margins": [` + level + `, ` + gender + `], "numeric": ` + num + `}}`,
		"nonresponse then raking bounds": `{"nonresponse": {"classes": ["level", "gender"], "responded": "responded"}}, {"calibrate": {"method": "raking", "bounds": [0.3, 3], "margins": [` + level + `], "numeric": ` + num + `}}`,
		"two nonresponse then variance":  `{"nonresponse": {"classes": ["region"], "responded": "responded"}}, {"nonresponse": {"classes": ["province"], "responded": "responded"}}, {"calibrate": {"variance": "s2", "margins": [` + gender + `], "numeric": ` + num + `}}`,
		// class-cell steps before the calibration: their residuals first,
		// then the calibration's
		"poststratify then linear":             `{"poststratify": ` + level + `}, {"calibrate": {"margins": [` + gender + `], "numeric": ` + num + `}}`,
		"poststratify then raking bounds":      `{"poststratify": ` + level + `}, {"calibrate": {"method": "raking", "bounds": [0.3, 3], "margins": [` + gender + `], "numeric": ` + num + `}}`,
		"poststratify then logit":              `{"poststratify": ` + gender + `}, {"calibrate": {"method": "logit", "bounds": [0.4, 2.6], "margins": [` + level + `], "numeric": ` + num + `}}`,
		"poststratify then variance":           `{"poststratify": ` + level + `}, {"calibrate": {"variance": "s2", "numeric": ` + num + `}}`,
		"rake then linear":                     `{"rake": {"margins": [` + level + `, ` + gender + `]}}, {"calibrate": {"numeric": ` + num + `}}`,
		"rake then raking":                     `{"rake": {"margins": [` + level + `, ` + gender + `]}}, {"calibrate": {"method": "raking", "margins": [` + region + `], "numeric": ` + num + `}}`,
		"category calibration then linear":     `{"calibrate": {"margins": [` + level + `, ` + gender + `]}}, {"calibrate": {"numeric": ` + num + `}}`,
		"nonresponse poststratify then linear": `{"nonresponse": {"classes": ["region"], "responded": "responded"}}, {"poststratify": ` + level + `}, {"calibrate": {"margins": [` + gender + `], "numeric": ` + num + `}}`,
		"nonresponse rake then bounds columns": `{"nonresponse": {"classes": ["gender"], "responded": "responded"}}, {"rake": {"margins": [` + level + `, ` + region + `]}}, {"calibrate": {"bounds_columns": ["lo", "hi"], "numeric": ` + num + `}}`,
		"poststratify then linear then trim":   `{"poststratify": ` + level + `}, {"calibrate": {"margins": [` + gender + `], "numeric": ` + num + `}}, {"trim": {"max": 2.5}}`,
		"nonresponse calibration then trim":    `{"nonresponse": {"classes": ["region"], "responded": "responded"}}, {"calibrate": {"margins": [` + gender + `], "numeric": ` + num + `}}, {"trim": {"max": 1.4, "redistribute": "equal"}}`,
	}
	// steps after the calibration: class-cell steps and trimming, their
	// residuals after the calibration's
	later := map[string]string{
		"linear then poststratify":                     `{"calibrate": {"margins": [` + gender + `], "numeric": ` + num + `}}, {"poststratify": ` + level + `}`,
		"linear then rake":                             `{"calibrate": {"numeric": ` + num + `}}, {"rake": {"margins": [` + level + `, ` + gender + `]}}`,
		"raking bounds then rake then trim":            `{"calibrate": {"method": "raking", "bounds": [0.3, 3], "margins": [` + gender + `], "numeric": ` + num + `}}, {"rake": {"margins": [` + level + `, ` + region + `]}}, {"trim": {"max": 1.8, "min": 0.6}}`,
		"linear then category calibration":             `{"calibrate": {"numeric": ` + num + `}}, {"calibrate": {"margins": [` + level + `, ` + gender + `]}}`,
		"variance then trim then rake":                 `{"calibrate": {"variance": "s2", "numeric": ` + num + `}}, {"trim": {"max": 2.5}}, {"rake": {"margins": [` + level + `, ` + gender + `]}}`,
		"linear then two trims":                        `{"calibrate": {"margins": [` + level + `], "numeric": ` + num + `}}, {"trim": {"max": 8, "redistribute": "equal"}}, {"trim": {"max": 1.8, "min": 0.6}}`,
		"poststratify then linear then rake":           `{"poststratify": ` + region + `}, {"calibrate": {"numeric": ` + num + `}}, {"rake": {"margins": [` + level + `, ` + gender + `]}}`,
		"linear then nonresponse then poststratify":    `{"calibrate": {"margins": [` + gender + `], "numeric": ` + num + `}}, {"nonresponse": {"classes": ["region"], "responded": "responded"}}, {"poststratify": ` + level + `}`,
		"poststratify then aggregate then rake":        `{"poststratify": ` + region + `}, {"calibrate": {"method": "raking", "numeric": ` + num + `, "aggregate": "psu"}}, {"rake": {"margins": [` + level + `, ` + gender + `]}}`,
		"rake then linear then poststratify then rake": `{"rake": {"margins": [` + level + `, ` + gender + `]}}, {"calibrate": {"numeric": ` + num + `}}, {"poststratify": ` + region + `}, {"rake": {"margins": [` + level + `, ` + gender + `]}}`,
	}
	for name, step := range later {
		specs[name] = step
	}
	design := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc"}
	opts := []*Options{
		{},
		{By: []string{"level"}, VsNation: true},
		{By: []string{"province"}, Score: ScoreMean, NoExpectations: true},
	}
	for i, name := range slices.Sorted(maps.Keys(specs)) {
		step := specs[name]
		if _, ok := later[name]; ok && testing.Short() && !strings.Contains(name, "rake") {
			continue // the race run: the later steps with raking only
		}
		ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [` + step + `]}`))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := WeightingSumsSupport(design, ws); err == nil {
			t.Fatalf("%s: the cells' path accepts it", name)
		}
		if err := CalibratedSumsSupport(design, ws); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// under a replicate variance: streamed too, the earlier steps
		// (TestCalibratedReplicateSumsEarlierSteps,
		// TestNewtonReplicateSumsEarlierSteps,
		// TestAggregateReplicateSumsEqualCompute) and the later ones
		// (class steps: TestNewtonReplicateSumsLaterSteps, trimming
		// steps: TestNewtonReplicateLaterTrim) re-run by every replicate
		jk := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn}
		if err := CalibratedSumsSupport(jk, ws); err != nil {
			t.Errorf("%s under JKn: %v", name, err)
		}
		if last := len(ws.Steps) - 1; ws.Steps[last].Trim != nil {
			if r, err := weighting.Apply(ws, rec, nil); err != nil || r.Steps[last].Trim.Trimmed == 0 {
				t.Fatalf("%s: the trimming changes no weight (%v)", name, err)
			}
		}
		// the weighting does not depend on the options: solved once in
		// memory and once by passes. Each spec is finished with one of
		// the options in turn (nationally; by level with the
		// differences to the nation; by province with mean scores and
		// no expectations), so each option meets every kind of step
		// (about 11 specs each) and the domains' cells, keyed by the
		// steps' classes too, by every kind; SIPAS_FULL_TESTS=1
		// finishes every spec with every option.
		d, out, err := weighting.NewDesign(context.Background(), rec, ws, design)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		wsum := d.WeightsSum()
		st, err := weighting.SolveStream(context.Background(), ws, ScanFile(path))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if math.Abs(st.Result.Final.Sum-wsum) > 1e-12*wsum {
			t.Errorf("%s: final weights sum to %.17g streamed, %.17g in memory", name, st.Result.Final.Sum, wsum)
		}
		for k, opt := range opts {
			if !fullTests() && k != i%len(opts) {
				continue
			}
			where := fmt.Sprintf("%s by %v", name, opt.By)
			want, err := Compute(context.Background(), d, out, nil, opt)
			if err != nil {
				t.Fatal(err)
			}
			got := calibratedSummed(t, path, design, ws, st, opt)
			sameRows(t, where, want, got, 1e-12)
		}
		out.Release()
	}
}

func sumF(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s
}
