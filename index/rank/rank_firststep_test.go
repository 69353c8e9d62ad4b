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
// depend on GOMAXPROCS nor on the blocks of draws.
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
		vars := make([]float64, k)
		for j := range k {
			vars[j] = sd[j] * sd[j]
		}
		w := newRankWork(make([]float64, k), mat.NewDiagDense(k, vars), true, 0.95, nd)
		prev := runtime.GOMAXPROCS(1)
		m1, s1 := firstStepOf(w, z, nd)
		runtime.GOMAXPROCS(4)
		m4, s4 := firstStepOf(w, z, nd)
		m7, s7 := firstStepOf(w, z, 7)
		runtime.GOMAXPROCS(prev)
		if s1 != s4 || s1 != s7 {
			t.Errorf("K=%d: simultaneous %v with 1 thread, %v with 4, %v in blocks of 7 draws", k, s1, s4, s7)
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
			if m1[j] != m4[j] || m1[j] != m7[j] {
				t.Errorf("K=%d: marginal %d: %v with 1 thread, %v with 4, %v in blocks of 7 draws", k, j, m1[j], m4[j], m7[j])
			}
			if c := critOf(w, hyps); k > 1 && c != m1[j] {
				t.Errorf("K=%d: marginal %d: first step %v, family %v", k, j, m1[j], c)
			}
		}
		if c := critOf(w, all); c != s1 {
			t.Errorf("K=%d: simultaneous: first step %v, family %v", k, s1, c)
		}
	}
}

// firstStepOf runs the first step over the draws z (row-major, nd×K) in
// blocks of blk draws and keeps them column-major for crit.
func firstStepOf(w *rankWork, z []float64, blk int) ([]float64, float64) {
	k, nd := w.k, w.nd
	w.zc = make([]float64, k*nd)
	for d := range nd {
		for j := range k {
			w.zc[j*nd+d] = z[d*k+j]
		}
	}
	f := w.newFirstStep(blk)
	for d0 := 0; d0 < nd; d0 += blk {
		n := min(blk, nd-d0)
		f.add(z[d0*k:(d0+n)*k], d0)
	}
	return f.result()
}

// critOf is crit over the family hyps.
func critOf(w *rankWork, hyps []rankPair) float64 {
	return w.crit(len(hyps), func(i int) rankPair { return hyps[i] }, func(int) bool { return false })
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
