package report

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// chart is one chart of the page: its element id (chart-N), its height in
// pixels and its ECharts option as JSON.
type chart struct {
	ID     string
	Height int
	// Option is the ECharts option serialised by encoding/json: < > & are
	// escaped as \u003c \u003e \u0026, so it cannot end a <script> element.
	Option json.RawMessage
}

// optioner is a go-echarts chart: Validate fills the axis data, JSON
// returns the option as a map (its templates and function markers are not
// used: see the package doc).
type optioner interface {
	Validate()
	JSON() map[string]interface{}
}

// chartSet numbers the charts of one page in order; lang writes the
// numbers of their labels and tooltips (pre-formatted strings in the
// data: the options hold no JavaScript function).
type chartSet struct {
	charts []chart
	lang   Lang
}

// add serialises the option of c (with the report's fixed settings merged
// over it) and returns the chart's id.
func (s *chartSet) add(c optioner, height int, extra map[string]interface{}) chart {
	c.Validate()
	obj := c.JSON()
	// go-echarts' empty toolbox and legend are dropped; every chart is
	// static (no animation, so that print and screenshots show the final
	// state), and tooltips are drawn on the canvas as text (renderMode
	// richText), never as HTML.
	delete(obj, "toolbox")
	obj["animation"] = false
	obj["tooltip"] = map[string]interface{}{"show": true, "renderMode": "richText", "confine": true}
	for k, v := range extra {
		obj[k] = v
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(obj); err != nil {
		panic("report: chart option does not serialise: " + err.Error())
	}
	raw := bytes.TrimSpace(b.Bytes())
	if bytes.ContainsAny(raw, "<>") {
		panic("report: unescaped < or > in a chart option")
	}
	ch := chart{ID: "chart-" + strconv.Itoa(len(s.charts)+1), Height: height, Option: raw}
	s.charts = append(s.charts, ch)
	return ch
}

// num rounds a percentage for the charts (2 decimals) and turns NaN into
// ECharts' "-" (no value).
func num(x float64) interface{} {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "-"
	}
	return math.Round(x*100) / 100
}

func title(t string) charts.GlobalOpts {
	return charts.WithTitleOpts(opts.Title{Title: t, Left: "center", TitleStyle: &opts.TextStyle{FontSize: 14}})
}

// intervalChart draws estimates with their confidence intervals as a
// horizontal chart: one row per label (top to bottom in the given order), a
// box from ci_low to ci_high (a boxplot item [lo, lo, est, hi, hi], so no
// JavaScript is needed) and a point at the estimate. colors, when not nil,
// colour the points.
func (s *chartSet) intervalChart(t string, labels []string, est, lo, hi []float64, colors []string, ciName, estName string) chart {
	n := len(labels)
	// ECharts draws a category y axis bottom-up: reverse so that the first
	// label is at the top.
	ylab := make([]string, n)
	box := make([]opts.BoxPlotData, n)
	boxItems := make([]interface{}, n)
	pts := make([]interface{}, n)
	for i := 0; i < n; i++ {
		j := n - 1 - i
		ylab[i] = labels[j]
		box[i] = opts.BoxPlotData{Value: []interface{}{num(lo[j]), num(lo[j]), num(est[j]), num(hi[j]), num(hi[j])}}
		// Tooltips in the page's language: "{b}: 82,4 (80,1–84,7)".
		tip := map[string]interface{}{"formatter": "{b}: " + s.lang.pct(est[j]) + " (" + s.lang.ci(lo[j], hi[j]) + ")"}
		boxItems[i] = map[string]interface{}{"value": box[i].Value, "tooltip": tip}
		pt := map[string]interface{}{"name": labels[j], "value": []interface{}{num(est[j]), i}, "tooltip": tip}
		if colors != nil {
			pt["itemStyle"] = map[string]interface{}{"color": colors[j]}
		}
		pts[i] = pt
	}
	b := charts.NewBoxPlot()
	b.SetGlobalOptions(title(t))
	b.AddSeries(ciName, box, charts.WithItemStyleOpts(opts.ItemStyle{Color: "#dfe8f6", BorderColor: "#5470c6"}))
	b.Validate()
	// The scatter series has per-item colours, which go-echarts'
	// ScatterData cannot hold: the series list is written here.
	series := []interface{}{
		map[string]interface{}{"type": "boxplot", "name": ciName, "data": boxItems, "boxWidth": []string{"40%", "60%"},
			"itemStyle": map[string]interface{}{"color": "#dfe8f6", "borderColor": "#5470c6"}},
		map[string]interface{}{"type": "scatter", "name": estName, "data": pts, "symbolSize": 8,
			"itemStyle": map[string]interface{}{"color": "#c23531"}}}
	h := 60 + 22*n
	if h < 200 {
		h = 200
	}
	return s.add(b, h, map[string]interface{}{
		"series": series,
		"yAxis": []interface{}{map[string]interface{}{"type": "category", "data": ylab,
			"axisLabel": map[string]interface{}{"interval": 0, "fontSize": 11}}},
		"xAxis":  []interface{}{map[string]interface{}{"type": "value", "scale": true, "minInterval": 1}},
		"grid":   map[string]interface{}{"left": 8, "right": 24, "top": 36, "bottom": 24, "containLabel": true},
		"legend": map[string]interface{}{"show": false},
	})
}

