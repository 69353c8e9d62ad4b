package demo

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/rank"
	"github.com/sipas-go/sipas/internal/browsertest"
	"github.com/sipas-go/sipas/report"
)

// TestBrowserDemoReport renders the demo pipeline's report (two years of
// the synthetic survey, 63 provinces, with validation and response rates)
// in Vietnamese and in English, and loads it in headless Chromium with the
// network cut, at 390 px (a phone) and 1400 px.
func TestBrowserDemoReport(t *testing.T) {
	bin := browsertest.Chromium(t)
	if testing.Short() {
		t.Skip("the demo pipeline takes a few seconds")
	}
	res, err := Run(context.Background(), Config{Years: []int{2020, 2021}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	// The report as `sipas demo` builds it: trends, ranks with their
	// confidence sets, strengths and weaknesses, importance–performance.
	var surveys []report.Survey
	for _, y := range res.Years {
		surveys = append(surveys, report.Survey{Year: y.Year, Design: y.Design, Ballots: y.Ballots, Validation: y.Validation,
			Nonresponse: y.Nonresponse, Issued: y.Issued, Returned: y.Returned})
	}
	d, err := report.FromSurveys(context.Background(), surveys, &report.SurveyOptions{
		Trend: index.TrendOptions{Index: index.Options{By: []string{"province"}},
			Compare: index.CompareOptions{Adjust: rank.AdjustHolm, Rank: rank.Options{Draws: 1000}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []report.Lang{report.LangVI, report.LangEN} {
		var page bytes.Buffer
		if err := report.WriteHTML(&page, d, &report.Options{Lang: lang}); err != nil {
			t.Fatal(err)
		}
		name := "demo-" + string(lang)
		browsertest.CheckPage(t, bin, page.Bytes(), name, false)
		// A phone (390 px, the page loaded at 1400 px first and narrowed,
		// so that the charts have to follow) and a desktop: no sideways
		// scrolling, every chart drawn, no console message.
		for _, w := range []int{390, 1400} {
			n := fmt.Sprintf("%s-%d", name, w)
			l := browsertest.Measure(t, bin, page.Bytes(), n, w, 4000, true)
			browsertest.CheckLayout(t, n, l, browsertest.Charts(page.Bytes()))
			t.Logf("%s: %d×%d px, sections %v", n, l.ScrollWidth, l.ScrollHeight, l.Sections)
			// The strengths table of 63 provinces was 24,600 px of a
			// 54,400 px page at 1400 px (every strength of the top
			// provinces as run-on text): at most 5 names a cell now.
			if sw := l.Sections["strengths"]; w == 1400 && (sw == 0 || sw > 8000) {
				t.Errorf("%s: the strengths section is %d px high", n, sw)
			}
		}
	}
}
