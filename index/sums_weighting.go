package index

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index/internal/column"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// WeightingSumsSupport says whether the indices of the design spec after
// the weighting steps ws can be computed from per-cell sums of the design
// weights (nil) or why not. The cells are then keyed by stratum, PSU, fpc,
// domain and every weighting class and respondent flag (and by the design
// weight value when a step needs each row's weight: trimming, bounds on
// the final weights; weighting.CellKeysOf): every step's adjustment
// factor is then constant within a cell, so the steps run on the cells'
// totals and the final sums are the cells' design-weighted sums times
// their factors, in one pass over the ballots. A raking's linearized
// variance takes unweighted class means of z/W: the cells carry their
// ballots' unweighted sums of each item for it. spec must give
// no weight column (the starting weight is ws.DesignWeight) and use
// linearization; SumsSupport's limits apply, and a step that needs every
// row (calibration to numeric variables, per-row bounds, a working-model
// variance or cluster aggregates) is an error naming it. With an fpc at
// every stage of a multistage design the cells are keyed by every later
// stage's unit and fpc too, and a PPS first stage's by the PSU's
// inclusion probability (the fpc): a cell's rows then share every unit
// whose totals the variance takes, so the variance after the weighting
// is finished from the cells too.
func WeightingSumsSupport(spec *sampling.DesignOptions, ws *weighting.Spec) error {
	return weightingSumsSupport(spec, ws)
}

func weightingSumsSupport(spec *sampling.DesignOptions, ws *weighting.Spec) error {
	if ws == nil {
		return SumsSupport(spec)
	}
	if spec == nil {
		spec = &sampling.DesignOptions{}
	}
	switch {
	case spec.Weight != "":
		return errors.New("the design has a weight column: the starting weight is the weighting specification's design weight")
	case suppliedReplicates(spec):
		return errors.New("replicate weight columns and a weighting exclude each other: with a weighting the replicates are made from the design and every step is re-run on them")
	}
	ds := *spec
	ds.Weight = ws.DesignWeight
	if ds.Weight == "" {
		ds.Weight = sumsUnitWeight // every row weighs 1: no weights from the fpc
	}
	if err := SumsSupport(&ds); err != nil {
		return err
	}
	_, err := weighting.CellKeysOf(ws)
	return err
}

// FromWeightedSums finishes the indices of Compute on the design
// weighting.NewDesign(ballots, ws, spec) from the sums table of the
// ballots accumulated with the weighting ws (SumFile with
// StreamOptions.Weighting): per cell of stratum, PSU, fpc, domain and
// weighting classes, the sums of Sums.Table weighted by the design
// weights. The weighting steps run on the cells (weighting.RunCells, which
// solves each step from the class totals of the cells), each cell's sums
// are scaled by its factor final/design weight, and the linearized
// variance takes the influence values' residuals on the calibration from
// the cells (exact: each cell's rows share their classes); a replicate
// variance re-runs the steps on every replicate's cell totals, as
// weighting.NewDesign does on the rows. Estimates and
// SEs equal Compute's on the weighted design up to the order of the
// additions. Besides FromSums's results it returns the weighting run on
// the cells (its Final.Sum is the total final weight).
func FromWeightedSums(ctx context.Context, sums arrow.RecordBatch, q *Questionnaire, spec *sampling.DesignOptions, ws *weighting.Spec, opt *Options) (*Result, *sampling.Design, *weighting.Result, error) {
	if ws == nil {
		panic("index: FromWeightedSums: nil weighting")
	}
	return fromSums(ctx, sums, q, spec, opt, ws, nil)
}

// Names of the columns cellReplicates and fromSums add to a sums table.
const (
	cellDesignWeight = "\x00sipas_cell_design_weight"
	cellRepPrefix    = "\x00sipas_cell_repw_"
)

// cellReplicates re-runs the steps of ws on every replicate of spec's
// replicate design over the cells of sums, weighted by their design weight
// totals w0 (R as.svrepdesign before the weighting, as weighting.NewDesign).
func cellReplicates(ctx context.Context, sums arrow.RecordBatch, spec *sampling.DesignOptions, ws *weighting.Spec, w0, cnt []float64) (*weighting.Replicates, error) {
	plan, err := weighting.CompileCells(ws, sums, cnt)
	if err != nil {
		return nil, err
	}
	rec := withFloatColumn(sums, cellDesignWeight, w0)
	defer rec.Release()
	ds := *spec
	ds.Weight = cellDesignWeight
	d0, err := sampling.NewDesign(rec, &ds)
	if err != nil {
		return nil, err
	}
	return plan.Replicate(ctx, d0)
}

