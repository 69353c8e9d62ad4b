package report

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/sipas-go/sipas/internal/fsutil"
)

// WriteDir writes the report into dir: index.html (WriteHTML), one CSV
// file per table (Tables, WriteCSV) under dir/tables (machine-readable;
// a Vietnamese report also writes their twin in Vietnamese number format,
// Table.Formatted, under dir/tables/vi) and, unless
// opt.NoPrint, the print charts (Figures) under dir/charts as PNG (300 dpi)
// and SVG, and the report as a PDF, report.pdf (WritePDF). dir is created
// when missing. Each file is written atomically (a temporary file renamed
// at the end), so a failed run leaves no half-written file.
func WriteDir(dir string, data *Data, opt *Options) error {
	if err := opt.check(); err != nil {
		return err
	}
	for _, sub := range []string{"tables", "charts"} {
		if sub == "charts" && opt != nil && opt.NoPrint {
			continue
		}
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	// tables/*.csv are machine-readable (decimal point, no thousands
	// separator); a Vietnamese report also gets their twin in Vietnamese
	// number format, tables/vi/*.csv (Table.Formatted).
	vi := opt.lang() == LangVI
	if vi {
		if err := os.MkdirAll(filepath.Join(dir, "tables", "vi"), 0o755); err != nil {
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
		if vi {
			if err := fsutil.WriteAtomic(filepath.Join(dir, "tables", "vi", t.Name+".csv"), nil, func(w io.Writer) error {
				return WriteCSV(w, t.Formatted(LangVI))
			}); err != nil {
				return err
			}
		}
	}
	if opt == nil || !opt.NoPrint {
		// The figures are independent: draw them on every core (the
		// 300 dpi rasterisation is most of WriteDir's time).
		figs := Figures(data, opt)
		errs := make([]error, len(figs))
		next := make(chan int)
		var wg sync.WaitGroup
		for range min(runtime.GOMAXPROCS(0), len(figs)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					f := figs[i]
					errs[i] = fsutil.WriteAtomic(filepath.Join(dir, "charts", f.Name+".png"), nil, func(w io.Writer) error {
						return f.WritePNG(w, PrintDPI)
					})
					if errs[i] == nil {
						errs[i] = fsutil.WriteAtomic(filepath.Join(dir, "charts", f.Name+".svg"), nil, f.WriteSVG)
					}
				}
			}()
		}
		for i := range figs {
			next <- i
		}
		close(next)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		if err := fsutil.WriteAtomic(filepath.Join(dir, "report.pdf"), nil, func(w io.Writer) error {
			return writePDF(w, data, opt, figs)
		}); err != nil {
			return err
		}
	}
	return fsutil.WriteAtomic(filepath.Join(dir, "index.html"), nil, func(w io.Writer) error {
		return WriteHTML(w, data, opt)
	})
}
