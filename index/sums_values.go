package index

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index/internal/column"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// Parts of an estimand's sums in a sums table of NewEstimandSums (see
// sampling.CellSums): SumsColumn(part, EstimandColumn(e)).
var estimandParts = []string{"y", "x", "w", "yy", "xy", "xx", "n", "nobs", "c"}

// unitParts are, after SumsSquared, the parts of an estimand's
// squared-weight moments in a sums table of a design without PSU column:
// Σ w² y², Σ w² x y, Σ w² x² (sampling.UnitMoments YY, YX, XX).
var unitParts = []string{"yy", "xy", "xx"}

// residParts are, after SumsSquared, the parts of an estimand's first
// squared-weight moments in a sums table of a weighting of a design
// without PSU column: Σ w² y, Σ w² x (sampling.UnitResiduals WY, WX).
var residParts = []string{"y", "x"}

// unweightedParts are the parts of an estimand's unweighted Σ y (about
// the shift) and Σ x in a sums table of a raking under linearization
// (weightingUnweighted).
var unweightedParts = []string{"uy", "ux"}

// EstimandColumn is the name under which the sums of estimand e are
// written in a sums table: its statistic and variable, e.g. "mean_wait",
// "ratio_paid/visits" (with SumsColumn's part before it).
func EstimandColumn(e sampling.Estimand) string {
	if e.Statistic == sampling.StatRatio {
		return string(e.Statistic) + "_" + e.Num + "/" + e.Den
	}
	return string(e.Statistic) + "_" + e.Num
}

// valueSums are the sums of the estimands of a Sums of NewEstimandSums.
type valueSums struct {
	est  []sampling.Estimand
	vars []string // the columns read
	// per cell and estimand [cell*K+k]: the sums of part p (the first six
	// of estimandParts) in f[p], with their compensation (Neumaier's
	// summation) in fc[p], so that the second moments keep their digits
	// through the cancellation of the design effect's Σ w r²
	f, fc   [6][]float64
	n, nobs []int64
	// a design without PSU column (unit moments): per cell and estimand
	// Σ w² y², Σ w² x y and Σ w² x² (y about the shift), compensated in
	// uc; nil otherwise. With a weighting also Σ w² y and Σ w² x (u[3],
	// u[4]; nil without), and per cell Σ w² over all its rows (w2, w2c)
	u, uc   [5][]float64
	w2, w2c []float64
	// a raking under linearization (weightingUnweighted): per cell and
	// estimand the unweighted Σ y (about the shift) and Σ x (SumsColumn
	// "uy", "ux"), compensated in rc; nil otherwise
	r, rc [2][]float64
	share []bool // per estimand, while every row allows it
	shift []float64
	// per variable: the largest magnitude and its input row (1-based)
	maxAbs []float64
	maxRow []int64
	// scratch: the batch's values and validity per variable
	val   [][]float64
	valid [][]bool
	// with a calibration solved by passes: per cell and estimand the sums
	// of its residual's terms (addCalibration)
	cal *calSums
	// and the sums of its replicates (a replicate variance), or nil
	rcal *rowRepSums
}

// NewEstimandSums returns an empty accumulator of the per-cell sums of the
// means, totals and ratios est (sampling.Estimands) in the domains by,
// under the design columns of spec (which SumsSupport must accept), for
// batches of schema. Its Table holds per estimand the columns of
// sampling.CellSums and whether it is a share (EstimandShares), from which
// EstimandSums finishes them; EstimandSumsSQL computes the same table. shift (nil:
// none) are the estimands' sampling.CellSums.Shift: y is summed about
// shift[k] (0 for a total), best near the estimate.
func NewEstimandSums(spec *sampling.DesignOptions, by []string, est []sampling.Estimand, shift []float64, schema *arrow.Schema) (*Sums, error) {
	return newEstimandSums(spec, by, est, shift, schema, nil)
}

