package report

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot/vg"
)

// Golden PNGs: the print charts rasterised at a reduced resolution (so
// that the committed files stay small) and compared with a tolerance, so
// that anti-aliasing differences between machines pass while a changed
// chart fails.
const (
	goldenPNGDPI = 72
	// pngTol is the largest difference of a channel (0–255) that counts
	// as the same pixel.
	pngTol = 40
	// pngMaxFrac is the share of differing pixels a match allows.
	pngMaxFrac = 0.002
)

// goldenPNGFigures are the figures with a golden PNG.
var goldenPNGFigures = []string{"national", "ranking", "heatmap", "radars-01", "ipa", "trend", "trend-domains", "expectations", "response-rates"}

// imageDiff is the result of comparing two images.
type imageDiff struct {
	SizeGot, SizeWant image.Point
	Differing, Total  int
	// Diff shows the differing pixels in red over a faded copy of want.
	Diff *image.RGBA
}

func (d imageDiff) sameSize() bool { return d.SizeGot == d.SizeWant }

// match reports whether the sizes are equal and at most maxFrac of the
// pixels differ by more than the tolerance.
func (d imageDiff) match(maxFrac float64) bool {
	return d.sameSize() && float64(d.Differing) <= maxFrac*float64(d.Total)
}

func (d imageDiff) String() string {
	if !d.sameSize() {
		return fmt.Sprintf("size %v, golden %v", d.SizeGot, d.SizeWant)
	}
	return fmt.Sprintf("%d of %d pixels (%.3f%%) differ by more than %d in a channel", d.Differing, d.Total,
		100*float64(d.Differing)/float64(d.Total), pngTol)
}

// compareImages compares got with want pixel by pixel: a pixel differs
// when one of its channels (8-bit R, G, B, A) differs by more than tol.
func compareImages(got, want image.Image, tol int) imageDiff {
	gb, wb := got.Bounds(), want.Bounds()
	d := imageDiff{SizeGot: gb.Size(), SizeWant: wb.Size()}
	if !d.sameSize() {
		return d
	}
	d.Total = wb.Dx() * wb.Dy()
	d.Diff = image.NewRGBA(image.Rect(0, 0, wb.Dx(), wb.Dy()))
	for y := 0; y < wb.Dy(); y++ {
		for x := 0; x < wb.Dx(); x++ {
			g := color.NRGBAModel.Convert(got.At(gb.Min.X+x, gb.Min.Y+y)).(color.NRGBA)
			w := color.NRGBAModel.Convert(want.At(wb.Min.X+x, wb.Min.Y+y)).(color.NRGBA)
			ch := func(a, b uint8) int {
				if a > b {
					return int(a - b)
				}
				return int(b - a)
			}
			if max(ch(g.R, w.R), ch(g.G, w.G), ch(g.B, w.B), ch(g.A, w.A)) > tol {
				d.Differing++
				d.Diff.Set(x, y, color.RGBA{R: 0xff, A: 0xff})
				continue
			}
			grey := uint8(0xc0 + int(w.R/4+w.G/4+w.B/4)/4)
			d.Diff.Set(x, y, color.RGBA{R: grey, G: grey, B: grey, A: 0xff})
		}
	}
	return d
}

func renderPNG(t *testing.T, f Figure, dpi int) (image.Image, []byte) {
	t.Helper()
	var b bytes.Buffer
	if err := f.WritePNG(&b, dpi); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return img, b.Bytes()
}

