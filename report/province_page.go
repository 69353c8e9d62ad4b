package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/sipas-go/sipas/index"
)

// The province report's page: the national page's style and chart script
// (taken from pageHTML, so the two pages look and behave alike) around
// the province's own sections.

// provincePage is the view model of the province page.
type provincePage struct {
	Lang, Title, Subtitle, Generated string
	T                                map[string]string
	ECharts                          template.JS
	Charts                           []chart
	// Compare is the province's SIPAS and elements against its region and
	// the nation (latest year).
	CompareChart *chart
	RegionName   string
	Compare      []provCompareRow
	// Ranks are the province's SIPAS, rank and change in every year.
	TrendChart *chart
	Ranks      []provRankRow
	HasRanks   bool
	RanksNote  string
	// Criteria against the nation (latest year).
	Criteria []provCriterionRow
	HasIPA   bool
	// Strengths, Weaknesses and FixFirst are lists of index labels.
	Strengths, Weaknesses, FixFirst []string
	HasStandings                    bool
	// Within is the province broken down by a second column (latest
	// year), WithinLabel that column's label.
	WithinLabel string
	WithinHead  []string
	Within      []provWithinRow
	// Quality of the province's data in every year.
	Quality   []provQualityRow
	Rates     []rateRow
	Screening []kv
	Methods   []string
}

type provCompareRow struct {
	Label, Est, CI, N, Region, RegionCI, Nation, NationCI, VsNat, VsNatClass string
}

type provRankRow struct {
	Year, Est, CI, Rank, RankSet, Tier, Change string
}

type provCriterionRow struct {
	Element, Label, Est, CI, Nation, Diff, Standing, StandingClass, Quadrant string
}

type provWithinRow struct {
	Name, Est, CI, N string
	Elements         []string
}

type provQualityRow struct {
	Year, N, Deff, PSUFlag string
}

// WriteProvinceHTML writes the province's report as one self-contained
// HTML page (as WriteHTML: ECharts inlined, chart options as JSON data
// blocks, every label escaped).
func WriteProvinceHTML(w io.Writer, p *ProvinceReport, opt *Options) error {
	if p == nil {
		panic("report: WriteProvinceHTML with a nil province")
	}
	if err := opt.check(); err != nil {
		return err
	}
	return provinceTemplate.Execute(w, buildProvincePage(p, opt))
}

