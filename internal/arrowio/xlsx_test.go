package arrowio

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/sipas-go/sipas/internal/csvsafe"
	"github.com/xuri/excelize/v2"
)

// rawXLSX writes a minimal workbook whose sheets have the given sheetData
// XML (and whatever follows it, e.g. mergeCells), so that tests control
// every byte: error cells, inline and shared strings, formulas without
// results, namespace prefixes. sst is the shared string table.
func rawXLSX(t testing.TB, path string, sst []string, sheets ...[2]string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, body string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	add("[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>`)
	add("_rels/.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	var wb, rels strings.Builder
	wb.WriteString(`<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>`)
	rels.WriteString(`<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`)
	for i, s := range sheets {
		fmt.Fprintf(&wb, `<sheet name="%s" sheetId="%d" r:id="rId%d"/>`, s[0], i+1, i+1)
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet%d.xml"/>`, i+1, i+1)
		add(fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1), `<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`+s[1]+`</worksheet>`)
	}
	wb.WriteString(`</sheets></workbook>`)
	fmt.Fprintf(&rels, `<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>`)
	fmt.Fprintf(&rels, `<Relationship Id="rIdT" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`)
	rels.WriteString(`</Relationships>`)
	add("xl/workbook.xml", wb.String())
	add("xl/_rels/workbook.xml.rels", rels.String())
	// style 1: built-in date (14); style 2: custom date-time; style 3: custom number
	add("xl/styles.xml", `<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy\ hh:mm"/><numFmt numFmtId="165" formatCode="#,##0.0&quot; đ&quot;"/></numFmts><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/></cellXfs></styleSheet>`)
	var ss strings.Builder
	ss.WriteString(`<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	for _, s := range sst {
		ss.WriteString(s)
	}
	ss.WriteString(`</sst>`)
	add("xl/sharedStrings.xml", ss.String())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tableText renders a record as CSV text (header and rows) for comparison.
func tableText(t *testing.T, rec arrow.RecordBatch) string {
	t.Helper()
	var out bytes.Buffer
	if err := WriteRecord("-", rec, WithStdout(&out)); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func schemaText(rec arrow.RecordBatch) string {
	var b []string
	for _, f := range rec.Schema().Fields() {
		b = append(b, f.Name+":"+f.Type.String())
	}
	return strings.Join(b, " ")
}

// TestXLSXCells reads every kind of cell from a hand-written sheet: shared
// strings (rich text runs, phonetic runs left out), inline strings,
// numbers, booleans, dates (built-in and custom formats, 1900 system),
// formulas read as their saved results, text-formatted codes, escapes,
// and empty rows and columns around the data.
func TestXLSXCells(t *testing.T) {
	mem := checkedMem(t)
	p := filepath.Join(t.TempDir(), "cells.xlsx")
	sst := []string{
		`<si><t>ballot_id</t></si>`,
		`<si><r><t>Hà </t></r><r><rPr><b/></rPr><t>Nội</t></r><rPh><t>ignored</t></rPh></si>`,
		`<si><t xml:space="preserve">a &amp; b_x000D_</t></si>`,
		`<si><t>001</t></si>`,
	}
	rawXLSX(t, p, sst, [2]string{"Phiếu", `<dimension ref="A1:H4"/><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>province</t></is></c><c r="C1" t="inlineStr"><is><t>score</t></is></c><c r="D1" t="inlineStr"><is><t>ok</t></is></c><c r="E1" t="inlineStr"><is><t>day</t></is></c><c r="F1" t="inlineStr"><is><t>at</t></is></c><c r="G1" t="inlineStr"><is><t>sum</t></is></c><c r="H1" t="inlineStr"><is><t>code</t></is></c><c r="I1" s="3"/></row>
<row r="2"><c r="A2" t="inlineStr"><is><t>B1</t></is></c><c r="B2" t="s"><v>1</v></c><c r="C2"><v>4.5</v></c><c r="D2" t="b"><v>1</v></c><c r="E2" s="1"><v>45366</v></c><c r="F2" s="2"><v>45366.75</v></c><c r="G2"><f>C2*2</f><v>9</v></c><c r="H2" t="s"><v>3</v></c></row>
<row r="3" spans="1:9"/>
<row r="5"><c r="A5" t="str"><f>"B"&amp;"2"</f><v>B2</v></c><c r="B5" t="s"><v>2</v></c><c r="C5" s="3"><v>1234</v></c><c r="D5" t="b"><v>0</v></c><c r="E5" s="1"><v>1</v></c><c r="F5" s="2"/><c r="H5" t="inlineStr"><is><t>010</t></is></c></row>
<row r="6"><c r="A6" s="3"/><c r="J6" s="3"/></row>
</sheetData><mergeCells count="0"/>`})
	rec, err := ReadAll(p, WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	wantSchema := "ballot_id:utf8 province:utf8 score:float64 ok:bool day:utf8 at:utf8 sum:int64 code:utf8"
	if got := schemaText(rec); got != wantSchema {
		t.Errorf("schema\n got %s\nwant %s", got, wantSchema)
	}
	want := "ballot_id,province,score,ok,day,at,sum,code\n" +
		"B1,Hà Nội,4.5,true,2024-03-15,2024-03-15 18:00:00,9,001\n" +
		"B2,\"a & b\r\",1234.0,false,1900-01-01,,,010\n"
	if got := tableText(t, rec); got != want {
		t.Errorf("table\n got %q\nwant %q", got, want)
	}
}

// TestXLSXExcelize reads workbooks written by excelize (the library a Go
// program would use) and compares every cell with excelize's own reading
// of its raw values.
func TestXLSXExcelize(t *testing.T) {
	mem := checkedMem(t)
	p := filepath.Join(t.TempDir(), "excelize.xlsx")
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	textStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 49})
	sw.SetRow("A1", []any{"ballot_id", "province", "access_1", "weight", "visited", "note", "total"})
	provinces := []string{"Hà Nội", "Thừa Thiên Huế", "Đắk Lắk", "Hồ Chí Minh"}
	for i := 0; i < 200; i++ {
		row := []any{
			excelize.Cell{StyleID: textStyle, Value: fmt.Sprintf("%04d", i)},
			provinces[i%4],
			i%5 + 1,
			1.25 + float64(i)/8,
			excelize.Cell{StyleID: dateStyle, Value: 45292 + i},
			nil,
			excelize.Cell{Formula: fmt.Sprintf("C%d*2", i+2), Value: (i%5 + 1) * 2},
		}
		if i%7 == 0 {
			row[5] = "=HYPERLINK(\"http://x\")"
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	rec, err := ReadAll(p, WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if got, want := schemaText(rec), "ballot_id:utf8 province:utf8 access_1:int64 weight:float64 visited:utf8 note:utf8 total:int64"; got != want {
		t.Errorf("schema\n got %s\nwant %s", got, want)
	}
	// The oracle: excelize's raw cell values (dates as serial numbers,
	// which this reader writes as ISO dates).
	g, err := excelize.OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	rows, err := g.GetRows("Sheet1", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if int(rec.NumRows()) != len(rows)-1 {
		t.Fatalf("%d rows, excelize reads %d", rec.NumRows(), len(rows)-1)
	}
	cols := make([][]string, rec.NumCols())
	for j := range cols {
		cols[j], _, _ = Strings(rec.Column(j))
	}
	for i, row := range rows[1:] {
		for j := range cols {
			want := ""
			if j < len(row) {
				want = row[j]
			}
			if j == 4 { // visited: a date
				serial, _ := strconv.ParseFloat(want, 64)
				want = excelTime(serial, false).Format("2006-01-02")
			}
			if cols[j][i] != want {
				t.Errorf("row %d column %s: %q, excelize reads %q", i+2, rec.ColumnName(j), cols[j][i], want)
			}
		}
	}
}

// TestXLSXLibreOffice reads a workbook saved by LibreOffice (made by
// testdata/xlsx/make_libreoffice.sh): a header merged over two rows, a
// formula column, dates, codes kept as text, Vietnamese text, formatted
// empty rows and columns after the data; and its second sheet, whose
// formula gives #N/A.
func TestXLSXLibreOffice(t *testing.T) {
	mem := checkedMem(t)
	p := filepath.Join("testdata", "xlsx", "libreoffice.xlsx")
	names, err := SheetNames(p)
	if err != nil || strings.Join(names, "|") != "Phiếu|Lỗi" {
		t.Fatalf("sheets %q, %v", names, err)
	}
	rec, err := ReadAll(p, WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if got, want := schemaText(rec), "ballot_id:utf8 access_1:int64 access_2:int64 access_3:int64 province:utf8 ngay_khao_sat:utf8 tong:int64 ma_xa:utf8 weight:float64"; got != want {
		t.Errorf("schema\n got %s\nwant %s", got, want)
	}
	want := "ballot_id,access_1,access_2,access_3,province,ngay_khao_sat,tong,ma_xa,weight\n" +
		"HN-001,4,5,3,Hà Nội,2024-03-15,12,00123,1234.5\n" +
		"HUE-002,2,,1,Thừa Thiên Huế,2024-12-31,3,04567,0.75\n" +
		"DL-003,5,5,5,Đắk Lắk,2025-01-02,15,31000,2.0\n" +
		"VT-004,1,2,3,Bà Rịa – Vũng Tàu,2024-02-29,6,26734,1.1\n"
	if got := tableText(t, rec); got != want {
		t.Errorf("table\n got %q\nwant %q", got, want)
	}
	_, err = ReadAll(p, WithSheet("Lỗi"), WithAllocator(mem))
	errCase(t, err, p+": Lỗi!B2: value \"#N/A\" holds the error #N/A (a lookup found nothing); correct the formula or clear the cell (an empty cell is a missing value)", ErrBadValue)
	_, err = ReadAll(p, WithSheet("Sheet1"), WithAllocator(mem))
	errCase(t, err, p+`: has no sheet "Sheet1" (sheets: "Phiếu", "Lỗi")`, ErrMissingSheet)
	// projection and forced types work as for CSV, errors name the cell
	rec2, err := ReadAll(p, WithColumns("weight", "ma_xa"), WithTypes(map[string]arrow.DataType{"ma_xa": arrow.PrimitiveTypes.Int32}), WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer rec2.Release()
	if got := tableText(t, rec2); got != "weight,ma_xa\n1234.5,123\n0.75,4567\n2.0,31000\n1.1,26734\n" {
		t.Errorf("projected: %q", got)
	}
	_, err = ReadAll(p, WithTypes(map[string]arrow.DataType{"province": arrow.PrimitiveTypes.Int64}), WithAllocator(mem))
	errCase(t, err, p+`: Phiếu!E3, column "province": value "Hà Nội" is not an integer (expected a whole number; fix the cell or leave it empty for a missing value)`, ErrBadValue)
	_, err = ReadAll(p, WithColumns("access_9"), WithAllocator(mem))
	errCase(t, err, p+`: sheet "Phiếu": missing column "access_9" (available columns: ballot_id, access_1, access_2, access_3, province, ngay_khao_sat, tong, ma_xa, weight)`, ErrMissingColumn)
}

// TestXLSXBad: damaged and unusable workbooks are errors naming the file,
// the sheet and the cell, never a crash.
func TestXLSXBad(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	p := write("text.xlsx", []byte("ballot_id,province\n1,Hà Nội\n"))
	_, err := ReadAll(p)
	errCase(t, err, p+": is not an Excel workbook (.xlsx files are zip archives; this one is not); check that the file is what its name says, or save it as .xlsx", ErrCorrupt)

	p = write("old.xlsx", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0})
	_, err = ReadAll(p)
	errCase(t, err, p+": is an Excel 97-2003 workbook (.xls) or another OLE file, not .xlsx; open it in Excel or LibreOffice and save it as .xlsx (Excel Workbook)", ErrCorrupt)

	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("word/document.xml")
	w.Write([]byte("<document/>"))
	zw.Close()
	p = write("docx.xlsx", zb.Bytes())
	_, err = ReadAll(p)
	errCase(t, err, p+": is a zip archive but not an Excel workbook (.xlsx): it has no workbook part; an .ods, .docx or other zip file must be saved as .xlsx first", ErrCorrupt)

	good := filepath.Join(dir, "good.xlsx")
	rawXLSX(t, good, nil, [2]string{"Sheet1", `<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="2"><c r="A2"><v>1</v></c></row></sheetData>`})
	b, _ := os.ReadFile(good)
	p = write("truncated.xlsx", b[:len(b)/2])
	_, err = ReadAll(p)
	errCase(t, err, p+": is not a readable Excel workbook (the zip archive is damaged or truncated)", ErrCorrupt)

	cases := []struct {
		name, sheet, want string
		kind              error
	}{
		{"error", `<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c><c r="B1" t="inlineStr"><is><t>b</t></is></c></row><row r="17"><c r="F17" t="e"><v>#DIV/0!</v></c></row></sheetData>`,
			`Sheet1!F17: value "#DIV/0!" holds the error #DIV/0! (a formula divided by zero); correct the formula or clear the cell (an empty cell is a missing value)`, ErrBadValue},
		{"nocache", `<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="2"><c r="A2"><f>1+1</f></c></row></sheetData>`,
			`Sheet1!A2: has a formula but no saved result (the file was written by a program that does not compute formulas); open it in Excel or LibreOffice and save it again, or type the values`, ErrBadValue},
		{"lastrow", `<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="1048576"><c r="A1048576"><v>1</v></c></row></sheetData>`,
			`Sheet1!A1048576: the sheet has data in its last row (1048576), where Excel cuts off longer tables: rows past it were probably lost when the file was saved; split the table over several sheets or files, or use CSV or Parquet`, ErrCorrupt},
		{"pastlast", `<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="1048577"><c><v>1</v></c></row></sheetData>`,
			`sheet "Sheet1": row number 1048577 is past the last row Excel allows (1048576)`, ErrCorrupt},
		{"noname", `<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="2"><c r="A2"><v>1</v></c><c r="C2"><v>2</v></c></row></sheetData>`,
			`Sheet1!C1: the header cell is empty but column C has values (e.g. Sheet1!C2); every column needs a name`, ErrCorrupt},
		{"mergedname", `<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>2</v></c></row></sheetData><mergeCells><mergeCell ref="A1:B1"/></mergeCells>`,
			`Sheet1!B1, column "a": the header cells A1:B1 are merged: every column needs a name of its own (unmerge them, or add a row of names below the merged cell)`, ErrCorrupt},
		{"dup", `<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c><c r="B1" t="inlineStr"><is><t>a</t></is></c></row></sheetData>`,
			`Sheet1!B1, column "a": appears twice in the header (columns A and B); column names must be unique`, ErrCorrupt},
		{"empty", `<sheetData/>`, `sheet "Sheet1": sheet "Sheet1" has no cells (expected a header row with column names)`, ErrEmpty},
		{"badsst", `<sheetData><row r="1"><c r="A1" t="s"><v>7</v></c></row></sheetData>`,
			`Sheet1!A1: the cell refers to shared string "7", which the workbook does not have (the file is damaged)`, ErrCorrupt},
		{"cut", `<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t>`,
			`Sheet1!A1: the cell is cut short (the file is truncated)`, ErrCorrupt},
		{"order", `<sheetData><row r="2"><c r="A2"><v>1</v></c></row><row r="1"><c r="A1"><v>1</v></c></row></sheetData>`,
			`sheet "Sheet1": row number "1" after row 2 is not in order`, ErrCorrupt},
	}
	for _, tc := range cases {
		p := filepath.Join(dir, tc.name+".xlsx")
		rawXLSX(t, p, nil, [2]string{"Sheet1", tc.sheet})
		_, err := ReadAll(p)
		errCase(t, err, p+": "+tc.want, tc.kind)
	}
}

