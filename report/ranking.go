package report

import (
	"html/template"
	"math"
	"strconv"
	"strings"

	"github.com/sipas-go/sipas/index/rank"
)

// RankingRow is one row of the ranking table as the official publication
// prints it (the table newspapers reprint): the domain's rank and SIPAS
// with its five elements in the report's year, its SIPAS and rank in the
// year before, the change, and the tier.
type RankingRow struct {
	// Rank is the rank of the SIPAS index (1 = highest); 0 when the domain
	// is not ranked (no SIPAS estimate, or no trend comparison).
	Rank int
	// Key and Name are those of Domain.
	Key, Name string
	// SIPAS and Elements (in the questionnaire's order) are estimates in
	// percent; NaN when missing.
	SIPAS    float64
	Elements []float64
	// Tier is the quartile of the rank (1 top … 4 bottom); 0 when not
	// ranked.
	Tier int
	// PrevYear is the year the change refers to (the domain's previous
	// year in the report); 0 when there is none. PrevSIPAS and PrevRank are
	// the domain's SIPAS and rank in PrevYear (NaN and 0 when missing).
	PrevYear  int
	PrevSIPAS float64
	PrevRank  int
	// Change is SIPAS − PrevSIPAS as the trend comparison computed it
	// (index.TrendRow.ChangePrev); NaN when not compared.
	Change float64
	// Direction is +1 (▲) or −1 (▼) when the change is significant after
	// the multiple-comparison correction of the trend comparison
	// (index.TrendRow.SignificantPrev), 0 otherwise.
	Direction int
	// Unranked says why a domain has no rank (Unranked*); "" when it is
	// ranked or when no domain is (no trend comparison).
	Unranked string
}

// Why a domain of the ranking table has no rank (RankingRow.Unranked).
const (
	// UnrankedMissing: the domain has no SIPAS estimate.
	UnrankedMissing = "missing"
	// UnrankedFewPSU: the domain lies in a single PSU, so its SIPAS has no
	// standard error (flag few_psu) and no rank confidence set.
	UnrankedFewPSU = "few_psu"
	// UnrankedNoSE: the domain's SIPAS has no standard error otherwise.
	UnrankedNoSE = "no_se"
)

// unrankedWhy is why the SIPAS estimate e of a domain has no rank; "" when
// it has one, or when the year was not ranked at all (no trend row) and the
// estimate is there.
func unrankedWhy(e Estimate) string {
	switch {
	case e.Trend != nil && e.Trend.Rank > 0:
		return ""
	case math.IsNaN(e.Estimate) || math.IsInf(e.Estimate, 0):
		return UnrankedMissing
	case e.Trend == nil:
		return ""
	case e.Flag == "few_psu":
		return UnrankedFewPSU
	}
	return UnrankedNoSE
}

// RankingTable returns the ranking table of the report's year: one row
// per domain in rank order (ties and unranked domains in Vietnamese
// collation, as Year.Domains). The change and its direction come from the
// trend rows (index.TrendRow: ChangePrev, SignificantPrev), so an arrow
// means the change is significant after the correction that was used
// (Data.Compare); nil for empty Data.
func RankingTable(data *Data) []RankingRow {
	y := data.Latest()
	if y == nil {
		return nil
	}
	var prevYear *Year
	if n := len(data.Years); n > 1 {
		prevYear = &data.Years[n-2]
	}
	out := make([]RankingRow, 0, len(y.Domains))
	for _, d := range y.Domains {
		r := RankingRow{Key: d.Key, Name: d.Name, SIPAS: d.SIPAS.Estimate, Elements: elementValues(d),
			PrevSIPAS: math.NaN(), Change: math.NaN(), Unranked: unrankedWhy(d.SIPAS)}
		py := prevYear
		if t := d.SIPAS.Trend; t != nil {
			if t.Rank > 0 {
				r.Rank, r.Tier = t.Rank, t.Tier
			}
			py = data.year(t.PrevYear)
			r.Change = t.ChangePrev
			if t.SignificantPrev != nil && *t.SignificantPrev && !math.IsNaN(t.ChangePrev) {
				r.Direction = 1
				if t.ChangePrev < 0 {
					r.Direction = -1
				}
			}
		}
		if py != nil {
			if pd := py.domain(d.Key); pd != nil {
				r.PrevYear = py.Year
				r.PrevSIPAS = pd.SIPAS.Estimate
				r.PrevRank = rankOf(pd.SIPAS)
			}
		}
		out = append(out, r)
	}
	return out
}

