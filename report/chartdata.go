package report

import (
	"math"
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

// rows returns the rows of iv at the indices idx.
func (iv intervals) rows(idx []int) intervals {
	return intervals{labels: pick(iv.labels, idx), est: pick(iv.est, idx), lo: pick(iv.lo, idx), hi: pick(iv.hi, idx), tiers: pick(iv.tiers, idx)}
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

// nationalTrend is the trend chart: a line per index (SIPAS first, then
// the elements of the latest year) across the years, and SIPAS's interval
// (lo, hi). An element missing in a year is NaN.
type nationalTrend struct {
	years  []string
	names  []string
	v      [][]float64 // v[index][year]
	lo, hi []float64
}

func nationalTrendData(l Lang, q *index.Questionnaire, data *Data) nationalTrend {
	y := data.Latest()
	nat := y.National
	t := nationalTrend{names: []string{l.text("sipas")}}
	for _, e := range nat.Elements {
		t.names = append(t.names, l.indexLabel(q, e.Kind, e.ID))
	}
	t.v = make([][]float64, len(t.names))
	for _, yy := range data.Years {
		t.years = append(t.years, strconv.Itoa(yy.Year))
		t.v[0] = append(t.v[0], yy.National.SIPAS.Estimate)
		t.lo, t.hi = append(t.lo, yy.National.SIPAS.CILow), append(t.hi, yy.National.SIPAS.CIHigh)
		for k := range nat.Elements {
			x := math.NaN()
			if k < len(yy.National.Elements) && yy.National.Elements[k].ID == nat.Elements[k].ID {
				x = yy.National.Elements[k].Estimate
			}
			t.v[k+1] = append(t.v[k+1], x)
		}
	}
	return t
}

// domainTrend is the SIPAS of every domain of the latest year across the
// years (NaN where a year lacks it); shown marks the lines drawn at first:
// the domainTrendShown highest and lowest of the latest year.
type domainTrend struct {
	names []string
	v     [][]float64
	shown []bool
}

// domainTrendShown is how many of the highest and of the lowest domains
// the trend chart shows.
const domainTrendShown = 3

func domainTrendData(data *Data) domainTrend {
	y := data.Latest()
	var t domainTrend
	pos := make([]map[string]int, len(data.Years))
	for k, yy := range data.Years {
		pos[k] = make(map[string]int, len(yy.Domains))
		for i, od := range yy.Domains {
			pos[k][od.Key] = i
		}
	}
	for i, d := range y.Domains {
		row := make([]float64, len(data.Years))
		for k, yy := range data.Years {
			row[k] = math.NaN()
			if j, ok := pos[k][d.Key]; ok {
				row[k] = yy.Domains[j].SIPAS.Estimate
			}
		}
		t.names, t.v = append(t.names, d.Name), append(t.v, row)
		t.shown = append(t.shown, i < domainTrendShown || i >= len(y.Domains)-domainTrendShown)
	}
	return t
}

// expectationData are the nation's expectation shares; ok is false when
// none has a value.
func expectationData(l Lang, q *index.Questionnaire, y *Year) (labels []string, v []float64, ok bool) {
	for _, e := range y.National.Expectations {
		labels, v = append(labels, l.indexLabel(q, e.Kind, e.ID)), append(v, e.Estimate)
		if !math.IsNaN(e.Estimate) {
			ok = true
		}
	}
	return labels, v, ok
}

// rrHistogram counts the weighting classes by response rate in bins
// rrBin points wide (edges[i] to edges[i]+rrBin, the last bin closed),
// from the bin of the lowest rate to that of the highest, and the overall
// rate (returned over issued of all classes, NaN when none was issued).
// The chart of the classes is this distribution, whatever their number;
// the table lists each class.
func rrHistogram(rates []ResponseRate) (edges []float64, counts []int, overall float64) {
	const rrBin = 5.0
	lo, hi := math.Inf(1), math.Inf(-1)
	issued, returned := 0, 0
	for _, r := range rates {
		issued, returned = issued+r.Issued, returned+r.Returned
		if x := 100 * r.ResponseRate; !math.IsNaN(x) {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
	}
	overall = math.NaN()
	if issued > 0 {
		overall = 100 * float64(returned) / float64(issued)
	}
	if math.IsInf(lo, 0) {
		return nil, nil, overall
	}
	first := rrBin * math.Floor(lo/rrBin)
	last := math.Min(rrBin*math.Floor(hi/rrBin), 100-rrBin)
	first = math.Min(first, last)
	for e := first; e <= last+1e-9; e += rrBin {
		edges = append(edges, e)
	}
	counts = make([]int, len(edges))
	for _, r := range rates {
		x := 100 * r.ResponseRate
		if math.IsNaN(x) {
			continue
		}
		k := int(math.Floor((x - first) / rrBin))
		counts[max(0, min(k, len(counts)-1))]++
	}
	return edges, counts, overall
}
