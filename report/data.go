package report

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/ballot"
	"github.com/sipas-go/sipas/index/rank"
	"github.com/sipas-go/sipas/weighting"
)

// Data is everything a report shows, independent of the output format and
// of the language. Build it with FromYears; the zero value is an empty
// report. Years are ascending; the last one is the report's year.
type Data struct {
	// Title, when set, replaces the default title ("SIPAS <year>").
	Title string
	// By is the domain column the rankings, heatmap and radar break down by
	// (e.g. "province").
	By string
	// Questionnaire gives the element, criterion and expectation labels
	// (vi/en); it is the latest year's questionnaire.
	Questionnaire *index.Questionnaire
	Years         []Year
	// Compare are the settings of the comparison of the years and
	// domains (changes, ranks, the difference to the nation); nil when
	// none was run, or when BuildOptions.Trend was given without the
	// options that made it.
	Compare *CompareMethods
}

// Year holds one survey year.
type Year struct {
	Year int
	// National holds the national estimates (the rows of index.Result
	// whose Domain is empty).
	National Domain
	// Domains are ordered by the rank of their SIPAS index (1 first; ranks
	// from index.CompareYears when present), then by the estimate
	// (descending) and the name; domains with no SIPAS estimate come last.
	Domains []Domain
	// DF is the design's degrees of freedom.
	DF int
	// Quality is the data-quality record of the year; nil when unknown.
	Quality *Quality
	// Fieldwork is the year's fieldwork check (screening, back-check);
	// nil when there was none.
	Fieldwork *Fieldwork
	// Methods are the settings that made the year's numbers (the design,
	// the weighting, the intervals), from the year's index.Result and
	// weighting; nil when the result does not record them.
	Methods *YearMethods
	// Geography is the province geography of the domains when they are
	// provinces (index.Geo1997 or index.Geo2025); index.GeoAuto when not
	// known (YearInput.Geography).
	Geography index.Geography
	// Regions are the socio-economic regions' estimates (SIPAS, elements,
	// criteria), in the order of the input; nil when not computed
	// (YearInput.Regions). A province report compares its province with
	// its region.
	Regions []Domain
	// Within are the provinces broken down by a second column
	// (SurveyOptions.Within, e.g. the unit): domain keys "province=X,
	// unit=Y", names "X · Y", in Vietnamese collation; nil when not
	// computed (YearInput.Within).
	Within []Domain
}

// Domain is one domain (a province, a unit, ...) or the nation.
type Domain struct {
	// Key is the domain key of index.Row.DomainKey ("province=Hà Nội";
	// "" for the nation).
	Key string
	// Name is the displayed name: the domain values joined by " · ". It
	// comes from data and is only ever written as escaped text.
	Name string
	// SIPAS is the overall index.
	SIPAS Estimate
	// Elements, Criteria and Expectations follow the questionnaire's
	// order; an index the result does not have is present with a NaN
	// estimate.
	Elements     []Estimate
	Criteria     []Estimate
	Expectations []Estimate
	// Standings are the domain's criteria and elements compared with the
	// nation (METHODOLOGY §8 "strengths and weaknesses"): Diff = domain −
	// nation with its SE from the trend rows (TrendRow.VsNation,
	// SEVsNation), Benjamini–Hochberg across the criteria of the domain and
	// separately across its elements (index.StrengthsWeaknesses), level
	// BuildOptions.Alpha. Nil when the trend rows carry no vs-nation
	// difference (index.CompareYears alone does not compute it; index.Trend
	// does).
	Standings []index.StrengthResult
	// IPA is the importance–performance analysis of the domain's criteria
	// (index.ImportancePerformanceOf, in the questionnaire's order); nil
	// when not given (YearInput.IPA).
	IPA []index.IPARow
}

// Estimate is one index estimate in percent (0–100), as index.Row, with
// the trend and ranking results of index.CompareYears when they were
// computed or supplied.
type Estimate struct {
	Kind, ID                    string
	Estimate, SE, CILow, CIHigh float64
	N                           int
	Deff                        float64
	Flag                        string
	// DF is the degrees of freedom of the interval (index.Row.DF).
	DF int
	// Trend is the index.CompareYears row of this estimate (change
	// against the previous and the base year with significance after the
	// correction, rank with its 95% confidence set, tier); nil when not
	// computed (the criteria and expectation shares are not compared by
	// FromYears).
	Trend *index.TrendRow
}

