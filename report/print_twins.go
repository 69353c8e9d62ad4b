package report

import (
	"image/color"
	"math"
	"strconv"

	"golang.org/x/text/unicode/norm"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The print twins of the page's trend, expectation and response-rate
// charts (Figures): the same data (chartdata.go), drawn with gonum/plot.

// chartMessages are the charts' own labels, merged into messages at init.
var chartMessages = map[string]msg{
	"col.classes": {"Số nhóm gia quyền", "Weighting classes"},
	"rr.title":    {"Tỷ lệ thu về của các nhóm gia quyền", "Response rates of the weighting classes"},
	"rr.overall":  {"chung", "overall"},
}

func init() { addMessages(chartMessages) }

// rrTitle is the title of the response-rate chart with the overall rate.
func (l Lang) rrTitle(ys string, overall float64) string {
	t := l.text("rr.title") + ys
	if !math.IsNaN(overall) {
		t += " (" + l.text("rr.overall") + " " + l.dec(overall, 1) + "%)"
	}
	return t
}

// binLabels are the histogram's bins "80–85" (percent).
func (l Lang) binLabels(edges []float64) []string {
	out := make([]string, len(edges))
	for i, e := range edges {
		out[i] = l.dec(e, 0) + "–" + l.dec(e+5, 0)
	}
	return out
}

// lineColors are the print lines' colours (Okabe & Ito, without the
// yellow that fades on white paper), the first for SIPAS.
var lineColors = []string{"#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000"}

func lineColor(k int) color.Color { return hexColor(lineColors[k%len(lineColors)]) }

// trendFigure is the figure name (the national "trend"): the first line
// (thick, with its interval; SIPAS) and the others (the elements, or a
// province's region and nation) across the years, every line named in
// the key below.
func trendFigure(l Lang, name, title string, t nationalTrend) (Figure, bool) {
	p := newPlot(title, l.text("col.year"))
	p.Y.Label.Text = "%"
	p.Add(plotter.NewGrid())
	var items []keyItem
	any := false
	for k, name := range t.names {
		var pts plotter.XYs
		var errs plotter.YErrors
		for i, ys := range t.years {
			x := t.v[k][i]
			if math.IsNaN(x) {
				continue
			}
			yr, _ := strconv.Atoi(ys)
			pts = append(pts, plotter.XY{X: float64(yr), Y: x})
			if k == 0 {
				lo, hi := x-t.lo[i], t.hi[i]-x
				if math.IsNaN(lo) || math.IsNaN(hi) {
					lo, hi = 0, 0
				}
				errs = append(errs, struct{ Low, High float64 }{lo, hi})
			}
		}
		if len(pts) == 0 {
			continue
		}
		any = true
		width := vg.Points(1)
		if k == 0 {
			width = vg.Points(2)
		}
		ln, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			panic("report: " + err.Error())
		}
		ln.LineStyle = draw.LineStyle{Color: lineColor(k), Width: width}
		sc.GlyphStyle = draw.GlyphStyle{Color: lineColor(k), Radius: vg.Points(2), Shape: draw.CircleGlyph{}}
		p.Add(ln, sc)
		if k == 0 {
			eb, err := plotter.NewYErrorBars(struct {
				plotter.XYs
				plotter.YErrors
			}{pts, errs})
			if err != nil {
				panic("report: " + err.Error())
			}
			eb.LineStyle.Color = lineColor(0)
			p.Add(eb)
		}
		items = append(items, keyItem{label: name, color: lineColor(k), line: true, width: width})
	}
	if !any {
		return Figure{}, false
	}
	yearTicks(p, t.years)
	return keyedFigure(name, p, 9*vg.Centimeter, items), true
}

