package index

import (
	"math"
	"strings"
)

// TrendDomainKey is the domain key CompareYears uses for the domain of an
// index Row: "col=value" pairs joined by ", " ("" for the national rows,
// whose Domain is empty).
func TrendDomainKey(r Row) string {
	parts := make([]string, len(r.Domain))
	for i, d := range r.Domain {
		parts[i] = d.Column + "=" + d.Value
	}
	return strings.Join(parts, ", ")
}

// TrendPointsFromRows turns the rows of one year's Compute result into
// TrendPoints for CompareYears: rows with an empty Domain are national, the
// domain key is TrendDomainKey, Order is the domain's position in rows
// (Compute returns domains sorted by their values, so rank ties follow that
// order), and VsNation / SEVsNation are NaN — fill them from the variance
// engine (the influence values of the difference domain − nation) before
// calling CompareYears. version is the questionnaire version of the year
// (e.g. Questionnaire.ID). The points are in the order of rows.
func TrendPointsFromRows(year int, version string, rows []Row) []TrendPoint {
	pts := make([]TrendPoint, len(rows))
	order := map[string]int{}
	for i, r := range rows {
		key := TrendDomainKey(r)
		o, ok := order[key]
		if !ok {
			o = len(order)
			order[key] = o
		}
		pts[i] = TrendPoint{
			Domain: key, National: len(r.Domain) == 0, Order: o,
			Kind: r.Kind, ID: r.ID, Year: year,
			Estimate: r.Estimate, SE: r.SE,
			VsNation: math.NaN(), SEVsNation: math.NaN(),
			Version: version,
		}
	}
	return pts
}
