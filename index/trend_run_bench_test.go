package index

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index/rank"
)

// BenchmarkTrend: three synthetic years of 40,000 ballots (63 provinces ×
// 20 communes), by province, Holm, with rank draws of 10,000 (the CLI
// default) and 100 (to separate the rank simulation from the index and
// province − nation computations).
func BenchmarkTrend(b *testing.B) {
	years, _, done := trendSynthYears(b, memory.DefaultAllocator, []int{2019, 2020, 2021}, 20, 0)
	defer done()
	for _, draws := range []int{100, 10000} {
		b.Run(fmt.Sprintf("draws=%d", draws), func(b *testing.B) {
			for b.Loop() {
				if _, err := Trend(context.Background(), years, nil, &TrendOptions{Index: Options{By: []string{"province"}},
					Compare: CompareOptions{Adjust: rank.AdjustHolm, Rank: rank.Options{Draws: draws}}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
