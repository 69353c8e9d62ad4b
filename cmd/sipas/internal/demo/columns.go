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
