package report

import (
	"image/color"
	"math"
	"strings"

	"golang.org/x/text/unicode/norm"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/sipas-go/sipas/internal/vnmap"
)

// MapFigure returns the print map of SIPAS by province ("map"): the
// provinces filled on the sequential scale of the heatmap (grey
// without data), a colour bar, the Hoàng Sa and Trường Sa labels and the
// attribution of the boundaries (Open Database License). ok is false when
// the latest year's domains are not provinces (the rule of the HTML map:
// provinceDomains). WriteDir writes it with the other print charts.
func MapFigure(data *Data, opt *Options) (f Figure, ok bool) {
	pm, ok := provinceDomains(data)
	if !ok {
		return Figure{}, false
	}
	l := opt.lang()
	y := data.Latest()
	val := map[string]float64{}
	var vals []float64
	for i, d := range y.Domains {
		val[pm.codes[i]] = d.SIPAS.Estimate
		vals = append(vals, d.SIPAS.Estimate)
	}
	lo, hi := colourScale(vals)
	ys := yearSuffix(y)
	feats := vnmap.Features(pm.geo)
	var arch []mapLabel
	for _, a := range vnmap.Archipelagos() {
		arch = append(arch, mapLabel{norm.NFC.String(l.archipelago(a)), a.Lon, a.Lat})
	}
	mf := &mapFig{title: norm.NFC.String(l.text("sec.map") + ys), feats: feats, val: val, lo: lo, hi: hi,
		labels: arch, noData: l.text("map.nodata"), lang: l,
		notes: []string{norm.NFC.String(l.text("map.source")), norm.NFC.String(l.text("map.changes"))}}
	mf.bounds()
	w := 16 * vg.Centimeter
	return Figure{Name: "map", Width: w, Height: mf.height(w), drawFn: mf.draw}, true
}

type mapLabel struct {
	text     string
	lon, lat float64
}

// mapFig draws the print map: an equirectangular projection with the
// longitude scaled by mapAspect (as the HTML map's aspectScale).
type mapFig struct {
	title                  string
	feats                  []vnmap.Feature
	val                    map[string]float64 // by province code; absent: no data
	lo, hi                 float64
	labels                 []mapLabel
	noData                 string
	notes                  []string
	minLon, maxLon, minLat float64
	maxLat                 float64
	lang                   Lang // writes the colour bar's numbers
}

// Margins of the print map (the colour bar on the left, the archipelago
// labels on the right, the title above and the attribution below).
const (
	mapLeft   = 2.6 * vg.Centimeter
	mapRight  = 3.0 * vg.Centimeter
	mapTop    = 1.0 * vg.Centimeter
	mapBottom = 1.0 * vg.Centimeter
)

func (m *mapFig) bounds() {
	m.minLon, m.minLat = math.Inf(1), math.Inf(1)
	m.maxLon, m.maxLat = math.Inf(-1), math.Inf(-1)
	for _, f := range m.feats {
		for _, poly := range f.Polygons {
			for _, p := range poly[0] {
				m.minLon, m.maxLon = math.Min(m.minLon, p.Lon), math.Max(m.maxLon, p.Lon)
				m.minLat, m.maxLat = math.Min(m.minLat, p.Lat), math.Max(m.maxLat, p.Lat)
			}
		}
	}
}

// scale is the length of a degree of latitude for a figure w wide.
func (m *mapFig) scale(w vg.Length) vg.Length {
	return (w - mapLeft - mapRight) / vg.Length((m.maxLon-m.minLon)*mapAspect)
}

func (m *mapFig) height(w vg.Length) vg.Length {
	return mapTop + mapBottom + m.scale(w)*vg.Length(m.maxLat-m.minLat)
}

// color maps an estimate to the 64-colour sequential palette of the
// heatmap (lo light, hi dark).
func (m *mapFig) color(v float64) color.Color {
	pal := seqPalette{}.Colors()
	t := (v - m.lo) / (m.hi - m.lo)
	k := int(math.Round(t * float64(len(pal)-1)))
	k = max(0, min(len(pal)-1, k))
	return pal[k]
}

var (
	mapNoData = color.RGBA{R: 0xe6, G: 0xe6, B: 0xe6, A: 0xff}
	mapBorder = color.RGBA{R: 0x77, G: 0x77, B: 0x77, A: 0xff}
)

