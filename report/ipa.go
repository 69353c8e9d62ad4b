package report

import (
	"math"
	"sort"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"

	"github.com/sipas-go/sipas/index"
)

// The importance–performance analysis (index.ImportancePerformanceOf,
// Martilla & James 1977) of the latest year: a scatter of the nation's
// criteria (x performance, y derived importance, split at the means into
// four quadrants), a table with the "fix first" criteria first, the
// "fix first" criteria of every domain in the strengths table, a CSV table
// and a print chart (print_ipa.go).

// ipaMessages are the section's labels, merged into messages at init.
var ipaMessages = map[string]msg{
	"sec.ipa": {"Tầm quan trọng và mức độ hài lòng của các tiêu chí", "Importance and performance of the criteria"},
	"ipa.note": {"Tầm quan trọng: hệ số tương quan (có gia quyền) giữa việc hài lòng với tiêu chí và mức hài lòng chung với các tiêu chí còn lại; mức độ hài lòng: tỷ lệ hài lòng của tiêu chí. Các đường nét đứt là giá trị trung bình của các tiêu chí, chia thành bốn nhóm (Martilla & James 1977).",
		"Importance: the weighted correlation between being satisfied with the criterion and the overall satisfaction with the other criteria; performance: the criterion's satisfied share. The dashed lines are the means of the criteria and split them into four quadrants (Martilla & James 1977)."},
	"col.importance":    {"Tầm quan trọng (tương quan)", "Importance (correlation)"},
	"col.performance":   {"Mức độ hài lòng (%)", "Performance (%)"},
	"col.quadrant":      {"Nhóm", "Quadrant"},
	"col.fix_first":     {"Ưu tiên cải thiện (IPA)", "Fix first (IPA)"},
	"quad.fix_first":    {"Ưu tiên cải thiện", "Fix first"},
	"quad.keep_up":      {"Duy trì", "Keep up the good work"},
	"quad.low_priority": {"Ưu tiên thấp", "Low priority"},
	"quad.overkill":     {"Có thể vượt mức cần thiết", "Possible overkill"},
}

func init() { addMessages(ipaMessages) }

// quadrants in the order the report lists them.
var quadrants = []index.Quadrant{index.QuadrantFixFirst, index.QuadrantKeepUp, index.QuadrantLowPriority, index.QuadrantOverkill}

// quadrantColor is the colour of a quadrant's points (Okabe & Ito's
// palette for colour-blind readers: vermillion, blue, grey, reddish
// purple; no red–green pair).
func quadrantColor(q index.Quadrant) string {
	switch q {
	case index.QuadrantFixFirst:
		return "#d55e00"
	case index.QuadrantKeepUp:
		return "#0072b2"
	case index.QuadrantLowPriority:
		return "#888888"
	case index.QuadrantOverkill:
		return "#cc79a7"
	}
	return "#bbbbbb"
}

// shortCriterion is the chart label of a criterion: its short name
// (index.Criterion.Short), else its label, else its column.
func (l Lang) shortCriterion(q *index.Questionnaire, id string) string {
	for _, c := range q.Criteria {
		if c.Column == id && (c.Short.VI != "" || c.Short.EN != "") {
			return l.label(c.Short, id)
		}
	}
	return l.indexLabel(q, index.KindCriterion, id)
}

func (l Lang) quadrantName(q index.Quadrant) string {
	if q == index.QuadrantUnknown {
		return "–"
	}
	return l.text("quad." + q.String())
}

// attachIPA gives each domain of byKey its rows of the importance–
// performance analysis (rows of unknown domains are left out).
func attachIPA(byKey map[string]*Domain, rows []index.IPARow) {
	for _, r := range rows {
		if d, ok := byKey[r.DomainKey()]; ok {
			d.IPA = append(d.IPA, r)
		}
	}
}

// ipaMeans are the quadrant split of the rows (index.IPAMeans).
func ipaMeans(rows []index.IPARow) (imp, perf float64) {
	v := make([]index.IPA, len(rows))
	for i, r := range rows {
		v[i] = r.IPA
	}
	return index.IPAMeans(v)
}

// ipaSorted returns the rows by quadrant (fix first, keep up, low
// priority, overkill, undefined), then by importance descending.
func ipaSorted(rows []index.IPARow) []index.IPARow {
	rank := func(q index.Quadrant) int {
		for i, x := range quadrants {
			if x == q {
				return i
			}
		}
		return len(quadrants)
	}
	out := append([]index.IPARow(nil), rows...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if ra, rb := rank(a.Quadrant), rank(b.Quadrant); ra != rb {
			return ra < rb
		}
		return a.Importance > b.Importance
	})
	return out
}

