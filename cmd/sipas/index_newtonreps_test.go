package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// newtonPassCount is the number of passes stderr must name for the
// replicates of the weighting file ws after a raking-ratio, logit or
// bounded calibration on the file in, solved by the library.
func newtonPassCount(t *testing.T, in, ws string, spec *sampling.DesignOptions) int {
	t.Helper()
	b, err := os.ReadFile(ws)
	if err != nil {
		t.Fatal(err)
	}
	w, err := weighting.ParseSpecBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	st, err := weighting.SolveStream(context.Background(), w, index.ScanFile(in))
	if err != nil {
		t.Fatal(err)
	}
	nr, err := index.SolveNewtonReplicates(context.Background(), in, spec, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st.Passes + nr.Passes + 1
}

// TestIndexNewtonReplicatesStreamed: sipas index --weighting with a
// raking-ratio calibration (JKn) or a bounded logit one (the bootstrap
// with a seed) to a numeric variable and margins, and a replicate
// --variance streams the file in passes (stderr says how many: those of
// the calibration, of every replicate's Newton iterations and the sums
// pass) and prints what the in-memory run prints, every number at 1e-12.
func TestIndexNewtonReplicatesStreamed(t *testing.T) {
	dir := t.TempDir()
	in, ageTotal := withAge(t, dir)
	field := fieldTotals(t, in)
	for _, c := range []struct {
		step string
		v    []string
	}{
		{`{"calibrate": {"method": "raking", "numeric": {"age": %v}, "margins": [{"by": ["field"], "totals": %s}]}}`, []string{"--variance", "jkn"}},
		{`{"calibrate": {"method": "logit", "bounds": [0.5, 1.8], "numeric": {"age": %v}, "margins": [{"by": ["field"], "totals": %s}]}}`, []string{"--variance", "bootstrap", "--replicates", "30", "--seed", "3"}},
	} {
		spec := writeFile(t, dir, c.v[1]+".json", fmt.Sprintf(`{"design_weight": "weight", "steps": [`+c.step+`]}`, ageTotal*1.02, field))
		indexNewtonStreamSame(t, in, spec, c.v, "solve every replicate's calibration by its Newton iterations")
	}
}

// indexNewtonStreamSame runs sipas index on in with the weighting spec
// and the replicate flags v (--variance jkn, or bootstrap with 30
// replicates and seed 3) on the stratified PSU fixture design by level,
// in memory and streamed, and checks that the streamed run says its
// passes (newtonPassCount) and also say, and prints every number of the
// in-memory run at 1e-12.
func indexNewtonStreamSame(t *testing.T, in, spec string, v []string, say string) {
	t.Helper()
	args := append([]string{"--in", in, "--weighting", spec, "--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--nest", "--by", "level"}, v...)
	mem, str, stderr := indexBothWays(t, fmt.Sprint(v), args)
	ds := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc", Nest: true, Variance: sampling.JKn}
	if v[1] == "bootstrap" {
		ds.Variance, ds.Replicates, ds.Seed = sampling.Bootstrap, 30, 3
	}
	want := fmt.Sprintf("sipas index: streaming %s in %d passes (the calibration needs every row:", in, newtonPassCount(t, in, spec, ds))
	if !strings.Contains(stderr, want) || !strings.Contains(stderr, say) {
		t.Errorf("%v: stderr %q does not say %q and %q", v, stderr, want, say)
	}
	sameJSONOut(t, fmt.Sprint(v), mem, str, 1e-12)
}

// TestEstimateNewtonReplicatesStreamed: estimate --weighting with a
// raking-ratio, bounded linear or logit calibration (after none or a
// nonresponse adjustment) and a replicate --variance (JKn, JK1, the
// bootstrap with a seed) streams CSV and Parquet (small row groups) in
// passes, saying so, and means, totals, ratios by domain and contrasts
// equal the in-memory run at 1e-12 on every number.
func TestEstimateNewtonReplicatesStreamed(t *testing.T) {
	dir := t.TempDir()
	calopts := filepath.Join("..", "..", "testdata", "calopts")
	strat := esSubFiles(t, dir, "strat", filepath.Join(calopts, "apistrat.csv"), 30)
	api := esSubFiles(t, dir, "api", filepath.Join(etAPI, "apistrat.csv"), 30)
	const margins = `"margins": [{"by": ["stype"], "totals": ` + popStypeW + `}], "numeric": {"enroll": 3811472}`
	cal := func(s string) string { return `{"calibrate": {` + s + `}}` }
	stratD := []string{"--strata", "stype", "--psu", "snum", "--fpc", "fpc", "--by", "stype"}
	cases := []struct {
		name, steps string
		design      []string
		files       []string
	}{
		{"raking jkn", cal(margins + `, "method": "raking"`), append([]string{"--variance", "jkn"}, stratD...), strat},
		{"bounds jk1", cal(margins + `, "bounds": [0.6, 1.6]`), []string{"--psu", "snum", "--by", "stype", "--variance", "jk1"}, strat},
		{"logit bootstrap", cal(margins + `, "method": "logit", "bounds": [0.5, 2]`), []string{"--strata", "stype", "--psu", "snum", "--by", "stype", "--variance", "bootstrap", "--replicates", "30", "--seed", "7"}, strat},
		{"nonresponse then raking jkn", `{"nonresponse": {"classes": ["stype"], "responded": "comp.imp"}}, ` + cal(margins+`, "method": "raking"`), append([]string{"--variance", "jkn"}, stratD...), api},
	}
	ests := []string{"--mean", "api00,enroll", "--total", "enroll,api00", "--ratio", "api00/enroll"}
	for i, c := range cases {
		if testing.Short() && i > 1 {
			break
		}
		ws := writeFile(t, dir, strings.ReplaceAll(c.name, " ", "_")+".json", `{"design_weight": "pw", "steps": [`+c.steps+`]}`)
		for _, f := range c.files[:2] {
			label := c.name + " " + filepath.Ext(f)
			args := append(append([]string{"--in", f, "--weighting", ws}, c.design...), ests...)
			esRun(t, label, args...)
			_, _, errs := vtRun(t, "", append([]string{"estimate", "--stream"}, args...)...)
			if !strings.Contains(errs, "sipas estimate: streaming "+f+" in ") || !strings.Contains(errs, "solve every replicate's calibration by its Newton iterations, 1 sums the rows with the replicate weights") {
				t.Errorf("%s: stderr %q does not say it streams in passes with the replicates' Newton iterations", label, errs)
			}
		}
		esRun(t, c.name+" contrasts", append(append([]string{"--in", c.files[1], "--weighting", ws}, c.design...),
			"--mean", "api00", "--total", "enroll", "--ratio", "api00/enroll", "--contrast", "pairs")...)
	}
}
