package report_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/report"
	"github.com/sipas-go/sipas/sampling"
)

// Example builds a report from one year's index rows (normally the result
// of index.Compute) and writes its HTML page and tables.
func Example() {
	q := index.DefaultQuestionnaire()
	res := &index.Result{Questionnaire: q, DF: 10}
	for _, p := range []struct {
		name string
		est  float64
	}{{"", 80}, {"Hà Nội", 84}, {"Đà Nẵng", 88}} {
		var dom []sampling.DomainValue
		if p.name != "" {
			dom = []sampling.DomainValue{{Column: "province", Value: p.name}}
		}
		res.Rows = append(res.Rows, index.Row{Domain: dom, Kind: index.KindSIPAS, ID: "sipas",
			Estimate: p.est, SE: 1, CILow: p.est - 2, CIHigh: p.est + 2, N: 500, Deff: 1.2})
	}
	data, err := report.FromYears([]report.YearInput{{Year: 2024, Result: res}}, nil)
	if err != nil {
		panic(err)
	}
	for _, d := range data.Latest().Domains {
		fmt.Printf("%d %s %.0f\n", d.SIPAS.Trend.Rank, d.Name, d.SIPAS.Estimate)
	}
	var page strings.Builder
	if err := report.WriteHTML(&page, data, &report.Options{Lang: report.LangEN}); err != nil {
		panic(err)
	}
	fmt.Println(strings.Contains(page.String(), `data-chart="1"`))
	for _, t := range report.Tables(data, nil) {
		if err := report.WriteCSV(io.Discard, t); err != nil {
			panic(err)
		}
		fmt.Println(t.Name, len(t.Rows))
	}
	// Output:
	// 1 Đà Nẵng 88
	// 2 Hà Nội 84
	// true
	// estimates 3
	// ranking 2
	// ranking_table 2
	// elements 3
}
