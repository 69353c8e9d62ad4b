package report

import (
	"html"
	"math"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/rank"
)

// summaryData is two years of 4 domains in which the second domain's
// indices rise by 10 points in 2021 (z ≥ 4.7: significant after any
// correction across 4 domains) and the third's fall by 8 (z ≥ 3.8), the
// others moving by the fixture's 0.5 (not significant).
func summaryData(t *testing.T, adj rank.Adjustment) *Data {
	t.Helper()
	names := fixtureNames(4)
	var ys []YearInput
	for _, y := range []int{2020, 2021} {
		res := fixtureResult(y, names)
		if y == 2021 {
			for i := range res.Rows {
				r := &res.Rows[i]
				if len(r.Domain) == 0 || r.Kind == index.KindExpectation {
					continue
				}
				shift := map[string]float64{names[1]: 10, names[2]: -8}[r.Domain[0].Value]
				r.Estimate += shift
				r.CILow += shift
				r.CIHigh += shift
			}
		}
		ys = append(ys, YearInput{Year: y, Result: res})
	}
	d, err := FromYears(ys, &BuildOptions{TrendOptions: &index.CompareOptions{Adjust: adj, Rank: rank.Options{Draws: 500}}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestSummary: the executive summary states the numbers of the Data it
// was generated from — the national SIPAS with its interval and change
// (and whether the change is significant), the best and worst elements,
// the first and last domains, the domains that rose or fell significantly
// with the correction used — in Vietnamese (decimal comma) and English,
// and the page shows it before the national section.
func TestSummary(t *testing.T) {
	for _, adj := range []rank.Adjustment{rank.AdjustHolm, rank.AdjustBH} {
		d := summaryData(t, adj)
		y := d.Latest()
		nat := y.National.SIPAS
		if nat.Trend == nil || nat.Trend.SignificantPrev == nil {
			t.Fatal("no national change")
		}
		best, worst := y.National.Elements[0], y.National.Elements[0]
		for _, e := range y.National.Elements {
			if e.Estimate > best.Estimate {
				best = e
			}
			if e.Estimate < worst.Estimate {
				worst = e
			}
		}
		var up, down []Domain
		for _, dm := range y.Domains {
			if tr := dm.SIPAS.Trend; tr != nil && tr.SignificantPrev != nil && *tr.SignificantPrev {
				if tr.ChangePrev > 0 {
					up = append(up, dm)
				} else {
					down = append(down, dm)
				}
			}
		}
		if len(up) != 1 || up[0].Name != "Tỉnh 02" || len(down) != 1 || down[0].Name != "Tỉnh 03" {
			t.Fatalf("%v: significant changes up %d, down %d", adj, len(up), len(down))
		}
		q := d.Questionnaire
		sig := map[bool]map[Lang]string{true: {LangVI: "thay đổi này có ý nghĩa thống kê", LangEN: "the change is statistically significant"},
			false: {LangVI: "thay đổi này không có ý nghĩa thống kê", LangEN: "the change is not statistically significant"}}
		for _, l := range []Lang{LangVI, LangEN} {
			s := strings.Join(d.Summary(l), "\n")
			want := []string{
				l.pct(nat.Estimate) + "%", l.ci(nat.CILow, nat.CIHigh), l.pct(math.Abs(nat.Trend.ChangePrev)),
				sig[*nat.Trend.SignificantPrev][l],
				"“" + l.indexLabel(q, best.Kind, best.ID) + "” (" + l.pct(best.Estimate) + "%)",
				"“" + l.indexLabel(q, worst.Kind, worst.ID) + "” (" + l.pct(worst.Estimate) + "%)",
				y.Domains[0].Name + " (" + l.pct(y.Domains[0].SIPAS.Estimate) + "%)",
				y.Domains[len(y.Domains)-1].Name + " (" + l.pct(y.Domains[len(y.Domains)-1].SIPAS.Estimate) + "%)",
				"Tỉnh 02 (+" + l.pct(up[0].SIPAS.Trend.ChangePrev) + ")",
				"Tỉnh 03 (−" + l.pct(-down[0].SIPAS.Trend.ChangePrev) + ")",
				adjustPhrase(l, adj),
			}
			for _, w := range want {
				if !strings.Contains(s, w) {
					t.Errorf("%v %s: the summary lacks %q:\n%s", adj, l, w, s)
				}
			}
			if l == LangVI && pointDecimal.MatchString(s) {
				t.Errorf("vi: decimal point in the summary:\n%s", s)
			}
		}
		page := html.UnescapeString(string(render(t, d, &Options{Lang: LangVI})))
		i, j := strings.Index(page, `<section id="summary">`), strings.Index(page, `<h2 id="national">`)
		if i < 0 || j < i || !strings.Contains(page[i:j], d.Summary(LangVI)[0]) {
			t.Errorf("%v: the page has no summary before the national section", adj)
		}
	}
	// Without a significant change the summary says so.
	d := buildData(t, fixtureNames(4), []int{2020, 2021})
	if s := strings.Join(d.Summary(LangVI), "\n"); !strings.Contains(s, "Không tỉnh, thành phố nào có chỉ số SIPAS thay đổi có ý nghĩa thống kê so với năm 2020 (sau hiệu chỉnh Holm") {
		t.Errorf("no change: %s", s)
	}
	if (&Data{}).Summary(LangVI) != nil {
		t.Error("empty data: a summary")
	}
}

// TestSummaryUnrankedDomain: a domain without a rank (its SE undefined:
// one PSU) sorts after the ranked ones; the summary's highest and lowest
// are still the highest and lowest estimates ("the highest is rest
// (81.8%), the lowest solo (86.4%)" before).
func TestSummaryUnrankedDomain(t *testing.T) {
	d := summaryData(t, rank.AdjustHolm)
	y := d.Latest()
	solo := y.Domains[0]
	solo.Name = "solo"
	solo.SIPAS.Estimate, solo.SIPAS.SE = 99, math.NaN()
	y.Domains = append(y.Domains, solo)
	s := strings.Join(d.Summary(LangEN), "\n")
	last := y.Domains[len(y.Domains)-2]
	if want := "the highest is solo (99.0%), the lowest " + last.Name + " ("; !strings.Contains(s, want) {
		t.Errorf("summary lacks %q:\n%s", want, s)
	}
}