// checkPNGWidth renders f at PrintDPI and checks that the PNG is the
// figure's width at that resolution (16 cm at 300 dpi = 16/2.54·300 =
// 1889.76 px), to a pixel.
func checkPNGWidth(t *testing.T, f Figure) {
	t.Helper()
	img, _ := renderPNG(t, f, 0)
	want := int(f.Width / vg.Inch * PrintDPI)
	if got := img.Bounds().Dx(); got < want-1 || got > want+1 {
		t.Errorf("%s: PNG %d px wide, want %d", f.Name, got, want)
	}
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./report -run PrintFiguresGoldenPNG -update` to create the goldens)", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// goldenPNGData is the data of the golden PNGs: five provinces with
// Vietnamese names, three years, the importance–performance rows, 40
// weighting classes with response rates.
func goldenPNGData(t *testing.T) *Data {
	names := []string{"Hà Nội", "Thừa Thiên Huế", "Đắk Lắk", "Bà Rịa - Vũng Tàu", "Hồ Chí Minh"}
	return withRates(buildIPAData(t, names, []int{2019, 2020, 2021}), 40)
}

// TestPrintFiguresGoldenPNG compares the PNG of each print figure (at 72
// dpi) with testdata/golden/<name>.png: same size, and at most 0.2% of
// the pixels may differ by more than 40/255 in a channel. On failure the
// PNG and a diff image (differing pixels red) are written to testdata/out.
// After an intended change: `go test ./report -run PrintFiguresGoldenPNG
// -update`, and look at the files.
func TestPrintFiguresGoldenPNG(t *testing.T) {
	figs := map[string]Figure{}
	for _, f := range Figures(goldenPNGData(t), nil) {
		figs[f.Name] = f
	}
	for _, name := range goldenPNGFigures {
		f, ok := figs[name]
		if !ok {
			t.Errorf("no figure %q", name)
			continue
		}
		img, raw := renderPNG(t, f, goldenPNGDPI)
		path := filepath.Join("testdata", "golden", name+".png")
		if *update {
			if err := os.WriteFile(path, raw, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		d := compareImages(img, readPNG(t, path), pngTol)
		if !d.match(pngMaxFrac) {
			out := filepath.Join("testdata", "out")
			os.MkdirAll(out, 0o755)
			os.WriteFile(filepath.Join(out, name+".png"), raw, 0o644)
			if d.Diff != nil {
				var b bytes.Buffer
				png.Encode(&b, d.Diff)
				os.WriteFile(filepath.Join(out, name+"-diff.png"), b.Bytes(), 0o644)
			}
			t.Errorf("%s: %s (written to %s/%s.png and %s-diff.png; -update if intended)", name, d, out, name, name)
		}
	}
}

// TestGoldenPNGDetectsChange proves that the comparison can fail: the
// national figure with one element 2 points higher, or with a province
// renamed in the ranking, differs from its golden; the golden itself
// matches; noise within the tolerance on every pixel, or large noise on
// fewer pixels than allowed, still matches, and the same noise on more
// pixels than allowed does not.
func TestGoldenPNGDetectsChange(t *testing.T) {
	want := readPNG(t, filepath.Join("testdata", "golden", "national.png"))
	d := goldenPNGData(t)
	same, _ := renderPNG(t, Figures(d, nil)[0], goldenPNGDPI)
	if r := compareImages(same, want, pngTol); !r.match(pngMaxFrac) {
		t.Fatalf("unchanged figure: %s", r)
	}

	y := d.Latest()
	y.National.Elements[2].Estimate += 2
	y.National.Elements[2].CILow += 2
	y.National.Elements[2].CIHigh += 2
	changed, _ := renderPNG(t, Figures(d, nil)[0], goldenPNGDPI)
	if r := compareImages(changed, want, pngTol); r.match(pngMaxFrac) {
		t.Errorf("a value moved by 2 points passes: %s", r)
	} else {
		t.Logf("value moved: %s", r)
	}

	wantRank := readPNG(t, filepath.Join("testdata", "golden", "ranking.png"))
	d = goldenPNGData(t)
	d.Latest().Domains[1].Name = "Thừa Thiên Huê"
	var rank Figure
	for _, f := range Figures(d, nil) {
		if f.Name == "ranking" {
			rank = f
		}
	}
	renamed, _ := renderPNG(t, rank, goldenPNGDPI)
	if r := compareImages(renamed, wantRank, pngTol); r.match(pngMaxFrac) {
		t.Errorf("a label with one diacritic changed passes: %s", r)
	} else {
		t.Logf("label changed: %s", r)
	}

	// A different size never matches.
	small, _ := renderPNG(t, Figures(goldenPNGData(t), nil)[0], goldenPNGDPI-1)
	if r := compareImages(small, want, pngTol); r.match(1) {
		t.Errorf("a %v image matches the %v golden", r.SizeGot, r.SizeWant)
	}

	// Noise: every channel of every pixel moved by the tolerance matches;
	// a few pixels changed completely match while they are at most
	// pngMaxFrac of the image, and fail beyond.
	b := want.Bounds()
	noisy := image.NewNRGBA(b)
	for yy := b.Min.Y; yy < b.Max.Y; yy++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(want.At(x, yy)).(color.NRGBA)
			shift := func(v uint8) uint8 {
				if v >= pngTol {
					return v - pngTol
				}
				return v + pngTol
			}
			noisy.SetNRGBA(x, yy, color.NRGBA{R: shift(c.R), G: shift(c.G), B: shift(c.B), A: c.A})
		}
	}
	if r := compareImages(noisy, want, pngTol); !r.match(pngMaxFrac) || r.Differing != 0 {
		t.Errorf("noise within the tolerance: %s", r)
	}
	total := b.Dx() * b.Dy()
	allowed := int(math.Floor(pngMaxFrac * float64(total)))
	flip := func(k int) image.Image {
		img := image.NewNRGBA(b)
		for yy := b.Min.Y; yy < b.Max.Y; yy++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				img.Set(x, yy, want.At(x, yy))
			}
		}
		for i := 0; i < k; i++ {
			x, yy := b.Min.X+(i*7919)%b.Dx(), b.Min.Y+(i*104729/b.Dx())%b.Dy()
			c := color.NRGBAModel.Convert(want.At(x, yy)).(color.NRGBA)
			img.SetNRGBA(x, yy, color.NRGBA{R: 255 - c.R, G: 255 - c.G, B: 255 - c.B, A: 255})
		}
		return img
	}
	if r := compareImages(flip(allowed), want, pngTol); !r.match(pngMaxFrac) {
		t.Errorf("%d changed pixels (allowed %d): %s", r.Differing, allowed, r)
	}
	if r := compareImages(flip(3*allowed+10), want, pngTol); r.match(pngMaxFrac) {
		t.Errorf("%d changed pixels pass (allowed %d)", r.Differing, allowed)
	}
}

