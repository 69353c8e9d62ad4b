package fsutil

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestSameFile(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.csv")
	os.WriteFile(a, []byte("x"), 0o644)
	os.Mkdir(filepath.Join(dir, "d"), 0o755)
	os.Symlink(a, filepath.Join(dir, "l.csv"))
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{a, filepath.Join(dir, ".", "a.csv"), true},
		{a, filepath.Join(dir, "l.csv"), true},
		{filepath.Join(dir, "d", "x.csv"), filepath.Join(dir, "d", ".", "x.csv"), true}, // neither exists
		{filepath.Join(dir, "d", "x.csv"), filepath.Join(dir, "x.csv"), false},
		{a, "-", false},
	} {
		if got := SameFile(tc.a, tc.b); got != tc.want {
			t.Errorf("SameFile(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

func TestWriteAtomicRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "t")
	os.WriteFile(target, []byte("keep"), 0o644)
	link := filepath.Join(dir, "link")
	os.Symlink(target, link)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{link, fifo, dir} {
		err := WriteAtomic(p, nil, func(w io.Writer) error { _, err := w.Write([]byte("new")); return err })
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("%s: %v, want ErrNotRegular", p, err)
		}
	}
	if got, _ := os.ReadFile(target); string(got) != "keep" {
		t.Errorf("target %q", got)
	}
	if st, _ := os.Lstat(link); st.Mode()&os.ModeSymlink == 0 {
		t.Error("link replaced")
	}
}
