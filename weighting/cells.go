package weighting

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
)

// ErrRowLevel marks a step that needs every row's own values: it cannot run
// on cells of rows (RunCells).
var ErrRowLevel = errors.New("the step needs every row")

// CellKeys says how rows must be grouped into cells for the steps of a
// Spec to run on the cells' totals (RunCells).
type CellKeys struct {
	// Columns are the class columns of every step and the respondent flags
	// of nonresponse steps, in step order without repeats.
	Columns []string
	// Flags are those of Columns that are respondent flags (yes/no; a
	// missing value is "no", as for the rows).
	Flags []string
	// DesignWeight is true when every row of a cell must also have the
	// same design weight: trimming (it caps each row's weight) and
	// calibration bounds on the final weights (they divide by each row's
	// weight).
	DesignWeight bool
	// Unweighted is true for raking, whose linearized variance takes
	// unweighted class means of z_i/W_i: cells whose rows differ in design
	// weight must then carry, besides the sums of the influence values, the
	// sums of z_i/d_i (Result.AdjustInfluenceCells).
	Unweighted bool
}

// CellKeysOf returns how rows must be grouped for the steps of spec to run
// on cells. Every step whose adjustment factor is a function of the row's
// classes (nonresponse, post-stratification, raking, calibration to
// category margins, trimming) can; a calibration with numeric variables,
// per-row bounds columns, a working-model variance or a cluster aggregate
// needs every row, and is an error wrapping ErrRowLevel naming the step.
func CellKeysOf(spec *Spec) (*CellKeys, error) {
	if spec == nil {
		panic("weighting: CellKeysOf: nil spec")
	}
	k := &CellKeys{}
	add := func(names ...string) {
		for _, n := range names {
			if n != "" && !slices.Contains(k.Columns, n) {
				k.Columns = append(k.Columns, n)
			}
		}
	}
	for i, st := range spec.Steps {
		path := fmt.Sprintf("steps[%d].%s", i, st.Kind())
		rowLevel := func(what string) error {
			return &StepError{Path: path, Err: ErrRowLevel, Msg: what + " differ from row to row within a class, so the step needs every row, not class totals"}
		}
		switch {
		case st.Nonresponse != nil:
			add(st.Nonresponse.Classes...)
			for _, f := range []string{st.Nonresponse.Responded, st.Nonresponse.Returned} {
				if f != "" && !slices.Contains(k.Flags, f) {
					k.Flags = append(k.Flags, f)
				}
				add(f)
			}
		case st.PostStratify != nil:
			add(st.PostStratify.By...)
		case st.Rake != nil:
			for _, m := range st.Rake.Margins {
				add(m.By...)
			}
			k.Unweighted = true
		case st.Calibrate != nil:
			c := st.Calibrate
			switch {
			case len(c.Numeric) > 0:
				return nil, rowLevel("numeric calibration variables")
			case c.BoundsColumns != nil:
				return nil, rowLevel("bounds given as columns")
			case c.Variance != "":
				return nil, rowLevel("working-model variances")
			case c.Aggregate != "":
				return nil, rowLevel("cluster means of the calibration variables")
			}
			for _, m := range c.Margins {
				add(m.By...)
			}
			if c.BoundsConst {
				k.DesignWeight = true
			}
		case st.Trim != nil:
			k.DesignWeight = true
		}
	}
	for _, f := range k.Flags {
		for _, set := range spec.ClassSets() {
			if slices.Contains(set, f) {
				return nil, &StepError{Path: "steps", Err: ErrRowLevel, Msg: fmt.Sprintf("column %q is both a class and a respondent flag", f)}
			}
		}
	}
	return k, nil
}

// RunCells runs the steps of spec over cells instead of rows: row c of
// cells stands for counts[c] rows that share the values of the columns of
// CellKeysOf(spec) (and one design weight when it says so), weights[c] is
// the total of their design weights (> 0). Each step's factor is then a
// function of the cell, and every class total it is solved from is a sum
// of cells' totals, so the returned Result is that of Apply on the rows,
// aggregated: Weights[c] is the total final weight of cell c (each row's
// final weight is its design weight times Weights[c]/weights[c]), and
// AdjustInfluence takes influence values summed over each cell's rows and
// returns the cell sums of the rows' adjusted values (up to the order of
// the additions). The margins' cells (Cells) and errors count rows, as
// Apply's; the other diagnostics (ByClass, ResponseRates, Before, After)
// describe cells, not rows. Errors are those of Apply, and an
// error wrapping ErrRowLevel for a spec that CellKeysOf refuses.
func RunCells(spec *Spec, cells arrow.RecordBatch, weights, counts []float64) (*Result, error) {
	if n := int(cells.NumRows()); len(weights) != n {
		panic(fmt.Sprintf("weighting: RunCells: %d cells, %d weights", n, len(weights)))
	}
	plan, err := CompileCells(spec, cells, counts)
	if err != nil {
		return nil, err
	}
	return plan.apply(spec, cells, weights)
}

// CompileCells is Compile for cells (see RunCells): row c of cells stands
// for counts[c] rows, and Plan.Run and Plan.Replicate run on the cells'
// weight totals (Plan.Replicate on a replicate design over the cells,
// weighted by their design weight totals, whose replicate factors are
// constant within each cell, as for a design by PSU).
func CompileCells(spec *Spec, cells arrow.RecordBatch, counts []float64) (*Plan, error) {
	if _, err := CellKeysOf(spec); err != nil {
		return nil, err
	}
	n := int(cells.NumRows())
	if len(counts) != n {
		panic(fmt.Sprintf("weighting: CompileCells: %d cells, %d counts", n, len(counts)))
	}
	for c, v := range counts {
		if !(v >= 1) || v != math.Trunc(v) {
			return nil, &StepError{Err: ErrBadData, Msg: fmt.Sprintf("cell %d stands for %v rows; a count of rows is a positive integer", c+1, v)}
		}
	}
	plan, err := Compile(spec, cells)
	if err != nil {
		return nil, err
	}
	plan.counts = counts
	return plan, nil
}

// rowWeights returns the weight of one row of every cell, w[c]/cnt[c].
func rowWeights(w, cnt []float64) []float64 {
	out := make([]float64, len(w))
	for c, v := range w {
		out[c] = v / cnt[c]
	}
	return out
}

// medianCounted is the median of the non-zero values of v, value c
// repeated cnt[c] times (cnt nil: once).
func medianCounted(v, cnt []float64) float64 {
	if cnt == nil {
		return median(v)
	}
	type vc struct{ v, n float64 }
	var s []vc
	var total float64
	for c, x := range v {
		if x != 0 {
			s = append(s, vc{x, cnt[c]})
			total += cnt[c]
		}
	}
	if len(s) == 0 {
		return math.NaN()
	}
	sort.Slice(s, func(a, b int) bool { return s[a].v < s[b].v })
	// the k-th smallest value (0-based)
	at := func(k float64) float64 {
		var seen float64
		for _, e := range s {
			seen += e.n
			if k < seen {
				return e.v
			}
		}
		return s[len(s)-1].v
	}
	m := math.Floor(total / 2)
	if math.Mod(total, 2) == 1 {
		return at(m)
	}
	return (at(m-1) + at(m)) / 2
}
