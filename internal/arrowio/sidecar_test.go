package arrowio

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestSidecar: the JSON records of a CSV table's schema metadata go to its
// sidecar and read back the same; a table without one has none; a sidecar
// of other content of the table (the table edited since) or not a sidecar
// at all is an error naming it.
func TestSidecar(t *testing.T) {
	dir := t.TempDir()
	table := filepath.Join(dir, "w.csv")
	if err := os.WriteFile(table, []byte("a,b\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := ReadSidecar(table); ok || err != nil {
		t.Fatalf("no sidecar: ok %v, %v", ok, err)
	}
	md := arrow.NewMetadata([]string{"sipas.weighting", "note", "sipas.inputs"},
		[]string{`{"version":1,"warnings":["x"]}`, "not json", `[{"name":"in.csv"}]`})
	if err := WriteSidecar(SidecarPath(table), table, table, md); err != nil {
		t.Fatal(err)
	}
	got, ok, err := ReadSidecar(table)
	if !ok || err != nil || got.Len() != 2 {
		t.Fatalf("read back %v (ok %v, %v), want the two JSON keys", got, ok, err)
	}
	for _, k := range []string{"sipas.weighting", "sipas.inputs"} {
		if v, _ := got.GetValue(k); v != md.Values()[md.FindKey(k)] {
			t.Errorf("%s: %q, want %q", k, v, md.Values()[md.FindKey(k)])
		}
	}
	if err := os.WriteFile(table, []byte("a,b\n1,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var ae *Error
	if _, _, err := ReadSidecar(table); !errors.Is(err, ErrStale) || !errors.As(err, &ae) || ae.File != SidecarPath(table) {
		t.Errorf("edited table: %v, want ErrStale naming the sidecar", err)
	}
	os.WriteFile(SidecarPath(table), []byte(`{"x": 1}`), 0o644)
	if _, _, err := ReadSidecar(table); !errors.Is(err, ErrCorrupt) {
		t.Errorf("not a sidecar: %v, want ErrCorrupt", err)
	}
}
