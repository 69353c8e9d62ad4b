package arrowio

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func checkedMem(t *testing.T) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

func TestFormatOf(t *testing.T) {
	for _, tc := range []struct {
		path string
		want Format
	}{
		{"a.csv", CSV}, {"-", CSV}, {"dir.x/B.CSV", CSV}, {"a.parquet", Parquet},
		{"a.arrow", IPCFile}, {"a.feather", IPCFile}, {"a.arrows", IPCStream}, {"a.ipc", IPCStream},
	} {
		got, err := FormatOf(tc.path)
		if err != nil || got != tc.want {
			t.Errorf("FormatOf(%q) = %v, %v; want %v", tc.path, got, err, tc.want)
		}
	}
	if got, err := FormatOf("Book.XLSX"); err != nil || got != XLSX {
		t.Errorf("FormatOf(Book.XLSX) = %v, %v", got, err)
	}
	_, err := FormatOf("ballots.ods")
	want := `ballots.ods: unsupported extension ".ods"; use .csv (CSV), .parquet (Parquet), .arrow or .feather (Arrow IPC file), .arrows or .ipc (Arrow IPC stream), .xlsx (Excel workbook), or "-" for standard input (any of these, told by its first bytes) or CSV on standard output`
	if err == nil || err.Error() != want || !errors.Is(err, ErrFormat) {
		t.Errorf("ods: %v", err)
	}
	if _, err := FormatOf("ballots"); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "no extension") {
		t.Errorf("no ext: %v", err)
	}
}

// TestCSVInference checks the type rules of the package documentation and
// null handling, and that Vietnamese text is read intact.
func TestCSVInference(t *testing.T) {
	mem := checkedMem(t)
	dir := t.TempDir()
	p := writeFile(t, dir, "t.csv", "id,n,x,b,name,empty,big,neg\n"+
		"001,1,1,true,Hà Nội,,12345678901234567890,-3\n"+
		"002,,2.5,FALSE,  ,,1,+4\n"+
		"003,-7,,false,Thừa Thiên Huế,,2, 5 \n")
	rec, err := ReadAll(p, WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	wantTypes := []arrow.DataType{
		arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64,
		arrow.FixedWidthTypes.Boolean, arrow.BinaryTypes.String, arrow.BinaryTypes.String,
		arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64,
	}
	for j, wt := range wantTypes {
		if got := rec.Schema().Field(j).Type; !arrow.TypeEqual(got, wt) {
			t.Errorf("column %s: type %s, want %s", rec.ColumnName(j), got, wt)
		}
	}
	ids, _, _ := Strings(rec.Column(0))
	if strings.Join(ids, " ") != "001 002 003" {
		t.Errorf("ids %q", ids)
	}
	n, nv, _ := Ints(rec.Column(1))
	if n[0] != 1 || n[2] != -7 || nv == nil || nv[1] || !nv[0] {
		t.Errorf("n %v %v", n, nv)
	}
	x, xv, _ := Float64s(rec.Column(2))
	if x[0] != 1 || x[1] != 2.5 || xv[2] {
		t.Errorf("x %v %v", x, xv)
	}
	b := rec.Column(3).(*array.Boolean)
	if !b.Value(0) || b.Value(1) || b.Value(2) || b.NullN() != 0 {
		t.Errorf("b %v", b)
	}
	names, nameValid, _ := Strings(rec.Column(4))
	if names[0] != "Hà Nội" || names[2] != "Thừa Thiên Huế" || nameValid[1] {
		t.Errorf("names %q %v (a cell of spaces must be null)", names, nameValid)
	}
	if rec.Column(5).NullN() != 3 {
		t.Errorf("empty column has %d nulls", rec.Column(5).NullN())
	}
	neg, _, _ := Ints(rec.Column(7))
	if neg[0] != -3 || neg[1] != 4 || neg[2] != 5 {
		t.Errorf("neg %v", neg)
	}
}

func TestCSVBOMCRLFVietnamese(t *testing.T) {
	mem := checkedMem(t)
	rec, err := ReadAll("testdata/bom_crlf.csv", WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if got := strings.Join(schemaNames(rec.Schema()), ","); got != "ballot_id,province,access_1,weight,note" {
		t.Fatalf("header %q (BOM must be dropped)", got)
	}
	if rec.NumRows() != 3 {
		t.Fatalf("%d rows", rec.NumRows())
	}
	prov, _, _ := Strings(rec.Column(1))
	if strings.Join(prov, "|") != "Hà Nội|Thừa Thiên Huế|Đắk Lắk" {
		t.Errorf("provinces %q", prov)
	}
	note, valid, _ := Strings(rec.Column(4))
	if valid[0] || note[1] != "có, dấu phẩy" || note[2] != "nhiều\ndòng" {
		t.Errorf("notes %q %v", note, valid)
	}
	if !arrow.TypeEqual(rec.Schema().Field(0).Type, arrow.BinaryTypes.String) ||
		!arrow.TypeEqual(rec.Schema().Field(2).Type, arrow.PrimitiveTypes.Int64) ||
		!arrow.TypeEqual(rec.Schema().Field(3).Type, arrow.PrimitiveTypes.Float64) {
		t.Errorf("schema %s", rec.Schema())
	}
}

// errCase runs a read and checks the exact message and sentinel.
func errCase(t *testing.T, err error, want string, sentinel error) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %q", want)
	}
	if err.Error() != want {
		t.Errorf("error\n got %q\nwant %q", err.Error(), want)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("error %v is not %v", err, sentinel)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("error %T is not *Error", err)
	}
}

