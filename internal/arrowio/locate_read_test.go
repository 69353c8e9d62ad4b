package arrowio

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// tenRows returns a table of one int64 column x = 0, step, …, 9·step in
// batches of 3, 3 and 4 rows, released when the test ends.
func tenRows(t *testing.T, step int64) (*arrow.Schema, []arrow.RecordBatch) {
	b := array.NewInt64Builder(memory.DefaultAllocator)
	for i := range int64(10) {
		b.Append(i * step)
	}
	col := b.NewArray()
	t.Cleanup(col.Release)
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, 10)
	t.Cleanup(rec.Release)
	var batches []arrow.RecordBatch
	for _, r := range [][2]int64{{0, 3}, {3, 6}, {6, 10}} {
		s := rec.NewSlice(r[0], r[1])
		t.Cleanup(s.Release)
		batches = append(batches, s)
	}
	return schema, batches
}

// TestLocateRowsIPC: rows of an Arrow IPC file or stream are named with
// their record batch (batches of 3, 3 and 4 rows), one row or several; a
// row past the end is left alone.
func TestLocateRowsIPC(t *testing.T) {
	schema, batches := tenRows(t, 1)
	dir := t.TempDir()
	for _, name := range []string{"t.arrow", "t.arrows"} {
		path := filepath.Join(dir, name)
		if err := Write(path, schema, batches); err != nil {
			t.Fatal(err)
		}
		for msg, want := range map[string]string{
			`column "x", row 7: bad`:       `column "x", row 7, record batch 3 of 3: bad`,
			`rows 1, 4, 10 are bad`:        `rows 1, 4, 10 (record batches 1, 2, 3 of 3) are bad`,
			`row 3 and row 4`:              `row 3, record batch 1 of 3 and row 4, record batch 2 of 3`,
			`row 11 is past the end`:       `row 11 is past the end`,
			`the cells' row 2, row 20 bad`: `the cells' row 2, record batch 1 of 3, row 20 bad`,
		} {
			if got := LocateRows(path, errors.New(msg)).Error(); got != want {
				t.Errorf("%s: %q located %q, want %q", name, msg, got, want)
			}
		}
	}
}

