package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestEstimateCalibratedStreamed: estimate --weighting with a calibration
// that needs every row (numeric variables linear, with a working-model
// variance, raking and logit with bounds, bounds columns, cluster
// aggregates, a trimming after, a nonresponse adjustment or a
// post-stratification before, a post-stratification or a raking and a
// trimming after) streams
// CSV and Parquet (small row groups) in passes: stderr says how many, and
// means, totals, ratios by domain and contrasts equal the in-memory run
// at 1e-12 on every number (estimate, SE, interval, design effect); the
// --sums-out table, finished by --from-sums with the same --weighting,
// gives the in-memory numbers too.
func TestEstimateCalibratedStreamed(t *testing.T) {
	dir := t.TempDir()
	calopts := filepath.Join("..", "..", "testdata", "calopts")
	mk := func(sub, src string, rg int64) []string { return esSubFiles(t, dir, sub, src, rg) }
	strat := mk("strat", filepath.Join(calopts, "apistrat.csv"), 30)
	clus1 := mk("clus1", filepath.Join(calopts, "apiclus1.csv"), 40)
	api1 := mk("api1", filepath.Join(etAPI, "apiclus1.csv"), 40)
	const margins = `"margins": [{"by": ["stype"], "totals": ` + popStypeW + `}], "numeric": {"enroll": 3811472}`
	const iter = `"epsilon": 1e-13, "max_iter": 200`
	cal := func(s string) string { return `{"calibrate": {` + s + `}}` }
	type tc struct {
		files  []string
		steps  string
		design []string
		passes string
	}
	stratD := []string{"--strata", "stype", "--psu", "snum", "--fpc", "fpc", "--by", "stype"}
	clusD := []string{"--psu", "dnum", "--fpc", "fpc", "--by", "stype"}
	cases := map[string]tc{
		"linear variance":           {strat, cal(margins + `, "variance": "enroll"`), stratD, "in 4 passes"},
		"raking bounds":             {strat, cal(margins + `, "variance": "enroll", "method": "raking", "bounds": [0.7, 1.6], ` + iter), stratD, ""},
		"logit bounds columns":      {strat, cal(margins + `, "bounds_columns": ["glo", "ghi"], "method": "logit", ` + iter), stratD, ""},
		"bounds on the weights":     {strat, cal(margins + `, "bounds": [15, 60], "bounds_const": true, ` + iter), stratD, ""},
		"aggregate raking":          {clus1, cal(margins + `, "aggregate": "dnum", "method": "raking", ` + iter), clusD, ""},
		"aggregate linear":          {clus1, cal(`"numeric": {"one": 6194, "api00": 4117230}, "aggregate": "dnum"`), clusD, ""},
		"linear then trim":          {strat, cal(margins) + `, {"trim": {"max": 1.3, "min": 0.5}}`, stratD, ""},
		"poststratify then numeric": {strat, `{"poststratify": {"by": ["stype"], "totals": ` + popStypeW + `}}, ` + cal(`"numeric": {"enroll": 3811472}, "variance": "enroll"`), stratD, ""},
		"nonresponse then linear": {api1, `{"nonresponse": {"classes": ["stype"], "responded": "comp.imp"}}, ` + cal(margins),
			[]string{"--psu", "dnum", "--fpc", "fpc", "--by", "sch.wide"}, "in 5 passes"},
		"numeric then poststratify": {strat, cal(`"numeric": {"enroll": 3811472}`) + `, {"poststratify": {"by": ["stype"], "totals": ` + popStypeW + `}}`, stratD, ""},
		"numeric then rake then trim": {api1, cal(`"numeric": {"enroll": 3811472}`) + `, {"rake": {"margins": [{"by": ["stype"], "totals": ` + popStypeW + `}, {"by": ["comp.imp"], "totals": {"No": 2200, "Yes": 3994}}]}}, {"trim": {"max": 2.5}}`,
			[]string{"--psu", "dnum", "--fpc", "fpc", "--by", "sch.wide"}, ""},
	}
	ests := []string{"--mean", "api00,enroll", "--total", "enroll,api00", "--ratio", "api00/enroll,api00/comp.one"}
	for name, c := range cases {
		dw := "pw"
		if strings.Contains(c.steps, "aggregate") {
			dw = "pw2" // weights varying within the clusters
		}
		ws := writeFile(t, dir, strings.ReplaceAll(name, " ", "_")+".json", `{"design_weight": "`+dw+`", "steps": [`+c.steps+`]}`)
		for _, f := range c.files[:2] {
			label := name + " " + filepath.Ext(f)
			args := append(append([]string{"--in", f, "--weighting", ws}, c.design...), ests...)
			esRun(t, label, args...)
			_, _, errs := vtRun(t, "", append([]string{"estimate", "--stream"}, args...)...)
			if !strings.Contains(errs, "sipas estimate: streaming "+f+" in ") || !strings.Contains(errs, " passes (the calibration needs every row") {
				t.Errorf("%s: stderr %q does not say it streams in passes", label, errs)
			}
			if c.passes != "" && !strings.Contains(errs, c.passes) {
				t.Errorf("%s: stderr %q does not say %q", label, errs, c.passes)
			}
		}
		esRun(t, name+" contrasts", append(append([]string{"--in", c.files[1], "--weighting", ws}, c.design...),
			"--mean", "api00", "--total", "enroll", "--ratio", "api00/enroll", "--contrast", "pairs")...)
		// the sums table: written with the calibration's record, finished
		// by --from-sums as the in-memory run
		args := append(append([]string{"--in", c.files[1], "--weighting", ws}, c.design...), ests...)
		sums := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".parquet")
		estimateSumsTableSame(t, name, sums, args)
	}
}

