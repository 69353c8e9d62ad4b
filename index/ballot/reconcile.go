package ballot

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index/internal/column"
)

// ErrDuplicateKey is wrapped by *KeyError for a key that occurs twice in
// one keying.
var ErrDuplicateKey = errors.New("duplicate key")

// ErrMissingKey is wrapped by *KeyError for a null or blank key.
var ErrMissingKey = errors.New("missing key")

// KeyError is a key problem in one pass of a double entry: a blank key or
// a key used twice. Reconciliation needs one row per ballot in each pass.
type KeyError struct {
	Pass   string // "first" or "second"
	Column string
	Key    string
	Rows   []int // 1-based data rows
	Err    error // ErrDuplicateKey or ErrMissingKey
}

func (e *KeyError) Error() string {
	if errors.Is(e.Err, ErrMissingKey) {
		return fmt.Sprintf("%s keying: row %d: column %q is empty; every keyed ballot needs its key", e.Pass, e.Rows[0], e.Column)
	}
	return fmt.Sprintf("%s keying: key %q in column %q occurs in rows %d and %d; each ballot must be keyed once per pass (fix the key of one of them)", e.Pass, e.Key, e.Column, e.Rows[0], e.Rows[1])
}

func (e *KeyError) Unwrap() error { return e.Err }

// ReconcileOptions are the settings of Reconcile; the zero value (or nil)
// works.
type ReconcileOptions struct {
	// Keyer is the column naming who keyed the row (default "keyer"). When
	// it exists in a pass, agreement is also reported per keyer of that
	// pass. It is not compared as a field.
	Keyer string
	// Mem allocates the discrepancy table (nil: memory.DefaultAllocator).
	Mem memory.Allocator
}

// FieldAgreement is the agreement of the two keyings on one column, over
// the ballots present in both.
type FieldAgreement struct {
	Column   string
	Compared int     // ballots compared (present in both passes)
	Agreed   int     // ballots where both passes hold the same value
	Rate     float64 // Agreed / Compared (NaN when nothing was compared)
}

// KeyerAgreement is the agreement rate over the fields of the ballots one
// keyer keyed in one pass. A discrepancy does not say which pass is wrong,
// so it counts against the keyers of both passes.
type KeyerAgreement struct {
	Pass     int // 1 or 2
	Keyer    string
	Ballots  int // matched ballots keyed by this keyer in this pass
	Compared int // fields compared on them
	Agreed   int
	Rate     float64 // Agreed / Compared
}

// Reconciliation is the comparison of two keyings of the same ballots
// (METHODOLOGY §7, double entry). The caller must call Release.
type Reconciliation struct {
	Key string
	// Matched is the number of ballots present in both keyings.
	Matched int
	// Fields lists the columns present in both keyings (except the key and
	// keyer columns), in the order of the first keying.
	Fields []FieldAgreement
	// Compared, Agreed and Rate are over all fields of all matched ballots.
	Compared, Agreed int
	Rate             float64
	// Keyers is the agreement per keyer, pass 1 then pass 2, each sorted
	// by keyer; empty when neither keying has the keyer column.
	Keyers []KeyerAgreement
	// Discrepancies has one row per differing field of a matched ballot:
	// key, column, first, second (the values as text, null when null),
	// first_row and second_row (1-based data rows). Rows follow the first
	// keying's row order, then its column order.
	Discrepancies arrow.RecordBatch
	// OnlyFirst and OnlySecond are the keys found in one keying only, in
	// that keying's row order.
	OnlyFirst, OnlySecond []string
	// ColumnsOnlyFirst and ColumnsOnlySecond are columns found in one
	// keying only; they are not compared.
	ColumnsOnlyFirst, ColumnsOnlySecond []string
}

// Release releases the discrepancy table.
func (r *Reconciliation) Release() {
	if r.Discrepancies != nil {
		r.Discrepancies.Release()
		r.Discrepancies = nil
	}
}

