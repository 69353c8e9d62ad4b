package report

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"io"
	"math"
	"strconv"

	"golang.org/x/text/unicode/norm"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Figure is one print chart (METHODOLOGY §9: the report's charts for print
// documents), drawn with gonum/plot in Liberation Sans, whose glyphs cover
// Vietnamese (labels are normalised to NFC so that precomposed glyphs are
// used). Write it with WritePNG or WriteSVG.
type Figure struct {
	// Name is the file name stem, e.g. "national".
	Name          string
	Width, Height vg.Length
	// p is the figure's plot; drawFn, when set, draws the figure instead
	// (p, when set too, is the plot drawFn draws with more around it).
	p      *plot.Plot
	drawFn func(c draw.Canvas)
}

// printMargin is the white border around every print figure: Vietnamese
// stacked diacritics (ỗ, ẫ) rise above the font's ascent that gonum/plot
// lays out by, so a title or an edge label drawn flush with the canvas
// loses its top marks.
const printMargin = 4 * vg.Millimeter

func (f Figure) draw(c draw.Canvas) {
	c = draw.Crop(c, printMargin, -printMargin, printMargin, -printMargin)
	if f.drawFn != nil {
		f.drawFn(c)
		return
	}
	f.p.Draw(c)
}

// PrintDPI is the resolution of the PNG print charts.
const PrintDPI = 300

// WritePNG writes the figure as PNG at dpi dots per inch (0 means
// PrintDPI), with the resolution recorded in the file (pHYs chunk).
func (f Figure) WritePNG(w io.Writer, dpi int) error {
	if dpi == 0 {
		dpi = PrintDPI
	}
	c := vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	f.draw(draw.New(c))
	// Fast compression: default zlib levels cost several times the drawing
	// on large charts for a few percent of size.
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	var b bytes.Buffer
	if err := enc.Encode(&b, c.Image()); err != nil {
		return err
	}
	return writePNGWithDPI(w, b.Bytes(), dpi)
}

// WriteSVG writes the figure as SVG with the fonts embedded, so that the
// Vietnamese labels render the same on any machine.
func (f Figure) WriteSVG(w io.Writer) error { return f.writeSVG(w, true) }

func (f Figure) writeSVG(w io.Writer, embed bool) error {
	c := vgsvg.NewWith(vgsvg.UseWH(f.Width, f.Height), vgsvg.EmbedFonts(embed))
	f.draw(draw.New(c))
	_, err := c.WriteTo(w)
	return err
}

var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

func newPlot(title, xlabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = norm.NFC.String(title)
	p.Title.TextStyle.Font = sans
	p.Title.TextStyle.Font.Size = 11
	p.X.Label.Text = norm.NFC.String(xlabel)
	for _, s := range []*font.Font{&p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font} {
		*s = sans
		s.Size = 9
	}
	for _, s := range []*font.Font{&p.X.Tick.Label.Font, &p.Y.Tick.Label.Font} {
		*s = sans
		s.Size = 8
	}
	p.Legend.TextStyle.Font = sans
	p.Legend.TextStyle.Font.Size = 8
	return p
}

type xyXErr struct {
	plotter.XYs
	plotter.XErrors
}

// intervalFigure draws estimates with their confidence intervals, one row
// per label, the first label at the top; tiers (optional) colour the
// points. Rows with a NaN estimate are left empty.
func intervalFigure(name, title, xlabel string, labels []string, est, lo, hi []float64, tiers []int) Figure {
	p := newPlot(title, xlabel)
	n := len(labels)
	names := make([]string, n)
	byColor := map[color.Color]*xyXErr{}
	var order []color.Color
	for i := 0; i < n; i++ {
		j := n - 1 - i
		names[i] = norm.NFC.String(labels[j])
		if math.IsNaN(est[j]) {
			continue
		}
		var c color.Color = color.RGBA{R: 0xc2, G: 0x35, B: 0x31, A: 0xff}
		if tiers != nil && tiers[j] > 0 {
			c = hexColor(tierColor(tiers[j]))
		}
		g, ok := byColor[c]
		if !ok {
			g = &xyXErr{}
			byColor[c] = g
			order = append(order, c)
		}
		l, h := est[j]-lo[j], hi[j]-est[j]
		if math.IsNaN(l) || math.IsNaN(h) {
			l, h = 0, 0
		}
		g.XYs = append(g.XYs, plotter.XY{X: est[j], Y: float64(i)})
		g.XErrors = append(g.XErrors, struct{ Low, High float64 }{l, h})
	}
	p.Add(plotter.NewGrid())
	for _, c := range order {
		g := byColor[c]
		eb, err := plotter.NewXErrorBars(g)
		if err != nil {
			panic("report: " + err.Error())
		}
		eb.LineStyle.Color = color.RGBA{R: 0x54, G: 0x70, B: 0xc6, A: 0xff}
		eb.LineStyle.Width = vg.Points(1)
		sc, err := plotter.NewScatter(g.XYs)
		if err != nil {
			panic("report: " + err.Error())
		}
		sc.GlyphStyle.Color = c
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(2.5)
		p.Add(eb, sc)
	}
	p.NominalY(names...)
	// Room around the intervals, so that no bar ends on the frame.
	xmin, xmax := math.Inf(1), math.Inf(-1)
	for _, g := range byColor {
		for k, pt := range g.XYs {
			xmin = math.Min(xmin, pt.X-g.XErrors[k].Low)
			xmax = math.Max(xmax, pt.X+g.XErrors[k].High)
		}
	}
	if xmax > xmin {
		pad := 0.05 * (xmax - xmin)
		p.X.Min, p.X.Max = xmin-pad, xmax+pad
	}
	h := 2.5*vg.Centimeter + vg.Length(n)*0.45*vg.Centimeter
	return Figure{Name: name, Width: 16 * vg.Centimeter, Height: h, p: p}
}

func hexColor(s string) color.Color {
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil || len(s) != 7 {
		panic("report: bad colour " + s)
	}
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

// Figures returns the print charts of the report in the language of opt,
// each at most 16 × 24 cm (the text area of an A4 page: printWidth,
// printMaxHeight), the twins of the page's charts:
//
//   - "national": SIPAS and the elements with their intervals;
//   - "ranking": the domains' SIPAS with intervals, coloured by tier, the
//     national line; "ranking-01", "ranking-02", … when the domains take
//     more than one page (rankRowsPerPage);
//   - "ranking-table" (or "ranking-table-01", …): the ranking table
//     (RankingTable, print_ranking.go);
//   - "map": SIPAS by province (MapFigure), when the domains are provinces;
//   - "heatmap" (or "heatmap-01", …): domain × element, values in the
//     cells, one colour scale across its pages;
//   - "radars-01", "radars-02", …: a radar per domain against the nation,
//     12 to a page;
//   - "ipa": the importance–performance of the nation's criteria
//     (print_ipa.go), when the latest year has it (YearInput.IPA);
//   - "trend" and "trend-domains", with more than one year: the national
//     SIPAS and elements across years, and the domains' SIPAS;
//   - "expectations": the nation's expectation shares, when there are;
//   - "response-rates": the weighting classes by response rate, when the
//     latest year has them.
//
// A figure's drawing is deferred to WritePNG and WriteSVG, so that the
// memory a report takes grows with one page, not with the domains.
func Figures(data *Data, opt *Options) []Figure {
	l := opt.lang()
	y := data.Latest()
	if y == nil {
		return nil
	}
	q := data.Questionnaire
	ys := yearSuffix(y)
	var out []Figure
	nat := nationalIntervals(l, q, y)
	out = append(out, intervalFigure("national", l.text("sec.national")+ys, l.text("col.estimate"), nat.labels, nat.est, nat.lo, nat.hi, nil))

	if len(y.Domains) > 0 {
		out = append(out, rankingChartFigures(l, l.text("sec.ranking")+ys, rankingIntervals(y), y.National.SIPAS.Estimate)...)
		out = append(out, rankingFigures(l, data)...)
		if f, ok := MapFigure(data, opt); ok {
			out = append(out, f)
		}

		rows, cols, vals := heatmapData(l, q, y)
		out = append(out, heatmapFigures(l, l.text("sec.heatmap")+ys, rows, cols, vals)...)

		natV, domV, rmin := radarData(y, len(y.Domains))
		out = append(out, radarFigures(l, cols[:len(cols)-1], rows, domV, natV, rmin,
			l.byLabel(data), l.text("national"))...)
	}

	if f, ok := ipaFigure(l, q, y, ys); ok {
		out = append(out, f)
	}

	if len(data.Years) > 1 {
		years := fmt.Sprintf(" %d–%d", data.Years[0].Year, y.Year)
		t := nationalTrendData(l, q, data)
		if f, ok := trendFigure(l, "trend", l.text("sec.trend")+years, t); ok {
			out = append(out, f)
		}
		if len(y.Domains) > 0 {
			if f, ok := domainTrendFigure(l, "SIPAS: "+l.byLabel(data)+years, t.years, domainTrendData(data)); ok {
				out = append(out, f)
			}
		}
	}
	if labs, v, ok := expectationData(l, q, y); ok {
		out = append(out, barsFigure(l, "expectations", l.text("sec.expect")+ys, labs, v))
	}
	if qy := y.Quality; qy != nil {
		if edges, counts, overall := rrHistogram(qy.ResponseRates); len(edges) > 0 {
			out = append(out, histogramFigure(l, "response-rates", l.rrTitle(ys, overall), l.binLabels(edges), counts, l.text("col.classes")))
		}
	}
	for i := range out {
		localTicks(l, &out[i])
	}
	return out
}

// grid is a GridXYZ of rows × columns with the first row at the top.
type grid struct {
	v [][]float64 // v[row][col], row 0 = first domain
}

func (g grid) Dims() (c, r int)   { return len(g.v[0]), len(g.v) }
func (g grid) Z(c, r int) float64 { return g.v[len(g.v)-1-r][c] }
func (g grid) X(c int) float64    { return float64(c) }
func (g grid) Y(r int) float64    { return float64(r) }

// seqPalette is the sequential palette of the heatmaps and the map (low
// light yellow, high blue: seqStops) in 64 colours, readable without
// telling red from green.
type seqPalette struct{}

func (seqPalette) Colors() []color.Color {
	stops := make([]color.RGBA, len(seqStops))
	for i, s := range seqStops {
		stops[i] = hexColor(s).(color.RGBA)
	}
	out := make([]color.Color, 64)
	segs := float64(len(stops) - 1)
	for i := range out {
		t := float64(i) / 63 * segs
		k := min(int(t), len(stops)-2)
		f := t - float64(k)
		a, b := stops[k], stops[k+1]
		mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + f*(float64(y)-float64(x)))) }
		out[i] = color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
	}
	return out
}