func TestCSVErrors(t *testing.T) {
	dir := t.TempDir()
	chdir(t, dir)
	mem := checkedMem(t)
	read := func(name, content string, opts ...Option) error {
		if content != "\x00" {
			writeFile(t, dir, name, content)
		}
		rec, err := ReadAll(name, append(opts, WithAllocator(mem))...)
		if rec != nil {
			rec.Release()
		}
		return err
	}
	errCase(t, read("missing.csv", "\x00"), "missing.csv: file does not exist (check the path)", fs.ErrNotExist)
	errCase(t, read("empty.csv", ""), "empty.csv: file is empty", ErrEmpty)
	errCase(t, read("blank.csv", "\n\n"), "blank.csv: file is empty (expected a header row with column names)", ErrEmpty)
	errCase(t, read("ragged.csv", "a,b,c\n1,2,3\n4,5\n6,7,8\n"),
		"ragged.csv: line 3: has 2 fields but the header has 3 (check for a missing or extra comma, or an unquoted comma inside a value)", ErrRagged)
	// Line numbers count physical lines: a quoted value spanning two lines
	// and CRLF line ends.
	errCase(t, read("ragged2.csv", "a,b\r\n1,\"x\r\ny\"\r\n2,3,4\r\n"),
		"ragged2.csv: line 4: has 3 fields but the header has 2 (check for a missing or extra comma, or an unquoted comma inside a value)", ErrRagged)
	errCase(t, read("quote.csv", "a,b\n1,2\n3,x\"y\n"),
		"quote.csv: line 3: malformed CSV (check the quotes on this line): bare \" in non-quoted-field", ErrCorrupt)
	errCase(t, read("dup.csv", "a,b,a\n1,2,3\n"),
		"dup.csv: line 1, column \"a\": appears twice in the header (columns 1 and 3); column names must be unique", ErrCorrupt)
	errCase(t, read("noname.csv", "a,,c\n1,2,3\n"),
		"noname.csv: line 1: header column 2 has no name; every column needs a name", ErrCorrupt)
	errCase(t, read("latin1.csv", "a,name\n1,H\xe0 N\xf4i\n"),
		"latin1.csv: line 2, column \"name\": is not valid UTF-8 (save the file as UTF-8)", ErrCorrupt)
	errCase(t, read("proj.csv", "ballot_id,access_1\n1,2\n", WithColumns("access_1", "access_5", "province")),
		`proj.csv: missing columns "access_5", "province" (available columns: ballot_id, access_1)`, ErrMissingColumn)

	// A forced type names line, column and value. Lines 2..16 are fine.
	var sb strings.Builder
	sb.WriteString("ballot_id,access_3\n")
	for i := 2; i <= 16; i++ {
		sb.WriteString("01,3\n")
	}
	sb.WriteString("17,abc\n")
	errCase(t, read("ballots.csv", sb.String(), WithTypes(map[string]arrow.DataType{"access_3": arrow.PrimitiveTypes.Int8})),
		`ballots.csv: line 17, column "access_3": value "abc" is not an integer (expected a whole number; fix the cell or leave it empty for a missing value)`, ErrBadValue)
	errCase(t, read("range.csv", "access_3\n3\n300\n", WithTypes(map[string]arrow.DataType{"access_3": arrow.PrimitiveTypes.Int8})),
		`range.csv: line 3, column "access_3": value "300" is out of range for int8`, ErrBadValue)
	errCase(t, read("float.csv", "w\n1,5\n", WithTypes(map[string]arrow.DataType{"w": arrow.PrimitiveTypes.Float64})),
		`float.csv: line 2: has 2 fields but the header has 1 (check for a missing or extra comma, or an unquoted comma inside a value)`, ErrRagged)
	errCase(t, read("float2.csv", "w\n\"1,5\"\n", WithTypes(map[string]arrow.DataType{"w": arrow.PrimitiveTypes.Float64})),
		`float2.csv: line 2, column "w": value "1,5" is not a number (use a dot for decimals, e.g. 0.75)`, ErrBadValue)

	errCase(t, read("utf16.csv", "\xff\xfea\x00,\x00b\x00\n\x00"),
		"utf16.csv: file is UTF-16 text; save it as CSV UTF-8", ErrCorrupt)
	// Header only: a valid table with no rows.
	if err := read("head.csv", "a,b\n"); err != nil {
		t.Errorf("header-only: %v", err)
	}
}