// ipaRange is an axis range around the values with 8% room on each side.
func ipaRange(v []float64) (lo, hi float64) { return paddedRange(0.08, 0, 1, v) }

// paddedRange is the range of the values of v widened by frac of its
// width on each side (by 1 when all values are equal); lo0, hi0 without a
// value.
func paddedRange(frac, lo0, hi0 float64, v ...[]float64) (lo, hi float64) {
	lo, hi, ok := finiteRange(v...)
	if !ok {
		return lo0, hi0
	}
	pad := frac * (hi - lo)
	if pad == 0 {
		pad = 1
	}
	return lo - pad, hi + pad
}

// ipaAxes is what the HTML chart and the print figure both draw around
// the points: the means of the criteria (mi importance, mp performance:
// the quadrant split, ipaMeans) and the axis ranges (ipaRange) around the
// points and the means, x performance and y importance.
func ipaAxes(rows []index.IPARow) (mi, mp, x0, x1, y0, y1 float64) {
	mi, mp = ipaMeans(rows)
	var xs, ys []float64
	for _, r := range rows {
		xs, ys = append(xs, r.Performance), append(ys, r.Importance)
	}
	x0, x1 = ipaRange(append(xs, mp))
	y0, y1 = ipaRange(append(ys, mi))
	return mi, mp, x0, x1, y0, y1
}

// ipaTicks are the steps of regular axis ticks over the ranges, about
// five a side (1, 2 or 5 times a power of ten).
func ipaTicks(x0, x1, y0, y1 float64) (xs, ys float64) {
	return niceStep(x1-x0, 5), niceStep(y1-y0, 5)
}

// round6 rounds an axis end to 6 decimals (no 0.30000000000000004 in
// the option).
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// ipaView is the section of the page.
type ipaView struct {
	Chart *chart
	Rows  []ipaRow
}

type ipaRow struct {
	Code, Label, Importance, Performance, N, Quadrant, Class string
}

// ipaSection builds the page section from the nation's rows of the latest
// year; nil when there are none.
func ipaSection(l Lang, q *index.Questionnaire, y *Year, cs *chartSet, ys string) *ipaView {
	rows := y.National.IPA
	if len(rows) == 0 {
		return nil
	}
	v := &ipaView{}
	for _, r := range ipaSorted(rows) {
		v.Rows = append(v.Rows, ipaRow{Code: r.Criterion, Label: l.indexLabel(q, index.KindCriterion, r.Criterion),
			Importance: l.se(r.Importance), Performance: l.pct(r.Performance), N: l.count(r.N),
			Quadrant: l.quadrantName(r.Quadrant), Class: "q-" + r.Quadrant.String()})
	}
	v.Chart = ptr(cs.ipaChart(l, q, l.text("sec.ipa")+ys, rows))
	return v
}

