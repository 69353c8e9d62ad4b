package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"gonum.org/v1/gonum/floats/scalar"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/weighting"
)

var wtGoldenDir = filepath.Join("..", "..", "testdata", "weighting")

const (
	wtPopStype   = `{"E": 4421, "H": 755, "M": 1018}`
	wtPopSchWide = `{"No": 1072, "Yes": 5122}`
	wtRakeStep   = `{"rake": {"margins": [{"by": ["stype"], "totals": ` + wtPopStype + `}, {"by": ["sch.wide"], "totals": ` + wtPopSchWide + `}]}}`
	// R: calibrate(des, ~stype + enroll, pop, calfun = "logit", bounds = c(0.8, 1.3)) on apistrat
	wtCalLogitStep = `{"calibrate": {"method": "logit", "bounds": [0.8, 1.3], "margins": [{"by": ["stype"], "totals": ` +
		wtPopStype + `}], "numeric": {"enroll": 3811472}}}`
	wtCalLinearStep = `{"calibrate": {"method": "linear", "margins": [{"by": ["stype"], "totals": ` +
		wtPopStype + `}], "numeric": {"enroll": 3811472}}}`
)

// wtGoldenColumns reads a CSV golden of testdata/weighting: column -> values.
func wtGoldenColumns(t *testing.T, name string) map[string][]float64 {
	t.Helper()
	recs := readCSV(t, filepath.Join(wtGoldenDir, name))
	out := map[string][]float64{}
	for j, h := range recs[0] {
		v := make([]float64, len(recs)-1)
		for i, r := range recs[1:] {
			x, err := strconv.ParseFloat(r[j], 64)
			if err != nil {
				t.Fatal(err)
			}
			v[i] = x
		}
		out[h] = v
	}
	return out
}

// wtReadColumn reads a numeric column of a table written by the CLI.
func wtReadColumn(t *testing.T, path, col string) []float64 {
	t.Helper()
	rec, err := arrowio.ReadAll(path, arrowio.WithColumns(col))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	c, err := arrowio.Column(rec, col)
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := arrowio.Float64s(c)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// wtFirstDiff returns the first row where a and b differ by more than
// the relative tolerance tol (scalar.EqualWithinAbsOrRel), -1 when none
// does, len(a) when the lengths differ.
func wtFirstDiff(a, b []float64, tol float64) int {
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	for i := range a {
		if !scalar.EqualWithinAbsOrRel(a[i], b[i], 0, tol) {
			return i
		}
	}
	return -1
}

// sipas weight on R's apistrat: the written final weights equal R's
// (testdata/weighting/weights_apistrat.csv, survey 4.1.1) at 1e-8 for
// post-stratification, raking, linear and logit calibration, in CSV and
// Parquet; every input column is kept; the diagnostics are printed.
func TestWeightCommandMatchesR(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(etAPI, "apistrat.csv")
	golden := wtGoldenColumns(t, "weights_apistrat.csv")
	cases := map[string]string{
		"ps":         `{"poststratify": {"by": ["stype"], "totals": ` + wtPopStype + `}}`,
		"rake":       wtRakeStep,
		"cal_linear": wtCalLinearStep,
		"cal_logit":  wtCalLogitStep,
	}
	for cs, step := range cases {
		for _, ext := range []string{".csv", ".parquet"} {
			spec := writeFile(t, dir, cs+".json", `{"design_weight": "pw", "steps": [`+step+`], "output": {"weight": "final"}}`)
			out := filepath.Join(dir, cs+ext)
			code, stdout, stderr := vtRun(t, "", "weight", "--in", in, "--spec", spec, "--out", out)
			if code != 0 {
				t.Fatalf("%s: exit %d: %s", cs, code, stderr)
			}
			got := wtReadColumn(t, out, "final")
			if at := wtFirstDiff(got, golden[cs], 1e-8); at >= len(got) || at >= len(golden[cs]) {
				t.Errorf("%s%s: %d weights, R %d", cs, ext, len(got), len(golden[cs]))
			} else if at >= 0 {
				t.Errorf("%s%s: row %d: weight %.17g, R %.17g", cs, ext, at+1, got[at], golden[cs][at])
			}
			if api := wtReadColumn(t, out, "api00"); len(api) != 200 || api[0] != 840 {
				t.Errorf("%s: input column api00 not kept: %v", cs, api[:min(3, len(api))])
			}
			rec, err := arrowio.ReadAll(out)
			if err != nil {
				t.Fatal(err)
			}
			if nc := rec.NumCols(); nc != 15 { // 14 input columns + final
				t.Errorf("%s: %d columns, want 15", cs, nc)
			}
			rec.Release()
			for _, want := range []string{"weights", "design", "final", "Kish deff", "effective n", "cells:", "target", "factor", "final weights by stype"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("%s: diagnostics lack %q:\n%s", cs, want, stdout)
				}
			}
			if cs == "rake" && !(strings.Contains(stdout, "convergence:") && regexp.MustCompile(`converged after \d+ sweeps`).MatchString(stdout)) {
				t.Errorf("rake: no convergence history:\n%s", stdout)
			}
			if cs == "cal_logit" && !strings.Contains(stdout, "Newton steps") {
				t.Errorf("cal_logit: no Newton history:\n%s", stdout)
			}
		}
	}
}

