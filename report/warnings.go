package report

import (
	"math"
	"regexp"
	"strconv"

	"github.com/sipas-go/sipas/weighting"
)

// missRow is one calibrated total a trimming broke, as the page and the
// PDF write it.
type missRow struct{ Step, Trim, Margin, Class, Target, Final, Gap string }

// missHeader is the header of the table of broken totals.
func (l Lang) missHeader() []string {
	return []string{l.text("miss.step"), l.text("miss.margin"), l.text("miss.class"), l.text("miss.target"),
		l.text("miss.final"), l.text("miss.gap") + " (%)", l.text("miss.trim")}
}

// missRows writes the calibrated totals of ms: the steps by number and
// kind, the margin's columns quoted, the totals in the language's number
// format and the gap in percent with a true minus sign.
func (l Lang) missRows(ms []weighting.RecordMiss) []missRow {
	out := make([]missRow, 0, len(ms))
	for _, m := range ms {
		class := m.Class
		if class == "" {
			class = l.text("miss.numeric")
		}
		out = append(out, missRow{Step: l.stepPath(m.Step), Trim: l.stepPath(m.Trim), Margin: quoted(m.Margin), Class: class,
			Target: l.total(m.Target), Final: l.total(m.Achieved), Gap: l.signed(100 * m.Gap())})
	}
	return out
}

// missTable is the table weighting_misses of the calibrated totals a
// trimming broke (the page's weighting warnings): each step's path in the
// weighting specification ("steps[0].poststratify") beside its words, the
// margin's columns as the specification names them ("region*sex"), the
// class, the target and final totals, the gap (final − target) / target
// in percent and the trimming step.
func missTable(l Lang, ms []weighting.RecordMiss) Table {
	h := append([]string{"step"}, l.missHeader()...)
	h = append(h[:len(h)-1], "trim", h[len(h)-1])
	t := Table{Name: "weighting_misses", Header: h}
	for _, m := range ms {
		class := m.Class
		if class == "" {
			class = l.text("miss.numeric")
		}
		t.Rows = append(t.Rows, []string{m.Step, l.stepPath(m.Step), textCell(m.Margin), textCell(class),
			f2(m.Target), f2(m.Achieved), f2(100 * m.Gap()), m.Trim, l.stepPath(m.Trim)})
	}
	return t
}

// missNote says what the broken totals mean and what to do.
func (l Lang) missNote(n int) string {
	return l.textf("miss.note", l.count(n))
}

// total writes a population total: a whole number with thousands
// separators, else two decimals.
func (l Lang) total(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return l.dec(x, 0)
	}
	return l.dec(x, decSE)
}

// stepPathRE reads a weighting step's path in its specification:
// "steps[0].poststratify", "steps[2].calibrate.trim".
var stepPathRE = regexp.MustCompile(`^steps\[(\d+)\]\.([a-z]+)(\.trim)?$`)

// stepPath names a weighting step by its number (from 1) and kind:
// "bước 1 (hậu phân tầng)", "step 1 (post-stratification)"; a path it
// does not know is written as is.
func (l Lang) stepPath(p string) string {
	m := stepPathRE.FindStringSubmatch(p)
	if m == nil {
		return p
	}
	i, err := strconv.Atoi(m[1])
	if err != nil {
		return p
	}
	kind := l.textOr("wkind."+m[2], m[2])
	if m[3] != "" {
		kind = l.textf("wkind.own_trim", kind)
	}
	return l.textf("miss.step_n", i+1, kind)
}
