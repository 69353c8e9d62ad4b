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
// buffers of s, eight rows at a time (exRows); other columns, and an
// invalid code (for its error), go through expectationCodes.
func (s *Sums) expectations(rec arrow.RecordBatch, first int64) ([][]int8, error) {
	n := int(rec.NumRows())
	q := s.q
	if s.exKind == nil {
		s.exKind = exKinds(q)
		ans, ok1 := rangesOf(func(c int) bool { return s.exKind[c] == 1 })
		allowed, ok2 := rangesOf(func(c int) bool { return s.exKind[c] != 2 })
		if ok1 && ok2 && ans.n == 1 {
			s.exRanges = &[2]codeRanges{ans, allowed}
		}
	}
	if len(s.exBufs) < len(q.Expectations) {
		s.exBufs = make([][]int8, len(q.Expectations))
	}
	if cap(s.answered) < n/8+1 {
		s.answered = make([]uint64, n/8+1)
	}
	ans := s.answered[:n/8+1]
	clear(ans)
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
		var bm []byte
		if a8.NullN() > 0 {
			bm = a8.NullBitmapBytes()
		}
		if !s.exRows(a8.Int8Values()[:n], bm, a8.Data().Offset(), xk, ans) {
			return expectationCodes(q, rec, int(first))
		}
	}
	out := s.exBufs[:len(q.Expectations)]
	for g, w := range ans {
		if w == ones8 || g*8 >= n {
			continue // all eight answered
		}
		for i := g * 8; i < min(n, g*8+8); i++ {
			if w>>(8*(i&7))&1 == 0 {
				for _, xk := range out {
					xk[i] = noAnswer
				}
			}
		}
	}
	return out, nil
}

