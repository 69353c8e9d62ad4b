package arrowio

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// dictFile writes a register-like Parquet file of n rows in row groups of
// 1,000 rows: "province" (30 values, dictionary-encoded, some nulls),
// "note" (text written without a dictionary), "k" (int64).
func dictFile(t testing.TB, dir string, n int) string {
	t.Helper()
	sb, nb, kb := array.NewStringBuilder(memory.DefaultAllocator), array.NewStringBuilder(memory.DefaultAllocator), array.NewInt64Builder(memory.DefaultAllocator)
	for i := 0; i < n; i++ {
		if i%97 == 5 {
			sb.AppendNull()
		} else {
			sb.Append(fmt.Sprintf("Tỉnh %02d", i*7%30))
		}
		nb.Append(fmt.Sprintf("n%d", i%5))
		kb.Append(int64(i))
	}
	cols := []arrow.Array{sb.NewArray(), nb.NewArray(), kb.NewArray()}
	schema := arrow.NewSchema([]arrow.Field{{Name: "province", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "note", Type: arrow.BinaryTypes.String}, {Name: "k", Type: arrow.PrimitiveTypes.Int64}}, nil)
	rec := array.NewRecordBatch(schema, cols, int64(n))
	defer rec.Release()
	for _, c := range cols {
		c.Release()
	}
	path := filepath.Join(dir, "register.parquet")
	props := parquet.NewWriterProperties(parquet.WithDictionaryDefault(true), parquet.WithDictionaryFor("note", false),
		parquet.WithMaxRowGroupLength(1000))
	pqWriteFile(t, path, rec, props, pqarrow.DefaultWriterProps())
	return path
}

// pqWriteFile writes rec to a Parquet file with pqarrow directly (not
// Write), with the given writer properties, as another writer would.
func pqWriteFile(t testing.TB, path string, rec arrow.RecordBatch, props *parquet.WriterProperties, aprops pqarrow.ArrowWriterProperties) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fw, err := pqarrow.NewFileWriter(rec.Schema(), f, props, aprops)
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
}

// readStrings reads a whole file and returns every column as strings.
func readStrings(t *testing.T, path string, opts ...Option) (*arrow.Schema, map[string][]string) {
	t.Helper()
	r, err := Open(path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := map[string][]string{}
	for r.Next() {
		for j, f := range r.Schema().Fields() {
			s, valid, err := Strings(r.RecordBatch().Column(j))
			if err != nil {
				t.Fatal(err)
			}
			for i := range s {
				if valid != nil && !valid[i] {
					s[i] = "<null>"
				}
			}
			out[f.Name] = append(out[f.Name], s...)
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return r.Schema(), out
}

// WithDictionary reads the dictionary-encoded text column as a dictionary
// (only it: not the text column written plainly, not the integers), with
// the values of the plain read, streamed, projected and whole; the
// projection and naming rules are those of the plain read.
func TestReadDictionary(t *testing.T) {
	mem := checkedMem(t)
	path := dictFile(t, t.TempDir(), 5500)
	if r, err := Open(path, WithColumns()); err != nil {
		t.Fatal(err)
	} else if n, ok := Rows(r); !ok || n != 5500 {
		t.Errorf("Rows: %d %v", n, ok)
		r.Close()
	} else {
		r.Close()
	}
	_, plain := readStrings(t, path, WithAllocator(mem))
	for _, tc := range []struct {
		opts []Option
		dict []string // columns read as dictionaries
	}{
		{[]Option{WithDictionary()}, []string{"province"}},
		{[]Option{WithDictionary("province", "note", "k")}, []string{"province"}},
		{[]Option{WithDictionary("k")}, nil},
		{[]Option{WithDictionary(), WithColumns("k", "province")}, []string{"province"}},
		{[]Option{WithDictionary(), WithBatchSize(777)}, []string{"province"}},
	} {
		schema, got := readStrings(t, path, append(tc.opts, WithAllocator(mem))...)
		var dict []string
		for _, f := range schema.Fields() {
			if f.Type.ID() == arrow.DICTIONARY {
				dict = append(dict, f.Name)
			}
			if !slices.Equal(got[f.Name], plain[f.Name]) {
				t.Errorf("%v: column %s differs from the plain read", dict, f.Name)
			}
		}
		if !slices.Equal(dict, tc.dict) {
			t.Errorf("dictionary columns %v, want %v", dict, tc.dict)
		}
	}
	// ReadAll concatenates batches whose dictionaries differ (one per row
	// group).
	rec, err := ReadAll(path, WithDictionary(), WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if rec.Schema().Field(0).Type.ID() != arrow.DICTIONARY {
		t.Errorf("ReadAll: %s", rec.Schema())
	}
	s, valid, err := Strings(rec.Column(0))
	if err != nil {
		t.Fatal(err)
	}
	for i := range s {
		if valid != nil && !valid[i] {
			s[i] = "<null>"
		}
	}
	if !slices.Equal(s, plain["province"]) {
		t.Error("ReadAll: province differs from the plain read")
	}
}

// A batch of dictionary-read text holds int32 indices and one small
// dictionary instead of every string: less memory than the plain read.
func TestReadDictionaryMemory(t *testing.T) {
	path := dictFile(t, t.TempDir(), 5500)
	held := func(opts ...Option) int {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		rec, err := ReadAll(path, append(opts, WithColumns("province"), WithAllocator(mem))...)
		if err != nil {
			t.Fatal(err)
		}
		defer rec.Release()
		return mem.CurrentAlloc()
	}
	plain, dict := held(), held(WithDictionary())
	// plain: 5,500 offsets (4 bytes) + 5,500 × ~8 bytes of text; dictionary:
	// 5,500 int32 indices + 30 strings, so well under the plain size
	if !(dict < plain*2/3) {
		t.Errorf("dictionary read holds %d bytes, plain %d", dict, plain)
	}
}
