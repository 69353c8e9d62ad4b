package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// pointDecimal is a number written with a decimal point (82.4, 1.25):
// wrong in Vietnamese, where the point separates thousands (31.581).
var pointDecimal = regexp.MustCompile(`\d\.(\d{1,2}|\d{4,})\b`)

// visibleText is the text of a page outside its scripts and tags, without
// the notes that quote version numbers (ECharts 5.6.0, ODbL 1.0).
func visibleText(page string) string {
	page = regexp.MustCompile(`(?s)<script.*?</script>`).ReplaceAllString(page, " ")
	page = regexp.MustCompile(`(?s)<p class="note">.*?</p>`).ReplaceAllString(page, " ")
	page = regexp.MustCompile(`(?s)<style.*?</style>`).ReplaceAllString(page, " ")
	return html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(page, " "))
}

// TestVietnameseNumbers: the Vietnamese page writes its numbers with a
// decimal comma and dot thousands — in the tables, and in the chart labels
// and tooltips, which are strings in the chart options (no JavaScript
// function) — and the English page with a decimal point. (The tables and
// the charts wrote 82.4 on the Vietnamese page.)
func TestVietnameseNumbers(t *testing.T) {
	names := fixtureNames(6)
	d := buildData(t, names, []int{2020, 2021})
	d.Latest().Quality = &Quality{Issued: 31581, Returned: 29000, RowsIn: 29000, RowsUsed: 28001, RowsExcluded: 999}
	page := string(render(t, d, &Options{Lang: LangVI}))
	text := visibleText(page)
	if m := pointDecimal.FindString(text); m != "" {
		i := strings.Index(text, m)
		t.Errorf("vi: decimal point in %q: …%s…", m, text[max(0, i-60):min(len(text), i+60)])
	}
	for _, want := range []string{"31.581", "28.001"} {
		if !strings.Contains(text, want) {
			t.Errorf("vi: no %q (dot thousands)", want)
		}
	}
	// A national estimate as the table writes it: one decimal, comma.
	nat := d.Latest().National.SIPAS
	if want := LangVI.pct(nat.Estimate); !strings.Contains(text, want) || !strings.Contains(want, ",") {
		t.Errorf("vi: national SIPAS %q not in the page", want)
	}
	// Chart labels and tooltips (formatter strings) follow the language;
	// the heatmap writes every cell with one decimal.
	heat := 0
	for _, m := range optBlock.FindAllStringSubmatch(page, -1) {
		var v interface{}
		if err := json.Unmarshal([]byte(m[2]), &v); err != nil {
			t.Fatal(err)
		}
		var walk func(v interface{}, series string)
		walk = func(v interface{}, series string) {
			switch x := v.(type) {
			case map[string]interface{}:
				if ty, ok := x["type"].(string); ok {
					series = ty
				}
				if f, ok := x["formatter"].(string); ok {
					if m := pointDecimal.FindString(f); m != "" {
						t.Errorf("vi: chart formatter %q has a decimal point", f)
					}
					if series == "heatmap" && f != "" && !strings.HasPrefix(f, "{b}") {
						heat++
						if !regexp.MustCompile(`^\d+,\d$`).MatchString(f) {
							t.Errorf("vi: heatmap cell label %q is not one decimal with a comma", f)
						}
					}
				}
				for _, e := range x {
					walk(e, series)
				}
			case []interface{}:
				for _, e := range x {
					walk(e, series)
				}
			}
		}
		walk(v, "")
	}
	if want := len(names) * (1 + len(d.Questionnaire.Elements)); heat != want {
		t.Errorf("vi: %d heatmap cell labels, want %d", heat, want)
	}
	en := visibleText(string(render(t, d, &Options{Lang: LangEN})))
	if !strings.Contains(en, "31,581") || !strings.Contains(en, LangEN.pct(nat.Estimate)) || !strings.Contains(LangEN.pct(nat.Estimate), ".") {
		t.Error("en: no 31,581 or no decimal point in the national SIPAS")
	}
}

// TestVietnameseTables: tables/*.csv stay machine-readable (decimal point,
// no separators) and a Vietnamese report also writes their twin in
// Vietnamese number format under tables/vi; the print charts' numbers
// (heatmap cells, axis ticks) have the decimal comma.
func TestVietnameseTables(t *testing.T) {
	d := buildData(t, fixtureNames(4), []int{2020, 2021})
	d.Latest().Quality = &Quality{Issued: 31581, Returned: 29000}
	dir := t.TempDir()
	if err := WriteDir(dir, d, &Options{NoPrint: true}); err != nil {
		t.Fatal(err)
	}
	read := func(p string) [][]string {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte(bom)))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	machine, vi := read("tables/estimates.csv"), read("tables/vi/estimates.csv")
	if len(machine) != len(vi) || len(machine) < 10 {
		t.Fatalf("%d machine rows, %d Vietnamese rows", len(machine), len(vi))
	}
	est := -1
	for j, h := range machine[0] {
		if h == LangVI.text("col.estimate") {
			est = j
		}
	}
	if est < 0 {
		t.Fatalf("no estimate column in %v", machine[0])
	}
	for i := 1; i < len(machine); i++ {
		x, err := strconv.ParseFloat(machine[i][est], 64)
		if err != nil {
			t.Fatalf("machine row %d: %v", i, err)
		}
		if want := strings.Replace(strconv.FormatFloat(x, 'f', 2, 64), ".", ",", 1); vi[i][est] != want {
			t.Errorf("row %d: Vietnamese %q, want %q", i, vi[i][est], want)
		}
		if vi[i][0] != machine[i][0] { // the year is not grouped
			t.Errorf("row %d: year %q, want %q", i, vi[i][0], machine[i][0])
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"31581", "31.581"}, {"999", "999"}, {"-1.25", "-1,25"}, {"01", "01"}, {"Hà Nội", "Hà Nội"}, {"", ""}, {"1.2.3", "1.2.3"},
	} {
		if got := localCell(LangVI, tc.in, false); got != tc.want {
			t.Errorf("localCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "tables", "vi")); err != nil {
		t.Error(err)
	}
	en := t.TempDir()
	if err := WriteDir(en, d, &Options{Lang: LangEN, NoPrint: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(en, "tables", "vi")); err == nil {
		t.Error("an English report has Vietnamese tables")
	}
	// Print charts: every number drawn in the Vietnamese figures has the
	// decimal comma.
	for _, f := range Figures(d, nil) {
		var b bytes.Buffer
		if err := f.writeSVG(&b, false); err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`>([^<]*)<`).FindAllStringSubmatch(b.String(), -1) {
			if pointDecimal.MatchString(m[1]) {
				t.Errorf("%s: print label %q has a decimal point", f.Name, m[1])
			}
		}
	}
}
