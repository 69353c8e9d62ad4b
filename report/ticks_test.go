package report

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/index"
	"gonum.org/v1/plot"
)

// svgTexts are the texts of an SVG document, unescaped.
func svgTexts(svg string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`(?s)<text[^>]*>(.*?)</text>`).FindAllStringSubmatch(svg, -1) {
		out = append(out, html.UnescapeString(strings.TrimSpace(m[1])))
	}
	return out
}

// decimals is the number of decimals of a number written in language l
// ("77,50" in Vietnamese: 2), and whether s is a number at all.
func decimals(l Lang, s string) (int, bool) {
	group, mark := ".", ","
	if l == LangEN {
		group, mark = ",", "."
	}
	num := regexp.MustCompile(`^[−-]?[0-9]{1,3}(` + regexp.QuoteMeta(group) + `[0-9]{3})*(` + regexp.QuoteMeta(mark) + `([0-9]+))?$`)
	m := num.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	return len(m[3]), true
}

// TestPrintTicks reads the tick labels of every print chart (national and
// province, several data ranges, both languages) from its SVG: on an
// axis, a colour bar or a radar's rings of indices, every label has the
// decimals of the kind (one, or none when the step is whole) and the same
// number as its neighbours; no number in any chart of indices has two
// decimals or more ("77,50", which gonum/plot's default ticks wrote on the
// national chart); the counts of the histogram are whole.
func TestPrintTicks(t *testing.T) {
	type set struct {
		name string
		figs func(l Lang) []Figure
	}
	var sets []set
	for _, c := range []struct {
		n     int
		years []int
	}{{5, []int{2019, 2020, 2021}}, {2, []int{2021}}, {63, []int{2020, 2021}}} {
		d := buildData(t, pdfProvinces[:min(c.n, len(pdfProvinces))], c.years)
		if c.n > len(pdfProvinces) {
			d = buildData(t, fixtureNames(c.n), c.years)
		}
		sets = append(sets, set{"national", func(l Lang) []Figure { return Figures(withRates(d, 40), &Options{Lang: l}) }})
	}
	pd := provinceData(t, index.GeoAuto)
	for _, name := range []string{"Hà Nội", "Đà Nẵng", "Cà Mau"} {
		p, err := pd.Province(name)
		if err != nil {
			t.Fatal(err)
		}
		sets = append(sets, set{name, func(l Lang) []Figure { return ProvinceFigures(p, &Options{Lang: l}) }})
	}
	checked := 0
	other := map[Lang]Lang{LangVI: LangEN, LangEN: LangVI}
	for _, l := range []Lang{LangVI, LangEN} {
		for _, s := range sets {
			for _, f := range s.figs(l) {
				var b bytes.Buffer
				if err := f.writeSVG(&b, false); err != nil {
					t.Fatal(err)
				}
				texts := svgTexts(b.String())
				has := map[string]bool{}
				for _, x := range texts {
					has[x] = true
					if _, ok := decimals(other[l], x); ok && strings.ContainsAny(x, ".,") {
						if _, mine := decimals(l, x); !mine {
							t.Errorf("%s %s %s: %q is a number in %s", l, s.name, f.Name, x, other[l])
						}
					}
					if d, ok := decimals(l, x); ok && d >= 2 && f.Name != "ipa" {
						t.Errorf("%s %s %s: %q has %d decimals", l, s.name, f.Name, x, d)
					}
				}
				// The axes' ticks: read from the SVG, one number of
				// decimals per axis.
				if f.p == nil {
					continue
				}
				for _, ax := range []*plot.Axis{&f.p.X, &f.p.Y} {
					if _, named := ax.Tick.Marker.(plot.ConstantTicks); named {
						continue
					}
					dec := -1
					for _, tk := range ax.Tick.Marker.Ticks(ax.Min, ax.Max) {
						if tk.Label == "" {
							continue
						}
						checked++
						if !has[tk.Label] {
							t.Errorf("%s %s %s: tick %q not in the SVG", l, s.name, f.Name, tk.Label)
						}
						d, ok := decimals(l, tk.Label)
						if !ok {
							t.Errorf("%s %s %s: tick %q is not a number in %s", l, s.name, f.Name, tk.Label, l)
							continue
						}
						if dec >= 0 && d != dec {
							t.Errorf("%s %s %s: tick %q has %d decimals, its neighbours %d", l, s.name, f.Name, tk.Label, d, dec)
						}
						dec = d
						if f.Name == "response-rates" && d != 0 {
							t.Errorf("%s %s: count tick %q", l, f.Name, tk.Label)
						}
					}
				}
			}
		}
	}
	if checked < 100 {
		t.Errorf("only %d ticks checked", checked)
	}
}

// TestScaleLabels: one number of decimals for the whole scale (a radar's
// rings from 50: 50,0 62,5 75,0 87,5 100,0; from 60: 60 70 80 90 100).
func TestScaleLabels(t *testing.T) {
	for _, c := range []struct {
		vs   []float64
		want string
	}{
		{[]float64{50, 62.5, 75, 87.5, 100}, "50,0 62,5 75,0 87,5 100,0"},
		{[]float64{60, 70, 80, 90, 100}, "60 70 80 90 100"},
		{[]float64{72.4, 80}, "72,4 80,0"},
	} {
		if got := strings.Join(LangVI.scaleLabels(c.vs), " "); got != c.want {
			t.Errorf("%v: %s, want %s", c.vs, got, c.want)
		}
	}
	ticks := indexTicks{LangVI}.Ticks(77.1, 88.2)
	var got []string
	for _, tk := range ticks {
		got = append(got, tk.Label)
	}
	if strings.Join(got, " ") != "78 80 82 84 86 88" {
		t.Errorf("ticks of 77,1–88,2: %v", got)
	}
	ticks = indexTicks{LangVI}.Ticks(81.1, 82.3)
	got = got[:0]
	for _, tk := range ticks {
		got = append(got, tk.Label)
	}
	if strings.Join(got, " ") != "81,2 81,4 81,6 81,8 82,0 82,2" {
		t.Errorf("ticks of 81,1–82,3: %v", got)
	}
}
