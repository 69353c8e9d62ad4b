package index

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/sipas-go/sipas/index/rank"
)

// BenchmarkCompareYears: 63 provinces + nation × 28 indices (22 criteria,
// 5 elements, SIPAS) × 3 years, default 10,000 draws, single step.
func BenchmarkCompareYears(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	var pts []TrendPoint
	for y := 2019; y <= 2021; y++ {
		for ix := range 28 {
			for p := -1; p < 63; p++ {
				pts = append(pts, TrendPoint{
					Domain: fmt.Sprintf("p%02d", p), National: p < 0,
					Kind: "criterion", ID: fmt.Sprintf("c%02d", ix), Year: y,
					Estimate: 75 + 5*rng.NormFloat64(), SE: 1 + rng.Float64(),
					VsNation: rng.NormFloat64(), SEVsNation: 1,
				})
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CompareYears(pts, &CompareOptions{Adjust: rank.AdjustHolm, Rank: rank.Options{Rand: rand.New(rand.NewPCG(1, 1))}}); err != nil {
			b.Fatal(err)
		}
	}
}
