package report

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestWriteXLSX reads the workbook back with excelize: a sheet per table
// and the notes, Vietnamese headers, typed numbers with their formats, the
// header frozen, fitted widths, and a formula-like label kept as text.
func TestWriteXLSX(t *testing.T) {
	label := `=HYPERLINK("http://x","y")`
	d := buildData(t, append(fixtureNames(4), label), []int{2020, 2021})
	opt := &Options{Lang: LangVI}
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, d, opt); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tables := Tables(d, opt)
	sheets := f.GetSheetList()
	if len(sheets) != len(tables)+1 || sheets[len(sheets)-1] != "Ghi chú" {
		t.Fatalf("sheets %q", sheets)
	}
	if a := f.GetActiveSheetIndex(); a != 0 {
		t.Errorf("active sheet %d, want the first", a)
	}
	numFmt := func(sheet, cell string) string {
		id, err := f.GetCellStyle(sheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil || st.CustomNumFmt == nil {
			return ""
		}
		return *st.CustomNumFmt
	}
	for i, tb := range tables {
		if sheets[i] != tb.Name {
			t.Errorf("sheet %d is %q, want %q", i, sheets[i], tb.Name)
		}
		rows, err := f.GetRows(tb.Name, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(tb.Rows)+1 {
			t.Fatalf("%s: %d rows, want %d", tb.Name, len(rows), len(tb.Rows)+1)
		}
		for j, h := range tb.Header {
			if rows[0][j] != h {
				t.Errorf("%s header %d = %q, want %q", tb.Name, j, rows[0][j], h)
			}
		}
		if p, _ := f.GetPanes(tb.Name); !p.Freeze || p.YSplit != 1 {
			t.Errorf("%s: header not frozen", tb.Name)
		}
		// every cell holds its table's value: numbers as numbers (the
		// same value), labels as text without the CSV's guard
		for i, r := range tb.Rows {
			for j, v := range r {
				cell, _ := excelize.CoordinatesToCellName(j+1, i+2)
				got := ""
				if j < len(rows[i+1]) {
					got = rows[i+1][j]
				}
				if formula, _ := f.GetCellFormula(tb.Name, cell); formula != "" {
					t.Fatalf("%s!%s holds the formula %q", tb.Name, cell, formula)
				}
				if x, err := strconv.ParseFloat(v, 64); err == nil && v != "" {
					if y, err := strconv.ParseFloat(got, 64); err != nil || x != y {
						t.Errorf("%s!%s = %q, want %s", tb.Name, cell, got, v)
					}
					continue
				}
				if got != untext(v) {
					t.Errorf("%s!%s = %q, want %q", tb.Name, cell, got, untext(v))
				}
			}
		}
	}
	// formats: 1 decimal for an index, thousands for ballots, plain years
	est := tables[0]
	// col gives the first cell of the column with a value
	col := func(key string) string {
		for j, h := range est.Header {
			if h == LangVI.text(key) {
				for i, r := range est.Rows {
					if r[j] != "" {
						c, _ := excelize.CoordinatesToCellName(j+1, i+2)
						return c
					}
				}
			}
		}
		t.Fatalf("no values in column %s", key)
		return ""
	}
	for key, want := range map[string]string{"col.estimate": "0.0", "col.n": "#,##0", "col.year": "0", "col.p": "0.0000"} {
		if got := numFmt("estimates", col(key)); got != want {
			t.Errorf("estimates %s: format %q, want %q", key, got, want)
		}
	}
	if typ, _ := f.GetCellType("estimates", col("col.estimate")); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("estimate cell type %v", typ)
	}
	// the formula-like province name is a text cell, as written
	found := false
	rows, _ := f.GetRows("ranking")
	for _, r := range rows {
		for _, v := range r {
			found = found || v == label
		}
	}
	if !found {
		t.Errorf("label %q not in the ranking sheet", label)
	}
	// widths fit the longest province name
	if w, _ := f.GetColWidth("estimates", "B"); w < float64(len("Thừa Thiên Huế")) {
		t.Errorf("column B width %v", w)
	}
	note := LangVI.methodsNote(d)
	if v, _ := f.GetCellValue("Ghi chú", "A1"); v != note[0] {
		t.Errorf("note A1 = %q, want %q", v, note[0])
	}
}
