package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sipas index --weighting streamed (--sums-out forces the streamed path on
// a small file): the steps run on the per-(stratum, PSU, domain, class)
// sums of the design weights, and the indices and their
// calibration-aware SEs equal R's (testdata/weighting/index_weighting.csv,
// testdata/weighting_index.R) at 1e-7, as the in-memory path.
func TestIndexWeightingStreamedMatchesR(t *testing.T) {
	indexWeightingMatchesR(t, "--sums-out", filepath.Join(t.TempDir(), "sums.parquet"))
}

// TestIndexWeightingStreamed: for post-stratification, raking and linear
// and logit calibration (the R-golden specifications), the streamed run
// equals the in-memory one at 1e-12 (estimates, SEs, n), --from-sums with
// --weighting on its sums table prints the same output, and a step that
// needs every row is refused with --sums-out, naming the step.
func TestIndexWeightingStreamed(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join("..", "..", "testdata", "index", "sipas_small.csv")
	design := []string{"--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--nest", "--by", "level"}
	for _, cs := range []string{"ps", "rake", "cal_linear", "cal_logit"} {
		spec := filepath.Join(wtGoldenDir, "sipas_"+cs+".json")
		args := append([]string{"--in", in, "--weighting", spec}, design...)
		mem := wfIndex(t, args...)
		sums := filepath.Join(dir, cs+".parquet")
		code, out1, errs := vtRun(t, "", append([]string{"index", "--sums-out", sums}, args...)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", cs, code, errs)
		}
		str := wfIndex(t, append([]string{"--sums-out", filepath.Join(dir, cs+"2.parquet")}, args...)...)
		sameIndexRows(t, cs, mem, str)
		code, out2, errs := vtRun(t, "", append([]string{"index", "--from-sums", sums, "--weighting", spec}, design...)...)
		if code != 0 || out1 != out2 {
			t.Errorf("%s: --from-sums --weighting: exit %d %s\n%.400s\nstreamed\n%.400s", cs, code, errs, out2, out1)
		}
		weightedTableRefused(t, "index "+cs, sums, spec, filepath.Join(wtGoldenDir, "sipas_ps.json"), design)
	}
	numeric := writeFile(t, dir, "num.json", `{"design_weight": "weight", "steps": [{"calibrate": {"numeric": {"fpc": 5000000}}}]}`)
	sums := filepath.Join(dir, "num.parquet")
	// a numeric calibration streams in passes with --sums-out
	// (TestIndexCalibratedStreamed); this one fails (negative weights),
	// and leaves no file; its SQL is refused, naming the step
	code, _, errs := vtRun(t, "", append([]string{"index", "--in", in, "--weighting", numeric, "--sums-out", sums}, design...)...)
	if code != 2 || !strings.Contains(errs, "steps[0].calibrate") || !strings.Contains(errs, "negative") {
		t.Errorf("numeric calibration with --sums-out: exit %d, %q; want 2 naming steps[0].calibrate", code, errs)
	}
	if _, err := os.Stat(sums); err == nil {
		t.Error("a failed --sums-out left a file")
	}
	// a raking's query groups by its margins' classes, not by the design
	// weight, sums the design weights and the unweighted scores of its
	// linearized variance (TestWeightedSumsSQLOnSQLite runs it)
	code, sql, errs := vtRun(t, "", "index", "--sums-sql", "ballots", "--weighting", filepath.Join(wtGoldenDir, "sipas_rake.json"), "--strata", "stratum", "--psu", "psu", "--by", "level")
	if code != 0 || !strings.Contains(sql, "GROUP BY stratum, psu, level, province, gender, age_group\n") || !strings.Contains(sql, "SUM(weight) AS") ||
		!strings.Contains(sql, " THEN 1 * 100 ELSE 0 END) AS u_expect_1,") {
		t.Errorf("raking with --sums-sql: exit %d, %s\n%.2000s", code, errs, sql)
	}
	code, _, errs = vtRun(t, "", "index", "--sums-sql", "ballots", "--weighting", numeric, "--strata", "stratum", "--psu", "psu", "--by", "level")
	if code != 2 || !strings.Contains(errs, "steps[0].calibrate") || !strings.Contains(errs, "numeric calibration variables") {
		t.Errorf("numeric calibration with --sums-sql: exit %d, %q; want 2 naming steps[0].calibrate", code, errs)
	}
}

// weightedTableRefused: the sums table at sums, made with the weighting
// spec, finished without a weighting (design-weighted numbers, silently,
// before) or with the weighting other, is refused: exit 2 naming what to
// give, nothing on standard output.
func weightedTableRefused(t *testing.T, label, sums, spec, other string, args []string) {
	t.Helper()
	cmd := strings.Fields(label)[0]
	code, out, errs := vtRun(t, "", append([]string{cmd, "--from-sums", sums}, args...)...)
	if code != 2 || out != "" || !strings.Contains(errs, "finish it with the same weighting specification") {
		t.Errorf("%s: --from-sums without --weighting: exit %d, stdout %.200q, stderr %q; want 2, the weighting asked for", label, code, out, errs)
	}
	if other == spec {
		return
	}
	code, out, errs = vtRun(t, "", append([]string{cmd, "--from-sums", sums, "--weighting", other}, args...)...)
	// (or a column of the other's classes is missing, which says so first)
	if code != 2 || out != "" || !strings.Contains(errs, "made with another weighting specification") && !strings.Contains(errs, "(a class of --weighting)") {
		t.Errorf("%s: --from-sums with another --weighting: exit %d, stdout %.200q, stderr %q; want 2, the other specification named", label, code, out, errs)
	}
}
