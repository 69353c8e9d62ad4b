package main

import (
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/pdftest"
)

// checkReportPDF reads the report.pdf a command wrote with poppler (when
// installed): A4 pages, every font embedded, and the phrases want in its
// text (lines joined, as pdftotext breaks wrapped text).
func checkReportPDF(t *testing.T, file string, want ...string) {
	t.Helper()
	if !pdftest.Have(t) {
		return
	}
	info := pdftest.ReadInfo(t, file)
	for i, s := range info.Sizes {
		if s != "595.28 x 841.89" {
			t.Errorf("%s: page %d is %s pt, want A4", file, i+1, s)
		}
	}
	for _, f := range pdftest.Fonts(t, file) {
		if !f.Embedded {
			t.Errorf("%s: font %s not embedded", file, f.Name)
		}
	}
	text := strings.Join(strings.Fields(strings.Join(pdftest.Text(t, file), " ")), " ")
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s: the text lacks %q", file, w)
		}
	}
}
