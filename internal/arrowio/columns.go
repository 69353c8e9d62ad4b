package arrowio

import (
	"errors"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Column returns the column called name (the first, if names repeat). The
// array belongs to rec: Retain it to keep it after rec is released. A
// missing name is an *Error wrapping ErrMissingColumn that lists the
// available columns.
func Column(rec arrow.RecordBatch, name string) (arrow.Array, error) {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return nil, missingError("", []string{name}, schemaNames(rec.Schema()))
	}
	return rec.Column(idx[0]), nil
}

// validity returns nil when col has no nulls, else valid[i] = col.IsValid(i).
func validity(col arrow.Array) []bool {
	if col.NullN() == 0 {
		return nil
	}
	valid := make([]bool, col.Len())
	for i := range valid {
		valid[i] = col.IsValid(i)
	}
	return valid
}

type number interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

func convert[T number, U number](dst []U, src []T) {
	for i, v := range src {
		dst[i] = U(v)
	}
}

// convertInts converts a column of any integer type but uint64 into out
// (null rows hold whatever the array holds); false for other types.
func convertInts[U number](out []U, col arrow.Array) bool {
	switch a := col.(type) {
	case *array.Int8:
		convert(out, a.Int8Values())
	case *array.Int16:
		convert(out, a.Int16Values())
	case *array.Int32:
		convert(out, a.Int32Values())
	case *array.Int64:
		convert(out, a.Int64Values())
	case *array.Uint8:
		convert(out, a.Uint8Values())
	case *array.Uint16:
		convert(out, a.Uint16Values())
	case *array.Uint32:
		convert(out, a.Uint32Values())
	default:
		return false
	}
	return true
}

func typeErr(col arrow.Array, want string) error {
	return &Error{Err: because(ErrType, "has type %s; want %s", col.DataType(), want)}
}

// Float64s copies a numeric column into a new []float64: any integer,
// unsigned or floating type, a dictionary of those, or a string column whose
// non-null values are numbers (a value that is not is an *Error with its
// 1-based Row and Value, wrapping ErrBadValue). valid is nil when the column
// has no nulls, else valid[i] reports whether row i has a value; values at
// null rows are 0. Errors carry no file or column name: the caller can
// errors.As them to *Error and fill those in.
func Float64s(col arrow.Array) ([]float64, []bool, error) {
	n := col.Len()
	out := make([]float64, n)
	switch a := col.(type) {
	case *array.Uint64:
		convert(out, a.Uint64Values())
	case *array.Float32:
		convert(out, a.Float32Values())
	case *array.Float64:
		copy(out, a.Float64Values())
	case *array.Null:
		return out, make([]bool, n), nil
	case *array.Dictionary:
		dict, dvalid, err := Float64s(a.Dictionary())
		if err != nil {
			return nil, nil, err
		}
		for i := 0; i < n; i++ {
			if a.IsValid(i) {
				k := a.GetValueIndex(i)
				if dvalid != nil && !dvalid[k] {
					continue // null dictionary entry: treated below
				}
				out[i] = dict[k]
			}
		}
		return out, dictValidity(a, dvalid), nil
	default:
		if convertInts(out, col) {
			break
		}
		strs, valid, err := Strings(col)
		if err != nil || !isStringType(col.DataType()) {
			return nil, nil, typeErr(col, "a numeric column")
		}
		for i, s := range strs {
			if valid != nil && !valid[i] {
				continue
			}
			v, err := parseDecimal(trimCell(s))
			if err != nil {
				why := "is not a number"
				if errors.Is(err, strconv.ErrRange) {
					why = "is out of the range of numbers"
				}
				return nil, nil, &Error{Row: i + 1, Value: s, Err: because(ErrBadValue, "%s", why)}
			}
			out[i] = v
		}
		return out, valid, nil
	}
	valid := validity(col)
	for i, ok := range valid {
		if !ok {
			out[i] = 0
		}
	}
	return out, valid, nil
}

func dictValidity(a *array.Dictionary, dvalid []bool) []bool {
	if a.NullN() == 0 && dvalid == nil {
		return nil
	}
	valid := make([]bool, a.Len())
	any := false
	for i := range valid {
		valid[i] = a.IsValid(i) && (dvalid == nil || dvalid[a.GetValueIndex(i)])
		any = any || !valid[i]
	}
	if !any {
		return nil
	}
	return valid
}

func isStringType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return true
	}
	return false
}

