package asm

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPairMaxKernels: the kernel in use (AVX2 on amd64 CPUs that have
// it) gives bit for bit the results of the portable one, for every length
// of the 8- and 4-wide loops and their tails, including zero 1/se (pairs
// with se 0) and equal values.
func TestPairMaxKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for n := range 41 {
		for rep := range 20 {
			za := rng.NormFloat64()
			ma := 0.0
			if rep%2 == 1 {
				ma = 2 * rng.Float64()
			}
			rb, ib, mb := make([]float64, n), make([]float64, n), make([]float64, n)
			for b := range n {
				rb[b] = rng.NormFloat64()
				if rep%5 == 0 && b%3 == 0 {
					rb[b] = za // a zero difference
				}
				ib[b] = 0.5 + rng.Float64()
				if b%7 == 3 {
					ib[b] = 0
				}
				mb[b] = 2 * rng.Float64()
			}
			mb2 := slices.Clone(mb)
			want := PairMaxGo(za, ma, rb, ib, mb)
			got := PairMax(za, ma, rb, ib, mb2)
			if math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("n=%d: max %v, portable %v", n, got, want)
			}
			for b := range n {
				if math.Float64bits(mb2[b]) != math.Float64bits(mb[b]) {
					t.Fatalf("n=%d: mb[%d] = %v, portable %v", n, b, mb2[b], mb[b])
				}
			}
		}
	}
}
