package demo

import (
	"context"
	"testing"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/rank"
)

// BenchmarkRun: the pipeline of the full demo before the trend (3 years,
// 63 provinces, about 40,000 ballots issued a year): register → sample →
// responses → validation → weighting → index.
func BenchmarkRun(b *testing.B) {
	for b.Loop() {
		res, err := Run(context.Background(), Config{})
		if err != nil {
			b.Fatal(err)
		}
		res.Release()
	}
}

// BenchmarkTrend: index.Trend on the demo's three years, with the demo's
// settings (`sipas demo`: by province, Holm, rank sets from 4,000 draws),
// and with the CLI default of 10,000 draws.
func BenchmarkTrend(b *testing.B) {
	res, err := Run(context.Background(), Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer res.Release()
	var ty []index.TrendYear
	for _, y := range res.Years {
		ty = append(ty, index.TrendYear{Year: y.Year, Design: y.Design, Ballots: y.Ballots})
	}
	for _, bc := range []struct {
		name  string
		draws int
	}{{"demo", 4000}, {"draws=10000", 10000}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := index.Trend(context.Background(), ty, nil, &index.TrendOptions{Index: index.Options{By: []string{"province"}},
					Compare: index.CompareOptions{Adjust: rank.AdjustHolm, Rank: rank.Options{Draws: bc.draws}}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
