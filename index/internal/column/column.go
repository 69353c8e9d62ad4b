// Package column reads the cells of Arrow columns the way the index and
// ballot packages need them: integer answer codes from a column of any
// integer, floating point or string type, and any cell as text.
package column

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// ErrType is wrapped by the error of NewCodes for a column whose type cannot
// hold codes.
var ErrType = errors.New("unsupported column type")

// Names returns the field names of s.
func Names(s *arrow.Schema) []string {
	out := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		out[i] = f.Name
	}
	return out
}

// Index returns the index of the first column named name, or -1.
func Index(rec arrow.RecordBatch, name string) int {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return -1
	}
	return idx[0]
}

// IsString reports whether t is a UTF-8 string type.
func IsString(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return true
	}
	return false
}

// StringAt returns the value of a string-typed array at i (caller checks
// nulls). It does not copy: the result lives as long as the array.
func StringAt(a arrow.Array, i int) string {
	switch a := a.(type) {
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.StringView:
		return a.Value(i)
	}
	panic("column: StringAt on " + a.DataType().String())
}

// TextAt returns a cell of any type as text ("" for null): strings as they
// are, other types in Arrow's ValueStr form. A string result may alias the
// array's buffer: clone it before keeping it beyond the array's life.
func TextAt(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return ""
	}
	if IsString(a.DataType()) {
		return StringAt(a, i)
	}
	return a.ValueStr(i)
}

// State is the state of one answer cell.
type State uint8

const (
	Null     State = iota // null or empty string: no answer
	Code                  // an integer code
	NotInt                // a value that is not an integer
	Overflow              // an integer outside int64
)

// Codes reads integer answer codes from a column of any integer, floating
// point or string type. Floats must be integral; strings are trimmed and
// parsed as base-10 integers, and an empty string is no answer.
type Codes struct {
	Arr  arrow.Array
	kind int // 0 signed int, 1 unsigned, 2 float, 3 string, 4 null
	i64  func(int) int64
	u64  func(int) uint64
	f64  func(int) float64
}

// NewCodes returns the code reader of a; an error wrapping ErrType when a's
// type cannot hold codes.
func NewCodes(a arrow.Array) (*Codes, error) {
	c := &Codes{Arr: a}
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
		return nil, fmt.Errorf("%w %s: answer codes must be integers (or text holding integers)", ErrType, a.DataType())
	}
	return c, nil
}

// IsText reports whether the column is a string column.
func (c *Codes) IsText() bool { return c.kind == 3 }

// At returns the cell state and code at row i.
func (c *Codes) At(i int) (int64, State) {
	if c.kind == 4 || c.Arr.IsNull(i) {
		return 0, Null
	}
	switch c.kind {
	case 0:
		return c.i64(i), Code
	case 1:
		u := c.u64(i)
		if u > math.MaxInt64 {
			return 0, Overflow
		}
		return int64(u), Code
	case 2:
		f := c.f64(i)
		// NaN is not a code, nor a missing cell (a null is): any value
		// other than the scale's and the missing codes is excluded.
		if math.IsNaN(f) || f != math.Trunc(f) || math.IsInf(f, 0) {
			return 0, NotInt
		}
		if f < -9.2e18 || f > 9.2e18 {
			return 0, Overflow
		}
		return int64(f), Code
	default:
		s := strings.TrimSpace(StringAt(c.Arr, i))
		if s == "" {
			return 0, Null
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return 0, Overflow
			}
			// "4.0" is a code written as a float; nothing else is a code
			// ("0x1p2", "1_000", "4e0", "NaN" are what strconv would read).
			if intPart, ok := decimalInt(s); ok {
				if v, err := strconv.ParseInt(intPart, 10, 64); err == nil {
					return v, Code
				}
				return 0, Overflow
			}
			return 0, NotInt
		}
		return v, Code
	}
}

// Raw returns the cell as text, as it was in the data.
func (c *Codes) Raw(i int) string {
	if c.Arr.IsNull(i) {
		return ""
	}
	if c.kind == 3 {
		return StringAt(c.Arr, i)
	}
	return c.Arr.ValueStr(i)
}

// CompareValues orders stratum and domain values: numerically when both
// are numbers (cmp.Compare, so "NaN" comes first and the order stays
// consistent), otherwise — or when the numbers are equal ("1" and "1.0") —
// as text bytewise.
func CompareValues(a, b string) int {
	x, e1 := strconv.ParseFloat(a, 64)
	y, e2 := strconv.ParseFloat(b, 64)
	if e1 == nil && e2 == nil {
		if c := cmp.Compare(x, y); c != 0 {
			return c
		}
	}
	return strings.Compare(a, b)
}

// decimalInt returns the integer part of s when s is a plain decimal with
// a fractional part of zeros only ("4.0", "-2.00", "4."): [+-]digits.0*.
func decimalInt(s string) (string, bool) {
	intPart, frac, ok := strings.Cut(s, ".")
	if !ok {
		return "", false
	}
	digits := strings.TrimLeft(intPart, "+-")
	if len(intPart)-len(digits) > 1 || digits == "" || strings.Trim(digits, "0123456789") != "" || strings.Trim(frac, "0") != "" {
		return "", false
	}
	return intPart, true
}
