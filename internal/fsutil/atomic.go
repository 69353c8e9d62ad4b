// Package fsutil holds small file-system helpers shared by the CLI and the
// data layer.
package fsutil

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteAtomic writes a file so that readers never see it half-written: the
// content goes to a temporary file in the same directory, which is synced and
// renamed over path only when write returns nil. On any error the temporary
// file is removed and path is left as it was. path "-" writes to stdout
// directly (a stream cannot be made atomic). A path that exists and is not
// a regular file (a symbolic link, FIFO or device) is an error (see
// CheckOutput), not replaced by a regular file.
func WriteAtomic(path string, stdout io.Writer, write func(w io.Writer) error) (err error) {
	if path == "-" {
		return write(stdout)
	}
	if err := CheckOutput(path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err = os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}
