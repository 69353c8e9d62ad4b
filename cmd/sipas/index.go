package main

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

func init() {
	c := &command{
		name:    "index",
		usage:   "--in FILE [design flags] [--questionnaire Q.json] [--by V,..] [--score share|mean] [--format json|csv|table] [--out FILE]",
		summary: "criterion, element and SIPAS indices with standard errors",
	}
	c.run = func(e *env, args []string) error { return runIndex(e, c, args) }
	register(c)
}

func runIndex(e *env, c *command, args []string) error {
	fs := newFlagSet(e, c)
	e.tableFlags(fs)
	in := fs.String("in", "", "ballot table (CSV, Parquet, Arrow IPC; - for stdin, any of these)")
	df := addDesignFlags(fs)
	ixf := addIndexFlags(fs)
	var by listFlag
	fs.Var(&by, "by", "domain columns (indices per combination of their values; national rows are always printed)")
	df.prov = addProvinceFlags(fs)
	noExp := fs.Bool("no-expectations", false, "leave out the expectation shares")
	format := addFormatFlag(e, fs)
	sf := addSumsFlags(fs)
	if err := parseFlags(e, c, fs, args); err != nil {
		return err
	}
	switch {
	case sf.from != "" && *in != "":
		return usagef("--in and --from-sums exclude each other: the sums table replaces the ballots")
	case sf.from == "" && sf.sql == "" && *in == "":
		return usagef("--in is required")
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	spec, ci, level, err := df.resolve(sampling.Logit)
	if err != nil {
		return err
	}
	sc, q, err := ixf.resolve()
	if err != nil {
		return err
	}
	opt := &index.Options{By: by, Score: sc, CI: ci, Level: level, DF: df.dfr, NoExpectations: *noExp}
	switch {
	case sf.sql != "":
		if err := index.SumsSupport(spec); err != nil {
			return usagef("--sums-sql: the indices of this design cannot be finished from sums: %v", err)
		}
		if df.wspec == nil {
			if err := index.SumsSQLSupport(spec); err != nil {
				return usagef("--sums-sql with --fpc and no --weight: %v; %s", err, fpcWeightHint)
			}
		}
		query := index.DesignSumsSQL(q, opt, sf.sql, spec)
		if spec.RepWeightsPrefix != "" {
			return repSumsSQL(e, *in, query, spec, func(reps []string) string {
				return index.ReplicateSumsSQL(q, opt, sf.sql, spec.Weight, spec.PSU, reps)
			})
		}
		if df.wspec != nil {
			query, err = index.WeightedSumsSQL(q, opt, sf.sql, spec, df.wspec)
			switch {
			case errors.Is(err, weighting.ErrRowLevel):
				return usagef("--sums-sql with --weighting: %v; the final weights come from the calibration, which only passes over the ballots solve: write the sums with --in and --sums-out", err)
			case err != nil:
				return usagef("--sums-sql with --weighting: %v", err)
			}
		}
		_, err = fmt.Fprint(e.stdout, query)
		return err
	case sf.from != "":
		return indexFromSums(e, sf, df, spec, q, opt, *format)
	}
	notes := &runNotes{}
	df.provUsed, df.notes = by, notes
	if err := df.recordedWeight(e, []string{*in}, spec, notes); err != nil {
		return err
	}
	remove, err := e.spoolIn(in)
	if err != nil {
		return err
	}
	defer remove()
	present, err := presentOf(e, *in, q.ExpectationColumns())
	if err != nil {
		return err
	}
	opt.NoExpectations = *noExp || len(q.ExpectationColumns()) == 0 || len(present) < len(q.ExpectationColumns())
	if done, err := indexStreamed(e, sf, df, *in, spec, q, opt, *format, notes); done {
		return err
	}
	cols := append(q.Columns(), by...)
	yc, err := df.prov.yearColumn(*in, by, df.strata)
	if err != nil {
		return err
	}
	cols = append(cols, yc...)
	if !*noExp {
		cols = append(cols, present...)
	}
	d, rec, err := df.read(e, *in, spec, cols)
	if err != nil {
		return questionnaireHint(err, q)
	}
	defer rec.Release()
	opt.NoExpectations = *noExp || !hasAll(rec.Schema(), q.ExpectationColumns())
	res, err := index.Compute(e.ctx, d, rec, q, opt)
	if err != nil {
		return questionnaireHint(dataError(*in, fmt.Errorf("%w%s", err, validateHint(err))), q)
	}
	notes.undefinedWarnings(e.stderr, res.Rows)
	return writeIndex(e.stdout, *format, d, res, by, notes)
}

// validateHint is the command that fixes an invalid answer code.
func validateHint(err error) string {
	var ic *index.InvalidCodeError
	if errors.As(err, &ic) {
		return " (the command is `sipas validate`; it writes the reason for each ballot it excludes)"
	}
	return ""
}

// presentOf returns the columns of cols that the file at path has, so that
// optional columns (the expectation items) can be projected without making
// their absence an error; a near miss of one ("EXPECT_1", which left the
// expectations out without a word) is an error (nearMiss). For standard
// input every column is read anyway.
func presentOf(e *env, path string, cols []string) ([]string, error) {
	if path == "-" {
		return nil, nil
	}
	var opts []arrowio.Option
	if e != nil {
		opts = append(opts, e.in())
	}
	r, err := arrowio.Open(path, opts...)
	if err != nil {
		return nil, nil // the real read reports the error
	}
	defer r.Close()
	var out []string
	for _, c := range cols {
		has, err := hasColumn(r.Schema(), path, c, "")
		if err != nil {
			return nil, err
		}
		if has {
			out = append(out, c)
		}
	}
	return out, nil
}

func hasAll(s *arrow.Schema, cols []string) bool {
	for _, c := range cols {
		if len(s.FieldIndices(c)) == 0 {
			return false
		}
	}
	return len(cols) > 0
}
