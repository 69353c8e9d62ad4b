package index_test

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/rank"
	"github.com/sipas-go/sipas/internal/synth"
	"github.com/sipas-go/sipas/sampling"
)

// ExampleTrend runs the trend comparison on two independent synthetic
// yearly surveys (strata = provinces, PSUs = communes), by province, with
// Holm's correction, and prints the national SIPAS series and the number
// of output rows (63 provinces + the nation, 28 indices, 2 years).
func ExampleTrend() {
	var years []index.TrendYear
	for _, y := range []int{2020, 2021} {
		rec, _, err := synth.Survey(synth.SurveyConfig{Seed: 1, Year: y, PSUsPerStratum: 4, BallotsPerPSU: 5}, memory.DefaultAllocator)
		if err != nil {
			panic(err)
		}
		defer rec.Release()
		d, err := sampling.NewDesign(rec, &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu"})
		if err != nil {
			panic(err)
		}
		years = append(years, index.TrendYear{Year: y, Design: d, Ballots: rec})
	}
	res, err := index.Trend(context.Background(), years, nil, &index.TrendOptions{
		Index:   index.Options{By: []string{"province"}},
		Compare: index.CompareOptions{Adjust: rank.AdjustHolm, Rank: rank.Options{Draws: 1000}},
	})
	if err != nil {
		panic(err)
	}
	for _, r := range res.Rows {
		if r.National && r.Kind == index.KindSIPAS {
			fmt.Printf("%d SIPAS %.1f (SE %.1f)", r.Year, r.Estimate, r.SE)
			if r.PrevYear != 0 {
				fmt.Printf(", change %+.1f (SE %.1f), significant: %v", r.ChangePrev, r.SEChangePrev, *r.SignificantPrev)
			}
			fmt.Println()
		}
	}
	fmt.Println(len(res.Rows), "rows")
	// Output:
	// 2020 SIPAS 80.2 (SE 1.2)
	// 2021 SIPAS 82.8 (SE 1.1), change +2.6 (SE 1.6), significant: false
	// 3584 rows
}
