package weighting

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
)

// laterRepSupport says whether SolveReplicates can re-run the steps after
// the calibration at index k of spec on every replicate (nil) or why not:
// steps whose factors are functions of the rows' classes (nonresponse,
// post-stratification, raking, calibration to category margins) run on
// each replicate's cell totals, trimming steps on each replicate's
// weights (its own median and redistribution); a second calibration that
// needs every row would be each replicate's own solve over the rows.
func laterRepSupport(spec *Spec, k int) error {
	rest := spec.Steps[k+1:]
	for j, st := range rest {
		switch {
		case rowLevelAfter(st):
			return fmt.Errorf("a replicate variance re-runs the steps after the calibration (%s) on every replicate's calibrated weights: a second calibration that needs every row or bounds the final weights (steps[%d]) would be solved again from each replicate's own weights, which the passes over the rows do not do", stepKinds(rest), k+1+j)
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
		path := fmt.Sprintf("steps[%d].%s", ls.step, ls.spec.Steps[0].Kind())
		if ls.trim != nil {
			tr, err := nr.solveLaterTrim(ctx, scan, cols, j, path)
			if err != nil {
				return err
			}
			nr.lfac, nr.ltrim = append(nr.lfac, nil), append(nr.ltrim, tr)
			continue
		}
		pc := ls.cells
		if pc == nil || pc.plan == nil {
			panic("weighting: SolveReplicates: a later step not run on cells")
		}
		nc := len(pc.factor)
		tot := make([][]float64, R)
		for q := range tot {
			if nr.eta[q] != nil && nr.failed[q] == nil {
				tot[q] = make([]float64, nc)
			}
		}
		nr.Passes++
		nr.laterPasses++
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
		nr.lfac, nr.ltrim = append(nr.lfac, fac), append(nr.ltrim, nil)
	}
	return nil
}

// solveLaterTrim solves the trimming step j after the calibration for
// every replicate still solved, as SolveStream solves it for the full
// sample (solveTrim: the count and total, the median by selection, the
// proportional factor or R's equal redistribution) on the replicate's
// nonzero weights entering the step: each replicate runs solveTrim on its
// own goroutine, and every pass over the rows serves the replicates
// waiting for one (as many passes as the slowest replicate's). With j = 0,
// the first pass also finds the replicates whose calibrated weights are
// negative or zero (failBad), whose trimming is then dropped.
func (nr *NewtonReplicates) solveLaterTrim(ctx context.Context, scan Scan, cols []string, j int, path string) ([]*streamTrim, error) {
	s, R := nr.s, nr.u.R
	ts := s.later[j].spec.Steps[0].Trim
	type msg struct {
		q    int
		fn   func(float64)
		done bool
	}
	msgs := make(chan msg)
	replies := make([]chan error, R)
	out, errs := make([]*streamTrim, R), make([]error, R)
	live := 0
	for q := 0; q < R; q++ {
		if nr.eta[q] == nil || nr.failed[q] != nil {
			continue
		}
		live++
		replies[q] = make(chan error)
		go func() {
			weights := func(fn func(float64)) error {
				msgs <- msg{q: q, fn: fn}
				return <-replies[q]
			}
			out[q], _, errs[q] = solveTrim(ts, weights)
			msgs <- msg{q: q, done: true}
		}()
	}
	record := j == 0
	var perr error
	for live > 0 {
		var want []msg
		for range live {
			m := <-msgs
			if m.done {
				live--
			} else {
				want = append(want, m)
			}
		}
		if len(want) == 0 {
			break
		}
		if perr == nil {
			nr.Passes++
			nr.laterPasses++
			perr = scan(ctx, cols, func(rec arrow.RecordBatch, first int64) error {
				_, reps, err := nr.calibratedReps(rec, first, record)
				if err != nil {
					return err
				}
				if err := nr.laterReps(rec, first, reps, j); err != nil {
					return err
				}
				// the replicates in two halves, one per core: each
				// replicate's sums still add the rows in order
				var wg sync.WaitGroup
				h := (len(want) + 1) / 2
				for _, part := range [][]msg{want[:h], want[h:]} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for _, m := range part {
							for _, v := range reps[m.q] {
								if v != 0 {
									m.fn(v)
								}
							}
						}
					}()
				}
				wg.Wait()
				return nil
			})
			if record {
				record = false
				nr.failBad()
			}
		}
		for _, m := range want {
			replies[m.q] <- perr
		}
	}
	if perr != nil {
		return nil, perr
	}
	for q, err := range errs {
		if err != nil && nr.failed[q] == nil {
			nr.failed[q] = fmt.Errorf("weighting: replicate %d of %d: %w", q+1, R, at(err, path))
			out[q] = nil
		}
	}
	return out, nil
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
		if ls.trim != nil {
			trimReps(reps, nr.ltrim[j])
			continue
		}
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

// trimReps trims the replicate weights reps by every replicate's trimming
// tr (nil: the replicate failed, and weighs 0).
func trimReps(reps [][]float64, tr []*streamTrim) {
	for q, t := range tr {
		out := reps[q]
		if t == nil {
			clear(out)
			continue
		}
		for i, v := range out {
			if v != 0 {
				out[i] = t.apply(v)
			}
		}
	}
}

// LaterPasses is the number of passes that re-ran the steps after the
// calibration on every replicate (one per class step, those of the
// slowest replicate's trimming per trimming step; 0: none).
func (nr *NewtonReplicates) LaterPasses() int { return nr.laterPasses }
