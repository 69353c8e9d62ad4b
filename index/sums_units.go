package index

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// SumsPositive is the column of the sums table of a design without PSU
// column that counts the cell's ballots of nonzero weight (for the degrees
// of freedom).
const SumsPositive = "n_pos"

// Parts of the squared-weight moments of a design without PSU column:
// SumsColumn(SumsSquared+"y", item) is Σ w²·y, SumsColumn(SumsSquared+"x",
// item) Σ w²·x, SumsColumn(SumsSquared+"yy", item) Σ w²·y², and
// SumsPairColumn(SumsSquared+part, a, b) the pairs' Σ w²·y_a·y_b, ...
const SumsSquared = "w2"

// unitMoments says whether the sums of spec's design are per (stratum,
// fpc, domain) with the ballots' squared-weight moments: linearization
// without PSU column, every ballot its own PSU.
func unitMoments(spec *sampling.DesignOptions) bool {
	return spec != nil && spec.PSU == "" && !suppliedReplicates(spec)
}

// errNoPSUReplicates says why replicates generated from a design without
// PSU column do not stream.
var errNoPSUReplicates = errors.New("the design has no PSU column, so every ballot is its own replicate unit and each replicate's sums would differ for every ballot (a jackknife drops one ballot, a bootstrap draws ballots): the replicate sums would be as many as the ballots")

// errNoPSUWeighting says why a calibration solved in passes over the
// ballots (numeric variables) of a design without PSU column does not
// stream with steps whose residuals would mix with its own.
var errNoPSUWeighting = errors.New("the design has no PSU column: its variance is finished from per-cell moments of the ballots' residuals, which are kept for one calibration that needs every ballot (with nonresponse before it and trimming after it); the residuals of post-stratification, raking or another calibration in the same weighting would subtract from every ballot terms of their own, whose cross-moments with the calibration's the sums do not carry")

// unitCalibrationSupport says whether the calibration that needs every
// ballot of ws streams under spec, a design without PSU column: under
// linearization, with no step but that calibration, nonresponse before it
// and trimming after it (errNoPSUWeighting).
func unitCalibrationSupport(spec *sampling.DesignOptions, ws *weighting.Spec) error {
	if spec.Variance != sampling.Linearization {
		return errNoPSUReplicates
	}
	if ws == nil {
		return nil
	}
	cal := -1
	for i, st := range ws.Steps {
		switch {
		case st.Calibrate != nil && cal < 0:
			cal = i
		case st.Nonresponse != nil && cal < 0, st.Trim != nil && cal >= 0:
		default:
			return errNoPSUWeighting
		}
	}
	return nil
}

// unitCalibrationStreamed is unitCalibrationSupport for the solved
// weighting st: one calibration, no residuals of other steps.
func unitCalibrationStreamed(st *weighting.Streamed) error {
	if st.Calibrations() != 1 || st.EarlierResiduals() || st.LaterP() != 0 {
		return errNoPSUWeighting
	}
	return nil
}

// calBBColumn is the column of the sums table of a calibration of a
// design without PSU column holding each cell's Σ b_k b_l (k ≤ l) of the
// ballots' calibration terms.
func calBBColumn(k, l int) string {
	return SumsColumn("calbb"+strconv.Itoa(k)+"x"+strconv.Itoa(l), "all")
}

// unitTerms returns the calibration residual terms of the cells of a
// design without PSU column (sampling.UnitTerms) from the sums table's
// columns (get) and the finish of the calibration h: per cell Σ b_k,
// Σ b_k b_l, and per item Σ w y b_k, Σ w x b_k; the coefficients of an
// influence vector are those of h's domain sums A·U − B·V.
func unitTerms(h *calHook, items []string, get func(string) ([]float64, error)) (*sampling.UnitTerms, error) {
	if h.pt != h.p || h.pre != nil || h.st.Calibrations() != 1 {
		return nil, errNoPSUWeighting
	}
	P := h.p
	tm := &sampling.UnitTerms{P: P, B: h.B, BB: make([][]float64, P*P)}
	for k := 0; k < P; k++ {
		for l := k; l < P; l++ {
			v, err := get(calBBColumn(k, l))
			if err != nil {
				return nil, err
			}
			tm.BB[k*P+l], tm.BB[l*P+k] = v, v
		}
	}
	for _, name := range items {
		for k := 0; k < P; k++ {
			y, err := get(SumsColumn("calwyb"+strconv.Itoa(k), name))
			if err != nil {
				return nil, err
			}
			x, err := get(SumsColumn("calwxb"+strconv.Itoa(k), name))
			if err != nil {
				return nil, err
			}
			tm.WYB, tm.WXB = append(tm.WYB, y), append(tm.WXB, x)
		}
	}
	tm.Coefficients = h.coefficients
	return tm, nil
}