func buildProvincePage(p *ProvinceReport, opt *Options) *provincePage {
	l := opt.lang()
	data := p.data
	q := data.Questionnaire
	y := data.Latest()
	pg := &provincePage{Lang: string(l), T: map[string]string{}, ECharts: template.JS(echartsJS)}
	if opt != nil {
		pg.Generated = opt.Generated
	}
	for k := range messages {
		pg.T[k] = l.text(k)
	}
	ys := yearSuffix(y)
	pg.Title = l.textf("pr.title", p.Name) + ys
	if data.Title != "" {
		pg.Title = data.Title + " — " + p.Name
	}
	if p.Region != "" {
		pg.Subtitle = l.text("pr.region") + ": " + p.Region
		pg.RegionName = l.textf("pr.region_of", p.Region)
	}
	years := p.years()
	last := years[len(years)-1]
	var cs chartSet

	// The province against its region and the nation.
	nat := nationalEstimates(y)
	dom := append([]Estimate{last.Dom.SIPAS}, last.Dom.Elements...)
	for i, e := range dom {
		row := provCompareRow{Label: l.indexLabel(q, e.Kind, e.ID), Est: l.dec(e.Estimate, 1), CI: l.ciDec(e.CILow, e.CIHigh), N: l.count(e.N),
			Nation: l.dec(nat[i].Estimate, 1), NationCI: l.ciDec(nat[i].CILow, nat[i].CIHigh), Region: "–", RegionCI: "–"}
		row.VsNat, row.VsNatClass = l.vsNation(e.Trend)
		if r := last.Region; r != nil {
			re := append([]Estimate{r.SIPAS}, r.Elements...)[i]
			row.Region, row.RegionCI = l.dec(re.Estimate, 1), l.ciDec(re.CILow, re.CIHigh)
		}
		pg.Compare = append(pg.Compare, row)
	}
	iv, colors := compareIntervals(l, p)
	pg.CompareChart = ptr(cs.intervalChart(l.textf("pr.compare", p.Name)+ys, iv.labels, iv.est, iv.lo, iv.hi, colors, l.text("chart.ci"), l.text("col.estimate")))

	// Rank and SIPAS over the years.
	for _, py := range years {
		e := py.Dom.SIPAS
		r := provRankRow{Year: strconv.Itoa(py.Year.Year), Est: l.dec(e.Estimate, 1), CI: l.ciDec(e.CILow, e.CIHigh),
			Rank: "–", RankSet: "–", Tier: "–", Change: "–"}
		if t := e.Trend; t != nil {
			if t.Rank > 0 {
				pg.HasRanks = true
				r.Rank = l.textf("pr.rank_of", t.Rank, t.RankedDomains)
				r.RankSet = fmt.Sprintf("%d–%d", t.RankLow, t.RankHigh)
				r.Tier = strconv.Itoa(t.Tier)
			}
			if t.PrevYear != 0 {
				dir := 0
				if t.SignificantPrev != nil && *t.SignificantPrev && !math.IsNaN(t.ChangePrev) {
					dir = 1
					if t.ChangePrev < 0 {
						dir = -1
					}
				}
				r.Change = l.changeText(t.ChangePrev, dir)
			}
		}
		pg.Ranks = append(pg.Ranks, r)
	}
	pg.RanksNote = l.changeNote(data.adjustment())
	if t, ok := provinceTrendData(l, p); ok {
		pg.TrendChart = ptr(cs.lines("SIPAS "+data.Years[0].yearText()+"–"+y.yearText(), t.years, t.names, t.v, t.lo, t.hi, l.text("chart.ci")))
	}

	// Criteria against the nation, strengths, weaknesses and what to fix
	// first (a strength is never also "fix first").
	d := last.Dom
	standing := map[string]index.StrengthResult{}
	for _, s := range d.Standings {
		standing[s.Kind+"/"+s.ID] = s
		lab := l.indexLabel(q, s.Kind, s.ID)
		if s.Kind == index.KindElement {
			lab += " (" + strings.ToLower(l.text("col.element")) + ")"
		}
		switch s.Standing {
		case index.StandingStrength:
			pg.Strengths = append(pg.Strengths, lab)
		case index.StandingWeakness:
			pg.Weaknesses = append(pg.Weaknesses, lab)
		}
	}
	pg.HasStandings = d.Standings != nil
	quad := map[string]index.Quadrant{}
	for _, r := range d.IPA {
		quad[r.Criterion] = r.Quadrant
		pg.HasIPA = true
	}
	for _, r := range ipaSorted(d.IPA) {
		s, ok := standing[index.KindCriterion+"/"+r.Criterion]
		if r.Quadrant == index.QuadrantFixFirst && !(ok && s.Standing == index.StandingStrength) {
			pg.FixFirst = append(pg.FixFirst, l.indexLabel(q, index.KindCriterion, r.Criterion))
		}
	}
	for i, e := range d.Criteria {
		n := y.National.Criteria[i]
		row := provCriterionRow{Label: l.indexLabel(q, e.Kind, e.ID), Est: l.dec(e.Estimate, 1), CI: l.ciDec(e.CILow, e.CIHigh),
			Nation: l.dec(n.Estimate, 1), Diff: "–", Standing: "–", Quadrant: "–"}
		for _, c := range q.Criteria {
			if c.Column == e.ID {
				row.Element = l.indexLabel(q, index.KindElement, c.Element)
			}
		}
		if !math.IsNaN(e.Estimate) && !math.IsNaN(n.Estimate) {
			row.Diff = l.signedDec(e.Estimate-n.Estimate, 1)
		}
		if s, ok := standing[e.Kind+"/"+e.ID]; ok {
			switch s.Standing {
			case index.StandingStrength:
				row.Standing, row.StandingClass = l.text("pr.strength"), "above"
			case index.StandingWeakness:
				row.Standing, row.StandingClass = l.text("pr.weakness"), "below"
			default:
				row.Standing = "≈"
			}
		}
		if qd, ok := quad[e.ID]; ok {
			row.Quadrant = l.quadrantName(qd)
		}
		pg.Criteria = append(pg.Criteria, row)
	}

	// The province broken down by a second column.
	if col, parts, values := p.within(); len(parts) > 0 {
		pg.WithinLabel = l.textOr("by."+col, col)
		for i, d := range parts {
			r := provWithinRow{Name: values[i], Est: l.dec(d.SIPAS.Estimate, 1), CI: l.ciDec(d.SIPAS.CILow, d.SIPAS.CIHigh), N: l.count(d.SIPAS.N)}
			for _, e := range d.Elements {
				r.Elements = append(r.Elements, l.dec(e.Estimate, 1))
			}
			pg.Within = append(pg.Within, r)
		}
		for _, e := range y.National.Elements {
			pg.WithinHead = append(pg.WithinHead, l.indexLabel(q, e.Kind, e.ID))
		}
	}

	// Data quality: the province's ballots and design effect in every
	// year, its weighting classes, its screening.
	for _, py := range years {
		e := py.Dom.SIPAS
		r := provQualityRow{Year: strconv.Itoa(py.Year.Year), N: l.count(e.N), Deff: l.dec(e.Deff, 2)}
		switch e.Flag {
		case "few_psu", "low_psu":
			r.PSUFlag = l.text(e.Flag)
		}
		pg.Quality = append(pg.Quality, r)
	}
	if qy := y.Quality; qy != nil {
		for _, r := range qy.ResponseRates {
			if belongsTo(r.Class, p.Name) {
				pg.Rates = append(pg.Rates, rateRow{Class: r.Class, Issued: l.count(r.Issued), Returned: l.count(r.Returned),
					Valid: l.count(r.Valid), RR: l.dec(100*r.ResponseRate, 1), VR: l.dec(100*r.ValidRate, 1)})
			}
		}
	}
	if fw := y.Fieldwork; fw != nil {
		for _, g := range fw.Screening {
			if g.Group != p.Name {
				continue
			}
			pg.Screening = []kv{{l.text("col.ballots"), l.count(g.Ballots)}, {l.text("col.collectors"), l.count(g.Collectors)},
				{l.text("col.near_copies"), l.count(g.NearCopies)}, {l.text("col.straightlined"), l.count(g.Straightlined)},
				{l.text("col.duplicates"), l.count(g.Duplicates)}, {l.text("col.at_risk"), l.count(g.AtRisk)}}
		}
	}
	pg.Methods = l.methodsNote(data)
	pg.Charts = cs.charts
	return pg
}

