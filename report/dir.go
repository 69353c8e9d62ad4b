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
// Table.Formatted, under dir/tables/vi), all tables in one workbook,
// tables.xlsx (WriteXLSX), and, unless
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
	if err := writeTables(dir, Tables(data, opt), opt.lang()); err != nil {
		return err
	}
	if err := fsutil.WriteAtomic(filepath.Join(dir, "tables.xlsx"), nil, func(w io.Writer) error {
		return WriteXLSX(w, data, opt)
	}); err != nil {
		return err
	}
	if opt == nil || !opt.NoPrint {
		// The figures are independent: draw them on every core (the
		// 300 dpi rasterisation is most of WriteDir's time).
		figs := Figures(data, opt)
		if err := writeFigures(dir, figs); err != nil {
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

// writeTables writes each table as dir/tables/NAME.csv, machine-readable
// (decimal point, no thousands separator), and for a Vietnamese report its
// twin in Vietnamese number format as dir/tables/vi/NAME.csv
// (Table.Formatted), each file atomically.
func writeTables(dir string, tables []Table, l Lang) error {
	vi := l == LangVI
	if vi {
		if err := os.MkdirAll(filepath.Join(dir, "tables", "vi"), 0o755); err != nil {
			return err
		}
	}
	for _, t := range tables {
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
	return nil
}

// writeFigures writes each figure as dir/charts/NAME.png (PrintDPI) and
// .svg, atomically, on every core.
func writeFigures(dir string, figs []Figure) error {
	return parallel(len(figs), func(i int) error {
		f := figs[i]
		if err := fsutil.WriteAtomic(filepath.Join(dir, "charts", f.Name+".png"), nil, func(w io.Writer) error {
			return f.WritePNG(w, PrintDPI)
		}); err != nil {
			return err
		}
		return fsutil.WriteAtomic(filepath.Join(dir, "charts", f.Name+".svg"), nil, f.WriteSVG)
	})
}

// parallel runs fn(0), …, fn(n-1) on GOMAXPROCS goroutines and returns
// their errors joined.
func parallel(n int, fn func(i int) error) error {
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = fn(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}
