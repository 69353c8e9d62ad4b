package rank_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/sipas-go/sipas/index/rank"
)

// Holm and Benjamini–Hochberg adjustment of the p-values of five provinces'
// changes; the NaN (a province without a previous year) stays out of the
// family.
func ExampleAdjustPValues() {
	p := []float64{0.01, 0.04, math.NaN(), 0.03, 0.2}
	fmt.Printf("holm %.3f\n", rank.AdjustPValues(p, rank.AdjustHolm))
	fmt.Printf("bh   %.3f\n", rank.AdjustPValues(p, rank.AdjustBH))
	// Output:
	// holm [0.040 0.090 NaN 0.090 0.200]
	// bh   [0.040 0.053 NaN 0.053 0.200]
}

// Ranks of five provinces with 95% marginal and simultaneous rank
// confidence sets and the probability of being in the top 2.
func ExampleDomains() {
	names := []string{"An Giang", "Bắc Ninh", "Cà Mau", "Đà Nẵng", "Hà Nội"}
	est := []float64{78.1, 74.0, 70.2, 85.3, 79.0}
	se := []float64{1.5, 1.2, 1.4, 1.1, 1.6}
	v := make([]float64, len(se))
	for i, s := range se {
		v[i] = s * s
	}
	r, err := rank.Domains(est, names, mat.NewDiagDense(len(v), v),
		&rank.Options{TopK: 2, Rand: rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		panic(err)
	}
	for j, n := range names {
		fmt.Printf("%-9s rank %d tier %d marginal [%d, %d] simultaneous [%d, %d] P(top 2) %.2f\n",
			n, r.Rank[j], r.Tier[j], r.MarginalLow[j], r.MarginalHigh[j],
			r.SimultaneousLow[j], r.SimultaneousHigh[j], r.PTop[j])
	}
	// Output:
	// An Giang  rank 3 tier 2 marginal [2, 4] simultaneous [2, 4] P(top 2) 0.33
	// Bắc Ninh  rank 4 tier 3 marginal [3, 5] simultaneous [2, 5] P(top 2) 0.00
	// Cà Mau    rank 5 tier 4 marginal [4, 5] simultaneous [4, 5] P(top 2) 0.00
	// Đà Nẵng   rank 1 tier 1 marginal [1, 1] simultaneous [1, 1] P(top 2) 1.00
	// Hà Nội    rank 2 tier 1 marginal [2, 3] simultaneous [2, 4] P(top 2) 0.67
}