// provinceTrendData is the province's SIPAS (with its interval), its
// region's and the nation's across the years; ok is false for one year.
func provinceTrendData(l Lang, p *ProvinceReport) (t nationalTrend, ok bool) {
	years := p.years()
	if len(years) < 2 {
		return t, false
	}
	v := [][]float64{{}, {}, {}}
	for _, py := range years {
		t.years = append(t.years, strconv.Itoa(py.Year.Year))
		v[0] = append(v[0], py.Dom.SIPAS.Estimate)
		t.lo, t.hi = append(t.lo, py.Dom.SIPAS.CILow), append(t.hi, py.Dom.SIPAS.CIHigh)
		rv := math.NaN()
		if py.Region != nil {
			rv = py.Region.SIPAS.Estimate
		}
		v[1] = append(v[1], rv)
		v[2] = append(v[2], py.Nat.SIPAS.Estimate)
	}
	t.names, t.v = []string{p.Name, l.text("pr.region_short"), l.text("national")}, v
	if p.Region == "" {
		t.names, t.v = []string{p.Name, l.text("national")}, [][]float64{v[0], v[2]}
	}
	return t, true
}

// changeNote says what the arrows of the province's changes mean and
// which correction decided them.
func (l Lang) changeNote(adjust string) string {
	if name, ok := l.adjustName(adjust); ok {
		return l.textf("pr.changes", name)
	}
	return l.text("pr.changes_none")
}

