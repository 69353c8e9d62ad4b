package report

import (
	"fmt"
	"image/color"
	"io"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-fonts/liberation/liberationsansbold"
	"codeberg.org/go-fonts/liberation/liberationsansitalic"
	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/text/unicode/norm"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The PDF page: A4 portrait in millimetres, with a 16 × 24 cm text area
// (the size the print figures are drawn for) centred across the width.
const (
	pdfPageW   = 210.0
	pdfPageH   = 297.0
	pdfMarginX = 25.0
	pdfTextW   = pdfPageW - 2*pdfMarginX // 160
	pdfTop     = 27.0
	pdfTextH   = 240.0
	pdfBottom  = pdfTop + pdfTextH // 267: the page breaks below this
	pdfFont    = "LiberationSans"
)

// WritePDF writes the report as an A4 PDF (METHODOLOGY §9), the document
// an office prints or publishes: a title page with the year(s), the
// executive summary (Data.Summary), the tables (national, criteria, the official ranking
// and the rank confidence sets, elements, strengths, changes,
// expectations, data quality), the print charts (Figures, as vector
// graphics, each scaled into the 16 × 24 cm text area), page numbers and
// the methods note at the end (Data.MethodsNote). The text is set in
// Liberation Sans (SIL Open Font License 1.1), compiled into the program
// and embedded in the file (subset), so Vietnamese prints and extracts
// correctly on any machine; nothing is fetched and no system font is read.
//
// The same data and options give the same bytes: the document's creation
// date is opt.Generated when it is a date (2006-01-02) and otherwise the
// 1st of January of the report's year, never the clock.
func WritePDF(w io.Writer, data *Data, opt *Options) error {
	if data == nil {
		panic("report: WritePDF with nil data")
	}
	if err := opt.check(); err != nil {
		return err
	}
	return writePDF(w, data, opt, Figures(data, opt))
}

// pdfMessages are the PDF's own words, merged into messages at init.
var pdfMessages = map[string]msg{
	"pdf.page":     {"Trang %d/{nb}", "Page %d of {nb}"},
	"pdf.year":     {"Năm %d", "Year %d"},
	"pdf.years":    {"Các năm %s", "Years %s"},
	"pdf.by":       {"Xếp hạng theo: %s", "Ranked by: %s"},
	"pdf.figures":  {"Các biểu đồ khác", "Other charts"},
	"pdf.national": {"Các chỉ số toàn quốc", "National indices"},
	"pdf.made": {"Tạo bởi sipas. Biểu đồ vẽ bằng gonum/plot; phông chữ Liberation Sans (SIL Open Font License 1.1) nhúng trong tệp.",
		"Made by sipas. Charts drawn with gonum/plot; font Liberation Sans (SIL Open Font License 1.1), embedded in the file."},
}

func init() {
	for k, v := range pdfMessages {
		if _, dup := messages[k]; dup {
			panic("report: message " + k + " defined twice")
		}
		messages[k] = v
	}
}

// pdfDoc is a PDF being written: the fpdf document, the language and the
// print figures not yet placed.
type pdfDoc struct {
	f    *fpdf.Fpdf
	l    Lang
	figs []Figure
	used []bool
}

// writePDF writes the PDF of data with the print figures figs
// (Figures(data, opt)).
func writePDF(w io.Writer, data *Data, opt *Options, figs []Figure) error {
	l := opt.lang()
	p := buildPage(data, opt)
	d := newPDFDoc(l, p.Title, pdfDate(data, opt), figs)
	by := ""
	if data.Latest() != nil && len(data.Latest().Domains) > 0 {
		by = fmt.Sprintf(l.text("pdf.by"), p.ByLabel)
	}
	sub := ""
	if data.Title != "" {
		// A title of the caller's: the index's name under it.
		sub = l.text("title")
	}
	d.titlePage(p.Title, sub, d.yearLine(data), by, p.Generated)

	if s := data.Summary(l); len(s) > 0 {
		d.section(l.text("sec.summary"))
		for _, para := range s {
			d.para(para)
		}
	}

	d.section(l.text("sec.national"))
	d.figure("national")
	d.table(natTable(l, l.text("col.index"), p.National))
	if len(p.Criteria) > 0 {
		d.subsection(l.text("sec.criteria"))
		d.table(natTable(l, l.text("col.criterion"), p.Criteria))
	}

	if len(p.Ranking) > 0 {
		d.section(l.text("sec.ranking") + ": " + p.ByLabel)
		d.note(p.Capped)
		// The ranking table as the official publication prints it, as a
		// table of text (its print pages, "ranking-table…", are not drawn).
		d.skip("ranking-table")
		rc := rankingCellsOf(l, data)
		off := pdfTable{head: rc.Head, align: "RL"}
		for _, i := range pageRows(len(rc.Rows)) { // as the page: capped
			off.rows = append(off.rows, rc.Rows[i])
			off.fill = append(off.fill, tierFill(rc.Tiers[i]))
		}
		d.table(off)
		d.note(rc.Note)
		d.subsection(l.text("col.rank_ci"))
		d.table(rankTable(l, p))
		d.note(p.RankNote)
		d.figure("ranking")
		d.figure("map")
		if p.Map != nil && p.Map.Note != "" {
			d.note(p.Map.Note)
		}

		d.section(l.text("sec.heatmap"))
		d.note(p.Capped)
		t := pdfTable{head: append([]string{p.ByLabel}, p.HeatHead...), align: "L"}
		for _, r := range p.HeatRows {
			t.rows = append(t.rows, append([]string{r.Name}, r.Cells...))
		}
		d.table(t)
		d.figure("heatmap")
	}

	if len(p.Strengths) > 0 {
		d.section(l.text("sec.strengths"))
		d.note(l.text("sw.note"))
		d.note(p.Capped)
		t := pdfTable{head: []string{p.ByLabel, l.text("col.strengths"), l.text("col.weaknesses")}, align: "LLLL"}
		if p.HasIPA {
			t.head = append(t.head, l.text("col.fix_first"))
		}
		for _, r := range p.Strengths {
			row := []string{r.Name, r.Strengths, r.Weaknesses}
			if p.HasIPA {
				row = append(row, r.FixFirst)
			}
			t.rows = append(t.rows, row)
		}
		d.table(t)
	}

	if d.has("radars") {
		d.section(l.text("sec.radar"))
		d.figure("radars")
	}
	if p.IPA != nil && d.has("ipa") {
		d.section(l.text("sec.ipa"))
		d.note(l.text("ipa.note"))
		d.figure("ipa")
	}

	d.section(l.text("sec.trend"))
	d.figure("trend")
	if p.TrendNote != "" {
		d.note(p.TrendNote)
	}
	if p.Trend != nil {
		d.subsection(l.text("sec.changes"))
		if len(p.Changes) > 0 {
			t := pdfTable{head: []string{p.ByLabel, l.text("col.index"), l.text("col.year"), l.text("col.change"), l.text("col.p"), ""}, align: "LLRRRL"}
			for _, r := range p.Changes {
				t.rows = append(t.rows, []string{r.Name, r.Index, r.Year, r.Change, r.P, r.Dir})
			}
			d.table(t)
		} else {
			d.note(p.NoChanges)
		}
	}

	if len(p.Expect) > 0 {
		d.section(l.text("sec.expect"))
		t := pdfTable{head: []string{l.text("col.expectation"), l.text("col.share"), l.text("col.se"), l.text("col.ci"), l.text("col.n")}, align: "L"}
		for _, r := range p.Expect {
			t.rows = append(t.rows, []string{r.Label, r.Est, r.SE, r.CI, r.N})
		}
		d.table(t)
		d.figure("expectations")
	}

	d.section(l.text("sec.quality"))
	if len(p.QYears) > 0 {
		t := pdfTable{head: []string{l.text("col.year"), l.text("q.issued"), l.text("q.returned"), l.text("col.rr") + " (%)",
			l.text("q.rows_in"), l.text("q.rows_used"), l.text("q.rows_excluded")}}
		for _, r := range p.QYears {
			t.rows = append(t.rows, []string{r.Year, r.Issued, r.Returned, r.RR, r.RowsIn, r.Used, r.Excluded})
		}
		d.table(t)
	}
	if q := p.Quality; q != nil {
		if len(q.Counts) > 0 {
			t := pdfTable{align: "LR"}
			for _, c := range q.Counts {
				t.rows = append(t.rows, []string{c.K, c.V})
			}
			d.table(t)
		}
		if len(q.Reasons) > 0 {
			t := pdfTable{head: []string{l.text("col.reason"), l.text("col.rows")}, align: "LR"}
			for _, c := range q.Reasons {
				t.rows = append(t.rows, []string{c.K, c.V})
			}
			d.table(t)
		}
		d.figure("response-rates")
		if len(q.Rates) > 0 {
			t := pdfTable{head: []string{l.text("col.class"), l.text("col.issued"), l.text("col.returned"), l.text("col.valid"),
				l.text("col.rr") + " (%)", l.text("col.vr") + " (%)"}, align: "L"}
			for _, r := range q.Rates {
				t.rows = append(t.rows, []string{r.Class, r.Issued, r.Returned, r.Valid, r.RR, r.VR})
			}
			d.table(t)
		}
		if len(q.Misses) > 0 {
			d.subsection(l.text("q.warnings"))
			d.para(q.MissNote)
			t := pdfTable{head: q.MissHead, align: "LLLRRRL"}
			for _, r := range q.Misses {
				t.rows = append(t.rows, []string{r.Step, r.Margin, r.Class, r.Target, r.Final, r.Gap, r.Trim})
			}
			d.table(t)
		}
	} else {
		d.note(l.text("q.none"))
	}

	return d.finish(w, data)
}

// newPDFDoc starts an A4 PDF in language l with the document title
// title, created at created, whose print figures are figs: the fonts
// embedded, the margins of the text area, page numbers in the footer of
// every page but the first.
func newPDFDoc(l Lang, title string, created time.Time, figs []Figure) *pdfDoc {
	f := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", SizeStr: "A4"})
	f.SetCreationDate(created)
	f.SetModificationDate(created)
	f.SetCatalogSort(true)
	f.SetCompression(true)
	f.SetProducer("sipas", true)
	f.SetCreator("sipas", true)
	f.SetTitle(nfc(title), true)
	f.SetLang(string(l))
	f.AddUTF8FontFromBytes(pdfFont, "", liberationsansregular.TTF)
	f.AddUTF8FontFromBytes(pdfFont, "B", liberationsansbold.TTF)
	f.AddUTF8FontFromBytes(pdfFont, "I", liberationsansitalic.TTF)
	f.SetMargins(pdfMarginX, pdfTop, pdfMarginX)
	f.SetAutoPageBreak(true, pdfPageH-pdfBottom)
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(func() {
		if f.PageNo() == 1 {
			return // the title page has no number
		}
		f.SetY(pdfPageH - 18)
		f.SetFont(pdfFont, "", 8)
		f.SetTextColor(0x55, 0x55, 0x55)
		f.CellFormat(0, 5, fmt.Sprintf(l.text("pdf.page"), f.PageNo()), "", 0, "C", false, 0, "")
		f.SetTextColor(0, 0, 0)
	})
	return &pdfDoc{f: f, l: l, figs: figs, used: make([]bool, len(figs))}
}

// finish places the figures no section placed, ends the document with the
// methods note of data and writes it to w.
func (d *pdfDoc) finish(w io.Writer, data *Data) error {
	f, l := d.f, d.l
	// Figures no section placed (a chart added to the figures later is
	// never lost from the PDF).
	if d.unplaced() {
		d.section(l.text("pdf.figures"))
		for i := range d.figs {
			if !d.used[i] {
				d.place(i)
			}
		}
	}
	d.section(l.text("sec.methods"))
	for _, m := range data.MethodsNote(l) {
		d.para(m)
	}
	d.note(l.text("pdf.made"))
	if err := f.Error(); err != nil {
		return fmt.Errorf("report: PDF: %w", err)
	}
	return f.Output(w)
}

// pdfDate is the document's creation date: opt.Generated when it is a
// date, else the 1st of January of the report's year (2000 when unknown).
func pdfDate(data *Data, opt *Options) time.Time {
	if opt != nil {
		if t, err := time.Parse("2006-01-02", strings.TrimSpace(opt.Generated)); err == nil {
			return t
		}
	}
	year := 2000
	if y := data.Latest(); y != nil && y.Year > 0 {
		year = y.Year
	}
	return time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
}

// yearLine is the title page's line of the report's year(s): "Năm
// 2021", "Các năm 2019–2021", or "" when the year is unknown.
func (d *pdfDoc) yearLine(data *Data) string {
	y := data.Latest()
	switch {
	case y == nil:
		return ""
	case len(data.Years) > 1:
		return fmt.Sprintf(d.l.text("pdf.years"), fmt.Sprintf("%d–%d", data.Years[0].Year, y.Year))
	case y.Year != 0:
		return fmt.Sprintf(d.l.text("pdf.year"), y.Year)
	}
	return ""
}

// titlePage is the first page: the title, an optional line under it
// (sub), the year(s), the domains the report ranks (by) and the date
// (generated), each left out when empty.
func (d *pdfDoc) titlePage(title, sub, years, by, generated string) {
	f := d.f
	f.AddPage()
	f.SetY(80)
	f.SetFont(pdfFont, "B", 22)
	f.SetTextColor(0x22, 0x33, 0x66)
	f.MultiCell(pdfTextW, 10, nfc(title), "", "C", false)
	if sub != "" {
		f.Ln(3)
		f.SetFont(pdfFont, "", 13)
		f.MultiCell(pdfTextW, 7, nfc(sub), "", "C", false)
	}
	f.Ln(8)
	f.SetFont(pdfFont, "B", 16)
	f.SetTextColor(0x22, 0x22, 0x22)
	if years != "" {
		f.CellFormat(pdfTextW, 9, nfc(years), "", 1, "C", false, 0, "")
	}
	if by != "" {
		f.Ln(4)
		f.SetFont(pdfFont, "", 12)
		f.CellFormat(pdfTextW, 7, nfc(by), "", 1, "C", false, 0, "")
	}
	if generated != "" {
		f.SetY(230)
		f.SetFont(pdfFont, "", 11)
		f.CellFormat(pdfTextW, 7, nfc(generated), "", 1, "C", false, 0, "")
	}
	f.SetTextColor(0, 0, 0)
}

// section starts a section on a new page, with an outline entry.
func (d *pdfDoc) section(title string) {
	f := d.f
	f.AddPage()
	f.Bookmark(nfc(title), 0, -1)
	f.SetFont(pdfFont, "B", 14)
	f.SetTextColor(0x22, 0x33, 0x66)
	f.MultiCell(pdfTextW, 7, nfc(title), "", "L", false)
	f.SetDrawColor(0x54, 0x70, 0xc6)
	f.SetLineWidth(0.5)
	y := f.GetY() + 1
	f.Line(pdfMarginX, y, pdfMarginX+pdfTextW, y)
	f.SetY(y + 4)
	f.SetTextColor(0, 0, 0)
}

func (d *pdfDoc) subsection(title string) {
	f := d.f
	d.room(20)
	f.Ln(2)
	f.SetFont(pdfFont, "B", 11)
	f.MultiCell(pdfTextW, 6, nfc(title), "", "L", false)
	f.Ln(1)
}

func (d *pdfDoc) para(s string) {
	d.f.SetFont(pdfFont, "", 10)
	d.f.MultiCell(pdfTextW, 5, nfc(s), "", "L", false)
	d.f.Ln(2)
}

func (d *pdfDoc) note(s string) {
	if s == "" {
		return
	}
	d.f.SetFont(pdfFont, "I", 8.5)
	d.f.SetTextColor(0x55, 0x55, 0x55)
	d.f.MultiCell(pdfTextW, 4.2, nfc(s), "", "L", false)
	d.f.SetTextColor(0, 0, 0)
	d.f.Ln(2)
}

// room starts a new page unless h mm are left above the bottom margin.
func (d *pdfDoc) room(h float64) {
	if d.f.GetY()+h > pdfBottom {
		d.f.AddPage()
	}
}

// matches says whether the figure name belongs to the group name: the
// name itself or one of its pages ("radars-01").
func figureIn(name, group string) bool {
	return name == group || strings.HasPrefix(name, group+"-")
}

// skip marks the figures of the group as placed without drawing them.
func (d *pdfDoc) skip(group string) {
	for i, fg := range d.figs {
		if figureIn(fg.Name, group) {
			d.used[i] = true
		}
	}
}

func (d *pdfDoc) has(group string) bool {
	for _, fg := range d.figs {
		if figureIn(fg.Name, group) {
			return true
		}
	}
	return false
}

func (d *pdfDoc) unplaced() bool {
	for _, u := range d.used {
		if !u {
			return true
		}
	}
	return false
}

// figure places every figure of the group not yet placed, in order.
func (d *pdfDoc) figure(group string) {
	for i, fg := range d.figs {
		if !d.used[i] && figureIn(fg.Name, group) {
			d.place(i)
		}
	}
}

// place draws figure i at its size (16 cm wide), scaled down to fit the
// text area, on a new page when it does not fit below the text.
func (d *pdfDoc) place(i int) {
	f, fg := d.f, d.figs[i]
	d.used[i] = true
	mm := func(x vg.Length) float64 { return float64(x) / float64(vg.Millimeter) }
	w, h := mm(fg.Width), mm(fg.Height)
	s := min(pdfTextW/w, pdfTextH/h, 1)
	w, h = w*s, h*s
	d.room(h)
	x, y := pdfMarginX+(pdfTextW-w)/2, f.GetY()
	fg.draw(draw.New(newPDFCanvas(f, fg.Name, fg.Width, fg.Height, x, y+h, s)))
	f.SetAlpha(1, "Normal")
	f.SetDrawColor(0, 0, 0)
	f.SetFillColor(255, 255, 255)
	f.SetTextColor(0, 0, 0)
	f.SetXY(pdfMarginX, y+h+3)
}

// pdfTable is a table of the PDF: a header (none when empty), rows of
// text and the alignment of each column ('L' or 'R'; columns past align
// are right-aligned, numbers). fill, when set, gives a row's background.
type pdfTable struct {
	head  []string
	align string
	rows  [][]string
	fill  []color.Color
	// span marks the rows drawn as one bold cell across the table: a
	// group's heading (its first cell), kept on the page of the group's
	// first row; they do not widen the columns
	span []bool
}

// natTable is the national or criteria table (label, estimate, SE,
// interval, ballots, deff, and the flag column when a row has a flag).
func natTable(l Lang, first string, rows []tableRow) pdfTable {
	flags := false
	for _, r := range rows {
		flags = flags || r.Flag != ""
	}
	t := pdfTable{head: []string{first, l.text("col.estimate"), l.text("col.se"), l.text("col.ci"), l.text("col.n"), l.text("col.deff")}, align: "L"}
	if flags {
		t.head = append(t.head, l.text("col.flag"))
		t.align = "LRRRRRL"
	}
	for _, r := range rows {
		row := []string{r.Label, r.Est, r.SE, r.CI, r.N, r.Deff}
		if flags {
			row = append(row, r.Flag)
		}
		t.rows = append(t.rows, row)
	}
	return t
}

// rankTable is the ranking of the domains, rows coloured by tier as on the
// page.
func rankTable(l Lang, p *page) pdfTable {
	t := pdfTable{head: []string{l.text("col.rank")}, align: "R"}
	if p.HasRanks {
		t.head = append(t.head, l.text("col.rank_ci"), l.text("col.tier"))
		t.align += "RR"
	}
	t.head = append(t.head, p.ByLabel, "SIPAS (%)", l.text("col.ci"), l.text("col.n"))
	t.align += "LRRR"
	if p.HasVsNat {
		t.head = append(t.head, l.text("col.vs_nation"))
		t.align += "L"
	}
	for _, r := range p.Ranking {
		row := []string{r.Rank}
		if p.HasRanks {
			row = append(row, r.RankCI, r.Tier)
		}
		row = append(row, r.Name, r.Est, r.CI, r.N)
		if p.HasVsNat {
			row = append(row, r.VsNat)
		}
		t.rows = append(t.rows, row)
		tier, _ := strconv.Atoi(strings.TrimPrefix(r.TierClass, "tier"))
		t.fill = append(t.fill, tierFill(tier))
	}
	return t
}

// tierFill is the background of a table row of tier 1–4, as on the page;
// nil for none.
func tierFill(tier int) color.Color {
	switch tier {
	case 1:
		return hexColor("#e3f4e6")
	case 2:
		return hexColor("#f1f9e6")
	case 3:
		return hexColor("#fdeee4")
	case 4:
		return hexColor("#fbe1df")
	}
	return nil
}

// Table layout: font size, line height and cell padding in mm.
const (
	pdfTableFont = 8.5
	// pdfTableFontMin is the smallest size a wide table is set in.
	pdfTableFontMin = 6.5
	pdfLineH        = 4.0
	pdfCellPad      = 1.2
	// pdfNoWrap is the width of the widest text cell that is never wrapped
	// (a province name).
	pdfNoWrap = 40.0
)

// table draws t across the text width: columns as wide as their widest
// cell (headers may wrap at spaces), narrowed in proportion when the table
// is too wide (cells then wrap), the header repeated at the top of each
// page the table runs onto.
func (d *pdfDoc) table(t pdfTable) {
	f := d.f
	if len(t.rows) == 0 {
		return
	}
	n := len(t.rows[0])
	for _, r := range t.rows {
		n = max(n, len(r))
	}
	n = max(n, len(t.head))
	align := func(c int) string {
		if c < len(t.align) {
			return string(t.align[c])
		}
		return "R"
	}
	// measure gives each column's width on one line (natural; headers on
	// two) and the narrowest it may be (minimum: numbers and short names
	// never wrap, other text wraps at spaces) in font size fs.
	measure := func(fs float64) (natural, minimum []float64) {
		natural, minimum = make([]float64, n), make([]float64, n)
		width := func(s string) float64 { return f.GetStringWidth(s) + 2*pdfCellPad + 0.5 }
		f.SetFont(pdfFont, "", fs)
		for i, r := range t.rows {
			if t.spans(i) {
				continue
			}
			for c, s := range r {
				s = nfc(s)
				w := width(s)
				natural[c] = max(natural[c], w)
				if align(c) == "R" || w <= pdfNoWrap {
					minimum[c] = max(minimum[c], w)
					continue
				}
				for _, word := range strings.Fields(s) {
					minimum[c] = max(minimum[c], width(word))
				}
			}
		}
		f.SetFont(pdfFont, "B", fs)
		for c, s := range t.head {
			words := strings.Fields(nfc(s))
			two := width(strings.Join(words, " "))
			for k := 1; k < len(words); k++ {
				two = min(two, max(width(strings.Join(words[:k], " ")), width(strings.Join(words[k:], " "))))
			}
			natural[c] = max(natural[c], two)
			for _, word := range words {
				minimum[c] = max(minimum[c], width(word))
			}
		}
		return natural, minimum
	}
	// A table too wide for the text area at the usual size is set smaller.
	fs := pdfTableFont
	natural, minimum := measure(fs)
	for ; sum(minimum) > pdfTextW && fs > pdfTableFontMin; natural, minimum = measure(fs) {
		fs -= 0.5
	}
	widths := fitWidths(natural, minimum, pdfTextW)
	lineH := pdfLineH * fs / pdfTableFont
	f.SetCellMargin(pdfCellPad)
	// height is the height of a row of wrapped cells.
	height := func(cells []string, bold bool) float64 {
		style := ""
		if bold {
			style = "B"
		}
		f.SetFont(pdfFont, style, fs)
		h := lineH + 1
		for c := 0; c < n && c < len(cells); c++ {
			lines := f.SplitText(nfc(cells[c]), widths[c])
			h = max(h, float64(len(lines))*lineH+1)
		}
		return h
	}
	// spanH is the height of a group's heading across the table.
	spanH := func(cells []string) float64 {
		f.SetFont(pdfFont, "B", fs)
		return float64(len(f.SplitText(nfc(cells[0]), pdfTextW)))*lineH + 1
	}
	// draw draws one row, on a new page (with the header) when it does not
	// fit, or a group's heading with its first row (next) not.
	var header func()
	draw := func(cells []string, bold bool, fill color.Color, next []string) {
		h, need := height(cells, bold), 0.0
		if next != nil {
			h = spanH(cells)
			need = height(next, false)
		}
		if f.GetY()+h+need > pdfBottom && !bold {
			f.AddPage()
			if header != nil {
				header()
			}
			f.SetFont(pdfFont, "", fs)
		}
		y := f.GetY()
		if next != nil {
			f.SetFillColor(0xf6, 0xf7, 0xfb)
			f.Rect(pdfMarginX, y, pdfTextW, h, "F")
			f.SetFont(pdfFont, "B", fs)
			for k, line := range f.SplitText(nfc(cells[0]), pdfTextW) {
				f.SetXY(pdfMarginX, y+0.5+float64(k)*lineH)
				f.CellFormat(pdfTextW, lineH, line, "", 0, "L", false, 0, "")
			}
			f.SetXY(pdfMarginX, y+h)
			return
		}
		x := pdfMarginX
		if fill != nil {
			r, g, b, _ := fill.RGBA()
			f.SetFillColor(int(r>>8), int(g>>8), int(b>>8))
			f.Rect(x, y, pdfTextW, h, "F")
		}
		style := ""
		if bold {
			style = "B"
		}
		f.SetFont(pdfFont, style, fs)
		for c := 0; c < n; c++ {
			s := ""
			if c < len(cells) {
				s = nfc(cells[c])
			}
			lines := f.SplitText(s, widths[c])
			for k, line := range lines {
				f.SetXY(x, y+0.5+float64(k)*lineH)
				f.CellFormat(widths[c], lineH, line, "", 0, align(c), false, 0, "")
			}
			x += widths[c]
		}
		f.SetDrawColor(0xcc, 0xcc, 0xdd)
		f.SetLineWidth(0.2)
		f.Line(pdfMarginX, y+h, pdfMarginX+pdfTextW, y+h)
		f.SetXY(pdfMarginX, y+h)
	}
	if len(t.head) > 0 {
		header = func() {
			draw(t.head, true, hexColor("#eef2fa"), nil)
		}
		d.room(height(t.head, true) + 2*(lineH+1))
		header()
	} else {
		d.room(lineH + 1)
	}
	for i, r := range t.rows {
		var fill color.Color
		if i < len(t.fill) {
			fill = t.fill[i]
		}
		var next []string
		if t.spans(i) {
			next = []string{}
			if i+1 < len(t.rows) {
				next = t.rows[i+1]
			}
		}
		draw(r, false, fill, next)
	}
	f.Ln(4)
}

// spans reports whether row i is a group's heading across the table.
func (t *pdfTable) spans(i int) bool { return i < len(t.span) && t.span[i] }

// fitWidths returns column widths summing to total: the natural widths
// with the slack shared out equally when they fit; else each column keeps
// its minimum and the rest of total is shared in proportion to what each
// column wants beyond it.
func fitWidths(natural, minimum []float64, total float64) []float64 {
	n := len(natural)
	out := make([]float64, n)
	sum, sumMin := 0.0, 0.0
	for i := range natural {
		natural[i] = max(natural[i], minimum[i])
		sum += natural[i]
		sumMin += minimum[i]
	}
	if sum <= total {
		for i := range out {
			out[i] = natural[i] + (total-sum)/float64(n)
		}
		return out
	}
	if sumMin >= total {
		// Even the words do not fit: shrink everything in proportion.
		for i := range out {
			out[i] = minimum[i] * total / sumMin
		}
		return out
	}
	extra := total - sumMin
	want := sum - sumMin
	for i := range out {
		out[i] = minimum[i] + extra*(natural[i]-minimum[i])/want
	}
	return out
}

func sum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

func nfc(s string) string { return norm.NFC.String(s) }