// newEstimandSums is NewEstimandSums; with ws, the sums are of the design
// weights ws.DesignWeight and the cells are also keyed by the weighting's
// classes (WeightedEstimandSums finishes them).
func newEstimandSums(spec *sampling.DesignOptions, by []string, est []sampling.Estimand, shift []float64, schema *arrow.Schema, ws *weighting.Spec) (*Sums, error) {
	if err := estimandSumsSupport(spec, ws); err != nil {
		return nil, err
	}
	s := &Sums{q: &Questionnaire{}, weight: spec.Weight, cells: map[string]int32{}}
	if err := s.setWeighting(ws); err != nil {
		return nil, err
	}
	s.pt = newPairTabs(s) // no items: Add counts the cells' rows and weights
	add := s.keyAdder(schema)
	if err := addDesignKeys(add, spec, by); err != nil {
		return nil, err
	}
	if ws != nil {
		if err := addWeightingKeys(add, spec, ws, true); err != nil {
			return nil, err
		}
	}
	if err := s.initReplicates(spec, by, schema, len(est)); err != nil {
		return nil, err
	}
	v := &valueSums{est: est, share: make([]bool, len(est)), shift: make([]float64, len(est))}
	if weightingUnweighted(spec, ws) {
		for p := range v.r {
			v.r[p], v.rc[p] = []float64{}, []float64{}
		}
	}
	if shift != nil {
		copy(v.shift, shift)
	}
	if unitMoments(spec) {
		// every ballot its own PSU: the cells' ballots and their
		// squared-weight moments; with a weighting (its cells keyed by
		// the classes) also the first ones and Σ w², for the residuals
		s.pos = []int64{}
		np := len(unitParts)
		if ws != nil {
			np = len(v.u)
			v.w2, v.w2c = []float64{}, []float64{}
		}
		for p := range np {
			v.u[p], v.uc[p] = []float64{}, []float64{}
		}
	}
	seen := map[string]bool{}
	for k, e := range est {
		v.share[k] = e.Statistic != sampling.StatTotal && (e.Statistic == sampling.StatMean || e.Num != e.Den)
		if e.Statistic == sampling.StatTotal {
			v.shift[k] = 0
		}
		for _, c := range []string{e.Num, e.Den} {
			if c == "" || seen[c] {
				continue
			}
			if len(schema.FieldIndices(c)) == 0 {
				return nil, &MissingColumnsError{Table: "input", Missing: []string{c}, Available: column.Names(schema)}
			}
			seen[c] = true
			v.vars = append(v.vars, c)
		}
	}
	v.maxAbs, v.maxRow = make([]float64, len(v.vars)), make([]int64, len(v.vars))
	s.vals = v
	if ws == nil {
		s.setFPCWeights(spec)
	}
	return s, nil
}

// varIndex is the position of column c in v.vars.
func (v *valueSums) varIndex(c string) int {
	for i, n := range v.vars {
		if n == c {
			return i
		}
	}
	return -1
}

// grow adds a cell.
func (v *valueSums) grow() {
	K := len(v.est)
	for p := range v.f {
		v.f[p] = append(v.f[p], make([]float64, K)...)
		v.fc[p] = append(v.fc[p], make([]float64, K)...)
	}
	v.n = append(v.n, make([]int64, K)...)
	v.nobs = append(v.nobs, make([]int64, K)...)
	for p := range v.u {
		if v.u[p] != nil {
			v.u[p] = append(v.u[p], make([]float64, K)...)
			v.uc[p] = append(v.uc[p], make([]float64, K)...)
		}
	}
	for p := range v.r {
		if v.r[p] != nil {
			v.r[p] = append(v.r[p], make([]float64, K)...)
			v.rc[p] = append(v.rc[p], make([]float64, K)...)
		}
	}
	if v.w2 != nil {
		v.w2, v.w2c = append(v.w2, 0), append(v.w2c, 0)
	}
	if v.cal != nil {
		v.cal.grow(K)
	}
	if v.rcal != nil {
		v.rcal.grow(K)
	}
}

