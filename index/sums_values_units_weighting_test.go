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

// TestWeightedEstimandSumsNoPSUEqualMemory: the means (of values, of a
// share, of a variable with holes), totals and ratios (of a denominator
// that is not an indicator) of a design without PSU column (every ballot
// its own PSU: stratified or not, with and without fpc, a stratum of one
// ballot under LonelyAdjust and LonelyAverage) after
// post-stratification, raking (with a design weight that varies within
// strata; then trimmed), nonresponse then post-stratification and linear
// calibration to category margins, nationally and by
// domains that cut across the classes, with contrasts between domains
// (the contrast's residuals adjusted as one), streamed from a Parquet file of
// many row groups (SumEstimandsFile) and finished from the per-(stratum,
// fpc, domain, class) sums with their squared-weight moments
// (WeightedEstimandSums), equal weighting.NewDesign + Estimates on the
// rows at 1e-12 on every estimate, SE, interval, design effect, n and
// degrees of freedom, as do the contrasts (of EstimateContrasts), and
// the final weights' sum.
func TestWeightedEstimandSumsNoPSUEqualMemory(t *testing.T) {
	base, level, gender, region, read := weightingFixture(t)
	defer base.Release()
	n := int(base.NumRows())
	h := make([]string, n) // three strata, one of a single ballot
	for i := range h {
		h[i] = []string{"a", "b", "c"}[i%3]
	}
	h[7] = "alone"
	rec, pq := holesFile(t, base, map[string][]float64{"frac": constant(n, 0.25)}, map[string][]string{"h": h})
	defer rec.Release()
	specs := map[string]string{
		"ps":     read("sipas_ps.json"),
		"w_rake": `{"design_weight": "weight2", "steps": [{"rake": {"margins": [` + level + `, ` + gender + `, ` + region + `]}}]}`,
		"nonresponse_ps": `{"design_weight": "weight", "steps": [{"nonresponse": {"classes": ["region"], "responded": "responded"}},
			{"poststratify": ` + level + `}]}`,
		"w_rake_trim": `{"design_weight": "weight2", "steps": [{"rake": {"margins": [` + level + `, ` + gender + `]}},
			{"trim": {"max": 2.2, "min": 0.4}}]}`,
		"cal_linear": read("sipas_cal_linear.json"),
	}
	designs := map[string]*sampling.DesignOptions{
		"strata_fpc": {Strata: "stratum", FPC: "frac"},
		"strata":     {Strata: "stratum"},
		"none":       {},
		"lonely_adj": {Strata: "h", FPC: "frac", Lonely: sampling.LonelyAdjust},
		"lonely_avg": {Strata: "h", Lonely: sampling.LonelyAverage},
	}
	weightedEstimandFileEqualMemory(t, rec, pq, specs, designs, nil)
}

// holesFile is the weighting fixture base with a variable with holes
// (procedures_2 missing on every fifth row) and the columns f64 and str,
// and that record written to a Parquet file of row groups of 450 rows.
func holesFile(t *testing.T, base arrow.RecordBatch, f64 map[string][]float64, str map[string][]string) (arrow.RecordBatch, string) {
	t.Helper()
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
	cols := map[string][]float64{"holes": holes}
	maps.Copy(cols, f64)
	rec := withColumns(base, cols, str)
	pq := filepath.Join(t.TempDir(), "b.parquet")
	if err := arrowio.Write(pq, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(450)); err != nil {
		rec.Release()
		t.Fatal(err)
	}
	return rec, pq
}

