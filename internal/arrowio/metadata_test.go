package arrowio

import (
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// TestSchemaMetadataRoundTrip: the schema's key-value metadata (sipas
// writes sipas.validation and sipas.weighting there) survive Write and
// come back from Open and ReadAll, with and without a projection, for
// Parquet (pqarrow's record reader drops them; the reader takes them from
// the stored Arrow schema) and both IPC formats. CSV has no place for them.
func TestSchemaMetadataRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	md := arrow.NewMetadata([]string{"sipas.validation", "other"}, []string{`{"rows_in":3,"note":"Hà Nội"}`, "x"})
	s := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}, {Name: "y", Type: arrow.BinaryTypes.String}}, &md)
	b := array.NewRecordBuilder(mem, s)
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2, 3}, nil)
	b.Field(1).(*array.StringBuilder).AppendValues([]string{"a", "b", "c"}, nil)
	rec := b.NewRecordBatch()
	b.Release()
	defer rec.Release()
	check := func(t *testing.T, what string, got arrow.Metadata) {
		t.Helper()
		if got.Len() != 2 {
			t.Fatalf("%s: metadata %v, want %v", what, got, md)
		}
		for i, k := range md.Keys() {
			if v, ok := got.GetValue(k); !ok || v != md.Values()[i] {
				t.Errorf("%s: %s = %q (present %v), want %q", what, k, v, ok, md.Values()[i])
			}
		}
	}
	for _, ext := range []string{"parquet", "arrow", "arrows"} {
		t.Run(ext, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "f."+ext)
			if err := WriteRecord(p, rec, WithAllocator(mem)); err != nil {
				t.Fatal(err)
			}
			for _, proj := range [][]string{nil, {"y"}} {
				r, err := Open(p, WithColumns(proj...), WithAllocator(mem))
				if err != nil {
					t.Fatal(err)
				}
				check(t, "Open schema", r.Schema().Metadata())
				for r.Next() {
					check(t, "batch schema", r.RecordBatch().Schema().Metadata())
				}
				r.Close()
				a, err := ReadAll(p, WithColumns(proj...), WithAllocator(mem))
				if err != nil {
					t.Fatal(err)
				}
				check(t, "ReadAll", a.Schema().Metadata())
				wantCols := int64(2)
				if proj != nil {
					wantCols = 1
				}
				if a.NumRows() != 3 || a.NumCols() != wantCols {
					t.Errorf("ReadAll: %d rows, %d columns", a.NumRows(), a.NumCols())
				}
				a.Release()
			}
		})
	}
	// CSV keeps no metadata: the columns come back, the metadata do not.
	p := filepath.Join(t.TempDir(), "f.csv")
	if err := WriteRecord(p, rec); err != nil {
		t.Fatal(err)
	}
	a, err := ReadAll(p, WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	if a.Schema().Metadata().Len() != 0 {
		t.Errorf("CSV: metadata %v, want none", a.Schema().Metadata())
	}
}

// TestParquetFileKeyValueMetadata: a Parquet file written without the
// serialized Arrow schema (other writers than sipas) still gives its
// key-value metadata as the schema's metadata, without ARROW:schema.
func TestParquetFileKeyValueMetadata(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	md := arrow.NewMetadata([]string{"sipas.validation"}, []string{`{"version":1}`})
	s := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, &md)
	b := array.NewRecordBuilder(mem, s)
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2}, nil)
	rec := b.NewRecordBatch()
	b.Release()
	defer rec.Release()
	p := filepath.Join(t.TempDir(), "plain.parquet")
	pqWriteFile(t, p, rec, parquet.NewWriterProperties(), pqarrow.NewArrowWriterProperties())
	r, err := Open(p, WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := r.Schema().Metadata()
	if v, ok := got.GetValue("sipas.validation"); !ok || v != `{"version":1}` {
		t.Errorf("metadata %v, want sipas.validation", got)
	}
	if _, ok := got.GetValue("ARROW:schema"); ok {
		t.Error("ARROW:schema leaked into the schema metadata")
	}
}
