package index

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// NewtonReplicates are the replicates of a replicate design generated from
// the design (jackknife, bootstrap, BRR, Fay: factors constant within
// PSUs) after a raking-ratio, logit or bounded calibration solved by
// passes over the ballots (weighting.SolveStream): every replicate
// re-runs the steps before the calibration on its cell totals and solves
// its calibration by its own Newton iterations, all replicates in one
// pass per iteration (weighting.Streamed.SolveReplicates). The ballots
// are then summed once more with their final and replicate weights as
// columns (SumFile, SumEstimandsFile), and the variance is that of those
// replicate weights with the generated method's scales, as
// weighting.NewDesign's in memory.
type NewtonReplicates struct {
	// Passes is the number of passes over the file SolveNewtonReplicates
	// made: one for the replicates' units, then those of
	// weighting.Streamed.SolveReplicates.
	Passes int

	st     *weighting.Streamed
	nr     *weighting.NewtonReplicates
	spec   sampling.DesignOptions
	scale  float64
	rscale []float64
}

// newtonMaxGroups is ReplicateUnits.MaxGroups (tests set it to run the
// passes per Newton iteration).
var newtonMaxGroups = 0

// newtonRepPrefix names the replicate weight columns that the passes of
// NewtonReplicates add to every batch.
const newtonRepPrefix = "\x00sipas_nrep_"

// unitKey is a unit of the replicates: a PSU (psuKey) and a cell of the
// steps before the calibration.
type unitKey struct {
	psu  string
	cell int32
}

// newtonUnits numbers the units of the rows of a file.
type newtonUnits struct {
	spec *sampling.DesignOptions
	st   *weighting.Streamed
	ids  map[unitKey]int32
}

// of returns the unit of every row of rec (add: a new unit is numbered
// next, and isNew says which rows are their unit's first; else a new unit
// is an error).
func (nu *newtonUnits) of(rec arrow.RecordBatch, first int64, add bool) ([]int32, []bool, error) {
	keys, err := psuKeys(rec, nu.spec)
	if err != nil {
		return nil, nil, err
	}
	cells, err := nu.st.EarlierCells(rec, first)
	if err != nil {
		return nil, nil, err
	}
	out := make([]int32, len(keys))
	var isNew []bool
	if add {
		isNew = make([]bool, len(keys))
	}
	var last unitKey
	id := int32(-1)
	for i, k := range keys {
		uk := unitKey{psu: k}
		if cells != nil {
			uk.cell = cells[i]
		}
		if id < 0 || uk != last {
			var ok bool
			if id, ok = nu.ids[uk]; !ok {
				if !add {
					return nil, nil, fmt.Errorf("row %d: %w: stratum and PSU %q are new since the first pass: the input changed while it was read", first+int64(i)+1, ErrSums, k)
				}
				id = int32(len(nu.ids))
				nu.ids[uk] = id
				isNew[i] = true
			}
			last = uk
		}
		out[i] = id
	}
	return out, isNew, nil
}

// transformedScan is a weighting.Scan of the file at path through so's
// Transform (reading so.Columns too, where the file has them).
func transformedScan(path string, so *StreamOptions) weighting.Scan {
	scan := ScanFile(path, so.Read...)
	return func(ctx context.Context, cols []string, fn func(rec arrow.RecordBatch, first int64) error) error {
		cols = withPresent(path, cols, so)
		return scan(ctx, cols, func(rec arrow.RecordBatch, first int64) error {
			if so.Transform != nil {
				t, err := so.Transform(rec, first)
				if err != nil {
					return err
				}
				defer t.Release()
				rec = t
			}
			return fn(rec, first)
		})
	}
}

