package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAbsurdSizes gives sizes that a machine cannot hold, or size
// measures near the largest float, where sipas used to panic (makeslice,
// "probability outside [0, 1]") or die out of memory: each now exits 2
// with a message that names the flag or field, and no panic text.
func TestAbsurdSizes(t *testing.T) {
	dir := t.TempDir()
	api := filepath.Join(etAPI, "apistrat.csv")
	ballots := vtBallots(t, dir, "ballots.csv", "B001|Hà Nội|"+good, "B002|Huế|"+good)
	boot := writeFile(t, dir, "boot.json", `{"design_weight": "pw", "steps": [], "replicates": {"type": "bootstrap", "strata": "stype", "psu": "snum", "n": 1e9}, "output": {"weight": "final"}}`)
	// One row per district: the district sizes are 1e308 each, and their
	// sum overflows.
	var big strings.Builder
	big.WriteString("id,province,level,district,commune,size\n")
	for i := 0; i < 6; i++ {
		fmt.Fprintf(&big, "%d,Hà Nội,commune,d%d,c%d,1e308\n", i, i, i)
	}
	bigFrame := writeFile(t, dir, "big.csv", big.String())
	// Two rows of one commune: the commune's size overflows.
	overflow := writeFile(t, dir, "overflow.csv", "id,province,level,district,commune,size\n1,Hà Nội,commune,d1,c1,1e308\n2,Hà Nội,commune,d1,c1,1e308\n3,Hà Nội,commune,d2,c2,1\n")
	design := writeFile(t, dir, "design.json", `{"strata": ["province"], "size": {"total": 2},
	  "stages": [{"unit": "district", "method": "pps_systematic", "size": "size", "n": 2}, {"unit": "row", "method": "srs"}]}`)
	out := filepath.Join(dir, "out.csv")
	for _, tc := range []struct {
		name string
		args []string
		want string // in the message; "" for success
	}{
		{"replicates int64 max", []string{"estimate", "--in", api, "--weight", "pw", "--mean", "api00", "--variance", "bootstrap", "--replicates", "9223372036854775807"}, "--replicates"},
		{"replicates 1e11", []string{"estimate", "--in", api, "--weight", "pw", "--mean", "api00", "--variance", "bootstrap", "--replicates", "99999999999"}, "--replicates"},
		{"draws int64 max", []string{"trend", "--in", ballots, "--year-col", "year", "--draws", "9223372036854775807"}, "--draws"},
		{"draws 1e11", []string{"report", "--in", ballots, "--out", filepath.Join(dir, "rep"), "--draws", "99999999999"}, "--draws"},
		{"spec replicates n 1e9", []string{"weight", "--in", api, "--spec", boot, "--out", out}, "replicates.n"},
		{"register rows 1e11", []string{"demo", "--out", filepath.Join(dir, "demo"), "--register-rows", "99999999999"}, "--register-rows"},
		{"register rows int64 max", []string{"demo", "--out", filepath.Join(dir, "demo"), "--register-rows", "9223372036854775807"}, "--register-rows"},
		{"unit size overflows", []string{"sample", "--frame", overflow, "--design", design, "--out", out}, `column "size"`},
		{"size measures 1e308", []string{"sample", "--frame", bigFrame, "--design", design, "--out", out}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr, _ := runBounded(t, tc.args...)
			for _, bad := range []string{"panic", "goroutine", "runtime error", "fatal error"} {
				if strings.Contains(stderr, bad) {
					t.Errorf("panic text %q in %q", bad, stderr)
				}
			}
			if tc.want == "" {
				if code != 0 {
					t.Errorf("exit %d: %s", code, stderr)
				}
				os.Remove(out)
				return
			}
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("output written")
				os.Remove(out)
			}
		})
	}
}
