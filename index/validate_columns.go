package index

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// ErrMissingColumn is wrapped by *MissingColumnsError.
var ErrMissingColumn = errors.New("missing column")

// ErrColumnType is wrapped by errors about a column whose type an operation
// does not accept.
var ErrColumnType = errors.New("unsupported column type")

// MissingColumnsError says which required columns a table lacks and which it
// has. errors.Is(err, ErrMissingColumn) is true.
type MissingColumnsError struct {
	Table     string // what the table is, e.g. "ballots" or "first keying"
	Missing   []string
	Available []string
	Hint      string // optional: how to fix
}

func (e *MissingColumnsError) Error() string {
	var b strings.Builder
	if e.Table != "" {
		b.WriteString(e.Table)
		b.WriteString(": ")
	}
	if len(e.Missing) == 1 {
		fmt.Fprintf(&b, "missing required column %q", e.Missing[0])
	} else {
		fmt.Fprintf(&b, "missing required columns %s", quoteList(e.Missing))
	}
	fmt.Fprintf(&b, "; available columns are %s", listColumns(e.Available))
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

func (e *MissingColumnsError) Unwrap() error { return ErrMissingColumn }

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

func listColumns(names []string) string {
	const max = 60
	if len(names) == 0 {
		return "(none)"
	}
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:max], ", ") + fmt.Sprintf(", ... (%d more)", len(names)-max)
}

func schemaNames(s *arrow.Schema) []string {
	out := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		out[i] = f.Name
	}
	return out
}

// colIndex returns the index of the first column named name, or -1.
func colIndex(rec arrow.RecordBatch, name string) int {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return -1
	}
	return idx[0]
}

// requireColumns returns the indices of the named columns or a
// *MissingColumnsError naming every one that is missing.
func requireColumns(rec arrow.RecordBatch, table string, names []string) ([]int, error) {
	out := make([]int, len(names))
	var missing []string
	for i, n := range names {
		out[i] = colIndex(rec, n)
		if out[i] < 0 {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, &MissingColumnsError{Table: table, Missing: missing, Available: schemaNames(rec.Schema())}
	}
	return out, nil
}

// isStringType reports whether t is a UTF-8 string type.
func isStringType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return true
	}
	return false
}

// stringAt returns the value of a string-typed array at i (caller checks
// nulls). It does not copy: the result lives as long as the array.
func stringAt(a arrow.Array, i int) string {
	switch a := a.(type) {
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.StringView:
		return a.Value(i)
	}
	panic("index: stringAt on " + a.DataType().String())
}

// codeState is the state of one answer cell.
type codeState uint8

const (
	cellNull     codeState = iota // null or empty string: no answer
	cellCode                      // an integer code
	cellNotInt                    // a value that is not an integer
	cellOverflow                  // an integer outside int64
)

// codeColumn reads integer answer codes from a column of any integer,
// floating point or string type. Floats must be integral; strings are
// trimmed and parsed as base-10 integers, and an empty string is no answer.
type codeColumn struct {
	arr  arrow.Array
	kind int // 0 signed int, 1 unsigned, 2 float, 3 string
	i64  func(int) int64
	u64  func(int) uint64
	f64  func(int) float64
}

func newCodeColumn(a arrow.Array) (*codeColumn, error) {
	c := &codeColumn{arr: a}
	switch a := a.(type) {
	case *array.Int8:
		v := a.Int8Values()
		c.i64 = func(i int) int64 { return int64(v[i]) }
	case *array.Int16:
		v := a.Int16Values()
		c.i64 = func(i int) int64 { return int64(v[i]) }
	case *array.Int32:
		v := a.Int32Values()
		c.i64 = func(i int) int64 { return int64(v[i]) }
	case *array.Int64:
		v := a.Int64Values()
		c.i64 = func(i int) int64 { return v[i] }
	case *array.Uint8:
		v := a.Uint8Values()
		c.kind, c.u64 = 1, func(i int) uint64 { return uint64(v[i]) }
	case *array.Uint16:
		v := a.Uint16Values()
		c.kind, c.u64 = 1, func(i int) uint64 { return uint64(v[i]) }
	case *array.Uint32:
		v := a.Uint32Values()
		c.kind, c.u64 = 1, func(i int) uint64 { return uint64(v[i]) }
	case *array.Uint64:
		v := a.Uint64Values()
		c.kind, c.u64 = 1, func(i int) uint64 { return v[i] }
	case *array.Float32:
		v := a.Float32Values()
		c.kind, c.f64 = 2, func(i int) float64 { return float64(v[i]) }
	case *array.Float64:
		v := a.Float64Values()
		c.kind, c.f64 = 2, func(i int) float64 { return v[i] }
	case *array.String, *array.LargeString, *array.StringView:
		c.kind = 3
	case *array.Null:
		c.kind = 4
	default:
		return nil, fmt.Errorf("%w %s: answer codes must be integers (or text holding integers)", ErrColumnType, a.DataType())
	}
	return c, nil
}

// at returns the cell state and code at row i.
func (c *codeColumn) at(i int) (int64, codeState) {
	if c.kind == 4 || c.arr.IsNull(i) {
		return 0, cellNull
	}
	switch c.kind {
	case 0:
		return c.i64(i), cellCode
	case 1:
		u := c.u64(i)
		if u > math.MaxInt64 {
			return 0, cellOverflow
		}
		return int64(u), cellCode
	case 2:
		f := c.f64(i)
		if math.IsNaN(f) {
			return 0, cellNull
		}
		if f != math.Trunc(f) || math.IsInf(f, 0) {
			return 0, cellNotInt
		}
		if f < -9.2e18 || f > 9.2e18 {
			return 0, cellOverflow
		}
		return int64(f), cellCode
	default:
		s := strings.TrimSpace(stringAt(c.arr, i))
		if s == "" {
			return 0, cellNull
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return 0, cellOverflow
			}
			// "4.0" is a code written as a float.
			if f, ferr := strconv.ParseFloat(s, 64); ferr == nil && f == math.Trunc(f) && math.Abs(f) < 9.2e18 {
				return int64(f), cellCode
			}
			return 0, cellNotInt
		}
		return v, cellCode
	}
}

// raw returns the cell as text, as it was in the data.
func (c *codeColumn) raw(i int) string {
	if c.arr.IsNull(i) {
		return ""
	}
	if c.kind == 3 {
		return stringAt(c.arr, i)
	}
	return c.arr.ValueStr(i)
}

// textAt returns a cell of any type as text ("" for null): strings as they
// are, other types in Arrow's ValueStr form. A string result may alias the
// array's buffer: clone it before keeping it beyond the array's life.
func textAt(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return ""
	}
	if isStringType(a.DataType()) {
		return stringAt(a, i)
	}
	return a.ValueStr(i)
}
