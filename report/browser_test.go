package report

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/sipas-go/sipas/internal/browsertest"
)

// TestBrowserHostileLabels loads a page (in English; the demo page is in
// Vietnamese) whose domain names try to inject script: nothing runs (the
// title stays), every chart renders.
func TestBrowserHostileLabels(t *testing.T) {
	bin := browsertest.Chromium(t)
	names := append([]string{`</script><script>document.title="PWNED"</script>`,
		`"__f__function(){document.title='PWNED'}__f__"`, `<img src=x onerror="document.title='PWNED'">`}, hostile...)
	browsertest.CheckPage(t, bin, render(t, buildData(t, names, []int{2020, 2021}), &Options{Lang: LangEN}), "hostile-en", true)
}

// TestBrowserMap loads a page whose domains are three provinces of 2025
// with markup characters in their names (hostileProvinces): the map of the
// 34 is registered and drawn — its canvas is there and the screenshot
// holds the grey (#e6e6e6) of the 31 provinces without data, a colour no
// other chart uses — no console message, no script ran.
func TestBrowserMap(t *testing.T) {
	bin := browsertest.Chromium(t)
	d := buildData(t, hostileProvinces, []int{2025})
	page := render(t, d, &Options{Lang: LangEN})
	id, _ := mapOption(t, page)
	browsertest.CheckPage(t, bin, page, "map-2025-en", true)
	f, err := os.Open(filepath.Join("testdata", "out", "map-2025-en.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	grey := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 == 0xe6 && g>>8 == 0xe6 && bl>>8 == 0xe6 {
				grey++
			}
		}
	}
	// The 31 grey provinces cover most of a map some 450 px tall and
	// 350 px wide: tens of thousands of pixels.
	if grey < 10000 {
		t.Errorf("%d pixels of the no-data grey: the map of %s was not drawn", grey, id)
	}
	t.Logf("map %s: %d no-data pixels", id, grey)
}

// TestBrowserProvince loads a province's page (with its breakdown by
// level, the widest of its tables) in Vietnamese and English, at 390 px
// (a phone; the page loaded at 1400 px first and narrowed, so that the
// charts have to follow) and 1400 px: no sideways scrolling of the page
// (document.documentElement.scrollWidth <= innerWidth), every chart
// drawn, no console message.
func TestBrowserProvince(t *testing.T) {
	bin := browsertest.Chromium(t)
	p, err := provinceDataWithin(t).Province("Thừa Thiên Huế")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []Lang{LangVI, LangEN} {
		var page bytes.Buffer
		if err := WriteProvinceHTML(&page, p, &Options{Lang: l}); err != nil {
			t.Fatal(err)
		}
		charts := browsertest.Charts(page.Bytes())
		if charts < 2 {
			t.Fatalf("%d charts on the province page", charts)
		}
		name := "province-" + string(l)
		browsertest.CheckPage(t, bin, page.Bytes(), name, false)
		for _, w := range []int{390, 1400} {
			n := fmt.Sprintf("%s-%d", name, w)
			lay := browsertest.Measure(t, bin, page.Bytes(), n, w, 4000, true)
			browsertest.CheckLayout(t, n, lay, charts)
			t.Logf("%s: %d×%d px, sections %v", n, lay.ScrollWidth, lay.ScrollHeight, lay.Sections)
		}
	}
}