// tierColor is the colour of a tier's points: a sequential scale (dark
// blue for tier 1 to light green for tier 4, YlGnBu of ColorBrewer) whose
// order shows in lightness alone, for readers who do not tell red from
// green; grey without a tier.
func tierColor(tier int) string {
	switch tier {
	case 1:
		return "#253494"
	case 2:
		return "#2c7fb8"
	case 3:
		return "#41b6c4"
	case 4:
		return "#a1dab4"
	}
	return "#666666"
}

// seqStops are the colours of the heatmaps' and the map's scale, low to
// high (YlGnBu of ColorBrewer without its darkest step, so that the values
// written in the cells stay readable): lightness falls steadily, so the
// scale reads without telling hues apart.
var seqStops = []string{"#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8"}

// heatmap draws rows × columns of values (NaN: empty cell).
func (s *chartSet) heatmap(t string, rows, cols []string, v [][]float64) chart {
	n := len(rows)
	lo, hi := colourScale(v...)
	var data []opts.HeatMapData
	var items []interface{}
	for i := 0; i < n; i++ {
		r := n - 1 - i // first row at the top
		for j := range cols {
			data = append(data, opts.HeatMapData{Value: [3]interface{}{j, i, num(v[r][j])}})
			// Every cell's label and tooltip with one decimal, in the
			// page's language.
			text := s.lang.pct(v[r][j])
			if math.IsNaN(v[r][j]) {
				text = ""
			}
			items = append(items, map[string]interface{}{"name": rows[r] + " · " + cols[j], "value": []interface{}{j, i, num(v[r][j])},
				"label": map[string]interface{}{"formatter": text}, "tooltip": map[string]interface{}{"formatter": "{b}: " + text}})
		}
	}
	ylab := make([]string, n)
	for i := range ylab {
		ylab[i] = rows[n-1-i]
	}
	h := charts.NewHeatMap()
	h.SetGlobalOptions(title(t))
	h.SetXAxis(cols)
	h.AddSeries(t, data, charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), FontSize: 9}))
	// Column names slant at heatHeadRotate degrees, broken into lines of
	// at most heatHeadWidth px: neighbours then sit a column's width ×
	// sin(rotation) apart across their lines, room for two lines down to
	// 36 px columns (six columns on a 390 px phone).
	height := heatHeadTop + 26*n + 50
	return s.add(h, height, map[string]interface{}{
		"series": []interface{}{map[string]interface{}{"type": "heatmap", "name": t, "data": items,
			"label": map[string]interface{}{"show": true, "fontSize": 9}}},
		"xAxis": []interface{}{map[string]interface{}{"type": "category", "data": cols, "position": "top",
			"axisLabel": map[string]interface{}{"interval": 0, "fontSize": 10, "lineHeight": heatHeadLine, "rotate": heatHeadRotate,
				"width": heatHeadWidth, "overflow": "break"}}},
		"yAxis": []interface{}{map[string]interface{}{"type": "category", "data": ylab,
			"axisLabel": map[string]interface{}{"interval": 0, "fontSize": 11}}},
		"grid": map[string]interface{}{"left": 8, "right": 24, "top": heatHeadTop, "bottom": 50, "containLabel": true},
		"visualMap": []interface{}{map[string]interface{}{"type": "continuous", "min": lo, "max": hi,
			"calculable": true, "orient": "horizontal", "left": "center", "bottom": 0,
			"inRange": map[string]interface{}{"color": seqStops}}},
		"legend": map[string]interface{}{"show": false},
	})
}

