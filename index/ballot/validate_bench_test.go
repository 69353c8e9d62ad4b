package ballot

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/provinces"
	"github.com/sipas-go/sipas/internal/synth"
)

// BenchmarkValidate validates n random ballots of the default
// questionnaire (22 int8 criteria; about 1 row in 8 excluded).
func BenchmarkValidate(b *testing.B) {
	q := index.DefaultQuestionnaire()
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(7, uint64(n)))
			rec, _ := randomBallots(rng, q, n, memory.DefaultAllocator)
			defer rec.Release()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				v, err := Validate(context.Background(), rec, &ValidateOptions{Questionnaire: q, Province: fakeProvince})
				if err != nil {
					b.Fatal(err)
				}
				v.Release()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkValidateSurvey validates a synthetic survey (internal/synth:
// 63 provinces, 22 int8 criteria with item nonresponse, few exclusions)
// with the province matcher, as `sipas validate` does.
func BenchmarkValidateSurvey(b *testing.B) {
	q := index.DefaultQuestionnaire()
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			rec, _, err := synth.Survey(synth.SurveyConfig{Seed: 1, Ballots: n}, memory.DefaultAllocator)
			if err != nil {
				b.Fatal(err)
			}
			defer rec.Release()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m := provinces.NewMatcher(provinces.Geo1997)
				v, err := Validate(context.Background(), rec, &ValidateOptions{Questionnaire: q, Province: m.Canonical})
				if err != nil {
					b.Fatal(err)
				}
				v.Release()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
