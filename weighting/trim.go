package weighting

import (
	"fmt"
	"math"
	"sort"
)

// Redistribution says how Trim hands the trimmed weight to the other rows.
type Redistribution int

const (
	// Proportional sets w'_i = clamp(f·w_i, Lower, Upper) with the one
	// factor f that keeps Σw' = Σw. With only an upper cap this is the
	// same as capping the weights above Upper, scaling the others up
	// proportionally to keep the total, and repeating until no weight
	// exceeds the cap (a unit capped in a later pass had f_k·w_i > Upper
	// with f increasing over the passes). The relative sizes of the
	// untrimmed weights are preserved.
	Proportional Redistribution = iota
	// Equal adds the same amount Σ(trimmed)/m to each of the m untrimmed
	// weights, once (or, with Strict, until no weight is outside): exactly
	// R survey::trimWeights(design, upper, lower, strict).
	Equal
)

// TrimSettings controls Trim. Upper and Lower are absolute bounds; Upper 0
// means no upper bound and Lower 0 no lower bound.
type TrimSettings struct {
	Upper, Lower float64
	Redistribute Redistribution
	Strict       bool // Equal only: repeat until no weight is outside (R strict = TRUE)
}

// Trim caps weights above Upper (and raises weights below Lower) and
// redistributes the difference over the other non-zero weights so that the
// total Σw is kept. See Redistribution for the two rules. R's trimWeights
// (Equal, Strict false) makes one pass: the redistributed weights may again
// exceed Upper. Proportional returns ErrInfeasible when the total cannot be
// kept inside the bounds (n·Upper < Σw or n·Lower > Σw).
func Trim(w []float64, set TrimSettings) ([]float64, *StepResult, error) {
	return trim(w, nil, set)
}

// trim is Trim where weight w_i stands for cnt_i rows of that weight (cnt
// nil: 1); the weights returned are still per row.
func trim(w, cnt []float64, set TrimSettings) ([]float64, *StepResult, error) {
	count := func(i int) float64 {
		if cnt == nil {
			return 1
		}
		return cnt[i]
	}
	if err := checkWeights(w); err != nil {
		return nil, nil, err
	}
	up, lo := set.Upper, set.Lower
	if up == 0 {
		up = math.Inf(1)
	}
	if !(lo < up) || lo < 0 {
		panic(fmt.Sprintf("weighting: Trim: bounds lower %v, upper %v", set.Lower, set.Upper))
	}
	res := &StepResult{Kind: "trim", Before: Describe(w)}
	info := &TrimInfo{Median: medianCounted(w, cnt), Upper: up, Lower: lo}
	out := append([]float64(nil), w...)
	var total float64
	for i, v := range w {
		total += count(i) * v
	}
	trimmed := make([]bool, len(w))
	for i, v := range w {
		if v != 0 && v > up {
			info.Excess += count(i) * (v - up)
		} else if v != 0 && v < lo {
			info.Excess += count(i) * (v - lo)
		}
	}
	switch set.Redistribute {
	case Equal:
		// R: outside <- pw < lower | pw > upper; pwnew <- pmax(lower, pmin(pw, upper));
		// pwnew[!outside] <- pwnew[!outside] + sum(pw - pwnew)/sum(!outside)
		outside := make([]bool, len(w))
		for {
			var excess, inside float64
			nOut := 0
			for i, v := range out {
				outside[i] = false
				if v == 0 {
					continue
				}
				if v > up || v < lo {
					nv := math.Max(lo, math.Min(v, up))
					excess += count(i) * (v - nv)
					out[i] = nv
					outside[i], trimmed[i] = true, true
					nOut++
				} else {
					inside += count(i)
				}
			}
			if nOut == 0 {
				break
			}
			info.Passes++
			if inside == 0 {
				return nil, nil, &StepError{Err: ErrInfeasible, Msg: fmt.Sprintf("every weight is outside the bounds [%v, %v]; widen them", lo, up)}
			}
			add := excess / inside
			for i, v := range out {
				if v != 0 && !outside[i] {
					out[i] = v + add
				}
			}
			if !set.Strict {
				break
			}
			if info.Passes > 10*len(w)+100 {
				return nil, nil, &StepError{Err: ErrNotConverged, Msg: fmt.Sprintf("strict trimming did not settle after %d passes; widen the bounds [%v, %v]", info.Passes, lo, up)}
			}
		}
	default: // Proportional
		f, err := clampScale(w, cnt, lo, up, total)
		if err != nil {
			return nil, nil, err
		}
		info.Passes = 1
		for i, v := range w {
			if v == 0 {
				continue
			}
			nv := f * v
			if nv > up {
				nv, trimmed[i] = up, true
			} else if nv < lo {
				nv, trimmed[i] = lo, true
			}
			out[i] = nv
		}
	}
	for i, t := range trimmed {
		if t {
			info.Trimmed += int(count(i))
		}
	}
	res.Trim = info
	res.After = Describe(out)
	return out, res, nil
}

