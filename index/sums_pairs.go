package index

import "math/bits"

// The cross-products of the criteria pairs (Sums.pm) are accumulated in a
// form that needs no work for the common answer: with m = 1 − x the
// indicator of no valid answer (y = 0 there),
//
//	Σ w y_k x_l = Y_k − Σ w y_k m_l
//	Σ w x_k x_l = X_k + X_l − W + Σ w m_k m_l
//
// so a cell keeps per pair Σ w y_k y_l, Σ w y_k m_l, Σ w y_l m_k and
// Σ w m_k m_l (pairYY, pairYM, pairMY, pairMM), turned into the table's
// columns by pairMoments. Each item's answer falls in a class: 0 for a
// valid answer of value 0, u = 1..V for the V nonzero values (pairTabs.vals)
// and V+1 for no valid answer. Rows of one weight are summed 64 at a time as
// bit masks per class (addSegment: every sum of the cell, a pair's counts
// being popcounts of ANDs); rows whose weights differ are summed one by one
// (pairRows: over their nonzero classes).
const (
	pairYY = iota
	pairYM
	pairMY
	pairMM
)

// pairTabs are the class tables of the items and the scratch of the
// segment and pair sums.
type pairTabs struct {
	vals []float64      // value of class u = 1..V at vals[u-1]
	cls  [][256]uint8   // per item: the class of a code
	bit  [][][256]uint8 // per item and class 1..V+1: 1 where a code is in it
	idx  []int32        // [k*nc+l], criteria k < l: the pair's index, −1 for none
	cnt  []int64        // per pair (V+1)² counts: [u*(V+1)+v], u, v in 0..V (0: no valid answer, else class)
	icnt []int64        // per item V+1 counts of a segment
	ccnt []int64        // per composite: rows with a valid answer to one of its criteria
	mask []uint64       // per item V+1 masks: [k*(V+1)+u], u = 0 for no valid answer
	rng  [][]codeRanges // per item, for its valid codes then classes 1..V: nil unless all are ranges
	ys   []int32        // per row: criteria with y ≠ 0, and their values
	yv   []float64
	ms   []int32 // per row: criteria without a valid answer
}

// newPairTabs returns the class tables of s's items.
func newPairTabs(s *Sums) *pairTabs {
	nc, K := s.nc, s.ne+s.nc
	pt := &pairTabs{cls: make([][256]uint8, K), idx: make([]int32, nc*nc)}
	for i := range pt.idx {
		pt.idx[i] = -1
	}
	for p, pr := range s.pairs {
		pt.idx[pr.k*nc+pr.l] = int32(p)
	}
	for k := 0; k < K; k++ {
		yt, xt := s.ytab[k], s.xtab[k]
		for c := 0; c < 256; c++ {
			if xt[c] == 0 || yt[c] == 0 {
				continue
			}
			found := false
			for _, v := range pt.vals {
				found = found || v == yt[c]
			}
			if !found {
				pt.vals = append(pt.vals, yt[c])
			}
		}
	}
	V := len(pt.vals)
	pt.bit = make([][][256]uint8, K)
	for k := 0; k < K; k++ {
		yt, xt := s.ytab[k], s.xtab[k]
		pt.bit[k] = make([][256]uint8, V+2)
		for c := 0; c < 256; c++ {
			u := uint8(V + 1)
			if xt[c] != 0 {
				u = 0
				for i, v := range pt.vals {
					if yt[c] == v {
						u = uint8(i + 1)
					}
				}
			}
			pt.cls[k][c] = u
			pt.bit[k][u][c] = 1
		}
	}
	pt.cnt = make([]int64, len(s.pairs)*(V+1)*(V+1))
	pt.icnt = make([]int64, K*(V+1))
	pt.ccnt = make([]int64, len(s.combos))
	pt.mask = make([]uint64, K*(V+1))
	pt.rng = make([][]codeRanges, K)
	for k := 0; k < K; k++ {
		rs := make([]codeRanges, V+1)
		ok := true
		for u := 0; u <= V && ok; u++ {
			in := func(c int) bool { return pt.bit[k][u][c] == 1 }
			if u == 0 {
				in = func(c int) bool { return pt.bit[k][V+1][c] == 0 }
			}
			rs[u], ok = rangesOf(in)
		}
		if ok {
			pt.rng[k] = rs
		}
	}
	return pt
}