// The heatmap's column names (heatmap): slanted, broken into lines, above
// the cells.
const (
	heatHeadRotate = 45
	heatHeadWidth  = 130
	heatHeadLine   = 12
	// heatHeadTop is the room above the cells: the title and the slanted
	// names (width × sin 45° plus two lines).
	heatHeadTop = 40 + 92 + 2*heatHeadLine + 8
)

// radar draws one domain against the nation on the given indicators.
//
// The axes run from min to 100; min (common to every radar of a page, so
// that they compare) is set below the smallest value so that differences
// of a few points show.
func (s *chartSet) radar(t string, indicators []string, domainName, nationName string, dom, nat []float64, min float64) chart {
	ind := make([]*opts.Indicator, len(indicators))
	for i, l := range indicators {
		ind[i] = &opts.Indicator{Name: l, Max: 100, Min: float32(min)}
	}
	r := charts.NewRadar()
	r.SetGlobalOptions(title(t), charts.WithRadarComponentOpts(opts.RadarComponent{Indicator: ind}))
	// The values are set below as float64 (go-echarts' RadarData holds
	// float32 only through its own helpers).
	r.AddSeries("radar", []opts.RadarData{{Name: nationName}, {Name: domainName}})
	vals := func(v []float64) []interface{} {
		out := make([]interface{}, len(v))
		for i, x := range v {
			out[i] = num(x)
		}
		return out
	}
	// The tooltip lists the values in the page's language.
	tip := func(v []float64) map[string]interface{} {
		t := "{b}"
		for i, x := range v {
			t += "\n" + tmplSafe(indicators[i]) + ": " + s.lang.pct(x)
		}
		return map[string]interface{}{"formatter": t}
	}
	return s.add(r, radarHeight, map[string]interface{}{
		"radar": map[string]interface{}{"indicator": radarIndicators(indicators, min), "radius": radarRadius, "center": []string{"50%", "55%"},
			"startAngle": 90, "splitNumber": 4, "axisNameGap": radarNameGap,
			"axisName": map[string]interface{}{"fontSize": 9, "color": "#444", "width": radarNameWidth, "overflow": "break", "lineHeight": 11}},
		"series": []interface{}{map[string]interface{}{"type": "radar", "data": []interface{}{
			map[string]interface{}{"name": nationName, "value": vals(nat), "lineStyle": map[string]interface{}{"type": "dashed"}, "tooltip": tip(nat)},
			map[string]interface{}{"name": domainName, "value": vals(dom), "areaStyle": map[string]interface{}{"opacity": 0.2}, "tooltip": tip(dom)},
		}}},
		"legend": map[string]interface{}{"bottom": 0, "data": []string{nationName, domainName}},
	})
}

// The radars' geometry: ECharts takes the radius as a share of half the
// smaller side, and writes an axis name axisNameGap beyond the axis end
// in a box radarNameWidth wide, broken into lines. In the narrowest radar
// (320 px: the grid's column, or a 390 px phone less its margins) the
// left and right names must end inside the chart: radius + gap + width ≤
// 160 px.
const (
	radarHeight    = 340
	radarRadius    = "42%"
	radarNameGap   = 6
	radarNameWidth = 76
)

// radarIndicators are the radar's axes from min to 100; the first (at
// the top) carries the scale (min and the quarter steps), as the print
// radars do. ECharts places axis i at 90° + i·360°/n, counter-clockwise
// (startAngle 90); the print radars follow.
func radarIndicators(labels []string, min float64) []interface{} {
	out := make([]interface{}, len(labels))
	for i, l := range labels {
		ind := map[string]interface{}{"name": l, "min": min, "max": 100}
		if i == 0 {
			ind["axisLabel"] = map[string]interface{}{"show": true, "fontSize": 8, "color": "#777"}
		}
		out[i] = ind
	}
	return out
}

