package report

import (
	"fmt"
	"image/color"
	"math"

	"golang.org/x/text/unicode/norm"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The print charts fit the text area of an A4 page (21 × 29.7 cm less
// 2.5 cm margins and a caption: 16 × 24 cm). A chart with more rows than
// one page holds (the ranking, the heatmap, the radars, the response
// rates) is split into pages of at most that many rows, so that the
// largest image WritePNG holds is 16 × 24 cm at 300 dpi (1890 × 2835
// pixels, 21 MB) whatever the number of domains.
const (
	printWidth     = 16 * vg.Centimeter
	printMaxHeight = 24 * vg.Centimeter
)

// pageRanges splits n rows into the fewest pages of at most per rows,
// balanced (page sizes differ by at most one): [start, end) of each page.
func pageRanges(n, per int) [][2]int {
	if n <= 0 {
		return nil
	}
	pages := (n + per - 1) / per
	out := make([][2]int, pages)
	start := 0
	for p := range out {
		size := n / pages
		if p < n%pages {
			size++
		}
		out[p] = [2]int{start, start + size}
		start += size
	}
	return out
}

// pageName is the file stem of page p (0-based) of pages: name alone for
// a single page, name-01, name-02, … otherwise.
func pageName(name string, p, pages int) string {
	if pages == 1 {
		return name
	}
	return fmt.Sprintf("%s-%02d", name, p+1)
}

// pageTitle adds "(1/3)" to the title of a page of several.
func pageTitle(title string, p, pages int) string {
	if pages == 1 {
		return title
	}
	return fmt.Sprintf("%s (%d/%d)", title, p+1, pages)
}

// keyItem is one entry of a figure's key: a dot, a line (dashed or not)
// or a band of colour, and its label.
type keyItem struct {
	label  string
	color  color.Color
	line   bool
	dashed bool
	width  vg.Length // line width; 0 is 1 pt
}

const (
	keyFont = 7
	keyRow  = 9 // points per line of the key
)

// keyLayout places the items left to right, wrapping to new lines within
// width: the position of each item relative to the top left, and the
// height taken.
func keyLayout(items []keyItem, width vg.Length) (pos []vg.Point, height vg.Length) {
	sty := textStyle(keyFont, draw.XLeft, draw.YCenter)
	x, y := vg.Length(0), vg.Length(0)
	for _, it := range items {
		w := 14 + sty.Width(norm.NFC.String(it.label)) + 10
		if x > 0 && x+w > width {
			x, y = 0, y+keyRow
		}
		pos = append(pos, vg.Point{X: x, Y: y})
		x += w
	}
	if len(items) == 0 {
		return nil, 0
	}
	return pos, y + keyRow + 4
}

// drawKey draws the items in the top of c (keyLayout).
func drawKey(c draw.Canvas, items []keyItem) {
	pos, _ := keyLayout(items, c.Max.X-c.Min.X)
	sty := textStyle(keyFont, draw.XLeft, draw.YCenter)
	for i, it := range items {
		x, y := c.Min.X+pos[i].X, c.Max.Y-pos[i].Y-keyRow/2
		switch {
		case it.line:
			ls := draw.LineStyle{Color: it.color, Width: vg.Points(1)}
			if it.width > 0 {
				ls.Width = it.width
			}
			if it.dashed {
				ls.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
			}
			c.StrokeLine2(ls, x, y, x+11, y)
		default:
			c.FillPolygon(it.color, circle(vg.Point{X: x + 5.5, Y: y}, 3))
		}
		c.FillText(sty, vg.Point{X: x + 14, Y: y}, norm.NFC.String(it.label))
	}
}

func circle(at vg.Point, r vg.Length) []vg.Point {
	pts := make([]vg.Point, 24)
	for i := range pts {
		a := 2 * math.Pi * float64(i) / float64(len(pts))
		pts[i] = vg.Point{X: at.X + r*vg.Length(math.Cos(a)), Y: at.Y + r*vg.Length(math.Sin(a))}
	}
	return pts
}

// keyedFigure is a figure of plot p with the key below it, wrapped to
// the figure's width; plotHeight is the height of the plot part.
func keyedFigure(name string, p *plot.Plot, plotHeight vg.Length, items []keyItem) Figure {
	_, kh := keyLayout(items, printWidth-2*printMargin)
	return Figure{Name: name, Width: printWidth, Height: plotHeight + kh, p: p, drawFn: func(c draw.Canvas) {
		c.FillPolygon(color.White, []vg.Point{c.Min, {X: c.Max.X, Y: c.Min.Y}, c.Max, {X: c.Min.X, Y: c.Max.Y}})
		top := c
		top.Min.Y += kh
		p.Draw(top)
		bottom := c
		bottom.Max.Y = c.Min.Y + kh
		drawKey(bottom, items)
	}}
}

// Rows per print page: the ranking's rows are 0.45 cm high below 2.5 cm
// of title and axis and a line of key; the heatmap's 0.42 cm below 5 cm
// of title and column names and a colour bar.
const (
	rankRowsPerPage = 44
	heatRowsPerPage = 42
	rrRowsPerPage   = 44
)

// rankingChartFigures draws the ranking ("ranking", or "ranking-01", … when it
// takes several pages): each domain's SIPAS with its interval, coloured by
// tier, a dashed line at the national SIPAS, the same x axis on every page
// and a key naming the tiers and the national line.
func rankingChartFigures(l Lang, title string, iv intervals, national float64) []Figure {
	x0, x1 := intervalRange(iv.est, iv.lo, iv.hi, national)
	var items []keyItem
	seen := map[int]bool{}
	for _, t := range iv.tiers {
		seen[t] = true
	}
	for t := 1; t <= 4; t++ {
		if seen[t] {
			items = append(items, keyItem{label: fmt.Sprintf("%s %d", l.text("col.tier"), t), color: hexColor(tierColor(t))})
		}
	}
	if !math.IsNaN(national) {
		items = append(items, keyItem{label: l.text("national") + " " + l.dec(national, 1), color: nationalLineColor, line: true, dashed: true})
	}
	pr := pageRanges(len(iv.labels), rankRowsPerPage)
	out := make([]Figure, 0, len(pr))
	for p, r := range pr {
		s, e := r[0], r[1]
		var tiers []int
		if iv.tiers != nil {
			tiers = iv.tiers[s:e]
		}
		f := intervalFigure(pageName("ranking", p, len(pr)), pageTitle(title, p, len(pr)), "SIPAS (%)",
			iv.labels[s:e], iv.est[s:e], iv.lo[s:e], iv.hi[s:e], tiers)
		f.p.X.Min, f.p.X.Max = x0, x1
		if !math.IsNaN(national) {
			ln, err := plotter.NewLine(plotter.XYs{{X: national, Y: -0.5}, {X: national, Y: float64(e-s) - 0.5}})
			if err != nil {
				panic("report: " + err.Error())
			}
			ln.LineStyle = draw.LineStyle{Color: nationalLineColor, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(3), vg.Points(2)}}
			f.p.Add(ln)
		}
		out = append(out, keyedFigure(f.Name, f.p, f.Height, items))
	}
	return out
}

var nationalLineColor = color.RGBA{R: 0x33, G: 0x33, B: 0x33, A: 0xff}

// intervalRange is the x range of interval figures: every interval and
// the extra values, with 5% room on each side.
func intervalRange(est, lo, hi []float64, extra ...float64) (x0, x1 float64) {
	return paddedRange(0.05, 0, 100, est, lo, hi, extra)
}

// heatmapFigures draws the heatmap ("heatmap", or "heatmap-01", …), at
// most heatRowsPerPage rows a page, on one colour scale for all pages
// with a colour bar below.
func heatmapFigures(l Lang, title string, rows, cols []string, v [][]float64) []Figure {
	lo, hi := colourScale(v...)
	pr := pageRanges(len(rows), heatRowsPerPage)
	out := make([]Figure, 0, len(pr))
	for p, r := range pr {
		f := heatmapFigure(l, pageName("heatmap", p, len(pr)), pageTitle(title, p, len(pr)), rows[r[0]:r[1]], cols, v[r[0]:r[1]], lo, hi)
		out = append(out, colourBarFigure(l, f, lo, hi))
	}
	return out
}

// colourBarFigure adds a horizontal colour bar of the sequential scale
// from lo to hi below the plot of f.
func colourBarFigure(l Lang, f Figure, lo, hi float64) Figure {
	const barH = 1.1 * vg.Centimeter
	p, h := f.p, f.Height
	f.Height = h + barH
	f.drawFn = func(c draw.Canvas) {
		c.FillPolygon(color.White, []vg.Point{c.Min, {X: c.Max.X, Y: c.Min.Y}, c.Max, {X: c.Min.X, Y: c.Max.Y}})
		top := c
		top.Min.Y += barH
		p.Draw(top)
		w := 7 * vg.Centimeter
		x0 := c.Min.X + (c.Max.X-c.Min.X-w)/2
		y0 := c.Min.Y + 0.45*vg.Centimeter
		bh := 0.3 * vg.Centimeter
		pal := seqPalette{}.Colors()
		for k, col := range pal {
			xa := x0 + w*vg.Length(k)/vg.Length(len(pal))
			xb := x0 + w*vg.Length(k+1)/vg.Length(len(pal))
			if k+1 < len(pal) {
				xb += 0.5
			}
			c.FillPolygon(col, []vg.Point{{X: xa, Y: y0}, {X: xb, Y: y0}, {X: xb, Y: y0 + bh}, {X: xa, Y: y0 + bh}})
		}
		tick := textStyle(7, draw.XCenter, draw.YTop)
		vs := make([]float64, 5)
		for k := range vs {
			vs[k] = lo + (hi-lo)*float64(k)/4
		}
		for k, lab := range l.scaleLabels(vs) {
			x := x0 + w*vg.Length(k)/4
			c.StrokeLine2(draw.LineStyle{Color: color.Black, Width: vg.Points(0.3)}, x, y0, x, y0-2)
			c.FillText(tick, vg.Point{X: x, Y: y0 - 3}, lab)
		}
	}
	return f
}
