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
