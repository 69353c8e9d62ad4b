package report

import (
	"io"
	"os"
	"path/filepath"

	"github.com/sipas-go/sipas/internal/fsutil"
)

// WriteDir writes the report into dir: index.html (WriteHTML), one CSV
// file per table (Tables, WriteCSV) under dir/tables and, unless
// opt.NoPrint, the print charts (Figures) under dir/charts as PNG (300 dpi)
// and SVG. dir is created when missing. Each file is written atomically (a temporary file renamed at the
// end), so a failed run leaves no half-written file.
func WriteDir(dir string, data *Data, opt *Options) error {
	for _, sub := range []string{"tables", "charts"} {
		if sub == "charts" && opt != nil && opt.NoPrint {
			continue
		}
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	for _, t := range Tables(data, opt) {
		t := t
		if err := fsutil.WriteAtomic(filepath.Join(dir, "tables", t.Name+".csv"), nil, func(w io.Writer) error {
			return WriteCSV(w, t)
		}); err != nil {
			return err
		}
	}
	if opt == nil || !opt.NoPrint {
		for _, f := range Figures(data, opt) {
			f := f
			if err := fsutil.WriteAtomic(filepath.Join(dir, "charts", f.Name+".png"), nil, func(w io.Writer) error {
				return f.WritePNG(w, PrintDPI)
			}); err != nil {
				return err
			}
			if err := fsutil.WriteAtomic(filepath.Join(dir, "charts", f.Name+".svg"), nil, f.WriteSVG); err != nil {
				return err
			}
		}
	}
	return fsutil.WriteAtomic(filepath.Join(dir, "index.html"), nil, func(w io.Writer) error {
		return WriteHTML(w, data, opt)
	})
}
