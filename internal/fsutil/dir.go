package fsutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Dir stages the outputs of one run that make up a directory (a report,
// the demo's files): the run writes everything under Path, a new
// temporary directory next to the output directory (on the same file
// system), and Commit swaps it in with one rename.
//
// The guarantee: a run stopped at any moment, even killed, leaves the
// output directory either as it was or complete with the new files, never
// a mix. Before Commit the output directory is not touched (a directory
// that did not exist is not created, nor are its missing parents kept); an
// existing one is replaced by exchanging the two directories atomically
// (renameat2 RENAME_EXCHANGE on Linux; elsewhere, or on a file system
// without it, by two renames, between which the directory is briefly
// absent). Files of the old directory that the run does not write (a
// user's own files) are carried into the new one as hard links (copies
// where links are impossible), so nothing but the run's own files is
// replaced. A kill between the swap and the removal of the old copy
// leaves that copy in a hidden sibling named .NAME.sipas-tmp-PID-*, which
// the next run into the same directory removes; Abort (on an error or an
// interrupt) removes the temporary directory at once.
type Dir struct {
	dir     string   // the output directory, cleaned
	tmp     string   // the staging directory, a sibling of dir
	created []string // parents of dir this run created, deepest first
	done    bool
}

// NewDir prepares the staging of directory dir. It refuses a dir that is
// a symbolic link or not a directory, and one that is or contains the
// current working directory (it would be swapped away from under it).
// The parents of dir are created when missing (and removed again by Abort
// when still empty).
func NewDir(dir string) (*Dir, error) {
	dir = filepath.Clean(dir)
	if err := CheckDir(dir); err != nil {
		return nil, err
	}
	d := &Dir{dir: dir}
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	for p := parent; ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil || filepath.Dir(p) == p {
			break
		}
		d.created = append(d.created, p)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		d.removeCreated()
		return nil, fmt.Errorf("cannot write %s: %w", dir, err)
	}
	removeStale(parent, "."+base+stageMark)
	tmp, err := os.MkdirTemp(parent, "."+base+stageMark+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		d.removeCreated()
		return nil, fmt.Errorf("cannot write %s: %w", dir, err)
	}
	d.tmp = tmp
	return d, nil
}

// stageMark is in the name of every staging directory, followed by the
// process id of the run that made it.
const stageMark = ".sipas-tmp-"

// CheckDir returns an error when dir cannot be an output directory written
// by Dir: it exists and is a symbolic link (wrapping ErrNotRegular) or not
// a directory, or it is the root or holds the current working directory.
func CheckDir(dir string) error {
	dir = filepath.Clean(dir)
	if st, err := os.Lstat(dir); err == nil {
		switch m := st.Mode(); {
		case m&fs.ModeSymlink != 0:
			return fmt.Errorf("cannot write %s: it is a symbolic link; give the path of a directory: %w", dir, ErrNotRegular)
		case !m.IsDir():
			return fmt.Errorf("cannot write %s: it exists and is not a directory", dir)
		}
	}
	abs := resolved(dir)
	if filepath.Dir(abs) == abs {
		return fmt.Errorf("cannot write %s: the root directory cannot be replaced; give a directory of its own", dir)
	}
	if wd, err := os.Getwd(); err == nil {
		if w, err := filepath.EvalSymlinks(wd); err == nil {
			wd = w
		}
		if wd == abs || strings.HasPrefix(wd, abs+string(filepath.Separator)) {
			return fmt.Errorf("cannot write %s: it is (or holds) the current directory, which the new output replaces as a whole; give a directory of its own", dir)
		}
	}
	return nil
}

// Path is the directory the run writes its outputs into.
func (d *Dir) Path() string { return d.tmp }

// Unstaged returns err with the staging directory in its message replaced
// by the output directory, so that messages name the paths a user gave
// (errors.Is and As still see err).
func (d *Dir) Unstaged(err error) error {
	if err == nil || !strings.Contains(err.Error(), d.tmp) {
		return err
	}
	return &unstagedError{strings.ReplaceAll(err.Error(), d.tmp, d.dir), err}
}

type unstagedError struct {
	msg string
	err error
}

func (e *unstagedError) Error() string { return e.msg }
func (e *unstagedError) Unwrap() error { return e.err }

