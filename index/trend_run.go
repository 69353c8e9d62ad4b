package index

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index/internal/column"
	"github.com/sipas-go/sipas/internal/provinces"
	"github.com/sipas-go/sipas/sampling"
)

// TrendYear is one year's survey for Trend: its own design and ballots
// (samples of different years are independent, METHODOLOGY §8).
type TrendYear struct {
	Year int
	// Design is the year's survey design over Ballots (same rows).
	Design  *sampling.Design
	Ballots arrow.RecordBatch
	// Questionnaire of the year; nil means the one given to Trend. Its ID
	// is the year's version: a change of ID between years is a break in
	// method, and only what TrendRunOptions.Compare.Mapping declares
	// comparable is compared.
	Questionnaire *Questionnaire
}

// TrendRunOptions are the settings of Trend. The zero value works:
// national rows only, share indices, the geography of each year, and
// CompareYears' defaults (first year as base, no correction, alpha 0.05,
// 95% rank sets from 10,000 draws with a fixed seed).
type TrendRunOptions struct {
	// Index are the settings of Compute for every year (By names the
	// domain columns, e.g. province). Trends are of criteria, elements and
	// SIPAS; the expectation shares are estimated too (into
	// TrendYearResult.Index, not compared across years) unless
	// NoExpectations is set or a year's ballots lack their columns.
	Index Options
	// ProvinceColumn is the column whose names are read as provinces when
	// it is among Index.By; "" means "province".
	ProvinceColumn string
	// Geography is the geography the province domains are reported in:
	// GeoAuto (each year its own: the 63 provinces up to 2024, the 34 from
	// 2025), Geo2025 (years up to 2024 re-aggregated to the 34 with their
	// weights, see ProvincesIn) or Geo1997 (only for years up to 2024).
	//
	// With GeoAuto, years on both sides of the merger are an error
	// wrapping ErrGeography: "Phú Thọ" in 2024 and in 2025 are different
	// territories, so their series would compare unlike things. The
	// message suggests Geo2025. (Re-aggregating silently would change what auto
	// means — the geography of the data's year, CLI.md.)
	Geography provinces.Geography
	// Crosswalk maps old provinces to the 2025 ones for Geo2025; nil
	// means the built-in crosswalk (provinces.To2025).
	Crosswalk Crosswalk
	// Compare are the settings of CompareYears (base year, correction,
	// alpha, ranks, mapping). Covariance is left as given (nil:
	// independent domains, right when the domains are the strata).
	Compare TrendOptions
	// Mem allocates the re-coded province columns; nil means the default.
	Mem memory.Allocator
}

// TrendYearResult is one year's part of a TrendResult.
type TrendYearResult struct {
	Year      int
	Design    *sampling.Design
	Geography provinces.Geography // the geography its province domains are in
	Index     *Result             // the year's Compute result (with the expectation shares, see TrendRunOptions.Index)
}

// TrendResultRow is one output row: the domain as column/value pairs
// (empty for the national rows) and the CompareYears row.
type TrendResultRow struct {
	Labels []sampling.DomainValue
	TrendRow
}

// TrendResult is the result of Trend.
type TrendResult struct {
	// Years in increasing order.
	Years []TrendYearResult
	// Rows in the CLI's stable order: national rows first, then the
	// domains sorted by their values (column by column, numbers
	// numerically); within a domain the indices in the questionnaire's
	// order (criteria, elements, SIPAS); within an index the years.
	Rows []TrendResultRow
}

