package arrowio

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FuzzReadCSV: any input either reads or returns an *Error; what reads
// writes back to CSV and reads again to the same schema and values.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n",
		"\ufeffballot_id,province,access_1\r\n001,Hà Nội,4\r\n002,,\r\n",
		"x\n1\n2.5\n\n-3e2\nNaN\n",
		"id,v\n\"a,b\",\"q\"\"q\"\n",
		"a\ntrue\nFALSE\n",
		"a,b\n1\n",
		"a,a\n1,2\n",
		"n\n12345678901234567890\n007\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "in.csv")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		rec, err := ReadAll(p, WithAllocator(mem))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not *Error", err, err)
			}
			return
		}
		defer rec.Release()
		var out bytes.Buffer // "-": no fsync per exec
		if err := WriteRecord("-", rec, WithStdout(&out)); err != nil {
			t.Fatalf("write: %v", err)
		}
		back, err := ReadAll("-", WithStdin(bytes.NewReader(out.Bytes())), WithAllocator(mem))
		if err != nil {
			t.Fatalf("reading what we wrote: %v\nin:  %q\nout: %q", err, data, out.Bytes())
		}
		defer back.Release()
		if !back.Schema().Equal(rec.Schema()) || !array.RecordApproxEqual(back, rec, array.WithNaNsEqual(true)) {
			t.Fatalf("round trip changed the table\nin:  %q\nout: %q\n%v\n%v", data, out.Bytes(), rec, back)
		}
	})
}

// fuzzBinary reads arbitrary bytes as a Parquet or IPC file: errors are
// fine, panics and crashes are not.
func fuzzBinary(f *testing.F, ext string) {
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "v", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "w", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "d", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}, Nullable: true},
	}, nil)
	rec := buildRecord(f, mem, schema, []any{[]string{"a", "Huế", "c"}, []int8{1, 2, 3}, []float64{0.5, 1, 2}, []string{"x", "y", "x"}}, map[int][]int{1: {1}})
	dir := f.TempDir()
	p := filepath.Join(dir, "seed"+ext)
	if err := WriteRecord(p, rec); err != nil {
		f.Fatal(err)
	}
	rec.Release()
	seed, _ := os.ReadFile(p)
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add([]byte("PAR1"))
	f.Add([]byte("ARROW1\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		q := filepath.Join(dir, "in"+ext)
		if err := os.WriteFile(q, data, 0o644); err != nil {
			t.Fatal(err)
		}
		rec, err := ReadAll(q)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrEmpty) {
				t.Fatalf("error %v is neither ErrCorrupt nor ErrEmpty", err)
			}
			return
		}
		// Whatever reads must be usable: touch every value.
		for _, c := range rec.Columns() {
			Strings(c)
		}
		var buf bytes.Buffer
		if err := WriteRecord("-", rec, WithStdout(&buf)); err != nil {
			t.Fatalf("cannot write what was read: %v", err)
		}
		rec.Release()
	})
}

func FuzzReadParquet(f *testing.F)   { fuzzBinary(f, ".parquet") }
func FuzzReadIPCFile(f *testing.F)   { fuzzBinary(f, ".arrow") }
func FuzzReadIPCStream(f *testing.F) { fuzzBinary(f, ".arrows") }
