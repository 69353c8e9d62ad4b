package index

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/index/internal/column"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// SumsWeightsSquared is the column of the sums table of a weighting of a
// design without PSU column that holds each cell's Σ w² of the design
// weights (for the residuals' squares: sampling.UnitResiduals).
const SumsWeightsSquared = "sum_w2"

// readWeightsSquared reads the SumsWeightsSquared column of sums.
func readWeightsSquared(sums arrow.RecordBatch, get func(string) ([]float64, error)) ([]float64, error) {
	if column.Index(sums, SumsWeightsSquared) < 0 {
		return nil, fmt.Errorf("%w: no column %q: the weighting of a design without PSU column is finished from each cell's squared design weights, which this table lacks (it was written without the weighting, or by an older version); compute it again", ErrSums, SumsWeightsSquared)
	}
	return get(SumsWeightsSquared)
}

// unitResiduals makes the unit moments u of cells summed under the design
// weights those of the final weights of the weighting run wres on the
// cells (each cell's factor f[c] = final/design weight, so the squared
// moments scale by f²; a cell of final weight 0 holds no unit of nonzero
// weight) and gives them the weighting's residuals: every step's factor
// is constant within a cell, so each ballot's residual is z_i − w_i A_c
// (sampling.UnitResiduals), A_c from wres.AdjustInfluence on the cells'
// Σ z, and w2 are the cells' Σ w² of the design weights.
func unitResiduals(u *sampling.UnitMoments, wres *weighting.Result, f, w2 []float64) {
	f2 := squares(f)
	for k := range u.YY {
		scaleCells(f2, u.YY[k], u.YX[k], u.XX[k])
	}
	for p := range u.Pairs {
		mp := &u.Pairs[p]
		scaleCells(f2, mp.YY, mp.YX, mp.XY, mp.XX)
	}
	W2 := make([]float64, len(w2))
	for c, v := range w2 {
		W2[c] = v * f2[c]
	}
	for c, w := range wres.Weights {
		if w == 0 {
			u.Positive[c] = 0
		}
	}
	u.Residuals = &sampling.UnitResiduals{W: wres.Weights, W2: W2, Adjust: wres.AdjustInfluence}
}

// withWeightsSquaredSQL adds to the sums query the column
// SumsWeightsSquared, Σ weight² (the count when weight is "": every
// ballot weighs 1).
func withWeightsSquaredSQL(query, weight string) string {
	w2 := "1"
	if weight != "" {
		w2 = "(" + weight + " * " + weight + ")"
	}
	i := strings.LastIndex(query, "\nFROM ")
	return query[:i] + fmt.Sprintf(",\n  SUM(%s) AS %s", w2, SumsWeightsSquared) + query[i:]
}
