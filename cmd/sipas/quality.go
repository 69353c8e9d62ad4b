package main

// Data quality that travels with the files (issue 7): `sipas validate`
// records its accounting in the output's schema metadata under
// sipas.validation, `sipas weight` keeps it and adds the nonresponse
// step's response rates under sipas.weighting, and `sipas report` reads
// both into the report's data-quality section. Parquet (in the stored
// Arrow schema and the file's key-value metadata) and Arrow IPC carry
// schema metadata; CSV cannot, so CSV users give `sipas report` the
// excluded table of `sipas validate --excluded` instead.
//
// Both keys hold a JSON object {"version": 1, "years": [...]}, one entry
// per survey year so that a file holding several years keeps each year's
// counts apart:
//
//	sipas.validation: {"version":1,"years":[{"year":2019,"rows_in":7,"rows_used":2,
//	    "rows_excluded":5,"excluded":[{"reason":"duplicate_ballot_id","rows":1},...]}]}
//	sipas.weighting:  {"version":1,"years":[{"year":2019,"issued":40,"returned":36,
//	    "valid":30,"classes":[{"class":"Hà Nội","issued":20,"returned":18,"valid":15,
//	    "returned_rate":0.9,"valid_rate":0.75,"weighted_returned_rate":0.9,
//	    "weighted_valid_rate":0.75,"factor":1.333}]}]}
//
// "year" is absent (0) when unknown: the table had no integer year column
// (and validate had no --year), or, for sipas.validation, rows whose year
// cell is empty. "excluded" counts rows by their first reason, in the
// order of ballot.Reasons, reasons with no row left out; rows_in =
// rows_used + rows_excluded. sipas.weighting is written only when the
// spec has a nonresponse step (the first one is recorded); its classes
// are that step's weighting classes in its order, rates are fractions
// (null when undefined). When the weighted table holds several years, the
// counts are split by year if the year column is one of the step's
// classes (the class labels then leave the year out); otherwise one entry
// has "years": [..] instead of "year" and `sipas report` does not use it
// (it cannot split the counts).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sipas-go/sipas/index/ballot"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/report"
	"github.com/sipas-go/sipas/weighting"
)

// Schema metadata keys written by validate and weight, read by report.
const (
	metaValidation = "sipas.validation"
	metaWeighting  = "sipas.weighting"
	metaVersion    = 1
)

type validationMeta struct {
	Version int              `json:"version"`
	Years   []validationYear `json:"years"`
}

type validationYear struct {
	Year         int          `json:"year,omitempty"`
	RowsIn       int          `json:"rows_in"`
	RowsUsed     int          `json:"rows_used"`
	RowsExcluded int          `json:"rows_excluded"`
	Excluded     []reasonRows `json:"excluded"`
}

type reasonRows struct {
	Reason string `json:"reason"`
	Rows   int    `json:"rows"`
}

type weightingMeta struct {
	Version int             `json:"version"`
	Years   []weightingYear `json:"years"`
}

type weightingYear struct {
	Year     int         `json:"year,omitempty"`
	Years    []int       `json:"years,omitempty"`
	Issued   int         `json:"issued"`
	Returned int         `json:"returned"`
	Valid    int         `json:"valid"`
	Classes  []classRate `json:"classes"`
}

type classRate struct {
	Class                string  `json:"class"`
	Issued               int     `json:"issued"`
	Returned             int     `json:"returned"`
	Valid                int     `json:"valid"`
	ReturnedRate         jsonNum `json:"returned_rate"`
	ValidRate            jsonNum `json:"valid_rate"`
	WeightedReturnedRate jsonNum `json:"weighted_returned_rate"`
	WeightedValidRate    jsonNum `json:"weighted_valid_rate"`
	Factor               jsonNum `json:"factor"`
}

