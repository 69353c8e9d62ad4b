package main

import (
	"os"
	"path/filepath"
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

// TestIndexSmallFileKeepsDeff: a file that fits in memory is not streamed,
// so the elements and SIPAS keep their design effects (the sums carry no
// cross-products of criteria); the streamed run of the same file leaves
// them empty and gives the same estimates.
func TestIndexSmallFileKeepsDeff(t *testing.T) {
	args := []string{"index", "--in", indexFixture, "--weight", "weight", "--strata", "stratum", "--psu", "psu", "--format", "csv"}
	code, mem, errs := vtRun(t, "", args...)
	if code != 0 || strings.Contains(errs, "streaming") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	deffOf := func(out, kind string) string {
		rows := strings.Split(out, "\n")
		h := strings.Split(rows[0], ",")
		kc, dc := -1, -1
		for i, c := range h {
			switch strings.TrimPrefix(c, "\ufeff") {
			case "kind":
				kc = i
			case "deff":
				dc = i
			}
		}
		for _, r := range rows[1:] {
			f := strings.Split(r, ",")
			if kc >= 0 && dc >= 0 && len(f) > dc && f[kc] == kind {
				return f[dc]
			}
		}
		t.Fatalf("no %s row with a deff column:\n%.400s", kind, out)
		return ""
	}
	if d := deffOf(mem, "sipas"); d == "" {
		t.Error("the SIPAS row of a small file has no design effect")
	}
	_, str, _ := vtRun(t, "", append(args, "--sums-out", filepath.Join(t.TempDir(), "s.parquet"))...)
	if d := deffOf(str, "sipas"); d != "" {
		t.Errorf("streamed SIPAS deff %q: the sums carry no cross-products", d)
	}
}
