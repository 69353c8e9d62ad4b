package report

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/browsertest"
	"github.com/sipas-go/sipas/internal/pdftest"
)

// TestBrowserPrint prints a page of 150 domains from headless Chromium
// (--print-to-pdf, as a reader's "Print" does) and reads the PDF with
// poppler: A4 pages, no navigation bar (the methods heading appears once,
// not also as a link), the header of the long ranking table repeated on
// every page it runs onto, and the charts printed (one image per chart
// canvas at least).
func TestBrowserPrint(t *testing.T) {
	bin := browsertest.Chromium(t)
	pdftest.Poppler(t)
	d := buildData(t, fixtureNames(150), []int{2020, 2021})
	for _, l := range []Lang{LangVI, LangEN} {
		t.Run(string(l), func(t *testing.T) {
			out, err := filepath.Abs(filepath.Join("testdata", "out"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				t.Fatal(err)
			}
			page := render(t, d, &Options{Lang: l, MaxRadars: 6})
			file := filepath.Join(out, "print-"+string(l)+".html")
			if err := os.WriteFile(file, page, 0o644); err != nil {
				t.Fatal(err)
			}
			pdf := filepath.Join(out, "print-"+string(l)+".pdf")
			os.Remove(pdf)
			browsertest.Run(t, bin, file, "--virtual-time-budget=2000", "--no-pdf-header-footer", "--print-to-pdf="+pdf)
			info := pdftest.ReadInfo(t, pdf)
			for i, s := range info.Sizes {
				w, h, _ := strings.Cut(s, " x ")
				wf, _ := strconv.ParseFloat(w, 64)
				hf, _ := strconv.ParseFloat(h, 64)
				// Chromium rounds A4 (595.28 × 841.89 pt) to its own units.
				if wf < 594.5 || wf > 596 || hf < 841 || hf > 842.5 {
					t.Errorf("page %d is %s pt, want A4", i+1, s)
				}
			}
			pages := pdftest.Text(t, pdf)
			all := strings.Join(pages, "\n")
			if n := strings.Count(all, l.text("sec.methods")); n != 1 {
				t.Errorf("%q printed %d times: the navigation bar is printed", l.text("sec.methods"), n)
			}
			// The table of rank confidence sets (150 rows) runs over pages
			// up to the official ranking table; its header, on every one of
			// them, is the only place its rank-set column is named.
			head, next := flat(l.text("col.rank_ci")), flat(l.text("rt.title"))
			first, end := -1, -1
			for i, p := range pages {
				if first < 0 && strings.Contains(flat(p), head) {
					first = i
				}
				if end < 0 && strings.Contains(flat(p), next) {
					end = i
				}
			}
			if first < 0 || end < first+1 {
				t.Fatalf("the ranking table does not run over pages (pages %d–%d): the test needs a longer table", first+1, end+1)
			}
			for i := first; i < end; i++ {
				if !strings.Contains(flat(pages[i]), head) {
					t.Errorf("page %d of the ranking table has no header %q", i+1, head)
				}
			}
			charts := strings.Count(string(page), `<div class="chart" id="chart-`)
			n := 0
			for _, k := range pdftest.Images(t, pdf, info.Pages) {
				n += k
			}
			if n < charts {
				t.Errorf("%d images printed for %d charts", n, charts)
			}
			t.Logf("%s: %d A4 pages, %d charts", pdf, info.Pages, charts)
		})
	}
}