// esSubFiles is esFiles into the directory sub of dir.
func esSubFiles(t *testing.T, dir, sub, src string, rg int64) []string {
	t.Helper()
	d := filepath.Join(dir, sub)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return esFiles(t, d, src, rg)
}

// TestEstimateCalibratedStreamedWithoutPSU: estimate --weighting with a
// calibration to a numeric variable and without --psu (every row its own
// PSU: linear with a working-model variance, raking and logit with
// bounds, after a nonresponse adjustment, followed by a trimming; with
// strata and fpc, with strata, with neither) streams CSV and Parquet in
// passes (stderr says so), and means, totals and ratios by domain and
// contrasts between the domains equal the in-memory run at 1e-12 on every
// number.
func TestEstimateCalibratedStreamedWithoutPSU(t *testing.T) {
	dir := t.TempDir()
	strat := esSubFiles(t, dir, "nopsu", filepath.Join(etAPI, "apistrat.csv"), 30)
	const margins = `"margins": [{"by": ["stype"], "totals": ` + popStypeW + `}], "numeric": {"enroll": 3811472}`
	const iter = `"epsilon": 1e-13, "max_iter": 200`
	cal := func(s string) string { return `{"calibrate": {` + s + `}}` }
	cases := []struct {
		name, steps string
		design      []string
	}{
		{"linear variance", cal(margins + `, "variance": "enroll"`), []string{"--strata", "stype", "--fpc", "fpc", "--by", "comp.imp"}},
		{"raking bounds", cal(margins + `, "method": "raking", "bounds": [0.7, 1.6], ` + iter), []string{"--strata", "stype", "--by", "sch.wide"}},
		{"logit bounds", cal(margins + `, "method": "logit", "bounds": [0.7, 1.6], ` + iter), []string{"--by", "comp.imp", "--ci", "logit"}},
		{"nonresponse then linear", `{"nonresponse": {"classes": ["stype"], "responded": "comp.imp"}}, ` + cal(margins), []string{"--strata", "stype", "--fpc", "fpc", "--by", "sch.wide"}},
		{"linear then trim", cal(margins) + `, {"trim": {"max": 1.3, "min": 0.5}}`, []string{"--strata", "stype", "--by", "comp.imp"}},
	}
	// not the calibrated totals themselves: their SE is 0 but for
	// rounding, which the moments do not reproduce at 1e-12 of it
	ests := []string{"--mean", "api00,yes", "--total", "api00", "--ratio", "api00/enroll,yes/comp.one"}
	for i, c := range cases {
		if testing.Short() && i > 1 {
			break
		}
		ws := writeFile(t, dir, strings.ReplaceAll(c.name, " ", "_")+".json", `{"design_weight": "pw", "steps": [`+c.steps+`]}`)
		for _, f := range strat[:2] {
			label := c.name + " " + filepath.Ext(f)
			args := append(append([]string{"--in", f, "--weighting", ws}, c.design...), ests...)
			esRun(t, label, args...)
			_, _, errs := vtRun(t, "", append([]string{"estimate", "--stream"}, args...)...)
			if !strings.Contains(errs, "sipas estimate: streaming "+f+" in ") || !strings.Contains(errs, " passes (the calibration needs every row") {
				t.Errorf("%s: stderr %q does not say it streams in passes", label, errs)
			}
		}
		esRun(t, c.name+" contrasts", append(append([]string{"--in", strat[1], "--weighting", ws}, c.design...),
			"--mean", "api00", "--total", "api00", "--ratio", "api00/enroll", "--contrast", "pairs")...)
	}
}

