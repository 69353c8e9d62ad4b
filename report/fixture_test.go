package report

import (
	"fmt"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

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

// withDesign records in res the settings of index.Compute under a small
// design (2 strata × 2 PSUs × 2 rows, column weights) whose strata
// column is named strata, as a result made by Compute would: the methods
// note then has a design to describe.
func withDesign(t testing.TB, res *index.Result, strata string, opt index.Options) *index.Result {
	t.Helper()
	mem := memory.DefaultAllocator
	sb := array.NewStringBuilder(mem)
	defer sb.Release()
	pb := array.NewInt64Builder(mem)
	defer pb.Release()
	wb := array.NewFloat64Builder(mem)
	defer wb.Release()
	for i := 0; i < 8; i++ {
		sb.Append([]string{"A", "B"}[i/4])
		pb.Append(int64(i / 2))
		wb.Append(float64(1 + i%3))
	}
	s, p, w := sb.NewArray(), pb.NewArray(), wb.NewArray()
	defer s.Release()
	defer p.Release()
	defer w.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: strata, Type: arrow.BinaryTypes.String}, {Name: "psu", Type: arrow.PrimitiveTypes.Int64},
		{Name: "weight", Type: arrow.PrimitiveTypes.Float64}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{s, p, w}, 8)
	defer rec.Release()
	d, err := sampling.NewDesign(rec, &sampling.DesignOptions{Weight: "weight", Strata: strata, PSU: "psu"})
	if err != nil {
		t.Fatal(err)
	}
	if opt.CI == 0 {
		opt.CI = sampling.Logit
	}
	if opt.Level == 0 {
		opt.Level = 0.95
	}
	res.Design, res.Options = d, opt
	return res
}