// Quality is the data quality of one year (METHODOLOGY §7): the ballots
// returned and validated, the exclusions by reason, the response rates
// of the weighting classes and the weighting's warnings. Counts are 0 when
// unknown.
type Quality struct {
	Issued, Returned               int
	RowsIn, RowsUsed, RowsExcluded int
	// Excluded counts the excluded rows by their first reason, in the order
	// of ballot.Reasons (reasons with no row left out).
	Excluded []ReasonCount
	// ResponseRates are by weighting class, in the order of the weighting
	// step (unweighted rates).
	ResponseRates []ResponseRate
	// Misses are the calibrated totals that a trimming broke (the
	// weighting record's), largest relative gap first.
	Misses []weighting.RecordMiss
}

// ReasonCount is the number of ballots excluded for one reason.
type ReasonCount struct {
	Reason string
	Rows   int
}

// ResponseRate is the response accounting of one weighting class:
// ResponseRate = Returned / Issued and ValidRate = Valid / Issued (the
// share of issued ballots that were used), as fractions.
type ResponseRate struct {
	Class                   string
	Issued, Returned, Valid int
	ResponseRate, ValidRate float64
}

// YearInput is one year's input of FromYears.
type YearInput struct {
	Year   int
	Result *index.Result
	// Validation, when set, gives the exclusion counts.
	Validation *ballot.Validation
	// Nonresponse, when set, is the nonresponse step that made the
	// design's weights: it gives the response rates by weighting class
	// and, without Weighting, the weighting the methods note describes.
	Nonresponse *weighting.StepResult
	// Weighting, when set, is the specification whose steps made the
	// design's weights (weighting.NewDesign); the methods note lists its
	// steps. Nil when the design's weights are used as they are.
	Weighting *weighting.Spec
	// Issued and Returned are the ballots issued and returned (0: unknown).
	Issued, Returned int
	// Quality, when set, is the year's data-quality record as is (e.g.
	// read from the sipas.validation and sipas.weighting metadata of the
	// input files by `sipas report`); Validation, Nonresponse, Issued and
	// Returned are then ignored.
	Quality *Quality
	// IPA, when set, is the importance–performance analysis of the year
	// (index.ImportancePerformanceOf: the nation and every domain); rows
	// of domains that Result does not have are left out.
	IPA []index.IPARow
	// Fieldwork, when set, is the year's fieldwork check (NewFieldwork).
	Fieldwork *Fieldwork
	// Geography, when set, is the province geography of Result's domains
	// (index.TrendYearResult.Geography).
	Geography index.Geography
	// Regions, when set, is the year's index.Result by region (one domain
	// column whose values are the region names); its national rows are
	// ignored.
	Regions *index.Result
	// Within, when set, is the year's index.Result by the province and a
	// second column (Year.Within); its national rows are ignored.
	Within *index.Result
}

// BuildOptions configure FromYears; the zero value (or nil) works.
type BuildOptions struct {
	// By names the domain column (default "province"); only used as a label.
	By string
	// Trend, when set, is the output of index.CompareYears over the
	// years' rows (any kinds); it is attached to the matching estimates and
	// gives the ranks. When nil, FromYears runs index.CompareYears itself on
	// the SIPAS and element rows with TrendOptions.
	Trend []index.TrendRow
	// TrendOptions are passed to index.CompareYears when Trend is nil; nil
	// means Holm's correction and the defaults of index.CompareOptions
	// (domains independent, as provinces that are strata of one design).
	// With Trend, they are the options that made it (the methods note
	// names their correction); nil then means they are not known.
	TrendOptions *index.CompareOptions
	// NoTrend skips index.CompareYears (no ranks, no intervals of ranks,
	// no significance of changes).
	NoTrend bool
	// Alpha is the level of the strengths and weaknesses after the
	// Benjamini–Hochberg correction; 0 means 0.05.
	Alpha float64
	Title string
}

// ErrNoYears is returned by FromYears when it is given no year.
var ErrNoYears = errors.New("report: no year to report")

