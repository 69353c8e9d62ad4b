package rank

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
					if _, err := Domains(est, nil, cov, &Options{Stepdown: sd, TopK: 5, Rand: rng}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