// validationYears splits the accounting of v by the survey year of each
// input row of rec (column yearCol; fallback, when rec has no integer
// year column, is the year given with --year, 0 if none).
func validationYears(rec arrow.RecordBatch, v *ballot.Validation, yearCol string, fallback int) []validationYear {
	n := int(rec.NumRows())
	years := make([]int, n)
	for i := range years {
		years[i] = fallback
	}
	if idx := rec.Schema().FieldIndices(yearCol); len(idx) > 0 {
		if ys, valid, err := arrowio.Ints(rec.Column(idx[0])); err == nil {
			for i, y := range ys {
				years[i] = 0
				if valid == nil || valid[i] {
					years[i] = int(y)
				}
			}
		}
	}
	// each excluded row counted once, by its first reason (ByReason's rule)
	first := ballot.FirstReasons(v.Exclusions)
	type acc struct {
		in, used, excl int
		by             map[string]int
	}
	per := map[int]*acc{}
	var ys []int
	for i := 0; i < n; i++ {
		a := per[years[i]]
		if a == nil {
			a = &acc{by: map[string]int{}}
			per[years[i]] = a
			ys = append(ys, years[i])
		}
		a.in++
		if i < len(v.Used) && v.Used[i] {
			a.used++
			continue
		}
		a.excl++
		if r, ok := first[i+1]; ok {
			a.by[r]++
		}
	}
	slices.Sort(ys)
	out := make([]validationYear, 0, len(ys))
	for _, y := range ys {
		a := per[y]
		out = append(out, validationYear{Year: y, RowsIn: a.in, RowsUsed: a.used, RowsExcluded: a.excl, Excluded: reasonCounts(a.by)})
	}
	if len(out) == 0 { // no rows at all
		out = append(out, validationYear{Year: fallback, Excluded: []reasonRows{}})
	}
	return out
}

// weightingYears records the first nonresponse step of res (nil when the
// spec has none), under the year of rec's year column when it holds one.
// With several years, the entry is split by year when the year column is
// one of the step's classes (the class labels then drop the year);
// otherwise one entry lists the years.
func weightingYears(rec arrow.RecordBatch, spec *weighting.Spec, res *weighting.Result, yearCol string) []weightingYear {
	var st *weighting.StepResult
	var classes []string
	for i := range res.Steps {
		if res.Steps[i].Kind == "nonresponse" {
			st = &res.Steps[i]
			if i < len(spec.Steps) && spec.Steps[i].Nonresponse != nil {
				classes = spec.Steps[i].Nonresponse.Classes
			}
			break
		}
	}
	if st == nil {
		return nil
	}
	var distinct []int
	if idx := rec.Schema().FieldIndices(yearCol); len(idx) > 0 {
		if ys, valid, err := arrowio.Ints(rec.Column(idx[0])); err == nil {
			for i, y := range ys {
				if (valid == nil || valid[i]) && !slices.Contains(distinct, int(y)) {
					distinct = append(distinct, int(y))
				}
			}
			slices.Sort(distinct)
		}
	}
	add := func(wy *weightingYear, label string, r weighting.ResponseRate) {
		wy.Issued += r.Issued
		wy.Returned += r.Returned
		wy.Valid += r.Valid
		wy.Classes = append(wy.Classes, classRate{Class: label, Issued: r.Issued, Returned: r.Returned, Valid: r.Valid,
			ReturnedRate: jsonNum(r.ReturnedRate), ValidRate: jsonNum(r.ValidRate),
			WeightedReturnedRate: jsonNum(r.WeightedReturnedRate), WeightedValidRate: jsonNum(r.WeightedValidRate),
			Factor: jsonNum(r.Factor)})
	}
	if j := slices.Index(classes, yearCol); len(distinct) > 1 && j >= 0 {
		// Labels join the class values with ":" (weighting.ClassesOf).
		per := map[int]*weightingYear{}
		ok := true
		for _, r := range st.ResponseRates {
			parts := strings.Split(r.Class, ":")
			y, err := strconv.Atoi(parts[min(j, len(parts)-1)])
			if len(parts) != len(classes) || err != nil {
				ok = false // a value holding ":": cannot split the label
				break
			}
			wy := per[y]
			if wy == nil {
				wy = &weightingYear{Year: y, Classes: []classRate{}}
				per[y] = wy
			}
			label := strings.Join(slices.Delete(parts, j, j+1), ":")
			if label == "" {
				label = "(all)"
			}
			add(wy, label, r)
		}
		if ok {
			out := make([]weightingYear, 0, len(per))
			for _, y := range slices.Sorted(maps.Keys(per)) {
				out = append(out, *per[y])
			}
			return out
		}
	}
	wy := weightingYear{Classes: []classRate{}}
	for _, r := range st.ResponseRates {
		add(&wy, r.Class, r)
	}
	switch len(distinct) {
	case 0:
	case 1:
		wy.Year = distinct[0]
	default:
		wy.Years = distinct
	}
	return []weightingYear{wy}
}

// withMetadata returns rec (retained, or a new batch over the same
// columns) whose schema metadata are md; the caller releases it.
func withMetadata(rec arrow.RecordBatch, md arrow.Metadata) arrow.RecordBatch {
	s := arrow.NewSchema(rec.Schema().Fields(), &md)
	return array.NewRecordBatch(s, rec.Columns(), rec.NumRows())
}

