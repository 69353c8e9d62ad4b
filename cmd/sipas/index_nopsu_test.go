package main

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestIndexStreamsWithoutPSU: a design without --psu (every ballot its own
// PSU) streams, saying so, and prints what the in-memory run prints (the
// same rows and labels, every number within 1e-12 relative: the sums add
// in another order), with and without fpc and by domains; its sums table
// (--sums-out) gives the same again through --from-sums. Replicates and a
// calibration to a numeric variable after a post-stratification without
// --psu are read into memory, saying why (a weighting on classes streams:
// TestIndexWeightingStreamsWithoutPSU; a calibration to numeric variables
// alone: TestIndexCalibratedStreamedWithoutPSU).
func TestIndexStreamsWithoutPSU(t *testing.T) {
	dir := t.TempDir()
	for i, design := range [][]string{
		{"--weight", "weight", "--strata", "stratum", "--by", "level"},
		{"--weight", "weight", "--strata", "stratum", "--fpc", "fpc", "--by", "province"},
		{"--by", "field", "--score", "mean"},
	} {
		args := append([]string{"index", "--in", indexFixture, "--format", "csv"}, design...)
		code, mem, errs := vtRun(t, "", args...)
		if code != 0 || strings.Contains(errs, "streaming") {
			t.Fatalf("%v in memory: exit %d, stderr %q", design, code, errs)
		}
		code, str, errs := vtRun(t, "", append(args, "--stream")...)
		if code != 0 || !strings.Contains(errs, "sipas index: streaming") || !strings.Contains(errs, "every ballot is its own PSU") {
			t.Fatalf("%v streamed: exit %d, stderr %q", design, code, errs)
		}
		sameCSVTol(t, fmt.Sprint(design, " streamed"), mem, str, 1e-12, 1e-12)
		sums := filepath.Join(dir, "s"+string(rune('0'+i))+".parquet")
		if code, _, errs := vtRun(t, "", append(args, "--sums-out", sums)...); code != 0 {
			t.Fatalf("%v --sums-out: exit %d, %s", design, code, errs)
		}
		from := dropWeightFlag(design)
		code, fs, errs := vtRun(t, "", append([]string{"index", "--from-sums", sums, "--format", "csv"}, from...)...)
		if code != 0 {
			t.Fatalf("%v --from-sums: exit %d, %s", design, code, errs)
		}
		sameCSVTol(t, fmt.Sprint(design, " --from-sums"), mem, fs, 1e-12, 1e-12)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--weight", "weight", "--variance", "jk1"}, "replicate unit"},
		{[]string{"--weighting", writeFile(t, dir, "num.json", `{"design_weight": "weight", "steps": [{"poststratify": {"by": ["level"], "totals": {"commune": 12828470, "district": 9439434, "province": 6175361}}}, {"calibrate": {"numeric": {"fpc": 4800000000}}}]}`)}, "post-stratification, raking or another calibration"},
	} {
		args := append([]string{"index", "--in", indexFixture, "--stream", "--format", "csv"}, tc.args...)
		code, _, errs := vtRun(t, "", args...)
		if code != 0 || !strings.Contains(errs, "reading") || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want read into memory because of %s", tc.args, code, errs, tc.want)
		}
	}
}

// sameCSVTol asserts that two CSV outputs have the same rows and text and
// every number within tol relative (numbers of magnitude below floor are
// rounding noise around 0).
func sameCSVTol(t *testing.T, where, a, b string, tol, floor float64) {
	t.Helper()
	ra, rb := strings.Split(strings.TrimSpace(a), "\n"), strings.Split(strings.TrimSpace(b), "\n")
	if len(ra) != len(rb) {
		t.Fatalf("%s: %d rows vs %d", where, len(ra), len(rb))
	}
	bad := 0
	for i := range ra {
		ca, cb := strings.Split(ra[i], ","), strings.Split(rb[i], ",")
		if len(ca) != len(cb) {
			t.Fatalf("%s row %d: %q vs %q", where, i, ra[i], rb[i])
		}
		for j := range ca {
			if ca[j] == cb[j] {
				continue
			}
			x, e1 := strconv.ParseFloat(ca[j], 64)
			y, e2 := strconv.ParseFloat(cb[j], 64)
			if m := math.Max(math.Abs(x), math.Abs(y)); e1 != nil || e2 != nil || math.Abs(x-y) > tol*m && m > floor {
				t.Errorf("%s row %d col %d: %q in memory, %q streamed", where, i, j, ca[j], cb[j])
				if bad++; bad > 10 {
					t.FailNow()
				}
			}
		}
	}
}