// Reconcile compares two keyings (double data entry) of the same ballots
// field by field. Ballots are matched on the key column (e.g. "ballot_id");
// keys are matched as text with surrounding spaces removed, so an integer
// key in one file matches a text key in the other. For every column in both
// keyings, the values of a matched ballot agree when both are null (a blank
// text cell counts as null) or both hold the same value. Values of the same
// type are compared exactly (floats with ==); values of different types
// (an integer column in one file, text in the other) are compared in text
// form, so 4 and "4" agree. Text is compared byte for byte: "Hoà" and "Hòa"
// differ, as they were keyed differently.
//
// A missing key column is an *index.MissingColumnsError; a blank or repeated key
// within one keying is a *KeyError.
func Reconcile(first, second arrow.RecordBatch, key string, opt *ReconcileOptions) (*Reconciliation, error) {
	if first == nil || second == nil {
		panic("ballot: Reconcile: nil record batch")
	}
	if key == "" {
		panic("ballot: Reconcile: empty key column name")
	}
	var o ReconcileOptions
	if opt != nil {
		o = *opt
	}
	mem := o.Mem
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	keyer := o.Keyer
	if keyer == "" {
		keyer = "keyer"
	}
	if _, err := requireColumns(first, "first keying", []string{key}); err != nil {
		return nil, err
	}
	if _, err := requireColumns(second, "second keying", []string{key}); err != nil {
		return nil, err
	}
	k1, err := passKeys(first, key, "first")
	if err != nil {
		return nil, err
	}
	k2, err := passKeys(second, key, "second")
	if err != nil {
		return nil, err
	}
	r := &Reconciliation{Key: key}

	// Match rows.
	pos2 := make(map[string]int, len(k2))
	for j, k := range k2 {
		pos2[k] = j
	}
	var pi, pj []int
	inFirst := make(map[string]bool, len(k1))
	for i, k := range k1 {
		inFirst[k] = true
		if j, ok := pos2[k]; ok {
			pi = append(pi, i)
			pj = append(pj, j)
		} else {
			r.OnlyFirst = append(r.OnlyFirst, strings.Clone(k))
		}
	}
	for _, k := range k2 {
		if !inFirst[k] {
			r.OnlySecond = append(r.OnlySecond, strings.Clone(k))
		}
	}
	r.Matched = len(pi)

	// Columns.
	s1, s2 := first.Schema(), second.Schema()
	type pair struct {
		name string
		a, b arrow.Array
	}
	var cols []pair
	for i, f := range s1.Fields() {
		if f.Name == key || f.Name == keyer || column.Index(first, f.Name) != i {
			continue
		}
		j := column.Index(second, f.Name)
		if j < 0 {
			r.ColumnsOnlyFirst = append(r.ColumnsOnlyFirst, f.Name)
			continue
		}
		cols = append(cols, pair{f.Name, first.Column(i), second.Column(j)})
	}
	for j, f := range s2.Fields() {
		if f.Name == key || f.Name == keyer || column.Index(second, f.Name) != j {
			continue
		}
		if column.Index(first, f.Name) < 0 {
			r.ColumnsOnlySecond = append(r.ColumnsOnlySecond, f.Name)
		}
	}

	// Compare: agree[c][m] for column c and matched ballot m.
	type diff struct{ m, c int }
	var diffs []diff
	fieldAgree := make([]int, len(cols)) // per column
	rowAgree := make([]int, len(pi))     // per matched ballot
	for c, p := range cols {
		eq := equalFunc(p.a, p.b)
		for m := range pi {
			if eq(pi[m], pj[m]) {
				fieldAgree[c]++
				rowAgree[m]++
			} else {
				diffs = append(diffs, diff{m, c})
			}
		}
	}
	for c, p := range cols {
		fa := FieldAgreement{Column: p.name, Compared: len(pi), Agreed: fieldAgree[c], Rate: rate(fieldAgree[c], len(pi))}
		r.Fields = append(r.Fields, fa)
		r.Compared += fa.Compared
		r.Agreed += fa.Agreed
	}
	r.Rate = rate(r.Agreed, r.Compared)

	// Per keyer.
	for pass, rec := range []arrow.RecordBatch{first, second} {
		kc := column.Index(rec, keyer)
		if kc < 0 {
			continue
		}
		ka := rec.Column(kc)
		rows := pi
		if pass == 1 {
			rows = pj
		}
		agg := map[string]*KeyerAgreement{}
		for m, row := range rows {
			name := strings.TrimSpace(column.TextAt(ka, row))
			a := agg[name]
			if a == nil {
				a = &KeyerAgreement{Pass: pass + 1, Keyer: strings.Clone(name)}
				agg[name] = a
			}
			a.Ballots++
			a.Compared += len(cols)
			a.Agreed += rowAgree[m]
		}
		names := make([]string, 0, len(agg))
		for n := range agg {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			a := agg[n]
			a.Rate = rate(a.Agreed, a.Compared)
			r.Keyers = append(r.Keyers, *a)
		}
	}

	// Discrepancy table, in first-keying row order then column order.
	sort.Slice(diffs, func(a, b int) bool {
		if diffs[a].m != diffs[b].m {
			return pi[diffs[a].m] < pi[diffs[b].m]
		}
		return diffs[a].c < diffs[b].c
	})
	schema := arrow.NewSchema([]arrow.Field{
		{Name: key, Type: arrow.BinaryTypes.String},
		{Name: "column", Type: arrow.BinaryTypes.String},
		{Name: "first", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "second", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "first_row", Type: arrow.PrimitiveTypes.Int64},
		{Name: "second_row", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	sb := func(k int) *array.StringBuilder { return b.Field(k).(*array.StringBuilder) }
	for _, d := range diffs {
		i, j := pi[d.m], pj[d.m]
		p := cols[d.c]
		sb(0).Append(k1[i])
		sb(1).Append(p.name)
		for k, v := range []struct {
			a arrow.Array
			i int
		}{{p.a, i}, {p.b, j}} {
			if isNullish(v.a, v.i) {
				sb(2 + k).AppendNull()
			} else {
				sb(2 + k).Append(column.TextAt(v.a, v.i))
			}
		}
		b.Field(4).(*array.Int64Builder).Append(int64(i + 1))
		b.Field(5).(*array.Int64Builder).Append(int64(j + 1))
	}
	r.Discrepancies = b.NewRecordBatch()
	return r, nil
}

func rate(num, den int) float64 {
	if den == 0 {
		return math.NaN()
	}
	return float64(num) / float64(den)
}

// passKeys returns the keys of one keying as trimmed text, checking that
// they are present and unique.
func passKeys(rec arrow.RecordBatch, key, pass string) ([]string, error) {
	a := rec.Column(column.Index(rec, key))
	n := a.Len()
	out := make([]string, n)
	seen := make(map[string]int, n)
	for i := 0; i < n; i++ {
		k := strings.TrimSpace(column.TextAt(a, i))
		if k == "" {
			return nil, &KeyError{Pass: pass, Column: key, Rows: []int{i + 1}, Err: ErrMissingKey}
		}
		if j, dup := seen[k]; dup {
			return nil, &KeyError{Pass: pass, Column: key, Key: k, Rows: []int{j + 1, i + 1}, Err: ErrDuplicateKey}
		}
		seen[k] = i
		out[i] = k
	}
	return out, nil
}

// isNullish reports a null cell or a blank text cell.
func isNullish(a arrow.Array, i int) bool {
	if a.IsNull(i) {
		return true
	}
	if column.IsString(a.DataType()) {
		return strings.TrimSpace(column.StringAt(a, i)) == ""
	}
	return false
}

// equalFunc returns a comparison of a[i] and b[j] under the rules of
// ReconcileWith, specialised for the common same-type cases.
func equalFunc(a, b arrow.Array) func(i, j int) bool {
	nulls := func(i, j int) (decided, eq bool) {
		na, nb := isNullish(a, i), isNullish(b, j)
		if na || nb {
			return true, na && nb
		}
		return false, false
	}
	if arrow.TypeEqual(a.DataType(), b.DataType()) {
		switch x := a.(type) {
		case *array.Int64:
			return equalRaw(x.Int64Values(), b.(*array.Int64).Int64Values(), nulls)
		case *array.Int8:
			return equalRaw(x.Int8Values(), b.(*array.Int8).Int8Values(), nulls)
		case *array.Float64:
			return equalRaw(x.Float64Values(), b.(*array.Float64).Float64Values(), nulls)
		case *array.String, *array.LargeString, *array.StringView:
			return func(i, j int) bool {
				if d, eq := nulls(i, j); d {
					return eq
				}
				return column.StringAt(a, i) == column.StringAt(b, j)
			}
		}
	}
	return func(i, j int) bool {
		if d, eq := nulls(i, j); d {
			return eq
		}
		return column.TextAt(a, i) == column.TextAt(b, j)
	}
}

// equalRaw compares the raw values xv[i] and yv[j] of two columns of one
// type (floats with ==), after the null rule of nulls.
func equalRaw[T int8 | int64 | float64](xv, yv []T, nulls func(i, j int) (decided, eq bool)) func(i, j int) bool {
	return func(i, j int) bool {
		if d, eq := nulls(i, j); d {
			return eq
		}
		return xv[i] == yv[j]
	}
}
