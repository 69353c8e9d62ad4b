package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/index"
)

// pageOptions are the chart options of a page, by the text of their title.
func pageOptions(t *testing.T, page []byte) map[string]map[string]interface{} {
	t.Helper()
	out := map[string]map[string]interface{}{}
	for _, m := range optBlock.FindAllSubmatch(page, -1) {
		var o map[string]interface{}
		if err := json.Unmarshal(m[2], &o); err != nil {
			t.Fatal(err)
		}
		var title string
		switch tt := o["title"].(type) {
		case []interface{}:
			title, _ = tt[0].(map[string]interface{})["text"].(string)
		case map[string]interface{}:
			title, _ = tt["text"].(string)
		}
		out[title] = o
	}
	return out
}

// TestTrendLegends: the trend charts name in their legend every line they
// draw in colour, in a legend that is not a scrolling strip (which cut the
// national legend off and showed three of the domains' six lines); the
// domains not named are grey, silent lines.
func TestTrendLegends(t *testing.T) {
	for _, lang := range []Lang{LangVI, LangEN} {
		d := buildData(t, fixtureNames(20), []int{2020, 2021})
		opts := pageOptions(t, render(t, d, &Options{Lang: lang}))
		var nat, dom map[string]interface{}
		for title, o := range opts {
			switch {
			case strings.HasPrefix(title, lang.text("sec.trend")):
				nat = o
			case strings.HasPrefix(title, "SIPAS: "):
				dom = o
			}
		}
		if nat == nil || dom == nil {
			t.Fatalf("%s: trend charts missing", lang)
		}
		for name, o := range map[string]map[string]interface{}{"national": nat, "domains": dom} {
			leg := o["legend"].(map[string]interface{})
			if leg["type"] == "scroll" || leg["show"] == false {
				t.Errorf("%s %s: legend %v", lang, name, leg)
			}
			named := map[string]bool{}
			for _, n := range leg["data"].([]interface{}) {
				named[n.(string)] = true
			}
			colored := 0
			for _, s := range o["series"].([]interface{}) {
				sr := s.(map[string]interface{})
				n, _ := sr["name"].(string)
				if sr["silent"] == true {
					continue // the interval band and the grey lines
				}
				colored++
				if !named[n] {
					t.Errorf("%s %s: line %q is not in the legend", lang, name, n)
				}
			}
			// Each legend row needs its height in the grid's bottom margin.
			grid := o["grid"].(map[string]interface{})
			if b := grid["bottom"].(float64); b < float64(legendRowPx*len(named)) {
				t.Errorf("%s %s: %d legend rows in a bottom margin of %v px", lang, name, len(named), b)
			}
			if name == "domains" && colored != 2*domainTrendShown {
				t.Errorf("%s: %d coloured domain lines, want %d", lang, colored, 2*domainTrendShown)
			}
		}
	}
}

// TestStrengthsRow: a cell names at most swMaxItems indices, elements
// first then criteria by the size of the difference, and counts the
// others; a criterion that is a strength is not listed to fix first.
func TestStrengthsRow(t *testing.T) {
	q := index.DefaultQuestionnaire()
	d := &Domain{Name: "Hà Nội"}
	for k, c := range q.Criteria {
		d.Standings = append(d.Standings, index.StrengthResult{VsNation: index.VsNation{Kind: index.KindCriterion, ID: c.Column, Diff: float64(k + 1), SE: 0.1},
			Standing: index.StandingStrength})
		d.IPA = append(d.IPA, index.IPARow{Criterion: c.Column, IPA: index.IPA{Importance: float64(k), Performance: 50, Quadrant: index.QuadrantFixFirst}})
	}
	e := q.Elements[2]
	d.Standings = append(d.Standings, index.StrengthResult{VsNation: index.VsNation{Kind: index.KindElement, ID: e.ID, Diff: 0.5, SE: 0.1},
		Standing: index.StandingStrength})
	// The first criterion becomes a weakness: the one criterion left to
	// fix first.
	d.Standings[0].Standing, d.Standings[0].Diff = index.StandingWeakness, -3
	r := strengthsRow(LangEN, q, d)
	items := strings.Split(r.Strengths, "; ")
	last := q.Criteria[len(q.Criteria)-1].Column
	if len(items) != swMaxItems || !strings.HasPrefix(items[0], LangEN.indexLabel(q, index.KindElement, e.ID)+" (element)") ||
		items[1] != LangEN.indexLabel(q, index.KindCriterion, last) {
		t.Errorf("strengths %q", r.Strengths)
	}
	more := len(q.Criteria) - 1 + 1 - swMaxItems // 21 criteria and an element
	if !strings.HasSuffix(r.Strengths, fmt.Sprintf(" and %d more", more)) {
		t.Errorf("strengths %q: want the count of %d more", r.Strengths, more)
	}
	if want := LangEN.indexLabel(q, index.KindCriterion, q.Criteria[0].Column); r.FixFirst != want || r.Weaknesses != want {
		t.Errorf("fix first %q, weaknesses %q: want %q alone", r.FixFirst, r.Weaknesses, want)
	}
}