// setMetadata returns md with key set to the JSON of v (other keys kept
// in their order).
func setMetadata(md arrow.Metadata, key string, v any) arrow.Metadata {
	b, err := json.Marshal(v)
	if err != nil {
		panic("sipas: cannot encode " + key + ": " + err.Error()) // only finite numbers and strings
	}
	keys, vals := append([]string(nil), md.Keys()...), append([]string(nil), md.Values()...)
	if i := md.FindKey(key); i >= 0 {
		vals[i] = string(b)
	} else {
		keys, vals = append(keys, key), append(vals, string(b))
	}
	return arrow.NewMetadata(keys, vals)
}

// fileQuality is the data quality a --in file of `sipas report` carries.
type fileQuality struct {
	validation *validationMeta
	weighting  *weightingMeta
}

// readFileQuality reads the sipas.validation and sipas.weighting schema
// metadata of path (CSV and stdin have none). Malformed JSON, or a version
// this program does not know, is bad input naming the file and the key.
func readFileQuality(path string) (*fileQuality, error) {
	if path == "-" {
		return &fileQuality{}, nil
	}
	if f, err := arrowio.FormatOf(path); err != nil || f == arrowio.CSV {
		return &fileQuality{}, nil
	}
	r, err := arrowio.Open(path)
	if err != nil {
		return nil, readError(err)
	}
	md := r.Schema().Metadata()
	r.Close()
	fq := &fileQuality{}
	decode := func(key string, dst any, version func() int) error {
		s, ok := md.GetValue(key)
		if !ok {
			return nil
		}
		dec := json.NewDecoder(bytes.NewReader([]byte(s)))
		if err := dec.Decode(dst); err != nil {
			return badInput(fmt.Errorf("%s: schema metadata %s is not valid JSON (%v); remove the key or re-run the step that wrote it", path, key, err))
		}
		if v := version(); v != metaVersion {
			return badInput(fmt.Errorf("%s: schema metadata %s has version %d; this sipas reads version %d", path, key, v, metaVersion))
		}
		return nil
	}
	var vm validationMeta
	if err := decode(metaValidation, &vm, func() int { return vm.Version }); err != nil {
		return nil, err
	}
	if _, ok := md.GetValue(metaValidation); ok {
		fq.validation = &vm
	}
	var wm weightingMeta
	if err := decode(metaWeighting, &wm, func() int { return wm.Version }); err != nil {
		return nil, err
	}
	if _, ok := md.GetValue(metaWeighting); ok {
		fq.weighting = &wm
	}
	return fq, nil
}

// pickValidation returns the entry of year y: the one with that year,
// else, when the file holds one year only, its single entry if the entry's
// year or the file's (y = 0: no year column) is unknown.
func pickValidation(m *validationMeta, y int, fileYears int) *validationYear {
	if m == nil {
		return nil
	}
	for i := range m.Years {
		if m.Years[i].Year == y {
			return &m.Years[i]
		}
	}
	if fileYears == 1 && len(m.Years) == 1 && (m.Years[0].Year == 0 || y == 0) {
		return &m.Years[0]
	}
	return nil
}

// pickWeighting is pickValidation for sipas.weighting; an entry of
// several years is never used.
func pickWeighting(m *weightingMeta, y int, fileYears int) *weightingYear {
	if m == nil {
		return nil
	}
	for i := range m.Years {
		if m.Years[i].Year == y && len(m.Years[i].Years) == 0 {
			return &m.Years[i]
		}
	}
	if fileYears == 1 && len(m.Years) == 1 && (m.Years[0].Year == 0 || y == 0) && len(m.Years[0].Years) == 0 {
		return &m.Years[0]
	}
	return nil
}

// qualityOf builds the report's data-quality record from the metadata
// entries (either may be nil; nil when both are).
func qualityOf(v *validationYear, w *weightingYear) *report.Quality {
	if v == nil && w == nil {
		return nil
	}
	q := &report.Quality{}
	if v != nil {
		q.RowsIn, q.RowsUsed, q.RowsExcluded = v.RowsIn, v.RowsUsed, v.RowsExcluded
		for _, r := range v.Excluded {
			if r.Rows > 0 {
				q.Excluded = append(q.Excluded, report.ReasonCount{Reason: r.Reason, Rows: r.Rows})
			}
		}
	}
	if w != nil {
		q.Issued, q.Returned = w.Issued, w.Returned
		for _, c := range w.Classes {
			q.ResponseRates = append(q.ResponseRates, report.ResponseRate{Class: c.Class, Issued: c.Issued, Returned: c.Returned,
				Valid: c.Valid, ResponseRate: float64(c.ReturnedRate), ValidRate: float64(c.ValidRate)})
		}
	}
	return q
}