// cellRepRows makes the cells of a sums table rows of the replicate design
// of the weighting run wres on the cells and its replicates reps (whose
// steps re-ran on every replicate's cell totals, cellReplicates). Cell c
// stands for rows[c] ballots of one final weight w_c = W_c/rows[c] (with a
// replicate variance the cells are keyed by the design weight) and
// replicate weights w_rc = W_rc/rows[c]. It becomes a row of weight
// m_c = W_c/√rows[c] and replicate weights W_rc/√rows[c], with its sums
// divided by m_c (0 when m_c is 0: nonrespondents): the estimates and
// replicate estimates are the ballots', and so is the Gram matrix
// Σ_c rows[c]·w_rc·w_sc of the replicate weights, whose rank gives the
// degrees of freedom. It returns m, the replicate weight columns to add
// to the table (the caller releases them) and sets ds to those supplied
// replicates.
func cellRepRows(wres *weighting.Result, reps *weighting.Replicates, rows []int64, ds *sampling.DesignOptions) (m []float64, fields []arrow.Field, cols []arrow.Array) {
	m = make([]float64, len(rows))
	for c, w := range wres.Weights {
		m[c] = w / math.Sqrt(float64(rows[c]))
	}
	for r, rw := range reps.Weights {
		b := array.NewFloat64Builder(memory.DefaultAllocator)
		for c, x := range rw {
			if m[c] != 0 {
				b.Append(x / math.Sqrt(float64(rows[c])))
			} else {
				b.Append(0)
			}
		}
		cols = append(cols, b.NewArray())
		b.Release()
		fields = append(fields, arrow.Field{Name: cellRepPrefix + strconv.Itoa(r+1), Type: arrow.PrimitiveTypes.Float64})
	}
	// the fpc is in the replicate scales, and the replicates are of the
	// first stage's units only
	ds.FPC, ds.Stages = "", nil
	ds.Variance = sampling.SuppliedReplicates
	ds.RepWeightsPrefix, ds.RepType = cellRepPrefix, "other"
	ds.RepScale, ds.RepRScales = reps.Scale, reps.RScales
	return m, fields, cols
}

// perUnit divides every cell c of each of cols by m[c] (0 where m[c] is 0).
func perUnit(m []float64, cols ...[]float64) {
	for _, col := range cols {
		for c := range col {
			if m[c] != 0 {
				col[c] /= m[c]
			} else {
				col[c] = 0
			}
		}
	}
}

// rakeHook is the linearized variance's adjustment of the influence
// values for a weighting with a raking run on cells whose ballots differ
// in design weight d_i (sampling.DesignOptions.AdjustInfluenceTerms and
// sampling.UnitResiduals.AdjustTerms): a ballot's z_i/d_i is its cell's
// factor f_c (final/design weight) times a y_i − b x_i in the term's
// domain, so the cell's Σ z/d is f_c (a Σ y − b Σ x) over its ballots,
// unweighted (weighting.Result.AdjustInfluenceCells).
type rakeHook struct {
	wres   *weighting.Result
	f      []float64   // per cell: final/design weight
	uy, ux [][]float64 // per estimand and cell: Σ y and Σ x, unweighted
	dom    []int32     // per cell: its domain's code (nil: no domains)
	// scratch: *[][]float64 of per-term sums of z/d, reused across the
	// calls (made from several goroutines at once), which are as many as
	// the estimands and domains: a fresh vector each would be as much
	// garbage as the cells' sums many times over
	scratch sync.Pool
}

func (h *rakeHook) adjust(terms []sampling.InfluenceTerm, zs ...[]float64) {
	p, _ := h.scratch.Get().(*[][]float64)
	if p == nil {
		p = new([][]float64)
	}
	defer h.scratch.Put(p)
	for len(*p) < len(zs) {
		*p = append(*p, nil)
	}
	us := (*p)[:len(zs)]
	for b, tm := range terms {
		u := us[b]
		if cap(u) < len(zs[b]) {
			u = make([]float64, len(zs[b]))
		}
		u = u[:len(zs[b])]
		y, x := h.uy[tm.Item], h.ux[tm.Item]
		for c := range u {
			if tm.Domain >= 0 && (h.dom == nil || int(h.dom[c]) != tm.Domain) {
				u[c] = 0
				continue
			}
			u[c] = h.f[c] * (tm.A*y[c] - tm.B*x[c])
		}
		us[b] = u
	}
	h.wres.AdjustInfluenceCells(zs, us)
}

// getUnweighted reads the column col of unweighted sums from the sums
// table of a raking (weightingUnweighted).
func getUnweighted(sums arrow.RecordBatch, get func(string) ([]float64, error), col string) ([]float64, error) {
	if column.Index(sums, col) < 0 {
		return nil, fmt.Errorf("%w: no column %q: the linearized variance of a raking takes its ballots' unweighted sums, which this table lacks (it was written by an older version, which keyed the cells by the design weight instead, or without the weighting); compute it again", ErrSums, col)
	}
	return get(col)
}
