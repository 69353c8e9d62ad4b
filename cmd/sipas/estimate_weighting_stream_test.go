package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestEstimateWeightingStreamed: estimate --weighting streams for the
// steps whose factors are constant on cells of classes (nonresponse,
// post-stratification, raking, category calibration with and without
// bounds, trimming): means, totals, ratios, by domain, and contrasts,
// streamed from the per-(stratum, PSU, domain, class) sums of the design
// weights of CSV and Parquet (small row groups), equal the in-memory
// estimates of the weighted design to 1e-12 on every number (estimate,
// SE, interval, design effect); the run says on stderr that it streams.
func TestEstimateWeightingStreamed(t *testing.T) {
	dir := t.TempDir()
	clus1 := esFiles(t, dir, filepath.Join(etAPI, "apiclus1.csv"), 40)
	strat := esFiles(t, dir, filepath.Join(etAPI, "apistrat.csv"), 30)
	specs := esWeightingSpecs("[0.85, 1.7]")
	ests := []string{"--mean", "api00,yes,acs.k3", "--total", "enroll,yes", "--ratio", "api00/api99,yes/comp.one"}
	for name, spec := range specs {
		ws := writeFile(t, dir, name+".json", spec)
		for _, f := range []string{clus1[0], clus1[1], strat[1]} {
			design := []string{"--psu", "dnum", "--fpc", "fpc", "--by", "stype"}
			if strings.Contains(f, "apistrat") {
				design = []string{"--strata", "stype", "--psu", "snum", "--fpc", "fpc", "--by", "comp.imp"}
			}
			label := name + " " + filepath.Base(f)
			args := append(append([]string{"--in", f, "--weighting", ws}, design...), ests...)
			esRun(t, label, args...)
			if _, _, errs := vtRun(t, "", append([]string{"estimate", "--stream"}, args...)...); !strings.Contains(errs, "streaming "+f+" in one pass") {
				t.Errorf("%s: stderr %q does not say it streams", label, errs)
			}
		}
		esRun(t, name+" contrasts", "--in", clus1[1], "--weighting", ws, "--psu", "dnum", "--fpc", "fpc", "--by", "stype",
			"--mean", "api00,yes", "--total", "enroll", "--ratio", "api00/api99", "--contrast", "pairs", "--contrast", "0.5*E + 0.5*H - M")
	}
}

// esWeightingSpecs are weighting specs of the api fixtures whose steps run
// on class totals: post-stratification, raking, linear and logit category
// calibration (with the bounds given), nonresponse then
// post-stratification, raking then trimming.
func esWeightingSpecs(logitBounds string) map[string]string {
	rake := `{"rake": {"margins": [{"by": ["stype"], "totals": ` + popStypeW + `}, {"by": ["sch.wide"], "totals": {"No": 1072, "Yes": 5122}}]}}`
	return map[string]string{
		"ps":         `{"design_weight": "pw", "steps": [{"poststratify": {"by": ["stype"], "totals": ` + popStypeW + `}}]}`,
		"rake":       `{"design_weight": "pw", "steps": [` + rake + `]}`,
		"cal_linear": `{"design_weight": "pw", "steps": [{"calibrate": {"method": "linear", "margins": [{"by": ["stype"], "totals": ` + popStypeW + `}, {"by": ["sch.wide"], "totals": {"No": 1072, "Yes": 5122}}]}}]}`,
		"cal_logit":  `{"design_weight": "pw", "steps": [{"calibrate": {"method": "logit", "bounds": ` + logitBounds + `, "margins": [{"by": ["stype"], "totals": ` + popStypeW + `}]}}]}`,
		"nr_ps":      `{"design_weight": "pw", "steps": [{"nonresponse": {"classes": ["stype"], "responded": "comp.imp"}}, {"poststratify": {"by": ["stype"], "totals": ` + popStypeW + `}}]}`,
		"rake_trim":  `{"design_weight": "pw", "steps": [` + rake + `, {"trim": {"max": 1.3, "redistribute": "equal"}}]}`,
	}
}

