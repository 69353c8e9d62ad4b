package index

import (
	"math"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"

	"github.com/sipas-go/sipas/internal/golden"
)

// TestImportancePerformanceR compares with R 4.2.2 (testdata/trend.R §5:
// cov.wt(cor = TRUE) on the leave-one-out overall satisfaction, weighted
// satisfied shares, quadrants at the means) on testdata/trend/ipa_data.csv
// (400 respondents, 6 criteria, 12% invalid answers, 5 zero weights).
// 1e-9 relative.
func TestImportancePerformanceR(t *testing.T) {
	data := golden.Rows(t, "../testdata/trend/ipa_data.csv")
	w := make([]float64, len(data))
	sat := make([][]float64, 6)
	for c := range sat {
		sat[c] = make([]float64, len(data))
	}
	for i, r := range data {
		w[i] = golden.Float(t, r["w"])
		for c := range sat {
			sat[c][i] = golden.Float(t, r["X"+strconv.Itoa(c+1)])
		}
	}
	got := ImportancePerformance(sat, w)
	want := golden.Rows(t, "../testdata/trend/ipa.csv")
	if len(want) != 6 {
		t.Fatalf("%d golden rows", len(want))
	}
	for c, r := range want {
		g := got[c]
		if !scalar.EqualWithinAbsOrRel(g.Importance, golden.Float(t, r["importance"]), 0, 1e-9) ||
			!scalar.EqualWithinAbsOrRel(g.Performance, golden.Float(t, r["performance"]), 0, 1e-9) ||
			g.Quadrant.String() != r["quadrant"] {
			t.Errorf("criterion %d: %+v (%s), R %v", c+1, g, g.Quadrant, r)
		}
	}
}

// TestImportancePerformanceQuadrants: a small case built to land one
// criterion in each quadrant.
func TestImportancePerformanceQuadrants(t *testing.T) {
	// Respondents 0..7, equal weights. Criteria 0 and 1 follow a common
	// "mood" m = (1,1,1,1,0,0,0,0); criterion 0 is satisfied only for
	// mood 1 with the first two (low share, high correlation); criterion 1
	// equals the mood (higher share, high correlation); criterion 2 is
	// satisfied by 7 of 8 regardless of mood; criterion 3 by 2 of 8
	// regardless of mood.
	sat := [][]float64{
		{1, 1, 0, 0, 0, 0, 0, 0},
		{1, 1, 1, 1, 0, 0, 0, 0},
		{1, 0, 1, 1, 1, 1, 1, 1},
		{0, 1, 0, 0, 1, 0, 0, 0},
	}
	w := []float64{1, 1, 1, 1, 1, 1, 1, 1}
	got := ImportancePerformance(sat, w)
	want := []Quadrant{QuadrantFixFirst, QuadrantKeepUp, QuadrantOverkill, QuadrantLowPriority}
	for c, q := range want {
		if got[c].Quadrant != q {
			t.Errorf("criterion %d: %+v, want %s", c, got[c], q)
		}
	}
	if got[1].Performance != 50 || got[2].Performance != 87.5 {
		t.Errorf("performance %v %v", got[1].Performance, got[2].Performance)
	}
	// A criterion nobody varies on has no importance.
	got = ImportancePerformance([][]float64{{1, 1, 1}, {0, 1, math.NaN()}}, []float64{1, 1, 1})
	if !math.IsNaN(got[0].Importance) || got[0].Quadrant != QuadrantUnknown || got[0].Quadrant.String() != "" {
		t.Errorf("constant criterion: %+v", got[0])
	}
}
