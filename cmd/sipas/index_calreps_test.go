package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestIndexCalibratedReplicatesStreamed: sipas index --weighting with an
// unbounded linear calibration to a numeric variable and a replicate
// --variance (JKn, the bootstrap with a seed) streams the file in passes
// (stderr says how many) and prints what the in-memory run prints: every
// field equal, every number at 1e-12 (estimates, SEs, intervals, design
// effects, degrees of freedom, the design's summary). A calibration
// followed by a trimming step with a replicate variance is read into
// memory, saying why.
func TestIndexCalibratedReplicatesStreamed(t *testing.T) {
	dir := t.TempDir()
	in, ageTotal := withAge(t, dir)
	spec := writeFile(t, dir, "linear.json", fmt.Sprintf(`{"design_weight": "weight", "steps": [{"calibrate": {"numeric": {"age": %v}, "margins": [{"by": ["field"], "totals": %s}]}}]}`, ageTotal*1.02, fieldTotals(t, in)))
	for _, v := range [][]string{{"--variance", "jkn"}, {"--variance", "bootstrap", "--replicates", "30", "--seed", "3"}} {
		args := append([]string{"--in", in, "--weighting", spec, "--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--nest", "--by", "level"}, v...)
		mem, str, stderr := indexBothWays(t, fmt.Sprint(v), args)
		if !strings.Contains(stderr, "sipas index: streaming") || !strings.Contains(stderr, "in 5 passes") {
			t.Errorf("%v: stderr %q does not say the file is streamed in 5 passes", v, stderr)
		}
		sameJSONOut(t, fmt.Sprint(v), mem, str, 1e-12)
	}
	// a trim step after the calibration: streamed (every replicate trims
	// its own weights), its output that of the in-memory run
	trimmed := writeFile(t, dir, "trimmed.json", fmt.Sprintf(`{"design_weight": "weight", "steps": [{"calibrate": {"method": "raking", "numeric": {"age": %v}}}, {"trim": {"max": 3}}]}`, ageTotal*0.97))
	targs := []string{"--in", in, "--weighting", trimmed, "--strata", "stratum", "--psu", "psu", "--variance", "jkn"}
	code, mem, stderr := vtRun(t, "", append([]string{"index"}, targs...)...)
	if code != 0 {
		t.Fatalf("raking then trimming with jkn, in memory: exit %d, %s", code, stderr)
	}
	code, str, stderr := vtRun(t, "", append([]string{"index", "--stream"}, targs...)...)
	if code != 0 || !strings.Contains(stderr, "re-run the steps after it on every replicate's class totals") {
		t.Errorf("raking then trimming with jkn: exit %d, stderr %q", code, stderr)
	}
	// 1e-9: every replicate's raking iterates over the groups of rows
	// alike, whose sums add in another order than the rows', and the
	// trimming's median and factor follow those weights
	sameJSONOut(t, "raking then trimming with jkn", mem, str, 1e-9)
}

// indexBothWays runs sipas index with args in memory and streamed
// (--stream), failing the test on a non-zero exit, and returns both
// outputs and the streamed run's stderr.
func indexBothWays(t *testing.T, where string, args []string) (mem, str, stderr string) {
	t.Helper()
	code, mem, stderr := vtRun(t, "", append([]string{"index"}, args...)...)
	if code != 0 {
		t.Fatalf("%s in memory: exit %d: %s", where, code, stderr)
	}
	code, str, stderr = vtRun(t, "", append([]string{"index", "--stream"}, args...)...)
	if code != 0 {
		t.Fatalf("%s streamed: exit %d: %s", where, code, stderr)
	}
	return mem, str, stderr
}

// sameJSONOut decodes the JSON printed in memory (mem) and streamed
// (str) and checks that they agree (sameJSON at tol), with at least one
// number compared; it returns both decoded.
func sameJSONOut(t *testing.T, where, mem, str string, tol float64) (a, b any) {
	t.Helper()
	if err := json.Unmarshal([]byte(mem), &a); err != nil {
		t.Fatalf("%s in memory: %v", where, err)
	}
	if err := json.Unmarshal([]byte(str), &b); err != nil {
		t.Fatalf("%s streamed: %v", where, err)
	}
	if n := sameJSON(t, where, a, b, tol); n == 0 {
		t.Fatalf("%s: no numbers compared", where)
	}
	return a, b
}

// sameJSON checks that the decoded JSON values a (in memory) and b
// (streamed) agree: numbers at relative tolerance tol, everything else
// exactly; it returns how many numbers it compared.
func sameJSON(t *testing.T, where string, a, b any, tol float64) int {
	t.Helper()
	return sameJSONScale(t, where, a, b, tol, 0)
}
