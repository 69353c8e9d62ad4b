package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/sipas-go/sipas/index"
)

// Options configure WriteHTML and WriteCSV; the zero value (or nil) writes
// Vietnamese.
type Options struct {
	// Lang is the language of the labels: LangVI (default, also "") or
	// LangEN; WriteHTML and WriteDir return an error wrapping ErrLang for
	// any other, and Tables, Figures and MapFigure panic.
	Lang Lang
	// Generated, when set, is printed as the date of the report (nothing
	// reads the clock, so output is reproducible).
	Generated string
	// NoPrint makes WriteDir skip the print charts (PNG and SVG) and the
	// PDF.
	NoPrint bool
	// MaxRadars caps the page's radar charts (one per domain, in rank
	// order); 0 means DefaultMaxRadars. The print charts have a radar for
	// every domain.
	MaxRadars int
}

// DefaultMaxRadars is the number of radar charts a page holds unless
// Options.MaxRadars says otherwise: one per province of the 1997–2024
// map, so that a page of finer domains (communes, units) does not grow a
// radar per domain.
const DefaultMaxRadars = 63

// pageDomains is the number of domains the page's per-domain charts and
// tables hold: with more, they show the pageDomains/2 with the highest
// SIPAS and the pageDomains/2 with the lowest (pageRows), and a note says
// that every domain is in tables/ and charts/; so a page of 2,000 units
// is the size of a page of 100.
const pageDomains = 100

// pageRows are the indices of the rows of a list of n rows in rank order
// that the page shows: all of them up to pageDomains, else the first and
// last pageDomains/2.
func pageRows(n int) []int {
	k := min(n, pageDomains)
	out := make([]int, 0, k)
	for i := range n {
		if n <= pageDomains || i < pageDomains/2 || i >= n-pageDomains/2 {
			out = append(out, i)
		}
	}
	return out
}

// ErrLang is wrapped by the error of WriteHTML and WriteDir for a
// language other than LangVI and LangEN (ParseLang reads a user's string).
var ErrLang = errors.New("report: unknown language")

// check returns an error wrapping ErrLang for an unknown language.
func (o *Options) check() error {
	if o == nil || o.Lang == "" || o.Lang == LangVI || o.Lang == LangEN {
		return nil
	}
	return fmt.Errorf("%w %q: want %q or %q", ErrLang, string(o.Lang), LangVI, LangEN)
}

// lang is the language of o; an unknown one panics (Tables, Figures and
// MapFigure cannot return an error; WriteHTML and WriteDir check first).
func (o *Options) lang() Lang {
	if err := o.check(); err != nil {
		panic(err.Error())
	}
	if o == nil || o.Lang == "" {
		return LangVI
	}
	return o.Lang
}

// page is the view model of the HTML template.
type page struct {
	Lang      string
	Title     string
	Generated string
	Year      int
	Years     string
	T         map[string]string
	ByLabel   string
	ECharts   template.JS
	Charts    []chart
	National  []tableRow
	NatChart  *chart
	RankChart *chart
	// Map is the choropleth of SIPAS by province (map.go); nil when the
	// domains are not provinces.
	Map     *mapView
	Ranking []rankRow
	// RankingTable is the ranking table as published (ranking.go).
	RankingTable *rankingView
	HasRanks     bool
	Heatmap      *chart
	HeatHead     []string
	HeatRows     []heatRow
	Radars       []chart
	// Capped, when the domains are more than the page shows (pageRows),
	// says which it shows and where the others are; RadarNote, when the
	// radars are capped, where the others are.
	Capped, RadarNote string
	Trend             *chart
	DomTrend          *chart
	TrendNote         string
	Changes           []changeRow
	Strengths         []swRow
	HasVsNat          bool
	NoChanges         string
	Expect            []tableRow
	ExpChart          *chart
	Quality           *qualityView
	QYears            []qualityYear
	Fieldwork         *fieldworkView
	Methods           []string
	// Summary is the executive summary (Data.Summary).
	Summary  []string
	Criteria []tableRow
	// IPA is the importance–performance section (ipa.go); HasIPA adds the
	// "fix first" column to the strengths table.
	IPA    *ipaView
	HasIPA bool

	// RankNote says why the domains whose rank is "–*" are not ranked.
	RankNote string
}

type tableRow struct {
	Label, Est, SE, CI, N, Deff, Flag string
}

type swRow struct {
	Name, Strengths, Weaknesses, FixFirst string
}

type rankRow struct {
	Rank, RankCI, Tier, Name, Est, CI, N, VsNat string
	TierClass                                   string
}

type heatRow struct {
	Name  string
	Cells []string
}

type changeRow struct {
	Name, Index, Year, Change, P, Dir string
}