// TestLocateRowsXLSX: rows of an Excel sheet are named with the sheet and
// its row as the last read of the workbook found them: the header in row
// 2 under an empty row, a blank row and a gap between data rows, the
// sheet chosen by name.
func TestLocateRowsXLSX(t *testing.T) {
	p := filepath.Join(t.TempDir(), "b.xlsx")
	cell := func(ref, v string) string {
		return fmt.Sprintf(`<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, ref, v)
	}
	data := `<sheetData><row r="2">` + cell("A2", "id") + cell("B2", "v") + `</row>` +
		`<row r="3">` + cell("A3", "a") + cell("B3", "1") + `</row>` +
		`<row r="4"/>` +
		`<row r="5">` + cell("A5", "b") + cell("B5", "2") + `</row>` +
		`<row r="9">` + cell("A9", "c") + cell("B9", "3") + `</row></sheetData>`
	rawXLSX(t, p, nil, [2]string{"Other", `<sheetData><row r="1">` + cell("A1", "z") + `</row></sheetData>`}, [2]string{"Phiếu", data})
	err := errors.New(`column "v", row 3: bad`)
	if got := LocateRows(p, err); got != err {
		t.Errorf("before a read: %q, want the error as it is", got)
	}
	rec, err := ReadAll(p, WithSheet("Phiếu"))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if rec.NumRows() != 3 {
		t.Fatalf("%d rows, want 3", rec.NumRows())
	}
	for msg, want := range map[string]string{
		`column "v", row 3: bad`: `column "v", row 3, sheet "Phiếu" row 9: bad`,
		`rows 1, 2`:              `rows 1, 2 (sheet "Phiếu" rows 3, 5)`,
		`row 4`:                  `row 4`,
	} {
		if got := LocateRows(p, errors.New(msg)).Error(); got != want {
			t.Errorf("%q located %q, want %q", msg, got, want)
		}
	}
}

// TestLocateRowsStdin: rows read from standard input are named with their
// first line as the reader counted them while reading (blank lines,
// newlines in quoted fields, CRLF, a byte-order mark), as the parser
// gives them; a row past the end is left alone.
func TestLocateRowsStdin(t *testing.T) {
	text := "\xEF\xBB\xBFa,b\r\n1,x\r\n\r\n2,\"y\nz\"\n3,w\n\n\n4,\"\"\"q\"\"\n\"\n5,v\n"
	want, err := csvLinesOracle(text)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := ReadAll("-", WithStdin(strings.NewReader(text)))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if int(rec.NumRows()) != len(want) {
		t.Fatalf("%d rows, want %d", rec.NumRows(), len(want))
	}
	for i, l := range want {
		msg := fmt.Sprintf("row %d: bad", i+1)
		w := fmt.Sprintf("row %d, line %d: bad", i+1, l)
		if got := LocateRows("-", errors.New(msg)).Error(); got != w {
			t.Errorf("%q located %q, want %q", msg, got, w)
		}
	}
	msg := fmt.Sprintf("row %d: bad", len(want)+1)
	if got := LocateRows("-", errors.New(msg)).Error(); got != msg {
		t.Errorf("past the end: %q", got)
	}
	// a second read of standard input replaces the first's lines
	rec2, err := ReadAll("-", WithStdin(strings.NewReader("a\n\n1\n")))
	if err != nil {
		t.Fatal(err)
	}
	rec2.Release()
	if got := LocateRows("-", errors.New("row 1: bad")).Error(); got != "row 1, line 3: bad" {
		t.Errorf("second read: %q", got)
	}
}

// TestStdinSniffed: standard input is read in the format its first bytes
// tell (SniffFormat), whatever the format: the rows of a Parquet file
// (row groups of 3 rows: 4 groups), an Arrow IPC file or stream, an Excel
// workbook and CSV read back as written; a Parquet file's rows are then
// named with their row group, an IPC file's with nothing (its batches are
// not recorded), as standard input cannot be read again.
func TestStdinSniffed(t *testing.T) {
	t.Cleanup(func() { // what this test's reads recorded
		readPlaces.Lock()
		delete(readPlaces.m, "-")
		readPlaces.Unlock()
	})
	schema, batches := tenRows(t, 7)
	dir := t.TempDir()
	for _, c := range []struct {
		name   string
		format Format
		row7   string // where row 7 is
	}{
		{"t.parquet", Parquet, "row 7, row group 3 of 4: bad"},
		{"t.arrow", IPCFile, "row 7: bad"},
		{"t.arrows", IPCStream, "row 7: bad"},
		{"t.xlsx", XLSX, `row 7, sheet "Sheet1" row 8: bad`},
		{"t.csv", CSV, "row 7, line 8: bad"},
	} {
		path := filepath.Join(dir, c.name)
		var opts []Option
		if c.format == Parquet {
			opts = append(opts, WithRowGroupRows(3))
		}
		if err := Write(path, schema, batches, opts...); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := SniffFormat(data[:min(8, len(data))]); got != c.format {
			t.Errorf("%s: sniffed as %v", c.name, got)
		}
		got, err := ReadAll("-", WithStdin(bytes.NewReader(data)))
		if err != nil {
			t.Fatalf("%s on stdin: %v", c.name, err)
		}
		xs := got.Column(0)
		var vals []string
		for i := range int(got.NumRows()) {
			vals = append(vals, xs.ValueStr(i))
		}
		got.Release()
		if want := "0 7 14 21 28 35 42 49 56 63"; strings.Join(vals, " ") != want {
			t.Errorf("%s on stdin: x = %v, want %s", c.name, vals, want)
		}
		if got := LocateRows("-", errors.New("row 7: bad")).Error(); got != c.row7 {
			t.Errorf("%s on stdin: row 7 located %q, want %q", c.name, got, c.row7)
		}
	}
}
