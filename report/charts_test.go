package report

import (
	"encoding/json"
	"strings"
	"testing"
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
