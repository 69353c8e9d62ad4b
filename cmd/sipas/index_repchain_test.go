package main

import (
	"encoding/json"
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
	code, mem, stderr := vtRun(t, "", append([]string{"index"}, args...)...)
	if code != 0 {
		t.Fatalf("in memory: exit %d: %s", code, stderr)
	}
	code, str, stderr := vtRun(t, "", append([]string{"index", "--stream"}, args...)...)
	if code != 0 {
		t.Fatalf("streamed: exit %d: %s", code, stderr)
	}
	ds := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc", Nest: true, Variance: sampling.JKn}
	want := fmt.Sprintf("sipas index: streaming %s in %d passes (the calibration needs every row:", in, newtonPassCount(t, in, spec, ds))
	if !strings.Contains(stderr, want) || !strings.Contains(stderr, "solve every replicate's calibration in closed form and trim its g") {
		t.Errorf("stderr %q does not say %q", stderr, want)
	}
	var a, b any
	if err := json.Unmarshal([]byte(mem), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(str), &b); err != nil {
		t.Fatal(err)
	}
	if n := sameJSON(t, "jkn linear trim", a, b, 1e-12); n == 0 {
		t.Fatal("no numbers compared")
	}
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
