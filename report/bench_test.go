package report

import (
	"io"
	"testing"
)

// BenchmarkFromYears: 63 provinces × 3 years, ranks and rank sets by
// index.CompareYears (10,000 draws) on SIPAS and the five elements.
func BenchmarkFromYears(b *testing.B) {
	names := fixtureNames(63)
	var ys []YearInput
	for _, y := range []int{2019, 2020, 2021} {
		ys = append(ys, YearInput{Year: y, Result: fixtureResult(y, names)})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FromYears(ys, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteHTML: the page of 63 provinces × 3 years (69 charts).
func BenchmarkWriteHTML(b *testing.B) {
	names := fixtureNames(63)
	var ys []YearInput
	for _, y := range []int{2019, 2020, 2021} {
		ys = append(ys, YearInput{Year: y, Result: fixtureResult(y, names)})
	}
	d, err := FromYears(ys, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteHTML(io.Discard, d, nil); err != nil {
			b.Fatal(err)
		}
	}
}
