package arrowio

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// csvLinesOracle returns the first line of every data row of the CSV text
// as encoding/csv (the reader's parser) gives it, or its error.
func csvLinesOracle(text string) ([]int64, error) {
	cr, _ := newCSVStream(strings.NewReader(text), ',')
	var lines []int64
	for first := true; ; first = false {
		_, err := cr.Read()
		if err == io.EOF {
			return lines, nil
		}
		if err != nil {
			return nil, err
		}
		if !first {
			l, _ := cr.FieldPos(0)
			lines = append(lines, int64(l))
		}
	}
}

// checkRowLines checks csvRowLines on text, written to path, against the
// parser: every row at its line, none past the end.
func checkRowLines(t *testing.T, path, text string) {
	t.Helper()
	want, err := csvLinesOracle(text)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	rows := make([]int64, len(want)+2)
	for i := range rows {
		rows[i] = int64(i + 1) // two past the end: no line
	}
	got, err := csvRowLines(path, rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows located, want %d\n%q", len(got), len(want), text)
	}
	for i, l := range want {
		if got[int64(i+1)] != l {
			t.Fatalf("row %d at line %d, want %d\n%q", i+1, got[int64(i+1)], l, text)
		}
	}
}

// TestCSVRowLines: the line of each data row is the one the CSV parser
// gives, with newlines (LF and CRLF) inside quoted fields, doubled quotes,
// blank lines between records, a byte-order mark and no final newline;
// random files of such rows agree on every row.
func TestCSVRowLines(t *testing.T) {
	dir := t.TempDir()
	check := func(name, text string) {
		t.Helper()
		checkRowLines(t, filepath.Join(dir, name+".csv"), text)
	}
	check("plain", "a,b\n1,2\n3,4\n")
	check("quoted", "a,b\n1,\"x\ny\nz\"\n\"p,\"\"q\"\"\n\",4\n5,6")
	check("blank", "\xEF\xBB\xBFa,b\r\n\r\n1,2\r\n\n\n3,\"\r\n\r\n\"\r\n4,5\r\n")
	check("quote header", "\"a\nb\",c\n1,2\n")
	rng := rand.New(rand.NewPCG(1, 2))
	for k := range 200 {
		var b strings.Builder
		b.WriteString("id,text\n")
		for i := range 1 + rng.IntN(40) {
			fmt.Fprintf(&b, "%d,", i)
			switch rng.IntN(5) {
			case 0:
				b.WriteString("\"one\ntwo\"")
			case 1:
				b.WriteString("\"say \"\"hi\"\"\r\nthere\n\n\"")
			case 2:
				b.WriteString("\"\"")
			default:
				b.WriteString("plain")
			}
			b.WriteString([]string{"\n", "\r\n", "\n\n", "\r\n\r\n"}[rng.IntN(4)])
		}
		check(fmt.Sprintf("random%d", k), b.String())
	}
}

// FuzzCSVRowLines: on any text the CSV parser reads, every data row is at
// the line the parser gives.
func FuzzCSVRowLines(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "a,b\n1,\"x\ny\"\n\n\r\n2,\"\"\"\"\n", "\ufeffa\r\n\"\r\n\"\r\n", "a\n\rx\n"} {
		f.Add(s)
	}
	path := filepath.Join(f.TempDir(), "f.csv")
	f.Fuzz(func(t *testing.T, text string) {
		if _, err := csvLinesOracle(text); err != nil {
			return
		}
		checkRowLines(t, path, text)
	})
}

// TestLocateRows: every data row a message names gets its place in the
// file, CSV line or Parquet row group (of 5, from the footer), the error
// still unwraps to its cause, and errors with nothing to add come back as
// they are.
func TestLocateRows(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "t.csv")
	if err := os.WriteFile(csvPath, []byte("a,b\n1,\"x\ny\"\n2,z\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cause := errors.New("bad weight")
	err := LocateRows(csvPath, fmt.Errorf("column %q, row 2: value -1: %w (row 1 was fine, row 9 is not in the file)", "b", cause))
	want := `column "b", row 2, line 4: value -1: bad weight (row 1, line 2 was fine, row 9 is not in the file)`
	if err.Error() != want || !errors.Is(err, cause) {
		t.Fatalf("got %q, want %q wrapping the cause", err, want)
	}
	err = LocateRows(csvPath, errors.New("negative at rows 1, 2; rows 1 and 2; rows 1, 9; rows 2; row 20"))
	if want := "negative at rows 1, 2 (lines 2, 4); rows 1 and 2; rows 1, 9; rows 2; row 20"; err.Error() != want {
		t.Fatalf("got %q, want %q", err, want)
	}
	if again := LocateRows(csvPath, err); again != err {
		t.Errorf("located twice: %q", again)
	}
	for _, e := range []error{nil, cause, &Error{File: csvPath, Line: 3, Err: cause}} {
		if got := LocateRows(csvPath, e); got != e {
			t.Errorf("LocateRows(%v) = %v, want it unchanged", e, got)
		}
	}
	if got := LocateRows("-", fmt.Errorf("row 2")); got.Error() != "row 2" {
		t.Errorf("stdin: %q", got)
	}

	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := array.NewInt64Builder(mem)
	for i := range 2300 {
		b.Append(int64(i))
	}
	col := b.NewArray()
	b.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, 2300)
	col.Release()
	defer rec.Release()
	pq := filepath.Join(dir, "t.parquet")
	if err := Write(pq, schema, []arrow.RecordBatch{rec}, WithRowGroupRows(500)); err != nil {
		t.Fatal(err)
	}
	err = LocateRows(pq, fmt.Errorf("rows: row 1, row 500, row 501, row 1900, row 2300, row 2301, rows 499, 1001: %w", cause))
	want = "rows: row 1, row group 1 of 5, row 500, row group 1 of 5, row 501, row group 2 of 5, row 1900, row group 4 of 5, row 2300, row group 5 of 5, row 2301, rows 499, 1001 (row groups 1, 3 of 5): bad weight"
	if err.Error() != want || !errors.Is(err, cause) {
		t.Fatalf("got %q, want %q", err, want)
	}
}

// BenchmarkCSVRowLines: the error path's scan for the line of the last
// row of a 200,000-row file with a quoted newline every 1,000 rows
// (throughput in MB/s; reading the file pays nothing for it).
func BenchmarkCSVRowLines(b *testing.B) {
	var s strings.Builder
	s.WriteString("id,year,province,weight,text,a1,a2,a3,a4,a5\n")
	for i := range 200_000 {
		text := "plain"
		if i%1000 == 0 {
			text = "\"two\nlines\""
		}
		fmt.Fprintf(&s, "%d,2024,Hà Nội,%d.25,%s,4,5,3,4,5\n", i, 100+i%37, text)
	}
	path := filepath.Join(b.TempDir(), "b.csv")
	if err := os.WriteFile(path, []byte(s.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(s.Len()))
	for b.Loop() {
		got, err := csvRowLines(path, []int64{200_000})
		if err != nil || got[200_000] != 200_000+1+200 {
			b.Fatalf("%v, %v", got, err)
		}
	}
}
