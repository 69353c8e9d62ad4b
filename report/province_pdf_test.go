package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/pdftest"
)

// TestProvincePDF reads the PDF of a province's report with poppler, in
// both languages: every page A4, every font embedded with a Unicode map,
// a title page naming the province (with its diacritics), its region and
// the years, without a page number; the other pages numbered "k/N"; the
// province's SIPAS and the nation's in the language's number format, the
// criteria, and the print chart as vector text; the methods note last.
func TestProvincePDF(t *testing.T) {
	pdftest.Poppler(t)
	d := provinceData(t, index.GeoAuto)
	p, err := d.Province("Thừa Thiên Huế")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []Lang{LangVI, LangEN} {
		t.Run(string(l), func(t *testing.T) {
			opt := &Options{Lang: l}
			var b bytes.Buffer
			if err := WriteProvincePDF(&b, p, opt); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "report.pdf")
			if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			info := pdftest.ReadInfo(t, file)
			if info.Pages < 6 { // title, compare, ranks, criteria, strengths, quality, methods
				t.Errorf("%d pages", info.Pages)
			}
			for i, s := range info.Sizes {
				if s != "595.28 x 841.89" {
					t.Errorf("page %d is %s pt, want A4", i+1, s)
				}
			}
			title := l.textf("pr.title", "Thừa Thiên Huế") + " 2021"
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
			first := flat(pages[0])
			for _, w := range []string{title, "Thừa Thiên Huế", p.Region, "2020–2021"} {
				if !strings.Contains(first, w) {
					t.Errorf("title page lacks %q:\n%s", w, pages[0])
				}
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
			if l == LangVI {
				for _, w := range []string{"Chỉ số SIPAS của Thừa Thiên Huế", "So với vùng và cả nước", "Các tiêu chí so với cả nước", "Điểm mạnh", "Chất lượng"} {
					if !strings.Contains(all, w) {
						t.Errorf("no %q in the text", w)
					}
				}
			}
			// The province's SIPAS and interval and the nation's, in the
			// language's numbers, in the comparison table's first row.
			dom := p.Domain().SIPAS
			nat := d.Latest().National.SIPAS
			row := "SIPAS " + l.dec(dom.Estimate, 1) + " " + l.ciDec(dom.CILow, dom.CIHigh)
			if !strings.Contains(all, row) {
				t.Errorf("comparison row %q not in the text", row)
			}
			if s := l.dec(nat.Estimate, 1) + " " + l.ciDec(nat.CILow, nat.CIHigh); !strings.Contains(all, s) {
				t.Errorf("national %q not in the text", s)
			}
			for _, e := range p.Domain().Criteria {
				if lab := flat(l.indexLabel(d.Questionnaire, e.Kind, e.ID)); !strings.Contains(all, lab) {
					t.Errorf("criterion %q not in the text", lab)
				}
			}
			// The criteria table has each element's name once, as a
			// heading across the table, so the criteria's wording has
			// the width and the 22 criteria fit on the section's page.
			crit := -1
			for i, pg := range pages {
				if strings.Contains(flat(pg), flat(l.text("pr.sec.criteria"))) {
					crit = i
				}
			}
			cs := p.Domain().Criteria
			if crit < 0 || len(cs) < 20 {
				t.Fatalf("criteria section on page %d, %d criteria", crit+1, len(cs))
			}
			if last := flat(l.indexLabel(d.Questionnaire, cs[len(cs)-1].Kind, cs[len(cs)-1].ID)); !strings.Contains(flat(pages[crit]), last) {
				t.Errorf("the criteria table runs past its first page (page %d lacks the last criterion %q)", crit+1, last)
			}
			for _, e := range d.Questionnaire.Elements {
				if n := strings.Count(pages[crit], l.indexLabel(d.Questionnaire, index.KindElement, e.ID)+"\n"); n != 1 {
					t.Errorf("element %q heads %d lines of the criteria page, want 1", e.ID, n)
				}
			}
			for _, fg := range ProvinceFigures(p, opt) {
				if !strings.Contains(all, flat(nfc(fg.p.Title.Text))) {
					t.Errorf("chart %s: title %q not in the text", fg.Name, fg.p.Title.Text)
				}
			}
			for i, n := range pdftest.Images(t, file, info.Pages) {
				if n > 0 {
					t.Errorf("page %d has %d images", i+1, n)
				}
			}
			// The methods note is the last section.
			last := flat(pages[len(pages)-1])
			methods := -1
			for i, pg := range pages {
				if strings.Contains(pg, l.text("sec.methods")) {
					methods = i
				}
			}
			if methods < 0 || !strings.Contains(last, flat(l.text("pdf.made"))) {
				t.Fatalf("methods note not last (page %d of %d)", methods+1, len(pages))
			}
			for _, m := range d.MethodsNote(l) {
				if !strings.Contains(flat(strings.Join(pages[methods:], " ")), flat(m)) {
					t.Errorf("methods sentence not in the note: %q", m)
				}
			}
		})
	}
}

// TestWriteProvinceDirPDF: each province's folder has its report.pdf (the
// bytes of WriteProvincePDF), none with NoPrint.
func TestWriteProvinceDirPDF(t *testing.T) {
	d := provinceData(t, index.GeoAuto)
	dir := t.TempDir()
	folders, err := WriteProvincesDir(dir, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	ps := d.Provinces()
	for i, f := range folders {
		got, err := os.ReadFile(filepath.Join(dir, f, "report.pdf"))
		if err != nil {
			t.Fatal(err)
		}
		if i%20 != 0 {
			continue
		}
		var want bytes.Buffer
		if err := WriteProvincePDF(&want, ps[i], nil); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s/report.pdf differs from WriteProvincePDF", f)
		}
	}
	p, _ := d.Province("Hà Nội")
	dir = t.TempDir()
	if err := WriteProvinceDir(dir, p, &Options{NoPrint: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "report.pdf")); !os.IsNotExist(err) {
		t.Errorf("NoPrint: report.pdf written (%v)", err)
	}
}
