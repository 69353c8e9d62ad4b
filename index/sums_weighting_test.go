package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/synth"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// withColumns returns rec with the float64 columns and the string columns
// of cols added (the caller releases it).
func withColumns(rec arrow.RecordBatch, f64 map[string][]float64, str map[string][]string) arrow.RecordBatch {
	fields := append([]arrow.Field(nil), rec.Schema().Fields()...)
	cols := append([]arrow.Array(nil), rec.Columns()...)
	var made []arrow.Array
	for _, name := range sortedKeys(f64) {
		b := array.NewFloat64Builder(memory.DefaultAllocator)
		b.AppendValues(f64[name], nil)
		a := b.NewArray()
		b.Release()
		fields, cols, made = append(fields, arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float64}), append(cols, a), append(made, a)
	}
	for _, name := range sortedKeys(str) {
		b := array.NewStringBuilder(memory.DefaultAllocator)
		b.AppendValues(str[name], nil)
		a := b.NewArray()
		b.Release()
		fields, cols, made = append(fields, arrow.Field{Name: name, Type: arrow.BinaryTypes.String}), append(cols, a), append(made, a)
	}
	out := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
	for _, a := range made {
		a.Release()
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

// testTotals are population totals of the classes of col: the weighted
// sample totals of weight, perturbed by 1 + 0.15 sin(k) for the k-th class
// in sorted order and scaled to grand (as testdata/weighting_index.R).
func testTotals(t testing.TB, rec arrow.RecordBatch, col, weight string, grand float64) map[string]float64 {
	t.Helper()
	c, err := arrowio.Column(rec, col)
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := arrowio.Strings(c)
	if err != nil {
		t.Fatal(err)
	}
	wc, err := arrowio.Column(rec, weight)
	if err != nil {
		t.Fatal(err)
	}
	w, _, _ := arrowio.Float64s(wc)
	s := map[string]float64{}
	for i, x := range v {
		s[x] += w[i]
	}
	var sum float64
	out := map[string]float64{}
	for k, name := range sortedKeys(s) {
		out[name] = s[name] * (1 + 0.15*math.Sin(float64(k+1)))
		sum += out[name]
	}
	for name := range out {
		out[name] *= grand / sum
	}
	return out
}

func marginJSON(by string, tot map[string]float64) string {
	b, _ := json.Marshal(tot)
	return fmt.Sprintf(`{"by": [%q], "totals": %s}`, by, b)
}

// weightedStreamed is the streamed path: the sums of rec (in batches of
// size rows, two accumulators merged) under ws, finished from the cells.
func weightedStreamed(t *testing.T, rec arrow.RecordBatch, spec *sampling.DesignOptions, ws *weighting.Spec, opt *Options, size int) (*Result, *weighting.Result, int64) {
	t.Helper()
	s := sumBatches(t, rec, size, func() (*Sums, error) { return newSums(nil, spec, opt, rec.Schema(), ws) })
	tab, err := s.Table(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	got, _, wres, err := FromWeightedSums(context.Background(), tab, nil, spec, ws, opt)
	if err != nil {
		t.Fatal(err)
	}
	return got, wres, tab.NumRows()
}

// sumBatches sums rec in batches of size rows into two accumulators of
// newSums, the batches alternating between them, and returns them merged.
func sumBatches(t *testing.T, rec arrow.RecordBatch, size int, newSums func() (*Sums, error)) *Sums {
	t.Helper()
	var parts [2]*Sums
	for i := range parts {
		s, err := newSums()
		if err != nil {
			t.Fatal(err)
		}
		parts[i] = s
	}
	n := int(rec.NumRows())
	for b, i0 := 0, 0; i0 < n; b, i0 = b+1, i0+size {
		sl := rec.NewSlice(int64(i0), int64(min(n, i0+size)))
		err := parts[b%2].Add(sl, int64(i0))
		sl.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	parts[0].Merge(parts[1])
	return parts[0]
}

// weightedInMemory is weighting.NewDesign on the rows and Compute.
func weightedInMemory(t *testing.T, rec arrow.RecordBatch, spec *sampling.DesignOptions, ws *weighting.Spec, opt *Options) (*Result, float64) {
	t.Helper()
	d, out, err := weighting.NewDesign(context.Background(), rec, ws, spec)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	want, err := Compute(context.Background(), d, out, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	return want, d.WeightsSum()
}

// weightingFixture returns the index fixture with a design weight
// "weight2" that varies within PSUs and a respondent flag "responded" (the
// caller releases it), the margins of level, gender and region (testTotals
// of the design weights) and a reader of testdata/weighting's files.
func weightingFixture(t *testing.T) (rec arrow.RecordBatch, level, gender, region string, read func(string) string) {
	t.Helper()
	base := loadFixture(t)
	defer base.Release()
	n := int(base.NumRows())
	wc, _ := arrowio.Column(base, "weight")
	w0, _, _ := arrowio.Float64s(wc)
	w2 := make([]float64, n)
	resp := make([]string, n)
	for i := range w2 {
		w2[i] = w0[i] * (1 + 0.25*float64(i%3))
		resp[i] = []string{"yes", "yes", "no", "yes", "yes", "yes", "no"}[i%7]
	}
	rec = withColumns(base, map[string][]float64{"weight2": w2}, map[string][]string{"responded": resp})
	read = func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "weighting", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	grand := 28443265.0
	level = marginJSON("level", testTotals(t, rec, "level", "weight", grand))
	gender = marginJSON("gender", testTotals(t, rec, "gender", "weight", grand))
	region = marginJSON("region", testTotals(t, rec, "region", "weight", grand))
	return rec, level, gender, region, read
}

// TestWeightedSumsEqualCompute: the indices after post-stratification,
// raking, linear and logit calibration (the R-golden specifications of
// testdata/weighting, whose in-memory results testdata/weighting_index.R
// checks), nonresponse adjustment and trimming, finished from the per-cell
// sums of the design weights, equal weighting.NewDesign + Compute on the
// rows at 1e-12: estimates, linearized SEs with the calibration residuals,
// intervals, design effects of the criteria, nationally and by domains.
// The "w" variants give each ballot its own design weight within a PSU
// (the cells are then keyed by it where a step needs it). Replicate
// variances (JKn, the bootstrap) re-run the steps on every replicate's
// cells, as weighting.NewDesign on the rows; their degrees of freedom (the
// rank of the replicate weights) agree too.
func TestWeightedSumsEqualCompute(t *testing.T) {
	rec, level, gender, region, read := weightingFixture(t)
	defer rec.Release()
	specs := map[string]string{
		"ps":         read("sipas_ps.json"),
		"rake":       read("sipas_rake.json"),
		"cal_linear": read("sipas_cal_linear.json"),
		"cal_logit":  read("sipas_cal_logit.json"),
		"nonresponse_ps": `{"design_weight": "weight", "steps": [{"nonresponse": {"classes": ["region"], "responded": "responded"}},
			{"poststratify": ` + level + `}]}`,
		"w_rake_trim": `{"design_weight": "weight2", "steps": [{"rake": {"margins": [` + level + `, ` + gender + `, ` + region + `]}},
			{"trim": {"max": 2.2, "min": 0.4}}]}`,
		"w_nonresponse_rake_equal": `{"design_weight": "weight2", "steps": [{"nonresponse": {"classes": ["level"], "responded": "responded"}},
			{"rake": {"margins": [` + gender + `, ` + region + `]}}, {"trim": {"max": 2.5, "redistribute": "equal", "strict": true}}]}`,
		"w_cal_raking_const": `{"design_weight": "weight2", "steps": [{"calibrate": {"method": "raking", "bounds": [300, 90000], "bounds_const": true,
			"margins": [` + gender + `, ` + level + `]}}]}`,
		"w_cal_linear_trim": `{"design_weight": "weight2", "steps": [{"calibrate": {"method": "linear", "margins": [` + region + `, ` + level + `], "trim": [0.9, 1.1]}}]}`,
	}
	designs := map[string]*sampling.DesignOptions{
		"linearization": {Strata: "stratum", PSU: "psu", FPC: "fpc"},
		"jkn":           {Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn},
		"bootstrap":     {Strata: "stratum", PSU: "psu", Variance: sampling.Bootstrap, Replicates: 20, Seed: 3},
	}
	replicated := map[string]map[string]bool{
		"jkn":       {"ps": true, "w_rake_trim": true},
		"bootstrap": {"rake": true, "nonresponse_ps": true, "w_rake_trim": true, "cal_logit": true},
	}
	for name, js := range specs {
		ws, err := weighting.ParseSpecBytes([]byte(js))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for dname, design := range designs {
			opts := []*Options{
				{VsNation: false},
				{By: []string{"level"}, VsNation: true},
				{By: []string{"province"}, Score: ScoreMean, NoExpectations: true},
			}
			if dname != "linearization" {
				// every step re-run on every replicate: a few specifications
				// (the bootstrap's replicates make linear calibration's
				// weights negative); Wald intervals: see
				// TestFromSumsEqualsCompute
				if !replicated[dname][name] {
					continue
				}
				opts = []*Options{{By: []string{"level"}, VsNation: true, CI: sampling.Wald}}
			}
			for _, opt := range opts {
				where := fmt.Sprintf("%s %s by %v", name, dname, opt.By)
				want, wsum := weightedInMemory(t, rec, design, ws, opt)
				got, wres, _ := weightedStreamed(t, rec, design, ws, opt, 333)
				sameRows(t, where, want, got, 1e-12)
				if math.Abs(wres.Final.Sum-wsum) > 1e-12*wsum {
					t.Errorf("%s: final weights sum to %.17g from the cells, %.17g from the rows", where, wres.Final.Sum, wsum)
				}
			}
		}
	}
}

// TestWeightedSumsFallBack: a calibration to a numeric variable needs
// every row; WeightingSumsSupport says so naming the step, and so do
// replicate weight columns or a design weight column.
func TestWeightedSumsFallBack(t *testing.T) {
	ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [{"poststratify": {"by": ["level"], "totals": {"a": 1}}},
		{"calibrate": {"numeric": {"age": 100}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	err = WeightingSumsSupport(&sampling.DesignOptions{PSU: "psu"}, ws)
	if !errors.Is(err, weighting.ErrRowLevel) || !strings.Contains(err.Error(), "steps[1].calibrate") {
		t.Errorf("numeric calibration: got %v", err)
	}
	ok, _ := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [{"poststratify": {"by": ["level"], "totals": {"a": 1}}}]}`))
	if err := WeightingSumsSupport(&sampling.DesignOptions{PSU: "psu"}, ok); err != nil {
		t.Errorf("post-stratification: %v", err)
	}
	if err := WeightingSumsSupport(&sampling.DesignOptions{PSU: "psu", Variance: sampling.JK1}, ok); err != nil {
		t.Errorf("JK1: %v", err)
	}
	if err := WeightingSumsSupport(&sampling.DesignOptions{PSU: "psu", RepWeightsPrefix: "repw"}, ok); err == nil {
		t.Error("replicate weight columns were accepted")
	}
	if err := WeightingSumsSupport(&sampling.DesignOptions{PSU: "psu", Weight: "weight"}, ok); err == nil {
		t.Error("a design weight column was accepted")
	}
}

// TestWeightedSumsSynthetic: the same equality on a generated survey of
// 40,000 ballots (63 province strata × 20 PSUs) summed in batches of
// 8,192 (five), raked to province, gender and level and trimmed, by
// province; SIPAS_FULL_TESTS=1 takes 200,000 ballots in batches of 65,536
// (the same batching and merging, five times the in-memory cost).
func TestWeightedSumsSynthetic(t *testing.T) {
	if testing.Short() {
		t.Skip("40k ballots")
	}
	n, batch := 40_000, 8192
	if fullTests() {
		n, batch = 200_000, 65536
	}
	rec, _, err := synth.Survey(synth.SurveyConfig{Seed: 5, Ballots: n}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	ws := rakeTrimSpec(t, rec, "weight", 1, 3)
	design := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc"}
	opt := &Options{By: []string{"province"}, VsNation: true}
	want, _ := weightedInMemory(t, rec, design, ws, opt)
	got, _, cells := weightedStreamed(t, rec, design, ws, opt, batch)
	t.Logf("%d cells", cells)
	sameRows(t, "synthetic by province", want, got, 1e-12)
}

// rakeTrimSpec is a raking of the generated ballots rec's design weights
// (column weight) to province, gender and level (testTotals, scaled to
// copies times their total) and, when trim > 0, a trimming at trim times
// the median, for rec repeated copies times.
func rakeTrimSpec(t testing.TB, rec arrow.RecordBatch, weight string, copies int, trim float64) *weighting.Spec {
	t.Helper()
	wc, _ := arrowio.Column(rec, weight)
	w, _, _ := arrowio.Float64s(wc)
	var grand float64
	for _, v := range w {
		grand += v
	}
	grand *= float64(copies)
	js := fmt.Sprintf(`{"design_weight": %q, "steps": [{"rake": {"margins": [`, weight) + marginJSON("province", testTotals(t, rec, "province", weight, grand)) + `, ` +
		marginJSON("gender", testTotals(t, rec, "gender", weight, grand)) + `, ` + marginJSON("level", testTotals(t, rec, "level", weight, grand)) + `]}}`
	if trim > 0 {
		js += fmt.Sprintf(`, {"trim": {"max": %v}}`, trim)
	}
	ws, err := weighting.ParseSpecBytes([]byte(js + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	return ws
}
