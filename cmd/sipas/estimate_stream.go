package main

import (
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// estimateStreamed computes the means, totals and ratios ests (and the
// contrasts between their domains) of the file at path in one pass over
// record batches, from the per-(stratum, PSU, fpc, domain) sums (without
// a PSU column per (stratum, fpc, domain) with the ballots' squared-weight
// moments), and
// reports done = false, having done nothing, when the run cannot stream:
// why (a reason of the caller: quantiles, population variances), a design
// whose variance needs the rows (index.EstimandSumsSupport: with
// --weighting, a step that needs every row, unless passes over the file
// solve it: index.CalibratedEstimandSumsSupport), or province names told
// apart by year, or, unless sf asks for the stream or the sums, a design
// whose cells can be as many as the ballots (growingCells) when they
// exceed their bound (cellBound) (standard input comes here as the
// temporary file it was copied to, spoolStdin, and streams as a file).
// The caller then reads the file into memory, which this says on
// standard error.
func estimateStreamed(e *env, sf *sumsFlags, df *designFlags, path string, spec *sampling.DesignOptions, ests []sampling.Estimand,
	contrasts []string, eopt *sampling.EstimateOptions, format string, notes *runNotes, why string) (done bool, err error) {
	by := eopt.By
	cal := false
	if why == "" {
		// with --weighting, the steps run on the class totals of
		// per-(PSU, domain, class) cells (and on every replicate's); a
		// step that needs every row is named in why
		if err := index.EstimandSumsSupport(spec, df.wspec); err != nil {
			why = err.Error()
			// a calibration that needs every row: solved in passes
			if df.wspec != nil {
				if cerr := index.CalibratedEstimandSumsSupport(spec, df.wspec); cerr == nil {
					why, cal = "", true
				} else if _, kerr := weighting.CellKeysOf(df.wspec); kerr != nil {
					why = cerr.Error()
				}
			}
		}
	}
	noPSU := spec.PSU == "" && spec.RepWeightsPrefix == ""
	var years []string
	if df.prov != nil && why == "" {
		var err error
		if years, err = df.prov.yearColumn(path, by, df.strata); err != nil {
			return true, err
		}
	}
	switch {
	case why != "":
	case len(years) > 0:
		why = "the province names are read by the year of each row"
	}
	if sf.out != "" {
		switch {
		case why != "":
			return true, usagef("--sums-out: the estimates of this run cannot be finished from sums: %s", why)
		case cal && spec.Variance != sampling.Linearization:
			return true, usagef("--sums-out with --weighting %s: %v", df.weighting, errCalRepSumsTable)
		case cal && weighting.SolvedSupport(df.wspec) != nil:
			return true, usagef("--sums-out with --weighting %s: %v", df.weighting, weighting.SolvedSupport(df.wspec))
		case cal:
			if err := calibratedSumsOut(sf.out, path, "--in"); err != nil {
				return true, err
			}
		case sameFile(sf.out, path) || spec.RepWeightsPrefix != "" && sameFile(repSumsPath(sf.out), path):
			return true, usagef("--sums-out %s would overwrite --in", sf.out)
		}
	}
	if why != "" {
		fmt.Fprintf(e.stderr, "sipas estimate: reading %s into memory (not streamed: %s)\n", displayName(path), why)
		return false, nil
	}
	if cal {
		return estimateCalibrated(e, sf, df, path, spec, ests, contrasts, eopt, format, notes)
	}
	switch {
	case df.wspec != nil && spec.Variance != sampling.Linearization:
		fmt.Fprintf(e.stderr, "sipas estimate: streaming %s in one pass (the --weighting steps run on the class totals of the cells, and again on every replicate's)\n", displayName(path))
	case df.wspec != nil && noPSU:
		fmt.Fprintf(e.stderr, "sipas estimate: streaming %s in one pass (the --weighting steps run on the class totals of the cells; no --psu: every ballot is its own PSU, and the variance comes from per-stratum moments of the ballots' calibration residuals)\n", displayName(path))
	case df.wspec != nil:
		fmt.Fprintf(e.stderr, "sipas estimate: streaming %s in one pass (the --weighting steps run on the class totals of the cells)\n", displayName(path))
	case designNote(spec, false) != "":
		fmt.Fprintf(e.stderr, "sipas estimate: streaming %s in one pass (%s)\n", displayName(path), designNote(spec, false))
	case noPSU:
		fmt.Fprintf(e.stderr, "sipas estimate: streaming %s in one pass (no --psu: every ballot is its own PSU, and the variance comes from per-stratum moments of the ballots' influence values)\n", displayName(path))
	case big(path):
		fmt.Fprintf(e.stderr, "sipas estimate: streaming %s in one pass\n", displayName(path))
	}
	// a design whose cells can be as many as the ballots: the stream
	// stops, and the file is read into memory, when they would take more
	// memory than the rows
	bound, per := boundedStream(sf, df, spec, append(slices.Clone(by), sampling.EstimandColumns(ests)...))
	so := &index.StreamOptions{Read: []arrowio.Option{e.in()}, Weighting: df.wspec, MaxCellBytesPerRow: bound}
	finish := func() {}
	if df.prov != nil {
		// the names are made canonical batch by batch, so that an unknown
		// name is an error naming its row
		transform, extra, fin, err := df.prov.streamCanonical(e, path, append([]string{df.strata}, by...), notes)
		if err != nil {
			return true, err
		}
		so.Transform, so.Columns, finish = transform, extra, fin
	}
	if p := newProgress(e.stderr, "estimate", path, sf.streamFlags); p != nil {
		so.Progress = p.update
		defer p.finish()
	}
	defer cellsGC(df.wspec)()
	s, err := index.SumEstimandsFile(e.ctx, path, spec, by, ests, so)
	if err == nil {
		finish()
	}
	if cellsExceeded(e, "estimate", path, per, err) {
		return false, nil
	}
	if err != nil {
		if e.ctx.Err() != nil {
			return true, e.ctx.Err()
		}
		return true, dataError(path, df.stepContext(designHint(err)))
	}
	tab, err := s.Table(memory.DefaultAllocator)
	if err != nil {
		return true, badInput(err)
	}
	defer tab.Release()
	if s.Replicates() != nil && sf.out != "" {
		// the two tables, and the estimates from them as --from-sums
		// finishes them
		cells, reps, err := index.ReplicateSumsTables(s, tab)
		if err != nil {
			return true, badInput(err)
		}
		defer cells.Release()
		defer reps.Release()
		d, cs, err := index.EstimandReplicateSumsTables(cells, reps, spec, by, ests, s.Shares())
		if err != nil {
			return true, badInput(fmt.Errorf("%s: %w", displayName(path), designHint(err)))
		}
		save := func() error { return writeRepSums(sf.out, cells, reps) }
		return true, writeSumsEstimates(e, save, path, spec, cells, d, cs, nil, ests, contrasts, eopt, format, notes)
	}
	var d *sampling.Design
	var cells []sampling.CellSums
	var wres *weighting.Result
	switch rs := s.Replicates(); {
	case df.wspec != nil:
		d, cells, wres, err = index.WeightedEstimandSums(e.ctx, tab, spec, df.wspec, ests, s.Shares(), by)
		if err != nil {
			err = fmt.Errorf("--weighting %s: %w", df.weighting, err)
		}
	case rs != nil:
		d, cells, err = index.EstimandReplicateSums(tab, rs, spec, ests, s.Shares())
	default:
		d, cells, err = index.EstimandSums(tab, spec, ests, s.Shares())
	}
	if err != nil {
		return true, badInput(fmt.Errorf("%s: %w", displayName(path), designHint(err)))
	}
	var final *float64
	if wres != nil {
		final = &wres.Final.Sum
	}
	var save func() error
	if sf.out != "" {
		save = func() error { return writeError(arrowio.WriteRecord(sf.out, tab)) }
	}
	return true, writeSumsEstimates(e, save, path, spec, tab, d, cells, final, ests, contrasts, eopt, format, notes)
}

// writeCellEstimates writes the estimates of ests, or their contrasts,
// from the design d of the cells of the sums table tab (of the design
// spec) and their sums;
// final, when set, is the total final weight (else the table's).
func writeCellEstimates(e *env, path string, spec *sampling.DesignOptions, tab arrow.RecordBatch, d *sampling.Design, cells []sampling.CellSums, final *float64,
	ests []sampling.Estimand, contrasts []string, eopt *sampling.EstimateOptions, format string, notes *runNotes) error {
	by := eopt.By
	// the design as the rows make it: rows and weights from the cells
	dj := describeDesign(d)
	dj.Rows, dj.WeightsSum = 0, 0
	rows, _, _ := arrowio.Float64s(tab.Column(tab.Schema().FieldIndices(index.SumsRows)[0]))
	ws, _, _ := arrowio.Float64s(tab.Column(tab.Schema().FieldIndices(index.SumsWeights)[0]))
	wsum := 0.0
	for c := range rows {
		dj.Rows += int(rows[c])
		wsum += ws[c]
	}
	if final != nil {
		wsum = *final
	}
	dj.WeightsSum = jsonNum(wsum)
	if dj.Rows > 0 && wsum == 0 {
		return badInput(fmt.Errorf("%s: weight column %q: every weight is 0, so nothing can be estimated", displayName(path), spec.Weight))
	}
	dm, err := sampling.NewDomains(tab, by)
	if err != nil {
		return badInput(fmt.Errorf("%s: %w", displayName(path), err))
	}
	if len(contrasts) > 0 {
		return runContrasts(e, dj, dm, path, ests, contrasts, eopt.Level, format, func(cs [][]sampling.DomainCoef, o *sampling.EstimateOptions) ([]sampling.ContrastEstimate, error) {
			return d.EstimateContrastsFromCells(ests, cells, dm, cs, o)
		})
	}
	res, err := d.EstimatesFromCells(ests, cells, dm, eopt)
	if err != nil {
		return badInput(fmt.Errorf("%s: %w", displayName(path), err))
	}
	return writeEstimates(e, format, dj, by, res, nil, notes)
}