// squaredWeights returns rec with its weight column replaced by w².
func squaredWeights(rec arrow.RecordBatch, name string, w []float64) (arrow.RecordBatch, error) {
	b := array.NewFloat64Builder(memory.DefaultAllocator)
	defer b.Release()
	b.Reserve(len(w))
	for _, v := range w {
		b.UnsafeAppend(v * v)
	}
	a := b.NewArray()
	defer a.Release()
	i := rec.Schema().FieldIndices(name)
	if len(i) == 0 {
		return nil, fmt.Errorf("no weight column %q", name)
	}
	fields := append([]arrow.Field(nil), rec.Schema().Fields()...)
	cols := append([]arrow.Array(nil), rec.Columns()...)
	fields[i[0]] = arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float64}
	cols[i[0]] = a
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows()), nil
}

// addSquared adds the squared-weight moments of rec (weights w, nil: all
// 1, when the sums themselves are the moments) to s.sq.
func (s *Sums) addSquared(rec arrow.RecordBatch, w []float64, first int64) error {
	if s.sq == nil {
		return nil
	}
	rec2, err := squaredWeights(rec, s.weight, w)
	if err != nil {
		return err
	}
	defer rec2.Release()
	return s.sq.Add(rec2, first)
}

// countPositive adds the rows of [i0, i1) with nonzero weight to cell c.
func (s *Sums) countPositive(w []float64, c, i0, i1 int) {
	for len(s.pos) <= c {
		s.pos = append(s.pos, 0)
	}
	if w == nil {
		s.pos[c] += int64(i1 - i0)
		return
	}
	n := int64(0)
	for _, v := range w[i0:i1] {
		if v != 0 {
			n++
		}
	}
	s.pos[c] += n
}

// unitColumns adds to a sums table the columns of a design without PSU
// column: SumsPositive and the squared-weight moments (those of the sums
// themselves when every weight is 1), times g2 per cell (nil: 1; the
// squared weights of a design weighted by its fpc, whose ballots are
// summed with weight 1).
func (s *Sums) unitColumns(order []int, g2 []float64, addInt func(string, func(int) int64), addFloat func(string, func(int) float64), addValues func(string, []float64)) {
	if s.pos == nil {
		return
	}
	for len(s.pos) < len(s.n) {
		s.pos = append(s.pos, 0)
	}
	addInt(SumsPositive, func(c int) int64 { return s.pos[c] })
	m := s
	if s.sq != nil {
		m = s.sq
		if len(m.n) != len(s.n) {
			panic(fmt.Sprintf("index: %d cells of squared weights, %d of weights", len(m.n), len(s.n)))
		}
	}
	if s.w2 {
		addFloat(SumsWeightsSquared, func(c int) float64 { return m.w[c] })
	}
	K := s.ne + s.nc
	for k, name := range s.itemNames() {
		addFloat(SumsColumn(SumsSquared+"y", name), scaled(g2, func(c int) float64 { return m.y[c*K+k] }))
		addFloat(SumsColumn(SumsSquared+"x", name), scaled(g2, func(c int) float64 { return m.x[c*K+k] }))
		addFloat(SumsColumn(SumsSquared+"yy", name), scaled(g2, func(c int) float64 { return m.yy[c*K+k] }))
	}
	s.pairColumns(m, order, SumsSquared, g2, addValues)
}

// readUnitMoments returns the unit moments of a sums table of a design
// without PSU column (get reads a column, getInt a count column; rows are
// the cells' ballots), for the K items (ne expectations, then the
// criteria) and the pairs of criteria.
func readUnitMoments(names []string, ne int, pairs []sumsPair, q *Questionnaire, rows []int64,
	get func(string) ([]float64, error), getInt func(string) ([]int64, error), has func(string) bool) (*sampling.UnitMoments, error) {
	if !has(SumsPositive) {
		return nil, fmt.Errorf("%w: no column %q: a design without PSU column is finished from the ballots' squared-weight moments, which this table lacks (it was written for a design with PSUs, or by an older version); compute it again", ErrSums, SumsPositive)
	}
	K := len(names)
	u := &sampling.UnitMoments{Units: rows, YY: make([][]float64, K), YX: make([][]float64, K), XX: make([][]float64, K)}
	var err error
	if u.Positive, err = getInt(SumsPositive); err != nil {
		return nil, err
	}
	for c, n := range rows {
		if u.Positive[c] > n {
			return nil, fmt.Errorf("%w: column %q, row %d: %d ballots of nonzero weight in a cell of %d", ErrSums, SumsPositive, c+1, u.Positive[c], n)
		}
	}
	for k, name := range names {
		if u.YY[k], err = get(SumsColumn(SumsSquared+"yy", name)); err != nil {
			return nil, err
		}
		if u.YX[k], err = get(SumsColumn(SumsSquared+"y", name)); err != nil { // y·x = y
			return nil, err
		}
		if u.XX[k], err = get(SumsColumn(SumsSquared+"x", name)); err != nil { // x² = x
			return nil, err
		}
	}
	for _, pr := range pairs {
		a, b := q.Criteria[pr.k].Column, q.Criteria[pr.l].Column
		mp := sampling.MomentPair{K: ne + pr.k, L: ne + pr.l}
		for j, dst := range []*[]float64{&mp.YY, &mp.YX, &mp.XY, &mp.XX} {
			if *dst, err = get(SumsPairColumn(SumsSquared+pairParts[j], a, b)); err != nil {
				return nil, err
			}
		}
		u.Pairs = append(u.Pairs, mp)
	}
	return u, nil
}
