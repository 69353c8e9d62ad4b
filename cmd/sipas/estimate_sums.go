package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// addEstimateSumsFlags adds estimate's flags for the per-(stratum, PSU,
// domain) sums of its estimands, and the stream flags.
func addEstimateSumsFlags(fs *flag.FlagSet) *sumsFlags {
	return addSumsFlagsHelp(fs,
		"also write the per-(stratum, PSU, domain) sums the estimates are finished from (Parquet, IPC or CSV; the run streams; with --repweights the replicate sums go beside it, to NAME.replicates.EXT; see docs/sums.md)",
		"finish the estimates from a sums table (written by --sums-out or by the SQL of --sums-sql) instead of --in; give the same --mean, --total, --ratio, --strata, --psu, --fpc, --by and --weighting, without --weight",
		"print the SQL GROUP BY that computes the sums table of the --mean, --total and --ratio estimands from the table TABLE in a database (with the design flags, --by and --weighting; with --repweights also the replicate sums table, whose columns come from the header of --in FILE) and exit")
}

// fpcWeightHint says how to give --sums-sql the weights of a design
// weighted by its fpc.
const fpcWeightHint = "add the weight column (the fpc over the stratum's PSUs in the sample, or 1 over a sampling fraction, times the same of every later stage; 1/π under --pps) to TABLE and give it as --weight, or write the sums with --in FILE --sums-out"

// sumsFixHint says how to make a sums table that fits the run.
const sumsFixHint = "write the table again with the same --mean, --total, --ratio, design flags, --by and --weighting as this run (sipas estimate --in FILE --sums-out, or the query of --sums-sql)"

// estimateSumsRefused checks the estimands of a run that writes or reads
// a sums table (flag, --sums-out, --from-sums or --sums-sql): only means,
// totals and ratios are sums.
func estimateSumsRefused(flag string, quantiles, vars int, method sampling.CIMethod, contrasts int) error {
	switch {
	case quantiles > 0:
		return usagef("%s excludes --quantile: a quantile needs every value, which the sums table does not carry", flag)
	case vars > 0:
		return usagef("%s excludes --var: a population variance needs every row, which the sums table does not carry", flag)
	case method == sampling.Likelihood && contrasts == 0:
		return usagef("%s and --ci likelihood exclude each other: the likelihood interval profiles every row, which the sums table does not carry", flag)
	}
	return nil
}

// estimateSumsSQL prints the query of --sums-sql.
func estimateSumsSQL(e *env, df *designFlags, in, table string, spec *sampling.DesignOptions, by []string, ests []sampling.Estimand) error {
	query, err := index.EstimandSumsSQL(table, spec, df.wspec, by, ests)
	switch {
	case err == nil:
		if spec.RepWeightsPrefix != "" {
			return repSumsSQL(e, in, query, spec, func(reps []string) string {
				return index.EstimandReplicateSumsSQL(table, spec, by, ests, reps)
			})
		}
	case df.wspec != nil && errors.Is(err, weighting.ErrRowLevel):
		return usagef("--sums-sql with --weighting: %v; the final weights come from the calibration, which only passes over the rows solve: run sipas estimate --in FILE", err)
	case df.wspec != nil:
		return usagef("--sums-sql with --weighting: %v", err)
	case spec.FPC != "" && spec.Weight == "":
		return usagef("--sums-sql with --fpc and no --weight: %v; %s", err, fpcWeightHint)
	default:
		return usagef("--sums-sql: the estimates of this design cannot be finished from sums: %v", err)
	}
	_, err = fmt.Fprint(e.stdout, query)
	return err
}