// codeRanges is a set of codes as at most two ranges [lo, hi] within
// 0..127, with the addends of the byte-wise tests of classMasks.
type codeRanges struct {
	n      int
	ge, gt [2]uint64 // per range: bytes 0x80−lo and 0x7f−hi
}

// rangesOf returns the codes (as bytes) for which in holds as ranges, and
// false when they are not at most two ranges within 0..127.
func rangesOf(in func(c int) bool) (codeRanges, bool) {
	var r codeRanges
	for c := 0; c < 256; c++ {
		if !in(c) || (c > 0 && in(c-1)) {
			continue
		}
		hi := c
		for hi+1 < 256 && in(hi+1) {
			hi++
		}
		if r.n == 2 || hi > 127 {
			return r, false
		}
		r.ge[r.n] = (0x80 - uint64(c)) * ones8
		r.gt[r.n] = (0x7f - uint64(hi)) * ones8
		r.n++
	}
	return r, true
}

const (
	ones8 = 0x0101010101010101
	high8 = 0x8080808080808080
)

// classMasks2 is classMasks for two slots of at most one range each (the
// share score), with the masks in registers.
func classMasks2(cs []int8, rs []codeRanges, tab [][256]uint8, mk []uint64) {
	ge0, gt0, ge1, gt1 := rs[0].ge[0], rs[0].gt[0], rs[1].ge[0], rs[1].gt[0]
	var m0, m1 uint64
	g := 0
	for ; g+8 <= len(cs); g += 8 {
		c := cs[g : g+8 : g+8]
		x := uint64(uint8(c[0])) | uint64(uint8(c[1]))<<8 | uint64(uint8(c[2]))<<16 | uint64(uint8(c[3]))<<24 |
			uint64(uint8(c[4]))<<32 | uint64(uint8(c[5]))<<40 | uint64(uint8(c[6]))<<48 | uint64(uint8(c[7]))<<56
		keep := high8 &^ x
		l := x &^ high8
		in0 := (l + ge0) &^ (l + gt0) & keep
		in1 := (l + ge1) &^ (l + gt1) & keep
		m0 |= ((in0 >> 7) * 0x0102040810204080 >> 56) << uint(g)
		m1 |= ((in1 >> 7) * 0x0102040810204080 >> 56) << uint(g)
	}
	for j := g; j < len(cs); j++ {
		cd := uint8(cs[j])
		m0 |= uint64(1-tab[2][cd]) << uint(j)
		m1 |= uint64(tab[1][cd]) << uint(j)
	}
	mk[0] = ^m0 & (^uint64(0) >> uint(64-len(cs)))
	mk[1] = m1
}

// classMasks sets mk[u] to the rows of cs (at most 64) in class u and
// mk[0] to those without a valid answer, eight codes at a time: for the
// low seven bits l of a byte, l + 0x80 − lo carries into bit 7 iff
// l ≥ lo and l + 0x7f − hi iff l > hi (no carry leaves the byte), a byte
// with bit 7 set is in no range, and the bytes' bits 7 are gathered by a
// multiplication.
func classMasks(cs []int8, rs []codeRanges, tab [][256]uint8, mk []uint64) {
	V1 := len(mk)
	clear(mk)
	g := 0
	for ; g+8 <= len(cs); g += 8 {
		c := cs[g : g+8 : g+8]
		x := uint64(uint8(c[0])) | uint64(uint8(c[1]))<<8 | uint64(uint8(c[2]))<<16 | uint64(uint8(c[3]))<<24 |
			uint64(uint8(c[4]))<<32 | uint64(uint8(c[5]))<<40 | uint64(uint8(c[6]))<<48 | uint64(uint8(c[7]))<<56
		h := x & high8
		l := x &^ high8
		for u := 0; u < V1; u++ {
			r := &rs[u]
			var in uint64
			for i := 0; i < r.n; i++ {
				in |= (l + r.ge[i]) &^ (l + r.gt[i])
			}
			in &= high8 &^ h
			mk[u] |= ((in >> 7) * 0x0102040810204080 >> 56) << uint(g)
		}
	}
	for j := g; j < len(cs); j++ {
		cd := uint8(cs[j])
		mk[0] |= uint64(1-tab[V1][cd]) << uint(j)
		for u := 1; u < V1; u++ {
			mk[u] |= uint64(tab[u][cd]) << uint(j)
		}
	}
	mk[0] = ^mk[0] & (^uint64(0) >> uint(64-len(cs)))
}

