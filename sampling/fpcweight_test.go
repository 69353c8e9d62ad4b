package sampling

import (
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// TestFPCWeight checks the weights from the fpc against weights computed
// independently: mu284's w and ws of testdata/multistage.R (R's N1/n1 ·
// N2/n2 at 15 digits, counts at both stages; ws with strata of their own
// first-stage population and the second stage given as a fraction) at
// 1e-13, and apiclus2's published pw (rounded to 5 digits) at 5e-5; a
// fraction f gives 1/f.
func TestFPCWeight(t *testing.T) {
	mu := msLoad(t, "mu284")
	id1, n1, n2, w := colOf(t, mu, "id1"), colOf(t, mu, "n1"), colOf(t, mu, "n2"), colOf(t, mu, "w")
	N1, ws, frac2, str := colOf(t, mu, "N1"), colOf(t, mu, "ws"), colOf(t, mu, "frac2"), colOf(t, mu, "N1")
	m := map[float64]int{}    // SSUs sampled per PSU
	psus := map[float64]int{} // PSUs per stratum (N1 codes the stratum)
	seen := map[float64]bool{}
	for i, p := range id1 {
		m[p]++
		if !seen[p] {
			seen[p] = true
			psus[str[i]]++
		}
	}
	for i, p := range id1 {
		got := FPCWeight(n1[i], len(m), true) * FPCWeight(n2[i], m[p], true)
		if math.Abs(got-w[i]) > 1e-13*w[i] {
			t.Errorf("mu284 row %d: %.17g, R %.17g", i+1, got, w[i])
		}
		got = FPCWeight(N1[i], psus[str[i]], true) * FPCWeight(frac2[i], m[p], false)
		if math.Abs(got-ws[i]) > 1e-13*ws[i] {
			t.Errorf("mu284 stratified row %d: %.17g, R %.17g", i+1, got, ws[i])
		}
	}
	clus2 := msLoad(t, "apiclus2")
	dnum := colOf(t, clus2, "dnum")
	fpc1, fpc2, pw := colOf(t, clus2, "fpc1"), colOf(t, clus2, "fpc2"), colOf(t, clus2, "pw")
	schools := map[float64]int{}
	for _, d := range dnum {
		schools[d]++
	}
	for i, d := range dnum {
		got := FPCWeight(fpc1[i], len(schools), true) * FPCWeight(fpc2[i], schools[d], true)
		if math.Abs(got-pw[i]) > 5e-5*pw[i] {
			t.Errorf("apiclus2 row %d: %.17g, published pw %v", i+1, got, pw[i])
		}
	}
	for _, f := range []float64{0.25, 0.3, 1} {
		if got := FPCWeight(f, 7, false); math.Abs(got-1/f) > 1e-15/f {
			t.Errorf("fraction %v: %.17g, want 1/f", f, got)
		}
	}
}

// colOf returns the values of rec's numeric column name.
func colOf(t *testing.T, rec arrow.RecordBatch, name string) []float64 {
	t.Helper()
	c, err := arrowio.Column(rec, name)
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := arrowio.Float64s(c)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
