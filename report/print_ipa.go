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
func ipaFigure(l Lang, q *index.Questionnaire, y *Year, ys string) (Figure, bool) {
	rows := y.National.IPA
	if len(rows) == 0 {
		return Figure{}, false
	}
	mi, mp, x0, x1, y0, y1 := ipaAxes(rows)

	p := newPlot(l.text("sec.ipa")+ys, l.text("col.performance"))
	p.Y.Label.Text = norm.NFC.String(l.text("col.importance"))
	p.Add(plotter.NewGrid())
	xs, ys2 := ipaTicks(x0, x1, y0, y1)
	x0, x1 = math.Floor(x0/xs)*xs, math.Ceil(x1/xs)*xs
	y0, y1 = math.Floor(y0/ys2)*ys2, math.Ceil(y1/ys2)*ys2
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = x0, x1, y0, y1
	p.X.Tick.Marker = stepTicks{step: xs, l: l, dec: max(0, int(-math.Floor(math.Log10(xs))))}
	p.Y.Tick.Marker = stepTicks{step: ys2, l: l, dec: max(0, int(-math.Floor(math.Log10(ys2))))}

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
	for _, qd := range append(quadrants, index.QuadrantUnknown) {
		var pts plotter.XYs
		for _, r := range rows {
			if r.Quadrant != qd || math.IsNaN(r.Importance) || math.IsNaN(r.Performance) {
				continue
			}
			pts = append(pts, plotter.XY{X: r.Performance, Y: r.Importance})
			codes.XYs = append(codes.XYs, plotter.XY{X: r.Performance, Y: r.Importance})
			codes.Labels = append(codes.Labels, norm.NFC.String(l.shortCriterion(q, r.Criterion)))
		}
		if len(pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			panic("report: " + err.Error())
		}
		sc.GlyphStyle.Color = hexColor(quadrantColor(qd))
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(2.5)
		p.Add(sc)
	}
	pos, moved := ipaPlaceLabels(codes, x0, x1, y0, y1)
	for i := range pos.XYs {
		if moved[i] {
			ln, err := plotter.NewLine(plotter.XYs{codes.XYs[i], pos.XYs[i]})
			if err != nil {
				panic("report: " + err.Error())
			}
			ln.LineStyle = draw.LineStyle{Color: color.Gray{Y: 0xaa}, Width: vg.Points(0.4)}
			p.Add(ln)
		}
	}
	if len(pos.XYs) > 0 {
		lab, err := plotter.NewLabels(pos)
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

// ipaPlaceLabels places the name labels of the points so that none
// prints over another: a label starts 3.5 pt right of its point, or, when
// that line is taken, on the nearest free line above or below (up to
// ipaMaxShift lines; beyond, where it overlaps least), and moved[i] says
// that label i needs a leader line to its point. No label is dropped. The
// plotting area is taken as about 14 × 9.5 cm of the 16 × 11 cm figure and
// the text as 6 pt wide as the font measures it.
func ipaPlaceLabels(in plotter.XYLabels, x0, x1, y0, y1 float64) (out plotter.XYLabels, moved []bool) {
	const wPt, hPt, linePt, offPt, ipaMaxShift = 397.0, 269.0, 7.0, 3.5, 6
	sty := textStyle(6, draw.XLeft, draw.YCenter)
	type box struct{ l, r, y float64 }
	var placed []box
	overlaps := func(b box) int {
		n := 0
		for _, o := range placed {
			if math.Abs(o.y-b.y) < linePt && b.l < o.r && o.l < b.r {
				n++
			}
		}
		return n
	}
	for i, xy := range in.XYs {
		px := (xy.X - x0) / (x1 - x0) * wPt
		py := (xy.Y - y0) / (y1 - y0) * hPt
		w := float64(sty.Width(in.Labels[i]) / vg.Points(1))
		best, bestN := box{l: px + offPt, r: px + offPt + w, y: py}, -1
		for k := 0; k <= 2*ipaMaxShift; k++ {
			shift := float64((k + 1) / 2)
			if k%2 == 1 {
				shift = -shift
			}
			b := box{l: px + offPt, r: px + offPt + w, y: py + shift*linePt}
			if b.y < 0 || b.y > hPt {
				continue
			}
			if n := overlaps(b); bestN < 0 || n < bestN {
				best, bestN = b, n
				if n == 0 {
					break
				}
			}
		}
		placed = append(placed, best)
		out.XYs = append(out.XYs, plotter.XY{X: xy.X, Y: y0 + best.y/hPt*(y1-y0)})
		out.Labels = append(out.Labels, in.Labels[i])
		moved = append(moved, math.Abs(best.y-py) > 0.5)
	}
	return out, moved
}