// estimateFromSums finishes the estimates (or contrasts) ests from the
// sums table of --from-sums.
func estimateFromSums(e *env, sf *sumsFlags, df *designFlags, spec *sampling.DesignOptions, ests []sampling.Estimand, contrasts []string, eopt *sampling.EstimateOptions, format string) error {
	if spec.Weight != "" {
		return usagef("--from-sums: drop --weight: the sums are weighted already")
	}
	// the sums are weighted: the design as one weighted by the table's
	// weights (a design weighted by its fpc is no longer)
	weighted := *spec
	if df.wspec == nil {
		weighted.Weight = index.SumsWeights
	}
	// a calibration that needs every row: the table of --sums-out carries
	// its solve (linearization only)
	calibrated := false
	if err := index.EstimandSumsSupport(&weighted, df.wspec); err != nil {
		switch {
		case df.wspec == nil || !errors.Is(err, weighting.ErrRowLevel):
			return usagef("--from-sums: the estimates of this design cannot be finished from sums: %v", err)
		case spec.Variance != sampling.Linearization:
			return usagef("--from-sums with --weighting %s: %v", df.weighting, errCalRepSumsTable)
		}
		if err := index.CalibratedEstimandSumsSupport(spec, df.wspec); err != nil {
			return usagef("--from-sums with --weighting: %v; run sipas estimate --in FILE", err)
		}
		if err := weighting.SolvedSupport(df.wspec); err != nil {
			return usagef("--from-sums with --weighting %s: %v; run sipas estimate --in FILE", df.weighting, err)
		}
		calibrated = true
	}
	if sf.out != "" && (sameFile(sf.out, sf.from) || spec.RepWeightsPrefix != "" && sameFile(repSumsPath(sf.out), repSumsPath(sf.from))) {
		return usagef("--sums-out %s would overwrite --from-sums", sf.out)
	}
	if calibrated && sf.out != "" {
		if err := calibratedSumsOut(sf.out, sf.from, "--from-sums"); err != nil {
			return err
		}
	}
	tab, err := arrowio.ReadAll(sf.from, e.in())
	if err != nil {
		return readError(err)
	}
	defer tab.Release()
	// the design's and domains' key columns first: a table of another
	// design lacks them
	keys := []struct{ flag, col string }{{"--strata", spec.Strata}, {"--psu", spec.PSU}, {"--fpc", spec.FPC}}
	for i, st := range spec.Stages {
		if spec.FPC == "" {
			break // the later stages are no cells' keys without an fpc
		}
		keys = append(keys, struct{ flag, col string }{fmt.Sprintf("--psu (stage %d)", i+2), st.Unit}, struct{ flag, col string }{fmt.Sprintf("--fpc (stage %d)", i+2), st.FPC})
	}
	for _, b := range eopt.By {
		keys = append(keys, struct{ flag, col string }{"--by", b})
	}
	if df.wspec != nil && !calibrated {
		ck, err := weighting.CellKeysOf(df.wspec)
		if err != nil {
			return usagef("--from-sums with --weighting: %v", err)
		}
		for _, c := range ck.Columns {
			keys = append(keys, struct{ flag, col string }{"a class of --weighting", c})
		}
	}
	for _, k := range keys {
		if k.col != "" && !schemaHas(tab.Schema(), k.col) {
			return sumsTableError(sf.from, fmt.Errorf("%w: missing column %q (%s): the table was written for another design or other domains", index.ErrSums, k.col, k.flag))
		}
	}
	shares, err := index.EstimandShares(tab, ests)
	if err != nil {
		return sumsTableError(sf.from, err)
	}
	var d *sampling.Design
	var cells []sampling.CellSums
	var final *float64
	save := func() error { return writeError(arrowio.WriteRecord(sf.out, tab)) }
	switch {
	case spec.RepWeightsPrefix != "":
		// the replicate sums table beside it
		reps, err := arrowio.ReadAll(repSumsPath(sf.from), e.in())
		if err != nil {
			return readError(fmt.Errorf("the replicate sums table beside %s (written by --sums-out with --repweights): %w", sf.from, err))
		}
		defer reps.Release()
		d, cells, err = index.EstimandReplicateSumsTables(tab, reps, spec, eopt.By, ests, shares)
		if err != nil {
			return sumsTableError(sf.from, designHint(err))
		}
		save = func() error { return writeRepSums(sf.out, tab, reps) }
	case calibrated:
		var st *weighting.Streamed
		if d, cells, st, err = index.CalibratedEstimandSumsTable(tab, spec, df.wspec, ests, shares, eopt.By); err != nil {
			return sumsTableError(sf.from, fmt.Errorf("--weighting %s: %w", df.weighting, designHint(err)))
		}
		final = &st.Result.Final.Sum
	case df.wspec != nil:
		var wres *weighting.Result
		d, cells, wres, err = index.WeightedEstimandSums(e.ctx, tab, spec, df.wspec, ests, shares, eopt.By)
		if err == nil {
			final = &wres.Final.Sum
		} else {
			err = fmt.Errorf("--weighting %s: %w", df.weighting, err)
		}
		if err != nil {
			return sumsTableError(sf.from, designHint(err))
		}
	default:
		if d, cells, err = index.EstimandSums(tab, spec, ests, shares); err != nil {
			return sumsTableError(sf.from, designHint(err))
		}
	}
	if sf.out == "" {
		save = nil
	}
	return writeSumsEstimates(e, save, sf.from, spec, tab, d, cells, final, ests, contrasts, eopt, format, &runNotes{})
}

// sumsTableError is the error of a sums table at path that does not fit
// the run: it names the file and says how to make one that does.
func sumsTableError(path string, err error) error {
	if errors.Is(err, index.ErrSums) {
		return badInput(fmt.Errorf("%s: %w; %s", displayName(path), err, sumsFixHint))
	}
	return badInput(fmt.Errorf("%s: %w", displayName(path), err))
}

// writeSumsEstimates is writeCellEstimates that also saves the sums table
// (save, when not nil): the estimates are computed first, so that bad
// input leaves neither the table nor any output, and printed after the
// table is written.
func writeSumsEstimates(e *env, save func() error, path string, spec *sampling.DesignOptions, tab arrow.RecordBatch, d *sampling.Design, cells []sampling.CellSums, final *float64,
	ests []sampling.Estimand, contrasts []string, eopt *sampling.EstimateOptions, format string, notes *runNotes) error {
	if save == nil {
		return writeCellEstimates(e, path, spec, tab, d, cells, final, ests, contrasts, eopt, format, notes)
	}
	var buf bytes.Buffer
	be := *e
	be.stdout = &buf
	if err := writeCellEstimates(&be, path, spec, tab, d, cells, final, ests, contrasts, eopt, format, notes); err != nil {
		return err
	}
	if err := save(); err != nil {
		return err
	}
	_, err := e.stdout.Write(buf.Bytes())
	return err
}