// year returns the year y of the report; nil when it has none (or y is 0
// and no year is 0).
func (d *Data) year(y int) *Year {
	for i := range d.Years {
		if d.Years[i].Year == y {
			return &d.Years[i]
		}
	}
	return nil
}

// domain returns the domain of key in y; nil when y has none.
func (y *Year) domain(key string) *Domain {
	for i := range y.Domains {
		if y.Domains[i].Key == key {
			return &y.Domains[i]
		}
	}
	return nil
}

// dirMark is the direction mark of a ranking row.
func dirMark(dir int) string {
	switch dir {
	case 1:
		return "▲"
	case -1:
		return "▼"
	}
	return ""
}

// rankingCells are the text cells of the ranking table, shared by the HTML
// page and the print pages.
type rankingCells struct {
	Head  []string // column headers
	Rows  [][]string
	Tiers []int // the tier of each row (0: none), for shading
	Dirs  []int // the direction of each row
	Note  string
}

// changeText writes a change with its sign, and the arrow when it is
// significant: "▲ +2,3", "−0,4", "–".
func (l Lang) changeText(x float64, dir int) string {
	if math.IsNaN(x) {
		return "–"
	}
	s := l.dec(math.Abs(x), 1)
	switch {
	case x > 0:
		s = "+" + s
	case x < 0:
		s = "−" + s
	}
	if a := dirMark(dir); a != "" {
		s = a + " " + s
	}
	return s
}

func rankText(r int) string {
	if r == 0 {
		return "–"
	}
	return strconv.Itoa(r)
}

// rankingCellsOf lays out RankingTable(data) in the language l: indices
// with one decimal, the change with its sign and arrow, and a note saying
// what the arrows mean.
func rankingCellsOf(l Lang, data *Data) rankingCells {
	rows := RankingTable(data)
	y := data.Latest()
	q := data.Questionnaire
	var c rankingCells
	prev := 0
	for _, r := range rows {
		if r.PrevYear != 0 {
			prev = r.PrevYear
			break
		}
	}
	ys := ""
	if y.Year != 0 {
		ys = " " + strconv.Itoa(y.Year)
	}
	c.Head = []string{l.text("col.rank"), l.byLabel(data), "SIPAS" + ys}
	for _, e := range y.National.Elements {
		c.Head = append(c.Head, l.indexLabel(q, e.Kind, e.ID))
	}
	ps := ""
	if prev != 0 {
		ps = " " + strconv.Itoa(prev)
	}
	c.Head = append(c.Head, "SIPAS"+ps, l.text("col.rank")+ps, l.text("col.change"), l.text("col.tier"))
	marks := unrankedMarks(rows)
	for _, r := range rows {
		cells := []string{rankText(r.Rank) + marks[r.Unranked], r.Name, l.dec(r.SIPAS, 1)}
		for _, v := range r.Elements {
			cells = append(cells, l.dec(v, 1))
		}
		cells = append(cells, l.dec(r.PrevSIPAS, 1), rankText(r.PrevRank), l.changeText(r.Change, r.Direction), rankText(r.Tier))
		c.Rows = append(c.Rows, cells)
		c.Tiers = append(c.Tiers, r.Tier)
		c.Dirs = append(c.Dirs, r.Direction)
	}
	c.Note = l.rankingNote(data.adjustment(), prev) + l.unrankedNotes(marks)
	return c
}

