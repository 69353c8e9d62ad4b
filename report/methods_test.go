package report

import (
	"bytes"
	"context"
	"html"
	"math"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/rank"
	"github.com/sipas-go/sipas/sampling"
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
		rule, err := sampling.ParseDFRule(tc.rule)
		if err != nil {
			t.Fatal(err)
		}
		withDesign(t, res, "stratum", index.Options{DF: rule})
		d, err := FromYears([]YearInput{{Year: 2021, Result: res}}, &BuildOptions{NoTrend: true})
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

// TestMethodsNoteDomainDFReplicates: under replicate weights a domain's own
// degrees of freedom are the rank of its rows' replicate weights minus 1
// (sampling.Design.DomainDF), and the note says so, not "PSUs minus strata".
func TestMethodsNoteDomainDFReplicates(t *testing.T) {
	m := &YearMethods{DF: sampling.DFDomain, Design: DesignMethods{Replicates: 60}}
	df := dfSummary{design: 59, min: 7, max: 14, domains: 3}
	for _, tc := range []struct {
		lang      Lang
		want, not string
	}{
		{LangEN, "(the rank of its rows' replicate weights minus 1): from 7 to 14", "PSUs minus"},
		{LangVI, "(hạng của các bộ trọng số lặp trên phiếu của đơn vị trừ 1): từ 7 đến 14", "trừ số tầng"},
	} {
		got := tc.lang.dfNote(m, df)
		if !strings.Contains(got, tc.want) || strings.Contains(got, tc.not) {
			t.Errorf("%s: %q", tc.lang, got)
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
	if got := LangEN.indexMethod(def, index.ScoreShare, true); !strings.Contains(got, "(codes 4 and 5)") || !strings.Contains(got, "element index: the mean of its criteria; SIPAS: the mean of the 5 elements") {
		t.Errorf("default questionnaire: %q", got)
	}
	if got := LangVI.indexMethod(def, index.ScoreShare, true); !strings.Contains(got, "(mức 4 và 5)") || !strings.Contains(got, "SIPAS: trung bình 5 yếu tố") {
		t.Errorf("default questionnaire, vi: %q", got)
	}
	q := *def
	q.Satisfied = []int{5}
	q.Elements = append([]index.Element(nil), def.Elements...)
	q.Elements[0].Weight = 0.4
	got := LangEN.indexMethod(&q, index.ScoreShare, true)
	if !strings.Contains(got, "(codes 5)") || !strings.Contains(got, "SIPAS: the weighted mean of the 5 elements") || !strings.Contains(got, "element index: the mean of its criteria") {
		t.Errorf("satisfied [5], unequal element weights: %q", got)
	}
}

// TestMethodsNoteFromSettings: FromSurveys takes the note's settings from
// the objects that made the numbers — the design (weights, strata, PSUs,
// fpc), the index options (interval, df rule) and the comparison's
// correction — in both languages, with columns named in quotes.
func TestMethodsNoteFromSettings(t *testing.T) {
	surveys := surveysFixture(t)[:1]
	topt := index.TrendOptions{Index: index.Options{By: []string{"province"}, CI: sampling.Beta, Level: 0.9, DF: sampling.DFDomain},
		Compare: index.CompareOptions{Adjust: rank.AdjustBH, Rank: rank.Options{Draws: 200}}}
	d, err := FromSurveys(context.Background(), surveys, &SurveyOptions{Trend: topt})
	if err != nil {
		t.Fatal(err)
	}
	m := d.Latest().Methods
	if m == nil || m.Design.Weight != "weight" || m.Design.Strata != "stratum" || m.Design.FPC != "fpc" || m.CI != sampling.Beta || m.DF != sampling.DFDomain ||
		d.Compare == nil || d.Compare.Adjust != rank.AdjustBH {
		t.Fatalf("settings %+v, compare %+v", m, d.Compare)
	}
	for lang, want := range map[Lang][]string{
		LangVI: {"phân tầng theo cột “stratum” (63 tầng)", "có hiệu chỉnh tổng thể hữu hạn (cột “fpc”)", "quyền số trong cột “weight”",
			"khoảng tin cậy 90% theo phân phối beta (Korn–Graubard)", "bậc tự do của chính đơn vị", "Benjamini–Hochberg"},
		LangEN: {"stratified by the column “stratum” (63 strata)", "finite population correction (column “fpc”)", "weighted by the column “weight”",
			"the 90% confidence intervals are from the beta distribution (Korn–Graubard)", "its own degrees of freedom", "Benjamini–Hochberg"},
	} {
		note := strings.Join(d.MethodsNote(lang), "\n")
		for _, w := range want {
			if !strings.Contains(note, w) {
				t.Errorf("%s: the note lacks %q:\n%s", lang, w, note)
			}
		}
		for _, bad := range []string{"unweighted", "không gia quyền", "Holm", "none", "linearization", "METHODOLOGY"} {
			if strings.Contains(note, bad) && !(lang == LangEN && bad == "linearization") {
				t.Errorf("%s: the note says %q:\n%s", lang, bad, note)
			}
		}
	}
}
