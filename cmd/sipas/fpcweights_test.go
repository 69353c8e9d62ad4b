package main

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// TestFPCWeightsStream: without a weight column (--weight none) and with
// --fpc, the ballots weigh N_h/n_h, known only once every PSU is counted:
// index (with --psu and without) and estimate (means, totals, ratios,
// contrasts) stream such a design, and print what the in-memory run
// prints, every number (estimates, SEs, intervals, design effects, df,
// the design's weights sum) within 1e-12 relative; index's --sums-out
// table, read back with --from-sums and the same design flags, gives the
// same again; --sums-sql refuses the design, saying how to give the
// weight (exit 2).
func TestFPCWeightsStream(t *testing.T) {
	dir := t.TempDir()
	psu := []string{"--weight", "none", "--strata", "stratum", "--psu", "psu", "--fpc", "fpc"}
	cases := map[string][]string{
		"index PSU":         append([]string{"index", "--by", "region"}, psu...),
		"index PSU two":     append([]string{"index", "--by", "region,field", "--score", "mean"}, psu...),
		"index no PSU":      {"index", "--weight", "none", "--strata", "stratum", "--fpc", "fpc", "--by", "level"},
		"estimate":          append([]string{"estimate", "--mean", "access_1", "--total", "access_2", "--ratio", "access_1/access_2", "--by", "region"}, psu...),
		"estimate national": append([]string{"estimate", "--mean", "access_1,access_3", "--total", "access_2"}, psu...),
		"estimate contrast": append(append([]string{"estimate", "--mean", "access_1", "--by", "region"}, psu...), "--contrast", "pairs"),
	}
	decode := func(where, s string) any {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatalf("%s: %v: %.200q", where, err, s)
		}
		return v
	}
	for name, args := range cases {
		args = append([]string{args[0], "--in", indexFixture}, args[1:]...)
		code, mem, errs := vtRun(t, "", args...)
		if code != 0 || strings.Contains(errs, "streaming") {
			t.Fatalf("%s in memory: exit %d, stderr %q", name, code, errs)
		}
		code, str, errs := vtRun(t, "", append(args, "--stream")...)
		if code != 0 || strings.Contains(errs, "into memory") {
			t.Fatalf("%s streamed: exit %d, stderr %q; want it streamed", name, code, errs)
		}
		if strings.Contains(name, "contrast") {
			// a contrast is a difference of domain estimates, exact to
			// 1e-12 of theirs (the largest, scale), as is its p-value
			_, means, _ := vtRun(t, "", args[:len(args)-2]...)
			scale := 0.0
			for _, r := range decode(name, means).(map[string]any)["estimates"].([]any) {
				scale = math.Max(scale, math.Abs(r.(map[string]any)["estimate"].(float64)))
			}
			if n := sameJSONScale(t, name+" streamed", decode(name, mem), decode(name, str), 1e-12, scale); n < 20 {
				t.Errorf("%s: %d numbers compared", name, n)
			}
			continue
		}
		if n := sameJSON(t, name+" streamed", decode(name, mem), decode(name, str), 1e-12); n < 20 {
			t.Errorf("%s: %d numbers compared", name, n)
		}
		if args[0] != "index" {
			continue
		}
		sums := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".parquet")
		if code, _, errs := vtRun(t, "", append(args, "--sums-out", sums)...); code != 0 {
			t.Fatalf("%s --sums-out: exit %d, %s", name, code, errs)
		}
		from := []string{"index", "--from-sums", sums}
		for i := 3; i < len(args); i++ {
			if args[i] == "--weight" {
				i++
				continue
			}
			from = append(from, args[i])
		}
		code, fs, errs := vtRun(t, "", from...)
		if code != 0 {
			t.Fatalf("%s --from-sums: exit %d, %s", name, code, errs)
		}
		sameJSON(t, name+" --from-sums", decode(name, mem), decode(name, fs), 1e-12)
	}
	code, out, errs := vtRun(t, "", append([]string{"index", "--sums-sql", "ballots"}, psu...)...)
	if code != 2 || out != "" || !strings.Contains(errs, "--fpc and no --weight") || !strings.Contains(errs, "--sums-out") {
		t.Errorf("--sums-sql: exit %d, stdout %.80q, stderr %q; want 2 saying how to give the weight", code, out, errs)
	}
}

// sameJSONScale is sameJSON with numbers compared at tol relative to the
// larger of their magnitude and scale; it returns how many it compared.
func sameJSONScale(t *testing.T, where string, a, b any, tol, scale float64) int {
	t.Helper()
	n := 0
	var walk func(p string, x, y any)
	walk = func(p string, x, y any) {
		switch xv := x.(type) {
		case map[string]any:
			yv, ok := y.(map[string]any)
			if !ok || len(xv) != len(yv) {
				t.Errorf("%s%s: %v in memory, %v streamed", where, p, x, y)
				return
			}
			for k := range xv {
				walk(p+"."+k, xv[k], yv[k])
			}
		case []any:
			yv, ok := y.([]any)
			if !ok || len(xv) != len(yv) {
				t.Errorf("%s%s: %d values in memory, %v streamed", where, p, len(xv), y)
				return
			}
			for i := range xv {
				walk(fmt.Sprintf("%s[%d]", p, i), xv[i], yv[i])
			}
		case float64:
			yv, ok := y.(float64)
			n++
			if !ok || math.Abs(xv-yv) > tol*math.Max(math.Abs(xv), scale) {
				t.Errorf("%s%s: %.17g in memory, %v streamed", where, p, xv, y)
			}
		default:
			if x != y {
				t.Errorf("%s%s: %v in memory, %v streamed", where, p, x, y)
			}
		}
	}
	walk("", a, b)
	return n
}