// Ints copies an integer column into a new []int64: any signed or unsigned
// integer type (uint64 values above MaxInt64 are an error), a float column
// whose values are all whole numbers, a dictionary of those, or a string
// column of integers. A value that does not fit is an *Error with its
// 1-based Row and Value wrapping ErrBadValue. valid is as for Float64s.
func Ints(col arrow.Array) ([]int64, []bool, error) {
	n := col.Len()
	out := make([]int64, n)
	valid := validity(col)
	ok := func(i int) bool { return valid == nil || valid[i] }
	switch a := col.(type) {
	case *array.Uint64:
		for i, v := range a.Uint64Values() {
			if ok(i) && v > math.MaxInt64 {
				return nil, nil, &Error{Row: i + 1, Value: strconv.FormatUint(v, 10), Err: because(ErrBadValue, "is too large for int64")}
			}
			out[i] = int64(v)
		}
	case *array.Float32, *array.Float64:
		f, _, _ := Float64s(col)
		for i, v := range f {
			if !ok(i) {
				continue
			}
			if v != math.Trunc(v) || v < -(1<<63) || v >= 1<<63 {
				return nil, nil, &Error{Row: i + 1, Value: strconv.FormatFloat(v, 'g', -1, 64), Err: because(ErrBadValue, "is not a whole number")}
			}
			out[i] = int64(v)
		}
	case *array.Null:
		return out, make([]bool, n), nil
	case *array.Dictionary:
		dict, dvalid, err := Ints(a.Dictionary())
		if err != nil {
			return nil, nil, err
		}
		for i := 0; i < n; i++ {
			if a.IsValid(i) {
				out[i] = dict[a.GetValueIndex(i)]
			}
		}
		valid = dictValidity(a, dvalid)
		for i, v := range valid {
			if !v {
				out[i] = 0
			}
		}
		return out, valid, nil
	default:
		if convertInts(out, col) {
			break
		}
		if !isStringType(col.DataType()) {
			return nil, nil, typeErr(col, "an integer column")
		}
		strs, _, _ := Strings(col)
		for i, s := range strs {
			if !ok(i) {
				continue
			}
			v, err := strconv.ParseInt(trimCell(s), 10, 64)
			if err != nil {
				return nil, nil, &Error{Row: i + 1, Value: s, Err: because(ErrBadValue, "is not an integer")}
			}
			out[i] = v
		}
		return out, valid, nil
	}
	for i, v := range valid {
		if !v {
			out[i] = 0
		}
	}
	return out, valid, nil
}

// Strings copies a column into a new []string: string, large_string and
// string_view columns, dictionaries of any of the supported types, and
// numbers and booleans formatted (integers in decimal, floats in the
// shortest form that reads back exactly). The strings do not share memory
// with the array, so they stay valid after it is released. Null rows are ""
// with valid[i] false; valid is nil when there are no nulls.
func Strings(col arrow.Array) ([]string, []bool, error) {
	n := col.Len()
	out := make([]string, n)
	valid := validity(col)
	ok := func(i int) bool { return valid == nil || valid[i] }
	switch a := col.(type) {
	case *array.String:
		offs := a.ValueOffsets()
		copyStrings(out, a.ValueBytes(), offs, int(offs[0]), ok)
	case *array.LargeString:
		offs := a.ValueOffsets()
		copyStrings(out, a.ValueBytes(), offs, int(offs[0]), ok)
	case *array.StringView:
		for i := range out {
			if ok(i) {
				out[i] = string(a.Value(i))
			}
		}
	case *array.Dictionary:
		dict, dvalid, err := Strings(a.Dictionary())
		if err != nil {
			return nil, nil, err
		}
		for i := range out {
			if a.IsValid(i) {
				out[i] = dict[a.GetValueIndex(i)]
			}
		}
		return out, dictValidity(a, dvalid), nil
	case *array.Null:
		return out, make([]bool, n), nil
	case *array.Boolean:
		for i := range out {
			if ok(i) {
				out[i] = strconv.FormatBool(a.Value(i))
			}
		}
	default:
		switch col.DataType().ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32:
			v, _, _ := Ints(col)
			for i := range out {
				if ok(i) {
					out[i] = strconv.FormatInt(v[i], 10)
				}
			}
		case arrow.UINT64:
			v := col.(*array.Uint64).Uint64Values()
			for i := range out {
				if ok(i) {
					out[i] = strconv.FormatUint(v[i], 10)
				}
			}
		case arrow.FLOAT32:
			v := col.(*array.Float32).Float32Values()
			for i := range out {
				if ok(i) {
					out[i] = strconv.FormatFloat(float64(v[i]), 'g', -1, 32)
				}
			}
		case arrow.FLOAT64:
			v := col.(*array.Float64).Float64Values()
			for i := range out {
				if ok(i) {
					out[i] = strconv.FormatFloat(v[i], 'g', -1, 64)
				}
			}
		default:
			return nil, nil, typeErr(col, "a text, number or boolean column")
		}
	}
	return out, valid, nil
}

// copyStrings makes one Go copy of the value bytes and slices the strings
// out of it: one allocation for the whole column.
func copyStrings[O int32 | int64](out []string, data []byte, offs []O, base int, ok func(int) bool) {
	if len(out) == 0 {
		return
	}
	all := string(data) // data starts at offs[0] == base
	for i := range out {
		if ok(i) {
			out[i] = all[int(offs[i])-base : int(offs[i+1])-base]
		}
	}
}
