package ballot

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/internal/column"
)

// ErrResponseData is wrapped by errors about the values of a response
// tracking table (a negative or fractional count, more returned than issued,
// an unreadable flag, an empty stratum).
var ErrResponseData = errors.New("bad response tracking data")

// ResponseRate is the response accounting of one stratum (METHODOLOGY §6–7):
// ballots issued (phát ra), returned (thu về) and valid (hợp lệ, used after
// validation).
type ResponseRate struct {
	// Stratum holds the values of the strata columns, in the order given;
	// nil for the overall row.
	Stratum  []string
	Issued   int64
	Returned int64
	Valid    int64
	// ResponseRate = Returned / Issued.
	ResponseRate float64
	// ValidRate = Valid / Returned: the share of returned ballots that
	// were usable.
	ValidRate float64
	// UsableRate = Valid / Issued: the share of issued ballots that ended
	// up in the analysis.
	UsableRate float64
}

// ResponseCounts names the count columns of an aggregated tracking table
// (one row per unit or stratum with the numbers issued, returned and valid).
// The zero value (or nil) means "issued", "returned", "valid".
type ResponseCounts struct {
	Issued, Returned, Valid string
}

// ResponseFlags names the flag columns of a sample table (one row per
// issued ballot). Responded (default "responded") marks a returned ballot;
// Valid, when set, marks a returned ballot that passed validation (for
// example the Used flags of a Validation written as a column); when Valid is
// "" every returned ballot counts as valid. Flags may be booleans, integers
// 0/1, or text: 1/0, true/false, yes/no, y/n, có/không (case-insensitive).
type ResponseFlags struct {
	Responded, Valid string
}

// ResponseRates sums an aggregated tracking table by stratum: per stratum
// the issued, returned and valid counts and the rates (see ResponseRate).
// The first row is the overall total (Stratum nil); the strata follow,
// sorted by their values (numerically when both values are numbers).
// No strata gives the overall row only. Counts must be non-negative whole
// numbers (integer or float columns) with valid ≤ returned ≤ issued in every
// row; a violation, a null count or an empty stratum value is an error
// naming the row and column. A stratum with nothing issued has NaN rates.
func ResponseRates(rec arrow.RecordBatch, strata []string, names *ResponseCounts) ([]ResponseRate, error) {
	var cols ResponseCounts
	if names != nil {
		cols = *names
	}
	if cols.Issued == "" {
		cols.Issued = "issued"
	}
	if cols.Returned == "" {
		cols.Returned = "returned"
	}
	if cols.Valid == "" {
		cols.Valid = "valid"
	}
	idx, err := requireColumns(rec, "response table", append([]string{cols.Issued, cols.Returned, cols.Valid}, strata...))
	if err != nil {
		return nil, err
	}
	var counts [3]func(int) (int64, error)
	for k, name := range []string{cols.Issued, cols.Returned, cols.Valid} {
		counts[k], err = countReader(rec.Column(idx[k]), name)
		if err != nil {
			return nil, err
		}
	}
	g := newGrouper(rec, strata, idx[3:])
	n := int(rec.NumRows())
	for i := 0; i < n; i++ {
		var v [3]int64
		for k := range v {
			if v[k], err = counts[k](i); err != nil {
				return nil, err
			}
		}
		if v[1] > v[0] {
			return nil, fmt.Errorf("%w: row %d: %s %d is more than %s %d", ErrResponseData, i+1, cols.Returned, v[1], cols.Issued, v[0])
		}
		if v[2] > v[1] {
			return nil, fmt.Errorf("%w: row %d: %s %d is more than %s %d", ErrResponseData, i+1, cols.Valid, v[2], cols.Returned, v[1])
		}
		r, err := g.row(i)
		if err != nil {
			return nil, err
		}
		r.Issued += v[0]
		r.Returned += v[1]
		r.Valid += v[2]
	}
	return g.result(), nil
}

// ResponseRatesFromSample counts a sample table with one row per issued
// ballot: per stratum, Issued is the number of rows, Returned the rows with
// the responded flag set, Valid the returned rows with the valid flag set
// (all returned rows when flags.Valid is ""). Rows, order and rates are as
// in ResponseRates. A null or unreadable flag, or a ballot flagged valid but
// not returned, is an error naming the row and column.
func ResponseRatesFromSample(rec arrow.RecordBatch, strata []string, names *ResponseFlags) ([]ResponseRate, error) {
	var flags ResponseFlags
	if names != nil {
		flags = *names
	}
	if flags.Responded == "" {
		flags.Responded = "responded"
	}
	need := append([]string{flags.Responded}, strata...)
	if flags.Valid != "" {
		need = append(need, flags.Valid)
	}
	idx, err := requireColumns(rec, "sample", need)
	if err != nil {
		return nil, err
	}
	resp, err := flagReader(rec.Column(idx[0]), flags.Responded)
	if err != nil {
		return nil, err
	}
	var valid func(int) (bool, error)
	if flags.Valid != "" {
		if valid, err = flagReader(rec.Column(idx[len(idx)-1]), flags.Valid); err != nil {
			return nil, err
		}
	}
	g := newGrouper(rec, strata, idx[1:1+len(strata)])
	n := int(rec.NumRows())
	for i := 0; i < n; i++ {
		ret, err := resp(i)
		if err != nil {
			return nil, err
		}
		ok := ret
		if valid != nil {
			if ok, err = valid(i); err != nil {
				return nil, err
			}
			if ok && !ret {
				return nil, fmt.Errorf("%w: row %d: %s is set but %s is not; only a returned ballot can be valid", ErrResponseData, i+1, flags.Valid, flags.Responded)
			}
		}
		r, err := g.row(i)
		if err != nil {
			return nil, err
		}
		r.Issued++
		if ret {
			r.Returned++
		}
		if ok {
			r.Valid++
		}
	}
	return g.result(), nil
}