// popStypeW are the school type totals of the weighting golden tests.
const popStypeW = `{"E": 4421, "H": 755, "M": 1018}`

// TestEstimateWeightingStreamedSynthetic: 30,000 generated rows in Parquet
// row groups of 8,192 (two workers) and as CSV, raked to province and
// stratum totals then post-stratified: streamed equals in memory at 1e-12.
func TestEstimateWeightingStreamedSynthetic(t *testing.T) {
	dir := t.TempDir()
	var prov, str []string
	for i := 0; i < 9; i++ {
		prov = append(prov, fmt.Sprintf(`"P%d": 300000`, i))
	}
	for h := 0; h < 6; h++ {
		str = append(str, fmt.Sprintf(`"S%d": %d`, h, 400000+20000*h))
	}
	ws := writeFile(t, dir, "w.json", `{"design_weight": "weight", "steps": [{"rake": {"margins": [{"by": ["province"], "totals": {`+strings.Join(prov, ", ")+
		`}}, {"by": ["stratum"], "totals": {`+strings.Join(str, ", ")+`}}]}}, {"trim": {"max": 2.5, "redistribute": "proportional"}}]}`)
	for _, in := range []string{esSynth(t, dir, "s.parquet", 30_000), esSynth(t, dir, "s.csv", 30_000)} {
		esRun(t, "rake "+filepath.Ext(in), "--in", in, "--weighting", ws, "--strata", "stratum", "--psu", "psu", "--fpc", "fpc",
			"--by", "province", "--mean", "y,yes", "--total", "y", "--ratio", "y/x")
	}
}

// TestEstimateWeightingFallsBack: a weighting that needs every row and
// that passes over the file do not solve (a raking after a second numeric
// calibration), and two numeric calibrations with a replicate variance
// are read into memory, and the run says why; a numeric calibration with
// that replicate variance streams, linear or raking followed by a
// trimming step, and so does a post-stratification after a numeric
// calibration, their output equal to the in-memory run's.
func TestEstimateWeightingFallsBack(t *testing.T) {
	dir := t.TempDir()
	clus1 := filepath.Join(etAPI, "apiclus1.csv")
	num := writeFile(t, dir, "num.json", `{"design_weight": "pw", "steps": [{"calibrate": {"margins": [{"by": ["stype"], "totals": `+popStypeW+`}], "numeric": {"enroll": 3811472}}}]}`)
	numRake := writeFile(t, dir, "numrake.json", `{"design_weight": "pw", "steps": [{"calibrate": {"method": "raking", "margins": [{"by": ["stype"], "totals": `+popStypeW+`}], "numeric": {"enroll": 3811472}}}, {"trim": {"max": 3}}]}`)
	numPS := writeFile(t, dir, "numps.json", `{"design_weight": "pw", "steps": [{"calibrate": {"numeric": {"enroll": 3811472}}}, {"poststratify": {"by": ["stype"], "totals": `+popStypeW+`}}]}`)
	numNum := writeFile(t, dir, "numnum2.json", `{"design_weight": "pw", "steps": [{"calibrate": {"numeric": {"enroll": 3811472}}}, {"calibrate": {"numeric": {"api00": 4117230}}}]}`)
	numNumRake := writeFile(t, dir, "numnum.json", `{"design_weight": "pw", "steps": [{"calibrate": {"numeric": {"enroll": 3811472}}}, {"calibrate": {"numeric": {"api00": 4117230}}}, {"rake": {"margins": [{"by": ["stype"], "totals": `+popStypeW+`}]}}]}`)
	for _, c := range []struct {
		args []string
		why  string
	}{
		{[]string{"--weighting", numNumRake, "--psu", "dnum"}, "a raking after a second calibration that needs every row is solved in memory"},
		{[]string{"--weighting", numNum, "--psu", "dnum", "--variance", "jk1"}, "a replicate variance re-runs the steps after the calibration (calibrate) on every replicate's calibrated weights: a second calibration that needs every row or bounds the final weights (steps[1])"},
	} {
		args := append([]string{"estimate", "--in", clus1, "--mean", "api00"}, c.args...)
		code, mem, errs := vtRun(t, "", args...)
		if code != 0 {
			t.Fatalf("%v: exit %d, %s", c.args, code, errs)
		}
		code, str, errs := vtRun(t, "", append(args, "--stream")...)
		if code != 0 || !strings.Contains(errs, "into memory (not streamed: ") || !strings.Contains(errs, c.why) {
			t.Errorf("%v --stream: exit %d, stderr %q; want it read into memory because of %s", c.args, code, errs, c.why)
		}
		if str != mem {
			t.Errorf("%v: the fallback printed another output", c.args)
		}
	}
	esRun(t, "linear jk1", "--in", clus1, "--mean", "api00", "--weighting", num, "--psu", "dnum", "--variance", "jk1")
	esRun(t, "numeric then poststratify", "--in", clus1, "--mean", "api00", "--weighting", numPS, "--psu", "dnum")
	esRun(t, "raking then trim jk1", "--in", clus1, "--mean", "api00", "--weighting", numRake, "--psu", "dnum", "--variance", "jk1")
}