func chdir(t *testing.T, dir string) {
	t.Helper()
	old, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chdir(old) })
}

// TestCSVLateNonNumeric: a column that is integer for 10 000 rows and then
// holds "abc" is inferred from the whole file (string, nothing lost); Ints
// then names the row and value, and with WithTypes the read names the line.
func TestCSVLateNonNumeric(t *testing.T) {
	mem := checkedMem(t)
	var sb strings.Builder
	sb.WriteString("ballot_id,access_3\n")
	for i := 0; i < 10000; i++ {
		sb.WriteString("7,4\n")
	}
	sb.WriteString("8,abc\n9,5\n")
	p := writeFile(t, t.TempDir(), "late.csv", sb.String())
	rec, err := ReadAll(p, WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	col, err := Column(rec, "access_3")
	if err != nil {
		t.Fatal(err)
	}
	if !arrow.TypeEqual(col.DataType(), arrow.BinaryTypes.String) {
		t.Fatalf("type %s", col.DataType())
	}
	_, _, err = Ints(col)
	errCase(t, err, `row 10001: value "abc" is not an integer`, ErrBadValue)
	_, err = ReadAll(p, WithAllocator(mem), WithTypes(map[string]arrow.DataType{"access_3": arrow.PrimitiveTypes.Int64}))
	errCase(t, err, p+`: line 10002, column "access_3": value "abc" is not an integer (expected a whole number; fix the cell or leave it empty for a missing value)`, ErrBadValue)
}

func TestRequireColumnsAndColumn(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "ballot_id", Type: arrow.BinaryTypes.String}, {Name: "province", Type: arrow.BinaryTypes.String}, {Name: "access_1", Type: arrow.PrimitiveTypes.Int8}}, nil)
	if err := RequireColumns(schema, "b.parquet", "province", "access_1"); err != nil {
		t.Fatal(err)
	}
	errCase(t, RequireColumns(schema, "b.parquet", "access_1", "access_5"),
		`b.parquet: missing column "access_5" (available columns: ballot_id, province, access_1)`, ErrMissingColumn)
	mem := checkedMem(t)
	rec := buildRecord(t, mem, schema, []any{[]string{"a"}, []string{"Huế"}, []int8{3}}, nil)
	defer rec.Release()
	if c, err := Column(rec, "province"); err != nil || c.(*array.String).Value(0) != "Huế" {
		t.Fatalf("Column: %v", err)
	}
	_, err := Column(rec, "weight")
	errCase(t, err, `missing column "weight" (available columns: ballot_id, province, access_1)`, ErrMissingColumn)
}

