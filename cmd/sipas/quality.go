package main

// Data quality that travels with the files: `sipas validate` records its
// accounting in the output's schema metadata (ballot.Record, key
// sipas.validation), `sipas weight` keeps it and adds the nonresponse
// step's response rates (weighting.Record, key sipas.weighting), and
// `sipas report` reads both into the report's data-quality section
// (report.QualityOf). Parquet and Arrow IPC carry schema metadata; a CSV
// table has them in its sidecar (OUT.sipas.json), and `sipas report`
// also takes the excluded table of `sipas validate --excluded` instead
// (ballot.RecordOfExcluded). The formats are documented with the record
// types and in docs/cli.md.

import (
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sipas-go/sipas/index/ballot"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/report"
	"github.com/sipas-go/sipas/weighting"
)

// withMetadata returns rec (retained, or a new batch over the same
// columns) whose schema metadata are md; the caller releases it.
func withMetadata(rec arrow.RecordBatch, md arrow.Metadata) arrow.RecordBatch {
	s := arrow.NewSchema(rec.Schema().Fields(), &md)
	return array.NewRecordBatch(s, rec.Columns(), rec.NumRows())
}

// fileQuality is the data quality a --in file of `sipas report` carries.
type fileQuality struct {
	validation *ballot.Record
	weighting  *weighting.Record
}

// readFileQuality reads the sipas.validation and sipas.weighting schema
// metadata of path (of a CSV: its sidecar; stdin has none). Malformed
// JSON, or a version this program does not know, is bad input naming the
// file and the key.
func readFileQuality(path string) (*fileQuality, error) {
	if _, err := arrowio.FormatOf(path); path != "-" && err != nil {
		return &fileQuality{}, nil
	}
	md, err := tableMetadata(path)
	if err != nil {
		return nil, err
	}
	fq := &fileQuality{}
	if fq.validation, err = ballot.RecordFrom(md); err != nil {
		return nil, badInput(fmt.Errorf("%s: %w", path, err))
	}
	if fq.weighting, err = weighting.RecordFrom(md); err != nil {
		return nil, badInput(fmt.Errorf("%s: %w", path, err))
	}
	return fq, nil
}

// excludedCounts reads an excluded table written by `sipas validate
// --excluded` and counts its rows by their first reason
// (ballot.RecordOfExcluded), with rows clean rows of year y.
func excludedCounts(path string, rows, y int) (*ballot.RecordYear, error) {
	rec, err := arrowio.ReadAll(path, arrowio.WithColumns("row", "reason"),
		arrowio.WithTypes(map[string]arrow.DataType{"reason": arrow.BinaryTypes.String}))
	if err != nil {
		return nil, readError(err)
	}
	defer rec.Release()
	v, err := ballot.RecordOfExcluded(rec, rows, y)
	if err != nil {
		return nil, badInput(fmt.Errorf("%s: %w; give the excluded table sipas validate wrote", path, err))
	}
	return v, nil
}

// warnf prints a warning on w.
func warnf(w io.Writer, format string, a ...any) {
	fmt.Fprintf(w, "sipas: warning: "+format+"\n", a...)
}

// reportQuality is the data quality of year y of `sipas report`, read
// from file (which holds fileYears years and rows ballots of year y): the
// counts of an --excluded table when given (rows used = rows), else the
// file's sipas.validation entry of the year; the response rates from its
// sipas.weighting entry, with the calibrated totals its trimming broke.
// Nil when none says anything.
func reportQuality(stderr io.Writer, file string, y, fileYears int, rows int64, fq *fileQuality, excluded string) (*report.Quality, error) {
	var v *ballot.RecordYear
	if excluded != "" {
		if fileYears > 1 {
			return nil, badInput(fmt.Errorf("--excluded %s goes with %s, which holds %d years; an excluded table has no year column: give each year's ballots in its own file", excluded, file, fileYears))
		}
		var err error
		if v, err = excludedCounts(excluded, int(rows), y); err != nil {
			return nil, err
		}
	} else if fq.validation != nil {
		if v = fq.validation.For(y, fileYears); v == nil {
			warnf(stderr, "%s: schema metadata %s has no counts for year %d; the report shows none", file, ballot.MetadataKey, y)
		} else if v.RowsUsed != int(rows) {
			warnf(stderr, "%s: schema metadata %s says %d rows used in year %d, the file holds %d; the file was changed after sipas validate", file, ballot.MetadataKey, v.RowsUsed, y, rows)
		}
	}
	var w *weighting.RecordYear
	var misses []weighting.RecordMiss
	if fq.weighting != nil {
		misses = fq.weighting.Misses
		if w = fq.weighting.For(y, fileYears); w == nil {
			warnf(stderr, "%s: schema metadata %s has no response rates for year %d alone (weight each year separately); the report shows none", file, weighting.MetadataKey, y)
		}
	}
	return report.QualityOf(v, w, misses), nil
}
