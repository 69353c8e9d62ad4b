package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SameFile reports whether paths a and b name the same file: the same
// file on disk when both exist (os.SameFile, so links and "d/./x" count),
// else the same absolute path once the directories' symbolic links are
// resolved. "-" (a standard stream) is never the same as anything.
func SameFile(a, b string) bool {
	if a == "-" || b == "-" || a == "" || b == "" {
		return false
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(sa, sb)
	}
	return resolved(a) == resolved(b)
}

// resolved is p made absolute with the symbolic links of its directory
// resolved (the file itself may not exist yet).
func resolved(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	dir, base := filepath.Split(abs)
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		return filepath.Join(d, base)
	}
	return abs
}

// ErrNotRegular: an output path names something that is not a regular
// file.
var ErrNotRegular = errors.New("not a regular file")

// CheckOutput returns an error wrapping ErrNotRegular when path exists and is not a regular file
// (a symbolic link, FIFO, device or directory): writing would replace it
// with a regular file, or write into something that is not a file.
func CheckOutput(path string) error {
	if path == "-" {
		return nil
	}
	st, err := os.Lstat(path)
	if err != nil {
		return nil // absent: fine (a bad directory shows when writing)
	}
	var what string
	switch m := st.Mode(); {
	case m.IsRegular():
		return nil
	case m&fs.ModeSymlink != 0:
		what = "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		what = "a device"
	case m.IsDir():
		what = "a directory"
	default:
		what = "not a regular file"
	}
	return fmt.Errorf("%s is %s; give the path of a regular file (or - for standard output): %w", path, what, ErrNotRegular)
}
