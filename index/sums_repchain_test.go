package index

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// TestTrimmedLinearReplicateSumsEqualCompute: JKn (with fpc), JK1, the
// bootstrap and Fay after an unbounded linear calibration with trimming of
// g (margins and numeric variables, with and without a working-model
// variance; after a post-stratification), streamed (every replicate's
// closed form in one pass, its trimming in another, over a Parquet file of
// several row groups) equal weighting.NewDesign (which calibrates and
// trims every replicate's weights in memory) + Compute at 1e-12:
// estimates, replicate SEs, intervals, design effects and degrees of
// freedom, nationally and by domains.
func TestTrimmedLinearReplicateSumsEqualCompute(t *testing.T) {
	f := calRepFixture(t, pairColumn)
	level, gender, num := f.level, f.gender, f.num
	region := marginJSON("region", testTotals(t, f.rec, "region", "weight", f.grand*1.01))
	specs := map[string]string{
		"linear trim":       `{"calibrate": {"trim": [0.9, 1.1], "margins": [` + level + `, ` + gender + `], "numeric": ` + num + `}}`,
		"variance trim":     `{"calibrate": {"trim": [0.95, 1.08], "variance": "s2", "margins": [` + level + `], "numeric": ` + num + `}}`,
		"poststratify trim": `{"poststratify": ` + region + `}, {"calibrate": {"trim": [0.9, 1.1], "margins": [` + gender + `], "numeric": ` + num + `}}`,
	}
	jkn := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn}
	boot := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", Variance: sampling.Bootstrap, Replicates: 20, Seed: 7}
	if testing.Short() { // the race run: two cases
		sameCalibratedReps(t, f.rec, f.path, map[string]*sampling.DesignOptions{"jkn": jkn, "bootstrap": boot}, map[string]string{"variance trim": specs["variance trim"]})
		return
	}
	// every weighting under JKn; JK1, the bootstrap and Fay under one
	sameCalibratedReps(t, f.rec, f.path, map[string]*sampling.DesignOptions{"jkn": jkn}, specs)
	sameCalibratedReps(t, f.rec, f.path, map[string]*sampling.DesignOptions{
		"jk1":       {PSU: "psu", Variance: sampling.JK1},
		"bootstrap": boot,
		"fay":       {Strata: "stratum", PSU: "pair", Variance: sampling.Fay, FayRho: 0.3},
	}, map[string]string{"linear trim": specs["linear trim"]})
}

// TestTrimmedLinearReplicateSumsR: the streamed JKn (with fpc) and JK1
// variances after an unbounded linear calibration with trimming of g equal
// R survey's calibrate(calfun = cal.linear, trim =) of as.svrepdesign()
// (which solves and trims every replicate's g) at 1e-9: the criteria's
// shares and SEs, nationally and by level (testdata/calrep_trim.R).
func TestTrimmedLinearReplicateSumsR(t *testing.T) {
	cases := map[string]calRepCase{
		"jkn_linear_trim": {readCalRepSpec(t, "calrep_trim_jkn_linear_trim.json"), &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn}},
		"jk1_linear_trim": {readCalRepSpec(t, "calrep_trim_jk1_linear_trim.json"), &sampling.DesignOptions{PSU: "psu", Variance: sampling.JK1}},
	}
	if testing.Short() {
		delete(cases, "jkn_linear_trim") // the race run: one case
	}
	sameCalRepR(t, "calrep_trim.csv", cases)
}

