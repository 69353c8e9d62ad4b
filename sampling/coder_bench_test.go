package sampling

import (
	"testing"

	"github.com/sipas-go/sipas/internal/catcode"
)

func BenchmarkCoder(b *testing.B) {
	rec := catcode.BenchRecord(1_000_000, 1000)
	defer rec.Release()
	for _, col := range []string{"s", "d", "i"} {
		b.Run("desCodes/"+col, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := desCodes(rec, "stratum", col); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("NewDomains/"+col, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := NewDomains(rec, []string{col}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
