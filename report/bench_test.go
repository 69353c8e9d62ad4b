package report

import (
	"io"
	"testing"
)

// benchYears is the input of the benchmarks: 63 provinces × 3 years.
func benchYears() []YearInput {
	names := fixtureNames(63)
	var ys []YearInput
	for _, y := range []int{2019, 2020, 2021} {
		ys = append(ys, YearInput{Year: y, Result: fixtureResult(y, names)})
	}
	return ys
}

// benchData is the report data of benchYears.
func benchData(b *testing.B) *Data {
	d, err := FromYears(benchYears(), nil)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkFromYears: 63 provinces × 3 years, ranks and rank sets by
// index.CompareYears (10,000 draws) on SIPAS and the five elements.
func BenchmarkFromYears(b *testing.B) {
	ys := benchYears()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FromYears(ys, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteHTML: the page of 63 provinces × 3 years (69 charts).
func BenchmarkWriteHTML(b *testing.B) {
	d := benchData(b)
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
	d := benchData(b)
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
