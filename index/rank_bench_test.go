package index

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// BenchmarkRankDomains: K domains (63 provinces, 34 after 2025, 10),
// 10,000 draws, independent domains, with top-5 probabilities.
func BenchmarkRankDomains(b *testing.B) {
	for _, k := range []int{10, 34, 63} {
		for _, sd := range []bool{false, true} {
			b.Run(fmt.Sprintf("K=%d/stepdown=%v", k, sd), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 2))
				est := make([]float64, k)
				v := make([]float64, k)
				for i := range k {
					est[i] = 75 + 5*rng.NormFloat64()
					v[i] = 1 + rng.Float64()
				}
				cov := mat.NewDiagDense(k, v)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := RankDomains(est, nil, cov, &RankOptions{Stepdown: sd, TopK: 5, Rand: rng}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

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
		if _, err := CompareYears(pts, &TrendOptions{Adjust: AdjustHolm, Rank: RankOptions{Rand: rand.New(rand.NewPCG(1, 1))}}); err != nil {
			b.Fatal(err)
		}
	}
}
