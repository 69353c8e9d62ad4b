package index

import (
	"math"
	"strings"
)

// DomainKey is the key of the row's domain in trend points and rows:
// "col=value" pairs joined by ", " ("" for the national rows, whose Domain
// is empty).
func (r Row) DomainKey() string {
	parts := make([]string, len(r.Domain))
	for i, d := range r.Domain {
		parts[i] = d.Column + "=" + d.Value
	}
	return strings.Join(parts, ", ")
}

// TrendPointsFromRows turns the rows of one year's Compute result into
// TrendPoints for CompareYears: rows with an empty Domain are national, the
// domain key is Row.DomainKey, Labels the row's Domain, Order is the domain's position in rows
// (Compute returns domains sorted by their values, so rank ties follow that
// order), and VsNation / SEVsNation are NaN: copy them from the rows'
// VsNation and SEVsNation when Compute estimated them (Options.VsNation;
// Trend does) before calling CompareYears. version is the questionnaire version of the year
// (e.g. Questionnaire.ID). The points are in the order of rows.
func TrendPointsFromRows(year int, version string, rows []Row) []TrendPoint {
	pts := make([]TrendPoint, len(rows))
	order := map[string]int{}
	for i, r := range rows {
		key := r.DomainKey()
		o, ok := order[key]
		if !ok {
			o = len(order)
			order[key] = o
		}
		pts[i] = TrendPoint{
			Domain: key, Labels: r.Domain, National: len(r.Domain) == 0, Order: o,
			Kind: r.Kind, ID: r.ID, Year: year,
			Estimate: r.Estimate, SE: r.SE, Flag: r.Flag,
			VsNation: math.NaN(), SEVsNation: math.NaN(),
			Version: version,
		}
	}
	return pts
}
