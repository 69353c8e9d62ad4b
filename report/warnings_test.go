package report

import (
	"regexp"
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
	// no misses: no warnings section
	d.Latest().Quality = QualityOf(nil, nil, nil)
	if page := visibleText(string(render(t, d, nil))); strings.Contains(page, LangVI.text("q.warnings")) {
		t.Error("a report without misses has a warnings section")
	}
}
