package synth

import (
	"math"
	"math/rand/v2"
)

// Randomness. Every random stream is a math/rand/v2 PCG generator whose two
// seed words are derived from Config.Seed and a purpose tag (and, where a
// stream belongs to one unit, the unit's index) by splitmix64, so that the
// output does not depend on batch sizes, goroutine scheduling or map order.
//
// Floating point: expressions that combine products are written with explicit
// float64 conversions so that no platform fuses them into FMA instructions
// (the Go spec allows fusion otherwise); the thresholds use math.Erfinv and
// math.Log, whose results may differ in the last bit between architectures
// with and without assembly implementations, which could flip a comparison
// only when a draw falls within one ulp of a threshold (probability ~1e-16).

// splitmix64 is Steele, Lea & Flood's (2014) SplitMix64 finaliser.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Stream tags.
const (
	tagGeo uint64 = iota + 1
	tagEffects
	tagProvWeight
	tagRegister
	tagSurveyPSU
	tagSurveyStratum
	tagCommuneEffect
	tagRespond
	tagFieldwork
	tagBackcheck
)

// stream returns a PCG generator for (seed, tag, a, b).
func stream(seed, tag, a, b uint64) *rand.Rand {
	s1 := splitmix64(seed ^ splitmix64(tag<<48^a))
	s2 := splitmix64(s1 ^ splitmix64(b+0x632be59bd9b4e019))
	return rand.New(rand.NewPCG(s1, s2))
}

// fnv64 is FNV-1a of s.
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// hashNormal returns a standard normal deviate that is a fixed function of
// (seed, tag, year, key), by Box–Muller from two hashed uniforms.
func hashNormal(seed, tag uint64, year int, key string) float64 {
	h := splitmix64(seed ^ splitmix64(tag<<48^uint64(year)) ^ fnv64(key))
	h2 := splitmix64(h)
	u1 := (float64(h>>11) + 0.5) / (1 << 53)
	u2 := float64(h2>>11) / (1 << 53)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// probit is Φ⁻¹(p), the standard normal quantile, via Φ⁻¹(p) = √2·erfinv(2p−1).
func probit(p float64) float64 {
	if p <= 0 {
		return math.Inf(-1)
	}
	if p >= 1 {
		return math.Inf(1)
	}
	return math.Sqrt2 * math.Erfinv(float64(2*p)-1)
}

// normCDF is Φ(x) = erfc(−x/√2)/2.
func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// pick draws an index from the discrete distribution p (which sums to 1).
func pick(r *rand.Rand, p []float64) int {
	u := r.Float64()
	for i, q := range p {
		if u < q {
			return i
		}
		u -= q
	}
	return len(p) - 1
}

// largestRemainder splits total into integer parts proportional to w (w ≥ 0,
// Σw > 0) that sum exactly to total: floors first, then one more to the parts
// with the largest fractional remainders, ties to the lower index
// (Hamilton's method). out must have len(w).
func largestRemainder(total int, w []float64, out []int) {
	var s float64
	for _, x := range w {
		s += x
	}
	if s <= 0 || total <= 0 {
		for i := range out {
			out[i] = 0
		}
		return
	}
	rem := make([]float64, len(w))
	given := 0
	for i, x := range w {
		q := float64(total) * (x / s)
		f := math.Floor(q)
		out[i] = int(f)
		rem[i] = q - f
		given += int(f)
	}
	for given < total {
		best := -1
		for i := range rem {
			if w[i] > 0 && (best < 0 || rem[i] > rem[best]) {
				best = i
			}
		}
		out[best]++
		rem[best] = -1
		given++
	}
}
