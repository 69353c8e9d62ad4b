package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/golden"
)

// TestEstimateOptionsMatchR: --var, --deff srswor, --df normal and --ci
// asin against R (testdata/options.R).
func TestEstimateOptionsMatchR(t *testing.T) {
	want := map[string]map[string]string{}
	for _, r := range golden.Rows(t, filepath.Join("..", "..", "testdata", "options", "goldens.csv")) {
		want[r["case"]+" "+r["design"]+" "+r["stat"]+" "+r["var"]+" "+r["domain"]] = r
	}
	strat := []string{"estimate", "--in", filepath.Join(etAPI, "apistrat.csv"), "--weight", "pw", "--strata", "stype"}
	run := func(args ...string) etOut {
		t.Helper()
		code, stdout, stderr := vtRun(t, "", append(append([]string{}, strat...), args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		var out etOut
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	check := func(name string, got float64, want string) {
		t.Helper()
		if !golden.Close(got, golden.Float(t, want), 1e-9) {
			t.Errorf("%s: %v, R %s", name, got, want)
		}
	}
	out := run("--var", "api00", "--by", "stype")
	for _, e := range out.Estimates {
		r := want["svyvar strat var api00 stype="+e.Domain["stype"]]
		check("var "+e.Domain["stype"], *e.Estimate, r["est"])
		check("var SE "+e.Domain["stype"], *e.SE, r["se"])
	}
	out = run("--mean", "api00", "--deff", "srswor")
	check("deff srswor", *out.Estimates[0].Deff, want["deffwor strat mean api00 "]["extra"])
	out = run("--mean", "api00", "--df", "normal")
	check("normal lo", *out.Estimates[0].CILow, want["normal strat mean api00 "]["lo"])
	out = run("--mean", "yes", "--ci", "asin", "--level", "0.9")
	check("asin hi", *out.Estimates[0].CIHigh, want["ciprop strat asin yes 0.9"]["hi"])

	code, _, stderr := vtRun(t, "", append(append([]string{}, strat...), "--mean", "api00", "--deff", "wor")...)
	if code != 2 || !strings.Contains(stderr, "--deff") {
		t.Errorf("--deff wor: exit %d, %s", code, stderr)
	}
}