// yearText is the year as text ("" for a survey of unknown year).
func (y *Year) yearText() string {
	if y.Year == 0 {
		return ""
	}
	return strconv.Itoa(y.Year)
}

// belongsTo reports whether a weighting class label is one of the
// province's: the province's name, alone or followed by "/" or " · ".
func belongsTo(class, name string) bool {
	return class == name || strings.HasPrefix(class, name+"/") || strings.HasPrefix(class, name+" · ")
}

// ciDec is an interval in the language's numbers ("80,1–84,3").
func (l Lang) ciDec(lo, hi float64) string {
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return "–"
	}
	return l.dec(lo, 1) + "–" + l.dec(hi, 1)
}

// signedDec is x with its sign ("+2,3", "−0,4").
func (l Lang) signedDec(x float64, d int) string {
	s := l.dec(math.Abs(x), d)
	switch {
	case math.IsNaN(x):
		return "–"
	case x > 0:
		return "+" + s
	case x < 0:
		return "−" + s
	}
	return s
}

// vsNation is the "vs the nation" cell of a domain's estimate: above,
// below (significant after the correction) or ≈, and its class.
func (l Lang) vsNation(t *index.TrendRow) (string, string) {
	if t == nil || t.SignificantVsNation == nil {
		return "–", ""
	}
	if !*t.SignificantVsNation {
		return "≈", ""
	}
	if t.VsNation < 0 {
		return l.text("below") + " (" + l.signedDec(t.VsNation, 1) + ")", "below"
	}
	return l.text("above") + " (" + l.signedDec(t.VsNation, 1) + ")", "above"
}

