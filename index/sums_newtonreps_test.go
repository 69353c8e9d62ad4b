package index

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// newtonRepSummed is the streamed path of a replicate variance after a
// raking-ratio, logit or bounded calibration once the passes of
// weighting.SolveStream and SolveNewtonReplicates (nr) are done: the sums
// pass with the replicate weights, and the finish through the replicate
// sums.
func newtonRepSummed(path string, nr *NewtonReplicates, opt *Options) (*Result, error) {
	ctx := context.Background()
	s, err := nr.SumFile(ctx, path, nil, opt, nil)
	if err != nil {
		return nil, err
	}
	tab, err := s.Table(nil)
	if err != nil {
		return nil, err
	}
	defer tab.Release()
	got, _, err := nr.FromNewtonReplicateSums(ctx, tab, s, nil, opt)
	return got, err
}

// TestNewtonReplicateSumsEqualCompute: JKn, JK1, the bootstrap, BRR and
// Fay after a raking-ratio, logit or bounded linear calibration (bounds on
// g, on the final weights, per-row bounds columns; margins and numeric
// variables, a working-model variance; trimming of g), solved by passes over a Parquet
// file of several row groups with every replicate's Newton iterations in
// the same passes, equal weighting.NewDesign (which re-calibrates every
// replicate's weights in memory) + Compute at 1e-12: estimates, replicate
// SEs, intervals, design effects and degrees of freedom, nationally and
// by domains.
func TestNewtonReplicateSumsEqualCompute(t *testing.T) {
	f := calRepFixture(t, pairColumn)
	level, gender, num := f.level, f.gender, f.num
	raking := `{"calibrate": {"method": "raking", "margins": [` + level + `, ` + gender + `], "numeric": ` + num + `}}`
	specs := map[string]string{
		"raking":         raking,
		"logit":          `{"calibrate": {"method": "logit", "bounds": [0.75, 1.2], "variance": "s2", "margins": [` + level + `], "numeric": ` + num + `}}`,
		"bounds":         `{"calibrate": {"bounds": [0.8, 1.2], "margins": [` + level + `, ` + gender + `], "numeric": ` + num + `}}`,
		"raking bounds":  `{"calibrate": {"method": "raking", "bounds": [0.78, 1.22], "margins": [` + level + `, ` + gender + `], "numeric": ` + num + `}}`,
		"bounds_const":   `{"calibrate": {"method": "raking", "bounds": [20, 20000], "bounds_const": true, "margins": [` + level + `], "numeric": ` + num + `}}`,
		"bounds_columns": `{"calibrate": {"bounds_columns": ["lo", "hi"], "margins": [` + level + `], "numeric": ` + num + `}}`,
		"raking trim":    `{"calibrate": {"method": "raking", "trim": [0.8, 1.2], "margins": [` + level + `, ` + gender + `], "numeric": ` + num + `}}`,
	}
	jkn := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn}
	designs := map[string]*sampling.DesignOptions{
		"jk1":       {PSU: "psu", Variance: sampling.JK1},
		"bootstrap": {Strata: "stratum", PSU: "psu", Variance: sampling.Bootstrap, Replicates: 20, Seed: 7},
		"fay":       {Strata: "stratum", PSU: "pair", Variance: sampling.Fay, FayRho: 0.3},
	}
	// every weighting under JKn, every design under raking or logit
	// (the in-memory replicates are the cost); short (the race run): a
	// trimmed raking and a logit calibration under the bootstrap
	if testing.Short() {
		boot := designs["bootstrap"]
		sameCalibratedReps(t, f.rec, f.path, map[string]*sampling.DesignOptions{"bootstrap": boot},
			map[string]string{"raking trim": specs["raking trim"], "logit": `{"calibrate": {"method": "logit", "bounds": [0.6, 1.6], "variance": "s2", "margins": [` + level + `], "numeric": ` + num + `}}`})
		return
	}
	// every weighting under JKn (its deleted PSUs' zero weights meet the
	// bounds, the bounds columns and the trimming); JK1, the bootstrap
	// and Fay each under raking or logit (sameCalibratedReps' covering
	// set: the bootstrap and JK1 logit, Fay raking; SIPAS_FULL_TESTS=1
	// runs all six)
	sameCalibratedReps(t, f.rec, f.path, map[string]*sampling.DesignOptions{"jkn": jkn}, specs)
	sameCalibratedReps(t, f.rec, f.path, designs, map[string]string{"raking": raking,
		"logit": `{"calibrate": {"method": "logit", "bounds": [0.6, 1.6], "margins": [` + level + `], "numeric": ` + num + `}}`})
}