// SolveNewtonReplicates solves the replicates of the replicate design spec
// (a generated replicate method, no weight column) after the calibration
// st (weighting.NewtonReplicatesStreamSupport accepts its spec) by passes
// over the file at path (so's reader options and Transform apply; so's
// Weighting must be unset): one numbers the units (a PSU and a class of
// the steps before the calibration) and sums their design weights, from
// which the generated replicate factors a_ru and the earlier steps re-run
// on every replicate's unit totals give each replicate's start weights
// a_ru f_ru d_i; then weighting.Streamed.SolveReplicates. A replicate
// whose steps fail is an error naming it, as weighting.NewDesign's (Err
// of the sums pass reports those found with the weights).
func SolveNewtonReplicates(ctx context.Context, path string, spec *sampling.DesignOptions, st *weighting.Streamed, so *StreamOptions) (*NewtonReplicates, error) {
	var o StreamOptions
	if so != nil {
		o = *so
	}
	if spec.Variance == sampling.Linearization || spec.Weight != "" || suppliedReplicates(spec) {
		panic("index: SolveNewtonReplicates: not a generated replicate design without a weight column")
	}
	scan := transformedScan(path, &o)
	nu := &newtonUnits{spec: spec, st: st, ids: map[unitKey]int32{}}
	var ucols []string
	for _, c := range []string{spec.Strata, spec.PSU, spec.FPC} {
		if c != "" {
			ucols = append(ucols, c)
		}
	}
	tcols := append(append([]string(nil), ucols...), st.CellColumns()...)
	// ---- the units: one row each of the design and class columns -----------
	var parts [][]arrow.Array
	var D, rows []float64
	var fields []arrow.Field
	defer func() {
		for _, p := range parts {
			for _, a := range p {
				a.Release()
			}
		}
	}()
	err := scan(ctx, unique(append(append([]string(nil), tcols...), st.Columns()...)), func(rec arrow.RecordBatch, first int64) error {
		d, err := st.DesignWeights(rec, first)
		if err != nil {
			return err
		}
		unit, isNew, err := nu.of(rec, first, true)
		if err != nil {
			return err
		}
		if fields == nil {
			for _, c := range tcols {
				a, err := arrowio.Column(rec, c)
				if err != nil {
					return err
				}
				fields = append(fields, arrow.Field{Name: c, Type: a.DataType(), Nullable: true})
			}
		}
		for i, u := range unit {
			if isNew[i] {
				D, rows = append(D, 0), append(rows, 0)
				row := make([]arrow.Array, len(tcols))
				for j, c := range tcols {
					a, _ := arrowio.Column(rec, c)
					row[j] = array.NewSlice(a, int64(i), int64(i+1))
				}
				parts = append(parts, row)
			}
			D[u] += d[i]
			rows[u]++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	n := len(D)
	arrs := make([]arrow.Array, len(tcols))
	for j := range tcols {
		col := make([]arrow.Array, n)
		for u := range parts {
			col[u] = parts[u][j]
		}
		a, err := array.Concatenate(col, memory.DefaultAllocator)
		if err != nil {
			return nil, fmt.Errorf("index: the replicates' units of column %q: %w", tcols[j], err)
		}
		defer a.Release()
		arrs[j] = a
	}
	units := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(n))
	defer units.Release()
	// ---- the replicate factors of the units ---------------------------------
	d0, _, fac, err := replicateFactors(ctx, units, spec, st.EarlierSpec(), func(name string) ([]float64, error) {
		if name == SumsRows {
			return rows, nil
		}
		return D, nil
	})
	if err != nil {
		return nil, err
	}
	R := d0.Replicates()
	out := &NewtonReplicates{st: st, spec: *spec, Passes: 1}
	out.scale, out.rscale = d0.ReplicateScales()
	ru := &weighting.ReplicateUnits{R: R, Factor: fac, Columns: ucols, MaxGroups: newtonMaxGroups,
		Of: func(rec arrow.RecordBatch, first int64) ([]int32, error) {
			u, _, err := nu.of(rec, first, false)
			return u, err
		}}
	if out.nr, err = st.SolveReplicates(ctx, scan, ru); err != nil {
		return nil, err
	}
	out.Passes += out.nr.Passes
	return out, nil
}

// Err is the error of the first replicate whose calibration failed or,
// after SumFile or SumEstimandsFile, made a weight negative or zero, as
// weighting.NewDesign's (nil: every replicate solved).
func (nr *NewtonReplicates) Err() error { return nr.nr.Err() }

// sumsDesign is the design the ballots are summed with: the final weights
// and the replicate weights as columns that transform adds.
func (nr *NewtonReplicates) sumsDesign() *sampling.DesignOptions {
	ds := nr.finishDesign()
	ds.Weight = calWeight
	ds.RepWeightsPrefix = newtonRepPrefix
	return &ds
}

// finishDesign is the design the sums table finishes with (as
// CalibratedReplicates.suppliedDesign).
func (nr *NewtonReplicates) finishDesign() sampling.DesignOptions {
	ds := nr.spec
	ds.FPC = "" // in the replicate scales
	ds.Variance, ds.RepType = sampling.SuppliedReplicates, "other"
	ds.RepScale, ds.RepRScales = nr.scale, nr.rscale
	ds.Replicates, ds.Seed = 0, 0
	return ds
}

// transform adds to every batch (after user's, nil: none) the final
// weights and the replicate weights.
func (nr *NewtonReplicates) transform(user func(arrow.RecordBatch, int64) (arrow.RecordBatch, error)) func(arrow.RecordBatch, int64) (arrow.RecordBatch, error) {
	return func(rec arrow.RecordBatch, first int64) (arrow.RecordBatch, error) {
		if user != nil {
			t, err := user(rec, first)
			if err != nil {
				return nil, err
			}
			defer t.Release()
			rec = t
		}
		w, reps, err := nr.nr.Weights(rec, first)
		if err != nil {
			return nil, err
		}
		fields := append([]arrow.Field(nil), rec.Schema().Fields()...)
		arrs := append([]arrow.Array(nil), rec.Columns()...)
		var made []arrow.Array
		add := func(name string, v []float64) {
			a := array.NewData(arrow.PrimitiveTypes.Float64, len(v), []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Float64Traits.CastToBytes(v))}, nil, 0, 0)
			arr := array.NewFloat64Data(a)
			a.Release()
			made = append(made, arr)
			fields = append(fields, arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float64})
			arrs = append(arrs, arr)
		}
		add(calWeight, w)
		for r, v := range reps {
			add(newtonRepPrefix+strconv.Itoa(r+1), v)
		}
		out := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, rec.NumRows())
		for _, a := range made {
			a.Release()
		}
		return out, nil
	}
}

