package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// indexCalibrated computes the indices after a --weighting calibration
// that needs every row (numeric variables, per-row bounds, a working-model
// variance, cluster aggregates; then, optionally, trimming; after steps
// that run on classes: nonresponse, post-stratification, raking, category
// calibration, trimming) in passes over the file: weighting.SolveStream solves it, one
// more pass sums the ballots with their final weights, and the indices
// finish from the cells with the calibration residuals. It reports done =
// false with the reason in why when the run cannot stream (the caller then
// reads the file into memory), and done = false, why = nil for a small
// file (read into memory unless --stream).
func indexCalibrated(e *env, sf *sumsFlags, df *designFlags, path string, spec *sampling.DesignOptions, q *index.Questionnaire, opt *index.Options, format string, notes *runNotes) (done bool, why, err error) {
	why = index.CalibratedSumsSupport(spec, df.wspec)
	switch {
	case why != nil:
	case opt.CI == sampling.Likelihood:
		why = fmt.Errorf("the likelihood interval profiles the model on the ballots")
	}
	reps := spec.Variance != sampling.Linearization
	if why == nil && sf.out != "" && reps {
		why = errCalRepSumsTable
	}
	if why == nil && sf.out != "" {
		why = weighting.SolvedSupport(df.wspec)
	}
	if why != nil {
		return false, why, nil
	}
	if sf.out != "" {
		if err := calibratedSumsOut(sf.out, path, "--in"); err != nil {
			return true, nil, err
		}
	} else if st, err := os.Stat(path); !sf.stream && (err != nil || st.Size() < streamMin) {
		return false, nil, nil
	}
	wst, err := solveCalibration(e, df, path)
	if err != nil {
		return true, nil, err
	}
	newton := reps && wst.ReplicatesSupport() != nil
	if (sf.wantStream(path) || sf.out != "") && !newton {
		calibrationPasses(e, "index", "ballots", path, wst, reps)
	}
	// a multistage design: its cells can be as many as the ballots
	// (indexStreamed)
	bound, per := boundedStream(sf, df, spec, indexColumns(q, opt))
	so := &index.StreamOptions{Read: []arrowio.Option{e.in()}, MaxCellBytesPerRow: bound}
	finish := func() {}
	if df.prov != nil {
		transform, extra, fin, err := df.prov.streamCanonical(e, path, append([]string{df.strata}, df.provUsed...), df.notes)
		if err != nil {
			return true, nil, err
		}
		so.Transform, so.Columns, finish = transform, extra, fin
	}
	if newton {
		return true, nil, indexNewtonReplicates(e, sf, df, path, spec, q, opt, format, notes, wst, so, finish)
	}
	if p := newProgress(e.stderr, "index", path, sf.streamFlags); p != nil {
		so.Progress = p.update
		defer p.finish()
	}
	s, err := index.SumCalibratedFile(e.ctx, path, q, spec, opt, wst, so)
	if cellsExceeded(e, "index", path, per, err) {
		return false, err, nil
	}
	if err != nil {
		if e.ctx.Err() != nil {
			return true, nil, e.ctx.Err()
		}
		return true, nil, questionnaireHint(dataError(path, fmt.Errorf("%w%s", designHint(err), validateHint(err))), q)
	}
	finish()
	tab, err := s.Table(memory.DefaultAllocator)
	if err != nil {
		return true, nil, badInput(err)
	}
	defer tab.Release()
	var res *index.Result
	var d *sampling.Design
	if reps {
		var cr *index.CalibratedReplicates
		if cr, err = checkedReplicates(e, df, path, tab, spec, wst, append([]string{df.strata}, df.provUsed...)); err == nil {
			res, d, err = index.FromCalibratedReplicateSums(e.ctx, tab, q, spec, cr, opt)
		}
	} else {
		res, d, err = index.FromCalibratedSums(e.ctx, tab, q, spec, wst, opt)
	}
	if err != nil {
		if e.ctx.Err() != nil {
			return true, nil, e.ctx.Err()
		}
		return true, nil, badInput(fmt.Errorf("%s: %w", displayName(path), designHint(err)))
	}
	if sf.out != "" {
		out, err := index.CalibratedSumsTable(tab, df.wspec, wst)
		if err != nil {
			return true, nil, badInput(err)
		}
		defer out.Release()
		if err := arrowio.WriteRecord(sf.out, out); err != nil {
			return true, nil, writeError(err)
		}
	}
	dj := sumsDesign(d, tab)
	dj.WeightsSum = jsonNum(wst.Result.Final.Sum)
	notes.undefinedWarnings(e.stderr, res.Rows)
	return true, nil, writeIndexDesign(e.stdout, format, dj, res, opt.By, notes)
}

// errCalRepSumsTable says why the sums table of a calibration that needs
// every ballot cannot stand for generated replicates.
var errCalRepSumsTable = errors.New("the replicates of a calibration that needs every ballot are calibrated again in each replicate from the ballots' own terms, which the sums table does not carry; use --variance linearization for a sums table, or run without --sums-out")

