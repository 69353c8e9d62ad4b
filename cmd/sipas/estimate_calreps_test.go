package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestEstimateCalibratedReplicatesStreamed: estimate --weighting with an
// unbounded linear calibration that needs every row (numeric variables,
// a working-model variance; after none, a post-stratification or a
// nonresponse adjustment) and a replicate --variance (JKn, JK1, the
// bootstrap with a seed) streams CSV and Parquet (small row groups) in
// passes: stderr says how many, and means, totals, ratios by domain and
// contrasts equal the in-memory run at 1e-12 on every number (estimate,
// SE, interval, design effect, df). A trimming step after the calibration
// with a replicate variance is read into memory, saying why.
func TestEstimateCalibratedReplicatesStreamed(t *testing.T) {
	dir := t.TempDir()
	calopts := filepath.Join("..", "..", "testdata", "calopts")
	strat := esSubFiles(t, dir, "strat", filepath.Join(calopts, "apistrat.csv"), 30)
	api := esSubFiles(t, dir, "api", filepath.Join(etAPI, "apistrat.csv"), 30)
	const margins = `"margins": [{"by": ["stype"], "totals": ` + popStypeW + `}], "numeric": {"enroll": 3811472}`
	cal := func(s string) string { return `{"calibrate": {` + s + `}}` }
	stratD := []string{"--strata", "stype", "--psu", "snum", "--fpc", "fpc", "--by", "stype"}
	cases := []struct {
		name, steps, passes string
		design              []string
		files               []string
	}{
		{"margins numeric jkn", cal(margins), "in 5 passes", append([]string{"--variance", "jkn"}, stratD...), strat},
		{"ratio variance jk1", cal(`"numeric": {"enroll": 3811472}, "variance": "enroll"`), "", []string{"--psu", "snum", "--by", "stype", "--variance", "jk1"}, strat},
		{"margins numeric bootstrap", cal(margins), "", []string{"--strata", "stype", "--psu", "snum", "--by", "stype", "--variance", "bootstrap", "--replicates", "30", "--seed", "7"}, strat},
		{"poststratify then numeric jkn", `{"poststratify": {"by": ["stype"], "totals": ` + popStypeW + `}}, ` + cal(`"numeric": {"enroll": 3811472}, "variance": "enroll"`), "", append([]string{"--variance", "jkn"}, stratD...), strat},
		{"nonresponse then linear jkn", `{"nonresponse": {"classes": ["stype"], "responded": "comp.imp"}}, ` + cal(margins), "", append([]string{"--variance", "jkn"}, stratD...), api},
	}
	ests := []string{"--mean", "api00,enroll", "--total", "enroll,api00", "--ratio", "api00/enroll"}
	for _, c := range cases {
		ws := writeFile(t, dir, strings.ReplaceAll(c.name, " ", "_")+".json", `{"design_weight": "pw", "steps": [`+c.steps+`]}`)
		for _, f := range c.files[:2] {
			label := c.name + " " + filepath.Ext(f)
			args := append(append([]string{"--in", f, "--weighting", ws}, c.design...), ests...)
			esRun(t, label, args...)
			_, _, errs := vtRun(t, "", append([]string{"estimate", "--stream"}, args...)...)
			if !strings.Contains(errs, "sipas estimate: streaming "+f+" in ") || !strings.Contains(errs, "1 checks the replicate weights") {
				t.Errorf("%s: stderr %q does not say it streams in passes with the replicates' check", label, errs)
			}
			if c.passes != "" && !strings.Contains(errs, c.passes) {
				t.Errorf("%s: stderr %q does not say %q", label, errs, c.passes)
			}
		}
		esRun(t, c.name+" contrasts", append(append([]string{"--in", c.files[1], "--weighting", ws}, c.design...),
			"--mean", "api00", "--total", "enroll", "--ratio", "api00/enroll", "--contrast", "pairs")...)
	}
	// a trim step after the calibration: every replicate trims its own
	// weights in passes over the rows (streamed, saying so)
	trimmed := writeFile(t, dir, "trimmed.json", `{"design_weight": "pw", "steps": [`+cal(margins)+`, {"trim": {"max": 3}}]}`)
	targs := []string{"--in", strat[0], "--weighting", trimmed, "--strata", "stype", "--psu", "snum", "--variance", "jkn", "--mean", "api00"}
	esRun(t, "trim after the calibration jkn", targs...)
	code, _, errs := vtRun(t, "", append([]string{"estimate", "--stream"}, targs...)...)
	if code != 0 || !strings.Contains(errs, "re-run the steps after it on every replicate's class totals") {
		t.Errorf("a trim step after the calibration with jkn: exit %d, stderr %q; want it streamed, the later step's passes named", code, errs)
	}
}
