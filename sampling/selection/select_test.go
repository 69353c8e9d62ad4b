package selection

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sipas-go/sipas/internal/golden"
)

// TestInclusionProbabilitiesAgainstR compares with R
// sampling::inclusionprobabilities (testdata/sampling/inclusionprobabilities.csv),
// including vectors with several rounds of certainty units.
func TestInclusionProbabilitiesAgainstR(t *testing.T) {
	rows := selReadGolden(t, "inclusionprobabilities.csv")
	var cases []string
	byCase := map[string][]map[string]string{}
	for _, r := range rows {
		if _, ok := byCase[r["case"]]; !ok {
			cases = append(cases, r["case"])
		}
		byCase[r["case"]] = append(byCase[r["case"]], r)
	}
	if len(cases) < 6 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		rs := byCase[c]
		a := make([]float64, len(rs))
		for i, r := range rs {
			a[i] = selF(t, r["a"])
		}
		n := selI(t, rs[0]["n"])
		got := InclusionProbabilities(a, n)
		sum := 0.0
		for i, r := range rs {
			sum += got[i]
			if want := selF(t, r["pik"]); !golden.Close(got[i], want, 1e-9) {
				t.Errorf("%s unit %d: pik %.17g, R %.17g", c, i+1, got[i], want)
			}
		}
		if math.Abs(sum-float64(n)) > 1e-9 {
			t.Errorf("%s: Σ pik = %v, want %d", c, sum, n)
		}
	}
}

// selFreqCheck tests each unit's selection frequency over reps draws
// against its inclusion probability with a per-unit binomial z test,
// |count − R π| ≤ 4.5 √(R π (1 − π)): two-sided level 6.8e-6 per unit,
// so below 1e-3 for the family of units of any test here (Bonferroni). The
// seeds are fixed, so the outcome is deterministic.
func selFreqCheck(t *testing.T, name string, pik []float64, counts []int, reps int) {
	t.Helper()
	for _, msg := range selFreqProblems(name, pik, counts, reps) {
		t.Error(msg)
	}
}

func selFreqProblems(name string, pik []float64, counts []int, reps int) []string {
	var out []string
	for i, p := range pik {
		exp := float64(reps) * p
		sd := math.Sqrt(float64(reps) * p * (1 - p))
		if sd == 0 {
			if float64(counts[i]) != exp {
				out = append(out, fmt.Sprintf("%s unit %d: selected %d times out of %d, π = %v", name, i, counts[i], reps, p))
			}
			continue
		}
		if z := (float64(counts[i]) - exp) / sd; math.Abs(z) > 4.5 {
			out = append(out, fmt.Sprintf("%s unit %d: selected %d times out of %d, expected %.1f (π = %.4f, z = %.2f)", name, i, counts[i], reps, exp, p, z))
		}
	}
	return out
}

func TestSelectionFrequencies(t *testing.T) {
	const reps = 4000
	a := []float64{100, 50, 30, 10, 5, 3, 2, 1, 1, 1, 12, 40, 7, 7, 22}
	pik := InclusionProbabilities(a, 6)
	N, n := 23, 7
	eq := make([]float64, N)
	for i := range eq {
		eq[i] = float64(n) / float64(N)
	}
	cPPS := make([]int, len(a))
	cSRS := make([]int, N)
	cSys := make([]int, N)
	for seed := uint64(1); seed <= reps; seed++ {
		rng := rand.New(rand.NewPCG(seed, 0x5eed))
		s := SelectPPSSystematic(rng, pik)
		if len(s) != 6 {
			t.Fatalf("seed %d: PPS sample of %d, want 6", seed, len(s))
		}
		for _, k := range s {
			cPPS[k]++
		}
		s = SelectSRS(rng, N, n)
		if len(s) != n {
			t.Fatalf("SRS size %d", len(s))
		}
		for _, k := range s {
			cSRS[k]++
		}
		s = SelectSystematic(rng, N, n)
		if len(s) != n {
			t.Fatalf("systematic size %d", len(s))
		}
		for j, k := range s {
			if j > 0 && k <= s[j-1] {
				t.Fatalf("systematic sample not increasing: %v", s)
			}
			cSys[k]++
		}
	}
	selFreqCheck(t, "pps_systematic", pik, cPPS, reps)
	selFreqCheck(t, "srs", eq, cSRS, reps)
	selFreqCheck(t, "systematic", eq, cSys, reps)
}

// TestSelectionFrequencyCheckCanFail makes sure the frequency check rejects
// a biased selection (every unit except the first).
func TestSelectionFrequencyCheckCanFail(t *testing.T) {
	counts := []int{0, 2000, 2000}
	if p := selFreqProblems("biased", []float64{2.0 / 3, 2.0 / 3, 2.0 / 3}, counts, 2000); len(p) != 3 {
		t.Errorf("frequency check found %v; want all three units flagged (0 and 2000 selections for π = 2/3)", p)
	}
	if p := selFreqProblems("fair", []float64{0.5}, []int{1040}, 2000); len(p) != 0 {
		t.Errorf("frequency check rejected 1040/2000 for π = 1/2 (z = 1.8): %v", p)
	}
}

func TestSelectPPSSystematicEdge(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	got := SelectPPSSystematic(rng, []float64{1, 0, 0.5, 0.5, 1})
	if len(got) != 3 || got[0] != 0 || got[len(got)-1] != 4 {
		t.Errorf("certainty units not all taken: %v", got)
	}
	if s := SelectSystematic(rng, 5, 5); len(s) != 5 || s[4] != 4 {
		t.Errorf("systematic census: %v", s)
	}
	if s := SelectSRS(rng, 5, 0); len(s) != 0 {
		t.Errorf("SRS of 0: %v", s)
	}
}

func selTestRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

// Three districts out of nine by PPS on their numbers of transactions: the
// provincial capital (52,000 of 91,500) reaches π ≥ 1 and is taken with
// certainty; the other two are shared among the rest.
func ExampleInclusionProbabilities() {
	pik := InclusionProbabilities([]float64{52000, 8100, 7300, 6600, 5200, 4100, 3900, 2500, 1800}, 3)
	for _, p := range pik {
		fmt.Printf("%.3f ", p)
	}
	fmt.Println()
	// Output: 1.000 0.410 0.370 0.334 0.263 0.208 0.197 0.127 0.091
}
