package main

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestIndexSumsRoundTrip: --sums-out writes the sums table the indices
// were finished from, and --from-sums on it prints the same output; the
// SQL of --sums-sql names every column of that table.
func TestIndexSumsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	sums := filepath.Join(dir, "sums.parquet")
	design := []string{"--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--by", "province"}
	code, out1, errs := vtRun(t, "", append([]string{"index", "--in", indexFixture, "--weight", "weight", "--sums-out", sums}, design...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	code, out2, errs := vtRun(t, "", append([]string{"index", "--from-sums", sums}, design...)...)
	if code != 0 {
		t.Fatalf("--from-sums: exit %d: %s", code, errs)
	}
	if out1 != out2 {
		t.Errorf("--from-sums printed\n%.600s\nthe ballots\n%.600s", out2, out1)
	}
	if !strings.Contains(out1, `"rows": 4000`) {
		t.Errorf("design block does not count the 4000 ballots: %.300s", out1)
	}
	code, sql, errs := vtRun(t, "", append([]string{"index", "--sums-sql", "ballots", "--weight", "weight"}, design...)...)
	if code != 0 || !strings.Contains(sql, "GROUP BY stratum, psu, fpc, province") || !strings.Contains(sql, "AS yy_feedback_4") {
		t.Errorf("--sums-sql: exit %d, %s\n%.300s", code, errs, sql)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"weight with sums", append([]string{"index", "--from-sums", sums, "--weight", "weight"}, design...), "--weight"},
		{"in and sums", append([]string{"index", "--from-sums", sums, "--in", indexFixture}, design...), "--in"},
		{"replicate sums without PSUs", []string{"index", "--in", indexFixture, "--variance", "jk1", "--sums-out", filepath.Join(dir, "x.parquet")}, "PSU"},
	} {
		code, _, errs := vtRun(t, "", tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%s: exit %d, %q; want 2 naming %s", tc.name, code, errs, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.parquet")); err == nil {
		t.Error("a refused --sums-out left a file")
	}
}

// TestIndexStreamBadCodeLate: an invalid code near the end of a streamed
// file exits 2 naming its row and column, with no output and no sums file.
func TestIndexStreamBadCodeLate(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(indexFixture)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	header := strings.Split(lines[0], ",")
	col := -1
	for i, h := range header {
		if h == "officials_3" {
			col = i
		}
	}
	cells := strings.Split(lines[3900], ",") // data row 3900 (line 3901)
	cells[col] = "7"
	lines[3900] = strings.Join(cells, ",")
	bad := writeFile(t, dir, "bad.csv", strings.Join(lines, "\n"))
	sums := filepath.Join(dir, "sums.parquet")
	code, out, errs := vtRun(t, "", "index", "--in", bad, "--weight", "weight", "--strata", "stratum", "--psu", "psu", "--sums-out", sums)
	if code != 2 || out != "" || !strings.Contains(errs, "row 3900") || !strings.Contains(errs, "officials_3") {
		t.Errorf("exit %d, stdout %.100q, stderr %q; want 2 naming row 3900 of officials_3", code, out, errs)
	}
	if _, err := os.Stat(sums); err == nil {
		t.Error("bad input left a sums file")
	}
}

