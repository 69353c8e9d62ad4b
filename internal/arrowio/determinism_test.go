package arrowio

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestParquetSameBytes writes the same table several times: the files are
// byte for byte equal. A text column with more distinct values than the
// default dictionary page limit holds used to fall back to plain pages in
// the middle of a chunk, and the writer lists the two data page encodings
// of such a chunk in map order, so the footers differed from run to run.
func TestParquetSameBytes(t *testing.T) {
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	const rows = 120_000
	for i := range rows {
		b.Append(fmt.Sprintf("ballot-%012d-%s", i*7919%rows, "phiếu khảo sát"))
	}
	ids := b.NewArray()
	defer ids.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.BinaryTypes.String}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{ids}, rows)
	defer rec.Release()
	dir := t.TempDir()
	var first []byte
	for k := range 4 {
		p := filepath.Join(dir, fmt.Sprintf("ids%d.parquet", k))
		if err := WriteRecord(p, rec, withRowGroupRows(30_000)); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			first = data
			continue
		}
		if !bytes.Equal(first, data) {
			t.Fatalf("write %d: %d bytes differ from the first write's %d bytes", k, len(data), len(first))
		}
	}
}
