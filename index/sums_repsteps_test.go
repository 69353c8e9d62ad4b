package index

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
	"github.com/sipas-go/sipas/weighting"
	"testing"

	"github.com/sipas-go/sipas/sampling"
)

// TestNewtonReplicateSumsLaterSteps: JKn (with fpc), JK1 and the bootstrap
// after a calibration that needs every row (unbounded linear in closed
// form, raking-ratio, bounded logit with a working-model variance)
// followed by class steps (a post-stratification, a raking, a category
// calibration, a nonresponse adjustment; two in turn; after an earlier
// post-stratification), streamed: every replicate re-calibrates over the
// rows, then re-runs the later steps on its own class totals of its
// calibrated weights (one more pass per step). Every estimate, SE,
// interval, design effect and df equals weighting.NewDesign (which
// re-runs every step on every replicate's rows) + Compute at 1e-12,
// nationally and by domains.
func TestNewtonReplicateSumsLaterSteps(t *testing.T) {
	f := calRepFixture(t, respondedColumn)
	level, gender, num := f.level, f.gender, f.num
	region := marginJSON("region", testTotals(t, f.rec, "region", "weight", f.grand*1.01))
	region1 := marginJSON("region", testTotals(t, f.rec, "region", "weight", f.grand))
	specs := map[string]string{
		"linear then poststratify":        `{"calibrate": {"margins": [` + gender + `], "numeric": ` + num + `}}, {"poststratify": ` + region + `}`,
		"raking then rake":                `{"calibrate": {"method": "raking", "margins": [` + gender + `], "numeric": ` + num + `}}, {"rake": {"margins": [` + region1 + `, ` + level + `]}}`,
		"logit then category calibrate":   `{"calibrate": {"method": "logit", "bounds": [0.5, 2], "variance": "s2", "margins": [` + gender + `], "numeric": ` + num + `}}, {"calibrate": {"margins": [` + level + `]}}`,
		"linear then nonresponse, post":   `{"calibrate": {"margins": [` + level + `], "numeric": ` + num + `}}, {"nonresponse": {"classes": ["region"], "responded": "responded"}}, {"poststratify": ` + gender + `}`,
		"post then bounds then poststrat": `{"poststratify": ` + region + `}, {"calibrate": {"bounds": [0.5, 2], "margins": [` + gender + `], "numeric": ` + num + `}}, {"poststratify": ` + level + `}`,
	}
	designs := map[string]*sampling.DesignOptions{
		"jkn":       {Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn},
		"jk1":       {PSU: "psu", Variance: sampling.JK1},
		"bootstrap": {Strata: "stratum", PSU: "psu", Variance: sampling.Bootstrap, Replicates: 20, Seed: 7},
	}
	if testing.Short() {
		delete(designs, "jkn")
		delete(designs, "jk1")
	}
	sameCalibratedReps(t, f.rec, f.path, designs, specs)
}

// TestNewtonReplicateLaterStepsRows: with the groups of rows alike off (a
// pass over the rows per replicate sum), the replicates of a raking-ratio
// calibration followed by a raking and by a post-stratification equal
// weighting.NewDesign + Compute at 1e-12 as with the groups.
func TestNewtonReplicateLaterStepsRows(t *testing.T) {
	f := calRepFixture(t, pairColumn)
	region1 := marginJSON("region", testTotals(t, f.rec, "region", "weight", f.grand))
	defer func(m int) { newtonMaxGroups = m }(newtonMaxGroups)
	newtonMaxGroups = -1
	sameCalibratedReps(t, f.rec, f.path,
		map[string]*sampling.DesignOptions{"jkn": {Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn}},
		map[string]string{"raking then rake, poststratify": `{"calibrate": {"method": "raking", "margins": [` + f.gender + `], "numeric": ` + f.num + `}}, {"rake": {"margins": [` + region1 + `, ` + f.level + `]}}, {"poststratify": ` + f.gender + `}`})
}