// TestIndexStreamedKeepsDeff: the streamed run (the sums asked for) prints
// the design effects of the elements and SIPAS too, equal to those of the
// run that reads the file into memory.
func TestIndexStreamedKeepsDeff(t *testing.T) {
	args := []string{"index", "--in", indexFixture, "--weight", "weight", "--strata", "stratum", "--psu", "psu", "--by", "province", "--format", "csv"}
	code, mem, errs := vtRun(t, "", args...)
	if code != 0 || strings.Contains(errs, "streaming") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	deffs := func(out string) map[string]float64 {
		rows := strings.Split(strings.TrimSpace(out), "\n")
		h := strings.Split(strings.TrimPrefix(rows[0], "\ufeff"), ",")
		col := map[string]int{}
		for i, c := range h {
			col[c] = i
		}
		got := map[string]float64{}
		for _, r := range rows[1:] {
			f := strings.Split(r, ",")
			if k := f[col["kind"]]; k != "element" && k != "sipas" {
				continue
			}
			v, err := strconv.ParseFloat(f[col["deff"]], 64)
			if err != nil {
				t.Fatalf("deff %q of %s: %v", f[col["deff"]], r, err)
			}
			got[f[col["province"]]+"/"+f[col["id"]]] = v
		}
		return got
	}
	want := deffs(mem)
	if len(want) == 0 {
		t.Fatalf("no element or SIPAS rows:\n%.400s", mem)
	}
	code, str, errs := vtRun(t, "", append(args, "--sums-out", filepath.Join(t.TempDir(), "s.parquet"))...)
	if code != 0 || strings.Contains(errs, "design effect") {
		t.Fatalf("streamed: exit %d, stderr %q", code, errs)
	}
	got := deffs(str)
	for k, w := range want {
		if g, ok := got[k]; !ok || math.Abs(g-w) > 1e-9*math.Abs(w) {
			t.Errorf("%s: streamed deff %v, in memory %v", k, g, w)
		}
	}
}

// TestIndexStreamedProvinceNames: a streamed run reads province names as
// the whole-file run does (local spellings made canonical, batch by batch,
// with one note per recode over the file), gives the same indices, and
// names the input row of an unknown province in a later row group.
func TestIndexStreamedProvinceNames(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(indexFixture)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	n := 0
	for i := 1; i < len(lines); i++ {
		if strings.Contains(lines[i], ",Hà Nội,") && n%2 == 0 {
			lines[i] = strings.Replace(lines[i], ",Hà Nội,", ",Ha Noi,", 1)
			n++
		} else if strings.Contains(lines[i], ",Hà Nội,") {
			n++
		}
	}
	// the lines as CSV and as Parquet in row groups of 500 rows
	write := func(name string) (string, string) {
		return writeCSVParquet(t, dir, name, lines, map[string]arrow.DataType{"psu": arrow.BinaryTypes.String, "province_code": arrow.BinaryTypes.String})
	}
	csvPath, pq := write("b")
	args := func(in string) []string {
		return []string{"index", "--in", in, "--weight", "weight", "--strata", "stratum", "--psu", "psu", "--by", "province", "--format", "csv"}
	}
	defer func(v int64) { streamMin = v }(streamMin)
	for _, in := range []string{csvPath, pq} {
		streamMin = 1 << 62
		code, mem, memErr := vtRun(t, "", args(in)...)
		if code != 0 || !strings.Contains(memErr, `"Ha Noi" read as "Hà Nội" (33 rows)`) {
			t.Fatalf("%s in memory: exit %d, stderr %q", in, code, memErr)
		}
		streamMin = 0
		code, str, strErr := vtRun(t, "", args(in)...)
		if code != 0 || strErr != memErr {
			t.Fatalf("%s streamed: exit %d, stderr %q; in memory %q", in, code, strErr, memErr)
		}
		sameCSV(t, in, mem, str)
	}
	// an unknown name in row group 8 of 500 rows
	bad := strings.Replace(lines[3900], ",Hà Nội,", ",Nowhere,", 1)
	bad = strings.Replace(bad, ",Ha Noi,", ",Nowhere,", 1)
	if bad == lines[3900] {
		cells := strings.Split(lines[3900], ",")
		cells[2] = "Nowhere"
		bad = strings.Join(cells, ",")
	}
	lines[3900] = bad
	_, badPQ := write("bad")
	code, out, errs := vtRun(t, "", args(badPQ)...)
	if code != 2 || out != "" || !strings.Contains(errs, "row 3900") || !strings.Contains(errs, "Nowhere") || strings.Count(errs, "bad.parquet") != 1 {
		t.Errorf("unknown province streamed: exit %d, stdout %.80q, stderr %q; want 2 naming the file once and row 3900", code, out, errs)
	}
}

// sameCSV asserts that two CSV outputs have the same cells, numbers within
// 1e-9 relative (the sums add in another order) or both below 1e-12 (an
// SE or design effect of rounding noise, where every PSU has one share).
func sameCSV(t *testing.T, where, a, b string) {
	t.Helper()
	sameCSVTol(t, where, a, b, 1e-9, 1e-12)
}