// TestEstimateCalibratedStreamedBadValue: a bad value in the middle of
// the file (a negative design weight, read while the calibration is
// solved; an infinite value of an estimated variable, read while the
// rows are summed) exits 2 naming its row, with nothing on stdout.
func TestEstimateCalibratedStreamedBadValue(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "calopts", "apistrat.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	hdr := strings.Split(lines[0], ",")
	col := func(name string) int {
		for j, h := range hdr {
			if strings.Trim(h, `"`) == name {
				return j
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	ws := writeFile(t, dir, "w.json", `{"design_weight": "pw", "steps": [{"calibrate": {"margins": [{"by": ["stype"], "totals": `+popStypeW+`}], "numeric": {"enroll": 3811472}}}]}`)
	for _, c := range []struct {
		column, value, says string
		row                 int
	}{{"pw", "-3", "design weight", 117}, {"api00", "Inf", `"api00"`, 151}} {
		bad := append([]string(nil), lines...)
		cells := strings.Split(bad[c.row], ",")
		cells[col(c.column)] = c.value
		bad[c.row] = strings.Join(cells, ",")
		in := writeFile(t, dir, c.column+".csv", strings.Join(bad, "\n")+"\n")
		code, out, errs := vtRun(t, "", "estimate", "--stream", "--in", in, "--weighting", ws, "--strata", "stype", "--psu", "snum", "--fpc", "fpc",
			"--mean", "api00", "--total", "enroll")
		if code != 2 || out != "" || !strings.Contains(errs, "row "+strconv.Itoa(c.row)) || !strings.Contains(errs, c.says) {
			t.Errorf("%s = %s at row %d: exit %d, stdout %q, stderr %q; want exit 2 naming the row and column, no output", c.column, c.value, c.row, code, out, errs)
		}
	}
}

// TestEstimateSecondCalibrationStreamed: sipas estimate --weighting with a
// second calibration that needs every ballot after a first (a
// post-stratification between), or a category calibration bounding the
// final weights after one (testdata/calchain2.R's cases), streams CSV and
// Parquet in passes (stderr says so, naming the two calibrations), and
// means, totals, ratios by domain and contrasts equal the in-memory run
// at 1e-12 on every number; --sums-out is refused (the table carries one
// calibration's solve).
func TestEstimateSecondCalibrationStreamed(t *testing.T) {
	dir := t.TempDir()
	files := esSubFiles(t, dir, "chain2", filepath.Join("..", "..", "testdata", "calchain2", "apistrat.csv"), 30)
	const stype = `{"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}`
	const lin = `{"calibrate": {"margins": [{"by": ["comp.imp"], "totals": {"No": 2200, "Yes": 3994}}], "numeric": {"enroll": 3811472}}}`
	const iter = `"epsilon": 1e-13, "max_iter": 200`
	design := []string{"--strata", "stype", "--psu", "snum", "--fpc", "fpc", "--by", "sch.wide"}
	for name, steps := range map[string]string{
		"linear post raking":    lin + `, {"poststratify": ` + stype + `}, {"calibrate": {"margins": [` + stype + `], "numeric": {"api99": 3914069}, "method": "raking", ` + iter + `}}`,
		"bounds on the weights": lin + `, {"calibrate": {"margins": [` + stype + `], "bounds": [12, 46], "bounds_const": true, ` + iter + `}}`,
	} {
		ws := writeFile(t, dir, strings.ReplaceAll(name, " ", "_")+".json", `{"design_weight": "pw", "steps": [`+steps+`]}`)
		for _, f := range files[:2] {
			label := name + " " + filepath.Ext(f)
			args := append(append([]string{"--in", f, "--weighting", ws}, design...), "--mean", "api00,enroll", "--total", "enroll,api00", "--ratio", "api00/enroll")
			esRun(t, label, args...)
			_, _, errs := vtRun(t, "", append([]string{"estimate", "--stream"}, args...)...)
			if !strings.Contains(errs, "sipas estimate: streaming "+f+" in ") || !strings.Contains(errs, " passes (2 calibrations need every row: ") {
				t.Errorf("%s: stderr %q does not say it streams in passes", label, errs)
			}
		}
		esRun(t, name+" contrasts", append(append([]string{"--in", files[1], "--weighting", ws}, design...),
			"--mean", "api00", "--total", "enroll", "--ratio", "api00/enroll", "--contrast", "pairs")...)
		// a sums table carries one calibration's solve: refused, no table
		sums := filepath.Join(dir, "chain2.parquet")
		code, out, errs := vtRun(t, "", append(append([]string{"estimate", "--sums-out", sums, "--in", files[1], "--weighting", ws}, design...), "--mean", "api00")...)
		if _, err := os.Stat(sums); code != 2 || out != "" || !strings.Contains(errs, "carries the solve of one calibration") || err == nil {
			t.Errorf("%s --sums-out: exit %d, stdout %q, stderr %q, table %v; want exit 2 saying why, no table", name, code, out, errs, err)
		}
	}
}
