package selection

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrCountsNotMet is wrapped by errors for designs whose counts cannot be
// met: a total larger than the units available, a stage n larger than the
// number of units, a final-stage count larger than the rows of the selected
// units.
var ErrCountsNotMet = errors.New("sample counts cannot be met")

// AllocationSpec says how a domain's sample size is shared across its
// strata. It is the "allocation" object of DESIGN.json. The zero value (or
// a nil pointer) is proportional allocation without bounds.
type AllocationSpec struct {
	// Method is Equal, Proportional (the default when empty), Neyman (with
	// SD), Optimal (with SD and Cost) or Power (with Q).
	Method AllocationMethod `json:"method,omitempty"`
	// Min and Max bound each stratum's count (0: no bound). Both are capped at
	// the stratum's population N_h: a stratum smaller than Min is taken whole.
	Min int `json:"min,omitempty"`
	Max int `json:"max,omitempty"`
	// SD names the frame column holding each stratum's standard deviation
	// S_h (constant within a stratum) for "neyman" and "optimal".
	SD string `json:"sd,omitempty"`
	// Cost names the frame column holding each stratum's cost per ballot c_h
	// (constant within a stratum) for "optimal".
	Cost string `json:"cost,omitempty"`
	// Q is the exponent of power allocation, n_h ∝ N_h^q (Bankier 1988):
	// q = 1 is proportional, q = 0 equal.
	Q float64 `json:"q,omitempty"`
}

// StratumInfo describes one stratum for Allocate.
type StratumInfo struct {
	Key  string  // the stratum's name; ties in rounding go to the smallest Key
	N    int     // population size N_h (units of the final stage)
	SD   float64 // S_h, for "neyman" and "optimal"
	Cost float64 // c_h > 0, cost per ballot, for "optimal"
}

// allocWeights returns the allocation weights a_h (n_h ∝ a_h):
//
//	equal         1
//	proportional  N_h
//	neyman        N_h S_h                (Neyman 1934)
//	optimal       N_h S_h / √c_h         (Cochran 1977, §5.5)
//	power         N_h^q                  (Bankier 1988)
func allocWeights(spec AllocationSpec, strata []StratumInfo) ([]float64, error) {
	w := make([]float64, len(strata))
	for i, s := range strata {
		N := float64(s.N)
		switch spec.Method {
		case Equal:
			w[i] = 1
		case "", Proportional:
			w[i] = N
		case Neyman, Optimal:
			if !(s.SD >= 0) || math.IsInf(s.SD, 0) {
				return nil, fmt.Errorf("stratum %q: allocation.sd is %v; it must be a non-negative number", s.Key, s.SD)
			}
			w[i] = N * s.SD
			if spec.Method == Optimal {
				if !(s.Cost > 0) || math.IsInf(s.Cost, 0) {
					return nil, fmt.Errorf("stratum %q: allocation.cost is %v; it must be a positive number", s.Key, s.Cost)
				}
				w[i] /= math.Sqrt(s.Cost)
			}
		case Power:
			w[i] = math.Pow(N, spec.Q)
		default:
			return nil, fmt.Errorf("allocation.method %q is unknown; use equal, proportional, neyman, optimal or power", spec.Method)
		}
	}
	return w, nil
}

