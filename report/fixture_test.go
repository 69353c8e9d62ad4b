package report

import (
	"fmt"
	"math"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/sampling"
)

// fixtureResult makes an index.Result by hand for the domains names (in
// the order index.Compute would give them: sorted), with estimates that
// depend on the domain, the index and the year (so ranks, changes and the
// heatmap differ), SEs of 1.5 and intervals est ± 2·SE.
func fixtureResult(year int, names []string) *index.Result {
	q := index.DefaultQuestionnaire()
	res := &index.Result{Questionnaire: q, DF: 100}
	add := func(dom []sampling.DomainValue, g int) {
		base := 70 + 3*float64(g%7) + 0.5*float64(year-2019)
		row := func(kind, id, el string, k int) {
			est := math.Min(99, base+float64(k%5))
			res.Rows = append(res.Rows, index.Row{Domain: dom, Kind: kind, ID: id, Element: el,
				Estimate: est, SE: 1.5, CILow: est - 3, CIHigh: est + 3, N: 400 + g, Deff: 1.3})
		}
		var sipas float64
		for k, c := range q.Criteria {
			row(index.KindCriterion, c.Column, c.Element, k)
		}
		for k, e := range q.Elements {
			row(index.KindElement, e.ID, "", k)
			sipas += math.Min(99, base+float64(k%5)) / float64(len(q.Elements))
		}
		res.Rows = append(res.Rows, index.Row{Domain: dom, Kind: index.KindSIPAS, ID: "sipas",
			Estimate: sipas, SE: 1.2, CILow: sipas - 2.4, CIHigh: sipas + 2.4, N: 400 + g, Deff: 1.3})
		for k, x := range q.Expectations {
			est := 10 + 5*float64(k)
			res.Rows = append(res.Rows, index.Row{Domain: dom, Kind: index.KindExpectation, ID: x.Column,
				Estimate: est, SE: 1, CILow: est - 2, CIHigh: est + 2, N: 380 + g, Deff: 1.1})
		}
	}
	add(nil, 3)
	for g, n := range names {
		add([]sampling.DomainValue{{Column: "province", Value: n}}, g)
	}
	return res
}

func fixtureNames(k int) []string {
	out := make([]string, k)
	for i := range out {
		out[i] = fmt.Sprintf("Tỉnh %02d", i+1)
	}
	return out
}
