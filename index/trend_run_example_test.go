package index_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/rank"
	"github.com/sipas-go/sipas/sampling"
)

// exampleBallots makes one year's ballots of a stratified cluster sample:
// provinces as strata, 4 communes (PSUs) per province, 25 ballots per
// commune with a weight, and every criterion of q answered 1..5, satisfied
// (4 or 5) with probability sat[province].
func exampleBallots(q *index.Questionnaire, provinces []string, sat []float64, seed uint64) arrow.RecordBatch {
	rng := rand.New(rand.NewPCG(seed, 1))
	fields := []arrow.Field{
		{Name: "province", Type: arrow.BinaryTypes.String},
		{Name: "psu", Type: arrow.BinaryTypes.String},
		{Name: "weight", Type: arrow.PrimitiveTypes.Float64},
	}
	for _, c := range q.Columns() {
		fields = append(fields, arrow.Field{Name: c, Type: arrow.PrimitiveTypes.Int8})
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema(fields, nil))
	defer b.Release()
	for p, name := range provinces {
		for commune := range 4 {
			for range 25 {
				b.Field(0).(*array.StringBuilder).Append(name)
				b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("%s/%d", name, commune))
				b.Field(2).(*array.Float64Builder).Append(100 + 20*float64(p))
				for c := range q.Columns() {
					code := 1 + rng.IntN(3)
					if rng.Float64() < sat[p] {
						code = 4 + rng.IntN(2)
					}
					b.Field(3 + c).(*array.Int8Builder).Append(int8(code))
				}
			}
		}
	}
	return b.NewRecordBatch()
}

// ExampleTrend compares two independent yearly surveys by province, with
// Holm's correction across the provinces, and prints the national SIPAS
// series, one province's rank with its 95% confidence set, and the number
// of output rows (3 provinces + the nation, 28 indices, 2 years).
func ExampleTrend() {
	q := index.DefaultQuestionnaire()
	provinces := []string{"Hà Nội", "Đà Nẵng", "Cần Thơ"}
	var years []index.TrendYear
	for i, y := range []int{2023, 2024} {
		rec := exampleBallots(q, provinces, []float64{0.70 + 0.05*float64(i), 0.80, 0.60}, uint64(y))
		defer rec.Release()
		d, err := sampling.NewDesign(rec, &sampling.DesignOptions{Weight: "weight", Strata: "province", PSU: "psu"})
		if err != nil {
			panic(err)
		}
		years = append(years, index.TrendYear{Year: y, Design: d, Ballots: rec})
	}
	res, err := index.Trend(context.Background(), years, q, &index.TrendOptions{
		Index:   index.Options{By: []string{"province"}},
		Compare: index.CompareOptions{Adjust: rank.AdjustHolm, Rank: rank.Options{Draws: 1000}},
	})
	if err != nil {
		panic(err)
	}
	for _, r := range res.Rows {
		if r.Kind != index.KindSIPAS {
			continue
		}
		switch {
		case r.National:
			fmt.Printf("%d nation SIPAS %.1f (SE %.1f)", r.Year, r.Estimate, r.SE)
			if r.PrevYear != 0 {
				fmt.Printf(", change %+.1f (SE %.1f), significant: %v", r.ChangePrev, r.SEChangePrev, *r.SignificantPrev)
			}
			fmt.Println()
		case r.Domain == "province=Hà Nội" && r.Year == 2024:
			fmt.Printf("%d Hà Nội SIPAS %.1f, rank %d of %d [%d, %d], vs nation %+.1f (SE %.1f)\n", r.Year, r.Estimate,
				r.Rank, r.RankedDomains, r.RankLow, r.RankHigh, r.VsNation, r.SEVsNation)
		}
	}
	fmt.Println(len(res.Rows), "rows")
	// Output:
	// 2023 nation SIPAS 69.3 (SE 0.7)
	// 2024 nation SIPAS 70.7 (SE 0.4), change +1.4 (SE 0.8), significant: false
	// 2024 Hà Nội SIPAS 74.4, rank 2 of 3 [2, 2], vs nation +3.7 (SE 0.4)
	// 224 rows
}
