package report

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/index/ballot"
)

// TestFieldworkSection: the screening summary reaches the page and the
// tables in both languages; collectors at risk are those ranked first with
// risk ≥ 2, highest risk_sum first.
func TestFieldworkSection(t *testing.T) {
	s := &ballot.Screening{
		Groups: []ballot.GroupScreen{
			{Key: []string{"Hà Nội"}, Ballots: 40, Collectors: 3, MatchRef: 0.9, FlagMatch: 4, FlagStraightline: 2, FlagDuplicate: 1},
			{Key: []string{"Huế"}, Ballots: 30, Collectors: 2, MatchRef: math.NaN()},
		},
		Collectors: []ballot.CollectorScreen{
			{Group: 0, Collector: "HN-NV1", Ballots: 12, Risk: 3, RiskSum: 9, Rank: 1},
			{Group: 0, Collector: "HN-NV2", Ballots: 14, Risk: 2, RiskSum: 5, Rank: 2},
			{Group: 0, Collector: "HN-NV3", Ballots: 14, Risk: 0, Rank: 3},
			{Group: 1, Collector: "H-NV1", Ballots: 15, Risk: 2, RiskSum: 12, Rank: 1},
			{Group: 1, Collector: "H-NV2", Ballots: 15, Risk: 1, RiskSum: 3, Rank: 2},
		},
	}
	f := NewFieldwork(s)
	if len(f.AtRisk) != 2 || f.AtRisk[0].Collector != "H-NV1" || f.AtRisk[1].Collector != "HN-NV1" {
		t.Fatalf("at risk %+v", f.AtRisk)
	}
	if f.Screening[0].AtRisk != 2 || f.Screening[1].AtRisk != 1 || f.Screening[0].NearCopies != 4 {
		t.Fatalf("groups %+v", f.Screening)
	}
	names := fixtureNames(3)
	d := buildData(t, names, []int{2021})
	d.Years[0].Fieldwork = f
	for _, lang := range []Lang{LangVI, LangEN} {
		page := string(render(t, d, &Options{Lang: lang}))
		for _, want := range []string{`id="fieldwork"`, "HN-NV1", "H-NV1", lang.text("fw.screening"), lang.text("col.near_copies")} {
			if !strings.Contains(page, want) {
				t.Errorf("%v page lacks %q", lang, want)
			}
		}
		var sc *Table
		for _, tb := range Tables(d, &Options{Lang: lang}) {
			if tb.Name == "fieldwork_screening" {
				sc = &tb
			}
		}
		if sc == nil || len(sc.Rows) != 2 || sc.Rows[0][0] != "Hà Nội" || sc.Rows[0][3] != "90.00" || sc.Rows[1][3] != "" {
			t.Errorf("%v fieldwork_screening table %+v", lang, sc)
		}
	}
	// Without a fieldwork record there is no section.
	d.Years[0].Fieldwork = nil
	if page := string(render(t, d, nil)); strings.Contains(page, `id="fieldwork"`) {
		t.Error("fieldwork section without a record")
	}
}

// TestFieldworkBackcheck: coverage sums the groups; error rates put the
// flagged collectors first, then the highest rate, collectors without a
// comparison last; the page lists the flagged ones and ten more.
func TestFieldworkBackcheck(t *testing.T) {
	f := NewFieldwork(&ballot.Screening{})
	groups := []ballot.BackcheckGroup{{Ballots: 100, Random: 10, Targeted: 3, Collectors: 4, CollectorsCovered: 4},
		{Ballots: 50, Random: 5, Collectors: 2, CollectorsCovered: 1}}
	c := &ballot.BackcheckResult{Enumerators: []ballot.BackcheckRate{
		{Name: "b", Type: "1", Differences: 1, Comparisons: 20, ErrorRate: 0.05},
		{Name: "z", Type: "1", ErrorRate: math.NaN()},
		{Name: "a", Type: "1", Differences: 3, Comparisons: 20, ErrorRate: 0.15, Flagged: true},
		{Name: "c", Type: "2", Differences: 9, Comparisons: 10, ErrorRate: 0.9, Flagged: true},
		{Name: "d", Type: "1", Differences: 1, Comparisons: 10, ErrorRate: 0.1},
	}}
	for i := range 15 {
		c.Enumerators = append(c.Enumerators, ballot.BackcheckRate{Name: "h" + strconv.Itoa(10+i), Type: "1", Comparisons: 8})
	}
	f.AddBackcheck(groups, c, 0.1, 7)
	if f.Ballots != 150 || f.Backchecked != 18 || f.Targeted != 3 || f.Collectors != 6 || f.CollectorsCovered != 5 || f.Excluded != 7 {
		t.Fatalf("coverage %+v", f)
	}
	var order []string
	for _, e := range f.ErrorRates {
		order = append(order, e.Collector)
	}
	if got := strings.Join(order[:4], " "); got != "a d b h10" || order[len(order)-1] != "z" || len(order) != 19 {
		t.Errorf("order %v", order)
	}
	if v := fieldworkPage(LangEN, f); len(v.Errors) != 11 || v.Errors[0].Flag == "" || len(v.Coverage) != 4 {
		t.Errorf("page rows %d, coverage %v", len(v.Errors), v.Coverage)
	}
}

// TestFieldworkNumberFormats: the fieldwork section writes its numbers in
// the page's language — decimal comma and dot thousands in Vietnamese
// (3.978 / 31.581 (12,6%)), the English convention in English.
func TestFieldworkNumberFormats(t *testing.T) {
	f := NewFieldwork(&ballot.Screening{})
	groups := []ballot.BackcheckGroup{{Ballots: 31581, Random: 3181, Targeted: 797, Collectors: 1649, CollectorsCovered: 1649}}
	c := &ballot.BackcheckResult{Enumerators: []ballot.BackcheckRate{
		{Name: "a", Type: "1", Differences: 67, Comparisons: 112, ErrorRate: 67.0 / 112, Flagged: true}}}
	f.AddBackcheck(groups, c, 0.1, 1159)
	for _, tc := range []struct {
		l                     Lang
		coverage, covered, ex string
		rate                  string
	}{
		{LangVI, "3.978 / 31.581 (12,6%)", "1.649 / 1.649", "1.159", "59,8"},
		{LangEN, "3,978 / 31,581 (12.6%)", "1,649 / 1,649", "1,159", "59.8"},
	} {
		v := fieldworkPage(tc.l, f)
		if v.Coverage[0].V != tc.coverage || v.Coverage[2].V != tc.covered || v.Coverage[3].V != tc.ex || v.Errors[0].Rate != tc.rate {
			t.Errorf("%s: coverage %v, rate %q", tc.l, v.Coverage, v.Errors[0].Rate)
		}
	}
	for _, tc := range []struct {
		x    float64
		d    int
		want string
	}{{1234567.891, 2, "1.234.567,89"}, {-1234.5, 1, "-1.234,5"}, {0.05, 2, "0,05"}, {999, 0, "999"}, {math.NaN(), 1, "–"}} {
		if got := LangVI.dec(tc.x, tc.d); got != tc.want {
			t.Errorf("dec(%v, %d) = %q, want %q", tc.x, tc.d, got, tc.want)
		}
	}
}