// AllocateFloat returns the continuous allocation of n across strata:
// n_h = R a_h / Σ_free a_k with the allocation weights a_h of the method,
// bounded by lo_h = min(Min, N_h) and hi_h = min(Max, N_h). Strata whose
// share exceeds hi_h are fixed at hi_h (all such at once), then strata below
// lo_h are fixed at lo_h, and the remainder R is shared again among the free
// strata until none violates its bounds; the excess of capped strata thus
// moves to the others. When n < Σ lo_h every stratum gets lo_h (the total
// grows to honour the minimum); when n > Σ hi_h the error wraps
// ErrCountsNotMet.
func AllocateFloat(n int, opt *AllocationSpec, strata []StratumInfo) ([]float64, error) {
	var spec AllocationSpec
	if opt != nil {
		spec = *opt
	}
	if n < 0 {
		panic("selection: Allocate: negative n")
	}
	if spec.Min < 0 || spec.Max < 0 {
		return nil, fmt.Errorf("allocation.min and allocation.max must not be negative")
	}
	if spec.Max > 0 && spec.Min > spec.Max {
		return nil, fmt.Errorf("allocation.min (%d) is larger than allocation.max (%d)", spec.Min, spec.Max)
	}
	if spec.Method == Power && !(spec.Q >= 0 && spec.Q <= 1) {
		return nil, fmt.Errorf("allocation.q is %v; power allocation needs 0 ≤ q ≤ 1", spec.Q)
	}
	H := len(strata)
	x := make([]float64, H)
	if H == 0 {
		if n > 0 {
			return nil, fmt.Errorf("%w: n = %d to allocate but there are no strata", ErrCountsNotMet, n)
		}
		return x, nil
	}
	w, err := allocWeights(spec, strata)
	if err != nil {
		return nil, err
	}
	lo := make([]float64, H)
	hi := make([]float64, H)
	var sumLo, sumHi float64
	for i, s := range strata {
		if s.N < 0 {
			panic("selection: Allocate: negative stratum size")
		}
		hi[i] = float64(s.N)
		if spec.Max > 0 && float64(spec.Max) < hi[i] {
			hi[i] = float64(spec.Max)
		}
		lo[i] = math.Min(float64(spec.Min), float64(s.N))
		sumLo += lo[i]
		sumHi += hi[i]
	}
	fn := float64(n)
	if fn > sumHi {
		return nil, fmt.Errorf("%w: n = %d is larger than the %v units available in the strata (after caps at N_h and allocation.max)", ErrCountsNotMet, n, sumHi)
	}
	if fn <= sumLo {
		copy(x, lo)
		return x, nil
	}
	const (
		free = iota
		atLo
		atHi
	)
	state := make([]int, H)
	for iter := 0; iter <= 2*H+1; iter++ {
		R := fn
		W := 0.0
		for i := range strata {
			switch state[i] {
			case atLo:
				R -= lo[i]
			case atHi:
				R -= hi[i]
			default:
				W += w[i]
			}
		}
		nfree := 0
		for i := range strata {
			if state[i] == free {
				nfree++
				if W > 0 {
					x[i] = R * w[i] / W
				} else {
					x[i] = 0
				}
			} else if state[i] == atLo {
				x[i] = lo[i]
			} else {
				x[i] = hi[i]
			}
		}
		if nfree > 0 && W == 0 && R > 0 {
			return nil, fmt.Errorf("allocation.method %q: every free stratum has weight 0 (zero sd?), cannot share the remaining %v", spec.Method, R)
		}
		over := false
		for i := range strata {
			if state[i] == free && x[i] > hi[i]*(1+1e-12) {
				state[i] = atHi
				over = true
			}
		}
		if over {
			continue
		}
		under := false
		for i := range strata {
			if state[i] == free && x[i] < lo[i]*(1-1e-12) {
				state[i] = atLo
				under = true
			}
		}
		if !under {
			return x, nil
		}
	}
	panic("selection: Allocate: bounds did not converge")
}

// Allocate returns the integer allocation of n across strata: AllocateFloat
// followed by largest-remainder rounding that keeps the total (Hamilton's
// method): each stratum gets ⌊n_h⌋ and the units left over go one each to
// the strata with the largest fractional parts, ties (within 1e-9) to the
// stratum whose Key sorts first. The bounds are integers, so the result
// stays within them. testdata/sampling.R writes the same algorithm in R.
func Allocate(n int, spec *AllocationSpec, strata []StratumInfo) ([]int, error) {
	x, err := AllocateFloat(n, spec, strata)
	if err != nil {
		return nil, err
	}
	return allocRound(x, strata), nil
}

// allocRound rounds x (whose sum is an integer up to rounding error) by
// largest remainder, ties to the smallest key.
func allocRound(x []float64, strata []StratumInfo) []int {
	out := make([]int, len(x))
	frac := make([]float64, len(x))
	total := 0.0
	given := 0
	for i, v := range x {
		total += v
		// A value within 1e-9 below an integer is that integer.
		f := math.Floor(v + 1e-9)
		out[i] = int(f)
		frac[i] = math.Max(v-f, 0)
		given += out[i]
	}
	left := int(math.Round(total)) - given
	if left <= 0 {
		return out
	}
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		fa, fb := frac[idx[a]], frac[idx[b]]
		if math.Abs(fa-fb) > 1e-9 {
			return fa > fb
		}
		return strata[idx[a]].Key < strata[idx[b]].Key
	})
	for k := 0; k < left && k < len(idx); k++ {
		out[idx[k]]++
	}
	return out
}
