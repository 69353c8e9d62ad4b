package index_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/sipas-go/sipas/index"
	"gonum.org/v1/gonum/mat"
)

// Holm and Benjamini–Hochberg adjustment of the p-values of five provinces'
// changes; the NaN (a province without a previous year) stays out of the
// family.
func ExampleAdjustPValues() {
	p := []float64{0.01, 0.04, math.NaN(), 0.03, 0.2}
	fmt.Printf("holm %.3f\n", index.AdjustPValues(p, index.AdjustHolm))
	fmt.Printf("bh   %.3f\n", index.AdjustPValues(p, index.AdjustBH))
	// Output:
	// holm [0.040 0.090 NaN 0.090 0.200]
	// bh   [0.040 0.053 NaN 0.053 0.200]
}

// A change between two independent yearly samples.
func ExampleCompareIndependent() {
	c := index.CompareIndependent(70, 1.2, 73, 1.6)
	fmt.Printf("change %.1f, SE %.1f, z %.2f, p %.4f\n", c.Change, c.SE, c.Z, c.P)
	// Output:
	// change 3.0, SE 2.0, z 1.50, p 0.1336
}

// Ranks of five provinces with 95% marginal and simultaneous rank
// confidence sets and the probability of being in the top 2.
func ExampleRankDomains() {
	names := []string{"An Giang", "Bắc Ninh", "Cà Mau", "Đà Nẵng", "Hà Nội"}
	est := []float64{78.1, 74.0, 70.2, 85.3, 79.0}
	se := []float64{1.5, 1.2, 1.4, 1.1, 1.6}
	v := make([]float64, len(se))
	for i, s := range se {
		v[i] = s * s
	}
	r, err := index.RankDomains(est, names, mat.NewDiagDense(len(v), v),
		&index.RankOptions{TopK: 2, Rand: rand.New(rand.NewPCG(1, 2))})
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
