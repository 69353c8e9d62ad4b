// Package catcode codes categorical Arrow columns into dense integer codes:
// the one coder behind sampling's strata, PSUs and domains and weighting's
// classes.
//
// Levels are the observed values in their natural sorted order — integers
// and floats numerically (NaN last), booleans false before true, text by Go
// byte order — so the codes do not depend on the order of the rows in the
// file. Code reads raw value slices; a dictionary array has its dictionary
// coded once and its indices mapped.
package catcode

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Nulls says what Code does with a null value (or a null dictionary entry).
type Nulls int

const (
	// NullMissing gives null rows the code −1 (in no level).
	NullMissing Nulls = iota
	// NullFail makes a null row an error: a *NullError listing the rows.
	NullFail
	// NullLevel puts null rows in a level of their own, after the others,
	// labelled "" (present only if some row is null; a caller whose column
	// also holds empty strings relabels it).
	NullLevel
)

// ErrType is returned for a column whose type cannot be a category (only
// text, binary, integers, floats, booleans, dictionaries of those and the
// null type can).
var ErrType = errors.New("type cannot be a category; use text or integers")

// NullError reports the null rows of a column coded with NullFail.
type NullError struct {
	Rows []int // 1-based row numbers of every null row
}

func (e *NullError) Error() string {
	if len(e.Rows) == 1 {
		return fmt.Sprintf("missing value at row %d", e.Rows[0])
	}
	return fmt.Sprintf("missing values at %d rows, the first at row %d", len(e.Rows), e.Rows[0])
}

// Coded is a column coded into levels.
type Coded struct {
	// Codes[i] is the level of row i: an index into Levels, or −1 for a
	// null row under NullMissing.
	Codes []int32
	// Levels are the observed values, sorted, formatted as text (integers
	// in decimal, floats in the shortest form that reads back exactly).
	Levels []string
}

// Code codes the column col. Dictionary levels that no row uses are
// dropped. Errors: ErrType (wrapped, naming the type) and, under
// NullFail, a *NullError; the caller adds the file and column names.
func Code(col arrow.Array, nulls Nulls) (Coded, error) {
	codes, levels, err := code(col)
	if err != nil {
		return Coded{}, err
	}
	var rows []int
	for i, c := range codes {
		if c < 0 {
			rows = append(rows, i+1)
		}
	}
	if len(rows) > 0 {
		switch nulls {
		case NullFail:
			return Coded{}, &NullError{Rows: rows}
		case NullLevel:
			k := int32(len(levels))
			levels = append(levels, "")
			for _, r := range rows {
				codes[r-1] = k
			}
		}
	}
	return Coded{Codes: codes, Levels: levels}, nil
}

// code returns the codes (−1 for nulls) and the sorted observed levels.
func code(col arrow.Array) ([]int32, []string, error) {
	switch a := col.(type) {
	case *array.String:
		return codeText(a, a.Value)
	case *array.LargeString:
		return codeText(a, a.Value)
	case *array.StringView:
		return codeText(a, a.Value)
	case *array.Binary:
		return codeText(a, a.ValueString)
	case *array.LargeBinary:
		return codeText(a, func(i int) string { return string(a.Value(i)) })
	case *array.Int8:
		return codeInts(a, a.Int8Values())
	case *array.Int16:
		return codeInts(a, a.Int16Values())
	case *array.Int32:
		return codeInts(a, a.Int32Values())
	case *array.Int64:
		return codeInts(a, a.Int64Values())
	case *array.Uint8:
		return codeInts(a, a.Uint8Values())
	case *array.Uint16:
		return codeInts(a, a.Uint16Values())
	case *array.Uint32:
		return codeInts(a, a.Uint32Values())
	case *array.Uint64:
		return codeInts(a, a.Uint64Values())
	case *array.Float32:
		return codeFloats(a, a.Float32Values(), 32)
	case *array.Float64:
		return codeFloats(a, a.Float64Values(), 64)
	case *array.Boolean:
		return codeText(a, func(i int) string { return strconv.FormatBool(a.Value(i)) })
	case *array.Null:
		return fill(a.Len(), -1), nil, nil
	case *array.Dictionary:
		return codeDict(a)
	}
	return nil, nil, fmt.Errorf("%w (got %s)", ErrType, col.DataType())
}

