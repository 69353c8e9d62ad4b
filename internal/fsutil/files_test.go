package fsutil

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// stageFiles starts a set of the two outputs and writes contents a and b.
func stageFiles(t *testing.T, paths []string, contents ...string) *Files {
	t.Helper()
	s, err := NewFiles(paths...)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range contents {
		if err := os.WriteFile(s.Path(i), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestFilesCommit(t *testing.T) {
	root := t.TempDir()
	d1, d2 := filepath.Join(root, "d1"), filepath.Join(root, "d2")
	os.Mkdir(d1, 0o755)
	os.Mkdir(d2, 0o755)
	paths := []string{filepath.Join(d1, "clean.parquet"), filepath.Join(d2, "excluded.csv"), filepath.Join(d1, "audit.json")}
	os.WriteFile(filepath.Join(d1, "mine.txt"), []byte("user"), 0o644)
	s := stageFiles(t, paths, "clean 1", "excluded 1", "audit 1")
	if err := s.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	set1 := map[string]string{"d1": "/", "d2": "/", "d1/clean.parquet": "clean 1", "d2/excluded.csv": "excluded 1", "d1/audit.json": "audit 1", "d1/mine.txt": "user"}
	if got := tree(t, root); !maps.Equal(got, set1) {
		t.Fatalf("after Commit: %v, want %v", got, set1)
	}

	// A failed write (out of disk, say) keeps the earlier good set, and
	// leaves no staging.
	s = stageFiles(t, paths, "clean 2")
	s.Abort()
	if got := tree(t, root); !maps.Equal(got, set1) {
		t.Errorf("after Abort: %v, want %v", got, set1)
	}
	// Interrupted: Commit writes nothing.
	s = stageFiles(t, paths, "clean 2", "excluded 2", "audit 2")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Commit(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Commit: %v", err)
	}
	if got := tree(t, root); !maps.Equal(got, set1) {
		t.Errorf("after a cancelled Commit: %v, want %v", got, set1)
	}
	// A file the run did not write: an error, nothing replaced.
	s = stageFiles(t, paths, "clean 2", "excluded 2")
	if err := s.Commit(context.Background()); err == nil {
		t.Error("Commit with a file missing: no error")
	}
	if got := tree(t, root); !maps.Equal(got, set1) {
		t.Errorf("after a failed Commit: %v, want %v", got, set1)
	}
	// Messages name the outputs, not the staging.
	s = stageFiles(t, paths)
	err := s.Unstaged(errors.New("cannot write " + s.Path(1) + ": no space left on device"))
	if want := "cannot write " + paths[1] + ": no space left on device"; err.Error() != want {
		t.Errorf("Unstaged: %q, want %q", err, want)
	}
	s.Abort()
	// Standard output is outside the set.
	s = stageFiles(t, []string{"-", paths[1]})
	if s.Path(0) != "-" {
		t.Errorf("Path of - = %q", s.Path(0))
	}
	os.WriteFile(s.Path(1), []byte("excluded 3"), 0o644)
	if err := s.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	set1["d2/excluded.csv"] = "excluded 3"
	if got := tree(t, root); !maps.Equal(got, set1) {
		t.Errorf("after Commit with -: %v, want %v", got, set1)
	}
}

// TestFilesCrash stops Commit at each of its steps, as a kill would, and
// checks that once Recover ran (from any of the outputs, as the next run
// into them does) the outputs are all old or all new, with no journal or
// staging left.
func TestFilesCrash(t *testing.T) {
	steps := []string{"files: primary journal written, not renamed", "files: before the point of commit", "files: rename 0", "files: rename 1", "files: rename 2", "files: before removing the journals",
		"files: before removing the staging", "files: before removing the primary journal"}
	for k, step := range steps {
		for from := range 3 {
			root := t.TempDir()
			d1, d2 := filepath.Join(root, "d1"), filepath.Join(root, "d2")
			os.Mkdir(d1, 0o755)
			os.Mkdir(d2, 0o755)
			paths := []string{filepath.Join(d1, "clean.parquet"), filepath.Join(d2, "excluded.csv"), filepath.Join(d1, "audit.json")}
			old := map[string]string{"d1": "/", "d2": "/", "d1/clean.parquet": "old clean", "d2/excluded.csv": "old excluded", "d1/audit.json": "old audit"}
			writeTree(t, root, map[string]string{"d1/clean.parquet": "old clean", "d2/excluded.csv": "old excluded", "d1/audit.json": "old audit"})
			s := stageFiles(t, paths, "new clean", "new excluded", "new audit")
			crashHook = func(s string) bool { return s == step }
			err := s.Commit(context.Background())
			crashHook = nil
			if !errors.Is(err, errCrash) {
				t.Fatalf("%s: Commit: %v", step, err)
			}
			// What a reader sees at the moment of the kill.
			mid := tree(t, root)
			if err := Recover(paths[from]); err != nil {
				t.Fatalf("%s: Recover: %v", step, err)
			}
			want := old
			if k > 1 {
				want = map[string]string{"d1": "/", "d2": "/", "d1/clean.parquet": "new clean", "d2/excluded.csv": "new excluded", "d1/audit.json": "new audit"}
			}
			if got := visible(tree(t, root)); !maps.Equal(got, want) {
				t.Errorf("killed at %q, recovered from %s:\n%v\nwant\n%v\n(at the kill: %v)", step, paths[from], got, want, mid)
			}
			// Once every output was recovered (as the next run into the
			// set does), no journal or staging is left.
			for _, p := range paths {
				if err := Recover(p); err != nil {
					t.Fatal(err)
				}
			}
			if got := tree(t, root); !maps.Equal(got, want) {
				t.Errorf("killed at %q, recovered from every output: %v", step, got)
			}
		}
	}

	// The next NewFiles into any of the outputs finishes the commit first.
	root := t.TempDir()
	paths := []string{filepath.Join(root, "a.csv"), filepath.Join(root, "b.csv")}
	s := stageFiles(t, paths, "a1", "b1")
	crashHook = func(s string) bool { return s == "files: rename 1" }
	s.Commit(context.Background())
	crashHook = nil
	if got := tree(t, root); got["b.csv"] != "" {
		t.Fatalf("b.csv renamed before the simulated kill: %v", got)
	}
	s2, err := NewFiles(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	s2.Abort()
	if got, want := tree(t, root), map[string]string{"a.csv": "a1", "b.csv": "b1"}; !maps.Equal(got, want) {
		t.Errorf("after the next NewFiles: %v, want %v", got, want)
	}
}

func TestFilesRefuse(t *testing.T) {
	root := t.TempDir()
	target := filepath.Join(root, "target.csv")
	os.WriteFile(target, []byte("keep me"), 0o644)
	link := filepath.Join(root, "link.csv")
	os.Symlink(target, link)
	fifo := filepath.Join(root, "fifo.csv")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	ok := filepath.Join(root, "ok.csv")
	for _, c := range []struct{ path, want string }{
		{link, "symbolic link"},
		{fifo, "named pipe"},
		{filepath.Join(root, "missing", "x.csv"), "no such file"},
	} {
		_, err := NewFiles(ok, c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewFiles(%s): %v, want %q", c.path, err, c.want)
		}
	}
	if got := names(t, root); !slices.Equal(got, []string{"fifo.csv", "link.csv", "target.csv"}) {
		t.Errorf("left: %v", got)
	}
}

// visible is tree without the hidden files (journals, staging).
func visible(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if !strings.Contains(k, "/.") && !strings.HasPrefix(k, ".") {
			out[k] = v
		}
	}
	return out
}