// TestXLSXSheetNames quotes sheet names as Excel references do.
func TestXLSXSheetRef(t *testing.T) {
	for in, want := range map[string]string{"Sheet1": "Sheet1", "Phiếu": "Phiếu", "Dữ liệu": "'Dữ liệu'", "It's": "'It''s'", "2024-Q1": "'2024-Q1'"} {
		if got := sheetRef(in); got != want {
			t.Errorf("sheetRef(%q) = %q, want %q", in, got, want)
		}
	}
	for c, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 701: "ZZ", 702: "AAA", 16383: "XFD"} {
		if got := colLetters(c); got != want {
			t.Errorf("colLetters(%d) = %q, want %q", c, got, want)
		}
		if col, row, ok := parseRef([]byte(want + "17")); !ok || col != c || row != 17 {
			t.Errorf("parseRef(%s17) = %d, %d, %v", want, col, row, ok)
		}
	}
	for code, want := range map[string]cellKind{"General": kindNumber, "dd/mm/yyyy": kindDate, "#,##0.00": kindNumber, `0.0" ngày"`: kindNumber,
		"[$-42A]d mmmm yyyy": kindDate, "h:mm:ss": kindTime, "[h]:mm": kindTime, "[Red]0.00": kindNumber, "yyyy-mm-dd hh:mm": kindDate, "mm:ss": kindTime} {
		if got := formatKind(code); got != want {
			t.Errorf("formatKind(%q) = %v, want %v", code, got, want)
		}
	}
}

