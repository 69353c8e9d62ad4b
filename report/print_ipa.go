package report

import (
	"image/color"
	"math"

	"golang.org/x/text/unicode/norm"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/sipas-go/sipas/index"
)

// ipaFigure is the print chart "ipa": the nation's criteria of the latest
// year as points (x performance in percent, y derived importance), each
// labelled with its code and coloured by quadrant, dashed lines at the
// means of the criteria and the quadrant names in the corners, as the HTML
// chart. ok is false when the year has no importance–performance rows.
func ipaFigure(l Lang, y *Year, ys string) (Figure, bool) {
	rows := y.National.IPA
	if len(rows) == 0 {
		return Figure{}, false
	}
	mi, mp, x0, x1, y0, y1 := ipaAxes(rows)

	p := newPlot(l.text("sec.ipa")+ys, l.text("col.performance"))
	p.Y.Label.Text = norm.NFC.String(l.text("col.importance"))
	p.Add(plotter.NewGrid())
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = x0, x1, y0, y1

	if !math.IsNaN(mi) && !math.IsNaN(mp) {
		dash := draw.LineStyle{Color: color.Gray{Y: 0x66}, Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(3), vg.Points(2)}}
		for _, seg := range []plotter.XYs{{{X: mp, Y: y0}, {X: mp, Y: y1}}, {{X: x0, Y: mi}, {X: x1, Y: mi}}} {
			ln, err := plotter.NewLine(seg)
			if err != nil {
				panic("report: " + err.Error())
			}
			ln.LineStyle = dash
			p.Add(ln)
		}
	}

	var codes plotter.XYLabels
	for _, q := range append(quadrants, index.QuadrantUnknown) {
		var pts plotter.XYs
		for _, r := range rows {
			if r.Quadrant != q || math.IsNaN(r.Importance) || math.IsNaN(r.Performance) {
				continue
			}
			pts = append(pts, plotter.XY{X: r.Performance, Y: r.Importance})
			codes.XYs = append(codes.XYs, plotter.XY{X: r.Performance, Y: r.Importance})
			codes.Labels = append(codes.Labels, norm.NFC.String(r.Criterion))
		}
		if len(pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			panic("report: " + err.Error())
		}
		sc.GlyphStyle.Color = hexColor(quadrantColor(q))
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(2.5)
		p.Add(sc)
	}
	codes = ipaVisibleLabels(codes, x0, x1, y0, y1)
	if len(codes.XYs) > 0 {
		lab, err := plotter.NewLabels(codes)
		if err != nil {
			panic("report: " + err.Error())
		}
		for i := range lab.TextStyle {
			lab.TextStyle[i] = textStyle(6, draw.XLeft, draw.YCenter)
		}
		lab.Offset = vg.Point{X: vg.Points(3.5)}
		p.Add(lab)
	}

	// Quadrant names in the corners, just inside the frame: fix first top
	// left, keep up top right, low priority bottom left, overkill bottom
	// right.
	dx, dy := 0.01*(x1-x0), 0.015*(y1-y0)
	corners := plotter.XYLabels{
		XYs: []plotter.XY{{X: x0 + dx, Y: y1 - dy}, {X: x1 - dx, Y: y1 - dy}, {X: x0 + dx, Y: y0 + dy}, {X: x1 - dx, Y: y0 + dy}},
	}
	xa := []draw.XAlignment{draw.XLeft, draw.XRight, draw.XLeft, draw.XRight}
	ya := []draw.YAlignment{draw.YTop, draw.YTop, draw.YBottom, draw.YBottom}
	for _, q := range quadrants {
		corners.Labels = append(corners.Labels, norm.NFC.String(l.quadrantName(q)))
	}
	cl, err := plotter.NewLabels(corners)
	if err != nil {
		panic("report: " + err.Error())
	}
	for i, q := range quadrants {
		st := textStyle(8, xa[i], ya[i])
		st.Color = hexColor(quadrantColor(q))
		cl.TextStyle[i] = st
	}
	p.Add(cl)
	return Figure{Name: "ipa", Width: 16 * vg.Centimeter, Height: 11 * vg.Centimeter, p: p}, true
}

// ipaVisibleLabels drops the code labels that would print over one placed
// before them (the HTML chart's hideOverlap): the points stay, and the
// table lists every criterion. Labels are 6 pt text starting 3.5 pt right
// of their point; the plotting area is taken as about 14 × 9.5 cm of the
// 16 × 11 cm figure, and a character as 3.3 pt wide — the test of overlap
// is approximate but never lets two labels share a line of text.
func ipaVisibleLabels(in plotter.XYLabels, x0, x1, y0, y1 float64) plotter.XYLabels {
	const wPt, hPt, charPt, linePt, offPt = 397.0, 269.0, 3.3, 7.0, 3.5
	type box struct{ l, r, y float64 }
	var placed []box
	var out plotter.XYLabels
	for i, xy := range in.XYs {
		px := (xy.X - x0) / (x1 - x0) * wPt
		py := (xy.Y - y0) / (y1 - y0) * hPt
		b := box{l: px + offPt, r: px + offPt + charPt*float64(len([]rune(in.Labels[i]))), y: py}
		free := true
		for _, o := range placed {
			if math.Abs(o.y-b.y) < linePt && b.l < o.r && o.l < b.r {
				free = false
				break
			}
		}
		if free {
			placed = append(placed, b)
			out.XYs = append(out.XYs, xy)
			out.Labels = append(out.Labels, in.Labels[i])
		}
	}
	return out
}
