package ballot

import (
	"errors"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// MetadataKey is the schema metadata key under which a Record travels with
// the clean table of a validation (Parquet and Arrow IPC keep schema
// metadata; CSV cannot).
const MetadataKey = "sipas.validation"

// RecordVersion is the version of the Record format this package reads
// and writes.
const RecordVersion = 1

// Record is the accounting of a validation by survey year, as stored in
// the schema metadata of the clean table under MetadataKey, in JSON:
//
//	{"version":1,"years":[{"year":2019,"rows_in":7,"rows_used":2,
//	  "rows_excluded":5,"excluded":[{"reason":"duplicate_ballot_id","rows":1},...]}]}
//
// One entry per survey year, so that a table of several years keeps each
// year's counts apart. "year" is absent (0) when unknown: the table had no
// integer year column (and no year was given), or a row's year cell is
// empty. "excluded" counts rows by their first reason, in the order of
// Reasons, reasons with no row left out; rows_in = rows_used +
// rows_excluded.
type Record struct {
	Version int          `json:"version"`
	Years   []RecordYear `json:"years"`
}

// RecordYear is the accounting of one survey year.
type RecordYear struct {
	Year         int           `json:"year,omitempty"`
	RowsIn       int           `json:"rows_in"`
	RowsUsed     int           `json:"rows_used"`
	RowsExcluded int           `json:"rows_excluded"`
	Excluded     []ReasonCount `json:"excluded"`
}

// ReasonCount is the number of rows excluded for a reason (their first).
type ReasonCount struct {
	Reason string `json:"reason"`
	Rows   int    `json:"rows"`
}

// NewRecord splits the accounting of v, the validation of rec, by the
// survey year of each row of rec: its integer column yearColumn (an empty
// cell is year 0); when rec has no such column, every row is of year
// (0: unknown).
func NewRecord(rec arrow.RecordBatch, v *Validation, yearColumn string, year int) *Record {
	n := int(rec.NumRows())
	years := make([]int, n)
	for i := range years {
		years[i] = year
	}
	if idx := rec.Schema().FieldIndices(yearColumn); len(idx) > 0 {
		if ys, valid, err := arrowio.Ints(rec.Column(idx[0])); err == nil {
			for i, y := range ys {
				years[i] = 0
				if valid == nil || valid[i] {
					years[i] = int(y)
				}
			}
		}
	}
	first := FirstReasons(v.Exclusions)
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
	out := &Record{Version: RecordVersion, Years: make([]RecordYear, 0, len(ys))}
	for _, y := range ys {
		a := per[y]
		out.Years = append(out.Years, RecordYear{Year: y, RowsIn: a.in, RowsUsed: a.used, RowsExcluded: a.excl, Excluded: reasonCounts(a.by)})
	}
	if len(out.Years) == 0 { // no rows at all
		out.Years = append(out.Years, RecordYear{Year: year, Excluded: []ReasonCount{}})
	}
	return out
}

// ErrExcludedTable is wrapped by the errors of RecordOfExcluded.
var ErrExcludedTable = errors.New("not an excluded table of a validation")

// RecordOfExcluded is the accounting of one year from the excluded table
// of a validation (Validation.Excluded: columns row and reason, one row per
// exclusion) and the number of clean rows: every excluded row counted
// once, by its first reason. An empty row cell or an unknown reason is an
// error naming the table's row (1-based) and wrapping ErrExcludedTable.
func RecordOfExcluded(excluded arrow.RecordBatch, rowsUsed, year int) (*RecordYear, error) {
	col := func(name string) (arrow.Array, error) {
		idx := excluded.Schema().FieldIndices(name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("%w: no column %q", ErrExcludedTable, name)
		}
		return excluded.Column(idx[0]), nil
	}
	rc, err := col("row")
	if err != nil {
		return nil, err
	}
	sc, err := col("reason")
	if err != nil {
		return nil, err
	}
	rows, rvalid, err := arrowio.Ints(rc)
	if err != nil {
		return nil, fmt.Errorf("%w: column \"row\": %v", ErrExcludedTable, err)
	}
	reasons, _, err := arrowio.Strings(sc)
	if err != nil {
		return nil, fmt.Errorf("%w: column \"reason\": %v", ErrExcludedTable, err)
	}
	ex := make([]Exclusion, len(rows))
	for i, r := range rows {
		if rvalid != nil && !rvalid[i] {
			return nil, fmt.Errorf("%w: row %d: the row column is empty", ErrExcludedTable, i+1)
		}
		if !slices.Contains(reasonOrder, reasons[i]) {
			return nil, fmt.Errorf("%w: row %d: unknown reason %q (known: %v)", ErrExcludedTable, i+1, reasons[i], reasonOrder)
		}
		ex[i] = Exclusion{Row: int(r), Reason: reasons[i]}
	}
	first := FirstReasons(ex)
	counts := map[string]int{}
	for _, r := range first {
		counts[r]++
	}
	return &RecordYear{Year: year, RowsIn: rowsUsed + len(first), RowsUsed: rowsUsed, RowsExcluded: len(first), Excluded: reasonCounts(counts)}, nil
}

// reasonCounts lists the non-zero counts of by in the order of Reasons (an
// empty list, not nil, when there are none).
func reasonCounts(by map[string]int) []ReasonCount {
	out := []ReasonCount{}
	for _, r := range reasonOrder {
		if by[r] > 0 {
			out = append(out, ReasonCount{r, by[r]})
		}
	}
	return out
}

// For returns the entry of year y of a table that holds fileYears survey
// years: the entry of that year, else, when the table holds one year, its
// single entry if that entry's year or y (0: unknown) is unknown; nil when
// none fits.
func (r *Record) For(y, fileYears int) *RecordYear {
	if r == nil {
		return nil
	}
	for i := range r.Years {
		if r.Years[i].Year == y {
			return &r.Years[i]
		}
	}
	if fileYears == 1 && len(r.Years) == 1 && (r.Years[0].Year == 0 || y == 0) {
		return &r.Years[0]
	}
	return nil
}

// SetIn returns md with MetadataKey set to the JSON of r (the other keys
// kept in their order).
func (r *Record) SetIn(md arrow.Metadata) arrow.Metadata {
	out, err := arrowio.SetMetadataJSON(md, MetadataKey, r)
	if err != nil {
		panic("ballot: cannot encode the record: " + err.Error()) // integers and strings only
	}
	return out
}

// RecordFrom reads the Record of md; nil and no error when md has no
// MetadataKey. Malformed JSON, or a version other than RecordVersion, is
// an error naming the key.
func RecordFrom(md arrow.Metadata) (*Record, error) {
	var r Record
	ok, err := arrowio.MetadataJSON(md, MetadataKey, &r)
	switch {
	case !ok:
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("schema metadata %s is not valid JSON (%v); remove the key or re-run the validation that wrote it", MetadataKey, err)
	case r.Version != RecordVersion:
		return nil, fmt.Errorf("schema metadata %s has version %d; this program reads version %d", MetadataKey, r.Version, RecordVersion)
	}
	return &r, nil
}