// TestNewtonReplicateErrors: a replicate whose bounded calibration cannot
// converge or whose bounds no weights can meet is the error
// weighting.NewDesign gives in memory, naming the same (first) replicate,
// variable, discrepancy or range.
func TestNewtonReplicateErrors(t *testing.T) {
	f := calRepFixture(t, pairColumn)
	for _, c := range []struct {
		design *sampling.DesignOptions
		step   string
	}{
		{&sampling.DesignOptions{Strata: "stratum", PSU: "psu", Variance: sampling.Bootstrap, Replicates: 20, Seed: 7},
			`{"calibrate": {"method": "logit", "bounds": [0.75, 1.2], "variance": "s2", "margins": [` + f.level + `], "numeric": ` + f.num + `}}`},
		{&sampling.DesignOptions{Strata: "stratum", PSU: "pair", Variance: sampling.Fay, FayRho: 0.3},
			`{"calibrate": {"method": "raking", "bounds": [0.75, 1.2], "margins": [` + f.level + `], "numeric": ` + f.num + `}}`},
	} {
		ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [` + c.step + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		_, _, werr := weighting.NewDesign(context.Background(), f.rec, ws, c.design)
		if werr == nil || !strings.Contains(werr.Error(), "replicate") {
			t.Fatalf("%v: in memory: %v, want a replicate's error", c.design.Variance, werr)
		}
		_, err = calibratedRepStreamed(f.path, c.design, ws, &Options{})
		if err == nil || err.Error() != werr.Error() {
			t.Errorf("%v: streamed: %v\nin memory: %v", c.design.Variance, err, werr)
		}
	}
}

// TestNewtonReplicateSumsEarlierSteps: JKn and the bootstrap after a
// nonresponse adjustment, a post-stratification or a raking and then a
// raking-ratio or bounded calibration, streamed (every replicate re-runs
// the earlier steps on its unit totals, then its Newton iterations over
// the rows), equal weighting.NewDesign + Compute at 1e-12.
func TestNewtonReplicateSumsEarlierSteps(t *testing.T) {
	f := calRepFixture(t, respondedColumn)
	level, gender, num := f.level, f.gender, f.num
	region := marginJSON("region", testTotals(t, f.rec, "region", "weight", f.grand*1.01))
	specs := map[string]string{
		"nonresponse then raking":  `{"nonresponse": {"classes": ["region"], "responded": "responded"}}, {"calibrate": {"method": "raking", "margins": [` + level + `, ` + gender + `], "numeric": ` + num + `}}`,
		"poststratify then bounds": `{"poststratify": ` + region + `}, {"calibrate": {"bounds": [0.5, 2], "margins": [` + gender + `], "numeric": ` + num + `}}`,
		"rake then logit":          `{"rake": {"margins": [` + level + `, ` + gender + `]}}, {"calibrate": {"method": "logit", "bounds": [0.5, 2], "numeric": ` + num + `}}`,
	}
	designs := map[string]*sampling.DesignOptions{
		"jkn":       {Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn},
		"bootstrap": {Strata: "stratum", PSU: "psu", Variance: sampling.Bootstrap, Replicates: 20, Seed: 7},
	}
	if testing.Short() {
		delete(designs, "jkn") // the race run: the bootstrap's 20 replicates
	}
	// the covering set (sameCalibratedReps): the bootstrap after the
	// nonresponse and the raking, JKn after the post-stratification
	sameCalibratedReps(t, f.rec, f.path, designs, specs)
}

// TestNewtonReplicateSumsR: the streamed JKn (with fpc) and JK1 variances
// after a raking-ratio, logit (bounds [0.5, 1.8]), bounded linear or
// bounded raking calibration (bounds [0.85, 1.15]) to a margin and a
// numeric variable equal R survey's calibrate(calfun =, bounds =) of
// as.svrepdesign() (which re-calibrates every replicate by its own Newton
// iterations) at 1e-9: the criteria's shares and SEs, nationally and by
// level (testdata/calrep_newton.R, epsilon 1e-10 both sides).
func TestNewtonReplicateSumsR(t *testing.T) {
	jkn := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn}
	jk1 := &sampling.DesignOptions{PSU: "psu", Variance: sampling.JK1}
	cases := map[string]calRepCase{}
	for name, d := range map[string]*sampling.DesignOptions{"jkn_raking": jkn, "jkn_logit": jkn, "jk1_bounds": jk1, "jk1_raking_bounds": jk1} {
		if testing.Short() && name != "jk1_raking_bounds" {
			continue // the race run: one case
		}
		cases[name] = calRepCase{readCalRepSpec(t, "calrep_newton_"+name+".json"), d}
	}
	sameCalRepR(t, "calrep_newton.csv", cases)
}

// TestNewtonReplicateGroups: without numeric totals the rows of a unit
// fall into a few groups (the classes of level and gender; with bounds on
// the final weights, the design weights too), so every replicate's
// Newton iterations run over the groups in memory: one pass over the
// file solves every replicate after the pass of the units, and the
// result equals weighting.NewDesign + Compute at 1e-12 (raking). With the
// groups off, or a cap that the groups pass in the first row group, the
// passes per iteration give the same at 1e-12 (raking, and bounds on the
// final weights, whose groups are keyed by the design weight too).
func TestNewtonReplicateGroups(t *testing.T) {
	f := calRepFixture(t, pairColumn)
	jkn := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn}
	specs := map[string]string{
		"raking":       `{"calibrate": {"method": "raking", "margins": [` + f.level + `, ` + f.gender + `]}}`,
		"bounds_const": `{"calibrate": {"method": "raking", "bounds": [20, 20000], "bounds_const": true, "margins": [` + f.level + `, ` + f.gender + `]}}`,
	}
	if !testing.Short() {
		sameCalibratedReps(t, f.rec, f.path, map[string]*sampling.DesignOptions{"jkn": jkn}, map[string]string{"raking": specs["raking"]})
	}
	defer func(m int) { newtonMaxGroups = m }(newtonMaxGroups)
	opt := &Options{By: []string{"level"}}
	for name, step := range specs {
		if testing.Short() && name != "bounds_const" {
			continue // the race run: one spec
		}
		ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [` + step + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		var grouped *Result
		for _, max := range []int{0, -1, 5} {
			newtonMaxGroups = max
			st, err := weighting.SolveStream(context.Background(), ws, ScanFile(f.path))
			if err != nil {
				t.Fatal(err)
			}
			nr, err := SolveNewtonReplicates(context.Background(), f.path, jkn, st, nil)
			if err != nil {
				t.Fatal(err)
			}
			if (nr.Passes == 2) != (max == 0) {
				t.Errorf("%s, at most %d groups: %d passes", name, max, nr.Passes)
			}
			s, err := nr.SumFile(context.Background(), f.path, nil, opt, nil)
			if err != nil {
				t.Fatal(err)
			}
			tab, err := s.Table(nil)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := nr.FromNewtonReplicateSums(context.Background(), tab, s, nil, opt)
			tab.Release()
			if err != nil {
				t.Fatal(err)
			}
			if max == 0 {
				grouped = got
				continue
			}
			sameRows(t, fmt.Sprintf("%s, at most %d groups", name, max), grouped, got, 1e-12)
		}
	}
}
