package main

import (
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// yearData is one survey year's ballots and the file they came from.
type yearData struct {
	file string
	rec  arrow.RecordBatch
}

// yearSet holds the ballots of every survey year read by trend and report
// (each year is its own design).
type yearSet map[int]yearData

// add takes the parts of one file split by year (splitByYear); a year
// already read from another file is an error, and the parts are released.
func (s yearSet) add(parts map[int]arrow.RecordBatch, file string) error {
	for y := range parts {
		if prev, dup := s[y]; dup {
			for _, r := range parts {
				r.Release()
			}
			return badInput(fmt.Errorf("year %d is in both %s and %s: give each year's ballots in one file (each year is one design)", y, prev.file, file))
		}
	}
	for y, r := range parts {
		s[y] = yearData{file, r}
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
	if single && len(rec.Schema().FieldIndices(yearCol)) == 0 {
		s[0] = yearData{displayName(in), rec}
		return nil
	}
	parts, err := splitByYear(rec, yearCol, displayName(in))
	rec.Release()
	if err != nil {
		return err
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