// addSegment adds rows [i0, i1) of cell c, all of weight w0: per block of
// 64 rows, a bit mask per item and class; an item's sums are w0 times the
// popcounts of its masks weighted by the classes' values, a composite's
// ballots those of the OR of its criteria's valid answers, and a pair's
// counts the popcounts of the ANDs of its criteria's masks.
func (s *Sums) addSegment(codes [][]int8, w0 float64, c, i0, i1 int) {
	pt := s.pt
	K, C := s.ne+s.nc, len(s.combos)
	V1 := len(pt.vals) + 1
	rows := i1 - i0
	s.n[c] += int64(rows)
	s.w[c] += w0 * float64(rows)
	cnt, icnt, ccnt := pt.cnt, pt.icnt, pt.ccnt
	clear(cnt)
	clear(icnt)
	clear(ccnt)
	for b0 := i0; b0 < i1; b0 += 64 {
		b1 := min(b0+64, i1)
		all := ^uint64(0) >> uint(64-(b1-b0))
		// masks: slot 0 for no valid answer (class V+1), slot u for class u
		for k := 0; k < K; k++ {
			cs := codes[k][b0:b1]
			mk := pt.mask[k*V1 : k*V1+V1]
			ik := icnt[k*V1 : k*V1+V1]
			if rs := pt.rng[k]; rs != nil {
				if V1 == 2 && rs[0].n <= 1 && rs[1].n <= 1 {
					classMasks2(cs, rs, pt.bit[k], mk)
				} else {
					classMasks(cs, rs, pt.bit[k], mk)
				}
				for u, m := range mk {
					ik[u] += int64(bits.OnesCount64(m))
				}
				continue
			}
			for u := 1; u <= V1; u++ {
				bt := &pt.bit[k][u]
				var m uint64
				for j, cd := range cs {
					m |= uint64(bt[uint8(cd)]) << uint(j)
				}
				mk[u%V1] = m
				ik[u%V1] += int64(bits.OnesCount64(m))
			}
		}
		for m, terms := range s.combos {
			var any uint64
			for _, t := range terms {
				any |= ^pt.mask[(s.ne+t)*V1]
			}
			ccnt[m] += int64(bits.OnesCount64(any & all))
		}
		if V1 == 2 {
			// the share score: masks of no valid answer and of satisfied
			for p, pr := range s.pairs {
				k, l := 2*(s.ne+pr.k), 2*(s.ne+pr.l)
				m0, s0, m1, s1 := pt.mask[k], pt.mask[k+1], pt.mask[l], pt.mask[l+1]
				cp := cnt[4*p : 4*p+4 : 4*p+4]
				cp[0] += int64(bits.OnesCount64(m0 & m1))
				cp[1] += int64(bits.OnesCount64(m0 & s1))
				cp[2] += int64(bits.OnesCount64(s0 & m1))
				cp[3] += int64(bits.OnesCount64(s0 & s1))
			}
			continue
		}
		for p, pr := range s.pairs {
			mk := pt.mask[(s.ne+pr.k)*V1 : (s.ne+pr.k)*V1+V1]
			ml := pt.mask[(s.ne+pr.l)*V1 : (s.ne+pr.l)*V1+V1]
			cp := cnt[p*V1*V1 : p*V1*V1+V1*V1]
			for u, a := range mk {
				if a == 0 {
					continue
				}
				row := cp[u*V1 : u*V1+V1]
				for v, b := range ml {
					row[v] += int64(bits.OnesCount64(a & b))
				}
			}
		}
	}
	for k := 0; k < K; k++ {
		ik := icnt[k*V1 : k*V1+V1]
		var y, yy float64
		for u := 1; u < V1; u++ {
			v := pt.vals[u-1]
			y += v * float64(ik[u])
			yy += v * v * float64(ik[u])
		}
		nv := int64(rows) - ik[0]
		s.y[c*K+k] += w0 * y
		s.yy[c*K+k] += w0 * yy
		s.uy[c*K+k] += y
		s.x[c*K+k] += w0 * float64(nv)
		s.nk[c*K+k] += nv
	}
	for m := range s.combos {
		s.ncomb[c*C+m] += ccnt[m]
		s.wcomb[c*C+m] += w0 * float64(ccnt[m])
	}
	pm := s.pm[c]
	for p := range s.pairs {
		cp := cnt[p*V1*V1 : p*V1*V1+V1*V1]
		var yy, ym, my float64
		for u := 1; u < V1; u++ {
			vu := pt.vals[u-1]
			for v := 1; v < V1; v++ {
				if n := cp[u*V1+v]; n != 0 {
					yy += vu * pt.vals[v-1] * float64(n)
				}
			}
			ym += vu * float64(cp[u*V1])
			my += vu * float64(cp[u])
		}
		q := pm[4*p : 4*p+4]
		q[pairYY] += w0 * yy
		q[pairYM] += w0 * ym
		q[pairMY] += w0 * my
		q[pairMM] += w0 * float64(cp[0])
	}
}

