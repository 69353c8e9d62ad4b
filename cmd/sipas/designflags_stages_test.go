package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/golden"
)

// TestEstimateMultistageMatchesR: --psu dnum,snum --fpc fpc1,fpc2 gives R's
// full multistage variance (testdata/multistage.R, design clus2), read into
// memory and streamed (--stream, which says so).
func TestEstimateMultistageMatchesR(t *testing.T) {
	for _, extra := range [][]string{nil, {"--stream"}} {
		estimateMultistageMatchesR(t, extra)
	}
}

func estimateMultistageMatchesR(t *testing.T, extra []string) {
	dir := filepath.Join("..", "..", "testdata", "multistage")
	code, stdout, stderr := vtRun(t, "", append([]string{"estimate", "--in", filepath.Join(dir, "apiclus2.csv"),
		"--weight", "pw", "--psu", "dnum,snum", "--fpc", "fpc1,fpc2", "--mean", "api00,enroll", "--total", "api00"}, extra...)...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", extra, code, stderr)
	}
	if streamed := strings.Contains(stderr, "streaming") && strings.Contains(stderr, "multistage"); streamed != (extra != nil) {
		t.Errorf("%v: stderr %q", extra, stderr)
	}
	var out etOut
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	want := map[string][2]float64{}
	for _, r := range golden.Rows(t, filepath.Join(dir, "goldens.csv")) {
		if r["design"] == "clus2" && r["domain"] == "" {
			want[r["stat"]+" "+r["var"]] = [2]float64{golden.Float(t, r["est"]), golden.Float(t, r["se"])}
		}
	}
	if len(out.Estimates) != 3 {
		t.Fatalf("%d estimates", len(out.Estimates))
	}
	for _, e := range out.Estimates {
		w, ok := want[e.Statistic+" "+e.Variable]
		if !ok {
			t.Fatalf("no golden for %s %s", e.Statistic, e.Variable)
		}
		if !golden.Close(*e.Estimate, w[0], 1e-9) || !golden.Close(*e.SE, w[1], 1e-9) {
			t.Errorf("%v: %s %s: %v (SE %v), R %v (SE %v)", extra, e.Statistic, e.Variable, *e.Estimate, *e.SE, w[0], w[1])
		}
	}
}

func TestEstimateStagesUsage(t *testing.T) {
	in := filepath.Join("..", "..", "testdata", "multistage", "apiclus2.csv")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--psu", "dnum,snum", "--fpc", "fpc1"}, "one fpc column per stage"},
		{[]string{"--psu", "dnum", "--fpc", "fpc1,fpc2"}, "one fpc column per --psu stage"},
		{[]string{"--psu", "dnum,nosuch", "--fpc", "fpc1,fpc2"}, "nosuch"},
	} {
		args := append([]string{"estimate", "--in", in, "--weight", "pw", "--mean", "api00"}, c.args...)
		code, stdout, stderr := vtRun(t, "", args...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", c.args, code, stderr, c.want)
		}
	}
}