// radarMin is the common lower end of the radar axes: 10 points below the
// smallest value, rounded down to a multiple of 10, at least 0.
func radarMin(vals ...[]float64) float64 {
	m := math.Inf(1)
	for _, v := range vals {
		for _, x := range v {
			if !math.IsNaN(x) {
				m = math.Min(m, x)
			}
		}
	}
	if math.IsInf(m, 0) {
		return 0
	}
	return math.Max(0, 10*math.Floor((m-10)/10))
}

// lines draws one line per series across the x categories; band, when
// not nil, adds a shaded interval around series 0 (lower and upper).
func (s *chartSet) lines(t string, x []string, names []string, v [][]float64, bandLo, bandHi []float64, ciName string) chart {
	l := charts.NewLine()
	l.SetGlobalOptions(title(t))
	l.SetXAxis(x)
	series := []interface{}{}
	if bandLo != nil {
		lo := make([]interface{}, len(x))
		width := make([]interface{}, len(x))
		for i := range x {
			lo[i] = num(bandLo[i])
			if math.IsNaN(bandLo[i]) || math.IsNaN(bandHi[i]) {
				width[i] = "-"
			} else {
				width[i] = num(bandHi[i] - bandLo[i])
			}
		}
		series = append(series,
			map[string]interface{}{"type": "line", "name": ciName + " (lo)", "data": lo, "stack": "ci",
				"lineStyle": map[string]interface{}{"opacity": 0}, "symbol": "none", "silent": true},
			map[string]interface{}{"type": "line", "name": ciName, "data": width, "stack": "ci",
				"lineStyle": map[string]interface{}{"opacity": 0}, "symbol": "none", "silent": true,
				"areaStyle": map[string]interface{}{"color": "#c9d7f0", "opacity": 0.6}})
	}
	for k, name := range names {
		d := make([]interface{}, len(x))
		for i := range x {
			d[i] = s.lineItem(v[k][i])
		}
		sr := map[string]interface{}{"type": "line", "name": name, "data": d}
		if k == 0 {
			sr["lineStyle"] = map[string]interface{}{"width": 3}
		}
		series = append(series, sr)
	}
	// The legend lists every line, one per row below the plot, so that
	// none is cut off or hidden behind a scroll arrow at any width.
	keyH := legendRowPx * len(names)
	return s.add(l, 340+keyH, map[string]interface{}{
		"series": series,
		"xAxis":  []interface{}{map[string]interface{}{"type": "category", "data": x, "boundaryGap": false}},
		"yAxis":  []interface{}{map[string]interface{}{"type": "value", "scale": true, "minInterval": 1}},
		"legend": map[string]interface{}{"bottom": 0, "left": 8, "orient": "vertical", "data": names, "itemGap": 4},
		"grid":   map[string]interface{}{"left": 8, "right": 24, "top": 40, "bottom": keyH + 16, "containLabel": true},
	})
}

// legendRowPx is the height of a row of a vertical legend (12 px text,
// 4 px gap, ECharts' 14 px item height).
const legendRowPx = 20

// bars draws a bar per label with values in percent (horizontal, first
// label on top).
func (s *chartSet) bars(t string, labels []string, v []float64) chart {
	n := len(labels)
	ylab := make([]string, n)
	data := make([]opts.BarData, n)
	items := make([]interface{}, n)
	for i := 0; i < n; i++ {
		ylab[i] = labels[n-1-i]
		data[i] = opts.BarData{Value: num(v[n-1-i])}
		text := s.lang.pct(v[n-1-i])
		items[i] = map[string]interface{}{"value": num(v[n-1-i]), "label": map[string]interface{}{"formatter": text},
			"tooltip": map[string]interface{}{"formatter": "{b}: " + text}}
	}
	b := charts.NewBar()
	b.SetGlobalOptions(title(t))
	b.AddSeries(t, data, charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "right"}))
	h := 60 + 28*n
	if h < 200 {
		h = 200
	}
	return s.add(b, h, map[string]interface{}{
		"series": []interface{}{map[string]interface{}{"type": "bar", "name": t, "data": items,
			"label": map[string]interface{}{"show": true, "position": "right"}}},
		"yAxis":  []interface{}{map[string]interface{}{"type": "category", "data": ylab, "axisLabel": map[string]interface{}{"interval": 0}}},
		"xAxis":  []interface{}{map[string]interface{}{"type": "value", "minInterval": 1}},
		"grid":   map[string]interface{}{"left": 8, "right": 48, "top": 36, "bottom": 24, "containLabel": true},
		"legend": map[string]interface{}{"show": false},
	})
}

