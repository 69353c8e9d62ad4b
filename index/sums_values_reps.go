package index

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// estimandRepCells re-runs the steps of ws on every replicate of spec's
// replicate design over the cells of the estimand sums table tab, whose
// design weight totals are w0 and row counts cnt (cellReplicates), and
// makes the cells rows of that replicate design (cellRepRows): it returns
// their weights, the replicate weight columns to add to tab (the caller
// releases them), sets ds to those supplied replicates, and divides the
// sums of out, already scaled to the final weights of wres, by the cells'
// weights (sampling.CellSums are per unit of a cell's weight).
func estimandRepCells(ctx context.Context, tab arrow.RecordBatch, spec *sampling.DesignOptions, ws *weighting.Spec, wres *weighting.Result, w0, cnt []float64, out []sampling.CellSums, ds *sampling.DesignOptions) ([]float64, []arrow.Field, []arrow.Array, error) {
	reps, err := cellReplicates(ctx, tab, spec, ws, w0, cnt)
	if err != nil {
		return nil, nil, nil, err
	}
	rows := make([]int64, len(cnt))
	for c, v := range cnt {
		rows[c] = int64(v)
	}
	m, fields, cols := cellRepRows(wres, reps, rows, ds)
	for k := range out {
		cs := &out[k]
		perUnit(m, cs.Y, cs.X, cs.W, cs.YY, cs.XY, cs.XX)
	}
	return m, fields, cols, nil
}