// read takes the batch's values (NaN and null are missing); an infinite
// value is an error naming its input row.
func (v *valueSums) read(rec arrow.RecordBatch, first int64) error {
	v.val, v.valid = v.val[:0], v.valid[:0]
	for j, name := range v.vars {
		col, err := arrowio.Column(rec, name)
		if err != nil {
			return err
		}
		x, ok, err := arrowio.Float64s(col)
		if err != nil {
			var ae *arrowio.Error
			if errors.As(err, &ae) && ae.Row > 0 {
				ae.Row += int(first)
			}
			return fmt.Errorf("variable column %q: %w", name, err)
		}
		if ok == nil {
			ok = make([]bool, len(x))
			for i := range ok {
				ok[i] = true
			}
		}
		for i, f := range x {
			switch {
			case !ok[i]:
			case math.IsNaN(f):
				ok[i], x[i] = false, 0
			case math.IsInf(f, 0):
				return fmt.Errorf("variable column %q, row %d: value %v is not finite", name, first+int64(i)+1, f)
			case math.Abs(f) > v.maxAbs[j]:
				v.maxAbs[j], v.maxRow[j] = math.Abs(f), first+int64(i)+1
			}
		}
		v.val, v.valid = append(v.val, x), append(v.valid, ok)
	}
	if v.cal != nil {
		if err := v.cal.read(rec); err != nil {
			return err
		}
	}
	if v.rcal != nil {
		if err := v.rcal.read(rec); err != nil {
			return err
		}
	}
	// shares: a mean of values in [0, 1]; a ratio y/x with x ∈ {0, 1} and
	// y ∈ {0, x} (sampling.EstimateOptions.CI)
	for k, e := range v.est {
		if !v.share[k] {
			continue
		}
		y, oy := v.val[v.varIndex(e.Num)], v.valid[v.varIndex(e.Num)]
		if e.Statistic == sampling.StatMean {
			for i, f := range y {
				if oy[i] && (f < 0 || f > 1) {
					v.share[k] = false
					break
				}
			}
			continue
		}
		x, ox := v.val[v.varIndex(e.Den)], v.valid[v.varIndex(e.Den)]
		for i := range y {
			if oy[i] && ox[i] && ((x[i] != 0 && x[i] != 1) || (y[i] != 0 && y[i] != x[i])) {
				v.share[k] = false
				break
			}
		}
	}
	return nil
}

// values are the batch's values of estimand e's numerator y and, for a
// ratio, denominator x (nil otherwise), with their validity.
func (v *valueSums) values(e sampling.Estimand) (y []float64, oy []bool, x []float64, ox []bool) {
	jy := v.varIndex(e.Num)
	y, oy = v.val[jy], v.valid[jy]
	if e.Statistic == sampling.StatRatio {
		jx := v.varIndex(e.Den)
		x, ox = v.val[jx], v.valid[jx]
	}
	return y, oy, x, ox
}

// addRun adds rows [i0, i1) of the batch, all in cell c, weighted w (nil:
// 1 each).
func (v *valueSums) addRun(c, i0, i1 int, w []float64) {
	K := len(v.est)
	units, first, unw := v.u[0] != nil, v.u[3] != nil, v.r[0] != nil
	for k, e := range v.est {
		y, oy, x, ox := v.values(e)
		at := c*K + k
		sh := v.shift[k]
		// blocks of 256 rows summed plainly, then added with compensation
		for b0 := i0; b0 < i1; b0 += 256 {
			var t [6]float64
			var t2 [5]float64 // w² moments
			var t3 [2]float64 // unweighted Σ y, Σ x
			var n, nobs int64
			for i := b0; i < min(b0+256, i1); i++ {
				if !oy[i] || (ox != nil && !ox[i]) {
					continue
				}
				wi := 1.0
				if w != nil {
					wi = w[i]
				}
				xi := 1.0
				if x != nil {
					xi = x[i]
				}
				yi := y[i] - sh*xi
				wy := wi * yi
				t[0] += wy
				t[1] += wi * xi
				t[2] += wi
				t[3] += wy * yi
				t[4] += wy * xi
				t[5] += wi * xi * xi
				if unw {
					t3[0] += yi
					t3[1] += xi
				}
				if units {
					w2y, w2x := wi*wi*yi, wi*wi*xi
					t2[0] += w2y * yi
					t2[1] += w2y * xi
					t2[2] += w2x * xi
					t2[3] += w2y
					t2[4] += w2x
				}
				n++
				if wi != 0 {
					nobs++
				}
			}
			for p, tv := range t {
				neumaier(&v.f[p][at], &v.fc[p][at], tv)
			}
			if units {
				np := len(unitParts)
				if first {
					np = len(t2)
				}
				for p, tv := range t2[:np] {
					neumaier(&v.u[p][at], &v.uc[p][at], tv)
				}
			}
			if unw {
				for p, tv := range t3 {
					neumaier(&v.r[p][at], &v.rc[p][at], tv)
				}
			}
			v.n[at] += n
			v.nobs[at] += nobs
		}
	}
	if v.w2 != nil {
		// Σ w² over all the cell's rows, with or without values
		for b0 := i0; b0 < i1; b0 += 256 {
			b1 := min(b0+256, i1)
			t := float64(b1 - b0)
			if w != nil {
				t = 0
				for _, wi := range w[b0:b1] {
					t += wi * wi
				}
			}
			neumaier(&v.w2[c], &v.w2c[c], t)
		}
	}
	if v.cal != nil {
		v.addCalibration(c, i0, i1)
	}
	if v.rcal != nil {
		v.rcal.addValues(v, c, i0, i1)
	}
}