// unrankedOrder is the order of the reasons for no rank in the notes.
var unrankedOrder = []string{UnrankedFewPSU, UnrankedNoSE, UnrankedMissing}

// unrankedMarks gives each reason for no rank that rows have a footnote
// mark ("*", "**", … in unrankedOrder); "" (ranked) has none.
func unrankedMarks(rows []RankingRow) map[string]string {
	has := map[string]bool{}
	for _, r := range rows {
		has[r.Unranked] = true
	}
	marks := map[string]string{}
	for _, why := range unrankedOrder {
		if has[why] {
			marks[why] = strings.Repeat("*", len(marks)+1)
		}
	}
	return marks
}

// unrankedNotes are the footnotes of marks, each after a space.
func (l Lang) unrankedNotes(marks map[string]string) string {
	var b strings.Builder
	for _, why := range unrankedOrder {
		if m, ok := marks[why]; ok {
			b.WriteString(" " + m + " " + l.text("rt.unranked."+why))
		}
	}
	return b.String()
}

// rankingNote says what the arrows of the ranking table mean and which
// correction decided them.
func (l Lang) rankingNote(adjust string, prev int) string {
	if prev == 0 {
		return l.text("rt.note_one")
	}
	if name, ok := l.adjustName(adjust); ok {
		return l.textf("rt.note", prev, name)
	}
	return l.textf("rt.note_none", prev)
}

// adjustment is the multiple-comparison correction of the comparison of
// the years (rank.Adjustment's spelling); "" when there was none.
func (d *Data) adjustment() string {
	if d.Compare == nil {
		return ""
	}
	return d.Compare.Adjust.String()
}

// adjustName is the name of a multiple-comparison correction (the
// spelling of rank.ParseAdjustment) in the language, and false when there
// was none.
func (l Lang) adjustName(adjust string) (string, bool) {
	a, err := rank.ParseAdjustment(adjust)
	switch {
	case adjust == "" || (err == nil && a == rank.AdjustNone):
		return "", false
	case err != nil:
		return adjust, true
	}
	return l.text("adjust." + a.String()), true
}

// rankingTableCSV is the "ranking_table" of Tables: the cells of the
// printed table with machine-readable numbers (two decimals, a point; the
// direction as ▲/▼ in a column of its own).
func rankingTableCSV(l Lang, data *Data) (Table, bool) {
	rows := RankingTable(data)
	if len(rows) == 0 {
		return Table{}, false
	}
	q := data.Questionnaire
	y := data.Latest()
	t := Table{Name: "ranking_table", Header: []string{l.text("col.rank"), l.byLabel(data), "SIPAS"}}
	for _, e := range y.National.Elements {
		t.Header = append(t.Header, l.indexLabel(q, e.Kind, e.ID))
	}
	t.Header = append(t.Header, l.text("col.prev_year"), l.text("col.prev_sipas"), l.text("col.prev_rank"),
		l.text("col.change"), l.text("col.direction"), l.text("col.tier"), l.text("col.unranked"))
	for _, r := range rows {
		cells := []string{iOrEmpty(r.Rank), textCell(r.Name), f2(r.SIPAS)}
		for _, v := range r.Elements {
			cells = append(cells, f2(v))
		}
		why := ""
		if r.Unranked != "" {
			why = l.text("rt.unranked." + r.Unranked)
		}
		cells = append(cells, iOrEmpty(r.PrevYear), f2(r.PrevSIPAS), iOrEmpty(r.PrevRank), f2(r.Change), dirMark(r.Direction), iOrEmpty(r.Tier), why)
		t.Rows = append(t.Rows, cells)
	}
	return t, true
}

// rankingView is the ranking table of the HTML page.
type rankingView struct {
	Head []string
	Rows []rankingViewRow
	Note string
}

type rankingViewRow struct {
	Class string
	Cells []string
}

