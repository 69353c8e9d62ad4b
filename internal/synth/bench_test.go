package synth

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchmarkSurvey generates 1M ballots: 63 province strata × 20 PSUs.
func BenchmarkSurvey1M(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		rb, _, err := Survey(SurveyConfig{Seed: 1, Ballots: 1_000_000}, memory.DefaultAllocator)
		if err != nil {
			b.Fatal(err)
		}
		if rb.NumRows() != 1_000_000 {
			b.Fatal(rb.NumRows())
		}
		rb.Release()
	}
}

func benchRegister(b *testing.B, rows int) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var n int64
		err := RegisterBatches(Config{Seed: 1, TotalRows: rows}, 2021, memory.DefaultAllocator, func(rb arrow.RecordBatch) error {
			n += rb.NumRows()
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if n != int64(rows) {
			b.Fatal(n)
		}
	}
	b.ReportMetric(float64(rows), "rows/op")
}

func BenchmarkRegisterBatches300k(b *testing.B) { benchRegister(b, 300_000) }
func BenchmarkRegisterBatches30M(b *testing.B)  { benchRegister(b, 30_000_000) }