// neumaier adds x to the compensated sum (s, c) (Neumaier's variant of
// Kahan summation: s + c is the sum).
func neumaier(s, c *float64, x float64) {
	t := *s + x
	if math.Abs(*s) >= math.Abs(x) {
		*c += (*s - t) + x
	} else {
		*c += (x - t) + *s
	}
	*s = t
}

// merge adds cell oc of o to cell c.
func (v *valueSums) merge(c int, o *valueSums, oc int) {
	K := len(v.est)
	for k := 0; k < K; k++ {
		a, b := c*K+k, oc*K+k
		for p := range v.f {
			neumaier(&v.f[p][a], &v.fc[p][a], o.f[p][b])
			v.fc[p][a] += o.fc[p][b]
		}
		v.n[a] += o.n[b]
		v.nobs[a] += o.nobs[b]
		for p := range v.u {
			if v.u[p] != nil {
				neumaier(&v.u[p][a], &v.uc[p][a], o.u[p][b])
				v.uc[p][a] += o.uc[p][b]
			}
		}
		for p := range v.r {
			if v.r[p] != nil {
				neumaier(&v.r[p][a], &v.rc[p][a], o.r[p][b])
				v.rc[p][a] += o.rc[p][b]
			}
		}
	}
	if v.w2 != nil {
		neumaier(&v.w2[c], &v.w2c[c], o.w2[oc])
		v.w2c[c] += o.w2c[oc]
	}
	if v.cal != nil {
		v.cal.merge(c, o.cal, oc, K)
	}
	if v.rcal != nil {
		v.rcal.merge(c, o.rcal, oc)
	}
}

// mergeFlags combines the per-estimand and per-variable state of o.
func (v *valueSums) mergeFlags(o *valueSums) {
	for k := range v.share {
		v.share[k] = v.share[k] && o.share[k]
	}
	for j := range v.maxAbs {
		if o.maxAbs[j] > v.maxAbs[j] || (o.maxAbs[j] == v.maxAbs[j] && o.maxRow[j] != 0 && o.maxRow[j] < v.maxRow[j]) {
			v.maxAbs[j], v.maxRow[j] = o.maxAbs[j], o.maxRow[j]
		}
	}
}

// columns appends the value columns of the cells in order to a table.
func (v *valueSums) columns(order []int, g []float64, addFloat func(string, func(int) float64), addInt func(string, func(int) int64)) {
	K := len(v.est)
	var g2 []float64 // the squared-weight moments scale by g²
	if v.u[0] != nil {
		g2 = squares(g)
	}
	for k, e := range v.est {
		name := EstimandColumn(e)
		for p := range v.f {
			addFloat(SumsColumn(estimandParts[p], name), scaled(g, func(c int) float64 { return v.f[p][c*K+k] + v.fc[p][c*K+k] }))
		}
		addInt(SumsColumn("n", name), func(c int) int64 { return v.n[c*K+k] })
		addInt(SumsColumn("nobs", name), func(c int) int64 { return v.nobs[c*K+k] })
		addFloat(SumsColumn("c", name), func(int) float64 { return v.shift[k] })
		share := int64(0)
		if v.share[k] {
			share = 1
		}
		addInt(SumsColumn(sumsShare, name), func(int) int64 { return share })
		if v.u[0] != nil {
			for p, part := range unitParts {
				addFloat(SumsColumn(SumsSquared+part, name), scaled(g2, func(c int) float64 { return v.u[p][c*K+k] + v.uc[p][c*K+k] }))
			}
		}
		if v.r[0] != nil {
			for p, part := range unweightedParts {
				addFloat(SumsColumn(part, name), func(c int) float64 { return v.r[p][c*K+k] + v.rc[p][c*K+k] })
			}
		}
		if v.u[3] != nil {
			for p, part := range residParts {
				p += len(unitParts)
				addFloat(SumsColumn(SumsSquared+part, name), scaled(g2, func(c int) float64 { return v.u[p][c*K+k] + v.uc[p][c*K+k] }))
			}
		}
	}
	if v.w2 != nil {
		addFloat(SumsWeightsSquared, scaled(g2, func(c int) float64 { return v.w2[c] + v.w2c[c] }))
	}
	if v.cal != nil {
		v.cal.columns(estimandNames(v.est), addFloat)
	}
	if v.rcal != nil {
		v.rcal.columns(estimandNames(v.est), addFloat)
	}
}

