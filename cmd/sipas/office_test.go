package main

import (
	"archive/zip"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// TestOfficeInputs: the ballots as an Excel workbook and as the
// semicolon-and-decimal-comma CSV that Vietnamese spreadsheets save give
// the same indices as the CSV file.
func TestOfficeInputs(t *testing.T) {
	dir := t.TempDir()
	src := "../../testdata/index/sipas_small.csv"
	rec, err := arrowio.ReadAll(src)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	xlsx := filepath.Join(dir, "ballots.xlsx")
	if err := arrowio.WriteRecord(xlsx, rec); err != nil {
		t.Fatal(err)
	}
	// semicolons, decimal commas, a BOM and CRLF line ends
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("\ufeff")
	for _, r := range rows {
		for j, v := range r {
			if _, err := strconv.ParseFloat(v, 64); err == nil {
				r[j] = strings.Replace(v, ".", ",", 1)
			}
		}
		b.WriteString(strings.Join(r, ";") + "\r\n")
	}
	semi := writeFile(t, dir, "ballots_vi.csv", b.String())

	args := func(in string, more ...string) []string {
		return append([]string{"index", "--in", in, "--weight", "weight", "--strata", "stratum", "--psu", "psu", "--format", "csv"}, more...)
	}
	code, want, stderr := vtRun(t, "", args(src)...)
	if code != 0 {
		t.Fatalf("csv: exit %d: %s", code, stderr)
	}
	for _, in := range [][]string{args(xlsx), args(xlsx, "--sheet", arrowio.XLSXSheet), args(semi), args(semi, "--delimiter", ";", "--decimal", ",")} {
		code, got, stderr := vtRun(t, "", in...)
		if code != 0 {
			t.Errorf("%v: exit %d: %s", in, code, stderr)
			continue
		}
		if got != want {
			t.Errorf("%v: output differs from the CSV's\n got %.300s\nwant %.300s", in, got, want)
		}
	}
}

// TestOfficeBadInputs: unusable workbooks and spreadsheet files exit 2 with
// a message naming the file, the sheet and the cell.
func TestOfficeBadInputs(t *testing.T) {
	dir := t.TempDir()
	lo := "../../internal/arrowio/testdata/xlsx/libreoffice.xlsx"
	notZip := writeFile(t, dir, "ballots.xlsx", "ballot_id;year\n1;2024\n")
	last := filepath.Join(dir, "full.xlsx")
	f := excelize.NewFile()
	sw, _ := f.NewStreamWriter("Sheet1")
	sw.SetRow("A1", []any{"ballot_id", "year"})
	sw.SetRow("A2", []any{"B1", 2024})
	sw.SetRow("A1048576", []any{"B2", 2024})
	sw.Flush()
	if err := f.SaveAs(last); err != nil {
		t.Fatal(err)
	}
	zipNotXLSX := filepath.Join(dir, "notes.xlsx")
	{
		zf, err := os.Create(zipNotXLSX)
		if err != nil {
			t.Fatal(err)
		}
		zw := zip.NewWriter(zf)
		w, _ := zw.Create("notes.txt")
		w.Write([]byte("not a workbook"))
		zw.Close()
		zf.Close()
	}
	nocache := filepath.Join(dir, "nocache.xlsx")
	g := excelize.NewFile()
	g.SetSheetName("Sheet1", "Phiếu")
	g.SetCellValue("Phiếu", "A1", "ballot_id")
	g.SetCellValue("Phiếu", "B1", "year")
	g.SetCellValue("Phiếu", "A2", "B1")
	g.SetCellFormula("Phiếu", "B2", "2020+4")
	if err := g.SaveAs(nocache); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"validate", "--in", lo, "--sheet", "Lỗi", "--out", filepath.Join(dir, "o.csv"), "--excluded", filepath.Join(dir, "x.csv")}, lo + ": Lỗi!B2: value \"#N/A\" holds the error #N/A"},
		{[]string{"validate", "--in", lo, "--sheet", "Nope", "--out", filepath.Join(dir, "o.csv"), "--excluded", filepath.Join(dir, "x.csv")}, lo + `: has no sheet "Nope" (sheets: "Phiếu", "Lỗi")`},
		{[]string{"validate", "--in", notZip, "--out", filepath.Join(dir, "o.csv"), "--excluded", filepath.Join(dir, "x.csv")}, notZip + ": is not an Excel workbook"},
		{[]string{"validate", "--in", last, "--out", filepath.Join(dir, "o.csv"), "--excluded", filepath.Join(dir, "x.csv")}, last + ": Sheet1!A1048576: the sheet has data in its last row"},
		{[]string{"validate", "--in", zipNotXLSX, "--out", filepath.Join(dir, "o.csv"), "--excluded", filepath.Join(dir, "x.csv")}, zipNotXLSX + ": is a zip archive but not an Excel workbook"},
		{[]string{"index", "--in", nocache}, nocache + ": Phiếu!B2: has a formula but no saved result"},
		{[]string{"index", "--in", lo, "--delimiter", "|"}, `--delimiter: "|" is not one of , ; tab`},
	} {
		code, _, stderr := vtRun(t, "", tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, code, stderr, tc.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "o.csv")); err == nil {
			t.Errorf("%v: wrote an output", tc.args)
		}
	}
}
