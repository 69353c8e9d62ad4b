package index

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// comboWeightings are the class-cell weightings of the combination tests:
// a nonresponse adjustment then a post-stratification (design weight
// constant in a PSU), a raking then a trimming of design weights that
// vary within PSUs (the cells then keyed by the design weight too), and a
// post-stratification then a raking of those weights (the cells not
// keyed by them: the raking's variance takes their unweighted sums).
func comboWeightings(t *testing.T) (arrow.RecordBatch, map[string]*weighting.Spec) {
	base, level, gender, region, _ := weightingFixture(t)
	defer base.Release()
	rec := withStages(t, base)
	out := map[string]*weighting.Spec{}
	for name, js := range map[string]string{
		"nonresponse_ps": `{"design_weight": "weight", "steps": [{"nonresponse": {"classes": ["region"], "responded": "responded"}},
			{"poststratify": ` + level + `}]}`,
		"w_rake_trim": `{"design_weight": "weight2", "steps": [{"rake": {"margins": [` + level + `, ` + gender + `, ` + region + `]}},
			{"trim": {"max": 2.2, "min": 0.4}}]}`,
		"w_ps_rake": `{"design_weight": "weight2", "steps": [{"poststratify": ` + region + `}, {"rake": {"margins": [` + level + `, ` + gender + `]}}]}`,
	} {
		ws, err := weighting.ParseSpecBytes([]byte(js))
		if err != nil {
			rec.Release()
			t.Fatal(err)
		}
		out[name] = ws
	}
	return rec, out
}

// weightedEqualsMemory checks, for each weighting of wss and each design
// of specs (named by names; its weight column dropped: the weighting's
// design weight is the starting weight), that the indices finished from
// the cells (FromWeightedSums on sums of batches of 333 rows, two
// accumulators merged) and the means, totals and ratios
// (WeightedEstimandSums) equal weighting.NewDesign + Compute / Estimates
// on the rows at 1e-12, nationally and by domains. In short mode each
// pair of a weighting and a design runs one of the domain options of the
// indices and one of the estimands', in turn, so that every option still
// runs, and a replicate design runs with one of the weightings (the
// weightings' re-run on every replicate: TestWeightedSumsEqualCompute).
func weightedEqualsMemory(t *testing.T, rec arrow.RecordBatch, wss map[string]*weighting.Spec, specs map[string]*sampling.DesignOptions, names ...string) {
	t.Helper()
	pair := 0
	est := []sampling.Estimand{
		{Statistic: sampling.StatMean, Num: "access_1"},
		{Statistic: sampling.StatTotal, Num: "procedures_2"},
		{Statistic: sampling.StatRatio, Num: "access_1", Den: "access_2"},
		{Statistic: sampling.StatMean, Num: "expect_1"}, // a share
	}
	for wi, wname := range slices.Sorted(maps.Keys(wss)) {
		ws := wss[wname]
		for di, dname := range names {
			design := *specs[dname]
			design.Weight = ""
			if testing.Short() && design.Variance != sampling.Linearization && wi != di%len(wss) {
				continue
			}
			if err := WeightingSumsSupport(&design, ws); err != nil {
				t.Fatalf("%s %s: not streamed: %v", wname, dname, err)
			}
			opts := []*Options{{}, {By: []string{"level"}, VsNation: true}, {By: []string{"province"}, Score: ScoreMean, NoExpectations: true}}
			eopts := []*sampling.EstimateOptions{{}, {By: []string{"level"}, CI: sampling.Logit, DF: sampling.DFDomain}}
			if design.Variance != sampling.Linearization {
				opts = []*Options{{By: []string{"level"}, VsNation: true, CI: sampling.Wald}}
				eopts = eopts[1:]
			}
			opts, eopts = inTurn(opts, pair), inTurn(eopts, pair)
			pair++
			for _, opt := range opts {
				where := fmt.Sprintf("%s %s by %v", wname, dname, opt.By)
				want, wsum := weightedInMemory(t, rec, &design, ws, opt)
				if r := want.Rows[0]; !(r.SE > 0) || !(r.Deff > 0) {
					t.Fatalf("%s: in memory SE %v, deff %v: not a variance to compare", where, r.SE, r.Deff)
				}
				got, wres, _ := weightedStreamed(t, rec, &design, ws, opt, 333)
				sameRows(t, where, want, got, 1e-12)
				if d := wres.Final.Sum - wsum; d > 1e-12*wsum || -d > 1e-12*wsum {
					t.Errorf("%s: final weights sum to %.17g from the cells, %.17g from the rows", where, wres.Final.Sum, wsum)
				}
			}
			for _, opt := range eopts {
				weightedEstimandsEqualMemory(t, fmt.Sprintf("%s %s estimands by %v", wname, dname, opt.By), rec, &design, ws, est, opt)
			}
		}
	}
}

