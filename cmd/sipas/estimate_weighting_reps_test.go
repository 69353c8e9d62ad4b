package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

// TestEstimateWeightingReplicatesStreamed: estimate --weighting with a
// replicate variance built from the design (JK1, JKn, bootstrap and
// subbootstrap with a fixed seed, BRR, Fay) streams for the class-cell steps (nonresponse,
// post-stratification, raking, category calibration with and without
// bounds, trimming): every step re-runs on every replicate's cell totals,
// and the means, totals, ratios by domain, their domain degrees of
// freedom and the contrasts, streamed from CSV and Parquet in several row
// groups, equal the in-memory estimates of the weighted replicate design
// to 1e-12 on every number (estimate, SE, interval, design effect, df);
// the run says on stderr that it streams.
func TestEstimateWeightingReplicatesStreamed(t *testing.T) {
	dir := t.TempDir()
	clus1 := esFiles(t, dir, filepath.Join(etAPI, "apiclus1.csv"), 40)[:2]
	strat := esFiles(t, dir, filepath.Join(etAPI, "apistrat.csv"), 30)[:2]
	// the bootstrap's replicates need wider bounds
	specs := esWeightingSpecs("[0.2, 8]")
	ests := []string{"--mean", "api00,yes,acs.k3", "--total", "enroll,yes", "--ratio", "api00/api99,yes/comp.one"}
	boot := []string{"--variance", "bootstrap", "--replicates", "40", "--seed", "11"}
	designs := []struct {
		name  string
		files []string
		args  []string
	}{
		{"clus1 jk1", clus1, []string{"--psu", "dnum", "--fpc", "fpc", "--by", "stype", "--variance", "jk1"}},
		{"clus1 jkn mse=false domain df", clus1, []string{"--psu", "dnum", "--fpc", "fpc", "--by", "stype", "--variance", "jkn", "--mse=false", "--df", "domain"}},
		{"strat jkn", strat, []string{"--strata", "stype", "--psu", "snum", "--fpc", "fpc", "--by", "comp.imp", "--variance", "jkn", "--df", "domain"}},
		{"strat bootstrap", strat, append([]string{"--strata", "stype", "--psu", "snum", "--fpc", "fpc", "--by", "comp.imp"}, boot...)},
		{"strat brr", strat, []string{"--strata", "stype", "--psu", "pair", "--by", "comp.imp", "--variance", "brr", "--df", "domain"}},
		{"strat fay", strat[1:], []string{"--strata", "stype", "--psu", "pair", "--by", "comp.imp", "--variance", "fay", "--fay-rho", "0.3"}},
		{"strat subbootstrap", strat[:1], []string{"--strata", "stype", "--psu", "snum", "--fpc", "fpc", "--by", "comp.imp", "--variance", "subbootstrap", "--replicates", "30", "--seed", "3"}},
	}
	for name, spec := range specs {
		ws := writeFile(t, dir, name+".json", spec)
		for _, d := range designs {
			for _, f := range d.files {
				label := name + " " + d.name + " " + filepath.Ext(f)
				esRun(t, label, append(append([]string{"--in", f, "--weighting", ws}, d.args...), ests...)...)
			}
		}
		args := []string{"--in", strat[1], "--weighting", ws, "--strata", "stype", "--psu", "snum", "--fpc", "fpc", "--by", "comp.imp", "--variance", "jkn", "--mean", "api00"}
		if _, _, errs := vtRun(t, "", append([]string{"estimate", "--stream"}, args...)...); !strings.Contains(errs, "streaming "+strat[1]+" in one pass") || !strings.Contains(errs, "every replicate") {
			t.Errorf("%s: stderr %q does not say it streams and re-runs the steps on the replicates", name, errs)
		}
		cest := []string{"--mean", "api00,yes", "--total", "enroll", "--ratio", "api00/api99", "--contrast", "pairs"}
		esRun(t, name+" contrasts jk1", append(append([]string{"--in", clus1[1], "--weighting", ws, "--psu", "dnum", "--fpc", "fpc", "--by", "stype", "--variance", "jk1"}, cest...),
			"--contrast", "0.5*E + 0.5*H - M")...)
		esRun(t, name+" contrasts bootstrap", append(append([]string{"--in", strat[1], "--weighting", ws, "--strata", "stype", "--psu", "snum", "--by", "comp.imp"}, boot...), cest...)...)
	}
}

