package weighting

import (
	"fmt"
	"math"
	"sort"
)

// streamTrim is a trimming step solved by passes (after the calibration
// of a Streamed): its absolute bounds, and the factor of proportional
// redistribution or the amounts that R's equal redistribution adds, one
// per round.
type streamTrim struct {
	lo, up float64
	equal  bool
	f      float64
	adds   []float64
}

// apply returns the trimmed weight of a row of entering weight v > 0.
func (t *streamTrim) apply(v float64) float64 {
	if !t.equal {
		return math.Max(t.lo, math.Min(t.f*v, t.up))
	}
	for _, a := range t.adds {
		if v > t.up || v < t.lo {
			v = math.Max(t.lo, math.Min(v, t.up))
		} else {
			v += a
		}
	}
	return v
}

// solveTrim solves the trimming step ts over the weights that each pass
// of weights yields (the calibrated weights, all positive), as Trim on
// them: the median by selection over the weights' bits, the proportional
// factor by locating the piece of Σ clamp(f w_i) that crosses the total
// among the breakpoints' bits, R's equal redistribution one round a pass.
func solveTrim(ts *TrimStep, weights func(func(float64)) error) (*streamTrim, *TrimInfo, error) {
	var n, total float64
	if err := weights(func(v float64) {
		n++
		total += v
	}); err != nil {
		return nil, nil, err
	}
	info := &TrimInfo{Median: math.NaN()}
	up, lo := ts.Max, ts.Min
	if ts.RelativeTo != "absolute" {
		k := int64(n) / 2
		r0 := k
		if int64(n)%2 == 0 {
			r0 = k - 1
		}
		a, b, err := orderStats(weights, r0, k)
		if err != nil {
			return nil, nil, err
		}
		med := a
		if r0 != k {
			med = (a + b) / 2
		}
		info.Median = med
		up *= med
		lo *= med
		if math.IsInf(up, 0) || math.IsInf(lo, 0) {
			return nil, nil, &StepError{Err: ErrSpec, Msg: fmt.Sprintf("the bounds times the median weight %v overflow; give bounds that are multiples of the median (such as 3.5)", med)}
		}
	}
	if up == 0 {
		up = math.Inf(1)
	}
	t := &streamTrim{lo: lo, up: up, equal: ts.Redistribute == "equal"}
	info.Upper, info.Lower = up, lo
	if t.equal {
		for round := 0; ; round++ {
			var excess, inside float64
			nOut := 0
			if err := weights(func(v float64) {
				v = t.apply(v)
				if v > up || v < lo {
					excess += v - math.Max(lo, math.Min(v, up))
					nOut++
				} else {
					inside++
				}
			}); err != nil {
				return nil, nil, err
			}
			if nOut == 0 {
				break
			}
			info.Passes++
			if inside == 0 {
				return nil, nil, &StepError{Err: ErrInfeasible, Msg: fmt.Sprintf("every weight is outside the bounds [%v, %v]; widen them", lo, up)}
			}
			t.adds = append(t.adds, excess/inside)
			if !ts.Strict {
				break
			}
			if float64(info.Passes) > 10*n+100 {
				return nil, nil, &StepError{Err: ErrNotConverged, Msg: fmt.Sprintf("strict trimming did not settle after %d passes; widen the bounds [%v, %v]", info.Passes, lo, up)}
			}
		}
		return t, info, nil
	}
	if n*up < total*(1-1e-12) || n*lo > total*(1+1e-12) {
		return nil, nil, &StepError{Err: ErrInfeasible, Msg: fmt.Sprintf("%v weights summing to %v cannot all lie in [%v, %v] and keep the total; widen the bounds", n, total, lo, up)}
	}
	f, err := clampScaleStream(weights, n, lo, up, total)
	if err != nil {
		return nil, nil, err
	}
	t.f = f
	info.Passes = 1
	return t, info, nil
}

// keyBuckets is the number of buckets a pass splits a range of float64
// bit patterns into.
const keyBuckets = 1 << 16

// bucketShift is the shift that maps the keys lo..hi into keyBuckets
// buckets.
func bucketShift(lo, hi uint64) uint {
	var s uint
	for (hi-lo)>>s >= keyBuckets {
		s++
	}
	return s
}