func fill(n int, v int32) []int32 {
	s := make([]int32, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// rank sorts levels and rewrites codes (first-appearance indices into
// levels) as indices into the sorted levels.
func rank[T any](codes []int32, levels []T, cmp func(a, b T) int) []T {
	perm := make([]int32, len(levels))
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortFunc(perm, func(a, b int32) int { return cmp(levels[a], levels[b]) })
	r := make([]int32, len(levels))
	sorted := make([]T, len(levels))
	for k, p := range perm {
		r[p] = int32(k)
		sorted[k] = levels[p]
	}
	for i, c := range codes {
		if c >= 0 {
			codes[i] = r[c]
		}
	}
	return sorted
}

// codeText codes values read as strings (which may alias the array's
// buffers: a new level is cloned). Rows often repeat the previous row's
// value (files grouped by stratum or PSU), which a string compare settles
// without the map.
func codeText(a arrow.Array, val func(int) string) ([]int32, []string, error) {
	n := a.Len()
	codes := make([]int32, n)
	idx := make(map[string]int32)
	var levels []string
	nulls := a.NullN() > 0
	prev, prevK := "", int32(-1)
	for i := 0; i < n; i++ {
		if nulls && a.IsNull(i) {
			codes[i] = -1
			continue
		}
		v := val(i)
		if prevK >= 0 && v == prev {
			codes[i] = prevK
			continue
		}
		k, ok := idx[v]
		if !ok {
			k = int32(len(levels))
			v = strings.Clone(v)
			idx[v] = k
			levels = append(levels, v)
		}
		codes[i] = k
		prev, prevK = v, k
	}
	return codes, rank(codes, levels, strings.Compare), nil
}

type integer interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

// codeInts codes integers: through a table indexed by v − min when the
// range is at most a few times the number of rows, else through a map and
// a sort.
func codeInts[T integer](a arrow.Array, vals []T) ([]int32, []string, error) {
	n := len(vals)
	codes := make([]int32, n)
	nulls := a.NullN() > 0
	valid := func(i int) bool { return !nulls || a.IsValid(i) }
	var lo, hi T
	any := false
	for i, v := range vals {
		if valid(i) {
			if !any || v < lo {
				lo = v
			}
			if !any || v > hi {
				hi = v
			}
			any = true
		}
	}
	var one, zero T = 1, 0
	format := func(v T) string {
		if zero-one < zero { // signed
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatUint(uint64(v), 10)
	}
	if !any {
		return fill(n, -1), nil, nil
	}
	if span := float64(hi) - float64(lo); span < float64(max(4*n, 1<<16)) {
		table := fill(int(int64(hi)-int64(lo))+1, -1)
		for i, v := range vals {
			if valid(i) {
				table[int64(v)-int64(lo)] = 0
			}
		}
		var levels []string
		for j, t := range table {
			if t == 0 {
				table[j] = int32(len(levels))
				levels = append(levels, format(lo+T(j)))
			}
		}
		for i, v := range vals {
			if valid(i) {
				codes[i] = table[int64(v)-int64(lo)]
			} else {
				codes[i] = -1
			}
		}
		return codes, levels, nil
	}
	idx := make(map[T]int32)
	var seen []T
	for i, v := range vals {
		if !valid(i) {
			codes[i] = -1
			continue
		}
		k, ok := idx[v]
		if !ok {
			k = int32(len(seen))
			idx[v] = k
			seen = append(seen, v)
		}
		codes[i] = k
	}
	sorted := rank(codes, seen, func(a, b T) int {
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	})
	levels := make([]string, len(sorted))
	for k, v := range sorted {
		levels[k] = format(v)
	}
	return codes, levels, nil
}

// codeFloats codes floats numerically, NaN last; bits is 32 or 64 for
// formatting.
func codeFloats[T float32 | float64](a arrow.Array, vals []T, bits int) ([]int32, []string, error) {
	codes := make([]int32, len(vals))
	nulls := a.NullN() > 0
	idx := make(map[T]int32)
	var seen []T
	nan := int32(-1)
	for i, v := range vals {
		if nulls && a.IsNull(i) {
			codes[i] = -1
			continue
		}
		if v != v {
			if nan < 0 {
				nan = int32(len(seen))
				seen = append(seen, v)
			}
			codes[i] = nan
			continue
		}
		k, ok := idx[v]
		if !ok {
			k = int32(len(seen))
			idx[v] = k
			seen = append(seen, v)
		}
		codes[i] = k
	}
	sorted := rank(codes, seen, func(a, b T) int {
		an, bn := a != a, b != b
		switch {
		case an || bn:
			if an && !bn {
				return 1
			} else if bn && !an {
				return -1
			}
			return 0
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	})
	levels := make([]string, len(sorted))
	for k, v := range sorted {
		levels[k] = strconv.FormatFloat(float64(v), 'g', -1, bits)
	}
	return codes, levels, nil
}

// codeDict codes the dictionary once, maps every index through it and
// drops the levels no row uses.
func codeDict(a *array.Dictionary) ([]int32, []string, error) {
	dc, dl, err := code(a.Dictionary())
	if err != nil {
		return nil, nil, err
	}
	codes := make([]int32, a.Len())
	switch ix := a.Indices().(type) {
	case *array.Int8:
		mapIndices(a, ix.Int8Values(), dc, codes)
	case *array.Int16:
		mapIndices(a, ix.Int16Values(), dc, codes)
	case *array.Int32:
		mapIndices(a, ix.Int32Values(), dc, codes)
	case *array.Int64:
		mapIndices(a, ix.Int64Values(), dc, codes)
	case *array.Uint8:
		mapIndices(a, ix.Uint8Values(), dc, codes)
	case *array.Uint16:
		mapIndices(a, ix.Uint16Values(), dc, codes)
	case *array.Uint32:
		mapIndices(a, ix.Uint32Values(), dc, codes)
	case *array.Uint64:
		mapIndices(a, ix.Uint64Values(), dc, codes)
	default:
		return nil, nil, fmt.Errorf("%w (dictionary indices of type %s)", ErrType, a.Indices().DataType())
	}
	// keep the used levels only, in their (sorted) order
	newCode := fill(len(dl), -1)
	for _, c := range codes {
		if c >= 0 {
			newCode[c] = 0
		}
	}
	var levels []string
	for k := range newCode {
		if newCode[k] == 0 {
			newCode[k] = int32(len(levels))
			levels = append(levels, dl[k])
		}
	}
	if len(levels) < len(dl) {
		for i, c := range codes {
			if c >= 0 {
				codes[i] = newCode[c]
			}
		}
	}
	return codes, levels, nil
}

func mapIndices[T integer](a arrow.Array, idx []T, dc, codes []int32) {
	nulls := a.NullN() > 0
	for i, k := range idx {
		if nulls && a.IsNull(i) {
			codes[i] = -1
		} else {
			codes[i] = dc[k]
		}
	}
}

// Combine codes the observed combinations of several coded columns (each
// codes[c] has one code per row, −1 for none) into dense codes sorted
// lexicographically by the columns' codes: the levels of the interaction,
// keeping only combinations that occur. A row with −1 in any column gets
// −1. first[g] is a row of combination g, from which the caller reads the
// columns' levels. All codes[c] must have the same length (else Combine
// panics); no columns is a caller bug too.
func Combine(codes ...[]int32) (combined, first []int32) {
	if len(codes) == 0 {
		panic("catcode: Combine of no columns")
	}
	n := len(codes[0])
	combined = combinePair(append([]int32(nil), codes[0]...), nil) // dense
	for _, b := range codes[1:] {
		if len(b) != n {
			panic("catcode: Combine of columns of different lengths")
		}
		combined = combinePair(combined, b)
	}
	L := int32(0)
	for _, c := range combined {
		L = max(L, c+1)
	}
	first = fill(int(L), -1)
	for i, c := range combined {
		if c >= 0 && first[c] < 0 {
			first[c] = int32(i)
		}
	}
	return combined, first
}

// combinePair codes the pairs (a_i, b_i) in lexicographic order, in place
// of a: key a·L_b + b, through a table when there are few possible keys,
// else through a map and a sort of the observed keys. A nil b makes the
// codes of a dense.
func combinePair(a, b []int32) []int32 {
	var La, Lb int64 = 0, 1
	for i := range a {
		La = max(La, int64(a[i])+1)
		if b != nil {
			Lb = max(Lb, int64(b[i])+1)
		}
	}
	key := func(i int) int64 {
		if b == nil {
			return int64(a[i])
		}
		if a[i] < 0 || b[i] < 0 {
			return -1
		}
		return int64(a[i])*Lb + int64(b[i])
	}
	if La*Lb <= int64(max(4*len(a), 1<<16)) {
		table := make([]int32, La*Lb)
		for i := range a {
			if k := key(i); k >= 0 {
				table[k] = 1
			}
		}
		next := int32(0)
		for k, t := range table {
			if t == 1 {
				table[k] = next
				next++
			}
		}
		for i := range a {
			if k := key(i); k >= 0 {
				a[i] = table[k]
			} else {
				a[i] = -1
			}
		}
		return a
	}
	idx := make(map[int64]int32)
	var keys []int64
	for i := range a {
		k := key(i)
		if k < 0 {
			a[i] = -1
			continue
		}
		c, ok := idx[k]
		if !ok {
			c = int32(len(keys))
			idx[k] = c
			keys = append(keys, k)
		}
		a[i] = c
	}
	rank(a, keys, func(x, y int64) int {
		return int(min(max(x-y, -1), 1))
	})
	return a
}
