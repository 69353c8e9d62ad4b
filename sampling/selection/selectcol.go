package selection

import (
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// selKeyReader returns a reader of a column's values as key strings and
// whether the value is valid (not null). String values are not copied: a
// returned string is valid only while the array is (clone it to keep it).
func selKeyReader(arr arrow.Array) (func(i int) (string, bool), error) {
	switch a := arr.(type) {
	case *array.String:
		return func(i int) (string, bool) { return a.Value(i), a.IsValid(i) }, nil
	case *array.LargeString:
		return func(i int) (string, bool) { return a.Value(i), a.IsValid(i) }, nil
	case *array.StringView:
		return func(i int) (string, bool) { return a.Value(i), a.IsValid(i) }, nil
	case *array.Binary:
		return func(i int) (string, bool) { return a.ValueString(i), a.IsValid(i) }, nil
	case *array.Boolean:
		return func(i int) (string, bool) { return strconv.FormatBool(a.Value(i)), a.IsValid(i) }, nil
	case *array.Dictionary:
		dict, err := selKeyReader(a.Dictionary())
		if err != nil {
			return nil, err
		}
		return func(i int) (string, bool) {
			if !a.IsValid(i) {
				return "", false
			}
			return dict(a.GetValueIndex(i))
		}, nil
	}
	if num, ok := selIntReader(arr); ok {
		var last int64
		lastS := ""
		have := false
		return func(i int) (string, bool) {
			if !arr.IsValid(i) {
				return "", false
			}
			v := num(i)
			if !have || v != last {
				last, lastS, have = v, strconv.FormatInt(v, 10), true
			}
			return lastS, true
		}, nil
	}
	switch a := arr.(type) {
	case *array.Float64:
		return func(i int) (string, bool) { return strconv.FormatFloat(a.Value(i), 'g', -1, 64), a.IsValid(i) }, nil
	case *array.Float32:
		return func(i int) (string, bool) { return strconv.FormatFloat(float64(a.Value(i)), 'g', -1, 32), a.IsValid(i) }, nil
	}
	return nil, fmt.Errorf("type %s cannot identify strata or units; use a string or integer column", arr.DataType())
}

// selIntReader returns a reader of integer columns as int64.
func selIntReader(arr arrow.Array) (func(i int) int64, bool) {
	switch a := arr.(type) {
	case *array.Int8:
		v := a.Int8Values()
		return func(i int) int64 { return int64(v[i]) }, true
	case *array.Int16:
		v := a.Int16Values()
		return func(i int) int64 { return int64(v[i]) }, true
	case *array.Int32:
		v := a.Int32Values()
		return func(i int) int64 { return int64(v[i]) }, true
	case *array.Int64:
		v := a.Int64Values()
		return func(i int) int64 { return v[i] }, true
	case *array.Uint8:
		v := a.Uint8Values()
		return func(i int) int64 { return int64(v[i]) }, true
	case *array.Uint16:
		v := a.Uint16Values()
		return func(i int) int64 { return int64(v[i]) }, true
	case *array.Uint32:
		v := a.Uint32Values()
		return func(i int) int64 { return int64(v[i]) }, true
	case *array.Uint64:
		v := a.Uint64Values()
		return func(i int) int64 { return int64(v[i]) }, true
	}
	return nil, false
}

// selNumReader returns a reader of a numeric column as float64 and whether
// the value is valid.
func selNumReader(arr arrow.Array) (func(i int) (float64, bool), error) {
	if num, ok := selIntReader(arr); ok {
		return func(i int) (float64, bool) { return float64(num(i)), arr.IsValid(i) }, nil
	}
	switch a := arr.(type) {
	case *array.Float64:
		v := a.Float64Values()
		return func(i int) (float64, bool) { return v[i], a.IsValid(i) }, nil
	case *array.Float32:
		v := a.Float32Values()
		return func(i int) (float64, bool) { return float64(v[i]), a.IsValid(i) }, nil
	}
	return nil, fmt.Errorf("type %s is not numeric", arr.DataType())
}

// selColumn returns the named column of rec, or nil.
func selColumn(rec arrow.RecordBatch, name string) arrow.Array {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return nil
	}
	return rec.Column(idx[0])
}

// selSameReader returns a function telling whether row i (i ≥ 1) of arr
// holds the same value as row i−1, both valid; it compares dictionary
// indices and integers directly, and otherwise the key strings.
func selSameReader(arr arrow.Array, key func(int) (string, bool)) func(i int) bool {
	valid := func(i int) bool { return arr.IsValid(i) && arr.IsValid(i-1) }
	if arr.NullN() == 0 {
		valid = func(int) bool { return true }
	}
	if d, ok := arr.(*array.Dictionary); ok {
		if idx, ok := selIntReader(d.Indices()); ok {
			return func(i int) bool { return idx(i) == idx(i-1) && valid(i) }
		}
	}
	if num, ok := selIntReader(arr); ok {
		return func(i int) bool { return num(i) == num(i-1) && valid(i) }
	}
	if a, ok := arr.(*array.String); ok {
		return func(i int) bool { return a.Value(i) == a.Value(i-1) && valid(i) }
	}
	return func(i int) bool {
		a, okA := key(i)
		b, okB := key(i - 1)
		return okA && okB && a == b
	}
}

// selMarkChanges lowers fc[i] to l for every row i ≥ 1 whose value differs
// from row i−1's (a null counts as a change). Typed loops for dictionary
// indices, strings and integers; the key strings otherwise.
func selMarkChanges(arr arrow.Array, key func(int) (string, bool), l int32, fc []int32) {
	n := arr.Len()
	if arr.NullN() == 0 {
		switch a := arr.(type) {
		case *array.Dictionary:
			if ix, ok := a.Indices().(*array.Int32); ok && ix.NullN() == 0 {
				v := ix.Int32Values()
				for i := 1; i < n; i++ {
					if v[i] != v[i-1] && fc[i] > l {
						fc[i] = l
					}
				}
				return
			}
		case *array.String:
			for i := 1; i < n; i++ {
				if fc[i] > l && a.Value(i) != a.Value(i-1) {
					fc[i] = l
				}
			}
			return
		case *array.Int64:
			v := a.Int64Values()
			for i := 1; i < n; i++ {
				if v[i] != v[i-1] && fc[i] > l {
					fc[i] = l
				}
			}
			return
		case *array.Int32:
			v := a.Int32Values()
			for i := 1; i < n; i++ {
				if v[i] != v[i-1] && fc[i] > l {
					fc[i] = l
				}
			}
			return
		}
	}
	same := selSameReader(arr, key)
	for i := 1; i < n; i++ {
		if fc[i] > l && !same(i) {
			fc[i] = l
		}
	}
}
