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
// columns by pairMoments. Each criterion's answer falls in a class: 0 for a
// valid answer of value 0, u = 1..V for the V nonzero values (pairTabs.vals)
// and V+1 for no valid answer. Rows of one weight are summed 64 at a time as
// bit masks per class, a pair's counts being popcounts of their ANDs; rows
// whose weights differ are summed one by one over their nonzero classes.
const (
	pairYY = iota
	pairYM
	pairMY
	pairMM
)

// pairTabs are the class tables and scratch of the pair sums.
type pairTabs struct {
	vals []float64      // value of class u = 1..V at vals[u-1]
	cls  [][256]uint8   // per criterion: the class of a code
	bit  [][][256]uint8 // per criterion and class 1..V+1: 1 where a code is in it
	idx  []int32        // [k*nc+l], k < l: the pair's index, −1 for none
	cnt  []int64        // per pair (V+1)² counts: [u*(V+1)+v], u, v in 0..V (0: no valid answer, else class)
	mask []uint64       // per criterion V+1 masks: [k*(V+1)+u]
	ys   []int32        // per row: criteria with y ≠ 0, and their values
	yv   []float64
	ms   []int32 // per row: criteria without a valid answer
}

// newPairTabs returns the class tables of s's criteria.
func newPairTabs(s *Sums) *pairTabs {
	nc := s.nc
	pt := &pairTabs{cls: make([][256]uint8, nc), idx: make([]int32, nc*nc)}
	for i := range pt.idx {
		pt.idx[i] = -1
	}
	for p, pr := range s.pairs {
		pt.idx[pr.k*nc+pr.l] = int32(p)
	}
	for k := 0; k < nc; k++ {
		yt, xt := s.ytab[s.ne+k], s.xtab[s.ne+k]
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
	pt.bit = make([][][256]uint8, nc)
	for k := 0; k < nc; k++ {
		yt, xt := s.ytab[s.ne+k], s.xtab[s.ne+k]
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
	pt.mask = make([]uint64, nc*(V+1))
	return pt
}

// addPairs adds the pair sums of rows [i0, i1), all in cell c.
func (s *Sums) addPairs(codes [][]int8, w []float64, c, i0, i1 int) {
	P := len(s.pairs)
	if P == 0 {
		return
	}
	pm := s.pm[c*4*P : (c+1)*4*P]
	for j := i0; j < i1; {
		// a segment of rows of one weight
		w0, e := 1.0, i1
		if w != nil {
			w0, e = w[j], j+1
			for e < i1 && w[e] == w0 {
				e++
			}
		}
		if e-j >= 16 {
			s.pairSegment(codes, w0, pm, j, e)
		} else {
			s.pairRows(codes, w, pm, j, e)
		}
		j = e
	}
}

// pairSegment adds rows [i0, i1), all of weight w0: per block of 64 rows,
// a bit mask per criterion and class, and per pair the popcounts of the
// ANDs of its criteria's masks; then w0 times the counts' values.
func (s *Sums) pairSegment(codes [][]int8, w0 float64, pm []float64, i0, i1 int) {
	pt := s.pt
	V1 := len(pt.vals) + 1
	cnt := pt.cnt
	clear(cnt)
	for b0 := i0; b0 < i1; b0 += 64 {
		b1 := min(b0+64, i1)
		// masks: slot 0 for no valid answer (class V+1), slot u for class u
		for k := 0; k < s.nc; k++ {
			cs := codes[s.ne+k][b0:b1]
			mk := pt.mask[k*V1 : k*V1+V1]
			for u := 1; u <= V1; u++ {
				bt := &pt.bit[k][u]
				var m uint64
				for j, cd := range cs {
					m |= uint64(bt[uint8(cd)]) << uint(j)
				}
				mk[u%V1] = m
			}
		}
		for p, pr := range s.pairs {
			mk := pt.mask[pr.k*V1 : pr.k*V1+V1]
			ml := pt.mask[pr.l*V1 : pr.l*V1+V1]
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

// pairRows adds rows [i0, i1) one by one (w nil: weight 1).
func (s *Sums) pairRows(codes [][]int8, w []float64, pm []float64, i0, i1 int) {
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
			switch u := int(pt.cls[k][uint8(codes[s.ne+k][i])]); {
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
	q := s.pm[c*4*len(s.pairs)+4*p:]
	k, l := c*K+s.ne+pr.k, c*K+s.ne+pr.l
	return [4]float64{
		q[pairYY],
		s.y[k] - q[pairYM],
		s.y[l] - q[pairMY],
		s.x[k] + s.x[l] - s.w[c] + q[pairMM],
	}
}