// Nonresponse and trimming diagnostics: response rates per class and the
// trimming line, the total kept; the Kish deff printed is 1 + CV² of the
// final weights computed here by hand.
func TestWeightCommandDiagnostics(t *testing.T) {
	dir := t.TempDir()
	// apistrat with a "responded" flag: schools with sch.wide = No did not respond
	in := filepath.Join(etAPI, "apistrat.csv")
	b, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	lines[0] += `,"responded"`
	for i := 1; i < len(lines); i++ {
		if i%5 == 0 {
			lines[i] += ",0"
		} else {
			lines[i] += ",1"
		}
	}
	data := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(data, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := writeFile(t, dir, "s.json", `{"design_weight": "pw", "steps": [
		{"nonresponse": {"classes": ["stype"], "responded": "responded"}},
		{"trim": {"max": 2, "relative_to": "median"}}]}`)
	out := filepath.Join(dir, "out.arrow")
	code, stdout, stderr := vtRun(t, "", "weight", "--in", data, "--spec", spec, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"response rates:", "issued", "valid %", "trimming: median", "total kept"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, stdout)
		}
	}
	w := wtReadColumn(t, out, "weight")
	pw := wtReadColumn(t, data, "pw")
	var sw, spw, sw2 float64
	n := 0
	for i := range w {
		spw += pw[i]
		if w[i] != 0 {
			n++
			sw += w[i]
			sw2 += w[i] * w[i]
		}
	}
	if math.Abs(sw-spw) > 1e-9*spw {
		t.Errorf("total %g, design total %g: nonresponse and trimming must keep it", sw, spw)
	}
	if n != 160 {
		t.Errorf("%d respondents with weight, want 160", n)
	}
	kish := float64(n) * sw2 / (sw * sw)
	m := regexp.MustCompile(`(?m)^\s*final\s+(\d+)\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+(\S+)\s+(\S+)`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no final diagnostics row:\n%s", stdout)
	}
	if got, _ := strconv.ParseFloat(m[2], 64); math.Abs(got-kish) > 1e-6*kish {
		t.Errorf("Kish deff printed %s, by hand %.7g", m[2], kish)
	}
	if got, _ := strconv.ParseFloat(m[3], 64); math.Abs(got-float64(n)/kish) > 1e-5*float64(n) {
		t.Errorf("effective n printed %s, by hand %.7g", m[3], float64(n)/kish)
	}
}

