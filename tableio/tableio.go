// Package tableio reads and writes tables as Apache Arrow record batches,
// as sipas does: CSV as spreadsheets save it (a byte-order mark, ',' ';'
// or tab delimiters detected from the header line, decimal commas),
// Excel workbooks (.xlsx), Parquet and Arrow IPC, chosen by extension.
// Column types of text formats are inferred from every value (codes with
// leading zeros stay text); errors name the file and the line, row, sheet
// cell or column, and wrap the sentinel errors below. Files are streamed:
// Open reads a batch at a time, ReadAll holds only the result.
//
// A program that feeds the sipas library its own ballots reads them with
//
//	rec, err := tableio.ReadAll("ballots.xlsx", tableio.WithTypes(map[string]arrow.DataType{
//		"ballot_id": arrow.BinaryTypes.String,
//	}))
//
// and must Release the record when done.
package tableio

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// Reader streams the record batches of a table file: Next, then
// RecordBatch (owned by the Reader, valid until the next Next), Err at
// the end, and Close always.
type Reader = arrowio.Reader

// Option configures reading and writing.
type Option = arrowio.Option

// Format is a table file format.
type Format = arrowio.Format

// Error is a data error with its position (file, line, row, sheet and
// cell, column, value); it unwraps to one of the sentinel errors.
type Error = arrowio.Error

// The formats, by extension: .csv, .parquet, .arrow/.feather, .arrows/.ipc,
// .xlsx.
const (
	CSV       = arrowio.CSV
	Parquet   = arrowio.Parquet
	IPCFile   = arrowio.IPCFile
	IPCStream = arrowio.IPCStream
	XLSX      = arrowio.XLSX
)

// Sentinel errors, for errors.Is.
var (
	ErrFormat        = arrowio.ErrFormat
	ErrEmpty         = arrowio.ErrEmpty
	ErrCorrupt       = arrowio.ErrCorrupt
	ErrRagged        = arrowio.ErrRagged
	ErrBadValue      = arrowio.ErrBadValue
	ErrMissingColumn = arrowio.ErrMissingColumn
	ErrMissingSheet  = arrowio.ErrMissingSheet
	ErrType          = arrowio.ErrType
)

// Open opens a table file for streaming; "-" reads CSV from standard
// input.
func Open(path string, opts ...Option) (Reader, error) { return arrowio.Open(path, opts...) }

// ReadAll reads a whole table file into one record batch, which the
// caller must Release.
func ReadAll(path string, opts ...Option) (arrow.RecordBatch, error) {
	return arrowio.ReadAll(path, opts...)
}

// Write writes batches of one schema to path in the format of its
// extension, atomically (the file appears only when complete).
func Write(path string, schema *arrow.Schema, batches []arrow.RecordBatch, opts ...Option) error {
	return arrowio.Write(path, schema, batches, opts...)
}

// WriteRecord writes one record batch; see Write.
func WriteRecord(path string, rec arrow.RecordBatch, opts ...Option) error {
	return arrowio.WriteRecord(path, rec, opts...)
}

// FormatOf returns the format of path chosen by its extension.
func FormatOf(path string) (Format, error) { return arrowio.FormatOf(path) }

// SheetNames returns the names of the worksheets of an Excel workbook.
func SheetNames(path string) ([]string, error) { return arrowio.SheetNames(path) }

// WithColumns reads only the named columns, in that order.
func WithColumns(cols ...string) Option { return arrowio.WithColumns(cols...) }

// WithTypes forces the type of CSV and Excel columns instead of inferring
// it (for example identifiers that look like numbers as strings).
func WithTypes(types map[string]arrow.DataType) Option { return arrowio.WithTypes(types) }

// WithSheet names the sheet of an Excel workbook to read (default: the
// first).
func WithSheet(name string) Option { return arrowio.WithSheet(name) }

// WithDelimiter sets the CSV delimiter (',', ';' or '\t'); by default it is
// detected from the header line.
func WithDelimiter(d rune) Option { return arrowio.WithDelimiter(d) }

// WithDecimal sets the decimal separator of CSV numbers ('.' or ','); by
// default '.' in comma-delimited files and detected in others.
func WithDecimal(d rune) Option { return arrowio.WithDecimal(d) }

// WithFormat overrides the format chosen by extension.
func WithFormat(f Format) Option { return arrowio.WithFormat(f) }

// WithBatchSize sets the rows per batch of Open.
func WithBatchSize(n int) Option { return arrowio.WithBatchSize(n) }
