package rank

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/sipas-go/sipas/internal/heappeak"
)

// BenchmarkRankDomains: K domains (63 provinces, 34 after 2025, 10),
// 10,000 draws, independent domains, with top-5 probabilities.
func BenchmarkRankDomains(b *testing.B) {
	for _, k := range []int{10, 34, 63} {
		for _, sd := range []bool{false, true} {
			b.Run(fmt.Sprintf("K=%d/stepdown=%v", k, sd), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 2))
				est, cov := independentDomains(k, rng)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := Domains(est, nil, cov, &Options{Stepdown: sd, TopK: 5, Rand: rng}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkRankDomainsMany: the K of a ranking of communes (1,260) and of
// units (2,000) besides 250, independent domains, 1,000 draws: time grows
// with the K²/2 pairs of every draw, the peak heap (peak-MB) no faster
// than K.
func BenchmarkRankDomainsMany(b *testing.B) {
	for _, k := range []int{250, 1260, 2000} {
		b.Run(fmt.Sprintf("K=%d", k), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			est, cov := independentDomains(k, rng)
			b.ReportAllocs()
			var peak uint64
			for b.Loop() {
				peak = max(peak, heappeak.Peak(func() {
					if _, err := Domains(est, nil, cov, &Options{Draws: 1000, Rand: rng}); err != nil {
						b.Fatal(err)
					}
				}))
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
		})
	}
}

// independentDomains draws K estimates around 75 (SD 5) with independent
// errors of variance in [1, 2).
func independentDomains(k int, rng *rand.Rand) ([]float64, *mat.DiagDense) {
	est := make([]float64, k)
	v := make([]float64, k)
	for i := range k {
		est[i] = 75 + 5*rng.NormFloat64()
		v[i] = 1 + rng.Float64()
	}
	return est, mat.NewDiagDense(k, v)
}
