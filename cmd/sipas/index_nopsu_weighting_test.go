package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestIndexWeightingStreamsWithoutPSU: sipas index --weighting --stream
// without --psu (every rating its own unit, post-stratified or raked)
// streams, saying so, and prints what the in-memory run prints (every
// number within 1e-12 relative), with strata, fpc and domains; its sums
// table (--sums-out) gives the same again through --from-sums with
// --weighting.
func TestIndexWeightingStreamsWithoutPSU(t *testing.T) {
	dir := t.TempDir()
	for i, tc := range []struct {
		spec   string
		design []string
	}{
		{"sipas_ps.json", []string{"--strata", "stratum", "--fpc", "fpc", "--by", "province"}},
		{"sipas_rake.json", []string{"--strata", "stratum", "--by", "level"}},
		{"sipas_ps.json", []string{"--score", "mean"}},
	} {
		design := append([]string{"--weighting", filepath.Join(wtGoldenDir, tc.spec)}, tc.design...)
		args := append([]string{"index", "--in", indexFixture, "--format", "csv"}, design...)
		code, mem, errs := vtRun(t, "", args...)
		if code != 0 || strings.Contains(errs, "streaming") {
			t.Fatalf("%v in memory: exit %d, stderr %q", design, code, errs)
		}
		code, str, errs := vtRun(t, "", append(args, "--stream")...)
		if code != 0 || !strings.Contains(errs, "sipas index: streaming") || !strings.Contains(errs, "every ballot is its own PSU") || strings.Contains(errs, "reading") {
			t.Fatalf("%v streamed: exit %d, stderr %q", design, code, errs)
		}
		sameCSVTol(t, fmt.Sprint(design, " streamed"), mem, str, 1e-12, 1e-12)
		sums := filepath.Join(dir, fmt.Sprintf("s%d.parquet", i))
		if code, _, errs := vtRun(t, "", append(args, "--sums-out", sums)...); code != 0 {
			t.Fatalf("%v --sums-out: exit %d, %s", design, code, errs)
		}
		code, fs, errs := vtRun(t, "", append([]string{"index", "--from-sums", sums, "--format", "csv"}, design...)...)
		if code != 0 {
			t.Fatalf("%v --from-sums: exit %d, %s", design, code, errs)
		}
		sameCSVTol(t, fmt.Sprint(design, " --from-sums"), mem, fs, 1e-12, 1e-12)
	}
}

// TestIndexWeightingWithoutPSUMatchesR: sipas index --weighting without
// --psu (svydesign(id = ~1, strata = ~stratum, fpc = ~fpc)), in memory and
// streamed: criterion, element and SIPAS indices with their
// calibration-aware SEs after post-stratification and raking, nationally
// and by level, equal R's svyratio and svycontrast on the calibrated
// design (testdata/weighting/index_weighting_nopsu.csv,
// testdata/weighting_index.R nopsu) at 1e-9 (estimates) and 1e-7 (SEs).
func TestIndexWeightingWithoutPSUMatchesR(t *testing.T) {
	golden := wfGolden(t, "index_weighting_nopsu.csv", 5)
	checked := 0
	for _, stream := range []bool{false, true} {
		for _, cs := range []string{"ps", "rake"} {
			for _, by := range []string{"", "level"} {
				args := []string{"--in", indexFixture, "--weighting", filepath.Join(wtGoldenDir, "sipas_"+cs+".json"),
					"--strata", "stratum", "--fpc", "fpc", "--no-expectations"}
				if by != "" {
					args = append(args, "--by", by)
				}
				if stream {
					args = append(args, "--stream")
				}
				checked += indexGoldenRows(t, golden, cs, by, fmt.Sprintf("stream %v ", stream), wfIndex(t, args...))
			}
		}
	}
	// the national rows appear in both runs of each case
	if want := 2 * (len(golden) + 2*28); checked != want {
		t.Errorf("%d rows checked, want %d", checked, want)
	}
}