// withRepFields is sch with the fields that transform adds.
func (nr *NewtonReplicates) withRepFields(sch *arrow.Schema) *arrow.Schema {
	fields := append([]arrow.Field(nil), sch.Fields()...)
	fields = append(fields, arrow.Field{Name: calWeight, Type: arrow.PrimitiveTypes.Float64})
	for r := 0; r < nr.nr.R(); r++ {
		fields = append(fields, arrow.Field{Name: newtonRepPrefix + strconv.Itoa(r+1), Type: arrow.PrimitiveTypes.Float64})
	}
	md := sch.Metadata()
	return arrow.NewSchema(fields, &md)
}

// SumFile is SumCalibratedFile for the replicates nr: every ballot of the
// file at path (so's reader options and Transform apply, as in
// SolveNewtonReplicates) is summed with its final weight and, per domain,
// with its replicate weights (a PSU's factor times the earlier steps'
// replicate factor times its design weight times its replicate's g);
// FromNewtonReplicateSums finishes. A replicate whose calibration failed
// or made a weight negative or zero is an error naming it.
func (nr *NewtonReplicates) SumFile(ctx context.Context, path string, q *Questionnaire, opt *Options, so *StreamOptions) (*Sums, error) {
	if q == nil {
		q = DefaultQuestionnaire()
	}
	if opt == nil {
		opt = &Options{}
	}
	var o StreamOptions
	if so != nil {
		o = *so
	}
	cols := append(append([]string(nil), q.Columns()...), nr.nr.Columns()...)
	if !opt.NoExpectations {
		cols = append(cols, q.ExpectationColumns()...)
	}
	cols = append(cols, designColumns(&nr.spec, opt.By)...)
	o.Transform = nr.transform(o.Transform)
	ds := nr.sumsDesign()
	return nr.sumRows(ctx, path, cols, opt.By, &o, ds, func(sch *arrow.Schema) (*Sums, error) {
		return newSums(q, ds, opt, sch, nil)
	})
}

