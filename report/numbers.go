package report

import (
	"math"
	"strings"

	"gonum.org/v1/plot"
)

// The numbers of the report are written in its language (Vietnamese: a
// decimal comma and dot thousands, 82,4 and 31.581; English: 82.4 and
// 31,581) with one number of decimals per kind of figure across the page,
// its charts, the print charts and the Vietnamese twin of the tables:
// indices, shares, rates, intervals and changes (percent) 1, standard errors
// and design effects 2, p-values 3, counts 0 (Lang.count).
const (
	decIndex = 1
	decSE    = 2
	decP     = 3
)

// pct writes an index, share, rate or change in percent: 82,4.
func (l Lang) pct(x float64) string { return l.dec(x, decIndex) }

// se writes a standard error or a design effect: 1,25.
func (l Lang) se(x float64) string { return l.dec(x, decSE) }

// ci writes an interval: 80,1–84,7; "–" when a bound is NaN.
func (l Lang) ci(lo, hi float64) string {
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return "–"
	}
	return l.pct(lo) + "–" + l.pct(hi)
}

// signed writes a change: 1,2, or −0,8 with a true minus sign.
func (l Lang) signed(x float64) string {
	s := l.pct(x)
	if strings.HasPrefix(s, "-") {
		return "−" + s[1:]
	}
	return s
}

// pval writes a p-value: 0,012, or <0,001.
func (l Lang) pval(p float64) string {
	if math.IsNaN(p) {
		return "–"
	}
	if p < 0.001 {
		return "<" + l.dec(0.001, decP)
	}
	return l.dec(p, decP)
}

// countOrDash is count, or "–" for 0 (unknown).
func (l Lang) countOrDash(n int) string {
	if n == 0 {
		return "–"
	}
	return l.count(n)
}

// tmplSafe makes text from data or labels literal inside an ECharts string
// template (formatter): "{" and "}" would start a placeholder or a rich-text
// style.
var tmplSafe = strings.NewReplacer("{", "(", "}", ")").Replace

// indexTicks are the ticks of an axis of indices (0–100): at the
// multiples of a step of 1, 2 or 5 × 10^k (three to six over the range, at
// least 0.1), all written with the number of decimals of the step in the
// language (none when the step is whole, else one: "77,5", never
// "77,50" beside "80").
type indexTicks struct{ l Lang }

func (t indexTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi >= lo) || math.IsInf(hi-lo, 0) {
		return nil
	}
	step := math.Max(0.1, niceStep(hi-lo, 6))
	dec := 0
	if step != math.Trunc(step) {
		dec = 1
	}
	return stepTicks{step: step, l: t.l, dec: dec}.Ticks(lo, hi)
}

// scaleLabels writes the values of one scale of indices (a colour bar, a
// radar's rings) in the language with one number of decimals for all:
// none when every value is whole, else one.
func (l Lang) scaleLabels(vs []float64) []string {
	dec := 0
	for _, v := range vs {
		if v != math.Trunc(v) {
			dec = 1
		}
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = l.dec(v, dec)
	}
	return out
}

// localTicks sets the language's index ticks (indexTicks) on the numeric
// axes of the figure that have gonum/plot's default ticks (named and year
// ticks, and axes with ticks of their own, are kept).
func localTicks(l Lang, f *Figure) {
	if f.p == nil {
		return
	}
	for _, ax := range []*plot.Axis{&f.p.X, &f.p.Y} {
		if _, ok := ax.Tick.Marker.(plot.DefaultTicks); ok {
			ax.Tick.Marker = indexTicks{l}
		}
	}
}

// Formatted returns the table with its numbers written in the convention
// of lang, for people rather than programs: in Vietnamese a decimal number
// gets the decimal comma ("82.41" → "82,41") and a count of 4 digits or
// more the dot thousands separator ("31581" → "31.581"); in English the
// comma thousands separator. Year columns, text, codes with a leading zero
// and the header are kept. The tables of Tables are machine-readable
// (decimal point, no separator); WriteDir writes this twin of each for a
// Vietnamese report.
func (t Table) Formatted(l Lang) Table {
	out := Table{Name: t.Name, Header: t.Header, Rows: make([][]string, len(t.Rows))}
	years := map[int]bool{}
	for j, h := range t.Header {
		years[j] = h == LangVI.text("col.year") || h == LangEN.text("col.year") || h == "year"
	}
	for i, r := range t.Rows {
		row := make([]string, len(r))
		for j, c := range r {
			row[j] = localCell(l, c, years[j])
		}
		out.Rows[i] = row
	}
	return out
}

func localCell(l Lang, c string, year bool) string {
	if c == "" || year {
		return c
	}
	neg := strings.HasPrefix(c, "-")
	digits := strings.TrimPrefix(c, "-")
	whole, frac, dec := strings.Cut(digits, ".")
	if whole == "" || !allDigits(whole) || dec && (frac == "" || !allDigits(frac)) {
		return c
	}
	if len(whole) > 1 && whole[0] == '0' {
		return c // a code, "01"
	}
	if !dec && len(whole) < 4 {
		return c
	}
	s := l.group(whole)
	if dec {
		s += l.pick(",", ".") + frac
	}
	if neg {
		s = "-" + s
	}
	return s
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
