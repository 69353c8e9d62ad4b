package tableio_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sipas-go/sipas/tableio"
)

// TestReadSpreadsheetFiles: Excel's "CSV UTF-8" (a byte-order mark), a
// semicolon file with decimal commas and a workbook give one table.
func TestReadSpreadsheetFiles(t *testing.T) {
	dir := t.TempDir()
	bom := filepath.Join(dir, "bom.csv")
	os.WriteFile(bom, []byte("\ufeffballot_id,weight\r\n001,1.5\r\n002,2.25\r\n"), 0o644)
	semi := filepath.Join(dir, "semi.csv")
	os.WriteFile(semi, []byte("ballot_id;weight\n001;1,5\n002;2,25\n"), 0o644)
	rec, err := tableio.ReadAll(bom)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	x := filepath.Join(dir, "b.xlsx")
	if err := tableio.WriteRecord(x, rec); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{bom, semi, x} {
		r, err := tableio.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		if r.ColumnName(0) != "ballot_id" || r.NumRows() != 2 || r.Schema().Field(1).Type.ID() != rec.Schema().Field(1).Type.ID() {
			t.Errorf("%s: %v", p, r)
		}
		r.Release()
	}
	_, err = tableio.ReadAll(x, tableio.WithSheet("Nope"))
	var e *tableio.Error
	if !errors.As(err, &e) || !errors.Is(err, tableio.ErrMissingSheet) {
		t.Errorf("missing sheet: %v", err)
	}
}
