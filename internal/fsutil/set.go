package fsutil

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// File is one file of a set written by WriteSet: its name inside the
// directory and the function that writes its content.
type File struct {
	Name  string
	Write func(w io.Writer) error
}

// WriteSet writes files into dir as one set: every file is first written
// (and synced) into staging on the same file system, and only when all of
// them succeed do they replace what dir held. A dir that does not exist
// appears at once with the whole set (Dir); into an existing dir the
// files are committed together (Files), other files in dir being left
// alone. On any error the staging is removed and dir is as it was.
func WriteSet(dir string, files []File) (err error) {
	dir = filepath.Clean(dir)
	for _, f := range files {
		if f.Name == "" || strings.ContainsAny(f.Name, `/\`) {
			panic("fsutil: file name must be a plain name: " + f.Name)
		}
	}
	st, statErr := os.Stat(dir)
	switch {
	case os.IsNotExist(statErr):
		d, err := NewDir(dir)
		if err != nil {
			return err
		}
		for _, f := range files {
			if err := writeSynced(filepath.Join(d.Path(), f.Name), f.Write); err != nil {
				d.Abort()
				return d.Unstaged(err)
			}
		}
		return d.Commit(context.Background())
	case statErr != nil:
		return fmt.Errorf("cannot write %s: %w", dir, statErr)
	case !st.IsDir():
		return fmt.Errorf("cannot write %s: it exists and is not a directory", dir)
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = filepath.Join(dir, f.Name)
	}
	s, err := NewFiles(paths...)
	if err != nil {
		return err
	}
	for i, f := range files {
		if err := writeSynced(s.Path(i), f.Write); err != nil {
			s.Abort()
			return s.Unstaged(err)
		}
	}
	return s.Commit(context.Background())
}

// writeSynced creates path, writes it through a buffer and syncs it.
func writeSynced(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return err
}