func rankingSection(l Lang, data *Data) *rankingView {
	y := data.Latest()
	if y == nil || len(y.Domains) == 0 {
		return nil
	}
	c := rankingCellsOf(l, data)
	v := &rankingView{Head: c.Head, Note: c.Note}
	for i, r := range c.Rows {
		cls := ""
		if c.Tiers[i] > 0 {
			cls = "tier" + strconv.Itoa(c.Tiers[i])
		}
		v.Rows = append(v.Rows, rankingViewRow{Class: cls, Cells: r})
	}
	return v
}

// rankingHTML is the ranking table of the page (template "ranking-table",
// given the page's rankingView and the page's texts).
const rankingHTML = `{{with .RankingTable}}<h3 id="ranking-table">{{index $.T "rt.title"}}</h3>
<div style="overflow-x:auto"><table class="ranking-table">
<thead><tr>{{range $i, $h := .Head}}<th{{if eq $i 1}} class="l"{{end}}>{{$h}}</th>{{end}}</tr></thead>
{{range .Rows}}<tr class="rt{{if .Class}} {{.Class}}{{end}}">{{range $i, $c := .Cells}}<td{{if eq $i 1}} class="l"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</table></div>
<p class="note">{{.Note}}</p>{{end}}`

var _ = template.Must(pageTemplate.New("ranking-table").Parse(rankingHTML))

// rankingMessages are the texts of the ranking table, merged into
// messages at init.
var rankingMessages = map[string]msg{
	"rt.title": {"Bảng xếp hạng", "Ranking table"},
	"rt.unranked.few_psu": {"Không xếp hạng vì toàn bộ phiếu khảo sát nằm trong một đơn vị mẫu cấp 1 duy nhất, nên không ước lượng được sai số chuẩn của chỉ số SIPAS.",
		"Not ranked: all its ballots come from a single primary sampling unit (PSU), so its SIPAS has no standard error."},
	"rt.unranked.no_se":   {"Không xếp hạng vì không ước lượng được sai số chuẩn của chỉ số SIPAS.", "Not ranked: its SIPAS has no standard error."},
	"rt.unranked.missing": {"Không xếp hạng vì không tính được chỉ số SIPAS.", "Not ranked: there is no SIPAS estimate."},
	"rt.note":             {"▲/▼: SIPAS tăng/giảm có ý nghĩa thống kê so với năm %d sau hiệu chỉnh so sánh bội %s giữa các đơn vị; thay đổi không có dấu là không có ý nghĩa thống kê. Nhóm: tứ phân vị của hạng.", "▲/▼: SIPAS significantly up/down against %d after the %s across domains; a change without a mark is not significant. Tier: quartile of the rank."},
	"rt.note_one":         {"Chỉ có một năm: chưa có thay đổi so với năm trước. Nhóm: tứ phân vị của hạng.", "One year only: no change against a previous year. Tier: quartile of the rank."},
	"rt.note_none":        {"▲/▼: SIPAS tăng/giảm có ý nghĩa thống kê so với năm %d (không hiệu chỉnh so sánh bội); thay đổi không có dấu là không có ý nghĩa thống kê. Nhóm: tứ phân vị của hạng.", "▲/▼: SIPAS significantly up/down against %d (no multiple-comparison correction); a change without a mark is not significant. Tier: quartile of the rank."},
	"adjust.holm":         {"Holm", "Holm correction"},
	"adjust.bh":           {"Benjamini–Hochberg", "Benjamini–Hochberg correction"},
	"col.prev_year":       {"Năm trước", "Previous year"},
	"col.prev_sipas":      {"SIPAS năm trước", "Previous SIPAS"},
	"col.prev_rank":       {"Hạng năm trước", "Previous rank"},
	"col.direction":       {"Chiều thay đổi có ý nghĩa", "Significant direction"},
	"rt.print_title":      {"Bảng xếp hạng SIPAS%s", "SIPAS ranking%s"},
	"rt.page":             {"(trang %d/%d)", "(page %d of %d)"},
	"rt.continued":        {"(tiếp theo)", "(continued)"},
	"rt.index_header":     {"Chỉ số (%)", "Index (%)"},
}

func init() { addMessages(rankingMessages) }
