package weighting

import (
	"testing"

	"github.com/sipas-go/sipas/internal/catcode"
)

func BenchmarkClassesOf(b *testing.B) {
	rec := catcode.BenchRecord(1_000_000, 1000)
	defer rec.Release()
	for _, col := range []string{"s", "d", "i"} {
		b.Run(col, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ClassesOf(rec, []string{col}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
