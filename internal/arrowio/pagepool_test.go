package arrowio

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// pagePoolTable is a table whose Parquet pages differ in size from page to
// page: codes with nulls, wide and narrow numbers, repeated and unique
// strings.
func pagePoolTable(t *testing.T, n int) arrow.RecordBatch {
	t.Helper()
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "code", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "n32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "n64", Type: arrow.PrimitiveTypes.Int64},
		{Name: "w", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	r := rand.New(rand.NewPCG(7, 11))
	for i := range n {
		// runs of nulls and of values, so that pages hold from none to
		// all nulls
		null := (i/97)%5 == 0 && r.IntN(3) > 0
		if null {
			b.Field(0).AppendNull()
			b.Field(1).AppendNull()
			b.Field(3).AppendNull()
			b.Field(4).AppendNull()
			b.Field(5).AppendNull()
		} else {
			b.Field(0).(*array.Int8Builder).Append(int8(1 + r.IntN(5)))
			b.Field(1).(*array.Int32Builder).Append(r.Int32N(1 << 20))
			b.Field(3).(*array.Float64Builder).Append(r.Float64() * 1000)
			s := fmt.Sprintf("tỉnh %d", r.IntN(63))
			if r.IntN(10) == 0 {
				s = fmt.Sprintf("%x-%d", r.Uint64(), i) // unique
			}
			b.Field(4).(*array.StringBuilder).Append(s)
			b.Field(5).(*array.BooleanBuilder).Append(r.IntN(2) == 0)
		}
		b.Field(2).(*array.Int64Builder).Append(r.Int64())
	}
	return b.NewRecordBatch()
}

// TestRecycledPagesDecode: a Parquet file read batch by batch with
// recycled buffers (the page buffers handed out again without zeroing)
// gives the values arrow-go's own reader gives with fresh memory, for files
// written by arrow-go's writer with every codec arrow-go reads, pages from
// half a kilobyte to a megabyte, dictionary and plain pages, data pages
// of both versions, and batches that cut row groups and pages anywhere.
func TestRecycledPagesDecode(t *testing.T) {
	rows := 20011
	codecs := []compress.Compression{compress.Codecs.Snappy, compress.Codecs.Uncompressed, compress.Codecs.Zstd, compress.Codecs.Gzip, compress.Codecs.Lz4Raw}
	pages := []int64{512, 8 << 10, 1 << 20}
	if testing.Short() {
		rows, codecs = 7001, codecs[:2]
	}
	tab := pagePoolTable(t, rows)
	defer tab.Release()
	dir := t.TempDir()
	for _, codec := range codecs {
		for _, page := range pages {
			for _, dict := range []bool{true, false} {
				for _, v2 := range []bool{false, true} {
					version := parquet.DataPageV1
					if v2 {
						version = parquet.DataPageV2
					}
					name := fmt.Sprintf("%s-page%d-dict%v-v2%v", codec, page, dict, v2)
					path := filepath.Join(dir, name+".parquet")
					f, err := os.Create(path)
					if err != nil {
						t.Fatal(err)
					}
					props := parquet.NewWriterProperties(parquet.WithCompression(codec), parquet.WithDataPageSize(page),
						parquet.WithDictionaryDefault(dict), parquet.WithDataPageVersion(version), parquet.WithMaxRowGroupLength(6000))
					fw, err := pqarrow.NewFileWriter(tab.Schema(), f, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
					if err != nil {
						t.Fatal(err)
					}
					if err := fw.Write(tab); err != nil {
						t.Fatal(err)
					}
					if err := fw.Close(); err != nil {
						t.Fatal(err)
					}
					want := readPlainParquet(t, path)
					for _, batch := range []int{1000, 4099} {
						compareRecycled(t, name, path, want, batch)
					}
					want.Release()
				}
			}
		}
	}
}

// readPlainParquet reads the whole file with arrow-go's pqarrow and fresh
// Go memory.
func readPlainParquet(t *testing.T, path string) arrow.Table {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := pqarrow.ReadTable(context.Background(), f, parquet.NewReaderProperties(memory.NewGoAllocator()), pqarrow.ArrowReadProperties{}, memory.NewGoAllocator())
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// compareRecycled streams path with recycled buffers in batches of batch
// rows and compares every batch to the same rows of want.
func compareRecycled(t *testing.T, name, path string, want arrow.Table, batch int) {
	t.Helper()
	mem := checkedMem(t)
	r, err := Open(path, WithRecycledBuffers(), WithBatchSize(batch), WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var off int64
	for r.Next() {
		rec := r.RecordBatch()
		for j := range int(rec.NumCols()) {
			w := array.NewChunkedSlice(want.Column(j).Data(), off, off+rec.NumRows())
			got := rec.Column(j)
			pos := 0
			for _, c := range w.Chunks() {
				g := array.NewSlice(got, int64(pos), int64(pos+c.Len()))
				if !array.Equal(g, c) {
					t.Fatalf("%s, batches of %d: column %s, rows %d..%d differ from arrow-go's read", name, batch, rec.Schema().Field(j).Name, off+int64(pos), off+int64(pos+c.Len()))
				}
				g.Release()
				pos += c.Len()
			}
			w.Release()
		}
		off += rec.NumRows()
	}
	if err := r.Err(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if off != want.NumRows() {
		t.Fatalf("%s: read %d rows, want %d", name, off, want.NumRows())
	}
}

// TestRecycledPagesCorrupt: bytes changed anywhere in the pages of a Snappy
// file without page checksums (written by arrow-go's writer) make the
// streamed read with recycled buffers fail with a corrupt-file error or
// read rows; it never panics, and it never reads more or fewer rows than
// the footer gives.
func TestRecycledPagesCorrupt(t *testing.T) {
	tab := pagePoolTable(t, 9001)
	defer tab.Release()
	path := filepath.Join(t.TempDir(), "ok.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithDataPageSize(4<<10), parquet.WithMaxRowGroupLength(3000))
	fw, err := pqarrow.NewFileWriter(tab.Schema(), f, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(tab); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	footer := len(good) - 8 - int(uint32(good[len(good)-8])|uint32(good[len(good)-7])<<8|uint32(good[len(good)-6])<<16|uint32(good[len(good)-5])<<24)
	r := rand.New(rand.NewPCG(3, 5))
	bad := filepath.Join(t.TempDir(), "bad.parquet")
	trials, failed := 150, 0
	if testing.Short() {
		trials = 40
	}
	for trial := range trials {
		data := append([]byte(nil), good...)
		for range 1 + r.IntN(4) {
			i := 4 + r.IntN(footer-4) // the pages, not the footer
			data[i] ^= byte(1 + r.IntN(255))
		}
		if err := os.WriteFile(bad, data, 0o644); err != nil {
			t.Fatal(err)
		}
		n, err := readRecycled(bad)
		switch {
		case err != nil && !errors.Is(err, ErrCorrupt):
			t.Fatalf("trial %d: error %v is not ErrCorrupt", trial, err)
		case err != nil:
			failed++
		case n != tab.NumRows():
			t.Fatalf("trial %d: read %d rows without an error, the footer gives %d", trial, n, tab.NumRows())
		}
	}
	if failed == 0 {
		t.Fatal("no corruption was detected: the test does not reach the pages")
	}
}

func readRecycled(path string) (n int64, err error) {
	r, err := Open(path, WithRecycledBuffers(), WithBatchSize(1000))
	if err != nil {
		return 0, err
	}
	defer r.Close()
	for r.Next() {
		for _, c := range r.RecordBatch().Columns() {
			Strings(c) // touch every value
		}
		n += r.RecordBatch().NumRows()
	}
	return n, r.Err()
}
