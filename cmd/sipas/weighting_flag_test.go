package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

// wfGolden reads testdata/weighting/NAME (a CSV) as rows keyed by the
// first columns joined with "|".
func wfGolden(t *testing.T, name string, keyCols int) map[string][]string {
	t.Helper()
	recs := readCSV(t, filepath.Join(wtGoldenDir, name))
	out := map[string][]string{}
	for _, r := range recs[1:] {
		out[strings.Join(r[:keyCols], "|")] = r[keyCols:]
	}
	return out
}

// wfEstimate runs sipas estimate and returns its JSON output.
func wfEstimate(t *testing.T, args ...string) etOut {
	t.Helper()
	code, stdout, stderr := vtRun(t, "", append([]string{"estimate"}, args...)...)
	if code != 0 {
		t.Fatalf("estimate %v: exit %d: %s", args, code, stderr)
	}
	var out etOut
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	return out
}

// sipas estimate --weighting: linearized SEs after postStratify, rake and
// calibrate equal R's calibration-aware ones (svymean(~api00),
// svytotal(~enroll); testdata/weighting/se_{apistrat,apiclus1}.csv,
// survey 4.1.1) at 1e-7; so do post-stratification and raking of
// apistrat (no --psu) streamed.
func TestEstimateWeightingMatchesR(t *testing.T) {
	dir := t.TempDir()
	steps := map[string]map[string]string{
		"apistrat": {"none": "", "ps": `{"poststratify": {"by": ["stype"], "totals": ` + wtPopStype + `}}`, "rake": wtRakeStep,
			"cal_linear": wtCalLinearStep, "cal_logit": wtCalLogitStep},
		"apiclus1": {"ps": `{"poststratify": {"by": ["stype"], "totals": ` + wtPopStype + `}}`, "rake": wtRakeStep,
			"cal_logit": strings.Replace(wtCalLogitStep, "[0.8, 1.3]", "[0.85, 1.7]", 1)},
	}
	flags := map[string][]string{
		"apistrat": {"--strata", "stype", "--fpc", "fpc"},
		"apiclus1": {"--psu", "dnum", "--fpc", "fpc"},
	}
	for name, cases := range steps {
		golden := wfGolden(t, "se_"+name+".csv", 3)
		for cs, step := range cases {
			spec := writeFile(t, dir, name+cs+".json", `{"design_weight": "pw", "steps": [`+step+`]}`)
			args := append([]string{"--in", filepath.Join(etAPI, name+".csv"), "--weighting", spec, "--mean", "api00", "--total", "enroll"}, flags[name]...)
			runs := [][]string{args}
			if name == "apistrat" && (cs == "ps" || cs == "rake") {
				runs = append(runs, append(args, "--stream"))
			}
			for _, args := range runs {
				wfCheckR(t, name, cs, golden, args)
			}
		}
	}
}

// wfCheckR runs sipas estimate with args (case cs of the fixture name)
// and checks its mean of api00 and total of enroll against R's golden.
func wfCheckR(t *testing.T, name, cs string, golden map[string][]string, args []string) {
	t.Helper()
	if args[len(args)-1] == "--stream" {
		code, _, errs := vtRun(t, "", append([]string{"estimate"}, args...)...)
		if code != 0 || !strings.Contains(errs, "every ballot is its own PSU") {
			t.Errorf("%s %s --stream: exit %d, stderr %q: not streamed", name, cs, code, errs)
		}
	}
	out := wfEstimate(t, args...)
	if len(out.Estimates) != 2 {
		t.Fatalf("%s %s: %d estimates", name, cs, len(out.Estimates))
	}
	for _, e := range out.Estimates {
		g, ok := golden[cs+"|"+e.Statistic+"|"+e.Variable]
		if !ok {
			t.Fatalf("no golden %s %s %s", cs, e.Statistic, e.Variable)
		}
		wantEst, _ := strconv.ParseFloat(g[0], 64)
		wantSE, _ := strconv.ParseFloat(g[1], 64)
		if !scalar.EqualWithinAbsOrRel(*e.Estimate, wantEst, 0, 1e-9) {
			t.Errorf("%s %s %s: estimate %.12g, R %.12g", name, cs, e.Statistic, *e.Estimate, wantEst)
		}
		ok = scalar.EqualWithinAbsOrRel(*e.SE, wantSE, 0, 1e-7)
		if wantSE < 1e-12*wantEst { // a calibrated total: SE 0 up to rounding
			ok = *e.SE < 1e-9*wantEst
		}
		if !ok {
			t.Errorf("%s %s %s: SE %.12g, R %.12g", name, cs, e.Statistic, *e.SE, wantSE)
		}
	}
	if ws := out.Design.WeightsSum; cs != "none" && math.Abs(ws-6194) > 1e-6 {
		t.Errorf("%s %s: weights sum %g, want the population 6194", name, cs, ws)
	}
}