// TestEstimateWeightingReplicatesStreamedSynthetic: 20,000 generated rows
// in Parquet row groups of 8,192 (three groups, two workers) and as CSV,
// raked to province and stratum totals then trimmed, under JKn (150
// replicates) and the bootstrap: streamed equals in memory at 1e-12
// (30,000 rows before: the in-memory JKn replicates were the cost, and
// three row groups read by two workers are the same path).
func TestEstimateWeightingReplicatesStreamedSynthetic(t *testing.T) {
	dir := t.TempDir()
	var prov, str []string
	for i := 0; i < 9; i++ {
		prov = append(prov, `"P`+strconv.Itoa(i)+`": 300000`)
	}
	for h := 0; h < 6; h++ {
		str = append(str, `"S`+strconv.Itoa(h)+`": `+strconv.Itoa(400000+20000*h))
	}
	ws := writeFile(t, dir, "w.json", `{"design_weight": "weight", "steps": [{"rake": {"margins": [{"by": ["province"], "totals": {`+strings.Join(prov, ", ")+
		`}}, {"by": ["stratum"], "totals": {`+strings.Join(str, ", ")+`}}]}}, {"trim": {"max": 2.5, "redistribute": "proportional"}}]}`)
	pq, csv := esSynth(t, dir, "s.parquet", 20_000), esSynth(t, dir, "s.csv", 20_000)
	for _, c := range []struct {
		in   string
		args []string
	}{
		{pq, []string{"--variance", "jkn"}},
		{csv, []string{"--variance", "bootstrap", "--replicates", "30", "--seed", "5"}},
	} {
		esRun(t, c.args[1]+" "+filepath.Ext(c.in), append([]string{"--in", c.in, "--weighting", ws, "--strata", "stratum", "--psu", "psu", "--fpc", "fpc",
			"--by", "province", "--mean", "y,yes", "--total", "y", "--ratio", "y/x"}, c.args...)...)
	}
}

// TestEstimateWeightingReplicatesStreamedMatchR: streamed, the replicate
// estimates after weighting equal R's (survey 4.1.1) at 1e-9: JKn with
// mse on the SIPAS fixture (stratified, fpc) after post-stratification,
// raking and linear and logit category calibration (se_sipas.csv), and
// JK1 on apiclus1 after post-stratification and raking, mse false and
// true, mean and total (se_rep_apiclus1.csv).
func TestEstimateWeightingReplicatesStreamedMatchR(t *testing.T) {
	check := func(label string, out etOut, g []string) {
		t.Helper()
		wantEst, _ := strconv.ParseFloat(g[0], 64)
		wantSE, _ := strconv.ParseFloat(g[1], 64)
		e := out.Estimates[0]
		if !scalar.EqualWithinAbsOrRel(*e.Estimate, wantEst, 0, 1e-9) || !scalar.EqualWithinAbsOrRel(*e.SE, wantSE, 0, 1e-9) {
			t.Errorf("%s: %.15g (SE %.15g), R %.15g (%.15g)", label, *e.Estimate, *e.SE, wantEst, wantSE)
		}
	}
	golden := wfGolden(t, "se_sipas.csv", 2)
	in := filepath.Join("..", "..", "testdata", "index", "sipas_small.csv")
	for _, cs := range []string{"ps", "rake", "cal_linear", "cal_logit"} {
		spec := filepath.Join(wtGoldenDir, "sipas_"+cs+".json")
		out := wfEstimate(t, "--stream", "--in", in, "--weighting", spec, "--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--nest",
			"--variance", "jkn", "--mean", "access_1")
		check(cs, out, golden[cs+"|jkn_mse"])
	}
	dir := t.TempDir()
	golden = wfGolden(t, "se_rep_apiclus1.csv", 4)
	for cs, step := range map[string]string{"ps": `{"poststratify": {"by": ["stype"], "totals": ` + wtPopStype + `}}`, "rake": wtRakeStep} {
		spec := writeFile(t, dir, cs+".json", `{"design_weight": "pw", "steps": [`+step+`]}`)
		for _, mse := range []string{"FALSE", "TRUE"} {
			for _, est := range [][2]string{{"mean", "api00"}, {"total", "enroll"}} {
				out := wfEstimate(t, "--stream", "--in", filepath.Join(etAPI, "apiclus1.csv"), "--weighting", spec, "--psu", "dnum", "--fpc", "fpc",
					"--variance", "jk1", "--mse="+strings.ToLower(mse), "--"+est[0], est[1])
				check(cs+" "+mse+" "+est[0], out, golden[cs+"|"+mse+"|"+est[0]+"|"+est[1]])
			}
		}
	}
}

// TestEstimateWeightingReplicateColumns: replicate weights given as
// columns and a weighting exclude each other (the weighting makes its
// replicates from the design), streamed or not: exit 2, the same message,
// nothing on standard output.
func TestEstimateWeightingReplicateColumns(t *testing.T) {
	dir := t.TempDir()
	ws := writeFile(t, dir, "ps.json", `{"design_weight": "pw", "steps": [{"poststratify": {"by": ["stype"], "totals": `+popStypeW+`}}]}`)
	args := []string{"estimate", "--in", filepath.Join(etAPI, "apiclus1.csv"), "--weighting", ws, "--repweights", "rep", "--psu", "dnum", "--mean", "api00"}
	code, out, mem := vtRun(t, "", args...)
	if code != 2 || out != "" || !strings.Contains(mem, "--repweights and --weighting exclude each other") {
		t.Fatalf("in memory: exit %d, stdout %q, stderr %q", code, out, mem)
	}
	code, out, str := vtRun(t, "", append(args, "--stream")...)
	if code != 2 || out != "" || str != mem {
		t.Errorf("streamed: exit %d, stdout %q, stderr %q; want exit 2 and %q", code, out, str, mem)
	}
}
