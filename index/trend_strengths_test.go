package index

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"

	"github.com/sipas-go/sipas/index/rank"
)

// TestStrengthsWeaknesses by hand: three criteria with z = 3, −2.5 and 1,
// p = 2Φ(−|z|) = 0.0026998, 0.0124193, 0.3173105 (R 2*pnorm(-c(3,2.5,1))).
// BH (n = 3): 0.3173105, min(0.3173, 3/2·0.0124193 = 0.0186290), min(0.0186,
// 3·0.0026998 = 0.0080993) → strength, weakness, level. The element (z = 2,
// p = 0.0455) is its own family: unadjusted, a strength. Holm would give
// 0.0080993, 0.0248386, 0.3173105: the same standings. Expected values
// from R 4.2.2: p.adjust(2*pnorm(-c(3, 2.5, 1)), "BH"), 2*pnorm(-2).
func TestStrengthsWeaknesses(t *testing.T) {
	items := []VsNation{
		{Kind: "criterion", ID: "c1", Diff: 6, SE: 2},
		{Kind: "criterion", ID: "c2", Diff: -5, SE: 2},
		{Kind: "element", ID: "e1", Diff: 2, SE: 1},
		{Kind: "criterion", ID: "c3", Diff: 1, SE: 1},
		{Kind: "criterion", ID: "c4", Diff: math.NaN(), SE: 1},
	}
	got := StrengthsWeaknesses(items, rank.AdjustBH, 0)
	want := []struct {
		padj float64
		s    Standing
	}{
		{0.008099388189780567, StandingStrength},
		{0.018628995977328405, StandingWeakness},
		{0.045500263896358424, StandingStrength},
		{0.31731050786291409, StandingLevel},
		{math.NaN(), StandingLevel},
	}
	for i, w := range want {
		g := got[i]
		if g.Standing != w.s || !(math.IsNaN(w.padj) && math.IsNaN(g.PAdj) || scalar.EqualWithinAbsOrRel(g.PAdj, w.padj, 0, 1e-9)) {
			t.Errorf("%s: %+v, want padj %v %v", g.ID, g, w.padj, w.s)
		}
	}
	if got[0].Standing.String() != "strength" || got[1].Standing.String() != "weakness" || got[3].Standing.String() != "" {
		t.Error("Standing strings")
	}
	// Unadjusted at alpha 0.3: c3 (p 0.317) still level, c1 strength.
	got = StrengthsWeaknesses(items, rank.AdjustNone, 0.3)
	if got[3].Standing != StandingLevel || got[0].Standing != StandingStrength || got[0].PAdj != got[0].P {
		t.Errorf("none: %+v", got)
	}
}
