package main

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// indexNewtonReplicates is indexCalibrated for a replicate variance after
// a raking-ratio, logit or bounded calibration (wst, solved): every
// replicate's calibration is solved by its own Newton iterations, all
// replicates in one pass per iteration (index.SolveNewtonReplicates), and
// one more pass sums the ballots with their final and replicate weights
// (so: the reader options and the province names' transform, whose notes
// finish gives).
func indexNewtonReplicates(e *env, sf *sumsFlags, df *designFlags, path string, spec *sampling.DesignOptions, q *index.Questionnaire, opt *index.Options, format string, notes *runNotes, wst *weighting.Streamed, so *index.StreamOptions, finish func()) error {
	nr, err := solveNewtonReplicates(e, df, path, spec, wst, so)
	if err != nil {
		return err
	}
	if sf.wantStream(path) {
		newtonPasses(e, "index", "ballots", path, wst, nr)
	}
	if p := newProgress(e.stderr, "index", path, sf.streamFlags); p != nil {
		so.Progress = p.update
		defer p.finish()
	}
	s, err := nr.SumFile(e.ctx, path, q, opt, so)
	if err != nil {
		if e.ctx.Err() != nil {
			return e.ctx.Err()
		}
		return questionnaireHint(dataError(path, fmt.Errorf("%w%s", designHint(err), validateHint(err))), q)
	}
	finish()
	tab, err := newtonTable(df, path, nr, s)
	if err != nil {
		return err
	}
	defer tab.Release()
	res, d, err := nr.FromNewtonReplicateSums(e.ctx, tab, s, q, opt)
	if err != nil {
		if e.ctx.Err() != nil {
			return e.ctx.Err()
		}
		return badInput(fmt.Errorf("%s: %w", displayName(path), designHint(err)))
	}
	dj := sumsDesign(d, tab)
	dj.WeightsSum = jsonNum(wst.Result.Final.Sum)
	notes.undefinedWarnings(e.stderr, res.Rows)
	return writeIndexDesign(e.stdout, format, dj, res, opt.By, notes)
}

// solveNewtonReplicates solves the replicates of the calibration wst by
// passes over the file at path (so: its reader options and transform); a
// replicate's failure names it, a bad value its file and row.
func solveNewtonReplicates(e *env, df *designFlags, path string, spec *sampling.DesignOptions, wst *weighting.Streamed, so *index.StreamOptions) (*index.NewtonReplicates, error) {
	nr, err := index.SolveNewtonReplicates(e.ctx, path, spec, wst, so)
	if err != nil {
		if e.ctx.Err() != nil {
			return nil, e.ctx.Err()
		}
		return nil, dataError(path, fmt.Errorf("--weighting %s: %w", df.weighting, err))
	}
	return nr, nil
}

// newtonTable is the table of the sums s of the ballots at path with the
// replicate weights of nr, or the error of a replicate's weight that is
// not positive, which names its row and the row's place in the file.
func newtonTable(df *designFlags, path string, nr *index.NewtonReplicates, s *index.Sums) (arrow.RecordBatch, error) {
	if err := nr.Err(); err != nil {
		return nil, badInput(fmt.Errorf("%s: %w", displayName(path), arrowio.LocateRows(path, fmt.Errorf("--weighting %s: %w", df.weighting, err))))
	}
	tab, err := s.Table(memory.DefaultAllocator)
	if err != nil {
		return nil, badInput(err)
	}
	return tab, nil
}

// newtonPasses says on standard error that command streams path in the
// passes of the calibration wst, those of its replicates nr (Newton
// iterations, or the closed form and trimming of an unbounded linear
// calibration, and the steps after the calibration re-run on every
// replicate's class totals) and one that sums the rows (what names them)
// with their replicate weights.
func newtonPasses(e *env, command, what, path string, wst *weighting.Streamed, nr *index.NewtonReplicates) {
	how := "by its Newton iterations"
	if nr.ClosedForm() {
		how = "in closed form"
	}
	if nr.Trims() {
		how += " and trim its g"
	}
	solve, later := nr.Passes, nr.LaterPasses()
	if later > 0 {
		solve -= later
		how += fmt.Sprintf(", %d re-run the steps after it on every replicate's class totals", later)
	}
	fmt.Fprintf(e.stderr, "sipas %s: streaming %s in %d passes (the calibration needs every row: %d passes solve it, %d solve every replicate's calibration %s, 1 sums the %s with the replicate weights)\n", command, displayName(path), wst.Passes+nr.Passes+1, wst.Passes, solve, how, what)
}

// estimateNewtonReplicates is estimateCalibrated for a replicate variance
// after a raking-ratio, logit or bounded calibration (wst, solved), as
// indexNewtonReplicates.
func estimateNewtonReplicates(e *env, sf *streamFlags, df *designFlags, path string, spec *sampling.DesignOptions, ests []sampling.Estimand,
	contrasts []string, eopt *sampling.EstimateOptions, format string, notes *runNotes, wst *weighting.Streamed, so *index.StreamOptions, finish func()) error {
	nr, err := solveNewtonReplicates(e, df, path, spec, wst, so)
	if err != nil {
		return err
	}
	newtonPasses(e, "estimate", "rows", path, wst, nr)
	if p := newProgress(e.stderr, "estimate", path, sf); p != nil {
		so.Progress = p.update
		defer p.finish()
	}
	s, err := nr.SumEstimandsFile(e.ctx, path, eopt.By, ests, so)
	if err != nil {
		if e.ctx.Err() != nil {
			return e.ctx.Err()
		}
		return dataError(path, designHint(err))
	}
	finish()
	tab, err := newtonTable(df, path, nr, s)
	if err != nil {
		return err
	}
	defer tab.Release()
	d, cells, err := nr.EstimandSums(tab, s, ests, s.Shares())
	if err != nil {
		return badInput(fmt.Errorf("%s: %w", displayName(path), designHint(err)))
	}
	return writeCellEstimates(e, path, spec, tab, d, cells, &wst.Result.Final.Sum, ests, contrasts, eopt, format, notes)
}