// Trend runs the whole trend comparison of issue 6 (METHODOLOGY §8, CLI.md
// `trend`): for each year, Compute of questionnaire q by the domain
// columns on the year's own design (after reading the province column in
// the chosen geography, ProvincesIn); for every domain row the difference
// to the nation and its SE through the variance engine (VsNationDiff on
// the same answer codes Compute reads: num_c = the satisfied value in
// percent of a valid answer, den_c = 1 for a valid answer, composites =
// the element and SIPAS weights); then CompareYears over all years
// (changes, SEs, p-values, corrections, rank sets, tiers, breaks).
//
// Errors (each naming the year) come from a duplicate year, Compute,
// ProvincesIn, the engine and CompareYears; years straddling 2025 under
// GeoAuto with province domains wrap ErrGeography.
func Trend(years []TrendYear, q *Questionnaire, opt *TrendRunOptions) (*TrendResult, error) {
	var o TrendRunOptions
	if opt != nil {
		o = *opt
	}
	if q == nil {
		q = DefaultQuestionnaire()
	}
	if len(years) == 0 {
		return nil, errors.New("trend: no years given")
	}
	if o.ProvinceColumn == "" {
		o.ProvinceColumn = "province"
	}
	ys := slices.Clone(years)
	slices.SortStableFunc(ys, func(a, b TrendYear) int { return cmp.Compare(a.Year, b.Year) })
	for i := 1; i < len(ys); i++ {
		if ys[i].Year == ys[i-1].Year {
			return nil, fmt.Errorf("trend: year %d given twice: give each year's ballots once, with its own design", ys[i].Year)
		}
	}
	hasProv := slices.Contains(o.Index.By, o.ProvinceColumn)
	if hasProv && o.Geography == provinces.GeoAuto {
		first, last := ys[0].Year, ys[len(ys)-1].Year
		if provinces.GeographyForYear(first) != provinces.GeographyForYear(last) {
			return nil, fmt.Errorf("trend: %w: years %d and %d lie on both sides of the 2025 merger (63 → 34 provinces), and with geography auto each is read in its own, so a province's series would compare different territories; use --geography 2025 to re-aggregate the years up to 2024 to the 34 provinces with their weights", ErrGeography, first, last)
		}
	}
	iopt := o.Index

	res := &TrendResult{}
	var points []TrendPoint
	labels := map[string][]sampling.DomainValue{}
	indexPos := map[[2]string]int{}
	for _, y := range ys {
		qy := y.Questionnaire
		if qy == nil {
			qy = q
		}
		rec := y.Ballots
		geo := o.Geography.ForYear(y.Year)
		if hasProv {
			r2, err := ProvincesIn(rec, o.ProvinceColumn, y.Year, o.Geography, o.Crosswalk, o.Mem)
			if err != nil {
				return nil, fmt.Errorf("trend: %w", err)
			}
			defer r2.Release()
			rec = r2
		}
		yopt := iopt
		for _, c := range qy.ExpectationColumns() {
			if len(rec.Schema().FieldIndices(c)) == 0 {
				yopt.NoExpectations = true
			}
		}
		ir, err := Compute(y.Design, rec, qy, &yopt)
		if err != nil {
			return nil, fmt.Errorf("trend: year %d: %w", y.Year, err)
		}
		res.Years = append(res.Years, TrendYearResult{Year: y.Year, Design: y.Design, Geography: geo, Index: ir})
		trows := slices.DeleteFunc(slices.Clone(ir.Rows), func(r Row) bool { return r.Kind == KindExpectation })
		pts := TrendPointsFromRows(y.Year, qy.ID, trows)
		if len(iopt.By) > 0 {
			if err := fillVsNation(y.Design, rec, qy, &iopt, trows, pts); err != nil {
				return nil, fmt.Errorf("trend: year %d: province − nation: %w", y.Year, err)
			}
		}
		for i, r := range trows {
			k := pts[i].Domain
			if _, ok := labels[k]; !ok {
				labels[k] = r.Domain
			}
			ik := [2]string{r.Kind, r.ID}
			if _, ok := indexPos[ik]; !ok {
				indexPos[ik] = len(indexPos)
			}
		}
		points = append(points, pts...)
	}
	rows, err := CompareYears(points, &o.Compare)
	if err != nil {
		return nil, fmt.Errorf("trend: %w", err)
	}
	res.Rows = make([]TrendResultRow, len(rows))
	for i, r := range rows {
		res.Rows[i] = TrendResultRow{Labels: labels[r.Domain], TrendRow: r}
	}
	slices.SortStableFunc(res.Rows, func(a, b TrendResultRow) int {
		if a.National != b.National {
			if a.National {
				return -1
			}
			return 1
		}
		return cmp.Or(compareLabels(a.Labels, b.Labels),
			cmp.Compare(indexPos[[2]string{a.Kind, a.ID}], indexPos[[2]string{b.Kind, b.ID}]),
			cmp.Compare(a.Year, b.Year))
	})
	return res, nil
}

