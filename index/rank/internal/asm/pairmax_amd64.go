//go:build amd64 && !purego && !noasm

package asm

import "golang.org/x/sys/cpu"

func init() {
	if cpu.X86.HasAVX2 {
		PairMax = pairMaxAVX2
	}
}

// pairMaxAVX2 is PairMax with AVX2, 8 then 4 pairs at a time
// (pairmax_amd64.s). The caller guarantees len(ib), len(mb) ≥ len(rb).
//
//go:noescape
func pairMaxAVX2(za, ma float64, rb, ib, mb []float64) float64
