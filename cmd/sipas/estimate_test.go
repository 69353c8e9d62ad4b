package main

import (
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

var etAPI = filepath.Join("..", "..", "testdata", "api")

// etGolden returns R's estimate and SE (testdata/estimation.R, survey 4.1.1).
func etGolden(t *testing.T, design, stat, variable, by, domain string) (est, se float64) {
	t.Helper()
	recs := readCSV(t, filepath.Join("..", "..", "testdata", "estimation", "linearization.csv"))
	for _, r := range recs[1:] {
		if r[0] == design && r[1] == stat && r[2] == variable && r[3] == by && r[4] == domain {
			est, _ = strconv.ParseFloat(r[5], 64)
			se, _ = strconv.ParseFloat(r[6], 64)
			return est, se
		}
	}
	t.Fatalf("no golden %s %s %s %s %s", design, stat, variable, by, domain)
	return
}

type etOut struct {
	Design struct {
		Rows, Strata, PSUs, DF int
		Variance               string
		WeightsSum             float64 `json:"weights_sum"`
	} `json:"design"`
	Estimates []struct {
		Statistic, Variable string
		Domain              map[string]string
		Estimate, SE        *float64
		CILow               *float64 `json:"ci_low"`
		CIHigh              *float64 `json:"ci_high"`
		N                   int
		Deff                *float64
		Flag                string
	} `json:"estimates"`
}

func TestEstimateCommandMatchesR(t *testing.T) {
	code, stdout, stderr := vtRun(t, "", "estimate", "--in", filepath.Join(etAPI, "apistrat.csv"),
		"--weight", "pw", "--strata", "stype", "--mean", "api00,acs.k3", "--total", "enroll", "--ratio", "api00/api99", "--by", "stype")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out etOut
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if out.Design.Rows != 200 || out.Design.Strata != 3 || out.Design.PSUs != 200 || out.Design.DF != 197 || out.Design.Variance != "linearization" {
		t.Errorf("design block %+v", out.Design)
	}
	if len(out.Estimates) != 12 {
		t.Fatalf("%d estimates, want 12 (3 domains × 4)", len(out.Estimates))
	}
	// domain-major, in the order asked
	wantOrder := []string{"mean api00 E", "mean acs.k3 E", "total enroll E", "ratio api00/api99 E", "mean api00 H"}
	for i, w := range wantOrder {
		e := out.Estimates[i]
		if got := e.Statistic + " " + e.Variable + " " + e.Domain["stype"]; got != w {
			t.Errorf("row %d = %q, want %q", i, got, w)
		}
	}
	for _, e := range out.Estimates {
		if e.Variable == "acs.k3" && e.Domain["stype"] != "E" {
			// no K-3 class sizes in high and middle schools: an empty domain
			if e.N != 0 || e.Estimate != nil || e.SE != nil || e.Deff != nil {
				t.Errorf("empty domain %+v: want n 0 and nulls", e)
			}
			continue
		}
		est, se := etGolden(t, "strat", e.Statistic, e.Variable, "stype", e.Domain["stype"])
		if e.Estimate == nil || !scalar.EqualWithinAbsOrRel(*e.Estimate, est, 0, 1e-9) || !scalar.EqualWithinAbsOrRel(*e.SE, se, 0, 1e-9) {
			t.Errorf("%s %s %v: %v (%v), R %v (%v)", e.Statistic, e.Variable, e.Domain, e.Estimate, e.SE, est, se)
		}
		// Wald with t(197)
		if e.CILow == nil || *e.CILow >= *e.Estimate || *e.CIHigh <= *e.Estimate {
			t.Errorf("interval %v %v around %v", e.CILow, e.CIHigh, *e.Estimate)
		}
	}
	// whole population: domain {}
	code, stdout, stderr = vtRun(t, "", "estimate", "--in", filepath.Join(etAPI, "apiclus1.csv"), "--weight", "pw", "--psu", "dnum", "--fpc", "fpc", "--mean", "api00")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, `"domain": {}`) {
		t.Errorf("no empty domain object in %s", stdout)
	}
	out = etOut{}
	_ = json.Unmarshal([]byte(stdout), &out)
	est, se := etGolden(t, "clus1fpc", "mean", "api00", "", "")
	if e := out.Estimates[0]; !scalar.EqualWithinAbsOrRel(*e.Estimate, est, 0, 1e-9) || !scalar.EqualWithinAbsOrRel(*e.SE, se, 0, 1e-9) || out.Design.DF != 14 {
		t.Errorf("clus1fpc mean api00 %v (%v), df %d; R %v (%v), 14", *e.Estimate, *e.SE, out.Design.DF, est, se)
	}
}