// TestEstimateWeightingStreamsWithoutPSU: estimate --weighting --stream
// without --psu (every ballot its own PSU; post-stratified, raked, and
// nonrespondents then post-stratified; with and without --strata and
// --fpc, nationally and by domains) streams from CSV and Parquet (row
// groups of 30 rows), saying so, and prints what the in-memory run prints
// (every number within 1e-12): means (of values, of shares, with missing
// values), totals, ratios, with domain df and logit intervals, and
// contrasts between domains.
func TestEstimateWeightingStreamsWithoutPSU(t *testing.T) {
	dir := t.TempDir()
	strat := esFiles(t, dir, filepath.Join(etAPI, "apistrat.csv"), 30)
	specs := esWeightingSpecs("[0.85, 1.7]")
	ests := []string{"--mean", "api00,yes,acs.k3", "--total", "enroll,yes", "--ratio", "api00/api99,yes/comp.one,acs.k3/enroll"}
	for _, c := range []struct {
		spec   string
		design []string
		files  []string
	}{
		{"ps", []string{"--strata", "stype", "--fpc", "fpc", "--by", "comp.imp", "--ci", "logit"}, strat[:2]},
		{"rake", []string{"--strata", "stype", "--by", "stype,sch.wide", "--df", "domain"}, strat[1:2]},
		{"ps", nil, strat[:1]}, // (raked to sch.wide, the national share yes has SE 0 up to rounding)
		{"nr_ps", []string{"--by", "sch.wide"}, strat[1:2]},
		{"rake", []string{"--strata", "stype", "--fpc", "fpc", "--by", "stype", "--contrast", "pairs", "--contrast", "0.5*E + 0.5*H - M"}, strat[1:2]},
	} {
		ws := writeFile(t, dir, c.spec+".json", specs[c.spec])
		for _, f := range c.files {
			label := fmt.Sprint(c.spec, " ", c.design, " ", filepath.Ext(f))
			args := append(append([]string{"estimate", "--in", f, "--format", "json", "--weighting", ws}, c.design...), ests...)
			code, mem, errs := vtRun(t, "", args...)
			if code != 0 || strings.Contains(errs, "streaming") {
				t.Fatalf("%s in memory: exit %d, stderr %q", label, code, errs)
			}
			code, str, errs := vtRun(t, "", append(args, "--stream")...)
			if code != 0 || !strings.Contains(errs, "sipas estimate: streaming "+f+" in one pass") || !strings.Contains(errs, "every ballot is its own PSU") || strings.Contains(errs, "into memory") {
				t.Fatalf("%s streamed: exit %d, stderr %q", label, code, errs)
			}
			esSame(t, label, str, mem)
		}
	}
}