// TestAggregateReplicateSumsEqualCompute: the bootstrap and JKn (with
// fpc) after a calibration of cluster means (g constant within
// clusters: the PSUs, or halves of them), linear (with and without a
// working-model variance, with trimming of g), raking-ratio, bounded or
// logit, after none or a post-stratification, streamed (every
// replicate's clusters' mean weights summed in the pass of its margins,
// then its closed form or Newton iterations over the rows) equal
// weighting.NewDesign (R's calibrate(aggregate.index =) of every
// replicate, in memory) + Compute at 1e-12.
func TestAggregateReplicateSumsEqualCompute(t *testing.T) {
	f := calRepFixture(t, func(base arrow.RecordBatch) map[string][]string {
		m := pairColumn(base)
		pc, _ := arrowio.Column(base, "psu")
		psus, _, _ := arrowio.Strings(pc)
		half := make([]string, len(psus))
		for i, p := range psus {
			half[i] = p + "/" + strconv.Itoa(i%2)
		}
		m["half"] = half
		return m
	})
	level, gender := f.level, f.gender
	// numeric totals near the sample's: cluster means vary less than rows
	wc, _ := arrowio.Column(f.rec, "weight")
	w0, _, _ := arrowio.Float64s(wc)
	ac, _ := arrowio.Column(f.rec, "age")
	age, _, _ := arrowio.Float64s(ac)
	num := fmt.Sprintf(`{"age": %v}`, numericTotal(f.rec, w0, age, f.grand/sumF(w0)*1.003))
	region := marginJSON("region", testTotals(t, f.rec, "region", "weight", f.grand*1.01))
	specs := map[string]string{
		"linear psu":             `{"calibrate": {"aggregate": "psu", "margins": [` + level + `], "numeric": ` + num + `}}`,
		"linear variance half":   `{"calibrate": {"aggregate": "half", "variance": "s2", "margins": [` + level + `], "numeric": ` + num + `}}`,
		"raking half":            `{"calibrate": {"method": "raking", "aggregate": "half", "margins": [` + level + `, ` + gender + `], "numeric": ` + num + `}}`,
		"bounds half":            `{"calibrate": {"bounds": [0.5, 2], "aggregate": "half", "variance": "s2", "margins": [` + level + `], "numeric": ` + num + `}}`,
		"logit half":             `{"calibrate": {"method": "logit", "bounds": [0.5, 2], "aggregate": "half", "margins": [` + level + `], "numeric": ` + num + `}}`,
		"poststratify then half": `{"poststratify": ` + region + `}, {"calibrate": {"aggregate": "half", "margins": [` + gender + `], "numeric": ` + num + `}}`,
	}
	trimmed := `{"calibrate": {"aggregate": "half", "trim": [0.98, 1.02], "margins": [` + level + `], "numeric": ` + num + `}}`
	jkn := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn}
	boot := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", Variance: sampling.Bootstrap, Replicates: 20, Seed: 7}
	if testing.Short() { // the race run: one case
		sameCalibratedReps(t, f.rec, f.path, map[string]*sampling.DesignOptions{"bootstrap": boot}, map[string]string{"raking half": specs["raking half"]})
		return
	}
	// a replicate that makes a cluster's weights negative: the in-memory
	// error, naming the replicate and the clusters
	ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [` + specs["linear psu"] + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, _, werr := weighting.NewDesign(context.Background(), f.rec, ws, boot)
	if werr == nil || !strings.Contains(werr.Error(), "replicate 2 of 20") || !strings.Contains(werr.Error(), "cluster(s) negative") {
		t.Fatalf("in memory: %v, want replicate 2's negative clusters", werr)
	}
	if _, err := calibratedRepStreamed(f.path, boot, ws, &Options{}); err == nil || err.Error() != werr.Error() {
		t.Errorf("streamed: %v\nin memory: %v", err, werr)
	}
	delete(specs, "linear psu")
	// every other weighting under the bootstrap (20 replicates); JKn's 189
	// replicates, each calibrated in memory, under a trimmed linear one
	// (some bootstrap replicate of which makes weights negative), by level
	sameCalibratedReps(t, f.rec, f.path, map[string]*sampling.DesignOptions{"bootstrap": boot}, specs)
	ws, err = weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [` + trimmed + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	opt := &Options{By: []string{"level"}}
	want, _ := weightedInMemory(t, f.rec, jkn, ws, opt)
	got, err := calibratedRepStreamed(f.path, jkn, ws, opt)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "jkn linear trim half", want, got, 1e-12)
}

// newtonEstimates are the estimates est (and the contrasts cs) of the
// replicates of the calibration of ws solved by passes over the file at
// path (SolveNewtonReplicates, SumEstimandsFile, EstimandSums), as sipas
// estimate streams them.
func newtonEstimates(t *testing.T, path string, spec *sampling.DesignOptions, ws *weighting.Spec, est []sampling.Estimand,
	opt *sampling.EstimateOptions, cs [][]sampling.DomainCoef, read []arrowio.Option) ([]sampling.Estimate, []sampling.ContrastEstimate) {
	t.Helper()
	ctx := context.Background()
	st, err := weighting.SolveStream(ctx, ws, ScanFile(path, read...))
	if err != nil {
		t.Fatal(err)
	}
	so := &StreamOptions{Read: read}
	nr, err := SolveNewtonReplicates(ctx, path, spec, st, so)
	if err != nil {
		t.Fatal(err)
	}
	s, err := nr.SumEstimandsFile(ctx, path, opt.By, est, so)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := s.Table(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	d, cells, err := nr.EstimandSums(tab, s, est, s.Shares())
	if err != nil {
		t.Fatal(err)
	}
	return cellEstimates(t, tab, d, cells, est, opt, cs)
}

// TestAggregateEstimandReplicatesR: means (of values, of a 0/1 share, of
// a variable with missing values), totals and ratios, nationally and by
// stype, under JK1 (with and without the fpc) after a linear or
// raking-ratio calibration of the districts' means of apiclus1, streamed
// (passes over a Parquet file in row groups of 37 read in batches of 41)
// equal the in-memory weighting.NewDesign + Estimates at 1e-12 (every
// estimate, SE, interval, design effect and df; the contrasts of the
// domains' means too), and both equal R survey's calibrate(aggregate.index
// = ~dnum) of as.svrepdesign() at 1e-9 (testdata/calrep_aggregate.R).
func TestAggregateEstimandReplicatesR(t *testing.T) {
	rec, files, _ := estcalFixtureFiles(t, t.TempDir(), "apiclus1.csv")
	defer rec.Release()
	designs := map[string]*sampling.DesignOptions{
		"jk1":    {PSU: "dnum", Variance: sampling.JK1},
		"jk1fpc": {PSU: "dnum", FPC: "fpc", Variance: sampling.JK1},
	}
	const num = `"numeric": {"one": 6194, "enroll": 3500000}, "aggregate": "dnum"`
	cases := []rCase{
		{"agg_linear", "stype", `{"calibrate": {` + num + `}}`, designs},
		{"agg_raking", "stype", `{"calibrate": {"method": "raking", "max_iter": 200, "epsilon": 1e-13, ` + num + `}}`, designs},
	}
	golds := golden.Rows(t, filepath.Join("..", "testdata", "calrep_aggregate", "estimates.csv"))
	if compared, want := sameReplicatesAsR(t, rec, files[1], cases, golds, true, newtonEstimates), 2*(len(golds)-1); compared < want {
		t.Errorf("%d comparisons with R, want %d", compared, want)
	}
}
