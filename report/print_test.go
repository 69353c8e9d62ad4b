package report

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
)

var update = flag.Bool("update", false, "rewrite the golden print charts in testdata/golden")

// TestPrintFiguresGolden compares the SVG of every print figure (fonts
// not embedded, so the files stay small and readable) with the committed
// goldens; run `go test ./report -run PrintFiguresGolden -update` after an
// intended change and look at the files.
func TestPrintFiguresGolden(t *testing.T) {
	names := []string{"Hà Nội", "Thừa Thiên Huế", "Đắk Lắk", "Bà Rịa - Vũng Tàu", "Hồ Chí Minh"}
	d := buildData(t, names, []int{2019, 2020, 2021})
	figs := Figures(d, nil)
	// The five names are provinces (1997–2024 geography): a map too.
	var got []string
	for _, f := range figs {
		got = append(got, f.Name)
	}
	if strings.Join(got, " ") != "national ranking ranking-table map heatmap radars-01 trend trend-domains expectations" {
		t.Fatalf("figures %v, want national, ranking, ranking-table, map, heatmap, radars-01, trend, trend-domains, expectations", got)
	}
	for _, f := range figs {
		var b bytes.Buffer
		if err := f.writeSVG(&b, false); err != nil {
			t.Fatal(err)
		}
		// The labels are in the SVG as Vietnamese text.
		if f.Name == "ranking" && !strings.Contains(b.String(), "Thừa Thiên Huế") {
			t.Errorf("%s: Vietnamese label missing", f.Name)
		}
		path := filepath.Join("testdata", "golden", f.Name+".svg")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create the goldens)", err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			got := filepath.Join("testdata", "out", f.Name+".svg")
			os.WriteFile(got, b.Bytes(), 0o644)
			t.Errorf("%s: SVG differs from %s (written to %s; -update if intended)", f.Name, path, got)
		}
	}
}

// TestPrintPNG300dpi checks the PNG size at 300 dpi and that the embedded
// SVG carries the font.
func TestPrintPNG300dpi(t *testing.T) {
	d := buildData(t, fixtureNames(3), []int{2021})
	figs := Figures(d, &Options{Lang: LangEN})
	if len(figs) != 6 {
		t.Fatalf("%d figures, want national, ranking, ranking-table, heatmap, radars-01, expectations (one year: no trend)", len(figs))
	}
	f := figs[0]
	checkPNGWidth(t, f)
	var b bytes.Buffer
	if err := f.WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "@font-face") {
		t.Error("SVG does not embed its font")
	}
}

// TestPrintHostileLabels: labels are XML-escaped in the SVG (a browser
// opening the file runs no script).
func TestPrintHostileLabels(t *testing.T) {
	d := buildData(t, hostile, []int{2021})
	for _, f := range Figures(d, nil) {
		var b bytes.Buffer
		if err := f.writeSVG(&b, false); err != nil {
			t.Fatal(err)
		}
		s := strings.ToLower(b.String())
		if strings.Contains(s, "<script") || strings.Contains(s, "<img") || strings.Contains(s, "<!-- {{") {
			t.Errorf("%s: a label became markup", f.Name)
		}
		if f.Name == "ranking" && !strings.Contains(b.String(), "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: escaped label missing", f.Name)
		}
	}
}

// TestRadarPages: 63 domains give ⌈63/12⌉ = 6 pages of radars, the last
// with 3 radars on one row (0.6 cm + 5.35 cm high).
func TestRadarPages(t *testing.T) {
	d := buildData(t, fixtureNames(63), []int{2021})
	var pages []Figure
	for _, f := range Figures(d, nil) {
		if strings.HasPrefix(f.Name, "radars-") {
			pages = append(pages, f)
		}
	}
	if len(pages) != 6 || pages[5].Name != "radars-06" {
		t.Fatalf("%d radar pages", len(pages))
	}
	if want := 0.6*vg.Centimeter + 5.35*vg.Centimeter; math.Abs(float64(pages[5].Height-want)) > 1e-9 {
		t.Errorf("last page %v high, want %v", pages[5].Height, want)
	}
	var b bytes.Buffer
	if err := pages[5].writeSVG(&b, false); err != nil {
		t.Fatal(err)
	}
	// Pages follow the rank order.
	for _, dom := range d.Latest().Domains[60:] {
		if !strings.Contains(b.String(), dom.Name) {
			t.Errorf("last page lacks %s", dom.Name)
		}
	}
}
