package sampling

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// NewFileFrame returns a SampleFrame over a table file (CSV, Parquet or
// Arrow IPC, by extension) with the given schema: every Scan reopens the
// file reading only the columns asked for, so a register of tens of
// millions of rows is never held in memory (SelectSample reads it twice).
func NewFileFrame(path string, schema *arrow.Schema) SampleFrame {
	return &selFileFrame{path: path, schema: schema}
}

type selFileFrame struct {
	path   string
	schema *arrow.Schema
}

func (f *selFileFrame) Schema() *arrow.Schema { return f.schema }

func (f *selFileFrame) Scan(cols []string, fn func(arrow.RecordBatch) error) error {
	var opts []arrowio.Option
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
