package report

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/pdftest"
	"github.com/sipas-go/sipas/weighting"
)

// wnMisses are the totals of the 2021 register a trimming broke (Hà Nội
// 125,509 → 50,450), one a calibration's own trimming broke with a
// fractional total, and a numeric total.
var wnMisses = []weighting.RecordMiss{
	{Step: "steps[0].poststratify", Trim: "steps[1].trim", Margin: "province", Class: "Hà Nội", Target: 125509, Achieved: 50450},
	{Step: "steps[2].calibrate", Trim: "steps[2].calibrate.trim", Margin: "region*sex", Class: "Bắc:nữ", Target: 1234.5, Achieved: 1300.25},
	{Step: "steps[2].calibrate", Trim: "steps[2].calibrate.trim", Margin: "age", Target: 40000, Achieved: 39000},
}

// TestWeightingWarnings: the calibrated totals a trimming broke (the
// weighting record's misses) are in the data-quality section of the page
// and the PDF, in words of the report's language and its number format:
// the steps by number and kind, the totals and the gap (Hà Nội −59,8 %).
// (The report did not show them.)
func TestWeightingWarnings(t *testing.T) {
	pdftest.Poppler(t)
	d := buildData(t, pdfProvinces[:3], []int{2021})
	d.Latest().Quality = QualityOf(nil, nil, wnMisses)
	want := map[Lang][]string{
		LangVI: {"Cảnh báo về quyền số", "Việc cắt quyền số đã làm quyền số cuối cùng không còn khớp 3 tổng tổng thể",
			"bước 1 (hậu phân tầng)", "bước 2 (cắt quyền số)", "bước 3 (cắt quyền số trong bước hiệu chỉnh)",
			"“province”", "“region” × “sex”", "Hà Nội", "Bắc:nữ", "(tổng của biến số)",
			"125.509", "50.450", "−59,8", "1.234,50", "1.300,25", "5,3", "40.000", "−2,5"},
		LangEN: {"Weighting warnings", "Trimming moved the final weights off 3 population totals",
			"step 1 (post-stratification)", "step 2 (trimming)", "step 3 (the trimming within the calibration)",
			"125,509", "50,450", "−59.8", "1,234.50", "1,300.25", "5.3", "(numeric total)"},
	}
	english := regexp.MustCompile(`(?i)\b(step|steps|trim|trimming|margin|target|final|gap|class|total|poststratify|calibrat\w*)\b`)
	for _, l := range []Lang{LangVI, LangEN} {
		page := visibleText(string(render(t, d, &Options{Lang: l})))
		i := strings.Index(page, l.text("q.warnings"))
		if i < 0 {
			t.Fatalf("%s: the page has no %q section", l, l.text("q.warnings"))
		}
		section := page[i:]
		if j := strings.Index(section, l.text("sec.methods")); j >= 0 {
			section = section[:j]
		}
		pdf := flat(strings.Join(pdftest.Text(t, writePDFFile(t, d, &Options{Lang: l})), "\n"))
		for _, w := range want[l] {
			if !strings.Contains(section, w) {
				t.Errorf("%s: the page's warnings lack %q:\n%s", l, w, section)
			}
			if !strings.Contains(pdf, w) {
				t.Errorf("%s: the PDF lacks %q", l, w)
			}
		}
		if l == LangVI {
			// column names and class labels are data; the words around them
			// are Vietnamese
			words := strings.NewReplacer("“province”", "", "“region” × “sex”", "", "“age”", "").Replace(section)
			if m := english.FindString(words); m != "" {
				t.Errorf("vi: English word %q in the warnings:\n%s", m, section)
			}
		}
	}
	// the table weighting_misses (tables/, the workbook): paths as in the
	// specification, totals and the gap in percent, machine-readable
	// (−59.80 = (50,450 − 125,509) / 125,509; 5.33 = 65.75 / 1,234.5;
	// −2.50 = −1,000 / 40,000)
	want2 := [][]string{
		{"steps[0].poststratify", "bước 1 (hậu phân tầng)", "province", "Hà Nội", "125509.00", "50450.00", "-59.80", "steps[1].trim", "bước 2 (cắt quyền số)"},
		{"steps[2].calibrate", "bước 3 (hiệu chỉnh)", "region*sex", "Bắc:nữ", "1234.50", "1300.25", "5.33", "steps[2].calibrate.trim", "bước 3 (cắt quyền số trong bước hiệu chỉnh)"},
		{"steps[2].calibrate", "bước 3 (hiệu chỉnh)", "age", "(tổng của biến số)", "40000.00", "39000.00", "-2.50", "steps[2].calibrate.trim", "bước 3 (cắt quyền số trong bước hiệu chỉnh)"},
	}
	var misses *Table
	for _, tb := range Tables(d, nil) {
		if tb.Name == "weighting_misses" {
			misses = &tb
		}
	}
	switch {
	case misses == nil:
		t.Error("no table weighting_misses")
	case len(misses.Header) != 9 || misses.Header[0] != "step" || misses.Header[7] != "trim" || !slices.Equal(misses.Rows[0], want2[0]) ||
		!slices.Equal(misses.Rows[1], want2[1]) || !slices.Equal(misses.Rows[2], want2[2]):
		t.Errorf("weighting_misses: %q\n%q\nwant rows\n%q", misses.Header, misses.Rows, want2)
	}
	// no misses: no warnings section, no table
	d.Latest().Quality = QualityOf(nil, nil, nil)
	if page := visibleText(string(render(t, d, nil))); strings.Contains(page, LangVI.text("q.warnings")) {
		t.Error("a report without misses has a warnings section")
	}
	for _, tb := range Tables(d, nil) {
		if tb.Name == "weighting_misses" {
			t.Error("a report without misses has a table weighting_misses")
		}
	}
}
