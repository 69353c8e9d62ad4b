package index

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchmarkValidateBallots validates n random ballots of the default
// questionnaire (22 int8 criteria; about 1 row in 8 excluded).
func BenchmarkValidateBallots(b *testing.B) {
	q := DefaultQuestionnaire()
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(7, uint64(n)))
			rec, _ := randomBallots(rng, q, n, memory.DefaultAllocator)
			defer rec.Release()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				v, err := ValidateBallots(rec, ValidateOptions{Questionnaire: q, Province: fakeProvince}, nil)
				if err != nil {
					b.Fatal(err)
				}
				v.Release()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