type qualityView struct {
	Counts  []kv
	Reasons []kv
	Rates   []rateRow
	RRChart *chart
	// Misses are the calibrated totals a trimming broke, MissNote what
	// they mean, MissHead the table's header.
	Misses   []missRow
	MissNote string
	MissHead []string
}

type kv struct{ K, V string }

// qualityYear is one row of the ballot accounting across years.
type qualityYear struct{ Year, Issued, Returned, RowsIn, Used, Excluded, RR string }

type rateRow struct{ Class, Issued, Returned, Valid, RR, VR string }

// WriteHTML writes the report as one self-contained HTML page (METHODOLOGY
// §9): ECharts inlined once, chart options as JSON data blocks read by a
// fixed init script, every label escaped by html/template. The init script
// sets data-rendered="N" on <body> after initialising N charts and
// data-chart-errors to the number of charts that failed.
func WriteHTML(w io.Writer, data *Data, opt *Options) error {
	if data == nil {
		panic("report: WriteHTML with nil data")
	}
	if err := opt.check(); err != nil {
		return err
	}
	p := buildPage(data, opt)
	return pageTemplate.Execute(w, p)
}

func buildPage(data *Data, opt *Options) *page {
	l := opt.lang()
	p := &page{Lang: string(l), T: map[string]string{}, ECharts: template.JS(echartsJS)}
	if opt != nil {
		p.Generated = opt.Generated
	}
	for k := range messages {
		p.T[k] = l.text(k)
	}
	p.ByLabel = l.byLabel(data)
	p.Methods = l.methodsNote(data)
	p.Summary = data.Summary(l)
	y := data.Latest()
	if y == nil {
		p.Title = l.text("title")
		return p
	}
	q := data.Questionnaire
	p.Year = y.Year
	ys := yearSuffix(y)
	p.Title = data.Title
	if p.Title == "" {
		p.Title = l.text("title") + ys
	}
	if len(data.Years) > 1 {
		p.Years = fmt.Sprintf("%d–%d", data.Years[0].Year, y.Year)
	}
	cs := chartSet{lang: l}

	// National SIPAS and the elements.
	nat := y.National
	natIv := nationalIntervals(l, q, y)
	for i, e := range nationalEstimates(y) {
		p.National = append(p.National, rowOf(l, natIv.labels[i], e))
	}
	p.NatChart = ptr(cs.intervalChart(l.text("sec.national")+ys, natIv.labels, natIv.est, natIv.lo, natIv.hi, nil, l.text("chart.ci"), l.text("col.estimate")))
	for _, e := range nat.Criteria {
		p.Criteria = append(p.Criteria, rowOf(l, l.indexLabel(q, e.Kind, e.ID), e))
	}

	// Ranking of the domains.
	if len(y.Domains) > 0 {
		show := pageRows(len(y.Domains))
		if n := len(y.Domains); len(show) < n {
			p.Capped = l.textf("page.capped", l.count(n), p.ByLabel, pageDomains/2, pageDomains/2)
		}
		rankIv := rankingIntervals(y).rows(show)
		// why a domain has no rank: the marks and notes of the ranking table
		marks := unrankedMarks(RankingTable(data))
		p.RankNote = strings.TrimSpace(l.unrankedNotes(marks))
		var colors []string
		for k, i := range show {
			d := y.Domains[i]
			e := d.SIPAS
			r := rankRow{Name: d.Name, Est: l.pct(e.Estimate), CI: l.ci(e.CILow, e.CIHigh), N: l.count(e.N),
				Rank: positionRank(i, e.Estimate, "–"), RankCI: "–", Tier: "–"}
			if t := e.Trend; t != nil && t.Rank > 0 {
				p.HasRanks = true
				r.Rank = strconv.Itoa(t.Rank)
				r.RankCI = fmt.Sprintf("%d–%d", t.RankLow, t.RankHigh)
				r.Tier = strconv.Itoa(t.Tier)
				r.TierClass = "tier" + strconv.Itoa(t.Tier)
			}
			if why := unrankedWhy(e); why != "" {
				r.Rank = "–" + marks[why] // not its place in the order
			}
			if t := e.Trend; t != nil && t.SignificantVsNation != nil {
				p.HasVsNat = true
				r.VsNat = "≈"
				if *t.SignificantVsNation {
					r.VsNat = l.text("above")
					if t.VsNation < 0 {
						r.VsNat = l.text("below")
					}
				}
			}
			p.Ranking = append(p.Ranking, r)
			colors = append(colors, tierColor(rankIv.tiers[k]))
		}
		p.RankingTable = rankingSection(l, data)
		p.RankingTable.Rows = pick(p.RankingTable.Rows, pageRows(len(p.RankingTable.Rows)))
		p.RankChart = ptr(cs.intervalChart(l.text("sec.ranking")+ys, rankIv.labels, rankIv.est, rankIv.lo, rankIv.hi, colors, l.text("chart.ci"), l.text("col.estimate")))
		p.Map = mapSection(l, data, &cs, ys)

		// Heatmap domain × element (and SIPAS).
		rows, cols, vals := heatmapData(l, q, y)
		rows, vals = pick(rows, show), pick(vals, show)
		p.HeatHead = cols
		for i, v := range vals {
			hr := heatRow{Name: rows[i]}
			for _, x := range v {
				hr.Cells = append(hr.Cells, l.pct(x))
			}
			p.HeatRows = append(p.HeatRows, hr)
		}
		p.Heatmap = ptr(cs.heatmap(l.text("sec.heatmap")+ys, rows, cols, vals))

		// A radar per domain against the nation.
		max := DefaultMaxRadars
		if opt != nil && opt.MaxRadars > 0 {
			max = opt.MaxRadars
		}
		if max >= len(y.Domains) {
			max = len(y.Domains)
		} else {
			p.RadarNote = l.textf("page.radars", max, l.count(len(y.Domains)))
		}
		natV, domV, rmin := radarData(y, max)
		for i, d := range y.Domains[:max] {
			p.Radars = append(p.Radars, cs.radar(d.Name, cols[:len(cols)-1], d.Name, l.text("national"), domV[i], natV, rmin))
		}
	}

	// Strengths and weaknesses per domain.
	for _, d := range y.Domains {
		if d.IPA != nil {
			p.HasIPA = true
		}
	}
	shown := map[string]bool{}
	for _, i := range pageRows(len(y.Domains)) {
		shown[y.Domains[i].Key] = true
	}
	for _, d := range byName(y.Domains) { // a list: collation
		if (d.Standings == nil && d.IPA == nil) || !shown[d.Key] {
			continue
		}
		p.Strengths = append(p.Strengths, strengthsRow(l, q, &d))
	}
	p.IPA = ipaSection(l, q, y, &cs, ys)

	// Trend lines: national SIPAS with its interval, and the elements.
	if len(data.Years) > 1 {
		t := nationalTrendData(l, q, data)
		p.Trend = ptr(cs.lines(l.text("sec.trend")+" "+p.Years, t.years, t.names, t.v, t.lo, t.hi, l.text("chart.ci")))
		// SIPAS of every domain across years: the highest and lowest of
		// the latest year in colour and named, the others in grey.
		if len(y.Domains) > 0 {
			dt := domainTrendData(data)
			show := pageRows(len(dt.names))
			dt.names, dt.v, dt.shown = pick(dt.names, show), pick(dt.v, show), pick(dt.shown, show)
			p.DomTrend = ptr(cs.domainLines("SIPAS: "+p.ByLabel+" "+p.Years, t.years, dt.names, dt.v, dt.shown))
		}
		p.Changes = changes(l, q, y, shown)
		if len(p.Changes) == 0 {
			p.NoChanges = l.text("no_changes")
		}
	} else {
		p.TrendNote = l.text("no_trend")
	}

	// Expectation shares (national).
	if labs, v, ok := expectationData(l, q, y); ok {
		for i, e := range nat.Expectations {
			p.Expect = append(p.Expect, rowOf(l, labs[i], e))
		}
		p.ExpChart = ptr(cs.bars(l.text("sec.expect")+ys, labs, v))
	}

	// Data quality.
	// Ballot accounting across years (when more than one year has it).
	for _, yy := range data.Years {
		qy := yy.Quality
		if qy == nil {
			continue
		}
		rr := "–"
		if qy.Issued > 0 && qy.Returned > 0 {
			rr = l.pct(100 * float64(qy.Returned) / float64(qy.Issued))
		}
		p.QYears = append(p.QYears, qualityYear{Year: strconv.Itoa(yy.Year), Issued: l.countOrDash(qy.Issued), Returned: l.countOrDash(qy.Returned),
			RowsIn: l.countOrDash(qy.RowsIn), Used: l.countOrDash(qy.RowsUsed), Excluded: l.count(qy.RowsExcluded), RR: rr})
	}
	if len(p.QYears) < 2 {
		p.QYears = nil
	}
	if qy := y.Quality; qy != nil {
		qv := &qualityView{}
		add := func(key string, n int) {
			if n > 0 {
				qv.Counts = append(qv.Counts, kv{l.text(key), l.count(n)})
			}
		}
		add("q.issued", qy.Issued)
		add("q.returned", qy.Returned)
		add("q.rows_in", qy.RowsIn)
		add("q.rows_used", qy.RowsUsed)
		if qy.RowsIn > 0 {
			qv.Counts = append(qv.Counts, kv{l.text("q.rows_excluded"), l.count(qy.RowsExcluded)})
		}
		for _, r := range qy.Excluded {
			qv.Reasons = append(qv.Reasons, kv{l.textOr("reason."+r.Reason, r.Reason), l.count(r.Rows)})
		}
		for _, r := range qy.ResponseRates {
			qv.Rates = append(qv.Rates, rateRow{Class: r.Class, Issued: l.count(r.Issued), Returned: l.count(r.Returned),
				Valid: l.count(r.Valid), RR: l.pct(100 * r.ResponseRate), VR: l.pct(100 * r.ValidRate)})
		}
		if edges, counts, overall := rrHistogram(qy.ResponseRates); len(edges) > 0 {
			qv.RRChart = ptr(cs.histogram(l.rrTitle(ys, overall), l.binLabels(edges), counts, l.text("col.classes")))
		}
		if len(qy.Misses) > 0 {
			qv.Misses, qv.MissNote, qv.MissHead = l.missRows(qy.Misses), l.missNote(len(qy.Misses)), l.missHeader()
		}
		p.Quality = qv
	}
	p.Fieldwork = fieldworkPage(l, y.Fieldwork)
	p.Charts = cs.charts
	return p
}

