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
