//go:build amd64 && !purego

package rank

import "golang.org/x/sys/cpu"

func init() {
	if cpu.X86.HasAVX2 {
		rankPairMax = rankPairMaxAVX2
	}
}

// rankPairMaxAVX2 is rankPairMax with AVX2, 8 then 4 pairs at a time
// (rank_kernel_amd64.s). The caller guarantees len(ib), len(mb) ≥ len(rb).
//
//go:noescape
func rankPairMaxAVX2(za, ma float64, rb, ib, mb []float64) float64