func ptr(c chart) *chart { return &c }

func elementValues(d Domain) []float64 {
	v := make([]float64, len(d.Elements))
	for i, e := range d.Elements {
		v[i] = e.Estimate
	}
	return v
}

func rowOf(l Lang, label string, e Estimate) tableRow {
	r := tableRow{Label: label, Est: l.pct(e.Estimate), SE: l.se(e.SE), CI: l.ci(e.CILow, e.CIHigh),
		N: l.count(e.N), Deff: l.se(e.Deff)}
	switch e.Flag {
	case "boundary", "few_psu", "low_psu":
		r.Flag = l.text(e.Flag)
	}
	return r
}

// changes lists the significant changes against the previous year in the
// latest year (SIPAS, elements, then criteria where they have trend rows;
// nation first, then domains in rank order).
func changes(l Lang, q *index.Questionnaire, y *Year, shown map[string]bool) []changeRow {
	var out []changeRow
	add := func(name string, e Estimate) {
		t := e.Trend
		if t == nil || t.SignificantPrev == nil || !*t.SignificantPrev {
			return
		}
		dir := l.text("up")
		if t.ChangePrev < 0 {
			dir = l.text("down")
		}
		out = append(out, changeRow{Name: name, Index: l.indexLabel(q, e.Kind, e.ID),
			Year: fmt.Sprintf("%d→%d", t.PrevYear, t.Year), Change: l.signed(t.ChangePrev),
			P: l.pval(t.PAdjChangePrev), Dir: dir})
	}
	all := append([]Domain{y.National}, y.Domains...)
	for i, d := range all {
		if i > 0 && !shown[d.Key] {
			continue
		}
		name := d.Name
		if i == 0 {
			name = l.text("national")
		}
		add(name, d.SIPAS)
		for _, e := range d.Elements {
			add(name, e)
		}
		// Criteria have trend rows when they come from index.Trend.
		for _, e := range d.Criteria {
			add(name, e)
		}
	}
	return out
}

