package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestIndexNewtonReplicatesLaterStepsStreamed: sipas index --weighting with
// a calibration to a numeric variable and margins followed by a
// post-stratification (raking-ratio under JKn) or a raking (closed-form
// linear under the bootstrap with a seed), and a replicate --variance,
// streams the file in passes (stderr says how many, and that one re-runs
// each later step on every replicate's class totals) and prints what the
// in-memory run prints, every number at 1e-12.
func TestIndexNewtonReplicatesLaterStepsStreamed(t *testing.T) {
	dir := t.TempDir()
	in, ageTotal := withAge(t, dir)
	field, rtype := fieldTotals(t, in), columnTotals(t, in, "respondent_type")
	rtype1, level1 := columnTotals(t, in, "respondent_type", true), columnTotals(t, in, "level", true)
	for _, c := range []struct {
		step, later string
		v           []string
	}{
		{`{"calibrate": {"method": "raking", "numeric": {"age": %v}, "margins": [{"by": ["field"], "totals": %s}]}}`, `{"poststratify": {"by": ["respondent_type"], "totals": ` + rtype + `}}`, []string{"--variance", "jkn"}},
		{`{"calibrate": {"numeric": {"age": %v}, "margins": [{"by": ["field"], "totals": %s}]}}`, `{"rake": {"margins": [{"by": ["respondent_type"], "totals": ` + rtype1 + `}, {"by": ["level"], "totals": ` + level1 + `}]}}`, []string{"--variance", "bootstrap", "--replicates", "30", "--seed", "3"}},
	} {
		spec := writeFile(t, dir, c.v[1]+".json", fmt.Sprintf(`{"design_weight": "weight", "steps": [`+c.step+`, `+c.later+`]}`, ageTotal*1.02, field))
		indexNewtonStreamSame(t, in, spec, c.v, ", 1 re-run the steps after it on every replicate's class totals, 1 sums the ballots")
	}
}

// TestEstimateNewtonReplicatesLaterStepsStreamed: estimate --weighting
// with a calibration that needs every row followed by a
// post-stratification, a raking or a nonresponse adjustment and a
// post-stratification (raking-ratio under JKn, closed-form linear under
// JK1, bounded logit under the bootstrap) streams CSV and Parquet in
// passes, saying how many re-run the later steps, and means, totals,
// ratios by domain and contrasts equal the in-memory run at 1e-12.
func TestEstimateNewtonReplicatesLaterStepsStreamed(t *testing.T) {
	dir := t.TempDir()
	api := esSubFiles(t, dir, "api", filepath.Join(etAPI, "apistrat.csv"), 30)
	const margins = `"margins": [{"by": ["stype"], "totals": ` + popStypeW + `}], "numeric": {"enroll": 3811472}`
	const wide = `{"by": ["sch.wide"], "totals": {"No": 1000, "Yes": 5194}}`
	cal := func(s string) string { return `{"calibrate": {` + s + `}}` }
	stratD := []string{"--strata", "stype", "--psu", "snum", "--fpc", "fpc", "--by", "stype"}
	cases := []struct {
		name, steps string
		later       int
		design      []string
	}{
		{"raking then poststratify jkn", cal(margins+`, "method": "raking"`) + `, {"poststratify": ` + wide + `}`, 1, append([]string{"--variance", "jkn"}, stratD...)},
		{"linear then rake jk1", cal(`"numeric": {"enroll": 3811472}`) + `, {"rake": {"margins": [` + wide + `, {"by": ["stype"], "totals": ` + popStypeW + `}]}}`, 1, []string{"--psu", "snum", "--by", "stype", "--variance", "jk1"}},
		{"logit then nonresponse, poststratify bootstrap", cal(margins+`, "method": "logit", "bounds": [0.5, 2]`) + `, {"nonresponse": {"classes": ["stype"], "responded": "comp.imp"}}, {"poststratify": {"by": ["stype"], "totals": ` + popStypeW + `}}`, 2,
			[]string{"--strata", "stype", "--psu", "snum", "--by", "stype", "--variance", "bootstrap", "--replicates", "30", "--seed", "7"}},
	}
	ests := []string{"--mean", "api00,enroll", "--total", "enroll,api00", "--ratio", "api00/enroll"}
	for i, c := range cases {
		if testing.Short() && i > 0 {
			break
		}
		ws := writeFile(t, dir, strings.ReplaceAll(strings.ReplaceAll(c.name, " ", "_"), ",", "")+".json", `{"design_weight": "pw", "steps": [`+c.steps+`]}`)
		for _, f := range api[:2] {
			label := c.name + " " + filepath.Ext(f)
			args := append(append([]string{"--in", f, "--weighting", ws}, c.design...), ests...)
			esRun(t, label, args...)
			_, _, errs := vtRun(t, "", append([]string{"estimate", "--stream"}, args...)...)
			if !strings.Contains(errs, "sipas estimate: streaming "+f+" in ") || !strings.Contains(errs, fmt.Sprintf(", %d re-run the steps after it on every replicate's class totals, 1 sums the rows with the replicate weights", c.later)) {
				t.Errorf("%s: stderr %q does not say it streams in passes re-running the later steps", label, errs)
			}
		}
		esRun(t, c.name+" contrasts", append(append([]string{"--in", api[1], "--weighting", ws}, c.design...),
			"--mean", "api00", "--total", "enroll", "--ratio", "api00/enroll", "--contrast", "pairs")...)
	}
}
