package selection

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// FileFrameOptions configures NewFileFrame. The zero value (or a nil
// pointer) reads text columns as plain strings with the default allocator.
type FileFrameOptions struct {
	// Allocator allocates every array read; nil means
	// memory.DefaultAllocator.
	Allocator memory.Allocator
	// Dictionary reads Parquet text columns whose data pages are
	// dictionary-encoded as Arrow dictionary<int32, string> arrays instead
	// of plain strings: a register whose province or district columns
	// repeat a few hundred values over millions of rows then costs index
	// decoding rather than a copy of every string. SelectSample still
	// returns the frame schema's plain strings. CSV and IPC files ignore it.
	Dictionary bool
}

// NewFileFrame opens the table file at path (CSV, Parquet or Arrow IPC, by
// extension) to read its schema and returns a SampleFrame over it: every
// Scan reopens the file reading only the columns asked for, so a register
// of tens of millions of rows is never held in memory (SelectSample reads
// it twice). Errors are those of reading the file: they name it and wrap
// fs.ErrNotExist or a reading error (a column asked for by a Scan and not in
// the file wraps sampling.ErrMissingColumn).
func NewFileFrame(path string, opts *FileFrameOptions) (SampleFrame, error) {
	var o FileFrameOptions
	if opts != nil {
		o = *opts
	}
	f := &selFileFrame{path: path}
	if o.Allocator != nil {
		f.opts = append(f.opts, arrowio.WithAllocator(o.Allocator))
	}
	// the schema without dictionaries: SelectSample turns selected rows back
	// into its plain types
	r, err := arrowio.Open(path, append(f.opts, arrowio.WithColumns())...)
	if err != nil {
		return nil, err
	}
	f.schema = r.Schema()
	r.Close()
	if o.Dictionary {
		f.opts = append(f.opts, arrowio.WithDictionary())
	}
	return f, nil
}

type selFileFrame struct {
	path   string
	schema *arrow.Schema
	opts   []arrowio.Option // every read's options; reads append to a copy
}

func (f *selFileFrame) Schema() *arrow.Schema { return f.schema }

// NumRows is the number of rows when the file's metadata says (Parquet),
// else 0; SelectSample uses it to size its per-row arrays once.
func (f *selFileFrame) NumRows() int64 {
	if format, _ := arrowio.FormatOf(f.path); format != arrowio.Parquet {
		return 0 // opening a CSV would read it
	}
	r, err := arrowio.Open(f.path, f.with(arrowio.WithColumns())...)
	if err != nil {
		return 0
	}
	defer r.Close()
	n, _ := arrowio.Rows(r)
	return n
}

func (f *selFileFrame) Scan(cols []string, fn func(arrow.RecordBatch) error) error {
	opts := f.opts
	if cols != nil {
		opts = f.with(arrowio.WithColumns(cols...))
	}
	r, err := arrowio.Open(f.path, opts...)
	if err != nil {
		return err
	}
	defer r.Close()
	for r.Next() {
		if err := fn(r.RecordBatch()); err != nil {
			return err
		}
	}
	return r.Err()
}

// with returns the frame's options and o in a new slice.
func (f *selFileFrame) with(o arrowio.Option) []arrowio.Option {
	return append(append(make([]arrowio.Option, 0, len(f.opts)+1), f.opts...), o)
}