// provinceBody is the body of the province page.
const provinceBody = `<h1>{{.Title}}</h1>
{{if .Subtitle}}<p class="note">{{.Subtitle}}</p>{{end}}
{{if .Generated}}<p class="note">{{.Generated}}</p>{{end}}
<nav><a href="#compare">{{index .T "pr.sec.compare"}}</a><a href="#ranks">{{index .T "pr.sec.ranks"}}</a><a href="#criteria">{{index .T "pr.sec.criteria"}}</a>{{if .Within}}<a href="#within">{{.WithinLabel}}</a>{{end}}<a href="#strengths">{{index .T "sec.strengths"}}</a><a href="#quality">{{index .T "sec.quality"}}</a><a href="#methods">{{index .T "sec.methods"}}</a></nav>
<noscript><p class="note">{{index .T "nojs"}}</p></noscript>

<h2 id="compare">{{index .T "pr.sec.compare"}}</h2>
{{with .CompareChart}}{{template "chart" .}}{{end}}
<div style="overflow-x:auto"><table>
<tr><th class="l">{{index .T "col.index"}}</th><th>{{index .T "col.estimate"}}</th><th>{{index .T "col.ci"}}</th><th>{{index .T "col.n"}}</th>{{if .RegionName}}<th>{{.RegionName}}</th><th>{{index .T "col.ci"}}</th>{{end}}<th>{{index .T "national"}}</th><th>{{index .T "col.ci"}}</th><th>{{index .T "col.vs_nation"}}</th></tr>
{{$reg := .RegionName}}{{range .Compare}}<tr><td class="l">{{.Label}}</td><td>{{.Est}}</td><td>{{.CI}}</td><td>{{.N}}</td>{{if $reg}}<td>{{.Region}}</td><td>{{.RegionCI}}</td>{{end}}<td>{{.Nation}}</td><td>{{.NationCI}}</td><td class="{{.VsNatClass}}">{{.VsNat}}</td></tr>
{{end}}</table></div>

<h2 id="ranks">{{index .T "pr.sec.ranks"}}</h2>
{{with .TrendChart}}{{template "chart" .}}{{end}}
<div style="overflow-x:auto"><table>
<tr><th>{{index .T "col.year"}}</th><th>SIPAS (%)</th><th>{{index .T "col.ci"}}</th>{{if .HasRanks}}<th>{{index .T "col.rank"}}</th><th>{{index .T "col.rank_ci"}}</th><th>{{index .T "col.tier"}}</th>{{end}}<th>{{index .T "col.change"}}</th></tr>
{{$hr := .HasRanks}}{{range .Ranks}}<tr><td>{{.Year}}</td><td>{{.Est}}</td><td>{{.CI}}</td>{{if $hr}}<td>{{.Rank}}</td><td>{{.RankSet}}</td><td>{{.Tier}}</td>{{end}}<td>{{.Change}}</td></tr>
{{end}}</table></div>
<p class="note">{{.RanksNote}}</p>

<h2 id="criteria">{{index .T "pr.sec.criteria"}}</h2>
<div style="overflow-x:auto"><table>
<tr><th class="l">{{index .T "col.element"}}</th><th class="l">{{index .T "col.criterion"}}</th><th>{{index .T "col.estimate"}}</th><th>{{index .T "col.ci"}}</th><th>{{index .T "national"}}</th><th>{{index .T "pr.diff"}}</th>{{if .HasStandings}}<th>{{index .T "pr.standing"}}</th>{{end}}{{if .HasIPA}}<th class="l">{{index .T "col.quadrant"}}</th>{{end}}</tr>
{{$st := .HasStandings}}{{$ipa := .HasIPA}}{{range .Criteria}}<tr><td class="l">{{.Element}}</td><td class="l">{{.Label}}</td><td>{{.Est}}</td><td>{{.CI}}</td><td>{{.Nation}}</td><td>{{.Diff}}</td>{{if $st}}<td class="{{.StandingClass}}">{{.Standing}}</td>{{end}}{{if $ipa}}<td class="l">{{.Quadrant}}</td>{{end}}</tr>
{{end}}</table></div>

{{if .Within}}<h2 id="within">{{.WithinLabel}}</h2>
<div style="overflow-x:auto"><table>
<tr><th class="l">{{.WithinLabel}}</th><th>SIPAS (%)</th><th>{{index .T "col.ci"}}</th><th>{{index .T "col.n"}}</th>{{range .WithinHead}}<th>{{.}}</th>{{end}}</tr>
{{range .Within}}<tr><td class="l">{{.Name}}</td><td>{{.Est}}</td><td>{{.CI}}</td><td>{{.N}}</td>{{range .Elements}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table></div>{{end}}

<h2 id="strengths">{{index .T "sec.strengths"}}</h2>
{{if .HasStandings}}<p class="note">{{index .T "sw.note"}}</p>{{end}}
<h3>{{index .T "col.strengths"}}</h3>
{{if .Strengths}}<ul>{{range .Strengths}}<li>{{.}}</li>{{end}}</ul>{{else}}<p class="note">{{index .T "pr.none"}}</p>{{end}}
<h3>{{index .T "col.weaknesses"}}</h3>
{{if .Weaknesses}}<ul>{{range .Weaknesses}}<li>{{.}}</li>{{end}}</ul>{{else}}<p class="note">{{index .T "pr.none"}}</p>{{end}}
{{if .HasIPA}}<h3>{{index .T "pr.fix_first"}}</h3>
{{if .FixFirst}}<ol>{{range .FixFirst}}<li>{{.}}</li>{{end}}</ol>{{else}}<p class="note">{{index .T "pr.none"}}</p>{{end}}{{end}}

<h2 id="quality">{{index .T "sec.quality"}}</h2>
<table>
<tr><th>{{index .T "col.year"}}</th><th>{{index .T "col.n"}}</th><th>{{index .T "col.deff"}}</th><th class="l">{{index .T "col.flag"}}</th></tr>
{{range .Quality}}<tr><td>{{.Year}}</td><td>{{.N}}</td><td>{{.Deff}}</td><td class="l">{{.PSUFlag}}</td></tr>
{{end}}</table>
{{if .Rates}}<div style="overflow-x:auto"><table><tr><th class="l">{{index .T "col.class"}}</th><th>{{index .T "col.issued"}}</th><th>{{index .T "col.returned"}}</th><th>{{index .T "col.valid"}}</th><th>{{index .T "col.rr"}} (%)</th><th>{{index .T "col.vr"}} (%)</th></tr>
{{range .Rates}}<tr><td class="l">{{.Class}}</td><td>{{.Issued}}</td><td>{{.Returned}}</td><td>{{.Valid}}</td><td>{{.RR}}</td><td>{{.VR}}</td></tr>
{{end}}</table></div>{{end}}
{{if .Screening}}<h3>{{index .T "fw.screening"}}</h3>
<table>{{range .Screening}}<tr><td class="l">{{.K}}</td><td>{{.V}}</td></tr>
{{end}}</table>{{end}}

<h2 id="methods">{{index .T "sec.methods"}}</h2>
{{range .Methods}}<p>{{.}}</p>
{{end}}
<p class="note">{{index .T "footer"}}</p>
{{range .Charts}}<script type="application/json" id="opt-{{.ID}}">{{.OptionJSON}}</script>
{{end}}
<script>{{.ECharts}}</script>
`

