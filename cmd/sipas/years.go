package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
)

// yearData is one survey year's ballots and the file they came from.
type yearData struct {
	file string
	rec  arrow.RecordBatch
}

// yearSet holds the ballots of every survey year read by trend and report
// (each year is its own design).
type yearSet map[int]yearData

// add takes the parts of one file split by year (index.SplitYears); a
// year already read from another file is an error, and the parts are
// released.
func (s yearSet) add(parts []index.YearBatch, file string) error {
	for _, p := range parts {
		if prev, dup := s[p.Year]; dup {
			for _, q := range parts {
				q.Ballots.Release()
			}
			return badInput(fmt.Errorf("year %d is in both %s and %s: give each year's ballots in one file (each year is one design)", p.Year, prev.file, file))
		}
	}
	for _, p := range parts {
		s[p.Year] = yearData{file, p.Ballots}
	}
	return nil
}

// read reads the table file in (with opts) and adds its ballots split by
// the year column. Without that column, the file is one survey of unknown
// year (year 0) when single is true, else an error.
func (s yearSet) read(in, yearCol string, single bool, opts ...arrowio.Option) error {
	rec, err := arrowio.ReadAll(in, opts...)
	if err != nil {
		return readError(err)
	}
	if err := nearMiss(rec.Schema(), in, yearCol, "--year-col"); err != nil {
		rec.Release()
		return err
	}
	if single && len(rec.Schema().FieldIndices(yearCol)) == 0 {
		s[0] = yearData{displayName(in), rec}
		return nil
	}
	parts, err := index.SplitYears(rec, yearCol)
	rec.Release()
	if errors.Is(err, index.ErrMissingColumn) {
		return badInput(fmt.Errorf("%s: %w; name the year column with --year-col", displayName(in), err))
	}
	if err != nil {
		return badInput(fmt.Errorf("%s: %w", displayName(in), err))
	}
	return s.add(parts, displayName(in))
}

// sorted returns the years in increasing order.
func (s yearSet) sorted() []int {
	ys := make([]int, 0, len(s))
	for y := range s {
		ys = append(ys, y)
	}
	slices.Sort(ys)
	return ys
}

// release releases every year's ballots.
func (s yearSet) release() {
	for _, y := range s {
		y.rec.Release()
	}
}

// designs builds each year's design from the design flags on the year's
// ballots as they were read, in increasing year order: the strata, PSUs
// and weights of the geography the ballots were sampled in (the 63
// provinces up to 2024). The report's geography is applied afterwards, to
// the domains only (index.Trend reads the province column with
// index.ProvincesIn), so that `trend` and `report` estimate on the same
// designs. qOf gives a year's own questionnaire (nil: the default one).
// The caller calls release after the last use of the ballots.
func (s yearSet) designs(ctx context.Context, df *designFlags, spec *sampling.DesignOptions, years []int, qOf map[int]*index.Questionnaire) (out []index.TrendYear, release func(), err error) {
	var recs []arrow.RecordBatch
	release = func() {
		for _, r := range recs {
			r.Release()
		}
	}
	for _, y := range years {
		yd := s[y]
		d, rec, err := df.design(ctx, yd.rec, spec)
		if err != nil {
			release()
			return nil, func() {}, badInput(fmt.Errorf("%s, year %d: %w", yd.file, y, err))
		}
		recs = append(recs, rec)
		out = append(out, index.TrendYear{Year: y, Design: d, Ballots: rec, Questionnaire: qOf[y]})
	}
	return out, release, nil
}