// Shares reports, per estimand of a Sums of NewEstimandSums, whether it is
// a share (sampling.CellSums.Share).
func (s *Sums) Shares() []bool {
	if s.vals == nil {
		return nil
	}
	return append([]bool(nil), s.vals.share...)
}

// CheckMagnitude returns an error naming the variable and row of the first
// value whose magnitude exceeds sampling.ValueLimit of the weights' sum
// (for a Sums of NewEstimandSums; nil otherwise).
func (s *Sums) CheckMagnitude() error {
	if s.vals == nil {
		return nil
	}
	wsum := 0.0
	g := s.fpcScale() // the weights of a design weighted by its fpc
	for c, w := range s.w {
		if g != nil {
			w *= g[c]
		}
		wsum += w
	}
	limit := sampling.ValueLimit(wsum)
	for j, name := range s.vals.vars {
		if s.vals.maxAbs[j] > limit {
			return fmt.Errorf("variable column %q, row %d: value magnitude %g is too large: times the weights' sum (%g) its square overflows (values must be within ±%.3g)",
				name, s.vals.maxRow[j], s.vals.maxAbs[j], wsum, limit)
		}
	}
	return nil
}

// EstimandSums reads, from a sums table of NewEstimandSums (Sums.Table),
// the design of its cells (each a row weighted 1, or 0 when its rows all
// weigh 0, with the strata, PSUs, fpc and variance method of spec, whose
// weight column is ignored) and the cells' sampling.CellSums of est, for
// Design.EstimatesFromCells and EstimateContrastsFromCells. shares are
// the estimands' Share (Sums.Shares, or EstimandShares of the table; nil:
// none).
func EstimandSums(tab arrow.RecordBatch, spec *sampling.DesignOptions, est []sampling.Estimand, shares []bool) (*sampling.Design, []sampling.CellSums, error) {
	d, cs, _, err := estimandSums(context.Background(), tab, spec, est, shares, nil, nil, nil, nil)
	return d, cs, err
}

// WeightedEstimandSums is EstimandSums for a sums table of SumEstimandsFile
// with StreamOptions.Weighting ws: its cells, also keyed by ws's classes,
// hold sums of the design weights. The steps of ws run on the cells
// (weighting.RunCells), each cell's sums scale by its factor final/design
// weight, and the design's linearized influence values take their
// residuals on the calibration from the cells (exact: a cell's rows share
// their classes), so the estimates of Design.EstimatesFromCells equal
// those of weighting.NewDesign on the rows up to the order of the
// additions. A replicate variance re-runs the steps on every replicate's
// cell totals, as weighting.NewDesign does on the rows (the cells are then
// keyed by the design weight: each stands for rows of one final and one
// replicate weight), and the design's rows are the cells with supplied
// replicate weights; ctx is checked before each replicate's run. A
// raking's linearized variance takes the class means of the ballots'
// unweighted influence values from the cells' unweighted sums of each
// estimand (the cells are not keyed by the design weight), per domain of
// the columns by (those of the estimates). It also returns the weighting
// run on the cells (its Final.Sum is the total final weight).
func WeightedEstimandSums(ctx context.Context, tab arrow.RecordBatch, spec *sampling.DesignOptions, ws *weighting.Spec, est []sampling.Estimand, shares []bool, by []string) (*sampling.Design, []sampling.CellSums, *weighting.Result, error) {
	if ws == nil {
		panic("index: WeightedEstimandSums: nil weighting")
	}
	return estimandSums(ctx, tab, spec, est, shares, nil, ws, nil, by)
}

// EstimandSumsSupport says whether the means, totals and ratios of the
// design spec after the weighting steps ws (nil: none) can be finished
// from per-cell sums (nil) or why not: the limits of SumsSupport, or with
// ws those of WeightingSumsSupport.
func EstimandSumsSupport(spec *sampling.DesignOptions, ws *weighting.Spec) error {
	return estimandSumsSupport(spec, ws)
}

func estimandSumsSupport(spec *sampling.DesignOptions, ws *weighting.Spec) error {
	return weightingSumsSupport(spec, ws) // SumsSupport without ws
}