// heatmapFigure draws rows × columns of values with the value written in
// each cell (NaN cells white and empty), coloured from lo to hi.
func heatmapFigure(l Lang, name, title string, rows, cols []string, v [][]float64, lo, hi float64) Figure {
	p := newPlot(title, "")
	var lab plotter.XYLabels
	for i, r := range v {
		for j, x := range r {
			if math.IsNaN(x) {
				continue
			}
			lab.XYs = append(lab.XYs, plotter.XY{X: float64(j), Y: float64(len(v) - 1 - i)})
			lab.Labels = append(lab.Labels, l.pct(x))
		}
	}
	h := plotter.NewHeatMap(grid{v}, seqPalette{})
	h.Min, h.Max = lo, hi
	h.NaN = color.White
	p.Add(h)
	if len(lab.XYs) > 0 {
		l, err := plotter.NewLabels(lab)
		if err != nil {
			panic("report: " + err.Error())
		}
		for i := range l.TextStyle {
			l.TextStyle[i].Font = sans
			l.TextStyle[i].Font.Size = 6.5
			l.TextStyle[i].XAlign = draw.XCenter
			l.TextStyle[i].YAlign = draw.YCenter
		}
		p.Add(l)
	}
	names := make([]string, len(rows))
	for i := range rows {
		names[i] = norm.NFC.String(rows[len(rows)-1-i])
	}
	cn := make([]string, len(cols))
	for i, c := range cols {
		cn[i] = norm.NFC.String(c)
	}
	p.NominalX(cn...)
	p.NominalY(names...)
	p.X.Tick.Label.Rotation = math.Pi / 6
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YTop
	p.X.Tick.Label.Font.Size = 7
	p.X.Padding, p.Y.Padding = 0, 0
	height := 5*vg.Centimeter + vg.Length(len(rows))*0.42*vg.Centimeter
	return Figure{Name: name, Width: 16 * vg.Centimeter, Height: height, p: p}
}
