package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// TestInspectConvert: convert a CSV through Excel and Parquet and back,
// inspect each (the validation record of a validated Parquet file shows
// among the metadata keys).
func TestInspectConvert(t *testing.T) {
	dir := t.TempDir()
	in := vtBallots(t, dir, "ballots.csv", "B001|Hà Nội|"+good, "B002|Huế|"+good)
	x, p, back := filepath.Join(dir, "b.xlsx"), filepath.Join(dir, "b.parquet"), filepath.Join(dir, "back.csv")
	for _, a := range [][]string{{"convert", in, x}, {"convert", x, p}, {"convert", p, back}} {
		if code, _, stderr := vtRun(t, "", a...); code != 0 {
			t.Fatalf("%v: exit %d: %s", a, code, stderr)
		}
	}
	a, _ := arrowio.ReadAll(in)
	b, _ := arrowio.ReadAll(back)
	defer a.Release()
	defer b.Release()
	for j := 0; j < int(a.NumCols()); j++ {
		sa, _, _ := arrowio.Strings(a.Column(j))
		sb, _, _ := arrowio.Strings(b.Column(j))
		if a.ColumnName(j) != b.ColumnName(j) || strings.Join(sa, "|") != strings.Join(sb, "|") {
			t.Errorf("column %s: %q, want %q", a.ColumnName(j), sb, sa)
		}
	}
	code, out, stderr := vtRun(t, "", "inspect", x, "--rows", "1")
	if code != 0 {
		t.Fatalf("inspect: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"format     Excel workbook", "sheets     Sheet1", "rows       2", "columns    26", "  1   ballot_id     utf8", "first 1 rows", "B001"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect xlsx: no %q in\n%s", want, out)
		}
	}
	clean, exc := filepath.Join(dir, "clean.parquet"), filepath.Join(dir, "exc.csv")
	if code, _, stderr := vtRun(t, "", "validate", "--in", in, "--out", clean, "--excluded", exc); code != 0 {
		t.Fatalf("validate: %s", stderr)
	}
	code, out, _ = vtRun(t, "", "inspect", "--rows", "0", clean)
	for _, want := range []string{"format     Parquet", "rows       2", "row groups 1", "metadata", "  sipas.validation (", "  sipas.inputs ("} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("inspect parquet: exit %d, no %q in\n%s", code, want, out)
		}
	}
	if strings.Contains(out, "first") {
		t.Errorf("--rows 0 shows rows:\n%s", out)
	}
	// bad input
	for _, a := range [][]string{{"inspect", filepath.Join(dir, "none.xlsx")}, {"convert", in, filepath.Join(dir, "x.ods")}, {"convert", in, in}, {"inspect"}} {
		if code, _, _ := vtRun(t, "", a...); code != 2 {
			t.Errorf("%v: exit %d, want 2", a, code)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.ods")); err == nil {
		t.Error("wrote x.ods")
	}
}
