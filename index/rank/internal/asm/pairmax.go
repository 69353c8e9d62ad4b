// Package asm holds the inner loop of the rank confidence sets with an AVX2
// implementation for amd64 CPUs that have it and a pure Go one for every
// other platform. The build tags noasm or purego leave the assembly out.
// The assembly stays while a same-run benchmark shows it wins
// (BenchmarkRankDomains of package rank built with and without -tags
// purego).
package asm

import "math"

// PairMax is the inner loop of the rank first step for one domain a of one
// draw: with v_b = |za − rb[b]|·ib[b] (the standardised difference
// |Z_a − Z_b|/se_ab of a and each later domain b), it raises mb[b] to v_b
// where smaller and returns max(ma, max_b v_b). All values are ≥ 0 and
// never NaN, so the order of the max operations does not change the
// result. len(ib) and len(mb) must be at least len(rb). On amd64 CPUs with
// AVX2 it is the assembly kernel, bit for bit the same results as PairMaxGo
// (the same subtractions, absolute values and products; max is exact).
var PairMax = PairMaxGo

// PairMaxGo is the portable PairMax: two interleaved maxima break the
// dependency chain of max (2.3× faster than one).
func PairMaxGo(za, ma float64, rb, ib, mb []float64) float64 {
	ib = ib[:len(rb)]
	mb = mb[:len(rb)]
	ma0, ma1 := ma, ma
	b := 0
	for ; b+1 < len(rb); b += 2 {
		v0 := math.Abs(za-rb[b]) * ib[b]
		v1 := math.Abs(za-rb[b+1]) * ib[b+1]
		ma0, ma1 = max(ma0, v0), max(ma1, v1)
		mb[b], mb[b+1] = max(mb[b], v0), max(mb[b+1], v1)
	}
	if b < len(rb) {
		v0 := math.Abs(za-rb[b]) * ib[b]
		ma0 = max(ma0, v0)
		mb[b] = max(mb[b], v0)
	}
	return max(ma0, ma1)
}
