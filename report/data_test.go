package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/ballot"
	"github.com/sipas-go/sipas/index/rank"
	"github.com/sipas-go/sipas/weighting"
)

// TestStandingsFromTrendRows supplies trend rows with vs-nation differences
// (as index.Trend computes them): the fixture's domain g has every index
// 3·(g mod 7) − 9 points from the nation's (nation: g = 3); with an SE of 1
// every |diff| ≥ 3 has z ≥ 3, p ≤ 0.0027, significant after BH across the
// 22 criteria (equal p-values are unchanged by BH), and diff 0 is level.
func TestStandingsFromTrendRows(t *testing.T) {
	names := fixtureNames(7)
	var ys []YearInput
	var pts []index.TrendPoint
	for _, y := range []int{2020, 2021} {
		res := fixtureResult(y, names)
		// The expectation shares stay in Result (as index.Trend keeps them)
		// and out of the trend comparison.
		ys = append(ys, YearInput{Year: y, Result: res})
		nat := map[string]float64{}
		for _, p := range index.TrendPointsFromRows(y, res.Questionnaire.ID, res.Rows) {
			if p.National {
				nat[p.Kind+"/"+p.ID] = p.Estimate
			}
		}
		for _, p := range index.TrendPointsFromRows(y, res.Questionnaire.ID, res.Rows) {
			if p.Kind == index.KindExpectation {
				continue
			}
			if !p.National {
				p.VsNation, p.SEVsNation = p.Estimate-nat[p.Kind+"/"+p.ID], 1
			}
			pts = append(pts, p)
		}
	}
	rows, err := index.CompareYears(pts, &index.CompareOptions{Adjust: rank.AdjustHolm})
	if err != nil {
		t.Fatal(err)
	}
	d, err := FromYears(ys, &BuildOptions{Trend: rows})
	if err != nil {
		t.Fatal(err)
	}
	y := d.Latest()
	for _, dom := range y.Domains {
		var g int
		for i, n := range names {
			if n == dom.Name {
				g = i
			}
		}
		diff := 3*float64(g%7) - 9
		if len(dom.Standings) != 22+5 {
			t.Fatalf("%s: %d standings", dom.Name, len(dom.Standings))
		}
		for _, s := range dom.Standings {
			want := index.StandingLevel
			if diff >= 3 {
				want = index.StandingStrength
			} else if diff <= -3 {
				want = index.StandingWeakness
			}
			// Criteria capped at 99 in the fixture differ less; skip them.
			if s.Standing != want && math.Abs(s.Diff-diff) < 1e-9 {
				t.Errorf("%s %s/%s: diff %.1f standing %v, want %v", dom.Name, s.Kind, s.ID, s.Diff, s.Standing, want)
			}
		}
		if len(dom.Expectations) != 7 || math.IsNaN(dom.Expectations[0].Estimate) {
			t.Errorf("%s: expectation shares missing", dom.Name)
		}
	}
	var sw, est *Table
	for _, tb := range Tables(d, nil) {
		tb := tb
		switch tb.Name {
		case "strengths":
			sw = &tb
		case "estimates":
			est = &tb
		}
	}
	nv := 0
	for _, r := range est.Rows {
		if r[0] == "2021" && r[1] == names[6] && r[3] == "access" {
			nv++
			if r[20] != "9.00" || r[21] != "1.00" || r[23] != "true" {
				t.Errorf("estimates row vs nation %v", r[20:])
			}
		}
		if r[1] == "Cả nước" && r[20] != "" {
			t.Errorf("national row with vs nation %v", r)
		}
	}
	if nv != 1 {
		t.Errorf("%d estimates rows for %s access 2021", nv, names[6])
	}
	if sw == nil || len(sw.Rows) != 7*27 {
		t.Fatalf("strengths table: %v", sw)
	}
	found := 0
	for _, r := range sw.Rows {
		if r[0] == names[6] && r[2] == "access" {
			found++
			if r[4] != "9.00" || r[8] != "strength" {
				t.Errorf("strengths row %v: want diff 9.00, strength", r)
			}
		}
	}
	if found != 1 {
		t.Errorf("%d strengths rows for %s access", found, names[6])
	}
	page := string(render(t, d, &Options{Lang: LangEN}))
	for _, want := range []string{"Strengths and weaknesses", "Vs the nation", "above", "below"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestFromYearsErrors(t *testing.T) {
	if _, err := FromYears(nil, nil); !errors.Is(err, ErrNoYears) {
		t.Errorf("no years: %v", err)
	}
	r := fixtureResult(2020, fixtureNames(2))
	if _, err := FromYears([]YearInput{{Year: 2020, Result: r}, {Year: 2020, Result: r}}, nil); err == nil {
		t.Error("duplicate year accepted")
	}
}

// TestFromYearsOneYearNoTrend: a single year without ranks (NoTrend) still
// orders the domains by estimate, and the page says there is no trend.
func TestFromYearsOneYearNoTrend(t *testing.T) {
	d, err := FromYears([]YearInput{{Year: 0, Result: fixtureResult(2020, fixtureNames(4))}}, &BuildOptions{NoTrend: true})
	if err != nil {
		t.Fatal(err)
	}
	y := d.Latest()
	for i := 1; i < len(y.Domains); i++ {
		if y.Domains[i].SIPAS.Estimate > y.Domains[i-1].SIPAS.Estimate {
			t.Errorf("domains not by estimate: %v", y.Domains)
		}
	}
	page := string(render(t, d, nil))
	if !strings.Contains(page, "Chỉ có một năm") || strings.Contains(page, "(SIPAS) 0") {
		t.Error("one-year page: no-trend note missing or year 0 shown")
	}
}

// TestQuality: the validation counts and response rates reach the data,
// the page and the tables.
func TestQuality(t *testing.T) {
	names := fixtureNames(3)
	var ys []YearInput
	for i, y := range []int{2020, 2021} {
		v := &ballot.Validation{RowsIn: 1000 + i, RowsUsed: 950, RowsExcluded: 50 + i,
			ByReason: map[string]int{ballot.ReasonDuplicateID: 20, ballot.ReasonInvalidCode: 30 + i}}
		nr := &weighting.StepResult{Kind: "nonresponse", ResponseRates: []weighting.ResponseRate{
			// rates as weighting.Nonresponse computes them
			{Class: "Hà Nội", Issued: 400, Returned: 300, Valid: 280, ReturnedRate: 300.0 / 400, ValidRate: 280.0 / 400},
			{Class: "=Huế", Issued: 0, ReturnedRate: math.NaN(), ValidRate: math.NaN()}}}
		ys = append(ys, YearInput{Year: y, Result: fixtureResult(y, names), Validation: v, Nonresponse: nr, Issued: 1250, Returned: 1000 + i})
	}
	d, err := FromYears(ys, nil)
	if err != nil {
		t.Fatal(err)
	}
	q := d.Latest().Quality
	if q.RowsExcluded != 51 || len(q.Excluded) != 2 || q.Excluded[0].Reason != ballot.ReasonDuplicateID || q.Excluded[1].Rows != 31 {
		t.Errorf("quality %+v", q)
	}
	// Hà Nội: 300/400 returned, 280/400 valid; "=Huế": nothing issued.
	if r := q.ResponseRates[0]; r.ResponseRate != 0.75 || r.ValidRate != 0.7 || !math.IsNaN(q.ResponseRates[1].ResponseRate) {
		t.Errorf("response rates %+v", q.ResponseRates)
	}
	page := string(render(t, d, &Options{Lang: LangEN}))
	for _, want := range []string{"Duplicate ballot id", "<td>31</td>", "<td>75.0</td>", "<td>1,001</td>", "<td>80.1</td>"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	tabs := map[string]Table{}
	for _, tb := range Tables(d, nil) {
		tabs[tb.Name] = tb
	}
	if rr := tabs["response_rates"]; len(rr.Rows) != 2 || rr.Rows[0][4] != "75.00" || rr.Rows[1][0] != "'=Huế" || rr.Rows[1][4] != "" {
		t.Errorf("response_rates %v", rr.Rows)
	}
	if ex := tabs["exclusions"]; len(ex.Rows) != 5 || ex.Rows[2][2] != "51" {
		t.Errorf("exclusions %v", ex.Rows)
	}
}

// TestEmptyDomain: a domain with no estimate (NaN, as index.Compute gives
// an empty domain) is listed last, unranked, and every output still
// renders (JSON has no NaN: charts get "-").
func TestEmptyDomain(t *testing.T) {
	names := fixtureNames(4)
	var ys []YearInput
	for _, y := range []int{2020, 2021} {
		res := fixtureResult(y, names)
		for i := range res.Rows {
			r := &res.Rows[i]
			if len(r.Domain) > 0 && r.Domain[0].Value == names[2] {
				r.Estimate, r.SE, r.CILow, r.CIHigh, r.Deff, r.N = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), 0
			}
		}
		ys = append(ys, YearInput{Year: y, Result: res})
	}
	d, err := FromYears(ys, nil)
	if err != nil {
		t.Fatal(err)
	}
	doms := d.Latest().Domains
	last := doms[len(doms)-1]
	if last.Name != names[2] || (last.SIPAS.Trend != nil && last.SIPAS.Trend.Rank != 0) {
		t.Errorf("empty domain %q not last and unranked: %+v", last.Name, last.SIPAS.Trend)
	}
	page := render(t, d, nil)
	for _, m := range optBlock.FindAllSubmatch(page, -1) {
		var v interface{}
		if err := json.Unmarshal(m[2], &v); err != nil {
			t.Fatalf("option %s: %v", m[1], err)
		}
	}
	for _, f := range Figures(d, nil) {
		var b bytes.Buffer
		if err := f.writeSVG(&b, false); err != nil {
			t.Fatal(err)
		}
	}
	for _, tb := range Tables(d, nil) {
		if err := WriteCSV(io.Discard, tb); err != nil {
			t.Fatal(err)
		}
	}
}