// The SIPAS fixture (testdata/index/sipas_small.csv, stratified two-stage
// with fpc): linearized and JKn (every step re-run per replicate) SEs of
// svymean(~access_1) after raking and logit calibration equal R's
// (se_sipas.csv) at 1e-7; JK1 on apiclus1 after raking equals R's
// replicate SE with mse = FALSE (se_rep_apiclus1.csv).
func TestEstimateWeightingReplicatesMatchR(t *testing.T) {
	golden := wfGolden(t, "se_sipas.csv", 2)
	in := filepath.Join("..", "..", "testdata", "index", "sipas_small.csv")
	for _, cs := range []string{"rake", "cal_logit"} {
		spec := filepath.Join(wtGoldenDir, "sipas_"+cs+".json")
		for _, v := range []string{"linearization", "jkn"} {
			out := wfEstimate(t, "--in", in, "--weighting", spec, "--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--nest",
				"--variance", v, "--mean", "access_1")
			key := cs + "|" + v
			if v == "jkn" {
				key += "_mse"
			}
			g := golden[key]
			wantEst, _ := strconv.ParseFloat(g[0], 64)
			wantSE, _ := strconv.ParseFloat(g[1], 64)
			e := out.Estimates[0]
			if !scalar.EqualWithinAbsOrRel(*e.Estimate, wantEst, 0, 1e-9) || !scalar.EqualWithinAbsOrRel(*e.SE, wantSE, 0, 1e-7) {
				t.Errorf("%s %s: %.12g (SE %.12g), R %.12g (%.12g)", cs, v, *e.Estimate, *e.SE, wantEst, wantSE)
			}
		}
	}
	dir := t.TempDir()
	spec := writeFile(t, dir, "rake.json", `{"design_weight": "pw", "steps": [`+wtRakeStep+`]}`)
	g := wfGolden(t, "se_rep_apiclus1.csv", 4)["rake|FALSE|mean|api00"]
	wantEst, _ := strconv.ParseFloat(g[0], 64)
	wantSE, _ := strconv.ParseFloat(g[1], 64)
	out := wfEstimate(t, "--in", filepath.Join(etAPI, "apiclus1.csv"), "--weighting", spec, "--psu", "dnum", "--fpc", "fpc",
		"--variance", "jk1", "--mse=false", "--mean", "api00")
	if e := out.Estimates[0]; !scalar.EqualWithinAbsOrRel(*e.Estimate, wantEst, 0, 1e-9) || !scalar.EqualWithinAbsOrRel(*e.SE, wantSE, 0, 1e-7) {
		t.Errorf("jk1: %.12g (SE %.12g), R %.12g (%.12g)", *e.Estimate, *e.SE, wantEst, wantSE)
	}
}

type wfIndexRow struct {
	Domain   map[string]string `json:"domain"`
	Kind     string            `json:"kind"`
	ID       string            `json:"id"`
	Estimate *float64          `json:"estimate"`
	SE       *float64          `json:"se"`
	N        int               `json:"n"`
}