// sumRows sums the file at path with the rows' replicate weights (its
// last pass): newSums makes the Sums of a batch schema that has the
// replicate weight columns, and the cells are also keyed by the
// calibration's cells.
func (nr *NewtonReplicates) sumRows(ctx context.Context, path string, cols, by []string, o *StreamOptions, ds *sampling.DesignOptions, newSums func(*arrow.Schema) (*Sums, error)) (*Sums, error) {
	return sumFile(ctx, path, cols, dictColumns(&nr.spec, by), repBatches(o, nr.nr.R()), func(sch *arrow.Schema) (*Sums, error) {
		s, err := newSums(nr.withRepFields(sch))
		if err != nil {
			return nil, err
		}
		if err := addCalibrationKeys(s, sch, ds, nr.st); err != nil {
			return nil, err
		}
		return s, nil
	})
}

// FromNewtonReplicateSums finishes the indices of Compute on the design
// weighting.NewDesign(ballots, ws, spec) from s, the Sums of
// NewtonReplicates.SumFile, and its table sums (Sums.Table): the variance
// is that of the replicate weights with the generated method's scales
// (sampling.NewReplicateSumsDesign), so estimates, SEs, intervals, design
// effects and degrees of freedom equal Compute's up to the order of the
// additions and the Newton iterations' rounding.
func (nr *NewtonReplicates) FromNewtonReplicateSums(ctx context.Context, sums arrow.RecordBatch, s *Sums, q *Questionnaire, opt *Options) (*Result, *sampling.Design, error) {
	if err := nr.Err(); err != nil {
		return nil, nil, err
	}
	ds := nr.finishDesign()
	// (st: cells of nonrespondents, weight 0, in no domain's PSU count)
	r, d, _, err := fromSumsReps(ctx, sums, q, &ds, opt, nil, nr.st, s.Replicates())
	return r, d, err
}

// SumEstimandsFile is SumFile for the means, totals and ratios est by the
// domains of by (SumCalibratedEstimandsFile's); EstimandSums finishes.
func (nr *NewtonReplicates) SumEstimandsFile(ctx context.Context, path string, by []string, est []sampling.Estimand, so *StreamOptions) (*Sums, error) {
	var o StreamOptions
	if so != nil {
		o = *so
	}
	ds := nr.sumsDesign()
	cols := append(append(sampling.EstimandColumns(est), designColumns(&nr.spec, by)...), nr.nr.Columns()...)
	read := append(append([]arrowio.Option(nil), o.Read...), arrowio.WithColumns(cols...))
	dsShift := nr.spec
	dsShift.Weight = calWeight
	shift := firstShift(path, &dsShift, by, est, nil, read, calibratedTransform(nr.st, nil, false))
	o.Transform = nr.transform(o.Transform)
	s, err := nr.sumRows(ctx, path, cols, by, &o, ds, func(sch *arrow.Schema) (*Sums, error) {
		return newEstimandSums(ds, by, est, shift, sch, nil)
	})
	if err != nil {
		return nil, err
	}
	if err := s.checkDesign(ds); err != nil {
		return nil, err
	}
	return s, s.CheckMagnitude()
}

// EstimandSums finishes the estimands est of SumEstimandsFile's s (whose
// table is tab; shares from Sums.Shares) as EstimandReplicateSums.
func (nr *NewtonReplicates) EstimandSums(tab arrow.RecordBatch, s *Sums, est []sampling.Estimand, shares []bool) (*sampling.Design, []sampling.CellSums, error) {
	if err := nr.Err(); err != nil {
		return nil, nil, err
	}
	ds := nr.finishDesign()
	return EstimandReplicateSums(tab, s.Replicates(), &ds, est, shares)
}

// unique is cols without repeats, in first-seen order.
func unique(cols []string) []string {
	var out []string
	for _, c := range cols {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}