// compareLabels orders domains as sampling.Domains does: column by column,
// two numbers numerically, otherwise text bytewise (column.CompareValues).
func compareLabels(a, b []sampling.DomainValue) int {
	for i := range min(len(a), len(b)) {
		if c := column.CompareValues(a[i].Value, b[i].Value); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// criterionVariables reads the criteria of q as the numerator and
// denominator variables of their ratios, from the same codes Compute reads
// (itemCodes, satisfiedTable): y_c = the satisfied value in percent of a
// valid answer (100/0 for shares), x_c = 1 for a valid answer, both 0 for
// no answer. So y_c/x_c ratios are Compute's criterion indices in percent.
func criterionVariables(q *Questionnaire, rec arrow.RecordBatch, score Score) (num, den [][]float64, err error) {
	n := int(rec.NumRows())
	sat := satisfiedTable(q, score)
	codes := make([]int8, n)
	num = make([][]float64, len(q.Criteria))
	den = make([][]float64, len(q.Criteria))
	for c, cr := range q.Criteria {
		if err := itemCodes(q, rec, cr.Column, codes); err != nil {
			return nil, nil, err
		}
		y, x := make([]float64, n), make([]float64, n)
		for i, v := range codes {
			if v != noAnswer {
				y[i], x[i] = sat[int(v)-q.Scale.Min], 1
			}
		}
		num[c], den[c] = y, x
	}
	return num, den, nil
}

// fillVsNation sets VsNation and SEVsNation of the domain points of one
// year (pts[i] made from rows[i] by TrendPointsFromRows) from VsNationDiff
// on the year's design.
func fillVsNation(d *sampling.Design, rec arrow.RecordBatch, q *Questionnaire, opt *Options, rows []Row, pts []TrendPoint) error {
	dom, err := sampling.NewDomains(rec, opt.By)
	if err != nil {
		return err
	}
	num, den, err := criterionVariables(q, rec, opt.Score)
	if err != nil {
		return err
	}
	vs, err := VsNationDiff(d, num, den, dom.Code, dom.Len(), compositeCoefficients(q))
	if err != nil {
		return err
	}
	byKey := map[string]int{}
	for g := range dom.Len() {
		byKey[TrendDomainKey(Row{Domain: dom.Labels(g)})] = g
	}
	nc, ne := len(q.Criteria), len(q.Elements)
	pos := map[[2]string]int{}
	for c, cr := range q.Criteria {
		pos[[2]string{KindCriterion, cr.Column}] = c
	}
	for e, el := range q.Elements {
		pos[[2]string{KindElement, el.ID}] = nc + e
	}
	pos[[2]string{KindSIPAS, "sipas"}] = nc + ne
	for i := range pts {
		if pts[i].National {
			continue
		}
		g, ok := byKey[pts[i].Domain]
		j, ok2 := pos[[2]string{rows[i].Kind, rows[i].ID}]
		if !ok || !ok2 {
			panic(fmt.Sprintf("index: trend: no vs-nation value for domain %q, %s %s", pts[i].Domain, rows[i].Kind, rows[i].ID))
		}
		pts[i].VsNation, pts[i].SEVsNation = vs.Diff[g][j], vs.SE[g][j]
	}
	return nil
}