// FromYears builds the report data from one index.Result per year. Years
// must be distinct; they are sorted ascending. Every result must come from
// index.Compute (national rows first, domains sorted), with the same --by
// columns in every year.
func FromYears(years []YearInput, opt *BuildOptions) (*Data, error) {
	if len(years) == 0 {
		return nil, ErrNoYears
	}
	var o BuildOptions
	if opt != nil {
		o = *opt
	}
	if o.By == "" {
		o.By = "province"
	}
	ys := append([]YearInput(nil), years...)
	sort.SliceStable(ys, func(i, j int) bool { return ys[i].Year < ys[j].Year })
	for i, y := range ys {
		if y.Result == nil || y.Result.Questionnaire == nil {
			panic(fmt.Sprintf("report: year %d has no index result", y.Year))
		}
		if i > 0 && ys[i-1].Year == y.Year {
			return nil, fmt.Errorf("report: year %d given twice", y.Year)
		}
	}

	trend := o.Trend
	if trend == nil && !o.NoTrend {
		var pts []index.TrendPoint
		for _, y := range ys {
			for _, p := range index.TrendPointsFromRows(y.Year, y.Result.Questionnaire.ID, y.Result.Rows) {
				if p.Kind == index.KindSIPAS || p.Kind == index.KindElement {
					pts = append(pts, p)
				}
			}
		}
		topt := o.TrendOptions
		if topt == nil {
			topt = &index.CompareOptions{Adjust: rank.AdjustHolm}
		}
		var err error
		trend, err = index.CompareYears(pts, topt)
		if err != nil {
			return nil, fmt.Errorf("report: trend comparison: %w", err)
		}
		o.TrendOptions = topt
	}
	type tkey struct {
		domain, kind, id string
		year             int
	}
	tr := make(map[tkey]*index.TrendRow, len(trend))
	for i := range trend {
		r := &trend[i]
		d := r.Domain
		if r.National {
			d = ""
		}
		tr[tkey{d, r.Kind, r.ID, r.Year}] = r
	}

	data := &Data{Title: o.Title, By: o.By, Questionnaire: ys[len(ys)-1].Result.Questionnaire}
	if c := o.TrendOptions; c != nil && trend != nil {
		data.Compare = &CompareMethods{Adjust: c.Adjust, Alpha: c.Alpha}
	}
	for _, y := range ys {
		q := y.Result.Questionnaire
		yr := Year{Year: y.Year, DF: y.Result.DF}
		byKey := map[string]*Domain{}
		var order []string
		for _, row := range y.Result.Rows {
			key := row.DomainKey()
			d, ok := byKey[key]
			if !ok {
				d = newDomain(q, key, domainName(row))
				byKey[key] = d
				order = append(order, key)
			}
			e := Estimate{Kind: row.Kind, ID: row.ID, Estimate: row.Estimate, SE: row.SE,
				CILow: row.CILow, CIHigh: row.CIHigh, N: row.N, Deff: row.Deff, Flag: row.Flag, DF: row.DF,
				Trend: tr[tkey{key, row.Kind, row.ID, y.Year}]}
			d.set(e)
		}
		attachIPA(byKey, y.IPA)
		for _, key := range order {
			if key == "" {
				yr.National = *byKey[key]
			} else {
				yr.Domains = append(yr.Domains, *byKey[key])
			}
		}
		if _, ok := byKey[""]; !ok {
			yr.National = *newDomain(q, "", "")
		}
		for i := range yr.Domains {
			yr.Domains[i].Standings = standings(&yr.Domains[i], o.Alpha)
		}
		sortDomains(yr.Domains)
		yr.Quality = quality(y)
		yr.Fieldwork = y.Fieldwork
		yr.Methods = yearMethods(y)
		yr.Regions = resultDomains(y.Regions)
		yr.Within = resultDomains(y.Within)
		yr.Geography = y.Geography
		data.Years = append(data.Years, yr)
	}
	return data, nil
}

// Latest returns the report's year (the last one); nil for empty Data.
func (d *Data) Latest() *Year {
	if len(d.Years) == 0 {
		return nil
	}
	return &d.Years[len(d.Years)-1]
}

func domainName(r index.Row) string {
	parts := make([]string, len(r.Domain))
	for i, v := range r.Domain {
		parts[i] = v.Value
	}
	return strings.Join(parts, " · ")
}

func nanEstimate(kind, id string) Estimate {
	n := math.NaN()
	return Estimate{Kind: kind, ID: id, Estimate: n, SE: n, CILow: n, CIHigh: n, Deff: n}
}

