package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/rank"
	"github.com/sipas-go/sipas/internal/browsertest"
	"github.com/sipas-go/sipas/sampling"
)

// fixtureIPA makes importance–performance rows for the nation and the
// domains names as index.ImportancePerformanceOf returns them: per domain,
// 300 respondents whose satisfied indicators follow a common latent mood
// with criterion-specific levels and loadings (PCG seeded by the domain),
// analysed by index.ImportancePerformance.
func fixtureIPA(names []string) []index.IPARow {
	q := index.DefaultQuestionnaire()
	var out []index.IPARow
	one := func(dom []sampling.DomainValue, g int) {
		r := rand.New(rand.NewPCG(uint64(g), 7))
		n := 300
		sat := make([][]float64, len(q.Criteria))
		w := make([]float64, n)
		mood := make([]float64, n)
		for i := range mood {
			mood[i] = r.NormFloat64()
			w[i] = 1 + r.Float64()
		}
		for c := range sat {
			sat[c] = make([]float64, n)
			level := 1.2 + 0.1*float64((c*7+g)%9)
			load := 0.3 + 0.15*float64((c*5+g)%7)
			for i := range sat[c] {
				if r.Float64() < 1/(1+math.Exp(-(level+load*mood[i]))) {
					sat[c][i] = 1
				}
			}
		}
		for c, res := range index.ImportancePerformance(sat, w) {
			out = append(out, index.IPARow{Domain: dom, Criterion: q.Criteria[c].Column, Element: q.Criteria[c].Element, N: n, IPA: res})
		}
	}
	one(nil, 100)
	for g, nm := range names {
		one([]sampling.DomainValue{{Column: "province", Value: nm}}, g)
	}
	return out
}