// TestRadarGeometry: the page's and the print radars run the same way
// (ECharts: axis i at 90° + i·360°/n, counter-clockwise from the top),
// the page's axis names end inside a 320 px radar, the first axis carries
// the scale, and the print radars write every axis name whole.
func TestRadarGeometry(t *testing.T) {
	// Counter-clockwise: the second of five axes is up and to the left.
	if a := radarAngle(1, 5); math.Cos(a) >= 0 || math.Sin(a) <= 0 || radarAngle(0, 5) != math.Pi/2 {
		t.Errorf("print radar axis 1 of 5 at %.0f°, want 162° (counter-clockwise as ECharts)", a*180/math.Pi)
	}
	d := buildData(t, fixtureNames(3), []int{2021})
	page := render(t, d, &Options{Lang: LangVI})
	var radar map[string]interface{}
	for _, o := range pageOptions(t, page) {
		if r, ok := o["radar"].(map[string]interface{}); ok {
			radar = r
		}
	}
	if radar == nil {
		t.Fatal("no radar")
	}
	if radar["startAngle"] != 90.0 || radar["clockwise"] != nil {
		t.Errorf("radar direction %v %v", radar["startAngle"], radar["clockwise"])
	}
	frac, err := strconv.ParseFloat(strings.TrimSuffix(radar["radius"].(string), "%"), 64)
	if err != nil {
		t.Fatal(err)
	}
	w := radar["axisName"].(map[string]interface{})["width"].(float64)
	if ext := frac/100*160 + radar["axisNameGap"].(float64) + w; ext > 160 {
		t.Errorf("axis names reach %.0f px from the centre of a 320 px radar", ext)
	}
	if radar["axisName"].(map[string]interface{})["overflow"] != "break" {
		t.Error("axis names are not broken into lines")
	}
	ind := radar["indicator"].([]interface{})
	if al, _ := ind[0].(map[string]interface{})["axisLabel"].(map[string]interface{}); al["show"] != true {
		t.Error("no scale on the first axis")
	}
	for _, f := range Figures(d, nil) {
		if f.Name != "radars-01" {
			continue
		}
		var b bytes.Buffer
		if err := f.writeSVG(&b, false); err != nil {
			t.Fatal(err)
		}
		svg := b.String()
		if strings.Contains(svg, "…") {
			t.Error("a print radar's axis name is cut with …")
		}
		for _, e := range d.Questionnaire.Elements {
			for _, word := range strings.Fields(LangVI.indexLabel(d.Questionnaire, index.KindElement, e.ID)) {
				if !strings.Contains(svg, word) {
					t.Errorf("print radar lacks %q", word)
				}
			}
		}
		// The scale: the rings' values from the common minimum to 100.
		if !strings.Contains(svg, ">100<") {
			t.Error("print radar has no scale")
		}
	}
}

// TestHeatmapHeaders: the heatmap's column names do not print over each
// other on a phone: slanted by r degrees, neighbours in a column w px wide
// lie w·sin r apart across their lines, which must hold the lines a name
// breaks into (two at most: width 130 px at 10 px); with six columns in
// the 390 px viewport less margins and row names (≈ 220 px) w ≈ 36 px.
// Horizontal names (today's r = 0) always overlap once wider than w.
func TestHeatmapHeaders(t *testing.T) {
	for _, lang := range []Lang{LangVI, LangEN} {
		d := buildData(t, fixtureNames(5), []int{2021})
		var heat map[string]interface{}
		for title, o := range pageOptions(t, render(t, d, &Options{Lang: lang})) {
			if strings.HasPrefix(title, lang.text("sec.heatmap")) {
				heat = o
			}
		}
		if heat == nil {
			t.Fatal("no heatmap")
		}
		x := heat["xAxis"].([]interface{})[0].(map[string]interface{})
		al := x["axisLabel"].(map[string]interface{})
		cols := len(x["data"].([]interface{}))
		w := 220.0 / float64(cols)
		r, _ := al["rotate"].(float64)
		lines := 2.0
		if gap := w * math.Sin(r*math.Pi/180); gap < lines*al["lineHeight"].(float64) {
			t.Errorf("%s: %d column names %v° apart by %.1f px across, %v px needed", lang, cols, r, gap, lines*al["lineHeight"].(float64))
		}
		if al["overflow"] != "break" || al["width"].(float64) > 130 {
			t.Errorf("%s: names %v", lang, al)
		}
		// The grid leaves room above the cells for the slanted names.
		top := heat["grid"].(map[string]interface{})["top"].(float64)
		if need := 40 + al["width"].(float64)*math.Sin(r*math.Pi/180); top < need {
			t.Errorf("%s: %v px above the cells, %v needed", lang, top, need)
		}
	}
}