// grouper accumulates ResponseRate rows by stratum.
type grouper struct {
	cols   []arrow.Array
	names  []string
	byKey  map[string]*ResponseRate
	groups []*ResponseRate
	key    strings.Builder
	vals   []string
}

func newGrouper(rec arrow.RecordBatch, strata []string, idx []int) *grouper {
	g := &grouper{names: strata, byKey: map[string]*ResponseRate{}, vals: make([]string, len(strata))}
	for _, j := range idx {
		g.cols = append(g.cols, rec.Column(j))
	}
	return g
}

// row returns the accumulator of row i's stratum.
func (g *grouper) row(i int) (*ResponseRate, error) {
	g.key.Reset()
	for k, c := range g.cols {
		v := strings.TrimSpace(column.TextAt(c, i))
		if v == "" {
			return nil, fmt.Errorf("%w: row %d: stratum column %q is empty", ErrResponseData, i+1, g.names[k])
		}
		g.vals[k] = v
		g.key.WriteString(v)
		g.key.WriteByte(0)
	}
	r := g.byKey[g.key.String()]
	if r == nil {
		r = &ResponseRate{Stratum: make([]string, len(g.vals))}
		for k, v := range g.vals {
			r.Stratum[k] = strings.Clone(v) // v may alias an Arrow buffer
		}
		g.byKey[g.key.String()] = r
		g.groups = append(g.groups, r)
	}
	return r, nil
}

func (g *grouper) result() []ResponseRate {
	sort.SliceStable(g.groups, func(a, b int) bool {
		x, y := g.groups[a].Stratum, g.groups[b].Stratum
		for k := range x {
			if c := column.CompareValues(x[k], y[k]); c != 0 {
				return c < 0
			}
		}
		return false
	})
	out := make([]ResponseRate, 0, len(g.groups)+1)
	tot := ResponseRate{}
	for _, r := range g.groups {
		tot.Issued += r.Issued
		tot.Returned += r.Returned
		tot.Valid += r.Valid
	}
	out = append(out, tot)
	if len(g.names) > 0 {
		for _, r := range g.groups {
			out = append(out, *r)
		}
	}
	for i := range out {
		r := &out[i]
		r.ResponseRate = ratio(r.Returned, r.Issued)
		r.ValidRate = ratio(r.Valid, r.Returned)
		r.UsableRate = ratio(r.Valid, r.Issued)
	}
	return out
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// countReader reads non-negative whole counts from an integer or float
// column.
func countReader(a arrow.Array, name string) (func(int) (int64, error), error) {
	bad := func(i int, why string) error {
		return fmt.Errorf("%w: row %d: column %q: %s", ErrResponseData, i+1, name, why)
	}
	cc, err := column.NewCodes(a)
	if err != nil || cc.IsText() {
		return nil, fmt.Errorf("response table: column %q has type %s: %w; counts must be numbers", name, a.DataType(), index.ErrColumnType)
	}
	return func(i int) (int64, error) {
		v, st := cc.At(i)
		switch st {
		case column.Null:
			return 0, bad(i, "empty count; write 0 if nothing was issued or returned")
		case column.NotInt, column.Overflow:
			return 0, bad(i, fmt.Sprintf("count %s is not a whole number", a.ValueStr(i)))
		}
		if v < 0 {
			return 0, bad(i, fmt.Sprintf("negative count %d", v))
		}
		return v, nil
	}, nil
}

// flagReader reads 0/1 flags from a boolean, numeric or text column.
func flagReader(a arrow.Array, name string) (func(int) (bool, error), error) {
	bad := func(i int, v string) error {
		return fmt.Errorf("%w: row %d: column %q: flag %q is not 0/1, true/false or yes/no", ErrResponseData, i+1, name, v)
	}
	empty := func(i int) error {
		return fmt.Errorf("%w: row %d: column %q is empty; record 1 (yes) or 0 (no)", ErrResponseData, i+1, name)
	}
	if b, ok := a.(*array.Boolean); ok {
		return func(i int) (bool, error) {
			if b.IsNull(i) {
				return false, empty(i)
			}
			return b.Value(i), nil
		}, nil
	}
	if column.IsString(a.DataType()) {
		return func(i int) (bool, error) {
			if a.IsNull(i) {
				return false, empty(i)
			}
			s := strings.ToLower(strings.TrimSpace(column.StringAt(a, i)))
			switch s {
			case "1", "true", "t", "yes", "y", "có", "co":
				return true, nil
			case "0", "false", "f", "no", "n", "không", "khong":
				return false, nil
			case "":
				return false, empty(i)
			}
			return false, bad(i, s)
		}, nil
	}
	cc, err := column.NewCodes(a)
	if err != nil {
		return nil, fmt.Errorf("column %q has type %s: %w; flags must be booleans, 0/1 or yes/no", name, a.DataType(), index.ErrColumnType)
	}
	return func(i int) (bool, error) {
		v, st := cc.At(i)
		if st == column.Null {
			return false, empty(i)
		}
		if st != column.Code || (v != 0 && v != 1) {
			return false, bad(i, a.ValueStr(i))
		}
		return v == 1, nil
	}, nil
}
