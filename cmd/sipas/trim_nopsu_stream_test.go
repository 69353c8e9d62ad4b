package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrimmedWeightingWithoutPSUStreamsOnlyAsked: a large file without
// --psu whose --weighting trims each ballot's weight (raking then trim;
// a category calibration with bounds_const) is read into memory by
// sipas index and sipas estimate unless --stream asks for the stream,
// saying why on standard error (its cells are keyed by the design
// weight: one per ballot when the weights differ); --stream streams and
// prints the same numbers (1e-12), and so does --sums-out (index: then
// --from-sums too). With --psu the same weighting streams by default, and a
// raking without trim (cells not keyed by the weight) too.
func TestTrimmedWeightingWithoutPSUStreamsOnlyAsked(t *testing.T) {
	dir := t.TempDir()
	defer func(b, s int64) { bigInput, streamMin = b, s }(bigInput, streamMin)
	bigInput, streamMin = 0, 0
	rake, err := os.ReadFile(filepath.Join(wtGoldenDir, "sipas_rake.json"))
	if err != nil {
		t.Fatal(err)
	}
	trimmed := writeFile(t, dir, "trim.json", strings.Replace(string(rake), `]}}]}`, `]}}, {"trim": {"max": 3}}]}`, 1))
	plainRake := filepath.Join(wtGoldenDir, "sipas_rake.json")
	const why = "without --psu streams with --stream only"
	for _, design := range [][]string{
		{"--weighting", trimmed, "--strata", "stratum", "--by", "level"},
		{"--weighting", trimmed, "--strata", "stratum", "--fpc", "fpc", "--by", "province"},
	} {
		args := append([]string{"index", "--in", indexFixture, "--format", "csv", "--quiet"}, design...)
		code, mem, errs := vtRun(t, "", args...)
		if code != 0 || strings.Contains(errs, "streaming") || !strings.Contains(errs, "sipas index: reading") || !strings.Contains(errs, why) {
			t.Fatalf("index %v: exit %d, stderr %q; want read into memory, saying why", design, code, errs)
		}
		code, str, errs := vtRun(t, "", append(args, "--stream")...)
		if code != 0 || !strings.Contains(errs, "sipas index: streaming") || strings.Contains(errs, "reading") {
			t.Fatalf("index %v --stream: exit %d, stderr %q; want streamed", design, code, errs)
		}
		sameCSVTol(t, strings.Join(design, " ")+" streamed", mem, str, 1e-12, 1e-12)
		sums := filepath.Join(dir, "sums.parquet")
		if code, _, errs := vtRun(t, "", append(args, "--sums-out", sums)...); code != 0 || strings.Contains(errs, "reading") {
			t.Fatalf("index %v --sums-out: exit %d, stderr %q", design, code, errs)
		}
		code, fs, errs := vtRun(t, "", append([]string{"index", "--from-sums", sums, "--format", "csv"}, design...)...)
		if code != 0 {
			t.Fatalf("index %v --from-sums: exit %d, %s", design, code, errs)
		}
		sameCSVTol(t, strings.Join(design, " ")+" --from-sums", mem, fs, 1e-12, 1e-12)
	}
	for _, design := range [][]string{
		{"--weighting", trimmed, "--strata", "stratum", "--psu", "psu", "--fpc", "fpc"},
		{"--weighting", plainRake, "--strata", "stratum", "--by", "level"},
	} {
		code, _, errs := vtRun(t, "", append([]string{"index", "--in", indexFixture, "--format", "csv", "--quiet"}, design...)...)
		if code != 0 || strings.Contains(errs, "reading") || len(design) < 7 && !strings.Contains(errs, "sipas index: streaming") {
			t.Errorf("index %v: exit %d, stderr %q; want streamed by default", design, code, errs)
		}
	}

	// sipas estimate: apistrat (no PSU), raked then trimmed, and
	// calibrated to category margins with bounds_const
	strat := filepath.Join(etAPI, "apistrat.csv")
	bounded := writeFile(t, dir, "bc.json", `{"design_weight": "pw", "steps": [{"calibrate": {"method": "linear", "bounds": [12, 50], "bounds_const": true, "margins": [{"by": ["stype"], "totals": `+popStypeW+`}, {"by": ["sch.wide"], "totals": {"No": 1072, "Yes": 5122}}]}}]}`)
	for _, ws := range []string{writeFile(t, dir, "rt.json", esWeightingSpecs("[0.8, 1.3]")["rake_trim"]), bounded} {
		args := []string{"--in", strat, "--weighting", ws, "--strata", "stype", "--fpc", "fpc", "--by", "sch.wide",
			"--mean", "api00,yes", "--total", "enroll", "--ratio", "api00/api99"}
		code, mem, errs := vtRun(t, "", append([]string{"estimate"}, args...)...)
		if code != 0 || strings.Contains(errs, "streaming") || !strings.Contains(errs, "sipas estimate: reading") || !strings.Contains(errs, why) {
			t.Fatalf("estimate %s: exit %d, stderr %q; want read into memory, saying why", filepath.Base(ws), code, errs)
		}
		code, str, errs := vtRun(t, "", append([]string{"estimate", "--stream"}, args...)...)
		if code != 0 || !strings.Contains(errs, "sipas estimate: streaming") || strings.Contains(errs, "reading") {
			t.Fatalf("estimate %s --stream: exit %d, stderr %q; want streamed", filepath.Base(ws), code, errs)
		}
		esSame(t, filepath.Base(ws)+" streamed", str, mem)
		code, str, errs = vtRun(t, "", append([]string{"estimate", "--sums-out", filepath.Join(dir, "es.parquet")}, args...)...)
		if code != 0 || strings.Contains(errs, "reading") {
			t.Fatalf("estimate %s --sums-out: exit %d, stderr %q; want streamed", filepath.Base(ws), code, errs)
		}
		esSame(t, filepath.Base(ws)+" --sums-out", str, mem)
	}
	code, _, errs := vtRun(t, "", "estimate", "--in", filepath.Join(etAPI, "apiclus1.csv"), "--weighting", writeFile(t, dir, "rt.json", esWeightingSpecs("[0.8, 1.3]")["rake_trim"]),
		"--psu", "dnum", "--fpc", "fpc", "--mean", "api00")
	if code != 0 || !strings.Contains(errs, "sipas estimate: streaming") || strings.Contains(errs, "reading") {
		t.Errorf("estimate with --psu: exit %d, stderr %q; want streamed by default", code, errs)
	}
}