// clampScale finds f with Σ_i cnt_i·clamp(f·w_i, lo, up) = total over the
// non-zero weights (cnt nil: 1). S(f) is continuous, non-decreasing and linear between the
// breakpoints lo/w_i and up/w_i, so walk the sorted breakpoints and solve
// the linear piece that crosses total.
func clampScale(w, cnt []float64, lo, up, total float64) (float64, error) {
	// (the piece's state is summed afresh by pieceRoot, in row order, so
	// that the passes' clampScaleStream finds the same f up to rounding of
	// one division)
	type ev struct {
		f  float64
		w  float64 // the weight times its count
		n  float64 // its count
		up bool    // true: unit reaches the upper bound; false: leaves the lower
	}
	var evs []ev
	n := 0.0
	for i, v := range w {
		if v == 0 {
			continue
		}
		c := 1.0
		if cnt != nil {
			c = cnt[i]
		}
		n += c
		evs = append(evs, ev{lo / v, c * v, c, false})
		if !math.IsInf(up, 1) {
			evs = append(evs, ev{up / v, c * v, c, true})
		}
	}
	if n*up < total*(1-1e-12) || n*lo > total*(1+1e-12) {
		return 0, &StepError{Err: ErrInfeasible, Msg: fmt.Sprintf("%v weights summing to %v cannot all lie in [%v, %v] and keep the total; widen the bounds", n, total, lo, up)}
	}
	sort.Slice(evs, func(a, b int) bool {
		if evs[a].f != evs[b].f {
			return evs[a].f < evs[b].f
		}
		return !evs[a].up && evs[b].up
	})
	// at f = 0+: every unit at lo (units with lo = 0 leave at f = 0)
	nLo, nUp, slope := n, 0.0, 0.0
	for k, e := range evs {
		// S is linear on [prev, e.f]: S(f) = nLo·lo + nUp·up + slope·f
		if slope > 0 {
			if s := nLo*lo + nUp*up + slope*e.f; s >= total {
				return pieceRoot(e.f, lo, up, total, func(fn func(v, c float64)) {
					for i, v := range w {
						if v != 0 {
							fn(v, count1(cnt, i))
						}
					}
				}), nil
			}
		}
		if e.up {
			nUp += e.n
			slope -= e.w
		} else {
			nLo -= e.n
			slope += e.w
		}
		if k == len(evs)-1 && slope > 0 {
			return pieceRoot(math.Inf(1), lo, up, total, func(fn func(v, c float64)) {
				for i, v := range w {
					if v != 0 {
						fn(v, count1(cnt, i))
					}
				}
			}), nil
		}
	}
	// total == n·up (or n·lo): every unit at a bound
	return evs[len(evs)-1].f, nil
}

// count1 is cnt[i], or 1 without counts.
func count1(cnt []float64, i int) float64 {
	if cnt == nil {
		return 1
	}
	return cnt[i]
}

// pieceRoot is the root f of Σ clamp(f w_i, lo, up) = total on the piece
// of S left of the breakpoint b (the first breakpoint at or right of the
// root; +Inf: past every one), where S is linear: S(f) = nLo·lo + nUp·up +
// f·Σ_inside w, with a weight at up when up/w < b, else at lo when
// lo/w ≥ b, else inside. each yields every nonzero weight with its count
// in row order; the sums add them in that order.
func pieceRoot(b, lo, up, total float64, each func(func(v, c float64))) float64 {
	var nLo, nUp, slope float64
	each(func(v, c float64) {
		switch {
		case up/v < b:
			nUp += c
		case lo/v >= b:
			nLo += c
		default:
			slope += c * v
		}
	})
	return (total - nLo*lo - nUp*up) / slope
}
