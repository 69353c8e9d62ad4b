package report

import (
	"fmt"
	"image/color"
	"math"

	"golang.org/x/text/unicode/norm"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// radarsPerPage is the number of radars on one print page (3 columns × 4
// rows).
const radarsPerPage = 12

// radarFigures draws a radar per domain against the nation, 12 to a page
// (figures "radars-01", "radars-02", …). Axes run from min to 100, as in
// the HTML radars.
func radarFigures(l Lang, axes []string, names []string, dom [][]float64, nat []float64, min float64, domainLabel, nationName string) []Figure {
	var out []Figure
	for start := 0; start < len(names); start += radarsPerPage {
		end := start + radarsPerPage
		if end > len(names) {
			end = len(names)
		}
		page := start/radarsPerPage + 1
		n, d := names[start:end], dom[start:end]
		rows := (len(n) + 2) / 3
		out = append(out, Figure{Name: fmt.Sprintf("radars-%02d", page), Width: 16 * vg.Centimeter,
			Height: 0.6*vg.Centimeter + vg.Length(rows)*5.35*vg.Centimeter,
			drawFn: func(c draw.Canvas) {
				c.FillPolygon(color.White, []vg.Point{c.Min, {X: c.Max.X, Y: c.Min.Y}, c.Max, {X: c.Min.X, Y: c.Max.Y}})
				tiles := draw.Tiles{Cols: 3, Rows: rows, PadTop: 4, PadBottom: 14, PadLeft: 4, PadRight: 4, PadX: 6, PadY: 6}
				for i := range n {
					drawRadar(l, tiles.At(c, i%3, i/3), norm.NFC.String(n[i]), axes, d[i], nat, min)
				}
				key := textStyle(6, draw.XLeft, draw.YBottom)
				c.FillText(key, vg.Point{X: c.Min.X + 4, Y: c.Min.Y + 2}, norm.NFC.String(fmt.Sprintf("— %s   - - %s   (%.0f–100)", domainLabel, nationName, min)))
			}})
	}
	return out
}

func textStyle(size vg.Length, xa text.XAlignment, ya text.YAlignment) draw.TextStyle {
	st := draw.TextStyle{Color: color.Black, Font: sans, XAlign: xa, YAlign: ya,
		Handler: plot.DefaultTextHandler}
	st.Font.Size = size
	return st
}

// radarAngle is the angle of axis j of k: the first at the top, the
// others counter-clockwise, as ECharts draws the page's radars
// (radarIndicators).
func radarAngle(j, k int) float64 { return math.Pi/2 + 2*math.Pi*float64(j)/float64(k) }

// drawRadar draws one radar in c: the domain (filled, green) over the
// nation (dashed, blue), rings at quarter steps from min to 100 with
// their values on the first axis (the scale), and the axis names whole,
// broken into lines.
func drawRadar(l Lang, c draw.Canvas, title string, axes []string, dom, nat []float64, min float64) {
	k := len(axes)
	titleH := vg.Length(10)
	w, h := c.Max.X-c.Min.X, c.Max.Y-c.Min.Y-titleH
	r := 0.25 * vg.Length(math.Min(float64(w), float64(h)))
	cx, cy := c.Min.X+w/2, c.Min.Y+h/2
	c.FillText(textStyle(7, draw.XCenter, draw.YTop), vg.Point{X: cx, Y: c.Max.Y}, title)
	at := func(j int, v float64) vg.Point {
		if math.IsNaN(v) || v < min {
			v = min
		}
		f := (v - min) / (100 - min)
		a := radarAngle(j, k)
		return vg.Point{X: cx + r*vg.Length(f*math.Cos(a)), Y: cy + r*vg.Length(f*math.Sin(a))}
	}
	grey := draw.LineStyle{Color: color.Gray{Y: 0xcc}, Width: vg.Points(0.4)}
	for q := 1; q <= 4; q++ {
		v := min + (100-min)*float64(q)/4
		ring := make([]vg.Point, k+1)
		for j := 0; j <= k; j++ {
			ring[j] = at(j%k, v)
		}
		c.StrokeLines(grey, ring)
	}
	scale := textStyle(3.8, draw.XLeft, draw.YCenter)
	scale.Color = color.Gray{Y: 0x77}
	rings := make([]float64, 5)
	for q := range rings {
		rings[q] = min + (100-min)*float64(q)/4
	}
	for q, lab := range l.scaleLabels(rings) {
		p := at(0, rings[q])
		c.FillText(scale, vg.Point{X: p.X + 1.5, Y: p.Y}, lab)
	}
	label := textStyle(4.5, draw.XCenter, draw.YCenter)
	lineH := vg.Length(5.2)
	for j, a := range axes {
		c.StrokeLines(grey, []vg.Point{{X: cx, Y: cy}, at(j, 100)})
		ang := radarAngle(j, k)
		cos, sin := math.Cos(ang), math.Sin(ang)
		lines := wrapText(label, norm.NFC.String(a), radarLabelWidth)
		// The block of lines sits beyond the axis end: centred on the
		// axis above and below, aligned away from the centre at the sides.
		st := label
		switch {
		case cos > 0.3:
			st.XAlign = draw.XLeft
		case cos < -0.3:
			st.XAlign = draw.XRight
		}
		h := lineH * vg.Length(len(lines))
		p := vg.Point{X: cx + (r+2)*vg.Length(cos), Y: cy + (r+2)*vg.Length(sin)}
		top := p.Y + h/2 // block centred on the point at the sides
		if sin > 0.3 {
			top = p.Y + h
		} else if sin < -0.3 {
			top = p.Y
		}
		for i, ln := range lines {
			c.FillText(st, vg.Point{X: p.X, Y: top - lineH*(vg.Length(i)+0.5)}, ln)
		}
	}
	poly := func(v []float64) []vg.Point {
		pts := make([]vg.Point, k+1)
		for j := 0; j <= k; j++ {
			pts[j] = at(j%k, v[j%k])
		}
		return pts
	}
	dp := poly(dom)
	c.FillPolygon(color.NRGBA{R: 0x1a, G: 0x98, B: 0x50, A: 0x40}, dp[:k])
	c.StrokeLines(draw.LineStyle{Color: color.RGBA{R: 0x1a, G: 0x98, B: 0x50, A: 0xff}, Width: vg.Points(0.8)}, dp)
	c.StrokeLines(draw.LineStyle{Color: color.RGBA{R: 0x54, G: 0x70, B: 0xc6, A: 0xff}, Width: vg.Points(0.8),
		Dashes: []vg.Length{vg.Points(2), vg.Points(1.5)}}, poly(nat))
}

// radarLabelWidth is the width of an axis name's lines in the print
// radars (a third of a 16 cm page's tile less the radar).
const radarLabelWidth = 1.3 * vg.Centimeter