// excludedCounts reads an excluded table written by `sipas validate
// --excluded` (columns row and reason; one line per exclusion entry) and
// counts the excluded rows by their first reason, in the order of
// ballot.Reasons.
func excludedCounts(path string) (n int, by []reasonRows, err error) {
	rec, err := arrowio.ReadAll(path, arrowio.WithColumns("row", "reason"),
		arrowio.WithTypes(map[string]arrow.DataType{"reason": arrow.BinaryTypes.String}))
	if err != nil {
		return 0, nil, readError(err)
	}
	defer rec.Release()
	rows, rvalid, err := arrowio.Ints(rec.Column(0))
	if err != nil {
		return 0, nil, badInput(fmt.Errorf("%s, column \"row\": %w", path, err))
	}
	reasons, _, err := arrowio.Strings(rec.Column(1))
	if err != nil {
		return 0, nil, badInput(fmt.Errorf("%s, column \"reason\": %w", path, err))
	}
	ex := make([]ballot.Exclusion, len(rows))
	for i, r := range rows {
		if rvalid != nil && !rvalid[i] {
			return 0, nil, badInput(fmt.Errorf("%s, line %d: the row column is empty; give the excluded table sipas validate wrote", path, i+2))
		}
		if !slices.Contains(ballot.Reasons(), reasons[i]) {
			return 0, nil, badInput(fmt.Errorf("%s, line %d: unknown reason %q (known: %v)", path, i+2, reasons[i], ballot.Reasons()))
		}
		ex[i] = ballot.Exclusion{Row: int(r), Reason: reasons[i]}
	}
	first := ballot.FirstReasons(ex)
	counts := map[string]int{}
	for _, r := range first {
		counts[r]++
	}
	return len(first), reasonCounts(counts), nil
}

// reasonCounts lists the non-zero counts of by in the order of
// ballot.Reasons (an empty list, not nil, when there are none).
func reasonCounts(by map[string]int) []reasonRows {
	out := []reasonRows{}
	for _, r := range ballot.Reasons() {
		if by[r] > 0 {
			out = append(out, reasonRows{r, by[r]})
		}
	}
	return out
}

// warnf prints a warning on w.
func warnf(w io.Writer, format string, a ...any) {
	fmt.Fprintf(w, "sipas: warning: "+format+"\n", a...)
}

// reportQuality is the data quality of year y of `sipas report`, read
// from file (which holds fileYears years and rows ballots of year y): the
// counts of an --excluded table when given (rows used = rows), else the
// file's sipas.validation entry of the year; the response rates from its
// sipas.weighting entry. Nil when none says anything.
func reportQuality(stderr io.Writer, file string, y, fileYears int, rows int64, fq *fileQuality, excluded string) (*report.Quality, error) {
	var v *validationYear
	if excluded != "" {
		if fileYears > 1 {
			return nil, badInput(fmt.Errorf("--excluded %s goes with %s, which holds %d years; an excluded table has no year column: give each year's ballots in its own file", excluded, file, fileYears))
		}
		n, by, err := excludedCounts(excluded)
		if err != nil {
			return nil, err
		}
		v = &validationYear{Year: y, RowsIn: int(rows) + n, RowsUsed: int(rows), RowsExcluded: n, Excluded: by}
	} else if fq.validation != nil {
		if v = pickValidation(fq.validation, y, fileYears); v == nil {
			warnf(stderr, "%s: schema metadata %s has no counts for year %d; the report shows none", file, metaValidation, y)
		} else if v.RowsUsed != int(rows) {
			warnf(stderr, "%s: schema metadata %s says %d rows used in year %d, the file holds %d; the file was changed after sipas validate", file, metaValidation, v.RowsUsed, y, rows)
		}
	}
	var w *weightingYear
	if fq.weighting != nil {
		if w = pickWeighting(fq.weighting, y, fileYears); w == nil {
			warnf(stderr, "%s: schema metadata %s has no response rates for year %d alone (weight each year separately); the report shows none", file, metaWeighting, y)
		}
	}
	return qualityOf(v, w), nil
}
