package rank

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/mat"
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

// TestRankParallelDeterministic: Domains gives the same critical
// values, sets and top/bottom-k probabilities with 1 and 4 threads (63
// domains, 5,000 draws, stepdown).
func TestRankParallelDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	k := 63
	est := make([]float64, k)
	v := make([]float64, k)
	for i := range k {
		est[i] = 75 + 4*rng.NormFloat64()
		v[i] = 0.5 + rng.Float64()
	}
	cov := mat.NewDiagDense(k, v)
	run := func(procs int) *Ranking {
		prev := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(prev)
		r, err := Domains(est, nil, cov, &Options{Draws: 5000, TopK: 5, Stepdown: true, Rand: rand.New(rand.NewPCG(1, 1))})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b := run(1), run(4)
	if a.CritSimultaneous != b.CritSimultaneous {
		t.Errorf("simultaneous critical value %v, %v", a.CritSimultaneous, b.CritSimultaneous)
	}
	for j := range k {
		if a.CritMarginal[j] != b.CritMarginal[j] || a.PTop[j] != b.PTop[j] || a.PBottom[j] != b.PBottom[j] ||
			a.MarginalLow[j] != b.MarginalLow[j] || a.MarginalHigh[j] != b.MarginalHigh[j] ||
			a.SimultaneousLow[j] != b.SimultaneousLow[j] || a.SimultaneousHigh[j] != b.SimultaneousHigh[j] {
			t.Errorf("domain %d differs between 1 and 4 threads", j)
		}
	}
	s := 0.0
	for _, p := range a.PTop {
		s += p
	}
	if math.Abs(s-5) > 1e-12 {
		t.Errorf("Σ PTop = %v, want 5", s)
	}
}
