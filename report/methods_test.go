package report

import (
	"bytes"
	"html"
	"math"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/index"
)

// TestMethodsNoteDF: the methods note says which degrees of freedom the
// intervals use — the design's (its number) or each domain's own, with
// their range over the domains, taken from the rows.
func TestMethodsNoteDF(t *testing.T) {
	res := fixtureResult(2021, fixtureNames(4))
	for i := range res.Rows {
		if v := res.Rows[i].Domain; len(v) > 0 {
			res.Rows[i].DF = 9 + int(v[0].Value[len(v[0].Value)-1]-'0') // Tỉnh 01..04: 10..13
		} else {
			res.Rows[i].DF = 100
		}
	}
	var lo, hi = 1 << 30, 0
	for _, r := range res.Rows {
		if r.Kind == index.KindSIPAS && len(r.Domain) > 0 {
			lo, hi = min(lo, r.DF), max(hi, r.DF)
		}
	}
	for _, tc := range []struct {
		rule string
		lang Lang
		want string
	}{
		{"domain", LangEN, "from " + itoa(lo) + " to " + itoa(hi) + " here; the national ones use the design's 100"},
		{"domain", LangVI, "từ " + itoa(lo) + " đến " + itoa(hi) + "; khoảng tin cậy toàn quốc dùng 100 bậc tự do"},
		{"", LangEN, "the design's 100 degrees of freedom"},
		{"design", LangVI, "với 100 bậc tự do của thiết kế"},
	} {
		d, err := FromYears([]YearInput{{Year: 2021, Result: res}}, &BuildOptions{NoTrend: true, Methods: Methods{DF: tc.rule}})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := WriteHTML(&b, d, &Options{Lang: tc.lang}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(html.UnescapeString(b.String()), tc.want) {
			t.Errorf("%s/%s: methods note lacks %q", tc.rule, tc.lang, tc.want)
		}
	}
}

// TestColourScale: the heatmaps' and the map's scale is the range of the
// values widened to whole numbers, 0–100 without a value, one unit wide
// for a constant.
func TestColourScale(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		v      [][]float64
		lo, hi float64
	}{
		{nil, 0, 100},
		{[][]float64{{nan}}, 0, 100},
		{[][]float64{{nan, 81.2}, {93.7}}, 81, 94},
		{[][]float64{{5, 5}}, 5, 6},
	} {
		if lo, hi := colourScale(tc.v...); lo != tc.lo || hi != tc.hi {
			t.Errorf("colourScale(%v) = %v, %v; want %v, %v", tc.v, lo, hi, tc.lo, tc.hi)
		}
	}
}

// TestIndexMethod: the methods sentence follows the questionnaire — its
// satisfied codes, and plain or weighted means by its weights.
func TestIndexMethod(t *testing.T) {
	def := index.DefaultQuestionnaire()
	if got := LangEN.indexMethod(def); !strings.Contains(got, "(codes 4 and 5)") || !strings.Contains(got, "element index: the mean of its criteria; SIPAS: the mean of the 5 elements") {
		t.Errorf("default questionnaire: %q", got)
	}
	if got := LangVI.indexMethod(def); !strings.Contains(got, "(mức 4 và 5)") || !strings.Contains(got, "SIPAS: trung bình 5 yếu tố") {
		t.Errorf("default questionnaire, vi: %q", got)
	}
	q := *def
	q.Satisfied = []int{5}
	q.Elements = append([]index.Element(nil), def.Elements...)
	q.Elements[0].Weight = 0.4
	got := LangEN.indexMethod(&q)
	if !strings.Contains(got, "(codes 5)") || !strings.Contains(got, "SIPAS: the weighted mean of the 5 elements") || !strings.Contains(got, "element index: the mean of its criteria") {
		t.Errorf("satisfied [5], unequal element weights: %q", got)
	}
}
