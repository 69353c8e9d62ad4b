package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/sampling"
)

// TestIndexTrimmedLinearReplicatesStreamed: sipas index --weighting with
// an unbounded linear calibration with trimming of g (a numeric variable
// and margins) and --variance jkn streams the file in passes (stderr says
// how many: those of the calibration, of the replicates' units, margins,
// closed form and trimming, and the sums pass) and prints what the
// in-memory run prints, every number at 1e-12.
func TestIndexTrimmedLinearReplicatesStreamed(t *testing.T) {
	dir := t.TempDir()
	in, ageTotal := withAge(t, dir)
	field := fieldTotals(t, in)
	spec := writeFile(t, dir, "trim.json", fmt.Sprintf(`{"design_weight": "weight", "steps": [{"calibrate": {"trim": [0.97, 1.03], "numeric": {"age": %v}, "margins": [{"by": ["field"], "totals": %s}]}}]}`, ageTotal*1.02, field))
	args := []string{"--in", in, "--weighting", spec, "--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--nest", "--by", "level", "--variance", "jkn"}
	mem, str, stderr := indexBothWays(t, "jkn linear trim", args)
	ds := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc", Nest: true, Variance: sampling.JKn}
	want := fmt.Sprintf("sipas index: streaming %s in %d passes (the calibration needs every row:", in, newtonPassCount(t, in, spec, ds))
	if !strings.Contains(stderr, want) || !strings.Contains(stderr, "solve every replicate's calibration in closed form and trim its g") {
		t.Errorf("stderr %q does not say %q", stderr, want)
	}
	sameJSONOut(t, "jkn linear trim", mem, str, 1e-12)
}

// TestEstimateTrimmedLinearReplicatesStreamed: estimate --weighting with
// an unbounded linear calibration with trimming of g (g is trimmed: the
// output differs from the untrimmed calibration's) and a replicate
// --variance (JKn with fpc, the bootstrap with a seed) streams CSV and
// Parquet (small row groups) in passes, saying so, and means, totals,
// ratios by domain and contrasts equal the in-memory run at 1e-12.
func TestEstimateTrimmedLinearReplicatesStreamed(t *testing.T) {
	dir := t.TempDir()
	strat := esSubFiles(t, dir, "strat", filepath.Join("..", "..", "testdata", "calopts", "apistrat.csv"), 30)
	const margins = `"margins": [{"by": ["stype"], "totals": ` + popStypeW + `}], "numeric": {"enroll": 3811472}`
	ests := []string{"--mean", "api00,enroll", "--total", "enroll,api00", "--ratio", "api00/enroll"}
	jkn := []string{"--strata", "stype", "--psu", "snum", "--fpc", "fpc", "--by", "stype", "--variance", "jkn"}
	untrimmed := writeFile(t, dir, "untrimmed.json", `{"design_weight": "pw", "steps": [{"calibrate": {`+margins+`}}]}`)
	code, plain, errs := vtRun(t, "", append(append([]string{"estimate", "--in", strat[0], "--weighting", untrimmed}, jkn...), ests...)...)
	if code != 0 || plain == "" {
		t.Fatalf("untrimmed: exit %d: %s", code, errs)
	}
	ws := writeFile(t, dir, "trim.json", `{"design_weight": "pw", "steps": [{"calibrate": {"trim": [0.9, 1.1], `+margins+`}}]}`)
	for i, design := range [][]string{
		jkn,
		{"--strata", "stype", "--psu", "snum", "--by", "stype", "--variance", "bootstrap", "--replicates", "30", "--seed", "7"},
	} {
		for _, f := range strat[:2] {
			if testing.Short() && i > 0 && f != strat[0] {
				continue
			}
			label := design[len(design)-1] + " " + filepath.Ext(f)
			args := append(append([]string{"--in", f, "--weighting", ws}, design...), ests...)
			esRun(t, label, args...)
			_, out, errs := vtRun(t, "", append([]string{"estimate", "--stream"}, args...)...)
			if !strings.Contains(errs, "sipas estimate: streaming "+f+" in ") || !strings.Contains(errs, "solve every replicate's calibration in closed form and trim its g, 1 sums the rows with the replicate weights") {
				t.Errorf("%s: stderr %q does not say it streams in passes with the replicates' closed form", label, errs)
			}
			if i == 0 && f == strat[0] && out == plain {
				t.Errorf("%s: the trimmed calibration's output is the untrimmed one's: nothing trimmed", label)
			}
		}
		esRun(t, design[len(design)-1]+" contrasts", append(append([]string{"--in", strat[1], "--weighting", ws}, design...),
			"--mean", "api00", "--total", "enroll", "--ratio", "api00/enroll", "--contrast", "pairs")...)
	}
}