// estimandSums is EstimandSums; rs are the replicate sums of a design whose
// replicate weights are columns (EstimandReplicateSums), ws the weighting
// of WeightedEstimandSums, cal the influence adjustment of
// CalibratedEstimandSums.
func estimandSums(ctx context.Context, tab arrow.RecordBatch, spec *sampling.DesignOptions, est []sampling.Estimand, shares []bool, rs *sampling.ReplicateSums, ws *weighting.Spec, cal *calHook, by []string) (*sampling.Design, []sampling.CellSums, *weighting.Result, error) {
	if ws != nil {
		if err := estimandSumsSupport(spec, ws); err != nil {
			return nil, nil, nil, err
		}
	}
	if cal == nil {
		if err := calibratedTable(tab); err != nil {
			return nil, nil, nil, err
		}
		if err := weightedTable(tab, ws); err != nil {
			return nil, nil, nil, err
		}
	}
	// the cells' design (their rows weigh 1: the sums are weighted, so a
	// design weighted by its fpc needs no weight column here)
	ds, err := cellDesign(spec, rs)
	if err != nil {
		return nil, nil, nil, err
	}
	n := int(tab.NumRows())
	get := func(name string) ([]float64, error) { return sumsFloats(tab, name) }
	sw, err := get(SumsWeights)
	if err != nil {
		return nil, nil, nil, err
	}
	out := make([]sampling.CellSums, len(est))
	for k, e := range est {
		name := EstimandColumn(e)
		cs := &out[k]
		for _, p := range []struct {
			part string
			dst  *[]float64
		}{{"y", &cs.Y}, {"x", &cs.X}, {"w", &cs.W}, {"yy", &cs.YY}, {"xy", &cs.XY}, {"xx", &cs.XX}} {
			if *p.dst, err = get(SumsColumn(p.part, name)); err != nil {
				return nil, nil, nil, err
			}
		}
		for _, p := range []struct {
			part string
			dst  *[]int64
		}{{"n", &cs.N}, {"nobs", &cs.NObs}} {
			v, err := get(SumsColumn(p.part, name))
			if err != nil {
				return nil, nil, nil, err
			}
			*p.dst = make([]int64, n)
			for c, f := range v {
				(*p.dst)[c] = int64(f)
			}
		}
		cs.Share = shares != nil && shares[k]
		c, err := get(SumsColumn("c", name))
		if err != nil {
			return nil, nil, nil, err
		}
		if n > 0 {
			cs.Shift = c[0]
		}
	}
	var w2 []float64 // Σ w² per cell (a weighting of a design without PSU column)
	var wy, wx [][]float64
	if unitMoments(&ds) {
		if cal != nil && rs != nil {
			return nil, nil, nil, errNoPSUReplicates
		}
		if ds.Units, err = readEstimandMoments(tab, est, get); err != nil {
			return nil, nil, nil, err
		}
		if ws != nil {
			if w2, err = readWeightsSquared(tab, get); err != nil {
				return nil, nil, nil, err
			}
			if wy, wx, err = readEstimandFirstMoments(est, get); err != nil {
				return nil, nil, nil, err
			}
		}
	}
	var wres *weighting.Result
	var unit []float64 // the cells' weights
	fields := append([]arrow.Field(nil), tab.Schema().Fields()...)
	cols := append([]arrow.Array(nil), tab.Columns()...)
	if ws != nil {
		cnt, err := get(SumsRows)
		if err != nil {
			return nil, nil, nil, err
		}
		var f []float64
		if wres, f, err = runCellWeighting(ws, tab, sw, cnt); err != nil {
			return nil, nil, nil, err
		}
		for k := range out {
			cs := &out[k]
			scaleCells(f, cs.Y, cs.X, cs.W, cs.YY, cs.XY, cs.XX)
			for c, v := range f {
				if v == 0 {
					cs.NObs[c] = 0 // the cell's rows all weigh 0 now
				}
			}
		}
		var rh *rakeHook
		if cal == nil && weightingUnweighted(&ds, ws) {
			// a raking: its class means are of the ballots' unweighted
			// influence values, from the cells' unweighted sums
			rh = &rakeHook{wres: wres, f: f, uy: make([][]float64, len(est)), ux: make([][]float64, len(est))}
			for k, e := range est {
				for p, dst := range []*[]float64{&rh.uy[k], &rh.ux[k]} {
					if *dst, err = getUnweighted(tab, get, SumsColumn(unweightedParts[p], EstimandColumn(e))); err != nil {
						return nil, nil, nil, err
					}
				}
			}
			if len(by) > 0 {
				dm, err := sampling.NewDomains(tab, by)
				if err != nil {
					return nil, nil, nil, err
				}
				rh.dom = dm.Code
			}
		}
		if ds.Units != nil {
			// each ballot's residual z − w A_c, A_c constant in its cell
			unitResiduals(ds.Units, wres, f, w2)
			scaleCells(squares(f), append(wy, wx...)...)
			ds.Units.Residuals.WY, ds.Units.Residuals.WX = wy, wx
			if rh != nil {
				ds.Units.Residuals.Adjust, ds.Units.Residuals.AdjustTerms = nil, rh.adjust
			}
		} else if rh != nil {
			ds.AdjustInfluenceTerms = rh.adjust
		} else if ds.Variance == sampling.Linearization {
			ds.AdjustInfluence = wres.AdjustInfluence
		} else {
			// every step re-run on every replicate's cell totals
			var rf []arrow.Field
			var rc []arrow.Array
			if unit, rf, rc, err = estimandRepCells(ctx, tab, spec, ws, wres, sw, cnt, out, &ds); err != nil {
				return nil, nil, nil, err
			}
			for _, a := range rc {
				defer a.Release()
			}
			fields, cols = append(fields, rf...), append(cols, rc...)
		}
		// nonrespondents' cells weigh 0: in no domain's PSU count, as the rows
		sw = wres.Weights
	}
	switch {
	case cal != nil && ds.Units != nil:
		// every ballot its own PSU, its own residual: the cells' moments
		// of the calibration's terms (none of x for a total)
		tm, err := unitTerms(cal, estimandNames(est), get)
		if err != nil {
			return nil, nil, nil, err
		}
		for k, e := range est {
			if e.Statistic == sampling.StatTotal {
				for l := 0; l < tm.P; l++ {
					tm.WXB[k*tm.P+l] = nil
				}
			}
		}
		ds.Units.Residuals = &sampling.UnitResiduals{Terms: tm}
	case cal != nil:
		ds.AdjustInfluenceTerms = cal.adjust
	}
	if unit == nil {
		// each a row weighted 1, or 0 when its rows all weigh 0
		unit = make([]float64, n)
		for c, v := range sw {
			if v != 0 {
				unit[c] = 1
			}
		}
	}
	wb := array.NewFloat64Builder(memory.DefaultAllocator)
	wb.AppendValues(unit, nil)
	wa := wb.NewArray()
	wb.Release()
	defer wa.Release()
	fields = append(fields, arrow.Field{Name: sumsUnitWeight, Type: arrow.PrimitiveTypes.Float64})
	cols = append(cols, wa)
	prec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(n))
	defer prec.Release()
	d, err := cellsDesign(prec, &ds, rs)
	if err != nil {
		return nil, nil, nil, err
	}
	return d, out, wres, nil
}

