package fsutil

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// tree is every file under root (relative path → content; directories
// as "/"), symbolic links as "-> target".
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case rel == ".":
		case d.IsDir():
			m[rel] = "/"
		case d.Type()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			m[rel] = "-> " + l
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			m[rel] = string(b)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return m
}

// writeTree writes files (relative path → content) under root.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func names(t *testing.T, d string) []string {
	t.Helper()
	ents, err := os.ReadDir(d)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestDirCommit(t *testing.T) {
	root := t.TempDir()
	out := filepath.Join(root, "a", "b", "out")
	d, err := NewDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("the output directory exists before Commit")
	}
	newSet := map[string]string{"index.html": "new", "tables/x.csv": "new x", "tables/vi/x.csv": "new vi"}
	writeTree(t, d.Path(), newSet)
	if err := d.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"index.html": "new", "tables": "/", "tables/vi": "/", "tables/x.csv": "new x", "tables/vi/x.csv": "new vi"}
	if got := tree(t, out); !maps.Equal(got, want) {
		t.Fatalf("new directory: %v, want %v", got, want)
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o755 {
		t.Errorf("mode %v, want 0755", st.Mode().Perm())
	}
	if got := names(t, filepath.Dir(out)); !slices.Equal(got, []string{"out"}) {
		t.Errorf("left beside the output: %v", got)
	}

	// Replacing it: the run's files are new, a user's files (at any depth)
	// are carried over, the staging is gone.
	writeTree(t, out, map[string]string{"mine.txt": "user", "tables/notes.txt": "user notes", "extra/deep.txt": "deep"})
	os.Symlink("mine.txt", filepath.Join(out, "link"))
	d, err = NewDir(out)
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, d.Path(), map[string]string{"index.html": "newer", "tables/x.csv": "newer x"})
	if err := d.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	want = map[string]string{"index.html": "newer", "tables": "/", "tables/vi": "/", "tables/x.csv": "newer x", "tables/vi/x.csv": "new vi",
		"mine.txt": "user", "tables/notes.txt": "user notes", "extra": "/", "extra/deep.txt": "deep", "link": "-> mine.txt"}
	if got := tree(t, out); !maps.Equal(got, want) {
		t.Fatalf("replaced directory:\n%v\nwant\n%v", got, want)
	}
	if got := names(t, filepath.Dir(out)); !slices.Equal(got, []string{"out"}) {
		t.Errorf("left beside the output: %v", got)
	}

	// Abort (an error, an interrupt): nothing written, nothing left, the
	// parents it created removed.
	before := tree(t, root)
	d, err = NewDir(filepath.Join(root, "p", "q", "r"))
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, d.Path(), newSet)
	d.Abort()
	if got := tree(t, root); !maps.Equal(got, before) {
		t.Errorf("after Abort: %v, want %v", got, before)
	}
	// A cancelled context: Commit writes nothing and cleans up.
	d, err = NewDir(out)
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, d.Path(), map[string]string{"index.html": "cancelled"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.Commit(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Commit: %v", err)
	}
	if got := tree(t, root); !maps.Equal(got, before) {
		t.Errorf("after a cancelled Commit: %v, want %v", got, before)
	}
}

// TestDirCrash stops Commit at each of its steps, as a kill would, and
// checks that the output is the old set or the new one, and that the next
// run removes the staging a dead run left.
func TestDirCrash(t *testing.T) {
	oldSet := map[string]string{"index.html": "old", "tables": "/", "tables/x.csv": "old x", "charts": "/", "charts/a.png": "old a"}
	newSet := map[string]string{"index.html": "new", "tables": "/", "tables/x.csv": "new x", "tables/y.csv": "new y", "charts": "/", "charts/a.png": "new a"}
	for _, c := range []struct {
		step     string
		existing bool
		want     map[string]string
	}{
		{"dir: before rename", false, nil},
		{"dir: before exchange", true, oldSet},
		{"dir: before removing the old", true, newSet},
	} {
		root := t.TempDir()
		out := filepath.Join(root, "out")
		if c.existing {
			writeTree(t, out, map[string]string{"index.html": "old", "tables/x.csv": "old x", "charts/a.png": "old a"})
		}
		d, err := NewDir(out)
		if err != nil {
			t.Fatal(err)
		}
		writeTree(t, d.Path(), map[string]string{"index.html": "new", "tables/x.csv": "new x", "tables/y.csv": "new y", "charts/a.png": "new a"})
		crashHook = func(step string) bool { return step == c.step }
		d.Commit(context.Background())
		crashHook = nil
		got := tree(t, out)
		if c.want == nil {
			c.want = map[string]string{}
		}
		if !maps.Equal(got, c.want) {
			t.Errorf("killed at %q: %v, want %v", c.step, got, c.want)
		}
	}

	// Staging of a process that no longer runs is removed by the next
	// run; that of a running one is not.
	root := t.TempDir()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true(1):", err)
	}
	dead := cmd.Process.Pid
	if syscall.Kill(dead, 0) == nil {
		t.Skip("the pid was reused")
	}
	deadStage := filepath.Join(root, ".out"+stageMark+strconv.Itoa(dead)+"-123")
	liveStage := filepath.Join(root, ".out"+stageMark+"1-456") // init runs
	other := filepath.Join(root, ".other"+stageMark+strconv.Itoa(dead)+"-1")
	for _, p := range []string{deadStage, liveStage, other} {
		writeTree(t, p, map[string]string{"index.html": "stale"})
	}
	d, err := NewDir(filepath.Join(root, "out"))
	if err != nil {
		t.Fatal(err)
	}
	d.Abort()
	got := names(t, root)
	if want := []string{filepath.Base(other), filepath.Base(liveStage)}; !slices.Equal(got, want) {
		t.Errorf("after the next run: %v, want %v", got, want)
	}
}

func TestDirRefuses(t *testing.T) {
	root := t.TempDir()
	target := filepath.Join(root, "real")
	os.Mkdir(target, 0o755)
	link := filepath.Join(root, "link")
	os.Symlink(target, link)
	file := filepath.Join(root, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	for _, c := range []struct{ dir, want string }{
		{link, "symbolic link"},
		{file, "not a directory"},
		{root, "current directory"},
		{filepath.Dir(root), "current directory"},
		{"/", "root directory"},
	} {
		t.Chdir(root)
		_, err := NewDir(c.dir)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewDir(%s): %v, want %q", c.dir, err, c.want)
		}
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&fs.ModeSymlink == 0 {
		t.Error("the symbolic link was replaced")
	}
	if got := names(t, root); !slices.Equal(got, []string{"file", "link", "real"}) {
		t.Errorf("left: %v", got)
	}
}
