package index

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestRankFirstStepExact checks the one-pass, parallel first step against
// the per-family critical value (crit, one family at a time over both
// orders of every pair) exactly, for K = 1, 2, 7 (odd, the unrolled loop's
// tail) and 63 domains with unequal SEs, and that the results do not
// depend on GOMAXPROCS.
func TestRankFirstStepExact(t *testing.T) {
	for _, k := range []int{1, 2, 7, 63} {
		rng := rand.New(rand.NewPCG(uint64(k), 9))
		nd := 3001
		z := make([]float64, k*nd)
		sd := make([]float64, k)
		for j := range sd {
			sd[j] = 0.5 + rng.Float64()
		}
		for d := range nd {
			for j := range k {
				z[d*k+j] = sd[j] * rng.NormFloat64()
			}
		}
		inv := make([]float64, k*k)
		for a := range k {
			for b := range k {
				if a != b {
					inv[a*k+b] = 1 / math.Sqrt(sd[a]*sd[a]+sd[b]*sd[b])
				}
			}
		}
		w := rankWork{k: k, z: z, inv: inv, level: 0.95, buf: make([]float64, nd)}
		prev := runtime.GOMAXPROCS(1)
		m1, s1 := w.firstStep()
		runtime.GOMAXPROCS(4)
		m4, s4 := w.firstStep()
		runtime.GOMAXPROCS(prev)
		if s1 != s4 {
			t.Errorf("K=%d: simultaneous %v with 1 thread, %v with 4", k, s1, s4)
		}
		var all []rankPair
		for j := range k {
			var hyps []rankPair
			for l := range k {
				if l != j {
					hyps = append(hyps, rankPair{j, l}, rankPair{l, j})
					if l > j {
						all = append(all, rankPair{j, l}, rankPair{l, j})
					}
				}
			}
			if m1[j] != m4[j] {
				t.Errorf("K=%d: marginal %d: %v with 1 thread, %v with 4", k, j, m1[j], m4[j])
			}
			if c := w.crit(hyps); k > 1 && c != m1[j] {
				t.Errorf("K=%d: marginal %d: first step %v, family %v", k, j, m1[j], c)
			}
		}
		if c := w.crit(all); c != s1 {
			t.Errorf("K=%d: simultaneous: first step %v, family %v", k, s1, c)
		}
	}
}
