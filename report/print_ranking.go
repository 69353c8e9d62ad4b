package report

import (
	"fmt"
	"image/color"

	"golang.org/x/text/unicode/norm"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The print pages of the ranking table: 16 cm wide (the A4 text area) and
// at most 24 cm high, so a long table is split into pages of at most
// rankingRowsPerPage rows, balanced (63 provinces: 32 + 31).
const (
	rankingRowsPerPage = 45
	rankingRowH        = 0.42 * vg.Centimeter
	rankingFont        = 7
	rankingHeadFont    = 6
	rankingNoteFont    = 5.5
)

// rankingColumns are the widths of the printed columns in cm (rank,
// name, SIPAS, the elements, previous SIPAS, previous rank, change, tier);
// the elements share what is left of the 15.2 cm inside the margins.
func rankingColumns(elements int) []vg.Length {
	fixed := []float64{0.8, 3.0, 1.1}
	tail := []float64{1.1, 0.95, 1.25, 0.7}
	left := 15.2 - 0.8 - 3.0 - 1.1 - 1.1 - 0.95 - 1.25 - 0.7
	var out []vg.Length
	for _, w := range fixed {
		out = append(out, vg.Length(w)*vg.Centimeter)
	}
	for range elements {
		out = append(out, vg.Length(left/float64(max(elements, 1)))*vg.Centimeter)
	}
	for _, w := range tail {
		out = append(out, vg.Length(w)*vg.Centimeter)
	}
	return out
}

// rankingFigures are the print pages of the ranking table: "ranking-table"
// when it fits one page, else "ranking-table-01", "ranking-table-02", …;
// each page repeats the header and ends with the note on the arrows.
func rankingFigures(l Lang, data *Data) []Figure {
	y := data.Latest()
	if y == nil || len(y.Domains) == 0 {
		return nil
	}
	c := rankingCellsOf(l, data)
	n := len(c.Rows)
	pages := (n + rankingRowsPerPage - 1) / rankingRowsPerPage
	per := (n + pages - 1) / pages
	title := l.textf("rt.print_title", yearSuffix(y))
	widths := rankingColumns(len(y.National.Elements))
	head := textStyle(rankingHeadFont, draw.XCenter, draw.YTop)
	// The header is as tall as its longest wrapped label.
	headLines := make([][]string, len(c.Head))
	maxLines := 1
	for i, h := range c.Head {
		headLines[i] = wrapText(head, norm.NFC.String(h), widths[i]-2)
		maxLines = max(maxLines, len(headLines[i]))
	}
	headH := vg.Length(maxLines)*head.Font.Size*1.15 + 4
	noteSty := textStyle(rankingNoteFont, draw.XLeft, draw.YTop)
	noteLines := wrapText(noteSty, norm.NFC.String(c.Note), 15.2*vg.Centimeter)
	noteH := vg.Length(len(noteLines))*noteSty.Font.Size*1.2 + 4
	titleH := vg.Length(16)

	var out []Figure
	for p := range pages {
		lo, hi := p*per, min((p+1)*per, n)
		name := "ranking-table"
		t := title
		if pages > 1 {
			name = fmt.Sprintf("ranking-table-%02d", p+1)
			t += " " + l.textf("rt.page", p+1, pages)
		}
		t = norm.NFC.String(t)
		rows := c.Rows[lo:hi]
		tiers := c.Tiers[lo:hi]
		h := 2*printMargin + titleH + headH + vg.Length(len(rows))*rankingRowH + noteH
		out = append(out, Figure{Name: name, Width: 16 * vg.Centimeter, Height: h, drawFn: func(cv draw.Canvas) {
			drawRankingPage(cv, t, headLines, headH, rows, tiers, widths, noteLines)
		}})
	}
	return out
}

var (
	rankingStripe = color.Gray{Y: 0xf0}
	rankingRule   = color.Gray{Y: 0x99}
)

// drawRankingPage draws one page of the ranking table in c: the title,
// the header row, the rows (every other one shaded, a rule between tiers)
// and the note.
func drawRankingPage(c draw.Canvas, title string, head [][]string, headH vg.Length, rows [][]string, tiers []int, widths []vg.Length, note []string) {
	c.FillPolygon(color.White, []vg.Point{c.Min, {X: c.Max.X, Y: c.Min.Y}, c.Max, {X: c.Min.X, Y: c.Max.Y}})
	x0 := c.Min.X
	x1 := x0
	for _, w := range widths {
		x1 += w
	}
	y := c.Max.Y
	c.FillText(textStyle(9, draw.XLeft, draw.YTop), vg.Point{X: x0, Y: y}, title)
	y -= 16
	rule := func(y vg.Length, width float64) {
		c.StrokeLine2(draw.LineStyle{Color: rankingRule, Width: vg.Points(width)}, x0, y, x1, y)
	}
	rule(y, 0.8)
	hs := textStyle(rankingHeadFont, draw.XCenter, draw.YTop)
	x := x0
	for i, lines := range head {
		for k, s := range lines {
			c.FillText(hs, vg.Point{X: x + widths[i]/2, Y: y - 2 - vg.Length(k)*hs.Font.Size*1.15}, s)
		}
		x += widths[i]
	}
	y -= headH
	rule(y, 0.6)
	num := textStyle(rankingFont, draw.XRight, draw.YCenter)
	txt := textStyle(rankingFont, draw.XLeft, draw.YCenter)
	for r, cells := range rows {
		top := y - vg.Length(r)*rankingRowH
		if r%2 == 1 {
			c.FillPolygon(rankingStripe, []vg.Point{{X: x0, Y: top}, {X: x1, Y: top}, {X: x1, Y: top - rankingRowH}, {X: x0, Y: top - rankingRowH}})
		}
		if r > 0 && tiers[r] != tiers[r-1] {
			rule(top, 0.5)
		}
		mid := top - rankingRowH/2
		x := x0
		for i, s := range cells {
			s = norm.NFC.String(s)
			if i == 1 {
				c.FillText(txt, vg.Point{X: x + 2, Y: mid}, fitWidth(txt, s, widths[i]-4))
			} else {
				c.FillText(num, vg.Point{X: x + widths[i] - 3, Y: mid}, s)
			}
			x += widths[i]
		}
	}
	y -= vg.Length(len(rows)) * rankingRowH
	rule(y, 0.8)
	ns := textStyle(rankingNoteFont, draw.XLeft, draw.YTop)
	for k, s := range note {
		c.FillText(ns, vg.Point{X: x0, Y: y - 3 - vg.Length(k)*ns.Font.Size*1.2}, s)
	}
}

// fitWidth shortens s (with an ellipsis) until it is at most w wide in sty.
func fitWidth(sty draw.TextStyle, s string, w vg.Length) string {
	r := []rune(s)
	for n := len(r); n > 1 && sty.Width(s) > w; n-- {
		s = string(r[:n-1]) + "…"
	}
	return s
}