// weightedEstimandFileEqualMemory checks, for each weighting of specs,
// design of designs and domain option (nationally; by province with
// logit intervals; by level and gender with the domains' degrees of
// freedom: in short mode one of them per weighting and design, in turn),
// that the means (of values, of a share, of the variable with holes of
// holesFile), totals and ratios (of a denominator that is not an
// indicator) streamed from the file pq (SumEstimandsFile in batches of
// 333 rows, then WeightedEstimandSums on its table) equal
// weighting.NewDesign + Estimates on rec at 1e-12 on every estimate, SE,
// interval, design effect, n and df, as do the contrasts between domains
// (memoryEstimates), the degrees of freedom and the final weights' sum.
// check, if not nil, sees each sums table.
func weightedEstimandFileEqualMemory(t *testing.T, rec arrow.RecordBatch, pq string, specs map[string]string, designs map[string]*sampling.DesignOptions,
	check func(where string, design *sampling.DesignOptions, ws *weighting.Spec, opt *sampling.EstimateOptions, tab arrow.RecordBatch)) {
	t.Helper()
	ctx := context.Background()
	est := []sampling.Estimand{
		{Statistic: sampling.StatMean, Num: "access_1"},
		{Statistic: sampling.StatMean, Num: "expect_1"}, // a share
		{Statistic: sampling.StatMean, Num: "holes"},
		{Statistic: sampling.StatTotal, Num: "procedures_2"},
		{Statistic: sampling.StatTotal, Num: "holes"},
		{Statistic: sampling.StatRatio, Num: "access_1", Den: "access_2"},
		{Statistic: sampling.StatRatio, Num: "holes", Den: "access_2"},
	}
	opts := []*sampling.EstimateOptions{
		{},
		{By: []string{"province"}, CI: sampling.Logit},
		{By: []string{"level", "gender"}, DF: sampling.DFDomain},
	}
	pair := 0
	for _, name := range slices.Sorted(maps.Keys(specs)) {
		ws, err := weighting.ParseSpecBytes([]byte(specs[name]))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, dname := range slices.Sorted(maps.Keys(designs)) {
			design := designs[dname]
			if err := EstimandSumsSupport(design, ws); err != nil {
				t.Fatalf("%s %s: %v", name, dname, err)
			}
			d, out, err := weighting.NewDesign(ctx, rec, ws, design)
			if err != nil {
				t.Fatalf("%s %s: %v", name, dname, err)
			}
			wsum := d.WeightsSum()
			for _, opt := range inTurn(opts, pair) {
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
				if check != nil {
					check(where, design, ws, opt, tab)
				}
				dc, cells, wres, err := WeightedEstimandSums(ctx, tab, design, ws, est, s.Shares(), opt.By)
				if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				got, gotC := cellEstimates(t, tab, dc, cells, est, opt, cs)
				tab.Release()
				if dc.DF() != d.DF() {
					t.Errorf("%s: df %d from the cells, %d from the rows", where, dc.DF(), d.DF())
				}
				if math.Abs(wres.Final.Sum-wsum) > 1e-12*wsum {
					t.Errorf("%s: final weights sum to %.17g from the cells, %.17g from the rows", where, wres.Final.Sum, wsum)
				}
				sameEstimates(t, where, want, got, true)
				sameContrasts(t, where, want, wantC, gotC)
			}
			out.Release()
			pair++
		}
	}
}

// inTurn is opts, or in short mode the one of them that the i-th case
// runs, in turn: every option still runs once the cases are as many.
func inTurn[T any](opts []T, i int) []T {
	if !testing.Short() {
		return opts
	}
	j := i % len(opts)
	return opts[j : j+1]
}

// TestWeightedEstimandSumsNoPSURefusals: the estimands' sums table of a
// design without PSU column written without the weighting is refused by
// WeightedEstimandSums, naming the missing Σ w² column.
func TestWeightedEstimandSumsNoPSURefusals(t *testing.T) {
	base, _, _, _, read := weightingFixture(t)
	defer base.Release()
	ws, err := weighting.ParseSpecBytes([]byte(read("sipas_ps.json")))
	if err != nil {
		t.Fatal(err)
	}
	est := []sampling.Estimand{{Statistic: sampling.StatMean, Num: "access_1"}}
	spec := &sampling.DesignOptions{Strata: "stratum", Weight: "weight"}
	s, err := NewEstimandSums(spec, []string{"level"}, est, nil, base.Schema())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(base, 0); err != nil {
		t.Fatal(err)
	}
	tab, err := s.Table(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	_, _, _, err = WeightedEstimandSums(context.Background(), tab, &sampling.DesignOptions{Strata: "stratum"}, ws, est, nil, nil)
	if err == nil || !strings.Contains(err.Error(), SumsWeightsSquared) {
		t.Errorf("a table without the weighting: %v", err)
	}
}

// memoryEstimates returns the estimates est of the rows out of the design
// d in memory and, by domains, two contrasts cs between them (the first
// two domains' difference; their mean less the last domain) with their
// estimates: what the streamed estimands must equal.
func memoryEstimates(t *testing.T, where string, d *sampling.Design, out arrow.RecordBatch, est []sampling.Estimand, opt *sampling.EstimateOptions) ([]sampling.Estimate, [][]sampling.DomainCoef, []sampling.ContrastEstimate) {
	t.Helper()
	want, err := d.Estimates(out, est, opt)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	if opt.By == nil {
		return want, nil, nil
	}
	dm, err := sampling.NewDomains(out, opt.By)
	if err != nil {
		t.Fatal(err)
	}
	cs := [][]sampling.DomainCoef{{{Domain: 0, Coef: 1}, {Domain: 1, Coef: -1}},
		{{Domain: 0, Coef: 0.5}, {Domain: 1, Coef: 0.5}, {Domain: dm.Len() - 1, Coef: -1}}}
	wantC, err := d.EstimateContrasts(out, est, cs, opt)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return want, cs, wantC
}