// calibratedSumsOut checks the --sums-out file of a calibration that
// needs every ballot: not the input (of flag inFlag), and a format that keeps the
// calibration's record in its metadata.
func calibratedSumsOut(out, in, inFlag string) error {
	if sameFile(out, in) {
		return usagef("--sums-out %s would overwrite %s", out, inFlag)
	}
	if f, err := arrowio.FormatOf(out); err == nil && f != arrowio.Parquet && f != arrowio.IPCFile && f != arrowio.IPCStream {
		return usagef("--sums-out %s: the sums of a calibration that needs every ballot carry the calibration's solve in the file's metadata, which %s cannot keep; write .parquet, .arrow or .arrows", out, f)
	}
	return nil
}

// indexFromCalibratedSums finishes the indices from the sums table tab
// written by --sums-out after the --weighting calibration that needs every
// ballot (its record in the table's metadata).
func indexFromCalibratedSums(e *env, sf *sumsFlags, df *designFlags, tab arrow.RecordBatch, spec *sampling.DesignOptions, q *index.Questionnaire, opt *index.Options, format string) error {
	if sf.out != "" {
		if err := calibratedSumsOut(sf.out, sf.from, "--from-sums"); err != nil {
			return err
		}
	}
	res, d, st, err := index.FromCalibratedSumsTable(e.ctx, tab, q, spec, df.wspec, opt)
	if err != nil {
		return badInput(fmt.Errorf("%s: --weighting %s: %w", displayName(sf.from), df.weighting, designHint(err)))
	}
	if sf.out != "" {
		if err := arrowio.WriteRecord(sf.out, tab); err != nil {
			return writeError(err)
		}
	}
	dj := sumsDesign(d, tab)
	dj.WeightsSum = jsonNum(st.Result.Final.Sum)
	notes := &runNotes{}
	notes.undefinedWarnings(e.stderr, res.Rows)
	return writeIndexDesign(e.stdout, format, dj, res, opt.By, notes)
}

// checkedReplicates solves every replicate's calibration after wst from
// the sums table tab and checks the replicate weights in one more pass
// over the file at path (its province names made canonical as the sums
// pass made them, in the columns cols).
func checkedReplicates(e *env, df *designFlags, path string, tab arrow.RecordBatch, spec *sampling.DesignOptions, wst *weighting.Streamed, cols []string) (*index.CalibratedReplicates, error) {
	cr, err := index.NewCalibratedReplicates(tab, spec, wst)
	if err != nil {
		return nil, fmt.Errorf("--weighting %s: %w", df.weighting, err)
	}
	so := &index.StreamOptions{Read: []arrowio.Option{e.in()}}
	if df.prov != nil {
		// the sums pass has given the notes
		transform, extra, _, err := df.prov.streamCanonical(e, path, cols, df.notes)
		if err != nil {
			return nil, err
		}
		so.Transform, so.Columns = transform, extra
	}
	if err := cr.CheckFile(e.ctx, path, so); err != nil {
		// a replicate's negative weight names its row and the row's place
		return nil, arrowio.LocateRows(path, fmt.Errorf("--weighting %s: %w", df.weighting, err))
	}
	return cr, nil
}

// solveCalibration solves the weighting of --weighting by passes over the
// file at path; a bad value names its file, row and line or row group.
func solveCalibration(e *env, df *designFlags, path string) (*weighting.Streamed, error) {
	wst, err := weighting.SolveStream(e.ctx, df.wspec, index.ScanFile(path, e.in()))
	if err != nil {
		if e.ctx.Err() != nil {
			return nil, e.ctx.Err()
		}
		return nil, dataError(path, fmt.Errorf("--weighting %s: %w", df.weighting, err))
	}
	return wst, nil
}

// calibrationPasses says on standard error that command streams path in
// the passes of the calibration wst, one that sums the rows (what names
// them) and, with replicates, one that checks the replicate weights.
func calibrationPasses(e *env, command, what, path string, wst *weighting.Streamed, reps bool) {
	if reps {
		fmt.Fprintf(e.stderr, "sipas %s: streaming %s in %d passes (the calibration needs every row: %d passes solve it, 1 sums the %s and the replicates' terms, 1 checks the replicate weights)\n", command, displayName(path), wst.Passes+2, wst.Passes, what)
		return
	}
	if m := wst.Calibrations(); m > 1 {
		fmt.Fprintf(e.stderr, "sipas %s: streaming %s in %d passes (%d calibrations need every row: %d passes solve them, 1 sums the %s)\n", command, displayName(path), wst.Passes+1, m, wst.Passes, what)
		return
	}
	fmt.Fprintf(e.stderr, "sipas %s: streaming %s in %d passes (the calibration needs every row: %d passes solve it, 1 sums the %s)\n", command, displayName(path), wst.Passes+1, wst.Passes, what)
}
