package index

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/synth"
	"github.com/sipas-go/sipas/sampling"
)

// BenchmarkIndex: criterion, element, SIPAS and expectation indices with
// linearized SEs, nationally and by province, on generated ballots (63
// province strata × 20 PSUs). Issue 3 target: ≤ 0.3 s/op at 1M ballots.
func BenchmarkIndex(b *testing.B) {
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			rec, _, err := synth.Survey(synth.SurveyConfig{Seed: 1, Ballots: n}, memory.DefaultAllocator)
			if err != nil {
				b.Fatal(err)
			}
			defer rec.Release()
			d, err := sampling.NewDesign(rec, &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu"})
			if err != nil {
				b.Fatal(err)
			}
			q := DefaultQuestionnaire()
			opt := &Options{By: []string{"province"}}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := Compute(context.Background(), d, rec, q, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