func (m *mapFig) draw(c draw.Canvas) {
	c.FillPolygon(color.White, []vg.Point{c.Min, {X: c.Max.X, Y: c.Min.Y}, c.Max, {X: c.Min.X, Y: c.Max.Y}})
	w := c.Max.X - c.Min.X
	s := m.scale(w)
	x0, y0 := c.Min.X+mapLeft, c.Min.Y+mapBottom
	at := func(lon, lat float64) vg.Point {
		return vg.Point{X: x0 + s*vg.Length((lon-m.minLon)*mapAspect), Y: y0 + s*vg.Length(lat-m.minLat)}
	}
	c.FillText(textStyle(11, draw.XCenter, draw.YTop), vg.Point{X: c.Min.X + w/2, Y: c.Max.Y - 4}, m.title)

	paths := make([]vg.Path, len(m.feats))
	for i, f := range m.feats {
		var p vg.Path
		for _, poly := range f.Polygons {
			for _, r := range poly {
				for k, pt := range r[:len(r)-1] {
					if k == 0 {
						p.Move(at(pt.Lon, pt.Lat))
					} else {
						p.Line(at(pt.Lon, pt.Lat))
					}
				}
				p.Close()
			}
		}
		paths[i] = p
		col := color.Color(mapNoData)
		if v, ok := m.val[f.Code]; ok && !math.IsNaN(v) {
			col = m.color(v)
		}
		c.SetColor(col)
		c.Fill(p)
	}
	c.SetColor(mapBorder)
	c.SetLineWidth(vg.Points(0.3))
	for _, p := range paths {
		c.Stroke(p)
	}

	lab := textStyle(7, draw.XLeft, draw.YCenter)
	lab.Color = color.Gray{Y: 0x33}
	for _, a := range m.labels {
		p := at(a.lon, a.lat)
		c.FillText(lab, vg.Point{X: p.X + 3, Y: p.Y}, a.text)
	}

	// Colour bar: 64 bands from lo (bottom) to hi, five ticks.
	bx, by := c.Min.X+0.3*vg.Centimeter, y0+0.8*vg.Centimeter
	bw, bh := 0.35*vg.Centimeter, 4.5*vg.Centimeter
	pal := seqPalette{}.Colors()
	for k, col := range pal {
		yk := by + bh*vg.Length(k)/vg.Length(len(pal))
		yk1 := by + bh*vg.Length(k+1)/vg.Length(len(pal))
		if k+1 < len(pal) {
			yk1 += 0.5 // overlap the next band: no seam in the raster
		}
		c.FillPolygon(col, []vg.Point{{X: bx, Y: yk}, {X: bx + bw, Y: yk}, {X: bx + bw, Y: yk1}, {X: bx, Y: yk1}})
	}
	c.StrokeLines(draw.LineStyle{Color: mapBorder, Width: vg.Points(0.3)},
		[]vg.Point{{X: bx, Y: by}, {X: bx + bw, Y: by}, {X: bx + bw, Y: by + bh}, {X: bx, Y: by + bh}, {X: bx, Y: by}})
	tick := textStyle(7, draw.XLeft, draw.YCenter)
	for k := 0; k <= 4; k++ {
		v := m.lo + (m.hi-m.lo)*float64(k)/4
		yk := by + bh*vg.Length(k)/4
		c.StrokeLine2(draw.LineStyle{Color: color.Black, Width: vg.Points(0.3)}, bx+bw, yk, bx+bw+2, yk)
		c.FillText(tick, vg.Point{X: bx + bw + 3, Y: yk}, m.lang.pct(v))
	}
	c.FillText(textStyle(7, draw.XLeft, draw.YBottom), vg.Point{X: bx, Y: by + bh + 4}, "SIPAS (%)")
	shown := 0
	for _, v := range m.val {
		if !math.IsNaN(v) {
			shown++
		}
	}
	if shown < len(m.feats) {
		ny := by - 0.6*vg.Centimeter
		c.FillPolygon(mapNoData, []vg.Point{{X: bx, Y: ny}, {X: bx + bw, Y: ny}, {X: bx + bw, Y: ny + bw}, {X: bx, Y: ny + bw}})
		c.FillText(tick, vg.Point{X: bx + bw + 3, Y: ny + bw/2}, m.noData)
	}

	// The attribution (ODbL 1.0 §4.3), one line per note.
	note := textStyle(5.5, draw.XLeft, draw.YBottom)
	note.Color = color.Gray{Y: 0x55}
	var lines []string
	for _, t := range m.notes {
		lines = append(lines, wrapText(note, t, w-8)...)
	}
	for i, t := range lines {
		c.FillText(note, vg.Point{X: c.Min.X + 4, Y: c.Min.Y + 3 + vg.Length(len(lines)-1-i)*7}, t)
	}
}

// wrapText breaks t at spaces into lines no wider than width in style
// sty (a word longer than width gets a line of its own).
func wrapText(sty draw.TextStyle, t string, width vg.Length) []string {
	var out []string
	line := ""
	for _, w := range strings.Fields(t) {
		try := w
		if line != "" {
			try = line + " " + w
		}
		if line != "" && sty.Width(try) > width {
			out = append(out, line)
			try = w
		}
		line = try
	}
	if line != "" {
		out = append(out, line)
	}
	return out
}
