package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/weighting"
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

// TestConvertSidecar: the weighting record of a CSV (its sidecar) shows
// in inspect and travels through convert, into a Parquet file's schema
// metadata and back into a CSV's sidecar; it was lost before.
func TestConvertSidecar(t *testing.T) {
	dir := t.TempDir()
	in := vtBallots(t, dir, "b.csv", "B001|Hà Nội|"+good, "B002|Huế|"+good)
	spec := writeFile(t, dir, "w.json", `{"design_weight": "weight", "steps": [{"trim": {"max": 2}}], "output": {"weight": "final"}}`)
	csv, pq, back := filepath.Join(dir, "w.csv"), filepath.Join(dir, "w.parquet"), filepath.Join(dir, "back.csv")
	if code, _, stderr := vtRun(t, "", "weight", "--in", in, "--spec", spec, "--out", csv); code != 0 {
		t.Fatalf("weight: %s", stderr)
	}
	code, out, _ := vtRun(t, "", "inspect", "--rows", "0", csv)
	if code != 0 || !strings.Contains(out, "metadata (sidecar "+csv+".sipas.json)") || !strings.Contains(out, "  sipas.weighting (") {
		t.Errorf("inspect CSV: exit %d, no sidecar keys in\n%s", code, out)
	}
	for _, a := range [][]string{{"convert", csv, pq}, {"convert", pq, back}} {
		if code, _, stderr := vtRun(t, "", a...); code != 0 {
			t.Fatalf("%v: exit %d: %s", a, code, stderr)
		}
	}
	rec, err := arrowio.ReadAll(pq)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if r, err := weighting.RecordFrom(rec.Schema().Metadata()); err != nil || r == nil || r.Weight != "final" {
		t.Errorf("Parquet from the CSV: record %+v (%v), want the final weight recorded", r, err)
	}
	md, ok, err := arrowio.ReadSidecar(back)
	if r, rerr := weighting.RecordFrom(md); !ok || err != nil || rerr != nil || r == nil || r.Weight != "final" {
		t.Errorf("CSV from the Parquet: sidecar ok %v (%v), record %+v", ok, err, r)
	}
}
