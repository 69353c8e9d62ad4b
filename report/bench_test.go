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

// BenchmarkPrintFigures: every print chart of 63 provinces × 3 years as
// PNG (300 dpi) and SVG (fonts embedded).
func BenchmarkPrintFigures(b *testing.B) {
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
		for _, f := range Figures(d, nil) {
			if err := f.WritePNG(io.Discard, PrintDPI); err != nil {
				b.Fatal(err)
			}
			if err := f.WriteSVG(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	}
}