// readEstimandMoments returns the unit moments of the estimands est from
// a sums table of a design without PSU column (get reads a column).
func readEstimandMoments(tab arrow.RecordBatch, est []sampling.Estimand, get func(string) ([]float64, error)) (*sampling.UnitMoments, error) {
	if column.Index(tab, SumsPositive) < 0 {
		return nil, fmt.Errorf("%w: no column %q: a design without PSU column is finished from the ballots' squared-weight moments, which this table lacks (it was written for a design with PSUs); compute it again", ErrSums, SumsPositive)
	}
	counts := func(name string) ([]int64, error) { return sumsCounts(get, name) }
	K := len(est)
	u := &sampling.UnitMoments{YY: make([][]float64, K), YX: make([][]float64, K), XX: make([][]float64, K)}
	var err error
	if u.Units, err = counts(SumsRows); err != nil {
		return nil, err
	}
	if u.Positive, err = counts(SumsPositive); err != nil {
		return nil, err
	}
	for c, n := range u.Units {
		if u.Positive[c] > n {
			return nil, fmt.Errorf("%w: column %q, row %d: %d ballots of nonzero weight in a cell of %d", ErrSums, SumsPositive, c+1, u.Positive[c], n)
		}
	}
	for k, e := range est {
		name := EstimandColumn(e)
		for p, dst := range []*[]float64{&u.YY[k], &u.YX[k], &u.XX[k]} {
			if *dst, err = get(SumsColumn(SumsSquared+unitParts[p], name)); err != nil {
				return nil, err
			}
		}
		if e.Statistic == sampling.StatTotal {
			u.YX[k], u.XX[k] = nil, nil // z = w y
		}
	}
	return u, nil
}