// TestXLSXRoundTrip: CSV → xlsx → Parquet → CSV gives the same values
// (a float column of whole numbers comes back as integers, as in any
// spreadsheet; the CSV writer guards formula-like text with an
// apostrophe, the workbook needs no guard: its cells are text).
func TestXLSXRoundTrip(t *testing.T) {
	mem := checkedMem(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	src := "\ufeffballot_id,province,access_1,weight,ok,note,whole\n" +
		"001,Hà Nội,4,1.25,true,\"=HYPERLINK(\"\"http://x\"\")\",2.0\n" +
		"002,\"Bà Rịa – Vũng Tàu\",,0.1,false,\"a, b\",3.0\n" +
		"003,Đắk Lắk,5,1e-7,,\"line\nbreak\",\n"
	os.WriteFile(in, []byte(src), 0o644)
	first, err := ReadAll(in, WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer first.Release()
	x, pq, out := filepath.Join(dir, "t.xlsx"), filepath.Join(dir, "t.parquet"), filepath.Join(dir, "out.csv")
	if err := WriteRecord(x, first); err != nil {
		t.Fatal(err)
	}
	rx, err := ReadAll(x, WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Release()
	if err := WriteRecord(pq, rx); err != nil {
		t.Fatal(err)
	}
	rp, err := ReadAll(pq, WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer rp.Release()
	if err := WriteRecord(out, rp); err != nil {
		t.Fatal(err)
	}
	last, err := ReadAll(out, WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer last.Release()
	if first.NumRows() != last.NumRows() || first.NumCols() != last.NumCols() {
		t.Fatalf("shape %dx%d, want %dx%d", last.NumRows(), last.NumCols(), first.NumRows(), first.NumCols())
	}
	for j := 0; j < int(first.NumCols()); j++ {
		a, av, _ := Strings(first.Column(j))
		b, bv, _ := Strings(last.Column(j))
		isNum := arrow.IsFloating(first.Column(j).DataType().ID())
		for i := range a {
			if (av == nil || av[i]) != (bv == nil || bv[i]) {
				t.Errorf("%s row %d: null %v, want %v", first.ColumnName(j), i+1, bv == nil || bv[i], av == nil || av[i])
				continue
			}
			if isNum {
				fa, _ := strconv.ParseFloat(a[i], 64)
				fb, _ := strconv.ParseFloat(b[i], 64)
				if fa != fb {
					t.Errorf("%s row %d: %v, want %v", first.ColumnName(j), i+1, fb, fa)
				}
			} else if csvsafe.Cell(a[i]) != b[i] { // CSV guards formula-like text
				t.Errorf("%s row %d: %q, want %q", first.ColumnName(j), i+1, b[i], a[i])
			}
		}
	}
	if got := last.Schema().Field(6).Type; got.ID() != arrow.INT64 {
		t.Errorf("whole-number float column reads back as %s", got)
	}
	// The formula-looking label is a text cell in the workbook, not a formula.
	g, err := excelize.OpenFile(x)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if f, _ := g.GetCellFormula(XLSXSheet, "F2"); f != "" {
		t.Errorf("F2 holds the formula %q", f)
	}
	if v, _ := g.GetCellValue(XLSXSheet, "F2"); v != `=HYPERLINK("http://x")` {
		t.Errorf("F2 = %q", v)
	}
	if typ, _ := g.GetCellType(XLSXSheet, "F2"); typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
		t.Errorf("F2 has cell type %v", typ)
	}
	if panes, _ := g.GetPanes(XLSXSheet); !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("header row not frozen: %+v", panes)
	}
}

// TestXLSXStreams checks that a sheet is read in batches like a CSV file.
func TestXLSXStreams(t *testing.T) {
	mem := checkedMem(t)
	p := filepath.Join(t.TempDir(), "b.xlsx")
	var sd strings.Builder
	sd.WriteString(`<sheetData><row><c t="inlineStr"><is><t>id</t></is></c><c t="inlineStr"><is><t>v</t></is></c></row>`)
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&sd, `<x:row xmlns:x="urn:x"><x:c><x:v>%d</x:v></x:c><x:c t="inlineStr"><x:is><x:t>v%d</x:t></x:is></x:c></x:row>`, i, i)
	}
	sd.WriteString(`</sheetData>`)
	rawXLSX(t, p, nil, [2]string{"S", sd.String()})
	r, err := Open(p, WithBatchSize(300), WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var sizes []int64
	var sum int64
	for r.Next() {
		b := r.RecordBatch()
		sizes = append(sizes, b.NumRows())
		ids := b.Column(0).(*array.Int64).Int64Values()
		for _, v := range ids {
			sum += v
		}
	}
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
	if fmt.Sprint(sizes) != "[300 300 300 100]" || sum != 999*1000/2 {
		t.Errorf("batches %v, sum %d", sizes, sum)
	}
}

func TestXLSXErrorsAreTyped(t *testing.T) {
	p := filepath.Join(t.TempDir(), "missing.xlsx")
	_, err := ReadAll(p)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzReadXLSXSheet: any sheet XML either reads or returns an *Error (no
// panic, no leak, no hang).
func FuzzReadXLSXSheet(f *testing.F) {
	for _, s := range []string{
		`<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c><c r="B1" t="s"><v>0</v></c></row><row r="2"><c r="A2"><v>1.5</v></c><c r="B2" t="b"><v>1</v></c></row></sheetData>`,
		`<sheetData><row><c t="inlineStr"><is><t>a&amp;b</t></is></c></row><row><c s="1"><v>45366</v></c></row></sheetData><mergeCells><mergeCell ref="A1:B1"/></mergeCells>`,
		`<sheetData><row r="1"><c r="A1" t="e"><v>#N/A</v></c></row></sheetData>`,
		`<sheetData><row r="1"><c r="A1"><f>1+1</f></c></row></sheetData>`,
		`<sheetData><x:row xmlns:x="u"><x:c t="str"><x:v><![CDATA[<x>]]></x:v></x:c></x:row></sheetData>`,
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, sheet []byte) {
		p := filepath.Join(dir, "in.xlsx")
		rawXLSX(t, p, []string{"<si><t>s0</t></si>"}, [2]string{"Sheet1", string(sheet)})
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		var rec arrow.RecordBatch
		var err error
		done := make(chan struct{})
		go func() {
			defer close(done)
			rec, err = ReadAll(p, WithAllocator(mem))
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			buf := make([]byte, 1<<20)
			t.Fatalf("reading hangs on %q\n%s", sheet, buf[:runtime.Stack(buf, true)])
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not *Error", err, err)
			}
			return
		}
		defer rec.Release()
		// What reads is a table of the sheet's cells: every value is text
		// that reads back as itself from CSV.
		var out bytes.Buffer
		if err := WriteRecord("-", rec, WithStdout(&out)); err != nil {
			t.Fatalf("write: %v", err)
		}
	})
}
