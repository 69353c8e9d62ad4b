package index

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index/internal/column"
	"github.com/sipas-go/sipas/internal/arrowio"
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
	// method, and only what TrendOptions.Compare.Mapping declares
	// comparable is compared.
	Questionnaire *Questionnaire
}

// TrendOptions are the settings of Trend. The zero value (or nil) works:
// national rows only, share indices, the geography of each year, and
// CompareYears' defaults (first year as base, no correction, alpha 0.05,
// 95% rank sets from 10,000 draws with a fixed seed).
type TrendOptions struct {
	// Index are the settings of Compute for every year (By names the
	// domain columns, e.g. province; VsNation is always set when there are
	// domains). Trends are of criteria, elements and SIPAS; the expectation
	// shares are estimated too (into TrendYearResult.Index, not compared
	// across years) unless NoExpectations is set or a year's ballots lack
	// their columns.
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
	// territories, so their series would compare unlike things; Geo2025
	// compares them. (Re-aggregating silently would change what GeoAuto
	// means: the geography of the data's year.)
	Geography Geography
	// Crosswalk maps old provinces to the 2025 ones for Geo2025; nil
	// means the built-in crosswalk.
	Crosswalk Crosswalk
	// Compare are the settings of CompareYears (base year, correction,
	// alpha, ranks, mapping). Covariance is left as given (nil:
	// independent domains, right when the domains are the strata).
	Compare CompareOptions
	// Mem allocates the re-coded province columns; nil means the default.
	Mem memory.Allocator
}

// TrendYearResult is one year's part of a TrendResult.
type TrendYearResult struct {
	Year      int
	Design    *sampling.Design
	Geography Geography // the geography its province domains are in
	Index     *Result   // the year's Compute result (with the expectation shares, see TrendOptions.Index)
}

// TrendResult is the result of Trend.
type TrendResult struct {
	// Years in increasing order.
	Years []TrendYearResult
	// Rows in a stable order: national rows first, then the domains sorted
	// by their values (column by column, numbers numerically); within a
	// domain the indices in the questionnaire's order (criteria, elements,
	// SIPAS); within an index the years.
	Rows []TrendRow
}

// Trend compares the indices of questionnaire q across years (METHODOLOGY
// §8): for each year, Compute by the domain columns on the year's own
// design (after reading the province column in the chosen geography,
// ProvincesIn), with every domain's difference to the nation and its SE
// from the same pass (Options.VsNation); then CompareYears over all years
// (changes, SEs, p-values, corrections, rank sets, tiers, breaks).
//
// Errors (each naming the year) come from a duplicate year, Compute,
// ProvincesIn and CompareYears; years straddling 2025 under GeoAuto with
// province domains wrap ErrGeography. ctx is checked between the years;
// its error is returned when it is done.
func Trend(ctx context.Context, years []TrendYear, q *Questionnaire, opt *TrendOptions) (*TrendResult, error) {
	var o TrendOptions
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
	if hasProv && o.Geography == GeoAuto {
		first, last := ys[0].Year, ys[len(ys)-1].Year
		if GeographyOf(first) != GeographyOf(last) {
			return nil, fmt.Errorf("trend: %w: years %d and %d lie on both sides of the 2025 merger (63 → 34 provinces), and read each in its own geography a province's series would compare different territories; report them in the 2025 geography to re-aggregate the years up to 2024 to the 34 provinces with their weights", ErrGeography, first, last)
		}
	}
	iopt := o.Index
	iopt.VsNation = len(iopt.By) > 0

	res := &TrendResult{}
	var points []TrendPoint
	indexPos := map[[2]string]int{}
	for _, y := range ys {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		qy := y.Questionnaire
		if qy == nil {
			qy = q
		}
		rec := y.Ballots
		geo := o.Geography.forYear(y.Year)
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
			has, err := arrowio.HasColumn(rec.Schema(), "", c)
			if err != nil {
				return nil, fmt.Errorf("trend: year %d: %w", y.Year, err)
			}
			if !has {
				yopt.NoExpectations = true
			}
		}
		ir, err := Compute(ctx, y.Design, rec, qy, &yopt)
		if err != nil {
			return nil, fmt.Errorf("trend: year %d: %w", y.Year, err)
		}
		res.Years = append(res.Years, TrendYearResult{Year: y.Year, Design: y.Design, Geography: geo, Index: ir})
		trows := slices.DeleteFunc(slices.Clone(ir.Rows), func(r Row) bool { return r.Kind == KindExpectation })
		pts := TrendPointsFromRows(y.Year, qy.ID, trows)
		for i, r := range trows {
			if !pts[i].National {
				pts[i].VsNation, pts[i].SEVsNation = r.VsNation, r.SEVsNation
			}
			ik := [2]string{r.Kind, r.ID}
			if _, ok := indexPos[ik]; !ok {
				indexPos[ik] = len(indexPos)
			}
		}
		points = append(points, pts...)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := CompareYears(points, &o.Compare)
	if err != nil {
		return nil, fmt.Errorf("trend: %w", err)
	}
	slices.SortStableFunc(rows, func(a, b TrendRow) int {
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
	res.Rows = rows
	return res, nil
}

// compareLabels orders domains as sampling.Domains does: column by column,
// two numbers numerically, otherwise text bytewise.
func compareLabels(a, b []sampling.DomainValue) int {
	for i := range min(len(a), len(b)) {
		if c := column.CompareValues(a[i].Value, b[i].Value); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}
