package index

import (
	"bytes"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sipas-go/sipas/index/internal/column"
)

// The row loops of Sums.Add over a batch's raw values: branch-free where
// a row's outcome is data (an answer 0 or 1, a key that changes), into
// buffers kept from batch to batch.

// exKinds returns, per int8 code of an expectation item, 1 for an answer
// (0 or 1), 0 for a declared missing code and 2 for any other code.
func exKinds(q *Questionnaire) *[256]uint8 {
	t := new([256]uint8)
	for c := -128; c < 128; c++ {
		switch {
		case c == 0 || c == 1:
			t[uint8(int8(c))] = 1
		case q.CodeKind(int64(c)) != MissingCode:
			t[uint8(int8(c))] = 2
		}
	}
	return t
}

// expectations returns the codes of rec's expectation items as
// expectationCodes does (0 or 1, 0 for a null or missing code, noAnswer in
// every item of a ballot that answered none), from int8 columns into
// buffers of s; other columns, and an invalid code (for its error), go
// through expectationCodes.
func (s *Sums) expectations(rec arrow.RecordBatch, first int64) ([][]int8, error) {
	n := int(rec.NumRows())
	q := s.q
	if s.exKind == nil {
		s.exKind = exKinds(q)
	}
	if len(s.exBufs) < len(q.Expectations) {
		s.exBufs = make([][]int8, len(q.Expectations))
	}
	if cap(s.answered) < n {
		s.answered = make([]uint8, n)
	}
	ans := s.answered[:n]
	clear(ans)
	kind := s.exKind
	for k, ex := range q.Expectations {
		i := column.Index(rec, ex.Column)
		if i < 0 {
			return expectationCodes(q, rec, int(first))
		}
		a8, ok := rec.Column(i).(*array.Int8)
		if !ok {
			return expectationCodes(q, rec, int(first))
		}
		if cap(s.exBufs[k]) < n {
			s.exBufs[k] = make([]int8, n)
		}
		xk := s.exBufs[k][:n]
		s.exBufs[k] = xk
		vals := a8.Int8Values()[:n]
		var bad uint8
		if a8.NullN() == 0 {
			for i, v := range vals {
				t := kind[uint8(v)]
				a := t & 1
				ans[i] |= a
				xk[i] = v & -int8(a)
				bad |= t
			}
		} else {
			bm, off := a8.NullBitmapBytes(), a8.Data().Offset()
			for i, v := range vals {
				j := off + i
				t := kind[uint8(v)] & -(bm[j>>3] >> (j & 7) & 1)
				a := t & 1
				ans[i] |= a
				xk[i] = v & -int8(a)
				bad |= t
			}
		}
		if bad&2 != 0 {
			return expectationCodes(q, rec, int(first))
		}
	}
	out := s.exBufs[:len(q.Expectations)]
	for i, a := range ans {
		if a == 0 {
			for _, xk := range out {
				xk[i] = noAnswer
			}
		}
	}
	return out, nil
}

// checkWeights returns the error about the first weight of w (valid: nil
// or whether each is present; first the input row before w's) that is
// missing, negative, NaN or infinite, or 0 when the weights must be
// positive.
func (s *Sums) checkWeights(w []float64, valid []bool, first int64) error {
	ok := true
	if s.positive {
		for _, v := range w {
			ok = ok && v > 0 && v <= math.MaxFloat64
		}
	} else {
		for _, v := range w {
			ok = ok && v >= 0 && v <= math.MaxFloat64
		}
	}
	for _, v := range valid {
		ok = ok && v
	}
	if ok {
		return nil
	}
	for i, v := range w {
		if (valid != nil && !valid[i]) || !(v >= 0 && v <= math.MaxFloat64) || (s.positive && v == 0) {
			return s.badWeight(valid == nil || valid[i], v, first+int64(i)+1)
		}
	}
	return nil
}

// addCells adds the rows of a batch (n rows, key codes kc, answer codes,
// weights w) run by run of one key: a run starts where any key column
// changes.
func (s *Sums) addCells(kc [][]int32, codes [][]int8, w []float64, n int, first int64) {
	K, C := s.ne+s.nc, len(s.combos)
	if cap(s.change) < n {
		s.change = make([]int32, n)
	}
	ch := s.change[:n]
	clear(ch)
	for _, a := range kc {
		a = a[:n]
		for i := 1; i < n; i++ {
			ch[i] |= a[i] ^ a[i-1]
		}
	}
	ch[0] = 1
	for i0 := 0; i0 < n; {
		i1 := i0 + 1
		for i1 < n && ch[i1] == 0 {
			i1++
		}
		c := int(s.cellAt(kc, i0, K, C, first+int64(i0)))
		s.addRun(codes, w, c, i0, i1)
		if s.vals != nil {
			s.vals.addRun(c, i0, i1, w)
		}
		i0 = i1
	}
}

// dictCodes returns the key codes of a dictionary-encoded text column
// without nulls (nil, false for any other column): the dictionary's
// values are looked up in k's levels once and kept while the batches
// bring the same dictionary (a row group's batches share one), then each
// row's code is one load.
func (k *sumsKey) dictCodes(col arrow.Array) ([]int32, bool) {
	d, ok := col.(*array.Dictionary)
	if !ok || d.NullN() > 0 {
		return nil, false
	}
	str, ok := d.Dictionary().(*array.String)
	ix, ok2 := d.Indices().(*array.Int32)
	if !ok || !ok2 || str.NullN() > 0 {
		return nil, false
	}
	offs, vals := str.ValueOffsets(), str.ValueBytes()
	if !slices.Equal(offs, k.dictOffs) || !bytes.Equal(vals, k.dictVals) {
		k.dictOffs = append(k.dictOffs[:0], offs...)
		k.dictVals = append(k.dictVals[:0], vals...)
		k.dictMap = k.dictMap[:0]
		for j := 0; j < str.Len(); j++ {
			v := str.Value(j)
			g, ok := k.index[v]
			if !ok {
				g = int32(len(k.levels))
				v = strings.Clone(v)
				k.index[v] = g
				k.levels = append(k.levels, v)
			}
			k.dictMap = append(k.dictMap, g)
		}
	}
	n := d.Len()
	if cap(k.buf) < n {
		k.buf = make([]int32, n)
	}
	out, m := k.buf[:n], k.dictMap
	for i, j := range ix.Int32Values()[:n] {
		out[i] = m[j]
	}
	return out, true
}