// TestEstimateAggregateReplicatesStreamed: estimate --weighting with a
// linear or raking-ratio calibration of the districts' means (aggregate)
// of apiclus1 and --variance jk1 (with the fpc) or the bootstrap streams
// CSV and Parquet (small row groups) in passes, saying so, and means,
// totals, ratios by domain and contrasts equal the in-memory run at 1e-12.
func TestEstimateAggregateReplicatesStreamed(t *testing.T) {
	dir := t.TempDir()
	clus := esSubFiles(t, dir, "clus", filepath.Join("..", "..", "testdata", "calopts", "apiclus1.csv"), 30)
	const num = `"numeric": {"enroll": 3500000}, "aggregate": "dnum"`
	ests := []string{"--mean", "api00,enroll", "--total", "enroll,api00", "--ratio", "api00/enroll"}
	for i, c := range []struct {
		name, step, how string
		design          []string
	}{
		{"linear jk1", num, "in closed form", []string{"--psu", "dnum", "--fpc", "fpc", "--by", "stype", "--variance", "jk1"}},
		{"raking bootstrap", `"method": "raking", ` + num, "by its Newton iterations", []string{"--psu", "dnum", "--by", "stype", "--variance", "bootstrap", "--replicates", "30", "--seed", "7"}},
	} {
		ws := writeFile(t, dir, strings.ReplaceAll(c.name, " ", "_")+".json", `{"design_weight": "pw", "steps": [{"calibrate": {`+c.step+`}}]}`)
		for _, f := range clus[:2] {
			if testing.Short() && i > 0 && f != clus[0] {
				continue
			}
			label := c.name + " " + filepath.Ext(f)
			args := append(append([]string{"--in", f, "--weighting", ws}, c.design...), ests...)
			esRun(t, label, args...)
			_, _, errs := vtRun(t, "", append([]string{"estimate", "--stream"}, args...)...)
			if !strings.Contains(errs, "sipas estimate: streaming "+f+" in ") || !strings.Contains(errs, "solve every replicate's calibration "+c.how+", 1 sums the rows with the replicate weights") {
				t.Errorf("%s: stderr %q does not say it streams in passes with the replicates' calibration %s", label, errs, c.how)
			}
		}
		esRun(t, c.name+" contrasts", append(append([]string{"--in", clus[1], "--weighting", ws}, c.design...),
			"--mean", "api00", "--total", "enroll", "--ratio", "api00/enroll", "--contrast", "pairs")...)
	}
}

// TestIndexAggregateReplicatesStreamed: sipas index --weighting with a
// linear calibration of the PSUs' means (aggregate) and
// --variance jkn streams the file in passes, saying how many, and prints
// what the in-memory run prints, every number at 1e-12 but the design
// effects, at 1e-11: their SRS variances come from the full-sample final
// weights, whose streamed solution adds the clusters' mean rows in cluster
// order, not row order (rounding of 1e-16 that the variance of the
// weights amplifies); estimates, replicate SEs, intervals and df agree at
// 1e-12.
func TestIndexAggregateReplicatesStreamed(t *testing.T) {
	dir := t.TempDir()
	in, ageTotal := withAge(t, dir)
	field := fieldTotals(t, in)
	// linear only: the raking's replicates are the estimate test's and the
	// index package's (each in-memory run here calibrates 189 replicates)
	for _, c := range []struct{ method string }{{"linear"}} {
		spec := writeFile(t, dir, c.method+".json", fmt.Sprintf(`{"design_weight": "weight", "steps": [{"calibrate": {"method": %q, "aggregate": "psu", "numeric": {"age": %v}, "margins": [{"by": ["field"], "totals": %s}]}}]}`, c.method, ageTotal*1.002, field))
		args := []string{"--in", in, "--weighting", spec, "--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--nest", "--by", "level", "--variance", "jkn"}
		mem, str, stderr := indexBothWays(t, c.method, args)
		ds := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc", Nest: true, Variance: sampling.JKn}
		want := fmt.Sprintf("sipas index: streaming %s in %d passes (the calibration needs every row:", in, newtonPassCount(t, in, spec, ds))
		if !strings.Contains(stderr, want) || !strings.Contains(stderr, "solve every replicate's calibration ") {
			t.Errorf("%s: stderr %q does not say %q", c.method, stderr, want)
		}
		a, b := sameJSONOut(t, "jkn aggregate "+c.method, mem, str, 1e-11)
		dropKey(a, "deff")
		dropKey(b, "deff")
		if n := sameJSON(t, "jkn aggregate "+c.method+" (no deff)", a, b, 1e-12); n == 0 {
			t.Fatalf("%s: no numbers compared", c.method)
		}
	}
}

// dropKey deletes the key k from every object inside v.
func dropKey(v any, k string) {
	switch x := v.(type) {
	case map[string]any:
		delete(x, k)
		for _, e := range x {
			dropKey(e, k)
		}
	case []any:
		for _, e := range x {
			dropKey(e, k)
		}
	}
}
