package report

import (
	"io"
	"os"
	"path/filepath"

	"github.com/sipas-go/sipas/internal/fsutil"
)

// WriteDir writes the report into dir: index.html (WriteHTML) and one CSV
// file per table (Tables, WriteCSV) under dir/tables. dir is created when
// missing. Each file is written atomically (a temporary file renamed at the
// end), so a failed run leaves no half-written file.
func WriteDir(dir string, data *Data, opt *Options) error {
	if err := os.MkdirAll(filepath.Join(dir, "tables"), 0o755); err != nil {
		return err
	}
	for _, t := range Tables(data, opt) {
		t := t
		if err := fsutil.WriteAtomic(filepath.Join(dir, "tables", t.Name+".csv"), nil, func(w io.Writer) error {
			return WriteCSV(w, t)
		}); err != nil {
			return err
		}
	}
	return fsutil.WriteAtomic(filepath.Join(dir, "index.html"), nil, func(w io.Writer) error {
		return WriteHTML(w, data, opt)
	})
}
