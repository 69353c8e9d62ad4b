package weighting

import (
	"context"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
)

// laterRepSupport says whether SolveReplicates can re-run the steps after
// the calibration at index k of spec on every replicate (nil) or why not:
// steps whose factors are functions of the rows' classes (nonresponse,
// post-stratification, raking, calibration to category margins) run on
// each replicate's cell totals; a trimming step's cut-offs and a second
// calibration that needs every row would be each replicate's own
// selection or Newton iterations over the rows.
func laterRepSupport(spec *Spec, k int) error {
	rest := spec.Steps[k+1:]
	for j, st := range rest {
		switch {
		case rowLevelAfter(st):
			return fmt.Errorf("a replicate variance re-runs the steps after the calibration (%s) on every replicate's calibrated weights: a second calibration that needs every row or bounds the final weights (steps[%d]) would be solved again from each replicate's own weights, which the passes over the rows do not do", stepKinds(rest), k+1+j)
		case st.Trim != nil:
			return fmt.Errorf("a replicate variance re-runs the steps after the calibration (%s) on every replicate's calibrated weights: a trimming step's cut-offs (steps[%d]) are each replicate's own (its median, its redistribution), which the passes over the rows do not select per replicate", stepKinds(rest), k+1+j)
		}
	}
	return nil
}

// solveLater re-runs the steps after the calibration (each run on cells of
// its classes, as SolveStream solved them) on every solved replicate, in
// step order: one pass per step sums, per replicate and cell of the step,
// the replicate's weights entering it (its calibrated weights times the
// factors of the later steps already re-run), in row order, and the
// step's plan on the cells runs on each replicate's totals, giving the
// replicate's factor per cell, as Plan.Replicate re-runs the step on the
// replicate's rows. The first pass also finds the replicates whose
// calibrated weights are negative or zero: they fail there, before their
// later steps, as in memory.
func (nr *NewtonReplicates) solveLater(ctx context.Context, scan Scan) error {
	s, R := nr.s, nr.u.R
	cols := nr.Columns()
	nr.failed = make([]error, R)
	for j := range s.later {
		ls := &s.later[j]
		pc := ls.cells
		if pc == nil || pc.plan == nil {
			panic("weighting: SolveReplicates: a later step not run on cells")
		}
		path := fmt.Sprintf("steps[%d].%s", ls.step, ls.spec.Steps[0].Kind())
		nc := len(pc.factor)
		tot := make([][]float64, R)
		for q := range tot {
			if nr.eta[q] != nil && nr.failed[q] == nil {
				tot[q] = make([]float64, nc)
			}
		}
		nr.Passes++
		err := scan(ctx, cols, func(rec arrow.RecordBatch, first int64) error {
			r, reps, err := nr.calibratedReps(rec, first, j == 0)
			if err != nil {
				return err
			}
			if err := nr.laterReps(rec, first, reps, j); err != nil {
				return err
			}
			cell, _, err := pc.cellsOf(rec, first, r.w, false)
			if err != nil {
				return at(err, path)
			}
			for q, t := range tot {
				if t == nil {
					continue
				}
				for i, c := range cell {
					t[c] += reps[q][i]
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if j == 0 {
			nr.failBad()
		}
		fac := make([][]float64, R)
		for q, t := range tot {
			if t == nil || nr.failed[q] != nil {
				continue
			}
			res, err := pc.plan.Run(t)
			if err != nil {
				nr.failed[q] = fmt.Errorf("weighting: replicate %d of %d: %w", q+1, R, renumber(CellRowsError(err, pc.rows), ls.step))
				continue
			}
			f := make([]float64, nc)
			for c, v := range res.Weights {
				if t[c] != 0 {
					f[c] = v / t[c]
				}
			}
			fac[q] = f
		}
		nr.lfac = append(nr.lfac, fac)
	}
	return nil
}

// failBad turns the counts of calibrated replicate weights ≤ 0 that a pass
// of calibratedReps recorded into the replicates' errors (failed) and
// clears the counts, which the sums pass then records afresh for the
// other replicates (none).
func (nr *NewtonReplicates) failBad() {
	R := nr.u.R
	for q, b := range nr.bad {
		if b == 0 {
			continue
		}
		if nr.ncs != nil {
			nr.failed[q] = nr.clusterWeightError(q)
			nr.ncs[q] = newNegClusters()
		} else {
			nr.failed[q] = nr.s.ReplicateWeightError(q, R, b, nr.gmin[q], nr.imin[q])
		}
		nr.bad[q], nr.gmin[q], nr.imin[q] = 0, math.Inf(1), 0
	}
}

// laterReps multiplies the replicate weights reps of the rows of rec by
// every replicate's factors of the first upto later steps (a replicate
// that failed in one of them weighs 0).
func (nr *NewtonReplicates) laterReps(rec arrow.RecordBatch, first int64, reps [][]float64, upto int) error {
	s := nr.s
	for j := range upto {
		ls := &s.later[j]
		cell, _, err := ls.cells.cellsOf(rec, first, reps[0], false)
		if err != nil {
			return at(err, fmt.Sprintf("steps[%d].%s", ls.step, ls.spec.Steps[0].Kind()))
		}
		for q, f := range nr.lfac[j] {
			out := reps[q]
			if f == nil {
				clear(out)
				continue
			}
			for i, c := range cell {
				out[i] *= f[c]
			}
		}
	}
	return nil
}

// LaterPasses is the number of passes that re-ran the steps after the
// calibration on every replicate (one per step; 0: none).
func (nr *NewtonReplicates) LaterPasses() int { return len(nr.lfac) }