// orderStats returns the r0-th and r1-th smallest (0-based, r0 ≤ r1) of
// the positive values that each pass of vals yields: each pass counts the
// values in 2^16 buckets of their bit patterns (ordered as the values)
// within the range still holding both ranks, until the range is one
// pattern or holds few enough values to collect.
func orderStats(vals func(func(float64)) error, r0, r1 int64) (float64, float64, error) {
	lo, hi := uint64(0), uint64(math.MaxUint64)
	var below int64 // values under lo
	for {
		shift := bucketShift(lo, hi)
		hist := make([]int64, (hi-lo)>>shift+1)
		var in int64
		if err := vals(func(v float64) {
			if k := math.Float64bits(v); k >= lo && k <= hi {
				hist[(k-lo)>>shift]++
				in++
			}
		}); err != nil {
			return 0, 0, err
		}
		if in <= keyBuckets {
			var got []float64
			if err := vals(func(v float64) {
				if k := math.Float64bits(v); k >= lo && k <= hi {
					got = append(got, v)
				}
			}); err != nil {
				return 0, 0, err
			}
			sort.Float64s(got)
			return got[r0-below], got[r1-below], nil
		}
		b0, b1, seen := -1, -1, below
		var before int64
		for b, c := range hist {
			if b0 < 0 && r0 < seen+c {
				b0, before = b, seen
			}
			if r1 < seen+c {
				b1 = b
				break
			}
			seen += c
		}
		if shift == 0 {
			return math.Float64frombits(lo + uint64(b0)), math.Float64frombits(lo + uint64(b1)), nil
		}
		nlo, nhi := lo+uint64(b0)<<shift, hi
		if top := lo + (uint64(b1)+1)<<shift - 1; top < hi && top >= lo {
			nhi = top
		}
		lo, hi, below = nlo, nhi, before
	}
}

// clampScaleStream is clampScale over passes: S(f) = Σ clamp(f w_i, lo,
// up) is linear between the breakpoints lo/w_i and up/w_i; each pass
// counts the breakpoints (and sums the weights that change the slope) in
// 2^16 buckets of their bit patterns, keeps the state left of the range,
// and narrows the range to the first bucket whose largest breakpoint has
// S ≥ total, until it is one breakpoint: the piece left of it holds the
// root, solved as clampScale does.
func clampScaleStream(weights func(func(float64)) error, n, lo, up, total float64) (float64, error) {
	type bucket struct {
		nLo, nUp, slope float64 // changes of the state
		max             uint64  // largest key
		any             bool
	}
	klo, khi := uint64(0), uint64(math.MaxUint64)
	var last uint64 // the largest breakpoint
	for {
		// the state left of klo: at f → 0+ every unit is at lo
		nLo, nUp, slope := n, 0.0, 0.0
		shift := bucketShift(klo, khi)
		bs := make([]bucket, (khi-klo)>>shift+1)
		event := func(f, w float64, isUp bool) {
			k := math.Float64bits(f)
			dLo, dUp, dS := -1.0, 0.0, w
			if isUp {
				dLo, dUp, dS = 0, 1, -w
			}
			switch {
			case k < klo:
				nLo, nUp, slope = nLo+dLo, nUp+dUp, slope+dS
			case k <= khi:
				b := &bs[(k-klo)>>shift]
				b.nLo, b.nUp, b.slope = b.nLo+dLo, b.nUp+dUp, b.slope+dS
				b.max, b.any = max(b.max, k), true
			}
		}
		if err := weights(func(v float64) {
			event(lo/v, v, false)
			if !math.IsInf(up, 1) {
				event(up/v, v, true)
			}
		}); err != nil {
			return 0, err
		}
		found := -1
		for b, e := range bs {
			if !e.any {
				continue
			}
			last = max(last, e.max)
			// S at the bucket's largest breakpoint (S is continuous)
			if s := (nLo+e.nLo)*lo + (nUp+e.nUp)*up + (slope+e.slope)*math.Float64frombits(e.max); s >= total {
				found = b
				break
			}
			nLo, nUp, slope = nLo+e.nLo, nUp+e.nUp, slope+e.slope
		}
		switch {
		case found < 0 || shift == 0:
			// past every breakpoint, or the first breakpoint at or right
			// of the root: the piece left of it holds the root, whose
			// state one more pass sums in row order (pieceRoot, as
			// clampScale)
			if slope > 0 {
				b := math.Inf(1)
				if found >= 0 {
					b = math.Float64frombits(bs[found].max)
				}
				var err error
				f := pieceRoot(b, lo, up, total, func(fn func(v, c float64)) {
					err = weights(func(v float64) { fn(v, 1) })
				})
				return f, err
			}
			return math.Float64frombits(last), nil
		}
		nklo, nkhi := klo+uint64(found)<<shift, bs[found].max
		klo, khi = nklo, nkhi
	}
}
