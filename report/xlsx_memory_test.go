package report

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/sipas-go/sipas/internal/heappeak"
)

// TestXLSXMemory: the workbook's sheets are streamed and never read back.
// Five tables of 20,000 rows × 12 columns (each sheet under the 16 MB the
// spreadsheet library keeps in memory before spilling to disk, as the
// tables of a report of about 700 domains) take 66 MB of heap to write;
// selecting the first sheet after streaming them (it is selected already)
// made the library parse every sheet back into memory: 516 MB, and 3.2 GB
// allocated.
func TestXLSXMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a workbook of 100,000 rows")
	}
	var tables []Table
	for s := range 5 {
		tb := Table{Name: fmt.Sprintf("t%d", s), Header: []string{"commune", "kind", "id", "year", "estimate", "se", "low", "high", "n", "deff", "flag", "note"}}
		for i := range 20000 {
			tb.Rows = append(tb.Rows, []string{fmt.Sprintf("c%05d", i%1260), "criterion", fmt.Sprintf("q%02d", i%21), "2021",
				fmt.Sprintf("%.2f", 80+float64(i%997)/50), "1.23", "78.50", "83.10", "25", "1.10", "", "text"})
		}
		tables = append(tables, tb)
	}
	start := time.Now()
	peak := heappeak.Peak(func() {
		if err := writeTablesXLSX(io.Discard, LangVI, tables, nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("peak heap +%.1f MB, %v", float64(peak)/(1<<20), time.Since(start).Round(time.Millisecond))
	if peak > 160<<20 {
		t.Errorf("writing 100,000 rows takes %.0f MB of heap (bound 160 MB)", float64(peak)/(1<<20))
	}
}