// Commit replaces the output directory with what the run wrote under
// Path. When ctx is done it writes nothing, removes the staging
// directory and returns ctx's error.
func (d *Dir) Commit(ctx context.Context) (err error) {
	if d.done {
		return errors.New("fsutil: Dir committed twice")
	}
	defer func() {
		if err != nil && err != errCrash {
			d.Abort()
		}
	}()
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := CheckDir(d.dir); err != nil {
		return err
	}
	st, err := os.Lstat(d.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Chmod(d.tmp, 0o755); err != nil {
			return fmt.Errorf("cannot write %s: %w", d.dir, err)
		}
		if crashAt("dir: before rename") {
			return errCrash
		}
		if err := os.Rename(d.tmp, d.dir); err != nil {
			return fmt.Errorf("cannot write %s: %w", d.dir, err)
		}
		d.done = true
		syncDir(filepath.Dir(d.dir))
		return nil
	case err != nil:
		return fmt.Errorf("cannot write %s: %w", d.dir, err)
	}
	if err := carryOver(d.dir, d.tmp); err != nil {
		return fmt.Errorf("cannot write %s: carrying its other files over: %w", d.dir, err)
	}
	if err := os.Chmod(d.tmp, st.Mode().Perm()); err != nil {
		return fmt.Errorf("cannot write %s: %w", d.dir, err)
	}
	if crashAt("dir: before exchange") {
		return errCrash
	}
	if err := exchange(d.tmp, d.dir); err != nil {
		return fmt.Errorf("cannot write %s: %w", d.dir, err)
	}
	d.done = true // d.tmp now holds the old directory
	syncDir(filepath.Dir(d.dir))
	if crashAt("dir: before removing the old") {
		return nil
	}
	os.RemoveAll(d.tmp)
	return nil
}

// Abort removes the staging directory and the parents NewDir created (when
// empty); it does nothing after a successful Commit.
func (d *Dir) Abort() {
	if d.done {
		return
	}
	d.done = true
	os.RemoveAll(d.tmp)
	d.removeCreated()
}

func (d *Dir) removeCreated() {
	for _, p := range d.created {
		os.Remove(p) // only when empty
	}
}

// exchange swaps the directories a and b (b exists): atomically where the
// system can, else by moving b aside, a into its place, and removing
// nothing (a then names the old b).
func exchange(a, b string) error {
	if err := renameExchange(a, b); err == nil || !errors.Is(err, errNoExchange) {
		return err
	}
	aside := a + ".old"
	if err := os.Rename(b, aside); err != nil {
		return err
	}
	if err := os.Rename(a, b); err != nil {
		os.Rename(aside, b)
		return err
	}
	return os.Rename(aside, a)
}

// carryOver puts into the staging directory tmp every entry of the old
// directory old that tmp lacks: hard links to files (copies where a link
// is impossible), symbolic links as they are, directories recursively.
// The old directory is not changed.
func carryOver(old, tmp string) error {
	ents, err := os.ReadDir(old)
	if err != nil {
		return err
	}
	for _, e := range ents {
		src, dst := filepath.Join(old, e.Name()), filepath.Join(tmp, e.Name())
		dst0, dstErr := os.Lstat(dst)
		switch {
		case e.IsDir():
			if dstErr == nil {
				if dst0.IsDir() {
					if err := carryOver(src, dst); err != nil {
						return err
					}
				}
				continue // the run wrote something else of this name
			}
			st, err := os.Stat(src)
			if err != nil {
				return err
			}
			if err := os.Mkdir(dst, st.Mode().Perm()); err != nil {
				return err
			}
			if err := carryOver(src, dst); err != nil {
				return err
			}
		case dstErr == nil:
			continue // written by the run
		case e.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(src)
			if err != nil {
				return err
			}
			if err := os.Symlink(target, dst); err != nil {
				return err
			}
		default:
			if err := os.Link(src, dst); err != nil {
				if !e.Type().IsRegular() {
					return err
				}
				if err := copyFile(src, dst); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// copyFile copies the regular file src to the new file dst, with its
// permissions.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, st.Mode().Perm())
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// removeStale removes the entries of dir whose name starts with prefix
// followed by the id of a process that no longer runs: staging left by a
// killed run. A staging directory that holds a commit in progress
// (pendingName) is left to Recover.
func removeStale(dir, prefix string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid <= 0 || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if _, err := os.Lstat(filepath.Join(p, pendingName)); err == nil {
			continue
		}
		os.RemoveAll(p)
	}
}

// syncDir makes a rename in dir durable (best effort).
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}

// crashAt, in tests, stops a commit at the named step as a kill would
// (nil outside tests).
var crashHook func(step string) bool

func crashAt(step string) bool { return crashHook != nil && crashHook(step) }

var errCrash = errors.New("fsutil: simulated crash")

// errNoExchange: the system cannot swap two paths atomically.
var errNoExchange = errors.New("no atomic exchange")
