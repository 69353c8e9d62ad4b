package index

import (
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index/internal/column"
)

// YearBatch is the ballots of one survey year.
type YearBatch struct {
	Year    int
	Ballots arrow.RecordBatch
}

// SplitYears splits ballots by the survey year held in column col (integers,
// or text holding integers), in increasing year order; rows keep their order
// within a year. Each year is its own design: build one per YearBatch. The
// caller releases every Ballots.
//
// A missing column is a *MissingColumnsError; an empty table, an empty
// year cell, a year that is not an integer or lies outside 1900–2200 is an
// error naming the row (1-based) and the column.
func SplitYears(ballots arrow.RecordBatch, col string) ([]YearBatch, error) {
	ci := column.Index(ballots, col)
	if ci < 0 {
		return nil, &MissingColumnsError{Table: "ballots", Missing: []string{col},
			Available: column.Names(ballots.Schema()), Hint: "it should hold the survey year"}
	}
	if ballots.NumRows() == 0 {
		return nil, fmt.Errorf("index: no ballots to split by year")
	}
	codes, err := column.NewCodes(ballots.Column(ci))
	if err != nil {
		return nil, fmt.Errorf("index: year column %q: %w", col, err)
	}
	n := int(ballots.NumRows())
	year := make([]int, n)
	var years []int
	for i := range n {
		v, st := codes.At(i)
		switch {
		case st == column.Null:
			return nil, fmt.Errorf("index: row %d: the year column %q is empty; every ballot needs its survey year", i+1, col)
		case st != column.Code:
			return nil, fmt.Errorf("index: row %d: %q in the year column %q is not a year", i+1, codes.Raw(i), col)
		case v < 1900 || v > 2200:
			return nil, fmt.Errorf("index: row %d: year %d in column %q is not a survey year (1900–2200)", i+1, v, col)
		}
		year[i] = int(v)
		if !slices.Contains(years, int(v)) {
			years = append(years, int(v))
		}
	}
	slices.Sort(years)
	if len(years) == 1 {
		ballots.Retain()
		return []YearBatch{{years[0], ballots}}, nil
	}
	ctx := compute.WithAllocator(context.Background(), memory.DefaultAllocator)
	out := make([]YearBatch, 0, len(years))
	for _, y := range years {
		b := array.NewBooleanBuilder(memory.DefaultAllocator)
		for _, v := range year {
			b.Append(v == y)
		}
		mask := b.NewBooleanArray()
		b.Release()
		part, err := compute.FilterRecordBatch(ctx, ballots, mask, compute.DefaultFilterOptions())
		mask.Release()
		if err != nil {
			for _, p := range out {
				p.Ballots.Release()
			}
			return nil, fmt.Errorf("index: splitting by year: %w", err)
		}
		out = append(out, YearBatch{y, part})
	}
	return out, nil
}