// yearTicks puts a tick at each year and a little room on both sides.
func yearTicks(p *plot.Plot, years []string) {
	ticks := make([]plot.Tick, len(years))
	for i, ys := range years {
		yr, _ := strconv.Atoi(ys)
		ticks[i] = plot.Tick{Value: float64(yr), Label: ys}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Min, p.X.Max = ticks[0].Value-0.3, ticks[len(ticks)-1].Value+0.3
}

// domainTrendFigure is "trend-domains": the SIPAS of every domain across
// the years, the shown ones (the highest and lowest of the latest year)
// in colour and named in the key, the others thin and grey behind them,
// as the page's chart.
func domainTrendFigure(l Lang, title string, years []string, t domainTrend) (Figure, bool) {
	p := newPlot(title, l.text("col.year"))
	p.Y.Label.Text = "SIPAS (%)"
	p.Add(plotter.NewGrid())
	var items []keyItem
	line := func(k int) (*plotter.Line, bool) {
		var pts plotter.XYs
		for i, ys := range years {
			if x := t.v[k][i]; !math.IsNaN(x) {
				yr, _ := strconv.Atoi(ys)
				pts = append(pts, plotter.XY{X: float64(yr), Y: x})
			}
		}
		if len(pts) == 0 {
			return nil, false
		}
		ln, err := plotter.NewLine(pts)
		if err != nil {
			panic("report: " + err.Error())
		}
		return ln, true
	}
	for k := range t.names {
		if t.shown[k] {
			continue
		}
		if ln, ok := line(k); ok {
			ln.LineStyle = draw.LineStyle{Color: color.Gray{Y: 0xcc}, Width: vg.Points(0.5)}
			p.Add(ln)
		}
	}
	c := 0
	for k, name := range t.names {
		if !t.shown[k] {
			continue
		}
		ln, ok := line(k)
		if !ok {
			continue
		}
		ln.LineStyle = draw.LineStyle{Color: lineColor(c), Width: vg.Points(1.5)}
		p.Add(ln)
		items = append(items, keyItem{label: name, color: lineColor(c), line: true, width: vg.Points(1.5)})
		c++
	}
	if len(items) == 0 {
		return Figure{}, false
	}
	yearTicks(p, years)
	return keyedFigure("trend-domains", p, 10*vg.Centimeter, items), true
}

// barsFigure draws a horizontal bar per label (first on top) with the
// value written after the bar, x in percent from 0.
func barsFigure(l Lang, name, title string, labels []string, v []float64) Figure {
	p := newPlot(title, "%")
	n := len(labels)
	vals := make(plotter.Values, n)
	names := make([]string, n)
	var lab plotter.XYLabels
	top := 0.0
	for i := 0; i < n; i++ {
		j := n - 1 - i
		names[i] = norm.NFC.String(labels[j])
		x := v[j]
		if math.IsNaN(x) {
			continue
		}
		vals[i] = x
		top = math.Max(top, x)
		lab.XYs = append(lab.XYs, plotter.XY{X: x, Y: float64(i)})
		lab.Labels = append(lab.Labels, l.dec(x, 1))
	}
	bc, err := plotter.NewBarChart(vals, 0.32*vg.Centimeter)
	if err != nil {
		panic("report: " + err.Error())
	}
	bc.Horizontal = true
	bc.Color = hexColor("#5470c6")
	bc.LineStyle.Width = 0
	p.Add(plotter.NewGrid(), bc)
	if len(lab.XYs) > 0 {
		lb, err := plotter.NewLabels(lab)
		if err != nil {
			panic("report: " + err.Error())
		}
		for i := range lb.TextStyle {
			lb.TextStyle[i] = textStyle(7, draw.XLeft, draw.YCenter)
		}
		lb.Offset = vg.Point{X: 3}
		p.Add(lb)
	}
	p.NominalY(names...)
	p.X.Min, p.X.Max = 0, math.Min(100, top*1.15+1)
	return Figure{Name: name, Width: printWidth, Height: 2.5*vg.Centimeter + vg.Length(n)*0.55*vg.Centimeter, p: p}
}

// histogramFigure draws counts per bin as vertical bars with the count
// above each bar.
func histogramFigure(l Lang, name, title string, bins []string, counts []int, yName string) Figure {
	p := newPlot(title, "%")
	p.Y.Label.Text = norm.NFC.String(yName)
	vals := make(plotter.Values, len(counts))
	var lab plotter.XYLabels
	top := 0
	for i, c := range counts {
		vals[i] = float64(c)
		top = max(top, c)
		lab.XYs = append(lab.XYs, plotter.XY{X: float64(i), Y: float64(c)})
		lab.Labels = append(lab.Labels, l.count(c))
	}
	bc, err := plotter.NewBarChart(vals, 0.6*vg.Centimeter)
	if err != nil {
		panic("report: " + err.Error())
	}
	bc.Color = hexColor("#5470c6")
	bc.LineStyle.Width = 0
	lb, err := plotter.NewLabels(lab)
	if err != nil {
		panic("report: " + err.Error())
	}
	for i := range lb.TextStyle {
		lb.TextStyle[i] = textStyle(7, draw.XCenter, draw.YBottom)
	}
	lb.Offset = vg.Point{Y: 2}
	g := plotter.NewGrid()
	g.Vertical.Color = nil
	p.Add(g, bc, lb)
	p.NominalX(bins...)
	p.Y.Min, p.Y.Max = 0, float64(top)*1.15+1
	p.Y.Tick.Marker = stepTicks{step: math.Max(1, niceStep(p.Y.Max, 5)), l: l}
	return Figure{Name: name, Width: printWidth, Height: 8 * vg.Centimeter, p: p}
}

// stepTicks are axis ticks at the multiples of step, written in the
// language with dec decimals: regular ticks, where gonum/plot's default
// picks uneven ones for short ranges.
type stepTicks struct {
	step float64
	l    Lang
	dec  int
}

func (s stepTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for k := math.Ceil(lo/s.step - 1e-9); k*s.step <= hi+1e-9*s.step; k++ {
		v := k * s.step
		if v == 0 {
			v = 0 // no "-0"
		}
		out = append(out, plot.Tick{Value: v, Label: s.l.dec(v, s.dec)})
	}
	return out
}

// niceStep is the step of about n ticks over span: 1, 2 or 5 times a
// power of ten.
func niceStep(span float64, n int) float64 {
	if !(span > 0) {
		return 1
	}
	raw := span / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw*(1-1e-9) { // 1.2/6 is a step of 0.2, rounding aside
			return m * p
		}
	}
	return 10 * p
}
