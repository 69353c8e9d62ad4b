package fsutil

import (
	"bufio"
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

// WriteSet writes files into dir as a set: every file is first written
// (and synced) into a new temporary directory next to dir; only when all
// of them succeed do they replace what dir held. A dir that does not exist
// is created by renaming the temporary directory, so the set appears at
// once; into an existing dir each file is renamed over its old version
// (other files in dir are left alone). On any error the temporary
// directory is removed and dir is as it was.
func WriteSet(dir string, files []File) (err error) {
	dir = filepath.Clean(dir)
	for _, f := range files {
		if f.Name == "" || strings.ContainsAny(f.Name, `/\`) {
			panic("fsutil: file name must be a plain name: " + f.Name)
		}
	}
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	for _, f := range files {
		if err = writeSynced(filepath.Join(tmp, f.Name), f.Write); err != nil {
			return err
		}
	}
	st, statErr := os.Stat(dir)
	switch {
	case os.IsNotExist(statErr):
		if err = os.Chmod(tmp, 0o755); err == nil {
			err = os.Rename(tmp, dir)
		}
		if err != nil {
			return fmt.Errorf("cannot write %s: %w", dir, err)
		}
		return nil
	case statErr != nil:
		return fmt.Errorf("cannot write %s: %w", dir, statErr)
	case !st.IsDir():
		return fmt.Errorf("cannot write %s: it exists and is not a directory", dir)
	}
	for _, f := range files {
		if err = os.Rename(filepath.Join(tmp, f.Name), filepath.Join(dir, f.Name)); err != nil {
			return fmt.Errorf("cannot write %s: %w", filepath.Join(dir, f.Name), err)
		}
	}
	return os.Remove(tmp)
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
