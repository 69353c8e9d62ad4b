package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestTrimmedWeightingWithoutPSUStreamsBounded: a large file without
// --psu whose --weighting trims each ballot's weight (raking then trim; a
// category calibration with bounds_const) streams by default in sipas
// index and sipas estimate under a bound of its cells' memory (they are
// keyed by the design weight): with the files' few distinct design
// weights (constant within a PSU, or a stratum) it streams, saying so;
// with a design weight of its own on every ballot the cells pass the bound
// and the file is read into memory instead, saying why. Either prints
// what the in-memory run prints (1e-12); --stream streams the per-ballot
// weights anyway, and so does --sums-out (index: then --from-sums too).
// The bound is raised (memColumnBytes) so that these small files' few
// weights fit under it and their ballots do not. With --psu the same
// weighting streams as before, and a raking without trim (cells not keyed
// by the weight) too.
func TestTrimmedWeightingWithoutPSUStreamsBounded(t *testing.T) {
	dir := t.TempDir()
	defer func(b, s int64, m float64) { bigInput, streamMin, memColumnBytes = b, s, m }(bigInput, streamMin, memColumnBytes)
	run := func(large bool, args ...string) (string, string) {
		t.Helper()
		bigInput, streamMin = 1<<62, 1<<62
		if large {
			bigInput, streamMin = 0, 0
		}
		code, out, errs := vtRun(t, "", args...)
		if code != 0 {
			t.Fatalf("%v: exit %d, %s", args, code, errs)
		}
		return out, errs
	}
	rake, err := os.ReadFile(filepath.Join(wtGoldenDir, "sipas_rake.json"))
	if err != nil {
		t.Fatal(err)
	}
	trimmed := writeFile(t, dir, "trim.json", strings.Replace(string(rake), `]}}]}`, `]}}, {"trim": {"max": 3}}]}`, 1))
	strat := filepath.Join(etAPI, "apistrat.csv")
	bounded := writeFile(t, dir, "bc.json", `{"design_weight": "pw", "steps": [{"calibrate": {"method": "linear", "bounds": [12, 50], "bounds_const": true, "margins": [{"by": ["stype"], "totals": `+popStypeW+`}, {"by": ["sch.wide"], "totals": {"No": 1072, "Yes": 5122}}]}}]}`)
	type run1 struct {
		cmd  string
		in   string
		mcb  float64 // memColumnBytes: the few weights' cells fit, the ballots' do not
		args []string
	}
	ests := []string{"--strata", "stype", "--fpc", "fpc", "--by", "sch.wide", "--mean", "api00,yes", "--total", "enroll", "--ratio", "api00/api99", "--quiet"}
	var runs []run1
	for _, design := range [][]string{
		{"--weighting", trimmed, "--strata", "stratum", "--by", "level"},
		{"--weighting", trimmed, "--strata", "stratum", "--fpc", "fpc", "--by", "province"},
	} {
		runs = append(runs, run1{"index", indexFixture, 1150, append([]string{"--format", "csv", "--quiet"}, design...)})
	}
	for _, ws := range []string{writeFile(t, dir, "rt.json", esWeightingSpecs("[0.8, 1.3]")["rake_trim"]), bounded} {
		runs = append(runs, run1{"estimate", strat, 100, append([]string{"--weighting", ws}, ests...)})
	}
	for _, r := range runs {
		for _, perBallot := range []bool{false, true} {
			in := r.in
			if perBallot {
				in = ballotWeights(t, dir, r.in)
			}
			args := append([]string{r.cmd, "--in", in}, r.args...)
			where := fmt.Sprint(args[:2], filepath.Base(in), args[3:])
			memColumnBytes = r.mcb
			mem, errs := run(false, args...)
			if strings.Contains(errs, "streaming") {
				t.Fatalf("%s in memory: stderr %q", where, errs)
			}
			got, errs := run(true, args...)
			switch {
			case perBallot && (!strings.Contains(errs, "into memory instead") || !strings.Contains(errs, "per design weight") || !strings.Contains(errs, "--stream streams it anyway")):
				t.Errorf("%s, large: stderr %q; want read into memory after the cells passed the bound, saying why", where, errs)
			case !perBallot && (!strings.Contains(errs, "sipas "+r.cmd+": streaming") || strings.Contains(errs, "reading")):
				t.Errorf("%s, large: stderr %q; want streamed", where, errs)
			}
			same := esSame
			if r.cmd == "index" {
				same = func(t *testing.T, where, a, b string) { sameCSVTol(t, where, a, b, 1e-12, 1e-12) }
			}
			same(t, where+" by default", mem, got)
			if !perBallot {
				continue
			}
			got, errs = run(true, append(args, "--stream")...)
			if !strings.Contains(errs, "sipas "+r.cmd+": streaming") || strings.Contains(errs, "reading") {
				t.Fatalf("%s --stream: stderr %q; want streamed", where, errs)
			}
			same(t, where+" --stream", mem, got)
			sums := filepath.Join(dir, "sums.parquet")
			got, errs = run(true, append(args, "--sums-out", sums)...)
			if strings.Contains(errs, "reading") {
				t.Fatalf("%s --sums-out: stderr %q; want streamed", where, errs)
			}
			same(t, where+" --sums-out", mem, got)
			if r.cmd == "index" {
				got, _ = run(false, append([]string{"index", "--from-sums", sums}, r.args...)...)
				same(t, where+" --from-sums", mem, got)
			}
		}
	}
	for _, design := range [][]string{
		{"--weighting", trimmed, "--strata", "stratum", "--psu", "psu", "--fpc", "fpc"},
		{"--weighting", filepath.Join(wtGoldenDir, "sipas_rake.json"), "--strata", "stratum", "--by", "level"},
	} {
		memColumnBytes = 8
		_, errs := run(true, append([]string{"index", "--in", indexFixture, "--format", "csv", "--quiet"}, design...)...)
		if strings.Contains(errs, "reading") || len(design) < 7 && !strings.Contains(errs, "sipas index: streaming") {
			t.Errorf("index %v: stderr %q; want streamed by default", design, errs)
		}
	}
	_, errs := run(true, "estimate", "--in", filepath.Join(etAPI, "apiclus1.csv"), "--weighting", writeFile(t, dir, "rt.json", esWeightingSpecs("[0.8, 1.3]")["rake_trim"]),
		"--psu", "dnum", "--fpc", "fpc", "--mean", "api00")
	if !strings.Contains(errs, "sipas estimate: streaming") || strings.Contains(errs, "reading") {
		t.Errorf("estimate with --psu: stderr %q; want streamed by default", errs)
	}
}

// ballotWeights writes the CSV file at path to dir with a design weight
// of its own on every ballot (the weight column, weight or pw, times
// 1 + i/10^5 on the i-th row) and returns its path.
func ballotWeights(t *testing.T, dir, path string) string {
	t.Helper()
	rows := readCSV(t, path)
	wc := slices.Index(rows[0], "weight")
	if wc < 0 {
		wc = slices.Index(rows[0], "pw")
	}
	for i, r := range rows[1:] {
		w, err := strconv.ParseFloat(r[wc], 64)
		if err != nil {
			t.Fatal(err)
		}
		r[wc] = strconv.FormatFloat(w*(1+float64(i)/1e5), 'g', -1, 64)
	}
	out := filepath.Join(dir, "own_"+filepath.Base(path))
	writeCSVRows(t, out, rows)
	return out
}