// Replicates: raking re-run on every JK1 replicate of apiclus1 gives R's
// replicate weights (rep_apiclus1_rake.csv) at 1e-8, and estimate reading
// them back with the printed flags gives R's replicate SE (mse = FALSE).
func TestWeightCommandReplicates(t *testing.T) {
	dir := t.TempDir()
	spec := writeFile(t, dir, "s.json", `{"design_weight": "pw", "steps": [`+wtRakeStep+`],
		"replicates": {"type": "jk1", "psu": "dnum", "fpc": "fpc"}}`)
	out := filepath.Join(dir, "out.parquet")
	code, stdout, stderr := vtRun(t, "", "weight", "--in", filepath.Join(etAPI, "apiclus1.csv"), "--spec", spec, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// Replicates are matched to R's by content: ours come in sorted PSU
	// order, R's jk1weights in order of first appearance (the variance
	// does not depend on the order).
	golden := wtGoldenColumns(t, "rep_apiclus1_rake.csv")
	used := map[int]bool{}
	for r := 1; r <= 15; r++ {
		got := wtReadColumn(t, out, "repw_"+strconv.Itoa(r))
		best := 0
		for q := 1; q <= 15 && best == 0; q++ {
			if !used[q] && wtFirstDiff(got, golden["rep"+strconv.Itoa(q)], 1e-8) < 0 {
				best = q
			}
		}
		used[best] = true
		if best == 0 {
			t.Errorf("replicate %d is none of R's at 1e-8", r)
		}
	}
	m := regexp.MustCompile(`estimate with: (.*)`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no estimate hint:\n%s", stdout)
	}
	args := append([]string{"estimate", "--in", out, "--mean", "api00", "--mse=false"}, strings.Fields(m[1])...)
	code, so, se := vtRun(t, "", args...)
	if code != 0 {
		t.Fatalf("estimate: exit %d: %s", code, se)
	}
	var res etOut
	if err := json.Unmarshal([]byte(so), &res); err != nil {
		t.Fatal(err)
	}
	// R: svymean(~api00, rake(as.svrepdesign(dclus1, "JK1", mse = FALSE), ...)) (se_rep_apiclus1.csv)
	const wantEst, wantSE = 641.23032092682001, 26.873980435635939
	if e := res.Estimates[0]; math.Abs(*e.Estimate-wantEst) > 1e-9*wantEst || math.Abs(*e.SE-wantSE) > 1e-7*wantSE {
		t.Errorf("replicate mean %.12g (SE %.12g), R %.12g (%.12g)", *e.Estimate, *e.SE, wantEst, wantSE)
	}
}

// Bad input exits 2 with the weighting package's message naming the step,
// margin and cell, and writes no output.
func TestWeightCommandBadInput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(etAPI, "apistrat.csv")
	cases := []struct {
		name, spec string
		want       []string
	}{
		{"empty cell", `{"design_weight": "pw", "steps": [{"poststratify": {"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018, "X": 5}}}]}`,
			[]string{`steps[0].poststratify`, `margin "stype"`, `cell "X"`, "no sample row"}},
		{"margins disagree", `{"design_weight": "pw", "steps": [{"rake": {"margins": [{"by": ["stype"], "totals": ` + wtPopStype + `}, {"by": ["sch.wide"], "totals": {"No": 1000, "Yes": 5122}}]}}]}`,
			[]string{`steps[0].rake`, `margin "sch.wide"`, "6122", "6194"}},
		{"infeasible bounds", `{"design_weight": "pw", "steps": [{"calibrate": {"method": "logit", "bounds": [0.99, 1.01], "margins": [{"by": ["stype"], "totals": ` + wtPopStype + `}], "numeric": {"enroll": 3811472}}}]}`,
			[]string{`steps[0].calibrate`, `"enroll"`, "widen the bounds"}},
		{"no convergence", `{"design_weight": "pw", "steps": [{"rake": {"max_iter": 2, "margins": [{"by": ["stype"], "totals": ` + wtPopStype + `}, {"by": ["sch.wide"], "totals": ` + wtPopSchWide + `}]}}]}`,
			[]string{`steps[0].rake`, "did not converge after 2 sweeps", "largest relative discrepancy", `cell "`}},
		{"negative weights", `{"design_weight": "pw", "steps": [{"calibrate": {"method": "linear", "margins": [{"by": ["stype"], "totals": ` + wtPopStype + `}], "numeric": {"enroll": 900000}}}]}`,
			[]string{`steps[0].calibrate`, "negative or zero", "bounds"}},
		{"unknown column", `{"design_weight": "pw", "steps": [{"poststratify": {"by": ["nope"], "totals": {"E": 4421}}}]}`,
			[]string{`steps[0].poststratify.by`, `column "nope"`}},
		{"unknown design weight", `{"design_weight": "wgt", "steps": []}`,
			[]string{`"wgt"`}},
		{"unknown field", `{"design_weight": "pw", "steps": [{"poststratify": {"by": ["stype"], "totalz": {"E": 1}}}]}`,
			[]string{`steps[0].poststratify.totalz`, "unknown field"}},
		{"category without total", `{"design_weight": "pw", "steps": [{"poststratify": {"by": ["stype"], "totals": {"E": 4421, "H": 755}}}]}`,
			[]string{`cell "M"`, "totals do not give it"}},
	}
	for i, c := range cases {
		spec := writeFile(t, dir, "bad"+strconv.Itoa(i)+".json", c.spec)
		out := filepath.Join(dir, "out"+strconv.Itoa(i)+".csv")
		code, _, stderr := vtRun(t, "", "weight", "--in", in, "--spec", spec, "--out", out)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2 (%s)", c.name, code, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: message lacks %q: %s", c.name, w, stderr)
			}
		}
		if !strings.Contains(stderr, spec) {
			t.Errorf("%s: message does not name the spec file: %s", c.name, stderr)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: output written despite the error", c.name)
		}
	}
	// usage errors
	spec := writeFile(t, dir, "ok.json", `{"design_weight": "pw", "steps": []}`)
	for _, args := range [][]string{
		{"weight", "--spec", spec, "--out", filepath.Join(dir, "x.csv")},
		{"weight", "--in", in, "--out", filepath.Join(dir, "x.csv")},
		{"weight", "--in", in, "--spec", spec},
		{"weight", "--in", in, "--spec", spec, "--out", filepath.Join(dir, "x.ods")},
		{"weight", "--in", in, "--spec", filepath.Join(dir, "missing.json"), "--out", filepath.Join(dir, "x.csv")},
		{"weight", "--in", filepath.Join(dir, "missing.csv"), "--spec", spec, "--out", filepath.Join(dir, "x.csv")},
	} {
		if code, _, stderr := vtRun(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "x.csv")); !os.IsNotExist(err) {
			t.Errorf("%v: output written", args)
		}
	}
}

