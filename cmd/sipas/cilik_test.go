package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/golden"
)

// TestEstimateLikelihood: estimate --ci likelihood gives R svyciprop(method
// = "likelihood") (testdata/cilik.R), overall and by domain on the
// domain's df; index --from-sums refuses it (the sums carry no ballots).
func TestEstimateLikelihood(t *testing.T) {
	want := map[string]map[string]string{}
	for _, r := range golden.Rows(t, filepath.Join("..", "..", "testdata", "cilik", "goldens.csv")) {
		want[r["design"]+" "+r["var"]+" "+r["domain"]+" "+r["level"]] = r
	}
	args := []string{"estimate", "--in", filepath.Join("..", "..", "testdata", "cilik", "apistrat.csv"), "--weight", "pw",
		"--strata", "stype", "--psu", "dnum", "--fpc", "psufpc", "--nest", "--mean", "half,rare", "--ci", "likelihood", "--level", "0.9"}
	for _, by := range []string{"", "stype"} {
		a := args
		if by != "" {
			a = append(a[:len(a):len(a)], "--by", by, "--df", "domain")
		}
		code, stdout, stderr := vtRun(t, "", a...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", a, code, stderr)
		}
		var out etOut
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range out.Estimates {
			dom := ""
			if by != "" {
				dom = "stype=" + e.Domain["stype"]
			}
			r, ok := want["stratclus "+e.Variable+" "+dom+" 0.9"]
			if !ok {
				continue // a share of 0 in a domain: no R interval
			}
			n++
			for _, c := range []struct {
				name string
				got  *float64
				want string
			}{{"lo", e.CILow, r["lo"]}, {"hi", e.CIHigh, r["hi"]}} {
				if c.got == nil || !golden.Close(*c.got, golden.Float(t, c.want), 1e-7) {
					t.Errorf("%s %s %s: %v, R %s", e.Variable, dom, c.name, c.got, c.want)
				}
			}
		}
		if n < 2 {
			t.Errorf("by %q: only %d estimates checked", by, n)
		}
	}
	code, _, stderr := vtRun(t, "", "index", "--from-sums", filepath.Join(t.TempDir(), "sums.parquet"), "--strata", "stratum", "--psu", "psu", "--ci", "likelihood")
	if code != 2 || !strings.Contains(stderr, "--ci likelihood") {
		t.Errorf("index --from-sums --ci likelihood: exit %d, %s", code, stderr)
	}
}
