package weighting

import (
	"fmt"
	"math"
)

// Redistribution says how Trim hands the trimmed weight to the other rows.
type Redistribution int

const (
	// Proportional scales the untrimmed weights by a common factor, repeating
	// until no weight is outside the bounds (each pass fixes the newly
	// trimmed rows at their bound). The total is kept exactly and the
	// relative sizes of the untrimmed weights are preserved.
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
	info := &TrimInfo{Median: median(w), Upper: up, Lower: lo}
	out := append([]float64(nil), w...)
	var total float64
	nAct := 0
	for _, v := range w {
		if v != 0 {
			total += v
			nAct++
		}
	}
	trimmed := make([]bool, len(w))
	switch set.Redistribute {
	case Equal:
		// R: outside <- pw < lower | pw > upper; pwnew <- pmax(lower, pmin(pw, upper));
		// pwnew[!outside] <- pwnew[!outside] + sum(pw - pwnew)/sum(!outside)
		outside := make([]bool, len(w))
		for {
			var excess float64
			inside, nOut := 0, 0
			for i, v := range out {
				outside[i] = false
				if v == 0 {
					continue
				}
				if v > up || v < lo {
					nv := math.Max(lo, math.Min(v, up))
					excess += v - nv
					out[i] = nv
					outside[i], trimmed[i] = true, true
					nOut++
				} else {
					inside++
				}
			}
			if nOut == 0 {
				break
			}
			info.Passes++
			info.Excess += excess
			if inside == 0 {
				return nil, nil, &StepError{Err: ErrInfeasible, Msg: fmt.Sprintf("every weight is outside the bounds [%v, %v]; widen them", lo, up)}
			}
			add := excess / float64(inside)
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
		if float64(nAct)*up < total*(1-1e-12) || float64(nAct)*lo > total*(1+1e-12) {
			return nil, nil, &StepError{Err: ErrInfeasible, Msg: fmt.Sprintf("%d weights summing to %v cannot all lie in [%v, %v]; widen the bounds", nAct, total, lo, up)}
		}
		for pass := 0; pass <= len(w); pass++ {
			var fixed, free float64
			newly := 0
			for i, v := range out {
				if v == 0 {
					continue
				}
				if !trimmed[i] && (v > up || v < lo) {
					trimmed[i] = true
					newly++
					info.Excess += v - math.Max(lo, math.Min(v, up))
					out[i] = math.Max(lo, math.Min(v, up))
				}
				if trimmed[i] {
					fixed += out[i]
				} else {
					free += out[i]
				}
			}
			if newly == 0 {
				break
			}
			info.Passes++
			if free == 0 {
				break
			}
			f := (total - fixed) / free
			for i, v := range out {
				if v != 0 && !trimmed[i] {
					out[i] = v * f
				}
			}
		}
	}
	for _, t := range trimmed {
		if t {
			info.Trimmed++
		}
	}
	res.Trim = info
	res.After = Describe(out)
	return out, res, nil
}