// ipaChart draws the criteria as points (x performance, y importance,
// labelled with their code, coloured by quadrant), dashed lines at the
// means and the quadrant names in the corners. Everything is data: no
// JavaScript function (labels use ECharts' "{b}" string template).
func (s *chartSet) ipaChart(l Lang, q *index.Questionnaire, t string, rows []index.IPARow) chart {
	mi, mp, x0, x1, y0, y1 := ipaAxes(rows)
	// Axis ends on regular ticks (ipaTicks). The importance axis (a
	// correlation) has decimal ticks, which ECharts would write with a
	// decimal point: its labels are written here, in the page's language,
	// as labels of invisible lines at the step.
	xs, ystep := ipaTicks(x0, x1, y0, y1)
	x0, x1 = math.Floor(x0/xs)*xs, math.Ceil(x1/xs)*xs
	y0, y1 = math.Floor(y0/ystep+1e-9)*ystep, math.Ceil(y1/ystep-1e-9)*ystep
	if y1 <= y0 {
		y1 = y0 + ystep
	}
	ydec := max(0, int(-math.Floor(math.Log10(ystep)+1e-9)))
	var yticks []interface{}
	for k := 0; y0+float64(k)*ystep <= y1+1e-9; k++ {
		v := round6(y0 + float64(k)*ystep)
		yticks = append(yticks, map[string]interface{}{"yAxis": v, "label": map[string]interface{}{"formatter": l.dec(v, ydec)}})
	}
	var pts []interface{}
	for _, r := range rows {
		if math.IsNaN(r.Importance) || math.IsNaN(r.Performance) {
			continue
		}
		pts = append(pts, map[string]interface{}{"name": l.shortCriterion(q, r.Criterion),
			"value":     []interface{}{num(r.Performance), math.Round(r.Importance*1000) / 1000},
			"tooltip":   map[string]interface{}{"formatter": "{b}: " + l.pct(r.Performance) + "; " + l.se(r.Importance)},
			"itemStyle": map[string]interface{}{"color": quadrantColor(r.Quadrant)}})
	}
	corner := func(q index.Quadrant, x, y float64, align, valign string) interface{} {
		return map[string]interface{}{"name": l.quadrantName(q), "value": []interface{}{x, y},
			"label": map[string]interface{}{"show": true, "formatter": "{b}", "position": "inside", "align": align,
				"verticalAlign": valign, "color": quadrantColor(q), "fontWeight": "bold", "fontSize": 12}}
	}
	quads := []interface{}{
		corner(index.QuadrantFixFirst, x0, y1, "left", "top"),
		corner(index.QuadrantKeepUp, x1, y1, "right", "top"),
		corner(index.QuadrantLowPriority, x0, y0, "left", "bottom"),
		corner(index.QuadrantOverkill, x1, y0, "right", "bottom"),
	}
	// The mean lines; none when no criterion has both values (the means
	// are NaN, which JSON cannot hold), as in the print figure.
	means := []interface{}{}
	if !math.IsNaN(mi) && !math.IsNaN(mp) {
		means = []interface{}{map[string]interface{}{"xAxis": num(mp)}, map[string]interface{}{"yAxis": math.Round(mi*1000) / 1000}}
	}
	sc := charts.NewScatter()
	sc.SetGlobalOptions(title(t))
	dashed := map[string]interface{}{"type": "dashed", "color": "#666"}
	series := []interface{}{
		map[string]interface{}{"type": "scatter", "name": l.text("col.criterion"), "data": pts, "symbolSize": 9,
			"label": map[string]interface{}{"show": true, "formatter": "{b}", "position": "right", "fontSize": 10, "color": "#333"},
			// Criteria with nearly equal values would print their names over
			// each other: ECharts moves a label that overlaps another up or
			// down (none is hidden).
			"labelLayout": map[string]interface{}{"moveOverlap": "shiftY"},
			"labelLine":   map[string]interface{}{"show": true, "lineStyle": map[string]interface{}{"color": "#aaa", "width": 0.5}},
			"markLine": map[string]interface{}{"silent": true, "symbol": "none", "lineStyle": dashed,
				"label": map[string]interface{}{"show": false},
				"data":  means}},
		map[string]interface{}{"type": "scatter", "name": l.text("col.quadrant"), "data": quads, "symbolSize": 0,
			"silent": true, "tooltip": map[string]interface{}{"show": false}},
		map[string]interface{}{"type": "scatter", "name": l.text("col.importance"), "data": []interface{}{}, "silent": true,
			"markLine": map[string]interface{}{"silent": true, "symbol": "none", "lineStyle": map[string]interface{}{"opacity": 0},
				"label": map[string]interface{}{"position": "start", "color": "#6e7079"}, "data": yticks}},
	}
	return s.add(sc, 480, map[string]interface{}{
		"series": series,
		"xAxis": []interface{}{map[string]interface{}{"type": "value", "name": l.text("col.performance"), "nameLocation": "middle",
			"nameGap": 28, "min": x0, "max": x1, "interval": xs}},
		"yAxis": []interface{}{map[string]interface{}{"type": "value", "name": l.text("col.importance"), "nameLocation": "middle",
			"nameGap": 40, "min": round6(y0), "max": round6(y1), "interval": ystep, "axisLabel": map[string]interface{}{"show": false}}},
		"grid":   map[string]interface{}{"left": 24, "right": 24, "top": 40, "bottom": 40, "containLabel": true},
		"legend": map[string]interface{}{"show": false},
	})
}

// ipaTable is the "ipa" CSV table: every criterion of the nation and of
// each domain in the latest year, in the questionnaire's order.
func ipaTable(l Lang, q *index.Questionnaire, y *Year, byLabel string) (Table, bool) {
	t := Table{Name: "ipa", Header: []string{byLabel, "id", l.text("col.criterion"), l.text("col.element"), l.text("col.n"),
		l.text("col.importance"), l.text("col.performance"), "quadrant", l.text("col.quadrant")}}
	for gi, d := range append([]Domain{y.National}, byName(y.Domains)...) { // a list: collation
		name := textCell(d.Name)
		if gi == 0 {
			name = l.text("national")
		}
		for _, r := range d.IPA {
			qn := ""
			if r.Quadrant != index.QuadrantUnknown {
				qn = l.quadrantName(r.Quadrant)
			}
			t.Rows = append(t.Rows, []string{name, r.Criterion, l.indexLabel(q, index.KindCriterion, r.Criterion),
				l.indexLabel(q, index.KindElement, r.Element), strconv.Itoa(r.N), f4(r.Importance), f2(r.Performance),
				r.Quadrant.String(), qn})
		}
	}
	return t, len(t.Rows) > 0
}
