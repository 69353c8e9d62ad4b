package sampling

import (
	"math"
	"testing"
)

// TestPPSCovRoundedZero: a Horvitz–Thompson form Σ Ď_ij a_i a_j whose
// terms cancel (Ď's rows sum to zero and every PSU total is the same c) is
// 0 in exact arithmetic; rounded, it comes out negative for some c, and
// ppsCov returns 0 there, while a form that is negative beyond rounding
// keeps its value.
func TestPPSCovRoundedZero(t *testing.T) {
	const P = 7
	dj := make([]float64, P*P)
	for i := range P {
		for j := range P {
			dj[i*P+j] = -1.0 / P
			if i == j {
				dj[i*P+j] += 1
			}
		}
	}
	d := &Design{pps: &desPPS{method: PPSJoint, pi: make([]float64, P), dJoint: dj}}
	negative := 0
	for k := 1; k <= 200; k++ {
		a := make([]float64, P)
		for i := range a {
			a[i] = 0.1 * float64(k)
		}
		// the form as summed without the rounding guard
		var raw, m float64
		for i := range P {
			var s float64
			for j := range P {
				s += dj[i*P+j] * a[j]
				m += math.Abs(dj[i*P+j] * a[i] * a[j])
			}
			raw += a[i] * s
		}
		if math.Abs(raw) > 4*P*0x1p-52*m {
			t.Fatalf("c = %v: the form is %v, beyond rounding of %v", a[0], raw, m)
		}
		if raw < 0 {
			negative++
		}
		if v := d.ppsCov(a, a); v < 0 || math.IsNaN(math.Sqrt(v)) {
			t.Errorf("c = %v: ppsCov = %v, want ≥ 0 (rounding of 0)", a[0], v)
		}
	}
	if negative == 0 {
		t.Fatal("no case rounds below zero: the test checks nothing")
	}
	// Ď with a negative off-diagonal beyond the diagonal: a genuine
	// negative Horvitz–Thompson variance, (.5 + .5 − 2·.6)·1 = −0.2
	d2 := &Design{pps: &desPPS{method: PPSJoint, pi: make([]float64, 2), dJoint: []float64{.5, -.6, -.6, .5}}}
	if v := d2.ppsCov([]float64{1, 1}, []float64{1, 1}); math.Abs(v+0.2) > 1e-15 {
		t.Errorf("a negative variance: %v, want -0.2", v)
	}
}
