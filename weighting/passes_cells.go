package weighting

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// preCells are the cells of the steps before a streamed calibration (rows
// sharing the values of CellKeysOf's columns, and their design weight when
// it says so) and each cell's factor.
type preCells struct {
	cols     []string
	byWeight bool
	cell     map[cellID]int32 // the cells by ClassesOf's label (and design weight)
	factor   []float64        // final over design weight total, per cell
	initial  Diagnostics      // of the design weights
	// a step after the calibration: its plan on the cells (with their
	// counts), which every replicate re-runs on its own cell totals
	plan *Plan
	rows []int64 // per cell, the input row (from 1) of its first row
}

// cellID names a cell of preCells: its classes' label, and the bits of its
// design weight when the cells are keyed by it (else 0).
type cellID struct {
	label string
	w     uint64
}

// cellsOf returns the cell of each row of rec, whose design weights are w
// (add: a new cell is numbered next; else it is an error, the input having
// changed between passes), and whether each row is its cell's first.
func (pc *preCells) cellsOf(rec arrow.RecordBatch, first int64, w []float64, add bool) ([]int32, []bool, error) {
	cl, err := ClassesOf(rec, pc.cols)
	if err != nil {
		return nil, nil, rowsFrom(err, first)
	}
	out := make([]int32, len(w))
	var isNew []bool
	if add {
		isNew = make([]bool, len(w))
	}
	type local struct {
		k int32
		w uint64
	}
	seen := map[local]int32{}
	for i, k := range cl.Index {
		id := local{k: k}
		if pc.byWeight {
			id.w = math.Float64bits(w[i])
		}
		c, ok := seen[id]
		if !ok {
			key := cellID{cl.Labels[k], id.w}
			if c, ok = pc.cell[key]; !ok {
				if !add {
					return nil, nil, &StepError{Cell: cl.Labels[k], Err: ErrBadData, Msg: "the weighting class is new since the first pass over the rows: the input changed while it was read"}
				}
				c = int32(len(pc.cell))
				pc.cell[key] = c
				isNew[i] = true
			}
			seen[id] = c
		}
		out[i] = c
	}
	return out, isNew, nil
}

// solveCells runs the steps of pre on the cells of the rows that scan
// reads (one pass; RunCells), keyed by cols (and by the design weight with
// byWeight); with later, the weights dw gives are those entering a step
// after the calibration (0 for a nonrespondent) rather than design
// weights, and a cell of weight 0 keeps factor 0.
func solveCells(ctx context.Context, pre *Spec, cols []string, byWeight bool, scan Scan, read []string, dw func(arrow.RecordBatch, int64) ([]float64, error), later bool) (*preCells, *Result, error) {
	pc := &preCells{cols: cols, byWeight: byWeight, cell: map[cellID]int32{}}
	var weights, counts []float64
	var rows []int64          // per cell, the input row (1-based) of its first row
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
		cell, isNew, err := pc.cellsOf(rec, first, w, true)
		if err != nil {
			return err
		}
		if fields == nil {
			for _, c := range cols {
				fields = append(fields, arrow.Field{Name: c, Type: column(rec, c).DataType(), Nullable: true})
			}
		}
		for i, c := range cell {
			if isNew[i] {
				weights, counts = append(weights, 0), append(counts, 0)
				rows = append(rows, first+int64(i)+1)
				row := make([]arrow.Array, len(cols))
				for j, name := range cols {
					row[j] = array.NewSlice(column(rec, name), int64(i), int64(i+1))
				}
				parts = append(parts, row)
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
	var res *Result
	if later {
		plan, err := CompileCells(pre, cells, counts)
		if err != nil {
			return nil, nil, CellRowsError(err, rows)
		}
		if res, err = plan.Run(weights); err != nil {
			return nil, nil, CellRowsError(err, rows)
		}
		pc.plan, pc.rows = plan, rows
	} else if res, err = RunCells(pre, cells, weights, counts); err != nil {
		// the cells are in the order of their first rows (scan reads
		// the rows in order)
		return nil, nil, CellRowsError(err, rows)
	}
	pc.factor = make([]float64, len(weights))
	for c, v := range res.Weights {
		if weights[c] != 0 {
			pc.factor[c] = v / weights[c]
		}
	}
	pc.initial = init.finish()
	return pc, res, nil
}

// startWeights are the weights of rec's rows that the calibration starts
// from: the design weights wd times the factor of the earlier steps' cell
// (wd itself without earlier steps).
func (s *Streamed) startWeights(rec arrow.RecordBatch, first int64) (w, wd []float64, err error) {
	if s.prev != nil {
		if wd, err = s.designWeights(rec, first); err != nil {
			return nil, nil, err
		}
		w, err = s.prev.leaves(rec, first)
		return w, wd, err
	}
	wd, err = s.designWeights(rec, first)
	if err != nil || s.pre == nil {
		return wd, wd, err
	}
	cell, _, err := s.pre.cellsOf(rec, first, wd, false)
	if err != nil {
		return nil, nil, err
	}
	w = make([]float64, len(wd))
	for i, c := range cell {
		w[i] = wd[i] * s.pre.factor[c]
	}
	return w, wd, nil
}

// CellColumns are the class columns and respondent flags of the steps
// before the calibration and of the steps after it that run on cells
// (none without): rows that share their values share the factor of those
// steps, so a row's final weight is 0 (a nonrespondent) exactly when every
// row of its cell has weight 0.
func (s *Streamed) CellColumns() []string {
	var cols []string
	if s.pre != nil {
		cols = append(cols, s.pre.cols...)
	}
	for sg := s; sg != nil; sg = sg.next {
		for _, ls := range sg.later {
			if ls.spec.Steps[0].Trim != nil {
				continue
			}
			if keys, err := CellKeysOf(ls.spec); err == nil {
				for _, c := range keys.Columns {
					if !slices.Contains(cols, c) {
						cols = append(cols, c)
					}
				}
			}
		}
	}
	return cols
}