// TestWeightCommandTrimMisses: trimming after post-stratification leaves
// the stratum totals unmet (apistrat, stype E 4421, H 755, M 1018, trimmed
// at 1.05 times the median weight); the command said nothing and exited 0.
// Now each missed total is named with its target, final total and gap in
// the summary, on stderr and in the output's sipas.weighting record, and
// the numbers agree with the weights written.
func TestWeightCommandTrimMisses(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(etAPI, "apistrat.csv")
	spec := writeFile(t, dir, "s.json", `{"design_weight": "pw", "steps": [
		{"poststratify": {"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}},
		{"trim": {"max": 1.05, "relative_to": "median"}}]}`)
	out := filepath.Join(dir, "out.parquet")
	code, stdout, stderr := vtRun(t, "", "weight", "--in", data, "--spec", spec, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	w := wtReadColumn(t, out, "weight")
	rec, err := arrowio.ReadAll(data)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	stype := rec.Column(rec.Schema().FieldIndices("stype")[0]).(*array.String)
	got := map[string]float64{}
	for i := range w {
		got[stype.Value(i)] += w[i]
	}
	target := map[string]float64{"E": 4421, "H": 755, "M": 1018}
	tab, err := arrowio.ReadAll(out)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	r, err := weighting.RecordFrom(tab.Schema().Metadata())
	if err != nil || r == nil {
		t.Fatalf("record %v, %v", r, err)
	}
	missed := 0
	for _, c := range []string{"E", "H", "M"} {
		if math.Abs(got[c]-target[c]) < 1 {
			continue
		}
		missed++
		want := fmt.Sprintf(`steps[0].poststratify: margin stype class %q: target %.0f, final weights total %.6g (%+.3g%%) after the trimming of steps[1].trim`,
			c, target[c], got[c], 100*(got[c]-target[c])/target[c])
		if !strings.Contains(stderr, "sipas weight: warning: "+want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
		if !slices.ContainsFunc(r.Warnings, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("sipas.weighting warnings %q lack %q", r.Warnings, want)
		}
	}
	if missed < 2 || len(r.Warnings) != missed {
		t.Errorf("%d totals missed by the weights written (%v), %d warnings in the record", missed, got, len(r.Warnings))
	}
	if !strings.Contains(stdout, fmt.Sprintf("warning: %d calibrated totals are not met", missed)) {
		t.Errorf("summary lacks the warning:\n%s", stdout)
	}
}

// TestWeightCSVSidecar: a CSV output cannot hold the sipas.weighting
// record (the trimming's broken totals were only on stderr and in the
// summary); it now goes in the sidecar OUT.sipas.json, the same record as
// a Parquet output's, naming the table. A run that fails writes neither
// the table nor its sidecar, and leaves an earlier pair as it was.
func TestWeightCSVSidecar(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(etAPI, "apistrat.csv")
	spec := writeFile(t, dir, "s.json", `{"design_weight": "pw", "steps": [
		{"poststratify": {"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}},
		{"trim": {"max": 1.05, "relative_to": "median"}}]}`)
	pq, csv := filepath.Join(dir, "w.parquet"), filepath.Join(dir, "w.csv")
	for _, out := range []string{pq, csv} {
		if code, _, stderr := vtRun(t, "", "weight", "--in", data, "--spec", spec, "--out", out); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	tab, err := arrowio.ReadAll(pq)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	want, err := weighting.RecordFrom(tab.Schema().Metadata())
	if err != nil || want == nil || len(want.Warnings) < 2 {
		t.Fatalf("Parquet record %+v, %v; want one with the missed totals", want, err)
	}
	md, ok, err := arrowio.ReadSidecar(csv)
	if err != nil || !ok {
		t.Fatalf("sidecar of %s: ok %v, %v", csv, ok, err)
	}
	got, err := weighting.RecordFrom(md)
	if err != nil || got == nil {
		t.Fatalf("sidecar record %v, %v", got, err)
	}
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if !bytes.Equal(gj, wj) {
		t.Errorf("sidecar record\n%s\nwant the Parquet output's\n%s", gj, wj)
	}
	if in, ok, err := arrowio.ReadInputs(md); !ok || err != nil || len(in) != 2 || in[0].Name != data {
		t.Errorf("sidecar inputs %v (%v, %v), want the data and the spec", in, ok, err)
	}
	var raw struct{ Table struct{ Name string } }
	b, _ := os.ReadFile(csv + ".sipas.json")
	if json.Unmarshal(b, &raw); raw.Table.Name != "w.csv" {
		t.Errorf("sidecar names table %q, want w.csv:\n%s", raw.Table.Name, b)
	}
	if w := wtReadColumn(t, csv, "weight"); len(w) != int(tab.NumRows()) {
		t.Errorf("CSV holds %d weights, want %d", len(w), tab.NumRows())
	}

	// A failing run (a column the data lack) writes neither file, and
	// leaves the earlier pair.
	bad := writeFile(t, dir, "bad.json", `{"design_weight": "nope", "steps": []}`)
	before, _ := os.ReadFile(csv)
	for _, out := range []string{filepath.Join(dir, "new.csv"), csv} {
		if code, _, _ := vtRun(t, "", "weight", "--in", data, "--spec", bad, "--out", out); code != 2 {
			t.Errorf("bad spec: exit %d, want 2", code)
		}
	}
	for _, p := range []string{"new.csv", "new.csv.sipas.json"} {
		if _, err := os.Stat(filepath.Join(dir, p)); !os.IsNotExist(err) {
			t.Errorf("a failed run left %s", p)
		}
	}
	if after, _ := os.ReadFile(csv); !bytes.Equal(before, after) {
		t.Error("a failed run changed the earlier CSV")
	}
	if _, ok, err := arrowio.ReadSidecar(csv); !ok || err != nil {
		t.Errorf("after a failed run the earlier pair no longer matches: %v", err)
	}
}
