package arrowio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// TestParquetPagesHaveChecksums walks the pages of every column chunk of a
// written file: each page header carries a CRC-32 of the page's bytes, and
// the footer's offsets still point at the pages (verifyPageCRCs walks the
// chunks by them and pqarrow reads the file back equal).
func TestParquetPagesHaveChecksums(t *testing.T) {
	rec := ballotTable(3000)
	defer rec.Release()
	p := filepath.Join(t.TempDir(), "ballots.parquet")
	if err := WriteRecord(p, rec, withRowGroupRows(1000)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	md := pf.MetaData()
	if md.NumRowGroups() != 3 {
		t.Fatalf("%d row groups, want 3", md.NumRowGroups())
	}
	pages := 0
	for g := 0; g < md.NumRowGroups(); g++ {
		for c := 0; c < md.Schema.NumColumns(); c++ {
			cc, err := md.RowGroup(g).ColumnChunk(c)
			if err != nil {
				t.Fatal(err)
			}
			if err := verifyPageCRCs(bytes.NewReader(data), cc); err != nil {
				t.Errorf("row group %d column %d: %v", g, c, err)
			}
			pos := cc.DataPageOffset()
			if cc.HasDictionaryPage() {
				pos = cc.DictionaryPageOffset()
			}
			for end := pos + cc.TotalCompressedSize(); pos < end; pages++ {
				h, err := parsePageHeader(data[pos:end])
				if err != nil {
					t.Fatalf("row group %d column %d: page at %d: %v", g, c, pos, err)
				}
				if h.crc < 0 {
					t.Errorf("row group %d column %d: page at %d has no checksum", g, c, pos)
				}
				pos += int64(h.size) + h.compressed
			}
		}
	}
	if pages < 3*4 {
		t.Errorf("%d pages", pages)
	}
	back, err := ReadAll(p)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Release()
	if !array.RecordEqual(rec, back) {
		t.Error("the file does not read back equal")
	}
}

// TestParquetBitRot flips one random bit of a written file's pages (the
// bytes between the magic number and the footer), 300 times with a fixed
// seed: every read either fails with ErrCorrupt naming the file or returns
// the table as written. Before page checksums, 121 of the 300 flips changed
// values without an error.
func TestParquetBitRot(t *testing.T) {
	rec := ballotTable(2000)
	defer rec.Release()
	dir := t.TempDir()
	p := filepath.Join(dir, "ballots.parquet")
	if err := WriteRecord(p, rec); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	footer := len(data) - 8 - int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	rng := rand.New(rand.NewPCG(16, 2))
	q := filepath.Join(dir, "rotten.parquet")
	silent := 0
	for k := 0; k < 300; k++ {
		d := bytes.Clone(data)
		i := 4 + rng.IntN(footer-4)
		d[i] ^= 1 << rng.IntN(8)
		if err := os.WriteFile(q, d, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := ReadAll(q)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) || !strings.HasPrefix(err.Error(), q+": ") {
				t.Errorf("flip at %d: %v", i, err)
			}
			continue
		}
		if !array.RecordEqual(rec, got) {
			silent++
		}
		got.Release()
	}
	if silent > 0 {
		t.Errorf("%d of 300 flips changed the data without an error", silent)
	}
}

// TestParquetDecodesCheckedBytes changes a page of a file on disk after
// the reader has checked the checksums of its row group and decoded its
// first batch: the batches read on are still the file as written, since
// the page readers decode the bytes whose checksums were checked. (When
// the pages were read again to be decoded, the changed page was decoded
// unchecked.)
func TestParquetDecodesCheckedBytes(t *testing.T) {
	const n = 300_000 // 2.4 MB of incompressible int64: three 1 MB pages
	rng := rand.New(rand.NewPCG(3, 4))
	b := array.NewInt64Builder(memory.DefaultAllocator)
	for range n {
		b.Append(rng.Int64())
	}
	col := b.NewArray()
	defer col.Release()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil), []arrow.Array{col}, n)
	defer rec.Release()
	p := filepath.Join(t.TempDir(), "v.parquet")
	if err := WriteRecord(p, rec, withRowGroupRows(n)); err != nil { // one row group
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	footer := len(data) - 8 - int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	r, err := Open(p, WithBatchSize(1000))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.Next() {
		t.Fatal(r.Err())
	}
	got := r.RecordBatch().Column(0).(*array.Int64).Int64Values()[0]
	// a byte of the last page, long after what the first batch needed
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{data[footer-1000] ^ 0xff}, int64(footer-1000)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	want := col.(*array.Int64).Int64Values()
	if got != want[0] {
		t.Fatalf("row 1: %d, want %d", got, want[0])
	}
	row := 1000
	for r.Next() {
		for i, v := range r.RecordBatch().Column(0).(*array.Int64).Int64Values() {
			if v != want[row+i] {
				t.Fatalf("row %d: %d, want %d (a page decoded other bytes than those checked)", row+i+1, v, want[row+i])
			}
		}
		row += int(r.RecordBatch().NumRows())
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if row != n {
		t.Fatalf("%d rows, want %d", row, n)
	}
}
