package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withHeader writes a copy of the CSV file src whose header has the
// column from renamed to.
func withHeader(t *testing.T, dir, name, src, from, to string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	head, rest, _ := strings.Cut(string(b), "\n")
	cols := strings.Split(head, ",")
	found := false
	for i, c := range cols {
		if strings.Trim(c, `"`) == from {
			cols[i], found = to, true
		}
	}
	if !found {
		t.Fatalf("%s has no column %q", src, from)
	}
	return writeFile(t, dir, name, strings.Join(cols, ",")+"\n"+rest)
}

// TestHeaderNearMissEveryCommand: a column the run looks up by name —
// the weight, PSU and domain of the design flags, an answer column of the
// questionnaire, the optional expectation items, the year, a weighting
// class, a frame's stratum — whose header differs from the name only in
// case, Unicode normalisation (NFD), an invisible character or outer
// spaces is refused by name: exit 2, the file, the column wanted and the
// header. Before, required columns were "missing" with the header
// invisible in the list (psu<ZWSP>), and optional ones were skipped
// without a word (index without expectations, a file of unknown year).
func TestHeaderNearMissEveryCommand(t *testing.T) {
	dir := t.TempDir()
	design := []string{"--weight", "weight", "--strata", "stratum", "--psu", "psu"}
	apistrat := filepath.Join(etAPI, "apistrat.csv")
	ppsFrame := smpFrame(t, dir, func(d string) string { return fmt.Sprint(strings.HasSuffix(d, "-d0")) })
	cases := []struct {
		name, src, col, header string
		args                   func(in string) []string
	}{
		{"index weight", indexFixture, "weight", "WEIGHT", func(in string) []string {
			return append([]string{"index", "--in", in}, design...)
		}},
		{"estimate psu", indexFixture, "psu", "psu\u200b", func(in string) []string {
			return append([]string{"estimate", "--in", in, "--mean", "access_1"}, design...)
		}},
		{"estimate by", indexFixture, "region", "REGION", func(in string) []string {
			return append([]string{"estimate", "--in", in, "--mean", "access_1", "--by", "region"}, design...)
		}},
		{"index criterion", indexFixture, "access_1", "Access_1", func(in string) []string {
			return append([]string{"index", "--in", in}, design...)
		}},
		{"index expectation (optional)", indexFixture, "expect_1", "EXPECT_1", func(in string) []string {
			return append([]string{"index", "--in", in}, design...)
		}},
		{"index year (optional)", indexFixture, "year", "Year", func(in string) []string {
			return append([]string{"index", "--in", in, "--by", "province"}, design...)
		}},
		{"trend year", indexFixture, "year", "YEAR", func(in string) []string {
			return append([]string{"trend", "--in", in, "--year-col", "year", "--draws", "100"}, design...)
		}},
		{"validate year (optional)", indexFixture, "year", "\ufeffyear", func(in string) []string {
			return []string{"validate", "--in", in, "--out", filepath.Join(dir, "clean.csv"), "--excluded", filepath.Join(dir, "excl.csv")}
		}},
		{"weight class", apistrat, "stype", "sType", func(in string) []string {
			spec := writeFile(t, dir, "w.json", `{"design_weight": "pw", "steps": [{"poststratify": {"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}}]}`)
			return []string{"weight", "--in", in, "--spec", spec, "--out", filepath.Join(dir, "w.csv")}
		}},
		{"sample stratum", ppsFrame, "province", "Province", func(in string) []string {
			return []string{"sample", "--frame", in, "--design", smpDesign(t, dir, smpDesignJSON), "--plan"}
		}},
	}
	for i, c := range cases {
		in := withHeader(t, dir, fmt.Sprintf("in%d.csv", i), c.src, c.col, c.header)
		code, stdout, stderr := vtRun(t, "", c.args(in)...)
		file := filepath.Base(in)
		if code != 2 || !strings.Contains(stderr, file) || !strings.Contains(stderr, fmt.Sprintf("%q", c.col)) ||
			!strings.Contains(stderr, fmt.Sprintf("%q", c.header)) || !strings.Contains(stderr, "rename") {
			t.Errorf("%s (%q for %q): exit %d, stderr %q; want 2 naming %s, the column and the header\nstdout %.300s", c.name, c.header, c.col, code, stderr, file, stdout)
		}
		for _, out := range []string{"clean.csv", "excl.csv", "w.csv"} {
			if _, err := os.Stat(filepath.Join(dir, out)); err == nil {
				t.Errorf("%s: wrote %s", c.name, out)
			}
		}
	}
}
