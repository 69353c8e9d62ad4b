package main

import (
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
)

// estimateCalibrated computes the means, totals and ratios ests (or their
// contrasts) after a --weighting calibration that needs every row
// (index.CalibratedEstimandSumsSupport accepts spec and df.wspec) in passes over
// the file, as indexCalibrated: weighting.SolveStream solves it, one more
// pass sums the rows with their final weights and their calibration
// terms, and the estimates finish from the cells with the calibration
// residuals; with a replicate method, every replicate's calibration is
// solved from the sums, one more pass checks its weights, and the
// replicate sums give the variance (as indexCalibrated). With --sums-out
// (linearization), the sums table is written with the calibration's record
// in its metadata, which --from-sums finishes (estimateFromSums).
func estimateCalibrated(e *env, sf *sumsFlags, df *designFlags, path string, spec *sampling.DesignOptions, ests []sampling.Estimand,
	contrasts []string, eopt *sampling.EstimateOptions, format string, notes *runNotes) (done bool, err error) {
	wst, err := solveCalibration(e, df, path)
	if err != nil {
		return true, err
	}
	reps := spec.Variance != sampling.Linearization
	newton := reps && wst.ReplicatesSupport() != nil
	if !newton {
		calibrationPasses(e, "estimate", "rows", path, wst, reps)
	}
	// a multistage design: its cells can be as many as the ballots
	// (estimateStreamed)
	bound, per := boundedStream(sf, df, spec, append(slices.Clone(eopt.By), sampling.EstimandColumns(ests)...))
	so := &index.StreamOptions{Read: []arrowio.Option{e.in()}, MaxCellBytesPerRow: bound}
	finish := func() {}
	if df.prov != nil {
		transform, extra, fin, err := df.prov.streamCanonical(e, path, append([]string{df.strata}, eopt.By...), notes)
		if err != nil {
			return true, err
		}
		so.Transform, so.Columns, finish = transform, extra, fin
	}
	if newton {
		return true, estimateNewtonReplicates(e, sf.streamFlags, df, path, spec, ests, contrasts, eopt, format, notes, wst, so, finish)
	}
	if p := newProgress(e.stderr, "estimate", path, sf.streamFlags); p != nil {
		so.Progress = p.update
		defer p.finish()
	}
	s, err := index.SumCalibratedEstimandsFile(e.ctx, path, spec, eopt.By, ests, wst, so)
	if cellsExceeded(e, "estimate", path, per, err) {
		return false, nil
	}
	if err != nil {
		if e.ctx.Err() != nil {
			return true, e.ctx.Err()
		}
		return true, dataError(path, designHint(err))
	}
	finish()
	tab, err := s.Table(memory.DefaultAllocator)
	if err != nil {
		return true, badInput(err)
	}
	defer tab.Release()
	var d *sampling.Design
	var cells []sampling.CellSums
	if reps {
		var cr *index.CalibratedReplicates
		if cr, err = checkedReplicates(e, df, path, tab, spec, wst, append([]string{df.strata}, eopt.By...)); err == nil {
			d, cells, err = index.CalibratedEstimandReplicateSums(e.ctx, tab, spec, cr, ests, s.Shares(), eopt.By)
		}
	} else {
		d, cells, err = index.CalibratedEstimandSums(tab, spec, wst, ests, s.Shares(), eopt.By)
	}
	if err != nil {
		if e.ctx.Err() != nil {
			return true, e.ctx.Err()
		}
		return true, badInput(fmt.Errorf("%s: %w", displayName(path), designHint(err)))
	}
	var save func() error
	if sf.out != "" {
		out, err := index.CalibratedSumsTable(tab, df.wspec, wst)
		if err != nil {
			return true, badInput(err)
		}
		defer out.Release()
		save = func() error { return writeError(arrowio.WriteRecord(sf.out, out)) }
	}
	return true, writeSumsEstimates(e, save, path, spec, tab, d, cells, &wst.Result.Final.Sum, ests, contrasts, eopt, format, notes)
}
