package demo

import (
	"context"
	"fmt"
	"slices"

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

// countBy counts the rows of rec by the text of column col.
func countBy(rec arrow.RecordBatch, col string) (map[string]float64, error) {
	vals, _, err := stringColumn(rec, col)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, v := range vals {
		out[v]++
	}
	return out, nil
}

// KeyingChanges are the cells the second keying of Keyings types
// differently from the first: row (0-based) and column.
var KeyingChanges = []struct {
	Row    int
	Column string
}{{7, "access_1"}, {120, "officials_3"}, {251, "outcomes_2"}}

// Keyings returns two keyings of the first n returned ballots, as two data
// entry clerks would type them: the first as returned, the second with the
// answer codes of KeyingChanges typed one higher (5 as 1). n must exceed
// the last changed row.
func Keyings(returned arrow.RecordBatch, n int, mem memory.Allocator) (first, second arrow.RecordBatch, err error) {
	first = returned.NewSlice(0, int64(n))
	cols := make([]arrow.Array, first.NumCols())
	for i := range cols {
		cols[i] = first.Column(i)
		cols[i].Retain()
	}
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for _, ch := range KeyingChanges {
		idx := first.Schema().FieldIndices(ch.Column)
		if len(idx) == 0 || ch.Row >= n {
			first.Release()
			return nil, nil, fmt.Errorf("demo: keying change at row %d, column %q is outside the ballots", ch.Row, ch.Column)
		}
		v, valid, err := arrowio.Ints(cols[idx[0]])
		if err != nil {
			first.Release()
			return nil, nil, err
		}
		v[ch.Row] = v[ch.Row]%5 + 1
		if valid != nil {
			valid[ch.Row] = true
		}
		b := array.NewInt64Builder(mem)
		b.AppendValues(v, valid)
		cols[idx[0]].Release()
		cols[idx[0]] = b.NewArray()
		b.Release()
	}
	fields := slices.Clone(first.Schema().Fields())
	for i, c := range cols {
		fields[i].Type = c.DataType()
	}
	second = array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(n))
	return first, second, nil
}