// buildIPAData is buildData with the importance–performance rows in the
// latest year (plus rows of a domain the results do not have).
func buildIPAData(t *testing.T, names []string, years []int) *Data {
	t.Helper()
	var ys []YearInput
	for i, y := range years {
		in := YearInput{Year: y, Result: fixtureResult(y, names)}
		if i == len(years)-1 {
			in.IPA = append(fixtureIPA(names), index.IPARow{Domain: []sampling.DomainValue{{Column: "province", Value: "nowhere"}},
				Criterion: "access_1", IPA: index.IPA{Importance: 0.5, Performance: 50, Quadrant: index.QuadrantFixFirst}})
		}
		ys = append(ys, in)
	}
	d, err := FromYears(ys, &BuildOptions{TrendOptions: &index.CompareOptions{Adjust: rank.AdjustHolm, Rank: rank.Options{Draws: 2000}}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestIPAData: FromYears attaches each domain's rows (the 22 criteria in
// order), leaves out the rows of unknown domains, and years without the
// input have none.
func TestIPAData(t *testing.T) {
	names := fixtureNames(4)
	d := buildIPAData(t, names, []int{2020, 2021})
	y := d.Latest()
	if len(y.National.IPA) != 22 || y.National.IPA[0].Criterion != "access_1" || y.National.IPA[0].DomainKey() != "" {
		t.Fatalf("national IPA %d rows", len(y.National.IPA))
	}
	for _, dom := range y.Domains {
		if len(dom.IPA) != 22 {
			t.Errorf("%s: %d IPA rows", dom.Name, len(dom.IPA))
		}
		for _, r := range dom.IPA {
			if r.DomainKey() != dom.Key {
				t.Errorf("%s holds a row of %s", dom.Key, r.DomainKey())
			}
		}
	}
	if d.Years[0].National.IPA != nil {
		t.Error("2020 has IPA rows it was not given")
	}
	// Every quadrant occurs nationally (so the chart and table show them).
	seen := map[index.Quadrant]bool{}
	for _, r := range y.National.IPA {
		seen[r.Quadrant] = true
	}
	for _, q := range quadrants {
		if !seen[q] {
			t.Errorf("fixture has no %s criterion nationally", q)
		}
	}
}

// TestIPAHTML: the section lists the nation's criteria with "fix first"
// first (then by importance), the chart option holds one point per
// criterion named by its code, dashed lines at the means and the quadrant
// names, in Vietnamese by default and in English on request; the
// strengths table lists each domain's "fix first" criteria.
func TestIPAHTML(t *testing.T) {
	names := fixtureNames(3)
	d := buildIPAData(t, names, []int{2021})
	nat := d.Latest().National.IPA
	mi, mp := ipaMeans(nat)
	for _, lang := range []Lang{LangVI, LangEN} {
		p := buildPage(d, &Options{Lang: lang})
		if p.IPA == nil || len(p.IPA.Rows) != 22 {
			t.Fatalf("%s: IPA section %+v", lang, p.IPA)
		}
		// Sorted: quadrant order, importance descending within.
		last, lastImp := -1, math.Inf(1)
		for _, r := range p.IPA.Rows {
			k := -1
			for i, q := range quadrants {
				if "q-"+q.String() == r.Class {
					k = i
				}
			}
			var imp float64
			for _, x := range nat {
				if x.Criterion == r.Code {
					imp = x.Importance
				}
			}
			if k < last || (k == last && imp > lastImp) {
				t.Errorf("%s: row %s out of order", lang, r.Code)
			}
			last, lastImp = k, imp
		}
		if p.IPA.Rows[0].Class != "q-fix_first" {
			t.Errorf("%s: first row %+v, want a fix-first criterion", lang, p.IPA.Rows[0])
		}
		var opt map[string]interface{}
		if err := json.Unmarshal(p.IPA.Chart.Option, &opt); err != nil {
			t.Fatal(err)
		}
		series := opt["series"].([]interface{})
		pts := series[0].(map[string]interface{})["data"].([]interface{})
		// Points are named by the criteria's short names, never by their
		// column ids; no label is hidden.
		if len(pts) != 22 || pts[0].(map[string]interface{})["name"] != lang.shortCriterion(d.Questionnaire, "access_1") {
			t.Errorf("%s: %d points, first %v", lang, len(pts), pts[0])
		}
		for _, pt := range pts {
			if n := pt.(map[string]interface{})["name"].(string); strings.Contains(n, "_") {
				t.Errorf("%s: point named %q", lang, n)
			}
		}
		if lay := series[0].(map[string]interface{})["labelLayout"].(map[string]interface{}); lay["hideOverlap"] == true {
			t.Errorf("%s: overlapping labels are hidden", lang)
		}
		// Regular ticks: the axis ends are multiples of the interval.
		for _, ax := range []string{"xAxis", "yAxis"} {
			a := opt[ax].([]interface{})[0].(map[string]interface{})
			iv := a["interval"].(float64)
			for _, end := range []string{"min", "max"} {
				if v := a[end].(float64) / iv; math.Abs(v-math.Round(v)) > 1e-6 {
					t.Errorf("%s: %s %s %v is not a multiple of the interval %v", lang, ax, end, a[end], iv)
				}
			}
		}
		ml := series[0].(map[string]interface{})["markLine"].(map[string]interface{})
		lines := ml["data"].([]interface{})
		if x := lines[0].(map[string]interface{})["xAxis"].(float64); math.Abs(x-mp) > 0.006 {
			t.Errorf("%s: vertical line at %v, mean performance %v", lang, x, mp)
		}
		if y := lines[1].(map[string]interface{})["yAxis"].(float64); math.Abs(y-mi) > 0.0006 {
			t.Errorf("%s: horizontal line at %v, mean importance %v", lang, y, mi)
		}
		if ml["lineStyle"].(map[string]interface{})["type"] != "dashed" {
			t.Errorf("%s: mean lines not dashed", lang)
		}
		corners := series[1].(map[string]interface{})["data"].([]interface{})
		if len(corners) != 4 || corners[0].(map[string]interface{})["name"] != lang.text("quad.fix_first") {
			t.Errorf("%s: quadrant names %v", lang, corners)
		}
		page := string(render(t, d, &Options{Lang: lang}))
		for _, want := range []string{`id="ipa"`, lang.text("sec.ipa"), lang.text("col.fix_first"), lang.text("quad.keep_up")} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: page lacks %q", lang, want)
			}
		}
	}
	// The strengths table's "fix first" column of a domain.
	p := buildPage(d, nil)
	for _, dom := range d.Latest().Domains {
		var want []string
		for _, r := range ipaSorted(dom.IPA) {
			if r.Quadrant == index.QuadrantFixFirst {
				want = append(want, LangVI.indexLabel(d.Questionnaire, index.KindCriterion, r.Criterion))
			}
		}
		found := false
		for _, r := range p.Strengths {
			if r.Name == dom.Name {
				found = true
				// At most swMaxItems names, then a count (TestStrengthsRow).
				if r.FixFirst != LangVI.capList(want) || len(want) == 0 {
					t.Errorf("%s: fix first %q, want %q", dom.Name, r.FixFirst, want)
				}
			}
		}
		if !found {
			t.Errorf("%s: no row in the strengths table", dom.Name)
		}
	}
	// Without IPA input there is no section and no column.
	p = buildPage(buildData(t, names, []int{2021}), nil)
	if p.IPA != nil || p.HasIPA {
		t.Error("IPA section without input")
	}
}

// TestIPATable: the "ipa" CSV table has every criterion of the nation and
// each domain with its importance, performance and quadrant.
func TestIPATable(t *testing.T) {
	names := fixtureNames(3)
	d := buildIPAData(t, names, []int{2021})
	var tab *Table
	for _, x := range Tables(d, &Options{Lang: LangEN}) {
		if x.Name == "ipa" {
			tab = &x
		}
	}
	if tab == nil {
		t.Fatal("no ipa table")
	}
	if len(tab.Rows) != 22*4 {
		t.Fatalf("%d rows", len(tab.Rows))
	}
	nat := d.Latest().National.IPA
	for c, r := range tab.Rows[:22] {
		x := nat[c]
		if r[0] != "Nation" || r[1] != x.Criterion || r[5] != f4(x.Importance) || r[6] != f2(x.Performance) ||
			r[7] != x.Quadrant.String() || r[8] != LangEN.quadrantName(x.Quadrant) {
			t.Errorf("row %d: %v, want %+v", c, r, x)
		}
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, *tab); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "fix_first") {
		t.Error("CSV lacks the quadrant codes")
	}
	for _, x := range Tables(buildData(t, names, []int{2021}), nil) {
		if x.Name == "ipa" {
			t.Error("ipa table without input")
		}
	}
}