// exRows sets xk to the codes of one expectation item's values vals
// (valid: bit off+i of bm; nil: all), v for an answer and 0 otherwise,
// sets byte i of the words ans to 1 for the rows that answered, and
// reports false for an invalid code. Eight rows take a few word
// operations (classMasks): the bits of eight rows' validity spread into
// the bytes' bits 7, the answers and the allowed codes as byte ranges.
func (s *Sums) exRows(vals []int8, bm []byte, off int, xk []int8, ans []uint64) bool {
	n := len(vals)
	g := 0
	if r := s.exRanges; r != nil {
		ra, rl := &r[0], &r[1]
		valid := uint64(high8)
		for ; g+8 <= n; g += 8 {
			if bm != nil {
				j := off + g
				vb := uint64(bm[j>>3] >> (j & 7))
				if j&7 != 0 && j>>3+1 < len(bm) {
					vb |= uint64(bm[j>>3+1]) << (8 - j&7)
				}
				valid = ((vb&0xff)*ones8&0x8040201008040201 + 0x7f7f7f7f7f7f7f7f) & high8
			}
			c := vals[g : g+8 : g+8]
			x := uint64(uint8(c[0])) | uint64(uint8(c[1]))<<8 | uint64(uint8(c[2]))<<16 | uint64(uint8(c[3]))<<24 |
				uint64(uint8(c[4]))<<32 | uint64(uint8(c[5]))<<40 | uint64(uint8(c[6]))<<48 | uint64(uint8(c[7]))<<56
			keep := high8 &^ x
			l := x &^ high8
			a := (l + ra.ge[0]) &^ (l + ra.gt[0]) & keep & valid
			in := (l + rl.ge[0]) &^ (l + rl.gt[0])
			if rl.n == 2 {
				in |= (l + rl.ge[1]) &^ (l + rl.gt[1])
			}
			if valid&^(in&keep) != 0 {
				return false
			}
			a >>= 7
			ans[g>>3] |= a
			v := x & (a * 0xff)
			o := xk[g : g+8 : g+8]
			o[0], o[1], o[2], o[3] = int8(v), int8(v>>8), int8(v>>16), int8(v>>24)
			o[4], o[5], o[6], o[7] = int8(v>>32), int8(v>>40), int8(v>>48), int8(v>>56)
		}
	}
	kind := s.exKind
	var bad uint8
	for i := g; i < n; i++ {
		t := kind[uint8(vals[i])]
		if bm != nil {
			j := off + i
			t &= -(bm[j>>3] >> (j & 7) & 1)
		}
		a := t & 1
		ans[i>>3] |= uint64(a) << (8 * (i & 7))
		xk[i] = vals[i] & -int8(a)
		bad |= t
	}
	return bad&2 == 0
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
// changes. With shards > 1 it adds only the runs of its shard's cells
// (cellShard). The error of s.grow stops it.
func (s *Sums) addCells(kc [][]int32, codes [][]int8, w []float64, n int, first int64) error {
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
	// ballots of weight 0 are rare: one look for them per batch, and the
	// runs count theirs apart (countZeros) only when there are some
	zeros := w != nil && slices.Contains(w[:n], 0)
	for i0 := 0; i0 < n; {
		i1 := i0 + 1
		for i1 < n && ch[i1] == 0 {
			i1++
		}
		if s.shards > 1 && cellShard(kc, i0, s.shards) != s.shard {
			i0 = i1 // another accumulator's cell
			continue
		}
		c := int(s.cellAt(kc, i0, K, C, first+int64(i0)))
		if s.grow != nil && c == len(s.n)-1 {
			if err := s.grow(i0 + 1); err != nil {
				return err
			}
		}
		s.addRun(codes, w, c, i0, i1)
		if zeros {
			s.countZeros(codes, w, c, i0, i1)
		}
		if s.pos != nil {
			s.countPositive(w, c, i0, i1)
		}
		if s.vals != nil {
			s.vals.addRun(c, i0, i1, w)
		}
		if s.cal != nil {
			s.cal.addRun(s, codes, c, i0, i1)
		}
		if s.rcal != nil {
			s.rcal.addRun(s, codes, c, i0, i1)
		}
		if s.rep != nil {
			s.rep.addRun(s, int32(c), i0, i1, w)
		}
		i0 = i1
	}
	return nil
}

// countZeros adds to cell c the valid answers (per item) and the
// composites' ballots with a valid answer among rows [i0, i1) of weight 0:
// the design effect's n leaves them out, as the variance engine does.
func (s *Sums) countZeros(codes [][]int8, w []float64, c, i0, i1 int) {
	K, C := s.ne+s.nc, len(s.combos)
	nz, ncz := s.nz[c*K:(c+1)*K], s.ncz[c*C:(c+1)*C]
	for i := i0; i < i1; i++ {
		if w[i] != 0 {
			continue
		}
		for k := range K {
			if s.xtab[k][uint8(codes[k][i])] != 0 {
				nz[k]++
			}
		}
		for m, terms := range s.combos {
			for _, t := range terms {
				if s.xtab[s.ne+t][uint8(codes[s.ne+t][i])] != 0 {
					ncz[m]++
					break
				}
			}
		}
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

// inRanges reports whether every code of v (a multiple of 8 of them) is
// in r, eight at a time (classMasks).
func inRanges(v []int8, r *codeRanges) bool {
	var out uint64
	for g := 0; g+8 <= len(v); g += 8 {
		c := v[g : g+8 : g+8]
		x := uint64(uint8(c[0])) | uint64(uint8(c[1]))<<8 | uint64(uint8(c[2]))<<16 | uint64(uint8(c[3]))<<24 |
			uint64(uint8(c[4]))<<32 | uint64(uint8(c[5]))<<40 | uint64(uint8(c[6]))<<48 | uint64(uint8(c[7]))<<56
		l := x &^ high8
		in := (l + r.ge[0]) &^ (l + r.gt[0])
		if r.n == 2 {
			in |= (l + r.ge[1]) &^ (l + r.gt[1])
		}
		out |= ^(in &^ x)
	}
	return out&high8 == 0
}

// cellShard returns the shard (0 ≤ shard < shards) of the cell of row i's
// key codes kc: a hash of the codes, so that every cell belongs to one
// shard and the shards get about as many cells. Accumulators that code
// the same batches in the same order give their rows the same codes, so
// they agree on it.
func cellShard(kc [][]int32, i, shards int) int {
	h := uint32(2166136261)
	for _, a := range kc {
		h = (h ^ uint32(a[i])) * 16777619
	}
	h ^= h >> 15
	h *= 0x2c1b3c6d
	h ^= h >> 12
	return int(h % uint32(shards))
}
