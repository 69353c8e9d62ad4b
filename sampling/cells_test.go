package sampling

import (
	"math"
	"testing"
)

// TestDesignEffectsConstant: the influence values of the total of a
// variable that is 1 on every row are constant, so v_srs is 0 and the
// design effect +Inf, whatever the rounding of s2 − s1²/W (it was ±1e15).
func TestDesignEffectsConstant(t *testing.T) {
	W := 0.1 + 0.2 + 0.3 // s1 and s2 summed in other orders than W
	for _, s := range [][2]float64{{0.3 + 0.2 + 0.1, 0.3 + 0.1 + 0.2}, {W, W}, {0.6000000000000001, 0.6}} {
		d, dw := DesignEffects(2.5, 3, W, s[0], s[1])
		if !math.IsInf(d, 1) || !math.IsInf(dw, 0) && !math.IsNaN(dw) {
			t.Errorf("s1 %v, s2 %v: deff %v, %v; want +Inf", s[0], s[1], d, dw)
		}
	}
	if d, _ := DesignEffects(2.5, 3, 6, 6, 14); math.Abs(d-2.5/(6*(14-6)/2.0)) > 1e-15 {
		t.Errorf("deff %v of a varying r", d)
	}
}
