package golden

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestRowsAndFloat(t *testing.T) {
	p := filepath.Join(t.TempDir(), "g.csv")
	if err := os.WriteFile(p, []byte("\"id\",\"x\"\n\"a\",\"0.10000000000000001\"\n\"b\",\"NA\"\n\"c\",\"-Inf\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rows := Rows(t, p)
	if len(rows) != 3 || rows[0]["id"] != "a" {
		t.Fatalf("rows %v", rows)
	}
	if v := Float(t, rows[0]["x"]); v != 0.1 {
		t.Errorf("0.10000000000000001 read as %v", v)
	}
	if !math.IsNaN(Float(t, rows[1]["x"])) || !math.IsInf(Float(t, rows[2]["x"]), -1) {
		t.Error("NA and -Inf")
	}
	if !Close(1, 1+1e-10, 1e-9) || Close(1, 1+1e-8, 1e-9) || Close(math.NaN(), 0, 1) || !Close(math.NaN(), math.NaN(), 0) {
		t.Error("Close")
	}
}
