package arrowio

import (
	"archive/zip"
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestXLSXFullSheet: a sheet filled to row 1,048,576 (where Excel cuts
// longer tables off) is refused naming its last cell, after streaming
// every row with bounded memory (the rows are spooled to disk).
func TestXLSXFullSheet(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a sheet of 1,048,576 rows")
	}
	p := filepath.Join(t.TempDir(), "full.xlsx")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, part := range xlsxParts {
		w, _ := zw.Create(part[0])
		w.Write([]byte(part[1]))
	}
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	bw.WriteString(`<row r="1"><c r="A1" t="inlineStr"><is><t>ballot_id</t></is></c><c r="B1" t="inlineStr"><is><t>access_1</t></is></c><c r="C1" t="inlineStr"><is><t>province</t></is></c></row>`)
	for r := 2; r <= MaxSheetRows; r++ {
		fmt.Fprintf(bw, `<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d"><v>%d</v></c><c r="C%d" t="inlineStr"><is><t>Hà Nội</t></is></c></row>`, r, r, r, r, r%5+1, r)
	}
	bw.WriteString(`</sheetData></worksheet>`)
	bw.Flush()
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	}()
	_, err = ReadAll(p)
	close(stop)
	<-done
	want := p + ": Sheet1!A1048576: the sheet has data in its last row (1048576)"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error %v, want %q…", err, want)
	}
	// 1M rows of text are ~60 MB as CSV; the reader holds two int32 per
	// row (positions) and one row at a time.
	if grew := int64(peak.Load()) - int64(base.HeapInuse); grew > 64<<20 {
		t.Errorf("heap grew by %d MB while streaming the sheet", grew>>20)
	}
}
