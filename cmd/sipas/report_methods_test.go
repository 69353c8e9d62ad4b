package main

import (
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// methodsNote returns the text of the methods note of a report page.
func methodsNote(t *testing.T, page string) string {
	t.Helper()
	i := strings.Index(page, `<h2 id="methods">`)
	if i < 0 {
		t.Fatal("no methods note")
	}
	rest := page[i:]
	if j := strings.Index(rest, `<p class="note">`); j >= 0 {
		rest = rest[:j]
	}
	return html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(rest, " "))
}

// codeWords are settings' code names that must not reach the Vietnamese
// note: it names methods in prose, and columns only in quotes.
var codeWords = regexp.MustCompile(`\b(share|linearization|none|holm|bh|strata:|PSU:|weight:|fpc:|METHODOLOGY)\b|§`)

// TestReportMethodsNote: the methods note of `sipas report` says what
// produced the numbers — weighted or not from the design flags, the
// weighting spec's steps, the correction of --adjust — in Vietnamese prose
// without code words. (It said "unweighted" and "correction none" under
// weighted, Holm-adjusted figures.)
func TestReportMethodsNote(t *testing.T) {
	dir := t.TempDir()
	files := trendFiles(t, dir, []int{2021})
	spec := writeFile(t, dir, "w.json", `{"design_weight": "weight", "steps": [{"trim": {"max": 3}}]}`)
	design := []string{"--year-col", "year", "--strata", "stratum", "--psu", "psu", "--draws", "200"}
	for _, tc := range []struct {
		name string
		args []string
		want []string
		not  []string
	}{
		{"unweighted", []string{"--weight", "none"},
			[]string{"không gia quyền", "phân tầng theo cột “stratum”", "đơn vị mẫu cấp 1 theo cột “psu”", "hiệu chỉnh Holm"},
			[]string{"có gia quyền"}},
		{"weight", []string{"--weight", "weight"},
			[]string{"có gia quyền theo quyền số trong cột “weight”", "hiệu chỉnh Holm", "tuyến tính hoá Taylor"},
			[]string{"không gia quyền"}},
		{"weighting", []string{"--weighting", spec, "--adjust", "bh"},
			[]string{"quyền số thiết kế (cột “weight”), cắt bớt các quyền số quá lớn hoặc quá nhỏ", "Benjamini–Hochberg"},
			[]string{"không gia quyền", "Holm", "tổng tổng thể"}},
		{"none", []string{"--weight", "weight", "--adjust", "none", "--ci", "wald"},
			[]string{"không hiệu chỉnh cho so sánh bội", "đối xứng quanh ước lượng (Wald)"},
			[]string{"không gia quyền", "Holm", "logit"}},
	} {
		out := filepath.Join(dir, tc.name)
		args := append(append([]string{"report", "--in", files[0], "--out", out}, design...), tc.args...)
		if code, _, errs := vtRun(t, "", args...); code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.name, code, errs)
		}
		page, err := os.ReadFile(filepath.Join(out, "index.html"))
		if err != nil {
			t.Fatal(err)
		}
		note := methodsNote(t, string(page))
		for _, w := range tc.want {
			if !strings.Contains(note, w) {
				t.Errorf("%s: the note lacks %q:\n%s", tc.name, w, note)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(note, w) {
				t.Errorf("%s: the note says %q:\n%s", tc.name, w, note)
			}
		}
		if m := codeWords.FindString(note); m != "" {
			t.Errorf("%s: code word %q in the Vietnamese note:\n%s", tc.name, m, note)
		}
		// report.pdf carries the same note.
		checkReportPDF(t, filepath.Join(out, "report.pdf"), tc.want...)
	}
}
