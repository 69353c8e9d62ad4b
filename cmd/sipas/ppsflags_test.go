package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/golden"
)

// TestEstimatePPSMatchesR: --pps brewer and --pps ht --joint-prob against
// R (testdata/pps.R), read into memory and streamed (--stream, which says
// so).
func TestEstimatePPSMatchesR(t *testing.T) {
	for _, extra := range [][]string{nil, {"--stream"}} {
		estimatePPSMatchesR(t, extra)
	}
}

func estimatePPSMatchesR(t *testing.T, extra []string) {
	dir := filepath.Join("..", "..", "testdata", "pps")
	want := map[string]map[string]string{}
	for _, r := range golden.Rows(t, filepath.Join(dir, "goldens.csv")) {
		want[r["design"]+" "+r["stat"]+" "+r["var"]] = r
	}
	for _, c := range []struct {
		design string
		args   []string
	}{
		{"clus_brewer", []string{"--in", filepath.Join(dir, "clus.csv"), "--weight", "w", "--strata", "str", "--psu", "dnum", "--fpc", "pi", "--pps", "brewer", "--mean", "api00"}},
		{"clus_overton", []string{"--in", filepath.Join(dir, "clus.csv"), "--weight", "w", "--strata", "str", "--psu", "dnum", "--fpc", "pi", "--pps", "overton", "--mean", "api00"}},
		{"el_ht", []string{"--in", filepath.Join(dir, "election.csv"), "--weight", "w", "--psu", "County", "--pps", "ht", "--joint-prob", filepath.Join(dir, "election_joint.csv"), "--total", "Bush"}},
	} {
		code, stdout, stderr := vtRun(t, "", append(append([]string{"estimate"}, c.args...), extra...)...)
		if code != 0 {
			t.Fatalf("%s %v: exit %d: %s", c.design, extra, code, stderr)
		}
		if streamed := strings.Contains(stderr, "streaming") && strings.Contains(stderr, "PPS"); streamed != (extra != nil) {
			t.Errorf("%s %v: stderr %q", c.design, extra, stderr)
		}
		var out etOut
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatal(err)
		}
		e := out.Estimates[0]
		r := want[c.design+" "+e.Statistic+" "+e.Variable]
		if r == nil {
			t.Fatalf("%s: no golden for %s %s", c.design, e.Statistic, e.Variable)
		}
		if !golden.Close(*e.Estimate, golden.Float(t, r["est"]), 1e-9) || !golden.Close(*e.SE, golden.Float(t, r["se"]), 1e-9) {
			t.Errorf("%s %v: %v (SE %v), R %s (SE %s)", c.design, extra, *e.Estimate, *e.SE, r["est"], r["se"])
		}
	}
}

func TestEstimatePPSUsage(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "pps")
	bad := filepath.Join(t.TempDir(), "joint.csv")
	if err := os.WriteFile(bad, []byte("psu_a,psu_b,pi\nAlameda,Alameda,1.5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	el := []string{"--in", filepath.Join(dir, "election.csv"), "--weight", "w", "--psu", "County", "--total", "Bush"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{append(el, "--pps", "pareto"), "--pps"},
		{append(el, "--pps", "ht"), "--joint-prob"},
		{append(el, "--pps", "brewer"), "needs --fpc"},
		{append(el, "--pps", "brewer", "--fpc", "p", "--joint-prob", bad), "--joint-prob is for"},
		{append(el, "--pps", "ht", "--joint-prob", bad), "row 2: pi is 1.5"},
		{append(el, "--pps", "ht", "--joint-prob", filepath.Join(dir, "nosuch.csv")), "nosuch.csv"},
	} {
		code, stdout, stderr := vtRun(t, "", append([]string{"estimate"}, c.args...)...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", c.args[len(el):], code, stderr, c.want)
		}
	}
}
