package arrowio

import (
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// DefaultBatchSize is the number of rows per record batch when streaming
// CSV and Parquet files.
const DefaultBatchSize = 64 * 1024

type config struct {
	cols      []string
	mem       memory.Allocator
	types     map[string]arrow.DataType
	stdin     io.Reader
	stdout    io.Writer
	batch     int
	format    Format
	hasFormat bool
	whole     bool // internal: ReadAll asks for one batch
	recycle   bool // WithRecycledBuffers
	dict      bool // WithDictionary
	dictCols  map[string]bool
	inputs    []Input
	groupRows int64             // tests: Parquet row group size (0: ParquetRowGroupRows)
	groups    func(int) bool    // WithRowGroups
	sheet     string            // WithSheet
	names     map[string]string // WithName
	delim     rune              // WithDelimiter (0: detect)
	decimal   rune              // WithDecimal (0: detect)
	// internal, for reading a spooled Excel sheet as CSV:
	header []string // the column names (the file has no header line)
	skip   int      // records to skip before the data
	pad    bool     // short records are padded with empty fields
}

// Option configures Open, ReadAll and Write.
type Option func(*config)

func newConfig(opts []Option) *config {
	c := &config{mem: memory.DefaultAllocator, stdin: os.Stdin, stdout: os.Stdout, batch: DefaultBatchSize}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

// WithColumns projects the read to the named columns, in the given order
// (duplicates are dropped). Only these columns are decoded. A name that is
// not in the file is an error wrapping ErrMissingColumn that lists the
// available columns. No names means all columns.
func WithColumns(cols ...string) Option {
	return func(c *config) {
		seen := make(map[string]bool, len(cols))
		c.cols = c.cols[:0]
		for _, n := range cols {
			if !seen[n] {
				seen[n] = true
				c.cols = append(c.cols, n)
			}
		}
	}
}

// WithAllocator sets the allocator for every array that is built or read.
func WithAllocator(mem memory.Allocator) Option {
	return func(c *config) {
		if mem != nil {
			c.mem = mem
		}
	}
}

// WithTypes forces the type of CSV columns instead of inferring it, for
// example ballot_id as arrow.BinaryTypes.String even when every id looks like
// a number, or a Likert item as arrow.PrimitiveTypes.Int8. Supported types:
// bool, int8..int64, uint8..uint64, float32, float64, string, large_string
// (another type is a caller bug and panics when the file is opened).
// A cell that does not convert is an *Error with its line and column wrapping
// ErrBadValue. Names not in the file are ignored. Parquet and IPC files carry
// their own types and ignore this option.
func WithTypes(types map[string]arrow.DataType) Option {
	return func(c *config) { c.types = types }
}

// WithStdin sets what the path "-" reads (default os.Stdin).
func WithStdin(r io.Reader) Option { return func(c *config) { c.stdin = r } }

// WithName makes the errors about the file at path name it name instead
// of its path (a temporary copy of standard input named as the input it
// stands for, say). Later calls add names.
func WithName(path, name string) Option {
	return func(c *config) {
		if c.names == nil {
			c.names = map[string]string{}
		}
		c.names[path] = name
	}
}

// WithStdout sets what the path "-" writes (default os.Stdout).
func WithStdout(w io.Writer) Option { return func(c *config) { c.stdout = w } }

// WithRecycledBuffers makes a Parquet reader recycle the buffers of the
// batches it returned once they are released (every batch is released by
// the next call to Next unless retained), instead of allocating fresh
// zeroed memory for every batch and leaving the old to the garbage
// collector: for reading a large file batch by batch. Buffers still held
// when the reader is closed are freed when they are released.
func WithRecycledBuffers() Option { return func(c *config) { c.recycle = true } }

// WithBatchSize sets the number of rows per record batch for CSV and Parquet
// reads (default DefaultBatchSize); n <= 0 keeps the default. IPC files keep
// the batches they were written with.
func WithBatchSize(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.batch = n
		}
	}
}

// WithFormat overrides the format chosen by extension, for example to read
// an Arrow IPC stream from stdin ("-").
func WithFormat(f Format) Option {
	if f < CSV || f > XLSX {
		panic("arrowio: WithFormat: unknown format")
	}
	return func(c *config) { c.format, c.hasFormat = f, true }
}

// WithDictionary reads Parquet text columns (Arrow string or binary) whose
// data pages are dictionary-encoded in every row group as Arrow
// dictionary<int32, string> arrays instead of plain strings: a register
// whose province, district or field columns repeat a few hundred values
// over millions of rows then costs index decoding rather than a copy of
// every string. Only the named columns, or every such column when no names
// are given. The Reader's schema shows the dictionary types. CSV and IPC
// files ignore it (IPC keeps the types it was written with).
func WithDictionary(cols ...string) Option {
	return func(c *config) {
		c.dict, c.dictCols = true, nil
		if len(cols) > 0 {
			c.dictCols = make(map[string]bool, len(cols))
			for _, n := range cols {
				c.dictCols[n] = true
			}
		}
	}
}

// withRowGroupRows sets the rows per Parquet row group written (tests).
func withRowGroupRows(n int64) Option { return func(c *config) { c.groupRows = n } }

// WithSheet names the sheet of an Excel workbook to read (default: the
// first). A name the workbook does not have is an *Error wrapping
// ErrMissingSheet that lists its sheets. Other formats ignore it.
func WithSheet(name string) Option { return func(c *config) { c.sheet = name } }

// WithDelimiter sets the field delimiter of CSV input: ',', ';' or '\t'
// (another rune is a caller bug and panics). By default it is detected
// from the header line: the one of the three that occurs most often
// outside quotes, ',' when none does.
func WithDelimiter(d rune) Option {
	if d != ',' && d != ';' && d != '\t' {
		panic(fmt.Sprintf("arrowio: WithDelimiter: %q is not one of ',', ';', tab", d))
	}
	return func(c *config) { c.delim = d }
}

// WithDecimal sets the decimal separator of numbers in CSV input: '.' or
// ',' (another rune is a caller bug and panics). By default a
// comma-delimited file uses '.', and a file delimited by ';' or tab uses
// ',' when some numeric column has decimal commas ("3,5") and '.'
// otherwise; a file with both is an error wrapping ErrBadValue that points
// at one value of each. Thousands separators are not read: "1.234,5" is
// text.
func WithDecimal(d rune) Option {
	if d != '.' && d != ',' {
		panic(fmt.Sprintf("arrowio: WithDecimal: %q is not '.' or ','", d))
	}
	return func(c *config) { c.decimal = d }
}

// Options combines options into one (applied in order), so that a set of
// reading options can travel as a single value.
func Options(opts ...Option) Option {
	return func(c *config) {
		for _, o := range opts {
			if o != nil {
				o(c)
			}
		}
	}
}
