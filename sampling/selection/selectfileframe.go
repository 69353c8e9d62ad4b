package selection

import (
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// NewFileFrame returns a SampleFrame over a table file (CSV, Parquet or
// Arrow IPC, by extension) with the given schema: every Scan reopens the
// file reading only the columns asked for, so a register of tens of
// millions of rows is never held in memory (SelectSample reads it twice).
// opts are added to every read, for example arrowio.WithDictionary() to
// decode a Parquet register's text columns as dictionaries.
func NewFileFrame(path string, schema *arrow.Schema, opts ...arrowio.Option) SampleFrame {
	// clipped: every read appends its own options without writing into
	// the caller's array or another read's
	return &selFileFrame{path: path, schema: schema, opts: slices.Clip(opts)}
}

type selFileFrame struct {
	path   string
	schema *arrow.Schema
	opts   []arrowio.Option
}

func (f *selFileFrame) Schema() *arrow.Schema { return f.schema }

// NumRows is the number of rows when the file's metadata says (Parquet),
// else 0; SelectSample uses it to size its per-row arrays once.
func (f *selFileFrame) NumRows() int64 {
	if format, _ := arrowio.FormatOf(f.path); format != arrowio.Parquet {
		return 0 // opening a CSV would read it
	}
	r, err := arrowio.Open(f.path, append(f.opts, arrowio.WithColumns())...)
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
		opts = append(opts, arrowio.WithColumns(cols...))
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
