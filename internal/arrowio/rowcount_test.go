package arrowio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// ballotTable is a small ballot-like table: an id, a dictionary-encoded
// province, a Likert item with nulls and a weight.
func ballotTable(n int) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ballot_id", Type: arrow.BinaryTypes.String},
		{Name: "province", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "access_1", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "weight", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	prov := []string{"Hà Nội", "Thừa Thiên Huế", "Cần Thơ"}
	for i := 0; i < n; i++ {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("B%05d", i))
		b.Field(1).(*array.StringBuilder).Append(prov[i%3])
		if i%7 == 0 {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.Int8Builder).Append(int8(i%5 + 1))
		}
		b.Field(3).(*array.Float64Builder).Append(1 + float64(i%11))
	}
	return b.NewRecordBatch()
}

// TestParquetFooterFlipsNeverReadShort flips every bit of a Parquet file's
// footer, one at a time, and reads the file both ways (ReadAll and Open's
// stream): each read either fails with ErrCorrupt naming the file or
// returns every row the footer gives. Before the row counts were checked,
// 23 flips of this file's footer read a wrong number of rows without an
// error: 0 rows (a damaged page offset ends a column early and pqarrow's
// buffered record reader then reports the end of the data), or all of
// them under a footer total that says otherwise.
func TestParquetFooterFlipsNeverReadShort(t *testing.T) {
	if testing.Short() {
		t.Skip("flips every footer bit")
	}
	dir := t.TempDir()
	const rows = 300
	rec := ballotTable(rows)
	defer rec.Release()
	p := filepath.Join(dir, "ballots.parquet")
	if err := WriteRecord(p, rec); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	flen := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	q := filepath.Join(dir, "flipped.parquet")
	short := 0
	for i := len(data) - 8 - flen; i < len(data)-8; i++ {
		for bit := 0; bit < 8; bit++ {
			d := append([]byte(nil), data...)
			d[i] ^= 1 << bit
			if err := os.WriteFile(q, d, 0o644); err != nil {
				t.Fatal(err)
			}
			n, footer, err := readBothWays(q)
			if err != nil {
				if !errors.Is(err, ErrCorrupt) || !strings.HasPrefix(err.Error(), q+": ") {
					t.Errorf("byte %d bit %d: %v (want ErrCorrupt naming the file)", i, bit, err)
				}
				continue
			}
			if n != footer || n != rows {
				short++
				if short <= 5 {
					t.Errorf("byte %d bit %d: read %d rows without an error; the footer gives %d, the file was written with %d", i, bit, n, footer, rows)
				}
			}
		}
	}
	if short > 0 {
		t.Errorf("%d flips read a wrong number of rows without an error", short)
	}
}

// readBothWays reads path with ReadAll and with Open and returns the row
// count (an error if the two disagree) and the footer's count.
func readBothWays(path string) (n, footer int64, err error) {
	rec, err := ReadAll(path)
	if err != nil {
		return 0, 0, err
	}
	n = rec.NumRows()
	rec.Release()
	r, err := Open(path, WithBatchSize(1000))
	if err != nil {
		return 0, 0, fmt.Errorf("ReadAll read %d rows, Open fails: %w", n, err)
	}
	defer r.Close()
	footer, _ = Rows(r)
	var m int64
	for r.Next() {
		m += r.RecordBatch().NumRows()
	}
	if err := r.Err(); err != nil {
		return 0, 0, fmt.Errorf("ReadAll read %d rows, Open fails: %w", n, err)
	}
	if m != n {
		return 0, 0, fmt.Errorf("ReadAll read %d rows, Open %d", n, m)
	}
	return n, footer, nil
}

// TestParquetShortColumnNamed checks the message for a column that ends
// before its row group does: it names the file, the row group and the
// column.
func TestParquetShortColumnNamed(t *testing.T) {
	dir := t.TempDir()
	rec := ballotTable(3000)
	defer rec.Release()
	p := filepath.Join(dir, "ballots.parquet")
	if err := WriteRecord(p, rec); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	// Flip the lowest bit of the footer byte that moves access_1's data
	// page offset by the least (the kind of flip that read 0 rows).
	const col = 2
	offset := func(b []byte) (o int64, ok bool) {
		defer func() {
			if recover() != nil {
				o, ok = 0, false
			}
		}()
		pf, err := file.NewParquetReader(bytes.NewReader(b))
		if err != nil {
			return 0, false
		}
		cc, err := pf.MetaData().RowGroup(0).ColumnChunk(col)
		if err != nil {
			return 0, false
		}
		return cc.DataPageOffset(), true
	}
	orig, _ := offset(data)
	flen := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	var d []byte
	for i := len(data) - 8 - flen; i < len(data)-8 && d == nil; i++ {
		c := append([]byte(nil), data...)
		c[i] ^= 1
		if o, ok := offset(c); ok && o != orig {
			d = c
		}
	}
	if d == nil {
		t.Fatal("no byte of the footer holds the data page offset")
	}
	q := filepath.Join(dir, "flipped.parquet")
	os.WriteFile(q, d, 0o644)
	_, err := ReadAll(q)
	if err == nil {
		t.Fatal("no error")
	}
	want := q + `: row group 1, column "access_1": corrupt or truncated Parquet file`
	if err.Error() != want || !errors.Is(err, ErrCorrupt) {
		t.Errorf("error %q, want %q", err, want)
	}
	if Cause(err) == nil {
		t.Error("the cause is not kept")
	}
}