// provinceTemplate is the province page: the national page's head (its
// style) and its chart script, around provinceBody.
var provinceTemplate = func() *template.Template {
	head, rest, ok := strings.Cut(pageHTML, "<body>")
	_, script, ok2 := strings.Cut(rest, "<script>{{.ECharts}}</script>")
	end := strings.Index(script, "</html>")
	if !ok || !ok2 || end < 0 {
		panic("report: the page template has no <body> or chart script to share with the province page")
	}
	t := template.Must(pageTemplate.Clone())
	return template.Must(t.New("province").Parse(head + "<body>\n" + provinceBody + script[:end+len("</html>")]))
}()

// provinceMessages are the texts of the province report, merged into
// messages at init.
var provinceMessages = map[string]msg{
	"pr.title":         {"Chỉ số SIPAS của %s", "SIPAS of %s"},
	"pr.region":        {"Vùng kinh tế – xã hội", "Socio-economic region"},
	"pr.region_of":     {"Vùng %s", "Region: %s"},
	"pr.region_short":  {"Vùng", "Region"},
	"pr.compare":       {"%s so với vùng và cả nước", "%s against its region and the nation"},
	"pr.sec.compare":   {"So với vùng và cả nước", "Against the region and the nation"},
	"pr.sec.ranks":     {"Xếp hạng qua các năm", "Rank across the years"},
	"pr.sec.criteria":  {"Các tiêu chí so với cả nước", "The criteria against the nation"},
	"pr.rank_of":       {"%d/%d", "%d of %d"},
	"pr.ranked":        {"Số tỉnh được xếp hạng", "Provinces ranked"},
	"pr.diff":          {"Chênh lệch", "Difference"},
	"pr.standing":      {"Đánh giá", "Standing"},
	"pr.strength":      {"Điểm mạnh", "Strength"},
	"pr.weakness":      {"Điểm yếu", "Weakness"},
	"pr.fix_first":     {"Ưu tiên cải thiện trước (phân tích tầm quan trọng – mức độ hài lòng)", "What to fix first (importance–performance analysis)"},
	"pr.none":          {"Không có.", "None."},
	"pr.changes":       {"▲/▼: SIPAS tăng/giảm có ý nghĩa thống kê so với năm trước sau hiệu chỉnh so sánh bội %s giữa các tỉnh; thay đổi không có dấu là không có ý nghĩa thống kê.", "▲/▼: SIPAS significantly up/down against the previous year after the %s across provinces; a change without a mark is not significant."},
	"pr.changes_none":  {"▲/▼: SIPAS tăng/giảm có ý nghĩa thống kê so với năm trước (không hiệu chỉnh so sánh bội); thay đổi không có dấu là không có ý nghĩa thống kê.", "▲/▼: SIPAS significantly up/down against the previous year (no multiple-comparison correction); a change without a mark is not significant."},
	"pr.print_compare": {"%s so với vùng và cả nước%s", "%s against its region and the nation%s"},
}

func init() { addMessages(provinceMessages) }
