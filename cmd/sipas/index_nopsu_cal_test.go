package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestIndexCalibratedStreamedWithoutPSU: sipas index --weighting with a
// calibration to a numeric variable and without --psu (every ballot its
// own PSU) streams the file in passes (--stream; stderr says so) and
// prints every number of the in-memory run (estimates, SEs, intervals,
// design effects, n, df) within 1e-12 relative: linear, raking with
// per-ballot bounds, logit, after a nonresponse adjustment, followed by
// trimming; without strata, with strata, with strata and fpc, nationally
// and by domains, the fixture's missing answers included. Its sums table
// (--sums-out) prints the same through --from-sums with the --weighting.
func TestIndexCalibratedStreamedWithoutPSU(t *testing.T) {
	dir := t.TempDir()
	in, ageTotal := withAge(t, dir)
	field := fieldTotals(t, in)
	specs := []struct {
		name, js string
		design   []string
	}{
		{"linear", fmt.Sprintf(`{"design_weight": "weight", "steps": [{"calibrate": {"numeric": {"age": %v}, "margins": [{"by": ["field"], "totals": %s}]}}]}`, ageTotal*1.02, field),
			[]string{"--strata", "stratum", "--fpc", "fpc", "--by", "level"}},
		{"raking", fmt.Sprintf(`{"design_weight": "weight", "steps": [{"calibrate": {"method": "raking", "numeric": {"age": %v}, "bounds_columns": ["lo", "hi"]}}]}`, ageTotal*0.97),
			[]string{"--by", "province", "--score", "mean"}},
		{"logit", fmt.Sprintf(`{"design_weight": "weight", "steps": [{"calibrate": {"method": "logit", "bounds": [0.5, 2], "numeric": {"age": %v}, "margins": [{"by": ["field"], "totals": %s}]}}]}`, ageTotal*1.01, field),
			[]string{"--strata", "stratum"}},
		{"nonresponse then trim", fmt.Sprintf(`{"design_weight": "weight", "steps": [{"nonresponse": {"classes": ["field"], "responded": "resp"}}, {"calibrate": {"numeric": {"age": %v}, "margins": [{"by": ["field"], "totals": %s}]}}, {"trim": {"max": 2.5}}]}`, ageTotal*1.02, field),
			[]string{"--strata", "stratum", "--fpc", "fpc", "--by", "region"}},
	}
	for i, sp := range specs {
		if testing.Short() && i > 0 {
			break // the race run: one spec
		}
		spec := writeFile(t, dir, fmt.Sprintf("nopsu%d.json", i), sp.js)
		args := append([]string{"--in", in, "--weighting", spec, "--format", "csv"}, sp.design...)
		code, mem, errs := vtRun(t, "", append([]string{"index"}, args...)...)
		if code != 0 || strings.Contains(errs, "streaming") {
			t.Fatalf("%s in memory: exit %d, stderr %q", sp.name, code, errs)
		}
		code, str, errs := vtRun(t, "", append([]string{"index", "--stream"}, args...)...)
		if code != 0 || !strings.Contains(errs, "sipas index: streaming") || !strings.Contains(errs, "passes") || strings.Contains(errs, "memory") {
			t.Fatalf("%s streamed: exit %d, stderr %q", sp.name, code, errs)
		}
		sameCSVTol(t, sp.name+" streamed", mem, str, 1e-12, 1e-12)
		sameFromCalibratedSums(t, fmt.Sprintf("nopsu%d", i), dir, spec, args, append([]string{"--format", "csv"}, sp.design...), str)
	}
}

// TestIndexCalibratedWithoutPSUMatchesR: sipas index --weighting without
// --psu after a calibration to the field margin and the numeric total of
// age (svydesign(id = ~1, strata = ~stratum, fpc = ~fpc) and calibrate(),
// linear and logit with bounds), in memory and streamed, equals R's
// svyratio and svycontrast on the calibrated design
// (testdata/weighting/index_weighting_nopsucal.csv, testdata/weighting_index.R
// nopsucal), nationally and by level, at 1e-9 (estimates) and 1e-7 (SEs).
func TestIndexCalibratedWithoutPSUMatchesR(t *testing.T) {
	golden := wfGolden(t, "index_weighting_nopsucal.csv", 5)
	in, _ := withAge(t, t.TempDir())
	checked := 0
	for _, stream := range []bool{false, true} {
		for _, cs := range []string{"linear", "logit"} {
			for _, by := range []string{"", "level"} {
				args := []string{"index", "--in", in, "--weighting", filepath.Join(wtGoldenDir, "sipas_nopsucal_"+cs+".json"),
					"--strata", "stratum", "--fpc", "fpc", "--no-expectations"}
				if by != "" {
					args = append(args, "--by", by)
				}
				if stream {
					args = append(args, "--stream")
				}
				code, stdout, stderr := vtRun(t, "", args...)
				if code != 0 || strings.Contains(stderr, "sipas index: streaming") != stream {
					t.Fatalf("%v: exit %d, stderr %q", args, code, stderr)
				}
				checked += indexGoldenRows(t, golden, "cal_"+cs, by, fmt.Sprintf("stream %v ", stream), wfIndexRows(t, stdout))
			}
		}
	}
	// the national rows appear in both runs of each case
	if want := 2 * (len(golden) + 2*28); checked != want {
		t.Errorf("%d rows checked, want %d", checked, want)
	}
}
