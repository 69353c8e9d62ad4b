package main

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/golden"
)

// TestEstimateQuantileMatchesR: --quantile with --by, --qrule and
// --quantile-ci against R svyquantile (testdata/quantile.R), in JSON, and
// the p column of the CSV output.
func TestEstimateQuantileMatchesR(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "quantile")
	want := map[string]map[string]string{}
	for _, r := range golden.Rows(t, filepath.Join(dir, "quantiles.csv")) {
		want[strings.Join([]string{r["design"], r["rule"], r["interval"], r["var"], r["domain"], r["p"]}, " ")] = r
	}
	type out struct {
		Estimates []struct {
			Statistic, Variable string
			Domain              map[string]string
			P                   *float64
			Estimate, SE        *float64
			CILow               *float64 `json:"ci_low"`
			CIHigh              *float64 `json:"ci_high"`
			DF                  int
		} `json:"estimates"`
	}
	for _, c := range []struct {
		design, rule, interval, by string
		args                       []string
	}{
		{"sipas", "math", "mean", "field", []string{"--in", filepath.Join(dir, "sipas.csv"), "--weight", "w", "--strata", "province", "--psu", "commune"}},
		{"sipas", "hf7", "mean", "", []string{"--in", filepath.Join(dir, "sipas.csv"), "--weight", "w", "--strata", "province", "--psu", "commune", "--qrule", "hf7"}},
		{"jkn", "math", "quantile", "stype", []string{"--in", filepath.Join(dir, "apistrat.csv"), "--weight", "pw", "--strata", "stype", "--fpc", "fpc",
			"--variance", "jkn", "--mse=false", "--quantile-ci", "replicate"}},
	} {
		vars := map[string]string{"sipas": "wait", "jkn": "api00"}
		args := append([]string{"estimate"}, c.args...)
		args = append(args, "--quantile", vars[c.design]+":0.25,0.5,0.9")
		if c.by != "" {
			args = append(args, "--by", c.by)
		}
		code, stdout, stderr := vtRun(t, "", args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		var o out
		if err := json.Unmarshal([]byte(stdout), &o); err != nil {
			t.Fatal(err)
		}
		if len(o.Estimates) == 0 {
			t.Fatalf("%v: no estimates", args)
		}
		for _, e := range o.Estimates {
			if e.Statistic != "quantile" || e.P == nil {
				t.Fatalf("%v: row %+v", args, e)
			}
			k := strings.Join([]string{c.design, c.rule, c.interval, e.Variable, e.Domain[c.by], strconv.FormatFloat(*e.P, 'g', -1, 64)}, " ")
			r, ok := want[k]
			if !ok {
				t.Fatalf("no golden %q", k)
			}
			for _, f := range []struct {
				name string
				got  *float64
			}{{"est", e.Estimate}, {"se", e.SE}, {"lo", e.CILow}, {"hi", e.CIHigh}} {
				w := golden.Float(t, r[f.name])
				if f.got == nil {
					if w == w {
						t.Errorf("%s %s: null, R %v", k, f.name, w)
					}
					continue
				}
				if !golden.Close(*f.got, w, 1e-9) {
					t.Errorf("%s %s: %v, R %v", k, f.name, *f.got, w)
				}
			}
		}
	}
	code, stdout, stderr := vtRun(t, "", "estimate", "--in", filepath.Join(dir, "sipas.csv"), "--weight", "w", "--strata", "province",
		"--psu", "commune", "--mean", "visits", "--quantile", "cost:0.5", "--format", "csv")
	if code != 0 {
		t.Fatalf("csv: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "statistic,variable,p,estimate") ||
		!strings.HasPrefix(lines[1], "mean,visits,,") || !strings.HasPrefix(lines[2], "quantile,cost,0.5,") {
		t.Errorf("csv output:\n%s", stdout)
	}
	for _, bad := range [][]string{{"--quantile", "cost:0.5,2"}, {"--quantile", ":0.5"}, {"--quantile", "cost", "--qrule", "hf9"},
		{"--quantile", "cost", "--quantile-ci", "replicate"}} {
		args := append([]string{"estimate", "--in", filepath.Join(dir, "sipas.csv"), "--weight", "w"}, bad...)
		if code, _, stderr := vtRun(t, "", args...); code != 2 || stderr == "" {
			t.Errorf("%v: exit %d, %s", bad, code, stderr)
		}
	}
}
