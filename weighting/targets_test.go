package weighting

import (
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"gonum.org/v1/gonum/floats/scalar"
)

// TestTargetMisses: trimming after post-stratification moves weight
// between the classes the post-stratification fixed, which no one was
// told. By hand (smallRecord): post-stratifying w = 10,10,20,20 | 5,5,10,10
// to x 100, y 300 gives 16.67,16.67,33.33,33.33 | 50,50,100,100; capping
// at 60 and scaling the rest to keep 400 caps the 100s, then the 70s, and
// leaves x at 100·1.6 = 160 and y at 4·60 = 240: gaps +60 % and −20 %.
func TestTargetMisses(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rec := smallRecord(mem)
	defer rec.Release()
	ps := `{"poststratify": {"by": ["a"], "totals": {"x": 100, "y": 300}}}`
	res, err := Apply(mustSpec(t, `{"design_weight": "w", "steps": [`+ps+`, {"trim": {"max": 60, "relative_to": "absolute"}}]}`), rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Misses) != 2 {
		t.Fatalf("misses %+v, want x and y", res.Misses)
	}
	x, y := res.Misses[0], res.Misses[1] // largest gap first
	if x.Class != "x" || y.Class != "y" || x.Step != "steps[0].poststratify" || x.Trim != "steps[1].trim" || x.Margin != "a" ||
		x.Target != 100 || y.Target != 300 || !scalar.EqualWithinRel(x.Achieved, 160, 1e-12) || !scalar.EqualWithinRel(y.Achieved, 240, 1e-12) {
		t.Errorf("misses %+v", res.Misses)
	}
	if !scalar.EqualWithinRel(x.Gap(), 0.6, 1e-12) || !scalar.EqualWithinRel(y.Gap(), -0.2, 1e-12) {
		t.Errorf("gaps %v %v, want 0.6 and -0.2", x.Gap(), y.Gap())
	}
	want := `steps[0].poststratify: margin a class "x": target 100, final weights total 160 (+60%) after the trimming of steps[1].trim`
	if !strings.HasPrefix(x.String(), want) {
		t.Errorf("%s\nwant prefix %s", x, want)
	}

	// Re-calibrating after the trimming meets the totals again: no miss.
	res, err = Apply(mustSpec(t, `{"design_weight": "w", "steps": [`+ps+`, {"trim": {"max": 60, "relative_to": "absolute"}}, `+ps+`]}`), rec, nil)
	if err != nil || len(res.Misses) != 0 {
		t.Errorf("re-calibrated: misses %+v, err %v", res.Misses, err)
	}
	// No trimming, or a trimming that moves nothing: no miss.
	for _, js := range []string{`[` + ps + `]`, `[` + ps + `, {"trim": {"max": 1000, "relative_to": "absolute"}}]`} {
		res, err = Apply(mustSpec(t, `{"design_weight": "w", "steps": `+js+`}`), rec, nil)
		if err != nil || len(res.Misses) != 0 {
			t.Errorf("%s: misses %+v, err %v", js, res.Misses, err)
		}
	}

	// A numeric calibration total, then a trim: Σ w·x misses its target.
	res, err = Apply(mustSpec(t, `{"design_weight": "w", "steps": [{"calibrate": {"method": "linear", "numeric": {"x": 400}}}, {"trim": {"max": 1.2}}]}`), rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	var sx float64
	for i, v := range []float64{1, 2, 3, 4, 5, 6, 7, 8} {
		sx += res.Weights[i] * v
	}
	if len(res.Misses) != 1 || res.Misses[0].Margin != "x" || res.Misses[0].Class != "" || res.Misses[0].Target != 400 ||
		!scalar.EqualWithinRel(res.Misses[0].Achieved, sx, 1e-12) || math.Abs(sx-400) < 1 {
		t.Errorf("numeric: misses %+v, Σwx %v", res.Misses, sx)
	} else if !strings.Contains(res.Misses[0].String(), "numeric total x: target 400") {
		t.Errorf("numeric: %s", res.Misses[0])
	}
}

// TestTargetMissesCalibrateTrim: calibrate's own trim (R calibrate(trim
// =)) keeps the total but not the margins it calibrated to.
func TestTargetMissesCalibrateTrim(t *testing.T) {
	rec := smallRecord(memory.DefaultAllocator)
	defer rec.Release()
	res, err := Apply(mustSpec(t, `{"design_weight": "w", "steps": [{"calibrate": {"method": "raking", "trim": [0.8, 1.5], "margins": [{"by": ["a"], "totals": {"x": 100, "y": 300}}]}}]}`), rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Misses) == 0 {
		t.Fatalf("no miss; weights %v", res.Weights)
	}
	for _, m := range res.Misses {
		if m.Trim != "steps[0].calibrate.trim" || m.Step != "steps[0].calibrate" {
			t.Errorf("miss %+v", m)
		}
	}
}
