package fsutil

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestWriteSet(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "out")
	text := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	names := func(d string) []string {
		ents, _ := os.ReadDir(d)
		var out []string
		for _, e := range ents {
			out = append(out, e.Name())
		}
		return out
	}
	// A new directory appears with the whole set.
	if err := WriteSet(dir, []File{{"a.csv", text("1")}, {"b.json", text("2")}}); err != nil {
		t.Fatal(err)
	}
	if got := names(dir); !slices.Equal(got, []string{"a.csv", "b.json"}) {
		t.Fatalf("files %v", got)
	}
	// A failure in the last file leaves the first one untouched too.
	boom := errors.New("boom")
	err := WriteSet(dir, []File{{"a.csv", text("new")}, {"b.json", func(w io.Writer) error { return boom }}})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a.csv")); string(b) != "1" {
		t.Fatalf("a.csv replaced by a failed set: %q", b)
	}
	if got := names(root); !slices.Equal(got, []string{"out"}) {
		t.Fatalf("temporary directory left: %v", got)
	}
	// Into an existing directory the files are replaced, others kept.
	os.WriteFile(filepath.Join(dir, "mine.txt"), []byte("x"), 0o644)
	if err := WriteSet(dir, []File{{"a.csv", text("3")}}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a.csv")); string(b) != "3" {
		t.Fatalf("a.csv = %q", b)
	}
	if got := names(dir); !slices.Equal(got, []string{"a.csv", "b.json", "mine.txt"}) {
		t.Fatalf("files %v", got)
	}
	if got := names(root); !slices.Equal(got, []string{"out"}) {
		t.Fatalf("temporary directory left: %v", got)
	}
	// A file in the way is an error.
	if err := WriteSet(filepath.Join(dir, "mine.txt"), []File{{"a.csv", text("4")}}); err == nil {
		t.Fatal("a file as the directory: no error")
	}
}
