package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// TestStreamedErrorsNameRows: every error about one ballot that index and
// estimate give on the whole file in memory, they give streamed with the
// same words and the same input row, not a row of the per-cell sums: a
// PSU in two strata and an fpc that varies within a stratum (checked on
// the cells, each named by its first ballot), a bad fpc, weight, stratum
// or PSU, an invalid code and an unknown province name; exit 2, nothing on
// standard output, no --out file. The bad ballot is data row 3900, in row
// group 8 of the Parquet copy (row groups of 500 rows, read by two
// workers, each with its own cells).
func TestStreamedErrorsNameRows(t *testing.T) {
	b, err := os.ReadFile(indexFixture)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	header := strings.Split(lines[0], ",")
	col := func(name string) int {
		i := slices.Index(header, name)
		if i < 0 {
			t.Fatalf("no column %q", name)
		}
		return i
	}
	const row = 3900 // data row, line 3901
	cells := strings.Split(lines[row], ",")
	otherStratum := ""
	for _, l := range lines[1:] {
		if s := strings.Split(l, ",")[col("stratum")]; s != cells[col("stratum")] {
			otherStratum = s
			break
		}
	}
	cases := []struct {
		name, column, value, want string
		index, estimate           bool
	}{
		{"PSU in two strata", "stratum", otherStratum, "in strata", true, true},
		{"fpc varies", "fpc", "999.0", "varies within stratum", true, true},
		{"fpc NaN", "fpc", "NaN", "has NaN", true, true},
		{"fpc negative", "fpc", "-3", "has -3", true, true},
		{"fpc missing", "fpc", "", "has no value", true, true},
		{"weight negative", "weight", "-1", "negative at row", true, true},
		{"weight NaN", "weight", "NaN", "NaN at row", true, true},
		{"weight infinite", "weight", "Inf", "infinite at row", true, true},
		{"weight missing", "weight", "", "missing at row", true, true},
		{"stratum missing", "stratum", "", "every row needs a stratum", true, true},
		{"PSU missing", "psu", "", "every row needs a PSU", true, true},
		{"invalid code", "officials_3", "7", "invalid answer code", true, false},
		{"unknown province", "province", "Nowhere", `unknown province "Nowhere"`, true, true},
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out.csv")
	// write returns the lines with row's column set to value, as CSV and
	// as Parquet (row groups of 500 rows); without the year column for
	// estimate, which streams province names only without it
	write := func(name string, lines []string, dropYear bool) (string, string) {
		if dropYear {
			lines = slices.Clone(lines)
			y := col("year")
			for i, l := range lines {
				c := strings.Split(l, ",")
				lines[i] = strings.Join(slices.Delete(c, y, y+1), ",")
			}
		}
		return writeCSVParquet(t, dir, name, lines, map[string]arrow.DataType{
			"psu": arrow.BinaryTypes.String, "province_code": arrow.BinaryTypes.String, "stratum": arrow.BinaryTypes.String,
			"province": arrow.BinaryTypes.String, "fpc": arrow.PrimitiveTypes.Float64, "weight": arrow.PrimitiveTypes.Float64})
	}
	design := []string{"--weight", "weight", "--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--by", "province", "--out", out}
	for i, c := range cases {
		bad := slices.Clone(lines)
		cs := strings.Split(bad[row], ",")
		cs[col(c.column)] = c.value
		bad[row] = strings.Join(cs, ",")
		for _, cmd := range []string{"index", "estimate"} {
			if cmd == "index" && !c.index || cmd == "estimate" && !c.estimate {
				continue
			}
			csvPath, pq := write(cmd+string(rune('a'+i)), bad, cmd == "estimate")
			for _, in := range []string{csvPath, pq} {
				args := append([]string{cmd, "--in", in}, design...)
				if cmd == "estimate" {
					args = append(args, "--mean", "access_1")
				}
				code, stdout, memErr := vtRun(t, "", args...)
				if code != 2 || stdout != "" || !strings.Contains(memErr, c.want) || !strings.Contains(memErr, "row 3900") || strings.Contains(memErr, "into memory") {
					t.Fatalf("%s %s %s in memory: exit %d, stdout %.80q, stderr %q; want 2 naming row 3900 (%s)", c.name, cmd, in, code, stdout, memErr, c.want)
				}
				code, stdout, strErr := vtRun(t, "", append(args, "--stream")...)
				if code != 2 || stdout != "" || strings.Contains(strErr, "into memory") {
					t.Errorf("%s %s %s streamed: exit %d, stdout %.80q, stderr %q; want exit 2", c.name, cmd, in, code, stdout, strErr)
				}
				// the same words and row (the design's own errors start with
				// its package name, the streamed checks of one row do not)
				if plain := func(s string) string { return strings.ReplaceAll(s, "sampling: ", "") }; plain(strErr) != plain(memErr) {
					t.Errorf("%s %s %s: streamed\n%s\nin memory\n%s", c.name, cmd, in, strErr, memErr)
				}
				if _, err := os.Stat(out); err == nil {
					t.Fatalf("%s %s %s: bad input left an output file", c.name, cmd, in)
				}
			}
		}
	}
}

// writeCSVParquet writes lines as dir/name.csv and, read with types, as
// dir/name.parquet in row groups of 500 rows, and returns both paths.
func writeCSVParquet(t *testing.T, dir, name string, lines []string, types map[string]arrow.DataType) (string, string) {
	t.Helper()
	csvPath := writeFile(t, dir, name+".csv", strings.Join(lines, "\n")+"\n")
	rec, err := arrowio.ReadAll(csvPath, arrowio.WithTypes(types))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	pq := filepath.Join(dir, name+".parquet")
	if err := arrowio.Write(pq, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(500)); err != nil {
		t.Fatal(err)
	}
	return csvPath, pq
}