// TestIPAFigure: the print chart comes before the trend, holds the codes
// and the quadrant names, and is left out without input.
func TestIPAFigure(t *testing.T) {
	d := buildIPAData(t, fixtureNames(3), []int{2020, 2021})
	figs := Figures(d, &Options{Lang: LangEN})
	k := -1
	for i, f := range figs {
		if f.Name == "ipa" {
			k = i
		}
	}
	if k < 0 || k+1 >= len(figs) || figs[k+1].Name != "trend" {
		t.Fatalf("figures %v", figNames(figs))
	}
	var b bytes.Buffer
	if err := figs[k].writeSVG(&b, false); err != nil {
		t.Fatal(err)
	}
	// Every criterion is labelled with its short name (none dropped).
	shown := 0
	for _, r := range d.Latest().National.IPA {
		if strings.Contains(b.String(), ">"+LangEN.shortCriterion(d.Questionnaire, r.Criterion)+"<") {
			shown++
		}
	}
	if shown != 22 {
		t.Errorf("%d of 22 criteria named", shown)
	}
	for _, want := range []string{"Fix first", "Keep up the good work", "Low priority", "Possible overkill", "Importance (correlation)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	for _, f := range Figures(buildData(t, fixtureNames(3), []int{2021}), nil) {
		if f.Name == "ipa" {
			t.Error("ipa figure without input")
		}
	}
}

