package main

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
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
		{"sums without PSUs", []string{"index", "--in", indexFixture, "--sums-out", filepath.Join(dir, "x.parquet")}, "PSU"},
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
