package demo

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
)

func stringColumn(rec arrow.RecordBatch, name string) ([]string, []bool, error) {
	col, err := arrowio.Column(rec, name)
	if err != nil {
		return nil, nil, err
	}
	return arrowio.Strings(col)
}

func floatColumn(rec arrow.RecordBatch, name string) ([]float64, error) {
	col, err := arrowio.Column(rec, name)
	if err != nil {
		return nil, err
	}
	v, _, err := arrowio.Float64s(col)
	return v, err
}

// filterRecord keeps the rows where mask is true.
func filterRecord(rec arrow.RecordBatch, mask *array.Boolean, mem memory.Allocator) (arrow.RecordBatch, error) {
	ctx := compute.WithAllocator(context.Background(), mem)
	out, err := compute.FilterRecordBatch(ctx, rec, mask, compute.DefaultFilterOptions())
	if err != nil {
		return nil, err
	}
	return out, nil
}

// withFloatColumn returns rec with a float64 column appended (or replaced
// when a column of that name exists). The caller Releases the result.
func withFloatColumn(rec arrow.RecordBatch, name string, v []float64, mem memory.Allocator) arrow.RecordBatch {
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	b.AppendValues(v, nil)
	arr := b.NewArray()
	defer arr.Release()
	fields := []arrow.Field{}
	cols := []arrow.Array{}
	for i, f := range rec.Schema().Fields() {
		if f.Name == name {
			continue
		}
		fields = append(fields, f)
		cols = append(cols, rec.Column(i))
	}
	fields = append(fields, arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float64})
	cols = append(cols, arr)
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
}
