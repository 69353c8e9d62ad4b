package synth

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func benchSurvey(b *testing.B, n int) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		rb, _, err := Survey(SurveyConfig{Seed: 1, Ballots: n}, memory.DefaultAllocator)
		if err != nil {
			b.Fatal(err)
		}
		if rb.NumRows() != int64(n) {
			b.Fatal(rb.NumRows())
		}
		rb.Release()
	}
	b.ReportMetric(float64(n), "ballots/op")
}

// Survey: 63 province strata × 20 PSUs.
func BenchmarkSurvey10k(b *testing.B)  { benchSurvey(b, 10_000) }
func BenchmarkSurvey100k(b *testing.B) { benchSurvey(b, 100_000) }
func BenchmarkSurvey1M(b *testing.B)   { benchSurvey(b, 1_000_000) }

// BenchmarkRespond fields a 1-in-8 sample (37,500 issued) of the default register.
func BenchmarkRespond(b *testing.B) {
	cfg := Config{Seed: 1}
	reg, err := Register(cfg, 2021, memory.DefaultAllocator)
	if err != nil {
		b.Fatal(err)
	}
	defer reg.Release()
	truth := NewTruth(cfg)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sample := reg.NewSlice(0, reg.NumRows()/8)
		res, err := Respond(cfg, 2021, sample, truth, nil, memory.DefaultAllocator)
		sample.Release()
		if err != nil {
			b.Fatal(err)
		}
		res.Release()
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