func TestEstimateCommandFormats(t *testing.T) {
	args := []string{"estimate", "--in", filepath.Join(etAPI, "apistrat.csv"), "--weight", "pw", "--strata", "stype", "--mean", "yes,acs.k3", "--by", "stype", "--ci", "logit"}
	code, stdout, stderr := vtRun(t, "", append(args, "--format", "csv")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "statistic,variable,stype,estimate,se,ci_low,ci_high,n,deff,flag" || len(recs) != 7 {
		t.Fatalf("csv:\n%s", stdout)
	}
	if r := recs[4]; r[1] != "acs.k3" || r[2] != "H" || r[3] != "" || r[7] != "0" {
		t.Errorf("empty domain row %v: want empty cells and n 0", r)
	}
	code, stdout, stderr = vtRun(t, "", append(args, "--format", "table")...)
	if code != 0 || !strings.Contains(stdout, "design: 200 rows, 3 strata") || !strings.Contains(stdout, "NA") {
		t.Fatalf("table exit %d: %s%s", code, stdout, stderr)
	}
}

func TestEstimateCommandReplicates(t *testing.T) {
	code, stdout, stderr := vtRun(t, "", "estimate", "--in", filepath.Join(etAPI, "apistrat.csv"),
		"--weight", "pw", "--strata", "stype", "--psu", "pair", "--variance", "brr", "--total", "enroll")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out etOut
	_ = json.Unmarshal([]byte(stdout), &out)
	if out.Design.Variance != "brr" || out.Design.DF != 3 {
		t.Errorf("design %+v, want brr with df 3 (R degf)", out.Design)
	}
}

func TestEstimateCommandErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string { return writeFile(t, dir, name, content) }
	negw := write("negw.csv", "y,w\n1,1\n2,-1\n3,2\n4,\n")
	nest := write("nest.csv", "y,st,psu\n1,a,1\n2,a,2\n3,b,1\n4,b,2\n")
	lonely := write("lonely.csv", "y,st,psu\n1,a,1\n2,a,2\n3,b,3\n4,c,4\n")
	strat := filepath.Join(etAPI, "apistrat.csv")
	for _, c := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"no input", []string{"--mean", "y"}, 2, []string{"--in is required"}},
		{"nothing", []string{"--in", negw}, 2, []string{"nothing to estimate"}},
		{"bad format", []string{"--in", negw, "--mean", "y", "--format", "xml"}, 2, []string{"--format"}},
		{"bad ratio", []string{"--in", negw, "--ratio", "y"}, 2, []string{"NUM/DEN"}},
		{"bad lonely", []string{"--in", negw, "--mean", "y", "--lonely-psu", "drop"}, 2, []string{"--lonely-psu"}},
		{"bad variance", []string{"--in", negw, "--mean", "y", "--variance", "sdr"}, 2, []string{"--variance"}},
		{"bad weights", []string{"--in", negw, "--mean", "y", "--weight", "w"}, 2, []string{`"w"`, "missing at row 4", "negative at row 2"}},
		{"not nested", []string{"--in", nest, "--mean", "y", "--strata", "st", "--psu", "psu"}, 2, []string{"--nest", `PSU "1"`}},
		{"lonely", []string{"--in", lonely, "--mean", "y", "--strata", "st", "--psu", "psu"}, 2, []string{"one PSU", "b, c"}},
		{"unknown column", []string{"--in", strat, "--mean", "api01"}, 2, []string{"api01", "api00"}},
		{"unknown by", []string{"--in", strat, "--mean", "api00", "--by", "region"}, 2, []string{"region", "stype"}},
		{"missing file", []string{"--in", filepath.Join(dir, "nope.csv"), "--mean", "y"}, 2, []string{"nope.csv"}},
	} {
		code, _, stderr := vtRun(t, "", append([]string{"estimate"}, c.args...)...)
		if code != c.code {
			t.Errorf("%s: exit %d, want %d (%s)", c.name, code, c.code, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr %q lacks %q", c.name, stderr, w)
			}
		}
	}
	// lonely PSU removed: works
	code, _, stderr := vtRun(t, "", "estimate", "--in", lonely, "--mean", "y", "--strata", "st", "--psu", "psu", "--lonely-psu", "remove")
	if code != 0 {
		t.Errorf("--lonely-psu remove: exit %d: %s", code, stderr)
	}
}