// buildRecord makes a record from Go slices; nulls[j] lists null rows of
// column j.
func buildRecord(t testing.TB, mem memory.Allocator, schema *arrow.Schema, cols []any, nulls map[int][]int) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for j, c := range cols {
		isNull := map[int]bool{}
		for _, i := range nulls[j] {
			isNull[i] = true
		}
		fb := b.Field(j)
		switch v := c.(type) {
		case []string:
			for i, x := range v {
				if isNull[i] {
					fb.AppendNull()
				} else {
					switch fb := fb.(type) {
					case *array.StringBuilder:
						fb.Append(x)
					case *array.LargeStringBuilder:
						fb.Append(x)
					case *array.BinaryDictionaryBuilder:
						fb.AppendString(x)
					}
				}
			}
		case []int8:
			for i, x := range v {
				if isNull[i] {
					fb.AppendNull()
				} else {
					fb.(*array.Int8Builder).Append(x)
				}
			}
		case []int32:
			for i, x := range v {
				if isNull[i] {
					fb.AppendNull()
				} else {
					fb.(*array.Int32Builder).Append(x)
				}
			}
		case []int64:
			for i, x := range v {
				if isNull[i] {
					fb.AppendNull()
				} else {
					fb.(*array.Int64Builder).Append(x)
				}
			}
		case []uint16:
			for i, x := range v {
				if isNull[i] {
					fb.AppendNull()
				} else {
					fb.(*array.Uint16Builder).Append(x)
				}
			}
		case []float64:
			for i, x := range v {
				if isNull[i] {
					fb.AppendNull()
				} else {
					fb.(*array.Float64Builder).Append(x)
				}
			}
		case []bool:
			for i, x := range v {
				if isNull[i] {
					fb.AppendNull()
				} else {
					fb.(*array.BooleanBuilder).Append(x)
				}
			}
		default:
			t.Fatalf("buildRecord: %T", c)
		}
	}
	return b.NewRecordBatch()
}

func TestStdinStdout(t *testing.T) {
	mem := checkedMem(t)
	schema := arrow.NewSchema([]arrow.Field{{Name: "tỉnh", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "w", Type: arrow.PrimitiveTypes.Float64, Nullable: true}}, nil)
	rec := buildRecord(t, mem, schema, []any{[]string{"Hà Nội", "x,\"y\""}, []float64{2, 0.1}}, map[int][]int{1: {1}})
	defer rec.Release()
	var out bytes.Buffer
	if err := WriteRecord("-", rec, WithStdout(&out)); err != nil {
		t.Fatal(err)
	}
	if want := "tỉnh,w\nHà Nội,2.0\n\"x,\"\"y\"\"\",\n"; out.String() != want {
		t.Fatalf("stdout %q want %q", out.String(), want)
	}
	back, err := ReadAll("-", WithStdin(bytes.NewReader(out.Bytes())), WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer back.Release()
	if !array.RecordEqual(rec, back) {
		t.Fatalf("stdin round trip:\n%v\n%v", rec, back)
	}
	_, err = ReadAll("-", WithStdin(strings.NewReader("")))
	errCase(t, err, "stdin: file is empty", ErrEmpty)
	// An IPC stream can come through stdin too.
	var ipcBuf bytes.Buffer
	if err := WriteRecord("-", rec, WithStdout(&ipcBuf), WithFormat(IPCStream)); err != nil {
		t.Fatal(err)
	}
	back2, err := ReadAll("-", WithStdin(&ipcBuf), WithFormat(IPCStream), WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer back2.Release()
	if !array.RecordEqual(rec, back2) {
		t.Fatal("IPC stream via stdin differs")
	}
}
