package index

import (
	"context"
	"encoding/csv"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// calibratedRepStreamed is the streamed path of a replicate variance after
// a calibration that needs every row: the passes of weighting.SolveStream,
// the sums pass (with the replicates' sums per cell), the check of the
// replicate weights, and the finish through the replicate sums.
func calibratedRepStreamed(path string, spec *sampling.DesignOptions, ws *weighting.Spec, opt *Options) (*Result, error) {
	st, nr, err := solveRepStreamed(path, spec, ws)
	if err != nil {
		return nil, err
	}
	return finishRepStreamed(path, spec, st, nr, opt)
}

// solveRepStreamed is the part of calibratedRepStreamed that does not
// depend on the index options: the passes of weighting.SolveStream and,
// for a calibration solved by Newton iterations, those of
// SolveNewtonReplicates (nr nil otherwise).
func solveRepStreamed(path string, spec *sampling.DesignOptions, ws *weighting.Spec) (*weighting.Streamed, *NewtonReplicates, error) {
	ctx := context.Background()
	st, err := weighting.SolveStream(ctx, ws, ScanFile(path))
	if err != nil {
		return nil, nil, err
	}
	if st.ReplicatesSupport() == nil {
		return st, nil, nil
	}
	nr, err := SolveNewtonReplicates(ctx, path, spec, st, nil)
	return st, nr, err
}

// finishRepStreamed is the rest of calibratedRepStreamed for one set of
// options: the sums pass (with the replicates' sums per cell, or the
// Newton replicates' weights), the check of the replicate weights, and
// the finish through the replicate sums.
func finishRepStreamed(path string, spec *sampling.DesignOptions, st *weighting.Streamed, nr *NewtonReplicates, opt *Options) (*Result, error) {
	ctx := context.Background()
	if nr != nil {
		return newtonRepSummed(path, nr, opt)
	}
	s, err := SumCalibratedFile(ctx, path, nil, spec, opt, st, nil)
	if err != nil {
		return nil, err
	}
	tab, err := s.Table(nil)
	if err != nil {
		return nil, err
	}
	defer tab.Release()
	cr, err := NewCalibratedReplicates(tab, spec, st)
	if err != nil {
		return nil, err
	}
	if err := cr.CheckFile(ctx, path, nil); err != nil {
		return nil, err
	}
	got, _, err := FromCalibratedReplicateSums(ctx, tab, nil, spec, cr, opt)
	return got, err
}

// TestCalibratedReplicateSumsEqualCompute: JKn, JK1, the bootstrap, the
// subsampling bootstrap, BRR and Fay (a paired design) after an unbounded linear calibration to margins and
// numeric variables (with and without a working-model variance), solved by
// passes over a Parquet file of several row groups, with every replicate's
// calibration solved from the sums per PSU and its sums from the cells,
// equal weighting.NewDesign (which re-calibrates every replicate's weights
// row by row) + Compute at 1e-12: estimates, replicate SEs, intervals,
// design effects and degrees of freedom (the rank of the calibrated
// replicate weights), nationally and by domains.
func TestCalibratedReplicateSumsEqualCompute(t *testing.T) {
	f := calRepFixture(t, pairColumn)
	rec, path, level, gender, num := f.rec, f.path, f.level, f.gender, f.num
	specs := map[string]string{
		"linear":   `{"calibrate": {"margins": [` + level + `, ` + gender + `], "numeric": ` + num + `}}`,
		"variance": `{"calibrate": {"variance": "s2", "margins": [` + level + `], "numeric": ` + num + `}}`,
	}
	mse := true
	designs := map[string]*sampling.DesignOptions{
		"jkn":       {Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn},
		"jkn mse":   {Strata: "stratum", PSU: "psu", Variance: sampling.JKn, MSE: &mse},
		"jk1":       {PSU: "psu", Variance: sampling.JK1},
		"bootstrap": {Strata: "stratum", PSU: "psu", Variance: sampling.Bootstrap, Replicates: 40, Seed: 7},
		"brr":       {Strata: "stratum", PSU: "pair", Variance: sampling.BRR},
		"fay":       {Strata: "stratum", PSU: "pair", Variance: sampling.Fay, FayRho: 0.3},
		"subboot":   {Strata: "stratum", PSU: "psu", Variance: sampling.SubBootstrap, Replicates: 25, Seed: 11},
	}
	// the covering set (sameCalibratedReps): every design once, under the
	// linear calibration or the one with a working-model variance in turn
	sameCalibratedReps(t, rec, path, designs, specs)
}

// sameCalibratedReps checks, for the designs and weighting steps (the
// JSON of the steps list's items), that the streamed replicates of the
// calibration on the file at path (rec's rows) equal weighting.NewDesign
// + Compute at 1e-12, nationally, by level and (JKn only) by province.
//
// It runs a covering set of the cross product: every spec under one
// design and every design under one spec (the k-th sorted design with
// the k-th sorted spec, cycling the shorter list). The design's code
// (the replicate factors of the cells) and the spec's (the calibration
// and earlier steps each replicate re-runs) meet only through the
// factors, so the covering set runs every path of both; a caller that
// wants a pair (a design with zero factors and bounds, say) passes it in
// a call of its own. SIPAS_FULL_TESTS=1 runs the whole cross product. In
// short mode each case runs one of the domain options, in turn.
func sameCalibratedReps(t *testing.T, rec arrow.RecordBatch, path string, designs map[string]*sampling.DesignOptions, specs map[string]string) {
	t.Helper()
	dnames, names := slices.Sorted(maps.Keys(designs)), slices.Sorted(maps.Keys(specs))
	cover := map[[2]int]bool{}
	for k := range max(len(dnames), len(names)) {
		cover[[2]int{k % len(dnames), k % len(names)}] = true
	}
	pair := -1
	for di, dname := range dnames {
		design := designs[dname]
		for si, name := range names {
			step := specs[name]
			if !fullTests() && !cover[[2]int{di, si}] {
				continue
			}
			pair++
			t.Run(dname+" "+name, func(t *testing.T) {
				ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [` + step + `]}`))
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if err := CalibratedSumsSupport(design, ws); err != nil {
					t.Fatalf("%s %s: %v", dname, name, err)
				}
				// the in-memory design (every replicate re-calibrated)
				// and the streamed solve (the replicates' Newton
				// iterations) do not depend on the index options: made
				// once, then every option's Compute and sums pass
				d, out, err := weighting.NewDesign(context.Background(), rec, ws, design)
				if err != nil {
					t.Fatal(err)
				}
				defer out.Release()
				st, nr, err := solveRepStreamed(path, design, ws)
				if err != nil {
					t.Fatalf("%s %s: %v", dname, name, err)
				}
				opts := []*Options{{}, {By: []string{"level"}, VsNation: true}}
				if dname == "jkn" {
					// the cost of the in-memory replicates: one design by
					// province is enough
					opts = append(opts, &Options{By: []string{"province"}, Score: ScoreMean, NoExpectations: true})
				}
				// in short mode one option per case, in turn
				for _, opt := range inTurn(opts, pair) {
					where := fmt.Sprintf("%s %s by %v", dname, name, opt.By)
					want, err := Compute(context.Background(), d, out, nil, opt)
					if err != nil {
						t.Fatal(err)
					}
					got, err := finishRepStreamed(path, design, st, nr, opt)
					if err != nil {
						t.Fatalf("%s: %v", where, err)
					}
					sameRows(t, where, want, got, 1e-12)
				}
			})
		}
	}
}

// TestCalibratedReplicateSumsSupport: what neither the replicates from
// sums per PSU nor the replicates' Newton iterations over the rows solve
// is refused with the reason (a second calibration after the
// calibration); raking-ratio, logit and bounded calibrations, an
// unbounded linear one with trimming of g, one of cluster means and
// calibrations followed by class steps or trimming steps are accepted.
func TestCalibratedReplicateSumsSupport(t *testing.T) {
	design := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", Variance: sampling.JKn}
	for step, want := range map[string]string{
		`{"calibrate": {"numeric": {"age": 1}}}, {"calibrate": {"numeric": {"income": 1}}}`:                                                                                         "a second calibration that needs every row or bounds the final weights (steps[1])",
		`{"calibrate": {"numeric": {"age": 1}}}, {"trim": {"max": 3}}, {"calibrate": {"margins": [{"by": ["level"], "totals": {"a": 1}}], "bounds": [1, 9], "bounds_const": true}}`: "(trim, calibrate) on every replicate's calibrated weights: a second calibration that needs every row or bounds the final weights (steps[2])",
	} {
		ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [` + step + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		err = CalibratedSumsSupport(design, ws)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want a reason with %q", step, err, want)
		}
	}
	// raking-ratio, logit and bounded calibrations: by Newton iterations
	// over the rows (SolveNewtonReplicates); an unbounded linear one with
	// trimming of g: its closed form and trimming by passes over the rows;
	// a calibration of cluster means: its clusters' mean weights too
	for _, step := range []string{
		`{"calibrate": {"trim": [0.5, 2], "numeric": {"age": 1}}}`,
		`{"calibrate": {"aggregate": "psu", "numeric": {"age": 1}}}`,
		`{"calibrate": {"method": "raking", "numeric": {"age": 1}}}`,
		`{"calibrate": {"bounds": [0.5, 2], "numeric": {"age": 1}}}`,
		`{"calibrate": {"method": "logit", "bounds": [0.5, 2], "bounds_const": false, "numeric": {"age": 1}}}`,
		`{"calibrate": {"numeric": {"age": 1}}}, {"poststratify": {"by": ["level"], "totals": {"a": 1}}}`,
		`{"calibrate": {"numeric": {"age": 1}}}, {"trim": {"max": 3}}`,
		`{"poststratify": {"by": ["level"], "totals": {"a": 1}}}, {"calibrate": {"numeric": {"age": 1}}}, {"trim": {"max": 3}}`,
		`{"calibrate": {"numeric": {"age": 1}}}, {"poststratify": {"by": ["level"], "totals": {"a": 1}}}, {"trim": {"max": 3}}`,
		`{"calibrate": {"method": "raking", "numeric": {"age": 1}}}, {"rake": {"margins": [{"by": ["level"], "totals": {"a": 1}}]}}, {"nonresponse": {"classes": ["region"], "responded": "responded"}}`,
	} {
		ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [` + step + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		if err := CalibratedSumsSupport(design, ws); err != nil {
			t.Errorf("%s: %v", step, err)
		}
	}
	ws, _ := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [{"calibrate": {"numeric": {"age": 1}}}]}`))
	if err := CalibratedSumsSupport(&sampling.DesignOptions{PSU: "psu", RepWeightsPrefix: "rw"}, ws); err == nil {
		t.Error("replicate weight columns: accepted")
	}
}

// TestCalibratedReplicateNegativeWeights: a replicate whose calibration
// makes weights negative (the PSU holding the large values of the
// calibration variable deleted) is the error weighting.NewDesign gives,
// naming the same replicate, count and smallest g.
func TestCalibratedReplicateNegativeWeights(t *testing.T) {
	base := loadFixture(t)
	defer base.Release()
	n := int(base.NumRows())
	wc, _ := arrowio.Column(base, "weight")
	w0, _, _ := arrowio.Float64s(wc)
	pc, _ := arrowio.Column(base, "psu")
	psus, _, _ := arrowio.Strings(pc)
	z := make([]float64, n)
	for i := range z {
		z[i] = float64(1 - 2*(i%2))
		if psus[i] == psus[0] {
			z[i] = 500
		}
	}
	rec := withColumns(base, map[string][]float64{"z": z}, nil)
	defer rec.Release()
	path := filepath.Join(t.TempDir(), "ballots.parquet")
	if err := arrowio.WriteRecord(path, rec, arrowio.WithBatchSize(700)); err != nil {
		t.Fatal(err)
	}
	ws, err := weighting.ParseSpecBytes([]byte(fmt.Sprintf(`{"design_weight": "weight", "steps": [{"calibrate": {"numeric": {"z": %v}}}]}`, numericTotal(rec, w0, z, 1))))
	if err != nil {
		t.Fatal(err)
	}
	design := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", Variance: sampling.JKn}
	_, _, werr := weighting.NewDesign(context.Background(), rec, ws, design)
	if werr == nil {
		t.Fatal("in memory: no error")
	}
	_, err = calibratedRepStreamed(path, design, ws, &Options{})
	if err == nil || err.Error() != werr.Error() {
		t.Errorf("streamed: %v\nin memory: %v", err, werr)
	}
}

// TestCalibratedReplicateSumsR: the streamed JKn (with fpc) and JK1
// variances after a linear calibration to a margin and a numeric variable
// equal R survey's calibrate() of as.svrepdesign() (which re-calibrates
// every replicate) at 1e-9: the criteria's shares and SEs, nationally and
// by level (testdata/calrep_index.R).
func TestCalibratedReplicateSumsR(t *testing.T) {
	ws := readCalRepSpec(t, "calrep_spec.json")
	sameCalRepR(t, "calrep_index.csv", map[string]calRepCase{
		"jkn": {ws, &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn}},
		"jk1": {ws, &sampling.DesignOptions{PSU: "psu", Variance: sampling.JK1}},
	})
}

// fullTests says whether SIPAS_FULL_TESTS=1 asks for the whole cross
// products that the default run covers with fewer cases (each test says
// what its covering set still runs).
func fullTests() bool { return os.Getenv("SIPAS_FULL_TESTS") == "1" }

// calRepCase is a weighting and a replicate design of an R golden.
type calRepCase struct {
	ws     *weighting.Spec
	design *sampling.DesignOptions
}

// readCalRepSpec reads the weighting spec name of testdata/weighting.
func readCalRepSpec(t *testing.T, name string) *weighting.Spec {
	t.Helper()
	js, err := os.ReadFile(filepath.Join("..", "testdata", "weighting", name))
	if err != nil {
		t.Fatal(err)
	}
	ws, err := weighting.ParseSpecBytes(js)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// sameCalRepR checks the streamed replicate variances of every case on
// the index fixture with calrep_index.R's age column (written as Parquet
// in row groups of 700) against the R golden file name of
// testdata/weighting (case, by, domain, criterion, estimate, SE) at 1e-9:
// the criteria's shares and SEs, nationally and by level.
func sameCalRepR(t *testing.T, name string, cases map[string]calRepCase) {
	t.Helper()
	base := loadFixture(t)
	defer base.Release()
	n := int(base.NumRows())
	age := make([]float64, n)
	for i := range age {
		age[i] = 18 + float64((i*7919)%53)
	}
	rec := withColumns(base, map[string][]float64{"age": age}, nil)
	defer rec.Release()
	path := filepath.Join(t.TempDir(), "ballots.parquet")
	if err := arrowio.WriteRecord(path, rec, arrowio.WithBatchSize(700)); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join("..", "testdata", "weighting", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	golden, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for cs, c := range cases {
		for _, by := range []string{"", "level"} {
			opt := &Options{NoExpectations: true}
			if by != "" {
				opt.By = []string{by}
			}
			got, err := calibratedRepStreamed(path, c.design, c.ws, opt)
			if err != nil {
				t.Fatalf("%s by %q: %v", cs, by, err)
			}
			rows := map[string]Row{}
			for _, r := range got.Rows {
				if r.Kind == "criterion" {
					dom := ""
					for _, d := range r.Domain {
						dom += d.Value
					}
					rows[dom+"/"+r.ID] = r
				}
			}
			for _, g := range golden[1:] {
				if g[0] != cs || g[1] != by {
					continue
				}
				dom := g[2]
				r, ok := rows[dom+"/"+g[3]]
				if !ok {
					t.Fatalf("%s: no row %s/%s", cs, dom, g[3])
				}
				for j, v := range []float64{r.Estimate, r.SE} {
					want, _ := strconv.ParseFloat(g[4+j], 64)
					if math.Abs(v-want) > 1e-9*math.Abs(want) {
						t.Errorf("%s %s %s %s: %.17g, R %.17g", cs, dom, g[3], []string{"estimate", "se"}[j], v, want)
					}
				}
				checked++
			}
		}
	}
	want := 0
	for _, g := range golden[1:] {
		if _, ok := cases[g[0]]; ok {
			want++
		}
	}
	if checked != want || want == 0 {
		t.Errorf("checked %d of %d golden rows", checked, want)
	}
}

// calRepFixture is the index fixture with the calibration variables age
// and income, a working-model variance s2 and the string columns extra
// makes from the fixture, written as Parquet in row groups of 700 rows
// (path), with the margins of level and gender and the numeric totals of
// age and income (JSON) that the replicate tests calibrate to.
type calRep struct {
	rec                      arrow.RecordBatch
	path, level, gender, num string
	grand                    float64
}

func calRepFixture(t *testing.T, extra func(base arrow.RecordBatch) map[string][]string) *calRep {
	t.Helper()
	base := loadFixture(t)
	defer base.Release()
	n := int(base.NumRows())
	wc, _ := arrowio.Column(base, "weight")
	w0, _, _ := arrowio.Float64s(wc)
	age, inc, s2 := make([]float64, n), make([]float64, n), make([]float64, n)
	lo, hi := make([]float64, n), make([]float64, n) // per-row bounds on g
	for i := range age {
		age[i] = 18 + float64((i*7919)%53)
		inc[i] = 3 + math.Mod(float64(i)*0.61803, 9)
		s2[i] = 1 + age[i]/30
		lo[i], hi[i] = 0.76+0.02*float64(i%3), 1.2+0.05*float64(i%2)
	}
	rec := withColumns(base, map[string][]float64{"age": age, "income": inc, "s2": s2, "lo": lo, "hi": hi}, extra(base))
	t.Cleanup(rec.Release)
	f := &calRep{rec: rec, path: filepath.Join(t.TempDir(), "ballots.parquet"), grand: 28443265.0}
	if err := arrowio.WriteRecord(f.path, rec, arrowio.WithBatchSize(700)); err != nil {
		t.Fatal(err)
	}
	f.level = marginJSON("level", testTotals(t, rec, "level", "weight", f.grand))
	f.gender = marginJSON("gender", testTotals(t, rec, "gender", "weight", f.grand))
	f.num = fmt.Sprintf(`{"age": %v, "income": %v}`, numericTotal(rec, w0, age, f.grand/sumF(w0)*1.03), numericTotal(rec, w0, inc, f.grand/sumF(w0)*0.98))
	return f
}

// pairColumn is a paired design for BRR: the third PSU of a stratum joins
// its second (column "pair").
func pairColumn(base arrow.RecordBatch) map[string][]string {
	sc, _ := arrowio.Column(base, "stratum")
	strata, _, _ := arrowio.Strings(sc)
	pc, _ := arrowio.Column(base, "psu")
	psus, _, _ := arrowio.Strings(pc)
	byStr := map[string][]string{}
	for i, h := range strata {
		if !slices.Contains(byStr[h], psus[i]) {
			byStr[h] = append(byStr[h], psus[i])
		}
	}
	pair := make([]string, len(strata))
	for i, h := range strata {
		l := slices.Clone(byStr[h])
		slices.Sort(l)
		pair[i] = psus[i]
		if len(l) == 3 && psus[i] == l[2] {
			pair[i] = l[1]
		}
	}
	return map[string][]string{"pair": pair}
}
