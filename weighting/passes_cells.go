package weighting

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// preCells are the cells of the steps before a streamed calibration (rows
// sharing the values of CellKeysOf's columns) and each cell's factor.
type preCells struct {
	cols    []string
	cell    map[string]int32 // the cells by ClassesOf's label
	factor  []float64        // final over design weight total, per cell
	initial Diagnostics      // of the design weights
}

// solveCells runs the steps of pre on the cells of the rows that scan
// reads (one pass; RunCells), keyed by cols.
func solveCells(ctx context.Context, pre *Spec, cols []string, scan Scan, read []string, dw func(arrow.RecordBatch, int64) ([]float64, error)) (*preCells, *Result, error) {
	pc := &preCells{cols: cols, cell: map[string]int32{}}
	var weights, counts []float64
	var parts [][]arrow.Array // per cell, the one-row slices of cols
	var fields []arrow.Field
	init := newDescriber()
	defer func() {
		for _, p := range parts {
			for _, a := range p {
				a.Release()
			}
		}
	}()
	err := scan(ctx, read, func(rec arrow.RecordBatch, first int64) error {
		w, err := dw(rec, first)
		if err != nil {
			return err
		}
		for _, v := range w {
			init.add(v)
		}
		cl, err := ClassesOf(rec, cols)
		if err != nil {
			return rowsFrom(err, first)
		}
		if fields == nil {
			for _, c := range cols {
				fields = append(fields, arrow.Field{Name: c, Type: column(rec, c).DataType(), Nullable: true})
			}
		}
		bk := make([]int32, len(cl.Labels))
		for k, l := range cl.Labels {
			c, ok := pc.cell[l]
			if !ok {
				c = int32(len(weights))
				pc.cell[l] = c
				weights, counts = append(weights, 0), append(counts, 0)
				parts = append(parts, nil)
				bk[k] = -1 - c // the cell's first row is still to be kept
				continue
			}
			bk[k] = c
		}
		for i, k := range cl.Index {
			c := bk[k]
			if c < 0 {
				c = -1 - c
				bk[k] = c
				row := make([]arrow.Array, len(cols))
				for j, name := range cols {
					row[j] = array.NewSlice(column(rec, name), int64(i), int64(i+1))
				}
				parts[c] = row
			}
			weights[c] += w[i]
			counts[c]++
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	arrs := make([]arrow.Array, len(cols))
	for j := range cols {
		col := make([]arrow.Array, len(parts))
		for c := range parts {
			col[c] = parts[c][j]
		}
		a, err := array.Concatenate(col, memory.DefaultAllocator)
		if err != nil {
			return nil, nil, fmt.Errorf("weighting: the cells of column %q: %w", cols[j], err)
		}
		defer a.Release()
		arrs[j] = a
	}
	cells := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(len(weights)))
	defer cells.Release()
	res, err := RunCells(pre, cells, weights, counts)
	if err != nil {
		return nil, nil, err
	}
	pc.factor = make([]float64, len(weights))
	for c, v := range res.Weights {
		pc.factor[c] = v / weights[c]
	}
	pc.initial = init.finish()
	return pc, res, nil
}

// startWeights are the weights of rec's rows that the calibration starts
// from: the design weights times the factor of the earlier steps' cell.
func (s *Streamed) startWeights(rec arrow.RecordBatch, first int64) ([]float64, error) {
	w, err := s.designWeights(rec, first)
	if err != nil || s.pre == nil {
		return w, err
	}
	cl, err := ClassesOf(rec, s.pre.cols)
	if err != nil {
		return nil, rowsFrom(err, first)
	}
	f := make([]float64, len(cl.Labels))
	for k, l := range cl.Labels {
		c, ok := s.pre.cell[l]
		if !ok {
			return nil, &StepError{Cell: l, Err: ErrBadData, Msg: "the weighting class is new since the first pass over the rows: the input changed while it was read"}
		}
		f[k] = s.pre.factor[c]
	}
	for i, k := range cl.Index {
		w[i] *= f[k]
	}
	return w, nil
}

// CellColumns are the class columns and respondent flags of the steps
// before the calibration (none without): rows that share their values
// share the factor of those steps, so a row's start weight is 0 (a
// nonrespondent) exactly when every row of its cell has weight 0.
func (s *Streamed) CellColumns() []string {
	if s.pre == nil {
		return nil
	}
	return append([]string(nil), s.pre.cols...)
}
