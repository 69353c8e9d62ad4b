package report

import (
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/fsutil"
	"golang.org/x/text/unicode/norm"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// compareIntervals are the rows of the province's comparison chart: for
// SIPAS and each element, the province, its region (when known) and the
// nation, with the colour of each.
func compareIntervals(l Lang, p *ProvinceReport) (iv intervals, colors []string) {
	data := p.data
	q := data.Questionnaire
	years := p.years()
	last := years[len(years)-1]
	nat := nationalEstimates(last.Year)
	dom := append([]Estimate{last.Dom.SIPAS}, last.Dom.Elements...)
	for i, e := range dom {
		lab := l.indexLabel(q, e.Kind, e.ID)
		iv.add(lab+" · "+p.Name, e, 0)
		colors = append(colors, "#c23531")
		if last.Region != nil {
			reg := append([]Estimate{last.Region.SIPAS}, last.Region.Elements...)
			iv.add(lab+" · "+l.text("pr.region_short"), reg[i], 0)
			colors = append(colors, "#91cc75")
		}
		iv.add(lab+" · "+l.text("national"), nat[i], 0)
		colors = append(colors, "#5470c6")
	}
	return iv, colors
}

// ProvinceTables returns the province report's tables in the language of
// opt, with the numbers of the national report (as Tables writes them):
//
//   - "province_indices": SIPAS, the elements and the criteria of every
//     year, the province's estimate with its interval against its
//     region's and the nation's, and the difference to the nation with
//     its SE, adjusted p and significance;
//   - "province_ranks": the SIPAS, rank, rank set, tier and change of
//     every year;
//   - "province_criteria": the latest year's criteria and elements against
//     the nation (Benjamini–Hochberg standings) and the
//     importance–performance of the criteria;
//   - "province_within": the latest year's SIPAS and elements of the
//     province broken down by a second column (SurveyOptions.Within),
//     highest SIPAS first, when computed.
func ProvinceTables(p *ProvinceReport, opt *Options) []Table {
	l := opt.lang()
	data := p.data
	q := data.Questionnaire
	ind := Table{Name: "province_indices", Header: []string{l.text("col.year"), l.text("col.kind"), "id", l.text("col.index"),
		l.text("col.estimate"), l.text("col.se"), l.text("col.ci_low"), l.text("col.ci_high"), l.text("col.n"),
		l.text("pr.region_short"), l.text("pr.region_short") + ": " + l.text("col.ci_low"), l.text("pr.region_short") + ": " + l.text("col.ci_high"),
		l.text("national"), l.text("national") + ": " + l.text("col.ci_low"), l.text("national") + ": " + l.text("col.ci_high"),
		l.text("col.vs_nation"), l.text("col.se_vs_nation"), l.text("col.p_vs_nation"), l.text("col.significant_vs_nation")}}
	rk := Table{Name: "province_ranks", Header: []string{l.text("col.year"), "SIPAS", l.text("col.se"), l.text("col.ci_low"), l.text("col.ci_high"),
		l.text("col.rank"), l.text("col.rank_low"), l.text("col.rank_high"), l.text("col.tier"), l.text("pr.ranked"),
		l.text("col.change"), l.text("col.p"), l.text("col.significant")}}
	years := p.years()
	for _, py := range years {
		list := func(d *Domain) []Estimate {
			if d == nil {
				return nil
			}
			return append(append([]Estimate{d.SIPAS}, d.Elements...), d.Criteria...)
		}
		dom, reg, nat := list(py.Dom), list(py.Region), list(py.Nat)
		for i, e := range dom {
			r := []string{strconv.Itoa(py.Year.Year), e.Kind, e.ID, l.indexLabel(q, e.Kind, e.ID),
				f2(e.Estimate), f2(e.SE), f2(e.CILow), f2(e.CIHigh), strconv.Itoa(e.N), "", "", "",
				f2(nat[i].Estimate), f2(nat[i].CILow), f2(nat[i].CIHigh), "", "", "", ""}
			if reg != nil {
				r[9], r[10], r[11] = f2(reg[i].Estimate), f2(reg[i].CILow), f2(reg[i].CIHigh)
			}
			if t := e.Trend; t != nil {
				r[15], r[16], r[17], r[18] = f2(t.VsNation), f2(t.SEVsNation), f4(t.PAdjVsNation), boolPtr(t.SignificantVsNation)
			}
			ind.Rows = append(ind.Rows, r)
		}
		e := py.Dom.SIPAS
		r := []string{strconv.Itoa(py.Year.Year), f2(e.Estimate), f2(e.SE), f2(e.CILow), f2(e.CIHigh), "", "", "", "", "", "", "", ""}
		if t := e.Trend; t != nil {
			r[5], r[6], r[7], r[8], r[9] = iOrEmpty(t.Rank), iOrEmpty(t.RankLow), iOrEmpty(t.RankHigh), iOrEmpty(t.Tier), iOrEmpty(t.RankedDomains)
			r[10], r[11], r[12] = f2(t.ChangePrev), f4(t.PAdjChangePrev), boolPtr(t.SignificantPrev)
		}
		rk.Rows = append(rk.Rows, r)
	}
	out := []Table{ind, rk}
	d := years[len(years)-1].Dom
	cr := Table{Name: "province_criteria", Header: []string{l.text("col.kind"), "id", l.text("col.index"),
		l.text("col.vs_nation"), l.text("col.se"), "p", l.text("col.p"), "standing",
		l.text("col.importance"), l.text("col.performance"), "quadrant", l.text("col.quadrant")}}
	ipa := map[string]index.IPARow{}
	for _, r := range d.IPA {
		ipa[r.Criterion] = r
	}
	for _, s := range d.Standings {
		r := []string{s.Kind, s.ID, l.indexLabel(q, s.Kind, s.ID), f2(s.Diff), f2(s.SE), f4(s.P), f4(s.PAdj), s.Standing.String(), "", "", "", ""}
		if x, ok := ipa[s.ID]; ok && s.Kind == index.KindCriterion {
			r[8], r[9], r[10] = f4(x.Importance), f2(x.Performance), x.Quadrant.String()
			if x.Quadrant != index.QuadrantUnknown {
				r[11] = l.quadrantName(x.Quadrant)
			}
		}
		cr.Rows = append(cr.Rows, r)
	}
	if len(cr.Rows) > 0 {
		out = append(out, cr)
	}
	if col, parts, values := p.within(); len(parts) > 0 {
		wt := Table{Name: "province_within", Header: []string{l.textOr("by."+col, col), "SIPAS", l.text("col.se"), l.text("col.ci_low"), l.text("col.ci_high"), l.text("col.n")}}
		for _, e := range data.Latest().National.Elements {
			wt.Header = append(wt.Header, l.indexLabel(q, e.Kind, e.ID))
		}
		for i, d := range parts {
			e := d.SIPAS
			r := []string{textCell(values[i]), f2(e.Estimate), f2(e.SE), f2(e.CILow), f2(e.CIHigh), strconv.Itoa(e.N)}
			for _, x := range d.Elements {
				r = append(r, f2(x.Estimate))
			}
			wt.Rows = append(wt.Rows, r)
		}
		out = append(out, wt)
	}
	return out
}

// ProvinceFigures returns the print charts of the province report in the
// language of opt: "province", the SIPAS and the elements of the province,
// its region and the nation with their intervals, and, with more than one
// year, "province-trend", the SIPAS of the province (with its interval),
// its region and the nation across the years (each 16 cm wide, well
// within the 24 cm of the A4 text area). Two figures per province keep
// the reports of all provinces quick to draw; the criteria are in the
// tables.
func ProvinceFigures(p *ProvinceReport, opt *Options) []Figure {
	l := opt.lang()
	y := p.data.Latest()
	q := p.data.Questionnaire
	years := p.years()
	last := years[len(years)-1]
	var labels []string
	series := []groupSeries{{Name: p.Name, Color: hexColor("#c23531")}}
	if last.Region != nil {
		series = append(series, groupSeries{Name: l.text("pr.region_short") + " " + p.Region, Color: hexColor("#1a9850")})
	}
	series = append(series, groupSeries{Name: l.text("national"), Color: hexColor("#5470c6")})
	doms := []*Domain{last.Dom}
	if last.Region != nil {
		doms = append(doms, last.Region)
	}
	doms = append(doms, last.Nat)
	for k, d := range doms {
		for _, e := range append([]Estimate{d.SIPAS}, d.Elements...) {
			if k == 0 {
				labels = append(labels, l.indexLabel(q, e.Kind, e.ID))
			}
			series[k].Est = append(series[k].Est, e)
		}
	}
	out := []Figure{groupedIntervalFigure("province", l.textf("pr.print_compare", p.Name, yearSuffix(y)), l.text("col.estimate"), labels, series)}
	if t, ok := provinceTrendData(l, p); ok {
		if f, ok := trendFigure(l, "province-trend", "SIPAS "+p.Name+" "+p.data.Years[0].yearText()+"–"+y.yearText(), t); ok {
			out = append(out, f)
		}
	}
	for i := range out {
		localTicks(l, &out[i])
	}
	return out
}

// WriteProvinceDir writes the province's report into dir as WriteDir
// writes the national one: index.html (WriteProvinceHTML), the tables
// (ProvinceTables) under dir/tables and, unless opt.NoPrint, the print
// charts (ProvinceFigures) under dir/charts as PNG (300 dpi) and SVG and
// the report as a PDF, report.pdf (WriteProvincePDF). Each file is
// written atomically.
func WriteProvinceDir(dir string, p *ProvinceReport, opt *Options) error {
	if err := opt.check(); err != nil {
		return err
	}
	print := opt == nil || !opt.NoPrint
	for _, sub := range []string{"tables", "charts"} {
		if sub == "charts" && !print {
			continue
		}
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	if err := writeTables(dir, ProvinceTables(p, opt), opt.lang()); err != nil {
		return err
	}
	if print {
		figs := ProvinceFigures(p, opt)
		if err := writeFigures(dir, figs); err != nil {
			return err
		}
		if err := fsutil.WriteAtomic(filepath.Join(dir, "report.pdf"), nil, func(w io.Writer) error {
			return writeProvincePDF(w, p, opt, figs)
		}); err != nil {
			return err
		}
	}
	return fsutil.WriteAtomic(filepath.Join(dir, "index.html"), nil, func(w io.Writer) error {
		return WriteProvinceHTML(w, p, opt)
	})
}

// WriteProvincesDir writes the report of every province of data
// ((*Data).Provinces) into its own folder of dir (ProvinceReport.Folder,
// e.g. dir/01-ha-noi), with WriteProvinceDir, the provinces drawn on every
// core. The numbers are computed once (data); only the rendering is per
// province. It returns the folders written, in the order of Provinces.
func WriteProvincesDir(dir string, data *Data, opt *Options) ([]string, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	ps := data.Provinces()
	folders := make([]string, len(ps))
	used := map[string]int{}
	for i, p := range ps {
		f := p.Folder
		if n := used[p.Folder]; n > 0 { // two domains with one ASCII name
			f += "-" + strconv.Itoa(n+1)
		}
		used[p.Folder]++
		folders[i] = f
	}
	err := parallel(len(ps), func(i int) error {
		return WriteProvinceDir(filepath.Join(dir, folders[i]), ps[i], opt)
	})
	return folders, err
}

// groupSeries is one series of a grouped interval figure.
type groupSeries struct {
	Name  string
	Color color.Color
	Est   []Estimate // one per label
}

// groupedIntervalFigure draws, for each label (first at the top), the
// estimate and interval of every series side by side, with a legend.
func groupedIntervalFigure(name, title, xlabel string, labels []string, series []groupSeries) Figure {
	p := newPlot(title, xlabel)
	n := len(labels)
	p.Add(plotter.NewGrid())
	xmin, xmax := math.Inf(1), math.Inf(-1)
	for k, s := range series {
		var g xyXErr
		off := 0.25 * (float64(len(series)-1)/2 - float64(k))
		for i, e := range s.Est {
			if math.IsNaN(e.Estimate) {
				continue
			}
			lo, hi := e.Estimate-e.CILow, e.CIHigh-e.Estimate
			if math.IsNaN(lo) || math.IsNaN(hi) {
				lo, hi = 0, 0
			}
			g.XYs = append(g.XYs, plotter.XY{X: e.Estimate, Y: float64(n-1-i) + off})
			g.XErrors = append(g.XErrors, struct{ Low, High float64 }{lo, hi})
			xmin, xmax = math.Min(xmin, e.Estimate-lo), math.Max(xmax, e.Estimate+hi)
		}
		if len(g.XYs) == 0 {
			continue
		}
		eb, err := plotter.NewXErrorBars(g)
		if err != nil {
			panic("report: " + err.Error())
		}
		eb.LineStyle.Color = s.Color
		eb.LineStyle.Width = vg.Points(1)
		sc, err := plotter.NewScatter(g.XYs)
		if err != nil {
			panic("report: " + err.Error())
		}
		sc.GlyphStyle.Color = s.Color
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(2.2)
		p.Add(eb, sc)
		p.Legend.Add(norm.NFC.String(s.Name), sc)
	}
	names := make([]string, n)
	for i := range labels {
		names[n-1-i] = norm.NFC.String(labels[i])
	}
	p.NominalY(names...)
	if xmax > xmin {
		pad := 0.05 * (xmax - xmin)
		p.X.Min, p.X.Max = xmin-pad, xmax+pad
	}
	// Room above the first row for the legend.
	p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5+0.25*float64(len(series)+1)
	p.Legend.Top = true
	h := 3.5*vg.Centimeter + vg.Length(n)*0.9*vg.Centimeter
	return Figure{Name: name, Width: 16 * vg.Centimeter, Height: h, p: p}
}
