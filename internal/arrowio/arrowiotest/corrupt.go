// Package arrowiotest helps tests of the readers' errors: it damages files
// in known places.
package arrowiotest

import (
	"os"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/file"
)

// CorruptColumnChunk flips 8 bytes in the middle of the data of column
// col in row group g (0-based) of the Parquet file at path, so that
// reading that row group fails while the others read.
func CorruptColumnChunk(t testing.TB, path string, g int, col string) {
	t.Helper()
	f, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := f.MetaData().RowGroup(g).ColumnChunk(f.MetaData().Schema.ColumnIndexByName(col))
	if err != nil {
		t.Fatal(err)
	}
	off := cc.DataPageOffset() + cc.TotalCompressedSize()/2
	f.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := off; i < off+8; i++ {
		b[i] ^= 0x5a
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
