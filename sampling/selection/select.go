package selection

import (
	"math"
	"math/rand/v2"
	"sort"
)

// InclusionProbabilities returns first-order inclusion probabilities
// proportional to the size measures a for a fixed sample size n, as R
// sampling::inclusionprobabilities (Tillé): π_k = n a_k / Σ a; units whose
// π_k would reach 1 are taken with certainty (π_k = 1) and the others
// recomputed as (n − #certain) a_k / Σ_{not certain} a, repeatedly until no
// further unit reaches 1. Zero sizes get π_k = 0; negative sizes are treated
// as 0, as R does (callers that must reject them check first). All-zero
// sizes give all-zero probabilities. It panics if n < 0 or n exceeds the
// number of positive sizes.
func InclusionProbabilities(a []float64, n int) []float64 {
	pik := make([]float64, len(a))
	if n < 0 {
		panic("selection: InclusionProbabilities: negative n")
	}
	sum := 0.0
	pos := 0
	for _, v := range a {
		if v > 0 {
			sum += v
			pos++
		}
	}
	if sum == 0 {
		return pik
	}
	if math.IsInf(sum*float64(n), 1) {
		// Sizes near the largest float: the same probabilities from the
		// sizes relative to the largest one.
		top := 0.0
		for _, v := range a {
			top = max(top, v)
		}
		b := make([]float64, len(a))
		for i, v := range a {
			b[i] = v / top
		}
		return InclusionProbabilities(b, n)
	}
	if n > pos {
		panic("selection: InclusionProbabilities: n exceeds the number of units with a positive size")
	}
	fn := float64(n)
	for i, v := range a {
		if v > 0 {
			pik[i] = fn * v / sum
		}
	}
	cert := make([]bool, len(a))
	l := 0
	for i := range pik {
		if a[i] > 0 && pik[i] >= 1 {
			cert[i] = true
			l++
		}
	}
	l1 := 0
	for l != l1 {
		s := 0.0
		for i, v := range a {
			if v > 0 && !cert[i] {
				s += v
			}
		}
		for i, v := range a {
			if v <= 0 {
				continue
			}
			if cert[i] {
				pik[i] = 1
			} else {
				pik[i] = float64(n-l) * (v / s)
			}
		}
		l1 = l
		l = 0
		for i := range pik {
			if a[i] > 0 && pik[i] >= 1 {
				cert[i] = true
				l++
			}
		}
	}
	return pik
}

// SelectSRS draws a simple random sample without replacement of n out of
// units 0..N−1 (partial Fisher–Yates shuffle) and returns the selected
// indices in increasing order. Each unit's inclusion probability is n/N.
// It panics if n < 0 or n > N.
func SelectSRS(rng *rand.Rand, N, n int) []int {
	if n < 0 || n > N {
		panic("selection: SelectSRS: n out of range")
	}
	perm := selSRSOrdered(rng, N, n)
	sort.Ints(perm)
	return perm
}

// selSRSOrdered draws n of 0..N−1 without replacement and returns them in
// the (random) order of the draws.
func selSRSOrdered(rng *rand.Rand, N, n int) []int {
	idx := make([]int, N)
	for i := range idx {
		idx[i] = i
	}
	for i := 0; i < n; i++ {
		j := i + rng.IntN(N-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	return idx[:n:n]
}

// SelectSystematic draws a systematic sample of n out of the units 0..N−1 in
// list order with a fractional interval k = N/n and a random start
// u ~ U(0, k): the units at positions ⌊u + j k⌋, j = 0..n−1. Each unit's
// inclusion probability is n/N; sorting the list first gives implicit
// stratification. It returns the indices in increasing order and panics if
// n < 0 or n > N.
func SelectSystematic(rng *rand.Rand, N, n int) []int {
	if n < 0 || n > N {
		panic("selection: SelectSystematic: n out of range")
	}
	out := make([]int, n)
	if n == 0 {
		return out
	}
	k := float64(N) / float64(n)
	u := rng.Float64() * k
	for j := range out {
		// The explicit conversion forbids a fused multiply-add (Go spec), so
		// that every platform selects the same positions.
		p := int(math.Floor(u + float64(float64(j)*k)))
		if p >= N {
			p = N - 1
		}
		if j > 0 && p <= out[j-1] {
			p = out[j-1] + 1
		}
		out[j] = p
	}
	return out
}

// selEps is the tolerance of SelectPPSSystematic for probabilities 0 and 1,
// as eps = 1e-6 in R sampling::UPsystematic.
const selEps = 1e-6

// SelectPPSSystematic draws a systematic sample with unequal probabilities
// pik in list order, as R sampling::UPsystematic (Madow 1949): with
// u ~ U(0, 1) and the cumulated probabilities V_k = Σ_{j≤k} π_j, unit k is
// selected when the interval [V_{k−1}, V_k) contains u + m for an integer
// m; units with π_k ≥ 1 − 1e-6 are always taken and those with π_k ≤ 1e-6
// never. The sample size is Σ π_k when that sum is an integer. It returns
// the selected indices in increasing order and panics if a π_k is outside
// [0, 1] or NaN.
func SelectPPSSystematic(rng *rand.Rand, pik []float64) []int {
	var out []int
	u := rng.Float64()
	cum := 0.0
	prev := selFrac(-u)
	for k, p := range pik {
		if !(p >= 0 && p <= 1+1e-9) {
			panic("selection: SelectPPSSystematic: probability outside [0, 1]")
		}
		switch {
		case p >= 1-selEps:
			out = append(out, k)
			continue
		case p <= selEps:
			continue
		}
		cum += p
		a := selFrac(cum - u)
		if prev > a {
			out = append(out, k)
		}
		prev = a
	}
	return out
}

// selFrac is x mod 1 in [0, 1), as R's x %% 1.
func selFrac(x float64) float64 {
	return x - math.Floor(x)
}
