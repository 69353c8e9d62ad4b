package fsutil

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.txt")
	if err := WriteAtomic(p, nil, func(w io.Writer) error { _, err := io.WriteString(w, "ok"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "ok" {
		t.Fatalf("content %q", b)
	}
	// A failing writer leaves the old file and no temporary file behind.
	boom := errors.New("boom")
	err := WriteAtomic(p, nil, func(w io.Writer) error { io.WriteString(w, "partial"); return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "ok" {
		t.Fatalf("old content replaced: %q", b)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
	var buf bytes.Buffer
	if err := WriteAtomic("-", &buf, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }); err != nil || buf.String() != "x" {
		t.Fatalf("stdout: %v %q", err, buf.String())
	}
}

func TestWriteSetAtomic(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	ok := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	if err := WriteSetAtomic(dir, []File{{"a.csv", ok("1")}, {"b.json", ok("2")}}); err != nil {
		t.Fatal(err)
	}
	// A failing file: neither file changes, and no temporary is left.
	boom := errors.New("boom")
	err := WriteSetAtomic(dir, []File{{"a.csv", ok("new")}, {"b.json", func(w io.Writer) error { io.WriteString(w, "half"); return boom }}})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	for name, want := range map[string]string{"a.csv": "1", "b.json": "2"} {
		if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) != want {
			t.Errorf("%s = %q, want %q", name, b, want)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("dir holds %d entries, want 2", len(ents))
	}
}
