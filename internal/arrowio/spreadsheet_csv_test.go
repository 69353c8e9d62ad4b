package arrowio

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestSpreadsheetCSV: files as spreadsheets save "CSV" in Vietnamese
// (and most European) settings: ';' between fields and a decimal comma,
// or tabs; the delimiter comes from the header line, the decimal comma
// from the numbers.
func TestSpreadsheetCSV(t *testing.T) {
	mem := checkedMem(t)
	dir := t.TempDir()
	cases := []struct {
		name, src string
		opts      []Option
		schema    string
		csv       string
	}{
		{"semicolon", "\ufeffballot_id;year;province;weight;access_1\r\n001;2024;Hà Nội;1,25;4\r\n002;2024;\"Huế; TT\";0,5;\r\n",
			nil, "ballot_id:utf8 year:int64 province:utf8 weight:float64 access_1:int64",
			"ballot_id,year,province,weight,access_1\n001,2024,Hà Nội,1.25,4\n002,2024,Huế; TT,0.5,\n"},
		{"semicolon-dot", "a;b\n1.5;x\n2;y\n", nil, "a:float64 b:utf8", "a,b\n1.5,x\n2.0,y\n"},
		{"tab", "a\tb\tc\n1,5\t2\tx y\n", nil, "a:float64 b:int64 c:utf8", "a,b,c\n1.5,2,x y\n"},
		{"comma-quoted-decimal", "a,b\n\"1,5\",2\n", nil, "a:utf8 b:int64", "a,b\n\"1,5\",2\n"},
		{"forced", "a;b\n1,5;2\n", []Option{WithTypes(map[string]arrow.DataType{"a": arrow.PrimitiveTypes.Float32})}, "a:float32 b:int64", "a,b\n1.5,2\n"},
		{"given", "a;b\n1.234;2\n", []Option{WithDecimal(',')}, "a:utf8 b:int64", "a,b\n1.234,2\n"},
		{"delimiter", "a;b,c\n1;2,3\n", []Option{WithDelimiter(',')}, "a;b:utf8 c:int64", "a;b,c\n1;2,3\n"},
		{"codes-stay-text", "ma_xa;ten\n00123;A\n31000;B\n", nil, "ma_xa:utf8 ten:utf8", "ma_xa,ten\n00123,A\n31000,B\n"},
	}
	for _, tc := range cases {
		p := filepath.Join(dir, tc.name+".csv")
		os.WriteFile(p, []byte(tc.src), 0o644)
		rec, err := ReadAll(p, append(tc.opts, WithAllocator(mem))...)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := schemaText(rec); got != tc.schema {
			t.Errorf("%s: schema %s, want %s", tc.name, got, tc.schema)
		}
		if got := tableText(t, rec); got != tc.csv {
			t.Errorf("%s: table %q, want %q", tc.name, got, tc.csv)
		}
		rec.Release()
	}
	p := filepath.Join(dir, "mixed.csv")
	os.WriteFile(p, []byte("a;b;c\n1,5;2.5;x\n"), 0o644)
	_, err := ReadAll(p)
	errCase(t, err, p+`: line 2, column "a": value "1,5" has a decimal comma, but line 2, column "b" has a decimal point ("2.5"); the file mixes both: set its decimal separator explicitly`, ErrBadValue)
	p = filepath.Join(dir, "ragged.csv")
	os.WriteFile(p, []byte("a;b\n1;2;3\n"), 0o644)
	_, err = ReadAll(p)
	errCase(t, err, p+`: line 2: has 3 fields but the header has 2 (check for a missing or extra semicolon, or an unquoted semicolon inside a value)`, ErrRagged)
}
