package demo

import (
	"bytes"
	"context"
	"testing"

	"github.com/sipas-go/sipas/internal/browsertest"
	"github.com/sipas-go/sipas/report"
)

// TestBrowserDemoReport renders the demo pipeline's report (two years of
// the synthetic survey, 63 provinces, with validation and response rates)
// and loads it in headless Chromium with the network cut.
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
	var ys []report.YearInput
	for _, y := range res.Years {
		ys = append(ys, report.YearInput{Year: y.Year, Result: y.Index, Validation: y.Validation,
			Nonresponse: y.Nonresponse, Issued: y.Issued, Returned: y.Returned})
	}
	d, err := report.FromYears(ys, &report.BuildOptions{Methods: report.Methods{Weighted: true, Variance: "linearization", CI: "logit",
		Design: "strata: province; PSU: district or commune; nonresponse adjustment by stratum"}})
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := report.WriteHTML(&page, d, nil); err != nil {
		t.Fatal(err)
	}
	browsertest.CheckPage(t, bin, page.Bytes(), "demo-vi", true)
}
