package report

import (
	"encoding/json"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/sipas-go/sipas/internal/provinces"
	"github.com/sipas-go/sipas/internal/vnmap"
)

// provinceMap is the latest year's domains read as provinces: the
// geography their names belong to and the code of each domain (in the
// order of Year.Domains).
type provinceMap struct {
	geo   provinces.Geography
	codes []string
}

// mapName is the name the map is registered under in the page
// (echarts.registerMap) and the suffix of its JSON block's id.
func (m *provinceMap) mapName() string { return "vn-" + m.geo.String() }

// provinceDomains reports whether the latest year's domains are provinces
// that a map can show: the domain column is "province" (Data.By; "" is
// read as "province", as the page does), there is at least one domain,
// and every domain name resolves (provinces.Canonical, strict: an old
// province absorbed in 2025 does not resolve in the 2025 geography) to a
// distinct province of one geography — that of the data's year
// (provinces.GeographyForYear), else the other one. A subset of the
// provinces is fine: the others are drawn without data.
func provinceDomains(data *Data) (*provinceMap, bool) {
	y := data.Latest()
	if y == nil || len(y.Domains) == 0 || (data.By != "province" && data.By != "") {
		return nil, false
	}
	first := provinces.GeographyForYear(y.Year)
	other := provinces.Geo2025
	if first == provinces.Geo2025 {
		other = provinces.Geo1997
	}
	geos := []provinces.Geography{first, other}
	if g := provinces.Geography(y.Geography); g == provinces.Geo1997 || g == provinces.Geo2025 {
		// Known: the 34 names of 2025 are names of the 63 too.
		geos = []provinces.Geography{g}
	}
	for _, g := range geos {
		m := &provinceMap{geo: g}
		seen := map[string]bool{}
		for _, d := range y.Domains {
			code, err := vnmap.Code(d.Name, g)
			if err != nil || seen[code] {
				m = nil
				break
			}
			seen[code] = true
			m.codes = append(m.codes, code)
		}
		if m != nil {
			return m, true
		}
	}
	return nil, false
}

// mapView is the map of the ranking section: the chart, the boundaries
// (inlined once, in ECharts' compressed GeoJSON) and the attribution the
// Open Database License asks for.
type mapView struct {
	Chart *chart
	// GeoID is the map's registered name, "vn-1997" or "vn-2025"; the
	// JSON block's id is "geo-" + GeoID.
	GeoID string
	geo   json.RawMessage
	Note  string
}

// GeoJSON lets html/template write the boundaries inside the
// application/json script (re-marshalled with < > & escaped, as
// chart.OptionJSON).
func (m mapView) GeoJSON() json.RawMessage { return m.geo }

// mapAspect is the width of a degree of longitude against one of
// latitude at Vietnam's middle latitude (cos 16° ≈ 0.96), for the HTML map
// (ECharts aspectScale) and the print map alike.
const mapAspect = 0.96

// mapSection builds the choropleth of SIPAS by province (nil when the
// domains are not provinces): a map series keyed by the features' "code"
// property, the regions renamed (nameMap) to the domain names from data so
// that tooltips show them, a continuous visualMap, and the archipelago
// labels as a label-only scatter series on a transparent geo component
// laid out exactly as the map series.
func mapSection(l Lang, data *Data, cs *chartSet, ys string) *mapView {
	pm, ok := provinceDomains(data)
	if !ok {
		return nil
	}
	y := data.Latest()
	nameMap := map[string]string{}
	for _, f := range vnmap.Features(pm.geo) {
		nameMap[f.Code] = f.Name
	}
	var items []map[string]interface{}
	var vals []float64
	for i, d := range y.Domains {
		nameMap[pm.codes[i]] = d.Name
		items = append(items, map[string]interface{}{"name": d.Name, "value": num(d.SIPAS.Estimate),
			"tooltip": map[string]interface{}{"formatter": "{b}: " + l.pct(d.SIPAS.Estimate)}})
		vals = append(vals, d.SIPAS.Estimate)
	}
	lo, hi := colourScale(vals)
	layout := func(m map[string]interface{}) map[string]interface{} {
		m["map"] = pm.mapName()
		m["nameProperty"] = "code"
		m["aspectScale"] = mapAspect
		m["layoutCenter"] = []string{"50%", "53%"}
		m["layoutSize"] = "92%"
		m["roam"] = false
		return m
	}
	var labels []map[string]interface{}
	for _, a := range vnmap.Archipelagos() {
		labels = append(labels, map[string]interface{}{"name": l.archipelago(a), "value": []float64{a.Lon, a.Lat}})
	}
	series := []interface{}{
		layout(map[string]interface{}{"type": "map", "name": "SIPAS (%)", "nameMap": nameMap, "data": items,
			"showLegendSymbol": false, "selectedMode": false, "label": map[string]interface{}{"show": false},
			"itemStyle": map[string]interface{}{"areaColor": "#e6e6e6", "borderColor": "#777", "borderWidth": 0.5},
			"emphasis": map[string]interface{}{"label": map[string]interface{}{"show": false},
				"itemStyle": map[string]interface{}{"borderColor": "#222", "borderWidth": 1.2}}}),
		map[string]interface{}{"type": "scatter", "coordinateSystem": "geo", "geoIndex": 0, "silent": true, "z": 5,
			"symbolSize": 0, "data": labels, "tooltip": map[string]interface{}{"show": false},
			"label": map[string]interface{}{"show": true, "formatter": "{b}", "position": "right", "fontSize": 11, "color": "#333"}},
	}
	m := charts.NewMap()
	m.SetGlobalOptions(title(l.text("sec.map") + ys))
	ch := cs.add(m, 660, map[string]interface{}{
		"series": series,
		"geo": layout(map[string]interface{}{"silent": true, "z": 0,
			"itemStyle": map[string]interface{}{"areaColor": "rgba(0,0,0,0)", "borderWidth": 0},
			"label":     map[string]interface{}{"show": false}}),
		"visualMap": []interface{}{map[string]interface{}{"type": "continuous", "seriesIndex": 0, "min": lo, "max": hi,
			"calculable": true, "orient": "vertical", "left": 8, "bottom": 16, "text": []string{"SIPAS (%)", ""},
			"inRange": map[string]interface{}{"color": seqStops}}},
		"legend": map[string]interface{}{"show": false},
	})
	return &mapView{Chart: &ch, GeoID: pm.mapName(), geo: vnmap.EChartsJSON(pm.geo), Note: l.mapNote()}
}

// archipelago is the map label of an island group in l (HTML and print
// map).
func (l Lang) archipelago(a vnmap.Archipelago) string {
	if l == LangEN {
		return a.LabelEN
	}
	return a.LabelVI
}

// mapNote is the attribution of the boundaries (ODbL 1.0 §4.2, §4.3).
func (l Lang) mapNote() string { return l.text("map.source") + " " + l.text("map.changes") }