// pairRows adds the pair sums of rows [i0, i1) of cell c one by one (w
// nil: weight 1).
func (s *Sums) pairRows(codes [][]int8, w []float64, c, i0, i1 int) {
	P := len(s.pairs)
	if P == 0 {
		return
	}
	pm := s.pm[c]
	pt := s.pt
	nc := s.nc
	V1 := len(pt.vals) + 1
	for i := i0; i < i1; i++ {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		ys, yv, ms := pt.ys[:0], pt.yv[:0], pt.ms[:0]
		for k := 0; k < nc; k++ {
			switch u := int(pt.cls[s.ne+k][uint8(codes[s.ne+k][i])]); {
			case u == V1:
				ms = append(ms, int32(k))
			case u > 0:
				ys = append(ys, int32(k))
				yv = append(yv, pt.vals[u-1])
			}
		}
		pt.ys, pt.yv, pt.ms = ys, yv, ms
		for a, k := range ys {
			wy := wi * yv[a]
			for b := a + 1; b < len(ys); b++ {
				if p := pt.idx[int(k)*nc+int(ys[b])]; p >= 0 {
					pm[4*p+pairYY] += wy * yv[b]
				}
			}
			for _, l := range ms {
				if k < l {
					if p := pt.idx[int(k)*nc+int(l)]; p >= 0 {
						pm[4*p+pairYM] += wy
					}
				} else if p := pt.idx[int(l)*nc+int(k)]; p >= 0 {
					pm[4*p+pairMY] += wy
				}
			}
		}
		for a, k := range ms {
			for _, l := range ms[a+1:] {
				if p := pt.idx[int(k)*nc+int(l)]; p >= 0 {
					pm[4*p+pairMM] += wi
				}
			}
		}
	}
}

// pairMoments returns the table's cross-products of pair p in cell c
// (in pairParts order) from the accumulated sums.
func (s *Sums) pairMoments(c, p int) [4]float64 {
	K := s.ne + s.nc
	pr := s.pairs[p]
	q := s.pm[c][4*p:]
	k, l := c*K+s.ne+pr.k, c*K+s.ne+pr.l
	return [4]float64{
		q[pairYY],
		s.y[k] - q[pairYM],
		s.y[l] - q[pairMY],
		s.x[k] + s.x[l] - s.w[c] + q[pairMM],
	}
}