// optionJSON lets html/template write a chart option inside the
// application/json script: it is re-marshalled by the template's JS escaper
// (json.Marshal of a json.RawMessage), which keeps < > & escaped.
func (c chart) OptionJSON() json.RawMessage { return c.Option }

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// pick returns the elements of x at the indices idx.
func pick[T any](x []T, idx []int) []T {
	out := make([]T, len(idx))
	for k, i := range idx {
		out[k] = x[i]
	}
	return out
}

// pageMessages are the page's notes on what it leaves to tables/ and
// charts/, merged into messages at init.
var pageMessages = map[string]msg{
	"page.capped": {"Có %s giá trị của “%s”: trang này chỉ hiện %d giá trị có SIPAS cao nhất và %d giá trị thấp nhất trong các biểu đồ và bảng theo từng giá trị; tất cả có trong các bảng tables/ranking.csv, ranking_table.csv, elements.csv, strengths.csv, estimates.csv và các biểu đồ in ở charts/.",
		"There are %s values of “%s”: this page shows only the %d with the highest SIPAS and the %d with the lowest in its charts and tables by value; all of them are in tables/ranking.csv, ranking_table.csv, elements.csv, strengths.csv, estimates.csv and in the print charts in charts/."},
	"page.radars": {"Trang này hiện biểu đồ mạng nhện của %d giá trị đầu bảng xếp hạng trong số %s; biểu đồ của tất cả có trong các biểu đồ in charts/radars-*.png và *.svg.",
		"This page shows the radars of the first %d of %s in the ranking; the radars of all of them are in the print charts charts/radars-*.png and *.svg."},
}

func init() { addMessages(pageMessages) }