// readEstimandFirstMoments returns, per estimand of est, the cells'
// Σ w² y and Σ w² x (nil for a total) of a sums table of a weighting of a
// design without PSU column (get reads a column).
func readEstimandFirstMoments(est []sampling.Estimand, get func(string) ([]float64, error)) (wy, wx [][]float64, err error) {
	wy, wx = make([][]float64, len(est)), make([][]float64, len(est))
	for k, e := range est {
		name := EstimandColumn(e)
		if wy[k], err = get(SumsColumn(SumsSquared+residParts[0], name)); err != nil {
			return nil, nil, err
		}
		if e.Statistic == sampling.StatTotal {
			continue
		}
		if wx[k], err = get(SumsColumn(SumsSquared+residParts[1], name)); err != nil {
			return nil, nil, err
		}
	}
	return wy, wx, nil
}

// sumsFloats is the column name of a sums table as floats.
func sumsFloats(tab arrow.RecordBatch, name string) ([]float64, error) {
	i := tab.Schema().FieldIndices(name)
	if len(i) == 0 {
		return nil, fmt.Errorf("%w: missing column %q", ErrSums, name)
	}
	v, _, err := arrowio.Float64s(tab.Column(i[0]))
	if err != nil {
		return nil, fmt.Errorf("%w: column %q: %v", ErrSums, name, err)
	}
	return v, nil
}

// SumEstimandsFile reads the table file at path in one pass, batch by
// batch, as SumFile, and returns the Sums of NewEstimandSums for est in the
// domains by (reading only the columns they and spec name). Besides the
// errors of SumFile, an infinite value is an error naming its row.
func SumEstimandsFile(ctx context.Context, path string, spec *sampling.DesignOptions, by []string, est []sampling.Estimand, so *StreamOptions) (*Sums, error) {
	if so == nil {
		so = &StreamOptions{}
	}
	if err := estimandSumsSupport(spec, so.Weighting); err != nil {
		return nil, err
	}
	cols := append(sampling.EstimandColumns(est), designColumns(spec, by)...)
	if so == nil {
		so = &StreamOptions{}
	}
	rc, err := replicateColumnsOf(path, spec, so.Read)
	if err != nil {
		return nil, err
	}
	cols = append(cols, rc...)
	so = repBatches(so, len(rc))
	wcols, wkeys := weightingColumns(so.Weighting)
	cols = append(cols, wcols...)
	shift := firstShift(path, spec, by, est, so.Weighting, append(append([]arrowio.Option(nil), so.Read...), arrowio.WithColumns(cols...)), nil)
	s, err := sumFile(ctx, path, cols, append(dictColumns(spec, by), wkeys...), so, func(sch *arrow.Schema) (*Sums, error) {
		return newEstimandSums(spec, by, est, shift, sch, so.Weighting)
	})
	if err != nil {
		return nil, err
	}
	if err := s.checkDesign(spec); err != nil {
		return nil, err
	}
	if err := s.checkWeighting(so.Weighting); err != nil {
		return nil, err
	}
	return s, s.CheckMagnitude()
}

// firstShift returns, per estimand, its estimate on the first batch of
// the file (after the transform tr, if any) rounded to an integer (0 for
// a total), the shift of NewEstimandSums; nil when that batch cannot be
// read or summed (the pass over the file says why).
func firstShift(path string, spec *sampling.DesignOptions, by []string, est []sampling.Estimand, ws *weighting.Spec, read []arrowio.Option, tr func(arrow.RecordBatch, int64) (arrow.RecordBatch, error)) []float64 {
	r, err := arrowio.Open(path, read...)
	if err != nil {
		return nil
	}
	defer r.Close()
	if !r.Next() {
		return nil
	}
	rec := r.RecordBatch()
	if tr != nil {
		if rec, err = tr(rec, 0); err != nil {
			return nil
		}
		defer rec.Release()
	}
	s, err := newEstimandSums(spec, by, est, nil, rec.Schema(), ws)
	if err != nil || s.Add(rec, 0) != nil {
		return nil
	}
	K := len(est)
	shift := make([]float64, K)
	for k, e := range est {
		if e.Statistic == sampling.StatTotal {
			continue
		}
		var y, x float64
		for c := 0; c < s.Cells(); c++ {
			y += s.vals.f[0][c*K+k]
			x += s.vals.f[1][c*K+k]
		}
		// an integer: integer values (answer codes, 0/1 indicators) stay
		// exact about it, so a share of exactly 0 or 1 keeps an SE of 0
		if v := math.Round(y / x); !math.IsNaN(v) && !math.IsInf(v, 0) {
			shift[k] = v
		}
	}
	return shift
}
