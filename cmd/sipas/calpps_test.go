package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/golden"
)

// TestEstimateCalibratedPPSStagesMatchR: a --weighting calibration to an
// intercept and a numeric total (linear and raking-ratio) of designs with
// a PPS first stage (Brewer's, Overton's and the Horvitz–Thompson
// variance; with strata) and of a two-stage design with an fpc at both
// stages (linearized, and by JK1 replicates of its first stage, each
// calibrated again): means, totals, ratios and domain means against R survey's
// calibrate (testdata/calpps.R) at 1e-9, read into memory and streamed in
// passes over the file (--stream, which says so).
func TestEstimateCalibratedPPSStagesMatchR(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "calpps")
	want := map[string]map[string]string{}
	for _, r := range golden.Rows(t, filepath.Join(dir, "goldens.csv")) {
		want[r["design"]+" "+r["stat"]+" "+r["var"]+" "+r["domain"]] = r
	}
	tmp := t.TempDir()
	type tc struct {
		design, in, weight, num, total, mean, ratio, by string
		flags                                           []string
	}
	el := filepath.Join(dir, "election.csv")
	elFlags := []string{"--psu", "County", "--fpc", "p"}
	cases := []tc{
		{"el_brewer", el, "w", "votes", "122000000", "Kerry", "Bush/votes", "", append(elFlags, "--pps", "brewer")},
		{"el_overton", el, "w", "votes", "122000000", "Kerry", "Bush/votes", "", append(elFlags, "--pps", "overton")},
		{"el_ht", el, "w", "votes", "122000000", "Kerry", "Bush/votes", "", []string{"--psu", "County", "--pps", "ht", "--joint-prob", filepath.Join(dir, "election_joint.csv")}},
		{"clus_brewer", filepath.Join(dir, "clus.csv"), "w", "enroll", "310000", "api00", "api00/api99", "yes", []string{"--strata", "str", "--psu", "dnum", "--fpc", "pi", "--pps", "brewer"}},
		{"clus2", filepath.Join(dir, "clus2.csv"), "pw", "enroll", "3811472", "api00", "api00/api99", "stype", []string{"--psu", "dnum,snum", "--fpc", "fpc1,fpc2"}},
		{"clus2_jk1", filepath.Join(dir, "clus2.csv"), "pw", "enroll", "3811472", "api00", "api00/api99", "stype", []string{"--psu", "dnum,snum", "--fpc", "fpc1,fpc2", "--variance", "jk1"}},
	}
	ones := map[string]string{"el": "4600", "clus": "700", "clus2": "6194"}
	compared := 0
	for _, c := range cases {
		total := map[string]string{"el": "Bush", "clus": "yes", "clus2": "ell"}
		key := strings.SplitN(c.design, "_", 2)[0]
		for _, method := range []string{"linear", "raking"} {
			name := c.design + "_" + method
			if want[name+" mean "+c.mean+" "] == nil {
				continue // R's overton is run linear only
			}
			ws := writeFile(t, tmp, name+".json", fmt.Sprintf(`{"design_weight": %q, "steps": [{"calibrate": {"method": %q, "numeric": {"one": %s, %q: %s}, "epsilon": 1e-13, "max_iter": 200}}]}`,
				c.weight, method, ones[key], c.num, c.total))
			args := append([]string{"estimate", "--in", c.in, "--weighting", ws, "--mean", c.mean, "--total", total[key], "--ratio", c.ratio}, c.flags...)
			runs := [][]string{args}
			if c.by != "" {
				runs = append(runs, append([]string{"estimate", "--in", c.in, "--weighting", ws, "--mean", c.mean, "--by", c.by}, c.flags...))
			}
			for _, run := range runs {
				for _, extra := range [][]string{nil, {"--stream"}} {
					code, stdout, stderr := vtRun(t, "", append(append([]string(nil), run...), extra...)...)
					if code != 0 {
						t.Fatalf("%s %v: exit %d: %s", name, extra, code, stderr)
					}
					if streamed := strings.Contains(stderr, "streaming") && strings.Contains(stderr, "passes"); streamed != (extra != nil) {
						t.Errorf("%s %v: stderr %q", name, extra, stderr)
					}
					var out etOut
					if err := json.Unmarshal([]byte(stdout), &out); err != nil {
						t.Fatal(err)
					}
					for _, e := range out.Estimates {
						k := name + " " + e.Statistic + " " + e.Variable + " " + e.Domain[c.by]
						r := want[k]
						if r == nil {
							t.Fatalf("no golden for %s", k)
						}
						compared++
						if !golden.Close(*e.Estimate, golden.Float(t, r["est"]), 1e-9) || !golden.Close(*e.SE, golden.Float(t, r["se"]), 1e-9) {
							t.Errorf("%s %v: %v (SE %v), R %s (SE %s)", k, extra, *e.Estimate, *e.SE, r["est"], r["se"])
						}
					}
				}
			}
		}
	}
	if compared < 2*len(want) {
		t.Errorf("%d comparisons, want each of the %d goldens in memory and streamed", compared, len(want))
	}
}