// TestIPAUndefined: when no criterion of the nation has a defined
// importance (e.g. every respondent satisfied with everything: no
// variance), the HTML page and the print figure are still written — the
// points and mean lines are left out (NaN is no JSON number) and the table
// lists the criteria with "–".
func TestIPAUndefined(t *testing.T) {
	q := index.DefaultQuestionnaire()
	var rows []index.IPARow
	for _, c := range q.Criteria {
		rows = append(rows, index.IPARow{Criterion: c.Column, Element: c.Element, N: 3,
			IPA: index.IPA{Importance: math.NaN(), Performance: 100, Quadrant: index.QuadrantUnknown}})
	}
	d, err := FromYears([]YearInput{{Year: 2021, Result: fixtureResult(2021, fixtureNames(2)), IPA: rows}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := buildPage(d, &Options{Lang: LangEN})
	if p.IPA == nil || len(p.IPA.Rows) != len(q.Criteria) || p.IPA.Rows[0].Importance != "–" {
		t.Fatalf("IPA section %+v", p.IPA)
	}
	var opt map[string]interface{}
	if err := json.Unmarshal(p.IPA.Chart.Option, &opt); err != nil {
		t.Fatal(err)
	}
	s0 := opt["series"].([]interface{})[0].(map[string]interface{})
	if pts, _ := s0["data"].([]interface{}); len(pts) != 0 {
		t.Errorf("%d points drawn", len(pts))
	}
	if lines := s0["markLine"].(map[string]interface{})["data"].([]interface{}); len(lines) != 0 {
		t.Errorf("mean lines %v", lines)
	}
	if err := WriteHTML(io.Discard, d, nil); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range Figures(d, nil) {
		if f.Name == "ipa" {
			n++
			if err := f.writeSVG(io.Discard, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d ipa figures", n)
	}
}

func figNames(figs []Figure) []string {
	var s []string
	for _, f := range figs {
		s = append(s, f.Name)
	}
	return s
}

// TestBrowserIPA loads a page with the importance–performance section
// (and hostile domain names in the "fix first" column) in headless
// Chromium with the network cut: every chart renders, the console is
// silent, no injected script runs.
func TestBrowserIPA(t *testing.T) {
	bin := browsertest.Chromium(t)
	if testing.Short() {
		t.Skip("starts a browser")
	}
	names := append([]string{"Hà Nội", "Thừa Thiên Huế"}, hostile...)
	browsertest.CheckPage(t, bin, render(t, buildIPAData(t, names, []int{2020, 2021}), &Options{Lang: LangEN}), "ipa-en", false)
}

// TestIPAPlaceLabels: every label is placed (none dropped, as the
// labels of criteria with nearly equal values were); a label whose line
// is free stays at its point, one that would print over an earlier one
// moves to a free line nearby and gets a leader line; no two placed
// labels overlap.
func TestIPAPlaceLabels(t *testing.T) {
	in := plotter.XYLabels{
		XYs:    []plotter.XY{{X: 84, Y: 0.48}, {X: 84.1, Y: 0.4801}, {X: 84, Y: 0.47}, {X: 70, Y: 0.48}, {X: 89, Y: 0.48}},
		Labels: []string{"Enough seats", "Explain fully", "Equipment easy to use", "Feedback channel", "Information accurate"},
	}
	got, moved := ipaPlaceLabels(in, 70, 90, 0.44, 0.51)
	if strings.Join(got.Labels, "|") != strings.Join(in.Labels, "|") {
		t.Fatalf("labels %v", got.Labels)
	}
	if fmt.Sprint(moved) != "[false true false false false]" {
		t.Errorf("moved %v: only the second label shares a line with an earlier one", moved)
	}
	for i, xy := range got.XYs {
		if xy.X != in.XYs[i].X || moved[i] == (xy.Y == in.XYs[i].Y) {
			t.Errorf("label %d at %v, point %v, moved %v", i, xy, in.XYs[i], moved[i])
		}
	}
	// The moved label is at least a line (7 pt of 269 pt for 0.07) away
	// from the first.
	if d := math.Abs(got.XYs[1].Y - got.XYs[0].Y); d < 7.0/269*0.07-1e-12 {
		t.Errorf("labels 0 and 1 are %.5f apart", d)
	}
}