func wfIndex(t *testing.T, args ...string) []wfIndexRow {
	t.Helper()
	code, stdout, stderr := vtRun(t, "", append([]string{"index"}, args...)...)
	if code != 0 {
		t.Fatalf("index %v: exit %d: %s", args, code, stderr)
	}
	return wfIndexRows(t, stdout)
}

// wfIndexRows are the estimates of sipas index's JSON output.
func wfIndexRows(t *testing.T, stdout string) []wfIndexRow {
	t.Helper()
	var out struct {
		Estimates []wfIndexRow `json:"estimates"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	return out.Estimates
}

// sipas index --weighting: the estimates are those of the final weights
// written by sipas weight (read back with --weight), the SEs are the
// calibration-aware ones (they differ), and a spec without steps gives
// exactly the plain design.
func TestIndexWeighting(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join("..", "..", "testdata", "index", "sipas_small.csv")
	design := []string{"--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--nest", "--by", "level"}
	rakeSpec := filepath.Join(wtGoldenDir, "sipas_rake.json")
	withW := wfIndex(t, append([]string{"--in", in, "--weighting", rakeSpec}, design...)...)
	weighted := filepath.Join(dir, "w.parquet")
	spec := writeFile(t, dir, "rake.json", strings.TrimSuffix(strings.TrimSpace(wfRead(t, rakeSpec)), "}")+`, "output": {"weight": "final_w"}}`)
	if code, _, stderr := vtRun(t, "", "weight", "--in", in, "--spec", spec, "--out", weighted); code != 0 {
		t.Fatalf("weight: exit %d: %s", code, stderr)
	}
	plain := wfIndex(t, append([]string{"--in", weighted, "--weight", "final_w"}, design...)...)
	if len(withW) != len(plain) || len(plain) < 30 {
		t.Fatalf("%d rows with --weighting, %d with --weight", len(withW), len(plain))
	}
	differ := 0
	for i := range plain {
		a, b := withW[i], plain[i]
		if a.Kind != b.Kind || a.ID != b.ID || a.Domain["level"] != b.Domain["level"] || a.N != b.N {
			t.Fatalf("row %d: %+v vs %+v", i, a, b)
		}
		if !scalar.EqualWithinAbsOrRel(*a.Estimate, *b.Estimate, 0, 1e-9) {
			t.Errorf("row %d %s %s: estimate %.12g with --weighting, %.12g with the written weight", i, a.Kind, a.ID, *a.Estimate, *b.Estimate)
		}
		if !scalar.EqualWithinAbsOrRel(*a.SE, *b.SE, 0, 1e-3) {
			differ++
		}
	}
	if differ < len(plain)/2 {
		t.Errorf("only %d of %d SEs account for the raking", differ, len(plain))
	}
	// no steps: the same as --weight
	none := writeFile(t, dir, "none.json", `{"design_weight": "weight", "steps": []}`)
	a := wfIndex(t, append([]string{"--in", in, "--weighting", none}, design...)...)
	b := wfIndex(t, append([]string{"--in", in, "--weight", "weight"}, design...)...)
	for i := range b {
		if !scalar.EqualWithinAbsOrRel(*a[i].Estimate, *b[i].Estimate, 0, 1e-12) || !scalar.EqualWithinAbsOrRel(*a[i].SE, *b[i].SE, 0, 1e-10) {
			t.Errorf("row %d: no-step spec %.12g (%.12g), plain %.12g (%.12g)", i, *a[i].Estimate, *a[i].SE, *b[i].Estimate, *b[i].SE)
		}
	}
}

func wfRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Bad --weighting usage and specs exit 2 with a message.
func TestWeightingFlagErrors(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(etAPI, "apistrat.csv")
	good := writeFile(t, dir, "good.json", `{"design_weight": "pw", "steps": [`+wtRakeStep+`]}`)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"estimate", "--in", in, "--weighting", good, "--weight", "pw", "--mean", "api00"}, "exclude each other"},
		{[]string{"estimate", "--in", in, "--weighting", good, "--repweights", "r", "--mean", "api00"}, "exclude each other"},
		{[]string{"estimate", "--in", in, "--weighting", filepath.Join(dir, "missing.json"), "--mean", "api00"}, "missing.json"},
		{[]string{"estimate", "--in", in, "--weighting", writeFile(t, dir, "e.json", `{"design_weight": "pw", "steps": [{"poststratify": {"by": ["stype"], "totals": {"E": 1, "H": 2, "M": 3, "X": 4}}}]}`),
			"--mean", "api00"}, `cell "X"`},
		{[]string{"index", "--in", in, "--weighting", writeFile(t, dir, "u.json", `{"design_weight": "pw", "steps": [{"poststratify": {"by": ["stype"], "totals": {"E": 1}, "bogus": 1}}]}`)},
			"bogus"},
	}
	for _, c := range cases {
		code, _, stderr := vtRun(t, "", c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, want 2 with %q: %s", c.args, code, c.want, stderr)
		}
	}
}

// sipas index --weighting: criterion, element and SIPAS indices with their
// calibration-aware linearized SEs, nationally and by level, after raking
// and logit calibration of the synthetic survey, equal R's svyratio and
// svycontrast on the calibrated design (testdata/weighting/index_weighting.csv,
// testdata/weighting_index.R) at 1e-7.
func TestIndexWeightingMatchesR(t *testing.T) { indexWeightingMatchesR(t) }

// indexWeightingMatchesR is TestIndexWeightingMatchesR with extra index
// arguments.
func indexWeightingMatchesR(t *testing.T, extra ...string) {
	golden := wfGolden(t, "index_weighting.csv", 5)
	in := filepath.Join("..", "..", "testdata", "index", "sipas_small.csv")
	checked := 0
	for _, cs := range []string{"rake", "cal_logit"} {
		spec := filepath.Join(wtGoldenDir, "sipas_"+cs+".json")
		for _, by := range []string{"", "level"} {
			args := []string{"--in", in, "--weighting", spec, "--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--nest", "--no-expectations"}
			if by != "" {
				args = append(args, "--by", by)
			}
			args = append(args, extra...)
			checked += indexGoldenRows(t, golden, cs, by, "", wfIndex(t, args...))
		}
	}
	// the national rows appear in both runs
	if want := len(golden) + 2*28; checked != want {
		t.Errorf("%d rows checked, want %d", checked, want)
	}
}

// indexGoldenRows checks the index rows of case cs, national (by "") or
// by level, against R's goldens (wfGolden of weighting_index.R, keyed by
// case, by, domain, kind and id) at 1e-9 (estimates) and 1e-7 (SEs), and
// returns how many it checked; what names the run in the errors.
func indexGoldenRows(t *testing.T, golden map[string][]string, cs, by, what string, rows []wfIndexRow) int {
	t.Helper()
	checked := 0
	for _, r := range rows {
		dom := r.Domain["level"]
		if by == "" && dom != "" {
			continue
		}
		key := cs + "|" + by + "|" + dom + "|" + r.Kind + "|" + r.ID
		if dom == "" {
			key = cs + "|||" + r.Kind + "|" + r.ID
		}
		g, ok := golden[key]
		if !ok {
			t.Errorf("no golden for %s", key)
			continue
		}
		wantEst, _ := strconv.ParseFloat(g[0], 64)
		wantSE, _ := strconv.ParseFloat(g[1], 64)
		if !scalar.EqualWithinAbsOrRel(*r.Estimate, wantEst, 0, 1e-9) || !scalar.EqualWithinAbsOrRel(*r.SE, wantSE, 0, 1e-7) {
			t.Errorf("%s%s: %.12g (SE %.12g), R %.12g (%.12g)", what, key, *r.Estimate, *r.SE, wantEst, wantSE)
		}
		checked++
	}
	return checked
}