// TestPrintPNGResolution: the 300 dpi PNG records its resolution (pHYs,
// 11811 pixels per metre) and has the pixel size of the figure at 300 dpi;
// the reduced golden resolution is recorded too.
func TestPrintPNGResolution(t *testing.T) {
	d := goldenPNGData(t)
	for _, f := range Figures(d, nil) {
		if f.Name != "national" && f.Name != "ipa" {
			continue
		}
		for _, dpi := range []int{0, goldenPNGDPI} {
			img, raw := renderPNG(t, f, dpi)
			want := dpi
			if dpi == 0 {
				want = PrintDPI
			}
			// pHYs holds whole pixels per metre: round(dpi/0.0254).
			ppm := math.Round(float64(want) / 0.0254)
			if got := pngDPI(raw); math.Abs(got-ppm*0.0254) > 1e-9 || math.Abs(got-float64(want)) > 0.01 {
				t.Errorf("%s at %d dpi: pHYs says %v dpi", f.Name, want, got)
			}
			w := float64(f.Width / vg.Inch * vg.Length(want))
			h := float64(f.Height / vg.Inch * vg.Length(want))
			if sz := img.Bounds().Size(); math.Abs(float64(sz.X)-w) > 1 || math.Abs(float64(sz.Y)-h) > 1 {
				t.Errorf("%s at %d dpi: %v px, want %.0f×%.0f", f.Name, want, sz, w, h)
			}
		}
	}
	if pngDPI([]byte("not a png")) != 0 {
		t.Error("pngDPI of garbage")
	}
}