func newDomain(q *index.Questionnaire, key, name string) *Domain {
	d := &Domain{Key: key, Name: name, SIPAS: nanEstimate(index.KindSIPAS, "sipas")}
	for _, e := range q.Elements {
		d.Elements = append(d.Elements, nanEstimate(index.KindElement, e.ID))
	}
	for _, c := range q.Criteria {
		d.Criteria = append(d.Criteria, nanEstimate(index.KindCriterion, c.Column))
	}
	for _, x := range q.Expectations {
		d.Expectations = append(d.Expectations, nanEstimate(index.KindExpectation, x.Column))
	}
	return d
}

func (d *Domain) set(e Estimate) {
	var list []Estimate
	switch e.Kind {
	case index.KindSIPAS:
		d.SIPAS = e
		return
	case index.KindElement:
		list = d.Elements
	case index.KindCriterion:
		list = d.Criteria
	case index.KindExpectation:
		list = d.Expectations
	}
	for i := range list {
		if list[i].ID == e.ID {
			list[i] = e
			return
		}
	}
}

// positionRank is the place of the i-th domain (0-based) in the order of
// sortDomains, or none when its estimate is missing: a domain without a
// SIPAS is never ranked (the domains with one come first).
func positionRank(i int, est float64, none string) string {
	if math.IsNaN(est) || math.IsInf(est, 0) {
		return none
	}
	return strconv.Itoa(i + 1)
}

// sortDomains orders by SIPAS rank (ranked domains first), then estimate
// descending, then name and key in Vietnamese collation (order.go).
func sortDomains(ds []Domain) {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i].SIPAS, ds[j].SIPAS
		ra, rb := rankOf(a), rankOf(b)
		if ra != rb {
			if ra == 0 || rb == 0 {
				return rb == 0
			}
			return ra < rb
		}
		ea, eb := a.Estimate, b.Estimate
		if math.IsNaN(ea) != math.IsNaN(eb) {
			return math.IsNaN(eb)
		}
		if ea != eb && !math.IsNaN(ea) {
			return ea > eb
		}
		if c := compareVi(ds[i].Name, ds[j].Name); c != 0 {
			return c < 0
		}
		return compareVi(ds[i].Key, ds[j].Key) < 0
	})
}

func rankOf(e Estimate) int {
	if e.Trend == nil {
		return 0
	}
	return e.Trend.Rank
}

func quality(y YearInput) *Quality {
	if y.Quality != nil {
		q := *y.Quality
		return &q
	}
	if y.Validation == nil && y.Nonresponse == nil && y.Issued == 0 && y.Returned == 0 {
		return nil
	}
	q := &Quality{Issued: y.Issued, Returned: y.Returned}
	if v := y.Validation; v != nil {
		q.RowsIn, q.RowsUsed, q.RowsExcluded = v.RowsIn, v.RowsUsed, v.RowsExcluded
		for _, r := range ballot.Reasons() {
			if n := v.ByReason[r]; n > 0 {
				q.Excluded = append(q.Excluded, ReasonCount{Reason: r, Rows: n})
			}
		}
	}
	if s := y.Nonresponse; s != nil {
		for _, r := range s.ResponseRates {
			q.ResponseRates = append(q.ResponseRates, ResponseRate{Class: r.Class, Issued: r.Issued, Returned: r.Returned,
				Valid: r.Valid, ResponseRate: r.ReturnedRate, ValidRate: r.ValidRate})
		}
	}
	return q
}

// standings compares the criteria and elements of d with the nation, from
// the vs-nation differences of their trend rows; nil when there are none.
func standings(d *Domain, alpha float64) []index.StrengthResult {
	var items []index.VsNation
	for _, list := range [][]Estimate{d.Elements, d.Criteria} {
		for _, e := range list {
			t := e.Trend
			if t == nil || math.IsNaN(t.VsNation) || math.IsNaN(t.SEVsNation) {
				continue
			}
			items = append(items, index.VsNation{Kind: e.Kind, ID: e.ID, Diff: t.VsNation, SE: t.SEVsNation})
		}
	}
	if len(items) == 0 {
		return nil
	}
	return index.StrengthsWeaknesses(items, rank.AdjustBH, alpha)
}
