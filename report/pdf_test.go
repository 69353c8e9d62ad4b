package report

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"golang.org/x/image/font/sfnt"

	"github.com/sipas-go/sipas/internal/pdftest"
)

// pdfProvinces are real provinces (so the PDF has the map) whose names
// carry Vietnamese's stacked diacritics and the letter Đ.
var pdfProvinces = []string{"Hà Nội", "Thừa Thiên Huế", "Đắk Lắk", "Bà Rịa - Vũng Tàu", "Hồ Chí Minh",
	"Bạc Liêu", "Bình Dương", "Đà Nẵng", "Quảng Ngãi", "Cần Thơ"}

func writePDFFile(t *testing.T, d *Data, opt *Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := WritePDF(&b, d, opt); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestPDF reads the PDF of a three-year report with poppler, in both
// languages: every page A4, every font embedded with a Unicode map, the
// title page with the title and the years and no page number, the other
// pages numbered "k/N" with N the page count, the executive summary, the
// provinces' names and the national SIPAS (in the language's number
// format) extractable as text,
// the charts as vector graphics, the methods note last, and every character
// of the text drawn from a glyph of the embedded font.
func TestPDF(t *testing.T) {
	pdftest.Poppler(t)
	d := buildData(t, pdfProvinces, []int{2019, 2020, 2021})
	for _, l := range []Lang{LangVI, LangEN} {
		t.Run(string(l), func(t *testing.T) {
			opt := &Options{Lang: l}
			file := writePDFFile(t, d, opt)
			info := pdftest.ReadInfo(t, file)
			for i, s := range info.Sizes {
				if s != "595.28 x 841.89" { // A4: 210 × 297 mm in points
					t.Errorf("page %d is %s pt, want A4 (595.28 x 841.89)", i+1, s)
				}
			}
			title := l.text("title") + " 2021"
			if info.Fields["Title"] != title {
				t.Errorf("title %q, want %q", info.Fields["Title"], title)
			}
			fonts := pdftest.Fonts(t, file)
			if len(fonts) == 0 {
				t.Fatal("pdffonts lists no font")
			}
			for _, f := range fonts {
				if !f.Embedded || !f.HasUnicode {
					t.Errorf("font %s: embedded %v, Unicode map %v; want both", f.Name, f.Embedded, f.HasUnicode)
				}
			}

			pages := pdftest.Text(t, file)
			if len(pages) != info.Pages {
				t.Fatalf("pdftotext gives %d pages, pdfinfo %d", len(pages), info.Pages)
			}
			if !strings.Contains(flat(pages[0]), title) || !strings.Contains(pages[0], "2019–2021") {
				t.Errorf("title page lacks %q or the years:\n%s", title, pages[0])
			}
			if l == LangVI && !strings.Contains(flat(pages[0]), "Chỉ số hài lòng") {
				t.Errorf("title page lacks \"Chỉ số hài lòng\":\n%s", pages[0])
			}
			pageWord := map[Lang]string{LangVI: "Trang %d/%d", LangEN: "Page %d of %d"}[l]
			if strings.Contains(pages[0], fmt.Sprintf(pageWord, 1, info.Pages)) {
				t.Error("the title page is numbered")
			}
			for i := 1; i < len(pages); i++ {
				if want := fmt.Sprintf(pageWord, i+1, info.Pages); !strings.Contains(pages[i], want) {
					t.Errorf("page %d lacks its number %q", i+1, want)
				}
			}
			all := flat(strings.Join(pages, "\n"))
			for _, name := range pdfProvinces {
				if !strings.Contains(all, name) {
					t.Errorf("province %q not in the text", name)
				}
			}
			// Numbers in the language's format: the national SIPAS and its
			// interval in the national table (82,0 and 79,6–84,4 in
			// Vietnamese), never the other language's.
			nat := d.Latest().National.SIPAS
			other := map[Lang]Lang{LangVI: LangEN, LangEN: LangVI}[l]
			for _, x := range []float64{nat.Estimate, nat.CILow, nat.CIHigh} {
				if s := l.dec(x, 1); !strings.Contains(all, s) {
					t.Errorf("%s not in the text", s)
				}
			}
			if row := "SIPAS " + l.dec(nat.Estimate, 1); !strings.Contains(all, row) {
				t.Errorf("national table row %q not in the text", row)
			}
			if row := "SIPAS " + other.dec(nat.Estimate, 1); strings.Contains(all, row) {
				t.Errorf("national table row %q in the %s format", row, other)
			}

			// The executive summary, after the title page and before the
			// national section.
			sum := d.Summary(l)
			if len(sum) == 0 {
				t.Fatal("no summary to check")
			}
			if !strings.Contains(flat(pages[1]), l.text("sec.summary")) {
				t.Errorf("page 2 is not the summary:\n%s", pages[1])
			}
			for _, s := range sum {
				if !strings.Contains(all, flat(s)) {
					t.Errorf("summary sentence not in the text: %q", s)
				}
			}

			// The official ranking table, as text: its note and every row
			// (the rank, the province and its SIPAS in the language's
			// format).
			rc := rankingCellsOf(l, d)
			if !strings.Contains(all, flat(rc.Note)) {
				t.Errorf("ranking table note not in the text: %q", rc.Note)
			}
			for _, r := range rc.Rows {
				if row := strings.Join(r[:3], " "); !strings.Contains(all, row) {
					t.Errorf("ranking row %q not in the text", row)
				}
			}

			// The methods note is the last section: its heading and every
			// sentence come after every other section's heading.
			methods := -1
			for i, p := range pages {
				if strings.Contains(p, l.text("sec.methods")) {
					methods = i
				}
			}
			if methods < 0 {
				t.Fatal("no methods note")
			}
			for _, sec := range []string{"sec.national", "sec.ranking", "sec.heatmap", "sec.radar", "sec.trend", "sec.expect", "sec.quality"} {
				for i, p := range pages {
					if strings.Contains(p, l.text(sec)) && i > methods {
						t.Errorf("%q on page %d after the methods note (page %d)", l.text(sec), i+1, methods+1)
					}
				}
			}
			for _, m := range d.MethodsNote(l) {
				if !strings.Contains(flat(strings.Join(pages[methods:], " ")), flat(m)) {
					t.Errorf("methods sentence not in the note: %q", m)
				}
			}

			// The print charts are drawn as vector graphics: their titles
			// are text of the PDF, and no chart is an image.
			for _, fg := range Figures(d, opt) {
				if fg.p != nil && !strings.Contains(all, flat(nfc(fg.p.Title.Text))) {
					t.Errorf("chart %s: title %q not in the text", fg.Name, fg.p.Title.Text)
				}
			}
			for i, n := range pdftest.Images(t, file, info.Pages) {
				if n > 0 {
					t.Errorf("page %d has %d images: a chart was rasterised", i+1, n)
				}
			}

			// Every character has a glyph in Liberation Sans (a missing one
			// would still extract but print as a box).
			font, err := sfnt.Parse(liberationsansregular.TTF)
			if err != nil {
				t.Fatal(err)
			}
			var buf sfnt.Buffer
			missing := map[rune]bool{}
			for _, r := range all {
				if r == '\n' || r == '\f' || r == ' ' {
					continue
				}
				if g, err := font.GlyphIndex(&buf, r); err != nil || g == 0 {
					missing[r] = true
				}
			}
			if len(missing) > 0 {
				t.Errorf("characters without a glyph: %q", keysOf(missing))
			}
		})
	}
}

// flat joins the lines of extracted text (pdftotext breaks wrapped
// paragraphs and table cells into lines).
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

func keysOf(m map[rune]bool) string {
	var b strings.Builder
	for r := range m {
		b.WriteRune(r)
	}
	return b.String()
}

// TestPDFOwnTitle: a report with a title of its own still names the index
// on its title page.
func TestPDFOwnTitle(t *testing.T) {
	pdftest.Poppler(t)
	d := buildData(t, pdfProvinces[:2], []int{2021})
	d.Title = "Báo cáo thử nghiệm"
	pages := pdftest.Text(t, writePDFFile(t, d, nil))
	for _, w := range []string{"Báo cáo thử nghiệm", LangVI.text("title"), "Năm 2021"} {
		if !strings.Contains(flat(pages[0]), w) {
			t.Errorf("title page lacks %q:\n%s", w, pages[0])
		}
	}
}

// TestPDFDeterministic: the same data gives the same bytes (no clock, no
// map order), and the creation date is the report's, not today's.
func TestPDFDeterministic(t *testing.T) {
	var out [2][]byte
	for i := range out {
		d := buildData(t, pdfProvinces[:4], []int{2020, 2021})
		var b bytes.Buffer
		if err := WritePDF(&b, d, &Options{Generated: "2022-03-15"}); err != nil {
			t.Fatal(err)
		}
		out[i] = b.Bytes()
	}
	if !bytes.Equal(out[0], out[1]) {
		t.Fatal("two PDFs of the same data differ")
	}
	if !bytes.Contains(out[0], []byte("/CreationDate (D:20220315")) {
		t.Error("the creation date is not the report's date (2022-03-15)")
	}
}

// TestWriteDirPDF: WriteDir writes report.pdf with the same charts as
// charts/, and NoPrint leaves both out.
func TestWriteDirPDF(t *testing.T) {
	d := buildData(t, pdfProvinces[:3], []int{2021})
	dir := t.TempDir()
	if err := WriteDir(dir, d, nil); err != nil {
		t.Fatal(err)
	}
	pdf, err := os.ReadFile(filepath.Join(dir, "report.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WritePDF(&b, d, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pdf, b.Bytes()) {
		t.Error("report.pdf of WriteDir differs from WritePDF")
	}
	dir = t.TempDir()
	if err := WriteDir(dir, d, &Options{NoPrint: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "report.pdf")); !os.IsNotExist(err) {
		t.Errorf("NoPrint: report.pdf written (%v)", err)
	}
}

// TestPDFLang: an unknown language is an error, as for the page.
func TestPDFLang(t *testing.T) {
	d := buildData(t, pdfProvinces[:2], []int{2021})
	if err := WritePDF(&bytes.Buffer{}, d, &Options{Lang: "fr"}); err == nil {
		t.Error("no error for language fr")
	}
}

// BenchmarkWritePDF: the PDF of 63 provinces × 3 years (compare with
// BenchmarkWriteHTML and BenchmarkPrintFigures of the same run).
func BenchmarkWritePDF(b *testing.B) {
	d := benchData(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := WritePDF(io.Discard, d, nil); err != nil {
			b.Fatal(err)
		}
	}
}