// weightedEstimandsEqualMemory checks that the estimands est by opt of the
// design after the weighting ws finished from the estimand cell sums of
// rec (two accumulators over batches of 333 rows, merged;
// WeightedEstimandSums) equal weighting.NewDesign + Estimates on the rows
// at 1e-12, with the same degrees of freedom and replicates.
func weightedEstimandsEqualMemory(t *testing.T, where string, rec arrow.RecordBatch, design *sampling.DesignOptions, ws *weighting.Spec, est []sampling.Estimand, opt *sampling.EstimateOptions) {
	t.Helper()
	ctx := context.Background()
	d, out, err := weighting.NewDesign(ctx, rec, ws, design)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	want, err := d.Estimates(out, est, opt)
	out.Release()
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	s := sumBatches(t, rec, 333, func() (*Sums, error) { return newEstimandSums(design, opt.By, est, nil, rec.Schema(), ws) })
	tab, err := s.Table(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	dc, cells, _, err := WeightedEstimandSums(ctx, tab, design, ws, est, s.Shares(), opt.By)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	got, _ := cellEstimates(t, tab, dc, cells, est, opt, nil)
	if dc.DF() != d.DF() || dc.Replicates() != d.Replicates() {
		t.Errorf("%s: df %d and %d replicates from the cells, %d and %d from the rows", where, dc.DF(), dc.Replicates(), d.DF(), d.Replicates())
	}
	sameEstimates(t, where, want, got, false)
}

// TestWeightedSumsMultistage: 2- and 3-stage designs with an fpc at every
// stage (with and without strata, a fraction at stage 2, a stratified
// jackknife) after class-cell weighting steps, finished from cells keyed
// by every later stage's unit and fpc too, equal the rows in memory.
func TestWeightedSumsMultistage(t *testing.T) {
	rec, wss := comboWeightings(t)
	defer rec.Release()
	weightedEqualsMemory(t, rec, wss, stageSpecs(), "2-stage strata", "2-stage fraction", "3-stage strata", "3-stage no strata", "3-stage jackknife")
}

// TestWeightedSumsPPS: PPS first stages (Brewer, Overton, Horvitz–Thompson
// with joint probabilities; Brewer with a second stage) after class-cell
// weighting steps, finished from cells per PSU with its inclusion
// probability, equal the rows in memory.
func TestWeightedSumsPPS(t *testing.T) {
	rec, wss := comboWeightings(t)
	defer rec.Release()
	weightedEqualsMemory(t, rec, wss, ppsSpecs(t, rec), "brewer strata", "brewer no strata", "overton strata", "overton no strata", "brewer 2-stage", "ht")
}

// numericCalibration is a weighting whose calibration to a numeric
// variable needs every ballot.
func numericCalibration(t *testing.T) *weighting.Spec {
	t.Helper()
	ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [{"calibrate": {"numeric": {"fpc": 5000000}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// TestWeightedReplicatesMultistage: the replicates of a weighted
// multistage design are of its first stage only, with the first stage's
// fpc in their scales (R as.svrepdesign, then the steps re-run on every
// replicate): its indices equal those of the same design without the
// later stages at 1e-12 (before, the later stages' fpc was kept on a
// design whose fpc had moved into the scales, an error). In short mode
// each variance runs with one of the weightings, in turn.
func TestWeightedReplicatesMultistage(t *testing.T) {
	rec, wss := comboWeightings(t)
	defer rec.Release()
	names := slices.Sorted(maps.Keys(wss))
	for i, v := range []sampling.VarianceMethod{sampling.JKn, sampling.Bootstrap} {
		design := sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc", Lonely: sampling.LonelyRemove, Variance: v, Replicates: 20, Seed: 7,
			Stages: []sampling.Stage{{Unit: "ssu", FPC: "fpc2"}, {Unit: "el", FPC: "fpc3"}}}
		one := design
		one.Stages = nil
		opt := &Options{By: []string{"level"}, VsNation: true, CI: sampling.Wald}
		for _, name := range inTurn(names, i) {
			ws := wss[name]
			want, _ := weightedInMemory(t, rec, &one, ws, opt)
			got, _ := weightedInMemory(t, rec, &design, ws, opt)
			sameRows(t, fmt.Sprintf("%s %v", name, v), want, got, 1e-12)
		}
	}
}

// TestWeightedSumsSQLStagesPPSOnSQLite runs the query of WeightedSumsSQL
// in SQLite for a post-stratification of a 3-stage design with an fpc at
// every stage and of a Brewer PPS first stage: it groups by the later
// stages' units and fpc (and the probability), its cells are those summed
// in process, and the indices from them equal weighting.NewDesign +
// Compute on the ballots at 1e-12.
func TestWeightedSumsSQLStagesPPSOnSQLite(t *testing.T) {
	if _, err := exec.LookPath("sqlite3"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("sqlite3 is not installed (Debian package sqlite3; .ci/run installs it)")
		}
		t.Skip("sqlite3 is not installed (apt-get install sqlite3); CI runs this test")
	}
	rec, wss := comboWeightings(t)
	defer rec.Release()
	ws := wss["nonresponse_ps"]
	dir := t.TempDir()
	csv := filepath.Join(dir, "b.csv")
	if err := arrowio.Write(csv, rec.Schema(), []arrow.RecordBatch{rec}); err != nil {
		t.Fatal(err)
	}
	opt := &Options{By: []string{"level"}, VsNation: true}
	for name, spec := range map[string]*sampling.DesignOptions{"3-stage strata": stageSpecs()["3-stage strata"], "brewer strata": ppsSpecs(t, rec)["brewer strata"]} {
		design := *spec
		design.Weight = ""
		query, err := WeightedSumsSQL(nil, opt, "ballots", &design, ws)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if design.Stages != nil && !strings.Contains(query, "GROUP BY stratum, psu, fpc, ssu, fpc2, el, fpc3, level") {
			t.Errorf("%s: the query does not group by the stages:\n%s", name, query)
		}
		mine, sqlTab := sqlAndSummed(t, name, dir, csv, rec, nil, &design, opt, ws, query)
		got, _, _, err := FromWeightedSums(context.Background(), sqlTab, nil, &design, ws, opt)
		sqlTab.Release()
		mine.Release()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, _ := weightedInMemory(t, rec, &design, ws, opt)
		sameRows(t, name+": SQL sums vs the ballots", want, got, 1e-12)
	}
}

// fpcWeightedComboSpecs are designs without weight column whose weights
// come from the fpc (the product of sampling.FPCWeight over the stages;
// 1/π under PPS) beyond one stage under linearization: every multistage
// and PPS design of the streaming tests but the Horvitz–Thompson one
// (stageSpecs, ppsSpecs) without their weight, and one-stage designs
// with replicates generated from the design (JK1, JKn, the bootstrap).
func fpcWeightedComboSpecs(t *testing.T, rec arrow.RecordBatch) map[string]*sampling.DesignOptions {
	out := map[string]*sampling.DesignOptions{
		"jkn":       {Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn},
		"jk1":       {PSU: "psu", FPC: "fpc0", Variance: sampling.JK1},
		"bootstrap": {Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.Bootstrap, Replicates: 20, Seed: 3},
	}
	for _, m := range []map[string]*sampling.DesignOptions{stageSpecs(), ppsSpecs(t, rec)} {
		for name, spec := range m {
			if spec.FPC == "" || spec.PPS == sampling.PPSJoint {
				continue
			}
			ds := *spec
			ds.Weight = ""
			out[name] = &ds
		}
	}
	return out
}

// TestSumFileFPCWeightsCombo: the indices of designs weighted by their
// fpc with several stages, a PPS first stage or replicates generated from
// the design, streamed from a Parquet file of 8 row groups (1 and 2
// workers) with weight 1 and scaled per cell by Table, equal Compute on
// the ballots at 1e-12 (every estimate, SE, interval, design effect, n,
// PSU count and df, nationally and by domains, also through the table
// written to Parquet and read back), and the table's weights sum to the
// design's.
func TestSumFileFPCWeightsCombo(t *testing.T) {
	rec, pq, read := stagesParquet(t)
	defer rec.Release()
	for name, spec := range fpcWeightedComboSpecs(t, rec) {
		streamEqualsCompute(t, rec, pq, read, "fpc weights "+name, spec, []int{1, 2}, func(where string, tab arrow.RecordBatch) {
			d, err := sampling.NewDesign(rec, spec)
			if err != nil {
				t.Fatal(err)
			}
			sameWeightsSum(t, where, tab, d)
		})
	}
}

// TestEstimandSumsFPCWeightsCombo: the means, totals and ratios of the
// same designs finished from the streamed cell sums equal sampling's
// Estimates on the ballots at 1e-12, nationally and by domain.
func TestEstimandSumsFPCWeightsCombo(t *testing.T) {
	rec, pq, read := stagesParquet(t)
	defer rec.Release()
	estimandsEqualStreamed(t, rec, pq, read, fpcWeightedComboSpecs(t, rec), "jkn", "bootstrap", "3-stage strata", "2-stage fraction", "3-stage jackknife", "brewer 2-stage", "overton no strata")
}

// TestFPCWeightsHTSupport: a Horvitz–Thompson PPS design streams with
// and without a weight column (then weighted by the joint probabilities'
// diagonal: "ht no weight" of ppsSpecs); without its joint probabilities
// it does not, saying why.
func TestFPCWeightsHTSupport(t *testing.T) {
	rec, _, _ := stagesParquet(t)
	defer rec.Release()
	for _, name := range []string{"ht", "ht no weight"} {
		if err := SumsSupport(ppsSpecs(t, rec)[name]); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	ht := *ppsSpecs(t, rec)["ht no weight"]
	ht.JointProb = nil
	if err := SumsSupport(&ht); err == nil || !strings.Contains(err.Error(), "joint probabilities") {
		t.Errorf("without the joint probabilities: %v, want why it is not streamed", err)
	}
}