// TestNewtonReplicateLaterStepsErrors: a replicate whose calibration makes
// weights negative before a post-stratification is the calibration's
// error (naming the replicate, count and smallest g), and a replicate
// whose later post-stratification meets an empty post-stratum (the only
// PSU of a class deleted) is the step's error, each as
// weighting.NewDesign gives it in memory.
func TestNewtonReplicateLaterStepsErrors(t *testing.T) {
	base := loadFixture(t)
	defer base.Release()
	n := int(base.NumRows())
	wc, _ := arrowio.Column(base, "weight")
	w0, _, _ := arrowio.Float64s(wc)
	pc, _ := arrowio.Column(base, "psu")
	psus, _, _ := arrowio.Strings(pc)
	z, one := make([]float64, n), make([]float64, n)
	club := make([]string, n) // a class of the first PSU's rows alone
	for i := range z {
		z[i] = float64(1 - 2*(i%2))
		one[i] = 1 + float64(i%5)
		club[i] = "b"
		if psus[i] == psus[0] {
			z[i] = 500
			club[i] = "a"
		}
	}
	rec := withColumns(base, map[string][]float64{"z": z, "one": one}, map[string][]string{"club": club})
	defer rec.Release()
	path := filepath.Join(t.TempDir(), "ballots.parquet")
	if err := arrowio.WriteRecord(path, rec, arrowio.WithBatchSize(700)); err != nil {
		t.Fatal(err)
	}
	clubs := marginJSON("club", testTotals(t, rec, "club", "weight", 28443265.0))
	design := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", Variance: sampling.JKn}
	for name, steps := range map[string]string{
		"negative": fmt.Sprintf(`{"calibrate": {"numeric": {"z": %v}}}, {"poststratify": %s}`, numericTotal(rec, w0, z, 1), clubs),
		"empty":    fmt.Sprintf(`{"calibrate": {"method": "raking", "numeric": {"one": %v}}}, {"poststratify": %s}`, numericTotal(rec, w0, one, 1.02), clubs),
	} {
		ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [` + steps + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		_, _, werr := weighting.NewDesign(context.Background(), rec, ws, design)
		if werr == nil || !strings.Contains(werr.Error(), "replicate") {
			t.Fatalf("%s: in memory: %v, want a replicate's error", name, werr)
		}
		_, err = calibratedRepStreamed(path, design, ws, &Options{})
		if err == nil || err.Error() != werr.Error() {
			t.Errorf("%s: streamed: %v\nin memory: %v", name, err, werr)
		}
		t.Logf("%s: %v", name, err)
	}
}

// TestNewtonReplicateLaterStepsR: means (of values, of a 0/1 share, of a
// variable with missing values), totals and ratios, nationally and by
// size, under JKn (with fpc) and JK1 after a calibration that needs every
// row followed by a step on classes (linear then a post-stratification,
// raking-ratio then a raking, bounded logit then a category calibration),
// both in memory (weighting.NewDesign, which re-runs every step on every
// replicate's rows) and streamed (passes over a Parquet file in row
// groups of 37 read in batches of 41: every replicate's calibration, then
// its later step on its own class totals), equal R survey's svymean,
// svytotal, svyratio and svyby on postStratify(), rake() or calibrate()
// of calibrate() of as.svrepdesign() at 1e-9 on every estimate and SE
// (testdata/calrep_later.R); and the streamed estimates equal the
// in-memory ones at 1e-12 (estimate, SE, interval, design effect; n, df
// and PSUs exactly).
func TestNewtonReplicateLaterStepsR(t *testing.T) {
	rec, files, _ := estcalFixtureFiles(t, t.TempDir(), "apistrat.csv")
	defer rec.Release()
	const stype = `{"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}`
	const size = `{"by": ["size"], "totals": {"big": 2900, "small": 3294}}`
	const conv = `"max_iter": 200, "epsilon": 1e-13`
	designs := map[string]*sampling.DesignOptions{
		"jkn": {Strata: "stype", PSU: "snum", FPC: "fpc", Variance: sampling.JKn},
		"jk1": {PSU: "snum", Variance: sampling.JK1},
	}
	cases := []rCase{
		{"linear_post", "size", `{"calibrate": {"margins": [` + stype + `], "numeric": {"enroll": 3811472}}}, {"poststratify": ` + size + `}`, designs},
		{"raking_rake", "size", `{"calibrate": {"method": "raking", "numeric": {"enroll": 3811472}, ` + conv + `}}, ` +
			`{"rake": {"margins": [` + size + `, ` + stype + `], "max_iter": 1000, "epsilon": 1e-14}}`, designs},
		{"logit_catcal", "size", `{"calibrate": {"method": "logit", "bounds": [0.5, 2], "margins": [` + stype + `], "numeric": {"enroll": 3811472}, ` + conv + `}}, ` +
			`{"calibrate": {"margins": [` + size + `]}}`, designs},
	}
	golds := golden.Rows(t, filepath.Join("..", "testdata", "calrep_later", "estimates.csv"))
	if compared, want := sameReplicatesAsR(t, rec, files[1], cases, golds, false, newtonEstimates), 2*(len(golds)-1); compared < want {
		t.Errorf("%d comparisons with R, want %d", compared, want)
	}
}

// TestNewtonReplicateLaterStepsOptions: a raking-ratio calibration of
// cluster means (aggregate) and a linear one with trimming of g, each
// followed by a post-stratification, under JKn (with fpc), streamed,
// equal weighting.NewDesign + Compute at 1e-12.
func TestNewtonReplicateLaterStepsOptions(t *testing.T) {
	f := calRepFixture(t, pairColumn)
	wc, _ := arrowio.Column(f.rec, "weight")
	w0, _, _ := arrowio.Float64s(wc)
	ac, _ := arrowio.Column(f.rec, "age")
	age, _, _ := arrowio.Float64s(ac)
	num := fmt.Sprintf(`{"age": %v}`, numericTotal(f.rec, w0, age, f.grand/sumF(w0)*1.003))
	region := marginJSON("region", testTotals(t, f.rec, "region", "weight", f.grand*1.01))
	sameCalibratedReps(t, f.rec, f.path,
		map[string]*sampling.DesignOptions{"jkn": {Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn}},
		map[string]string{
			"raking aggregate then poststratify": `{"calibrate": {"method": "raking", "aggregate": "psu", "margins": [` + f.level + `], "numeric": ` + num + `}}, {"poststratify": ` + region + `}`,
			"linear trim then poststratify":      `{"calibrate": {"trim": [0.9, 1.1], "margins": [` + f.level + `, ` + f.gender + `], "numeric": ` + f.num + `}}, {"poststratify": ` + region + `}`,
		})
}

// TestNewtonReplicateLaterTrim: JKn (with fpc), JK1 and the bootstrap
// after a calibration that needs every row followed by trimming steps
// (relative to the median, proportional with both bounds; R's equal
// redistribution, strict, after a post-stratification; trimming then a
// raking after a bounded calibration), streamed: every replicate solves
// its own trimming on its weights entering the step (its median, its
// factor or its rounds), its passes shared with the other replicates'.
// Every replicate weight of the linear calibrations equals
// weighting.NewDesign's bit for bit (those of the bounded Newton
// calibration at 1e-12), and every estimate, SE, interval, design effect
// and df equals weighting.NewDesign + Compute at 1e-12, nationally and
// by domains; under JKn with the mean score by province, whose replicate
// estimates lie closest to the full sample's, the design effects (the
// replicates' squared deviations over the full-sample variance) at
// 2·10⁻¹¹: the replicate weights being equal, what differs is the
// rounding of the sums per cell and replicate against the rows.
func TestNewtonReplicateLaterTrim(t *testing.T) {
	f := calRepFixture(t, pairColumn)
	level, gender, num := f.level, f.gender, f.num
	region := marginJSON("region", testTotals(t, f.rec, "region", "weight", f.grand*1.01))
	region1 := marginJSON("region", testTotals(t, f.rec, "region", "weight", f.grand))
	specs := map[string]string{
		"linear then trim":             `{"calibrate": {"margins": [` + level + `], "numeric": ` + num + `}}, {"trim": {"max": 2.5, "min": 0.4}}`,
		"linear then post, trim equal": `{"calibrate": {"margins": [` + gender + `], "numeric": ` + num + `}}, {"poststratify": ` + region + `}, {"trim": {"max": 2.6, "redistribute": "equal", "strict": true}}`,
		"bounds then trim, rake":       `{"calibrate": {"bounds": [0.5, 2], "margins": [` + gender + `], "numeric": ` + num + `}}, {"trim": {"max": 2.4}}, {"rake": {"margins": [` + region1 + `, ` + level + `]}}`,
	}
	designs := map[string]*sampling.DesignOptions{
		"jkn":       {Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn},
		"jk1":       {PSU: "psu", Variance: sampling.JK1},
		"bootstrap": {Strata: "stratum", PSU: "psu", Variance: sampling.Bootstrap, Replicates: 20, Seed: 7},
	}
	ctx := context.Background()
	for dname, design := range designs {
		for name, steps := range specs {
			if testing.Short() && dname != "bootstrap" {
				continue
			}
			where := dname + " " + name
			ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [` + steps + `]}`))
			if err != nil {
				t.Fatal(err)
			}
			if err := CalibratedSumsSupport(design, ws); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			d, out, err := weighting.NewDesign(ctx, f.rec, ws, design)
			if err != nil {
				t.Fatal(err)
			}
			defer out.Release()
			st, nr, err := solveRepStreamed(f.path, design, ws)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			if nr.LaterPasses() < 3 {
				t.Errorf("%s: %d passes re-run the later steps", where, nr.LaterPasses())
			}
			// the replicate weights, row by row
			R := nr.nr.R()
			reps := make([][]float64, R)
			if err := ScanFile(f.path)(ctx, nr.nr.Columns(), func(rec arrow.RecordBatch, first int64) error {
				_, r, err := nr.nr.Weights(rec, first)
				for q := range r {
					reps[q] = append(reps[q], r[q]...)
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			tol := 0.0
			if strings.HasPrefix(name, "bounds") {
				tol = 1e-12
			}
			nf := out.Schema().NumFields()
			for q := 0; q < R; q++ {
				want, _, _ := arrowio.Float64s(out.Column(nf - R + q))
				for i, v := range want {
					if math.Abs(v-reps[q][i]) > tol*v {
						t.Fatalf("%s: replicate %d, row %d: weight %.17g streamed, %.17g in memory", where, q+1, i+1, reps[q][i], v)
					}
				}
			}
			for _, opt := range []*Options{
				{},
				{By: []string{"level"}, VsNation: true},
				{By: []string{"province"}, Score: ScoreMean, NoExpectations: true},
			} {
				want, err := Compute(ctx, d, out, nil, opt)
				if err != nil {
					t.Fatal(err)
				}
				got, err := finishRepStreamed(f.path, design, st, nr, opt)
				if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				tol := 1e-12
				if dname == "jkn" && opt.Score == ScoreMean {
					tol = 2e-12
				}
				sameRows(t, fmt.Sprintf("%s by %v", where, opt.By), want, got, tol)
			}
		}
	}
}

// respondedColumn is the response flag of the weighting tests' nonresponse
// adjustments: column "responded", "no" on two rows in seven.
func respondedColumn(base arrow.RecordBatch) map[string][]string {
	resp := make([]string, base.NumRows())
	for i := range resp {
		resp[i] = []string{"yes", "yes", "no", "yes", "yes", "yes", "no"}[i%7]
	}
	return map[string][]string{"responded": resp}
}