// lineItem is a point of a line chart with its tooltip in the page's
// language ("{a} · {b}: 82,4": series, category, value).
func (s *chartSet) lineItem(x float64) interface{} {
	return map[string]interface{}{"value": num(x), "tooltip": map[string]interface{}{"formatter": "{a} · {b}: " + s.lang.pct(x)}}
}

// domainLines draws one line per domain across the x categories: the
// shown ones in colour and named in the legend (one per row below the
// plot), the others thin and grey behind them, without a legend entry or
// a tooltip, as the background the shown ones stand out from.
func (s *chartSet) domainLines(t string, x []string, names []string, v [][]float64, shown []bool) chart {
	l := charts.NewLine()
	l.SetGlobalOptions(title(t))
	l.SetXAxis(x)
	var back, front []interface{}
	var legend []string
	for k, name := range names {
		d := make([]interface{}, len(x))
		for i := range x {
			d[i] = s.lineItem(v[k][i])
		}
		if shown[k] {
			front = append(front, map[string]interface{}{"type": "line", "name": name, "data": d, "connectNulls": false, "z": 3})
			legend = append(legend, name)
			continue
		}
		back = append(back, map[string]interface{}{"type": "line", "data": d, "connectNulls": false, "silent": true,
			"symbol": "none", "z": 1, "lineStyle": map[string]interface{}{"color": "#cccccc", "width": 1}})
	}
	keyH := legendRowPx * len(legend)
	return s.add(l, 360+keyH, map[string]interface{}{
		"series": append(back, front...),
		"xAxis":  []interface{}{map[string]interface{}{"type": "category", "data": x, "boundaryGap": false}},
		"yAxis":  []interface{}{map[string]interface{}{"type": "value", "scale": true, "minInterval": 1}},
		"legend": map[string]interface{}{"bottom": 0, "left": 8, "orient": "vertical", "data": legend, "itemGap": 4},
		"grid":   map[string]interface{}{"left": 8, "right": 24, "top": 40, "bottom": keyH + 16, "containLabel": true},
	})
}

// histogram draws counts per bin as vertical bars (bins labelled below).
func (s *chartSet) histogram(t string, bins []string, counts []int, yName string) chart {
	data := make([]opts.BarData, len(counts))
	for i, c := range counts {
		data[i] = opts.BarData{Value: c}
	}
	b := charts.NewBar()
	b.SetGlobalOptions(title(t))
	b.SetXAxis(bins)
	b.AddSeries(yName, data, charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "top"}))
	return s.add(b, 300, map[string]interface{}{
		"xAxis":  []interface{}{map[string]interface{}{"type": "category", "data": bins, "axisLabel": map[string]interface{}{"interval": 0, "rotate": 30}}},
		"yAxis":  []interface{}{map[string]interface{}{"type": "value", "name": yName, "minInterval": 1}},
		"grid":   map[string]interface{}{"left": 8, "right": 24, "top": 56, "bottom": 8, "containLabel": true},
		"legend": map[string]interface{}{"show": false},
	})
}

// finiteRange returns the smallest and largest non-NaN values of v; ok is
// false when there is none.
func finiteRange(v ...[]float64) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, r := range v {
		for _, x := range r {
			if !math.IsNaN(x) {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
	}
	return lo, hi, !math.IsInf(lo, 0)
}

// colourScale is the colour scale of the heatmaps and the map (HTML and
// print): the values' range widened to whole numbers; 0–100 without a
// value, and one unit wide when every value is the same.
func colourScale(v ...[]float64) (lo, hi float64) {
	lo, hi, ok := finiteRange(v...)
	if !ok {
		return 0, 100
	}
	lo, hi = math.Floor(lo), math.Ceil(hi)
	if lo == hi {
		hi = lo + 1
	}
	return lo, hi
}
