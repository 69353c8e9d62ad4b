package report

import (
	"strconv"

	"github.com/sipas-go/sipas/index"
)

// What the charts of the latest year draw, prepared once for the HTML page
// (html.go, charts.go) and the print figures (print.go): the two only
// differ in how they draw it.

// yearSuffix is the year as a title suffix (" 2021"; "" for a survey of
// unknown year, Year 0).
func yearSuffix(y *Year) string {
	if y.Year == 0 {
		return ""
	}
	return " " + strconv.Itoa(y.Year)
}

// intervals are the rows of an interval chart (intervalChart,
// intervalFigure), first row on top: a label, the estimate and its
// confidence limits, and the tier that colours the point (0: none).
type intervals struct {
	labels      []string
	est, lo, hi []float64
	tiers       []int
}

func (iv *intervals) add(label string, e Estimate, tier int) {
	iv.labels = append(iv.labels, label)
	iv.est, iv.lo, iv.hi = append(iv.est, e.Estimate), append(iv.lo, e.CILow), append(iv.hi, e.CIHigh)
	iv.tiers = append(iv.tiers, tier)
}

// nationalEstimates are the nation's SIPAS and elements, in the order of
// the "national" chart and table.
func nationalEstimates(y *Year) []Estimate {
	return append([]Estimate{y.National.SIPAS}, y.National.Elements...)
}

// nationalIntervals is the "national" chart: SIPAS and the elements.
func nationalIntervals(l Lang, q *index.Questionnaire, y *Year) intervals {
	var iv intervals
	for _, e := range nationalEstimates(y) {
		iv.add(l.indexLabel(q, e.Kind, e.ID), e, 0)
	}
	return iv
}

// rankingIntervals is the "ranking" chart: the domains' SIPAS in rank
// order, with the tier of each ranked domain.
func rankingIntervals(y *Year) intervals {
	var iv intervals
	for _, d := range y.Domains {
		iv.add(d.Name, d.SIPAS, rankTier(d.SIPAS))
	}
	return iv
}

// rankTier is the tier of a ranked estimate; 0 when it has no rank.
func rankTier(e Estimate) int {
	if t := e.Trend; t != nil && t.Rank > 0 {
		return t.Tier
	}
	return 0
}

// heatmapData is the heatmap domain × element: a row per domain, a column
// per element and a last one for SIPAS.
func heatmapData(l Lang, q *index.Questionnaire, y *Year) (rows, cols []string, vals [][]float64) {
	for _, e := range y.National.Elements {
		cols = append(cols, l.indexLabel(q, e.Kind, e.ID))
	}
	cols = append(cols, l.text("sipas"))
	for _, d := range y.Domains {
		rows, vals = append(rows, d.Name), append(vals, append(elementValues(d), d.SIPAS.Estimate))
	}
	return rows, cols, vals
}

// radarData is the radars of the first n domains against the nation: the
// elements of the nation and of each domain, and the lower end of the axes
// common to them (radarMin).
func radarData(y *Year, n int) (nat []float64, dom [][]float64, min float64) {
	nat = elementValues(y.National)
	all := [][]float64{nat}
	for _, d := range y.Domains[:n] {
		all = append(all, elementValues(d))
	}
	return nat, all[1:], radarMin(all...)
}

// byLabel is the displayed name of the domain column (Data.By; ""
// is "province"), e.g. "Tỉnh, thành phố".
func (l Lang) byLabel(data *Data) string {
	by := data.By
	if by == "" {
		by = "province"
	}
	return l.textOr("by."+by, by)
}
