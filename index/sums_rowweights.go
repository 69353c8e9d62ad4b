package index

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// Names of the columns SumCalibratedFile adds to every batch: each row's
// final weight, and per calibration variable k the row's terms b_k and
// t_k of weighting.Streamed.Rows; with earlier steps that have residuals,
// the row's design weight d and its terms q_k (weighting.RowTerms).
const (
	calWeight = "\x00sipas_cal_weight"
	calB      = "\x00sipas_cal_b"
	calT      = "\x00sipas_cal_t"
	calD      = "\x00sipas_cal_d"
	calQ      = "\x00sipas_cal_q"
)

// CalibratedSumsSupport says whether the indices of the design spec after
// the weighting ws can be computed in passes over the ballots
// (weighting.SolveStream, then SumCalibratedFile and FromCalibratedSums)
// or why not: ws must be one that weighting.StreamSupport accepts, spec
// must give no weight column and use linearization or a generated
// replicate method for which calibratedReplicatesSupport accepts ws, and
// SumsSupport's limits apply. Multistage designs with an fpc at every
// stage and PPS first stages can: their cells are keyed by every stage's
// unit and the PSU's π, and the calibration's residuals are per cell.
// Without PSU column (every ballot its own PSU, its own residual):
// linearization, with no step with residuals but the calibration
// (nonresponse before it, trimming after it).
func CalibratedSumsSupport(spec *sampling.DesignOptions, ws *weighting.Spec) error {
	if spec == nil {
		spec = &sampling.DesignOptions{}
	}
	switch {
	case spec.Weight != "":
		return errors.New("the design has a weight column: the starting weight is the weighting specification's design weight")
	case unitMoments(spec):
		if err := unitCalibrationSupport(spec, ws); err != nil {
			return err
		}
	}
	if spec.Variance != sampling.Linearization || suppliedReplicates(spec) {
		if err := calibratedReplicatesSupport(spec, ws); err != nil {
			return err
		}
	}
	ds := *spec
	ds.Weight = calWeight
	if err := SumsSupport(&ds); err != nil {
		return err
	}
	return weighting.StreamSupport(ws)
}

// ScanFile returns a weighting.Scan that reads the named columns of the
// table file at path, batch by batch in file order (read are further
// reader options).
func ScanFile(path string, read ...arrowio.Option) weighting.Scan {
	return func(ctx context.Context, cols []string, fn func(rec arrow.RecordBatch, first int64) error) error {
		r, err := arrowio.Open(path, append(append([]arrowio.Option(nil), read...), arrowio.WithColumns(cols...))...)
		if err != nil {
			return err
		}
		defer r.Close()
		var first int64
		for r.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			rec := r.RecordBatch()
			if err := fn(rec, first); err != nil {
				return err
			}
			first += rec.NumRows()
		}
		return r.Err()
	}
}

// SumCalibratedFile is SumFile for the weighting st solved by passes over
// the same file: every ballot is summed with its final weight
// (st.Terms), and every cell also sums what FromCalibratedSums needs for
// the linearized variance of the calibrated design (with earlier steps
// that have residuals, also the design weights and Σ d x/(g σ²); the
// cells are then keyed by those steps' classes). spec must give no
// weight column (CalibratedSumsSupport); so.Weighting must be unset.
func SumCalibratedFile(ctx context.Context, path string, q *Questionnaire, spec *sampling.DesignOptions, opt *Options, st *weighting.Streamed, so *StreamOptions) (*Sums, error) {
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
	if o.Weighting != nil {
		panic("index: SumCalibratedFile: StreamOptions.Weighting set")
	}
	ds := *spec
	ds.Weight = calWeight
	cols := append(append([]string(nil), q.Columns()...), st.Columns()...)
	if !opt.NoExpectations {
		cols = append(cols, q.ExpectationColumns()...)
	}
	cols = append(cols, designColumns(spec, opt.By)...)
	p := st.P()
	reps := spec.Variance != sampling.Linearization
	o.Read = termBatches(st, o.Read)
	o.Transform = calibratedTransform(st, o.Transform, reps)
	s, err := sumFile(ctx, path, cols, dictColumns(spec, opt.By), &o, func(sch *arrow.Schema) (*Sums, error) {
		s, err := newSums(q, &ds, opt, sch, nil)
		if err != nil {
			return nil, err
		}
		s.cal = newCalSums(st)
		if s.sq != nil {
			// every ballot its own PSU: the moments of its residual
			if err := unitCalibrationStreamed(st); err != nil {
				return nil, err
			}
			s.cal.unit = true
			if err := addCalibrationKeys(s.sq, sch, &ds, st); err != nil {
				return nil, err
			}
		}
		if reps {
			s.rcal = &rowRepSums{p: p, pre: st.EarlierSpec() != nil}
		}
		if err := addCalibrationKeys(s, sch, &ds, st); err != nil {
			return nil, err
		}
		return s, nil
	})
	if err != nil {
		return nil, err
	}
	// the design's errors name the input row of the cells' first ballots
	return s, s.checkDesign(spec)
}

// calibratedTransform returns the transform of the batches of a file
// summed with the weighting st solved by passes over it: after user's
// (nil: none), it adds every row's final weight (column calWeight), with
// reps the columns of its replicate calibrations (addRepCalColumns), per
// calibration variable k its terms b_k and t_k (calB, calT + k) of
// st.Terms, and with earlier steps that have residuals its design weight
// and terms q_k (calD, calQ + k).
func calibratedTransform(st *weighting.Streamed, user func(arrow.RecordBatch, int64) (arrow.RecordBatch, error), reps bool) func(arrow.RecordBatch, int64) (arrow.RecordBatch, error) {
	P, X, pre := st.P(), st.LaterP(), st.EarlierResiduals()
	return func(rec arrow.RecordBatch, first int64) (arrow.RecordBatch, error) {
		if user != nil {
			t, err := user(rec, first)
			if err != nil {
				return nil, err
			}
			defer t.Release()
			rec = t
		}
		n := int(rec.NumRows())
		cols := func(k int) [][]float64 {
			c := make([][]float64, k)
			for i := range c {
				c[i] = make([]float64, n)
			}
			return c
		}
		w, b, t := make([]float64, n), cols(P+X), cols(P+X)
		var d []float64
		var q [][]float64
		if pre {
			d, q = make([]float64, n), cols(P)
		}
		// the terms of termChunk rows at a time: their row-major arrays
		// stay small whatever the batch and the number of terms
		for i0 := 0; i0 < n; i0 += termChunk {
			i1 := min(n, i0+termChunk)
			sub := rec
			if i0 > 0 || i1 < n {
				sub = rec.NewSlice(int64(i0), int64(i1))
			}
			rt, err := st.Terms(sub, first+int64(i0))
			if sub != rec {
				sub.Release()
			}
			if err != nil {
				return nil, err
			}
			copy(w[i0:], rt.W)
			for i := range i1 - i0 {
				for k := 0; k < P; k++ {
					b[k][i0+i], t[k][i0+i] = rt.B[i*P+k], rt.T[i*P+k]
				}
				for k := 0; k < X; k++ {
					b[P+k][i0+i], t[P+k][i0+i] = rt.XB[i*X+k], rt.XT[i*X+k]
				}
				if pre {
					d[i0+i] = rt.D[i]
					for k := 0; k < P; k++ {
						q[k][i0+i] = rt.Q[i*P+k]
					}
				}
			}
		}
		fields := append([]arrow.Field(nil), rec.Schema().Fields()...)
		arrs := append([]arrow.Array(nil), rec.Columns()...)
		var made []arrow.Array
		add := func(name string, v []float64) {
			a := float64Array(v)
			made = append(made, a)
			fields = append(fields, arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float64})
			arrs = append(arrs, a)
		}
		add(calWeight, w)
		if reps {
			if err := addRepCalColumns(st, rec, first, func(name string, v []float64) { add(name, append([]float64(nil), v...)) }); err != nil {
				for _, a := range made {
					a.Release()
				}
				return nil, err
			}
		}
		for k := 0; k < P+X; k++ {
			add(calB+strconv.Itoa(k), b[k])
			add(calT+strconv.Itoa(k), t[k])
		}
		if pre {
			add(calD, d)
			for k := 0; k < P; k++ {
				add(calQ+strconv.Itoa(k), q[k])
			}
		}
		out := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(n))
		for _, a := range made {
			a.Release()
		}
		return out, nil
	}
}

// termBatches returns the reader options read with, first, a batch size
// that keeps a batch's term columns (2 per term of st) near those of 16
// terms in batches of the default size (read may set another).
func termBatches(st *weighting.Streamed, read []arrowio.Option) []arrowio.Option {
	n := st.P() + st.LaterP()
	if n <= 16 {
		return read
	}
	return append([]arrowio.Option{arrowio.WithBatchSize(max(termChunk, arrowio.DefaultBatchSize*16/n))}, read...)
}

// termChunk is the number of rows whose terms calibratedTransform makes
// at a time.
const termChunk = 4096

// float64Array is an Arrow array over v (not copied: v must not change).
func float64Array(v []float64) arrow.Array {
	data := array.NewData(arrow.PrimitiveTypes.Float64, len(v), []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Float64Traits.CastToBytes(v))}, nil, 0, 0)
	defer data.Release()
	return array.NewFloat64Data(data)
}

// addCalibrationKeys keys the cells of s (of the design ds) also by the
// classes of the weighting steps before st's calibration (and by the
// design weight, when a step needs it): nonrespondents' cells weigh 0,
// and stay out of the design effect's n, and the earlier steps run on the
// cells for their residuals.
func addCalibrationKeys(s *Sums, sch *arrow.Schema, ds *sampling.DesignOptions, st *weighting.Streamed) error {
	es, ls := st.EarlierSpec(), st.LaterSpec()
	if es == nil && ls == nil {
		return nil
	}
	add := s.keyAdder(sch)
	addNew := func(name, role string, float bool) error {
		if slices.ContainsFunc(s.keys, func(k *sumsKey) bool { return k.name == name }) {
			return nil // a design key already
		}
		return add(name, role, float)
	}
	if es != nil {
		if err := addWeightingKeys(addNew, ds, es, false); err != nil {
			return err
		}
	}
	if ls == nil {
		return nil
	}
	// the later steps run on cells of their classes (their residuals take
	// the rows' own entering weights through the terms, not the design
	// weight)
	_, err := addClassKeys(addNew, ls)
	return err
}

// calSums are a calibration's sums per cell: B[c*p+k] = Σ b_ik, and per
// item k' U[(c*K+k')*p+k] = Σ t_ik y_ik', V = Σ t_ik x_ik' (the item's
// numerator and denominator per unit weight), k running over the
// calibration's terms and then the later steps' (weighting.RowTerms XB,
// XT); with pre (earlier steps with residuals), D[c] = Σ d_i and
// Q[c*pq+k] = Σ q_ik over the calibration's pq terms.
//
// With unit (a design without PSU column: every ballot its own PSU), the
// moments of the ballots' residuals too: BB[c*p*p+k*p+l] = Σ b_ik b_il,
// and per item k' WYB[(c*K+k')*p+k] = Σ w_i y_ik' b_ik, WXB = Σ w_i x_ik'
// b_ik (w the final weight).
type calSums struct {
	p, pq   int
	pre     bool
	B, U, V []float64
	D, Q    []float64
	b, t, q [][]float64 // the batch's columns
	d       []float64

	unit         bool
	BB, WYB, WXB []float64
	w            []float64 // the batch's final weights (unit)
}

// batchFloats is the float64 column name that a transform added to rec.
func batchFloats(rec arrow.RecordBatch, name string) ([]float64, error) {
	a, err := arrowio.Column(rec, name)
	if err != nil {
		return nil, err
	}
	return a.(*array.Float64).Float64Values(), nil
}

// newCalSums are the calSums of the weighting st.
func newCalSums(st *weighting.Streamed) *calSums {
	return &calSums{p: st.P() + st.LaterP(), pq: st.P(), pre: st.EarlierResiduals()}
}

func (cs *calSums) read(rec arrow.RecordBatch) error {
	cs.b, cs.t, cs.q = cs.b[:0], cs.t[:0], cs.q[:0]
	if cs.unit {
		var err error
		if cs.w, err = batchFloats(rec, calWeight); err != nil {
			return err
		}
	}
	if cs.pre {
		var err error
		if cs.d, err = batchFloats(rec, calD); err != nil {
			return err
		}
		for k := 0; k < cs.pq; k++ {
			v, err := batchFloats(rec, calQ+strconv.Itoa(k))
			if err != nil {
				return err
			}
			cs.q = append(cs.q, v)
		}
	}
	for k := 0; k < cs.p; k++ {
		for _, pre := range []string{calB, calT} {
			v, err := batchFloats(rec, pre+strconv.Itoa(k))
			if err != nil {
				return err
			}
			if pre == calB {
				cs.b = append(cs.b, v)
			} else {
				cs.t = append(cs.t, v)
			}
		}
	}
	return nil
}

func (cs *calSums) grow(K int) {
	cs.B = append(cs.B, make([]float64, cs.p)...)
	cs.U = append(cs.U, make([]float64, K*cs.p)...)
	cs.V = append(cs.V, make([]float64, K*cs.p)...)
	if cs.unit {
		cs.BB = append(cs.BB, make([]float64, cs.p*cs.p)...)
		cs.WYB = append(cs.WYB, make([]float64, K*cs.p)...)
		cs.WXB = append(cs.WXB, make([]float64, K*cs.p)...)
	}
	if cs.pre {
		cs.D = append(cs.D, 0)
		cs.Q = append(cs.Q, make([]float64, cs.pq)...)
	}
}

// addRows adds to cell c the terms of rows [i0, i1) that no item weighs:
// B, and with pre D and Q.
func (cs *calSums) addRows(c, i0, i1 int) {
	p := cs.p
	B := cs.B[c*p : (c+1)*p]
	for i := i0; i < i1; i++ {
		for k := 0; k < p; k++ {
			B[k] += cs.b[k][i]
		}
	}
	if cs.pre {
		pq := cs.pq
		Q := cs.Q[c*pq : (c+1)*pq]
		for i := i0; i < i1; i++ {
			cs.D[c] += cs.d[i]
			for k := 0; k < pq; k++ {
				Q[k] += cs.q[k][i]
			}
		}
	}
}

func (cs *calSums) addRun(s *Sums, codes [][]int8, c, i0, i1 int) {
	p, K := cs.p, s.ne+s.nc
	U, V := cs.U[c*K*p:(c+1)*K*p], cs.V[c*K*p:(c+1)*K*p]
	cs.addRows(c, i0, i1)
	for i := i0; i < i1; i++ {
		for j := 0; j < K; j++ {
			cd := uint8(codes[j][i])
			if s.xtab[j][cd] == 0 {
				continue
			}
			y := s.ytab[j][cd]
			for k := 0; k < p; k++ {
				if t := cs.t[k][i]; t != 0 {
					U[j*p+k] += t * y
					V[j*p+k] += t
				}
			}
		}
	}
	if cs.unit {
		cs.addUnit(s, codes, c, i0, i1)
	}
}

// addBB adds to cell c the Σ b_k b_l (k ≤ l) of rows [i0, i1), answered
// or not (unit).
func (cs *calSums) addBB(c, i0, i1 int) {
	p := cs.p
	BB := cs.BB[c*p*p : (c+1)*p*p]
	for i := i0; i < i1; i++ {
		for k := 0; k < p; k++ {
			bk := cs.b[k][i]
			if bk == 0 {
				continue
			}
			for l := k; l < p; l++ {
				BB[k*p+l] += bk * cs.b[l][i]
			}
		}
	}
}

// addUnit adds to cell c the residual moments of rows [i0, i1) (unit):
// Σ b b', and per item Σ w y b and Σ w x b.
func (cs *calSums) addUnit(s *Sums, codes [][]int8, c, i0, i1 int) {
	p, K := cs.p, s.ne+s.nc
	cs.addBB(c, i0, i1)
	WYB, WXB := cs.WYB[c*K*p:(c+1)*K*p], cs.WXB[c*K*p:(c+1)*K*p]
	for i := i0; i < i1; i++ {
		w := cs.w[i]
		if w == 0 {
			continue
		}
		for j := 0; j < K; j++ {
			cd := uint8(codes[j][i])
			x := s.xtab[j][cd]
			if x == 0 {
				continue
			}
			wy, wx := w*s.ytab[j][cd], w*x
			for k := 0; k < p; k++ {
				if bk := cs.b[k][i]; bk != 0 {
					WYB[j*p+k] += wy * bk
					WXB[j*p+k] += wx * bk
				}
			}
		}
	}
}

func (cs *calSums) merge(c int, o *calSums, oc, K int) {
	p := cs.p
	for k := 0; k < p; k++ {
		cs.B[c*p+k] += o.B[oc*p+k]
	}
	for j := 0; j < K*p; j++ {
		cs.U[c*K*p+j] += o.U[oc*K*p+j]
		cs.V[c*K*p+j] += o.V[oc*K*p+j]
	}
	if cs.unit {
		for j := 0; j < p*p; j++ {
			cs.BB[c*p*p+j] += o.BB[oc*p*p+j]
		}
		for j := 0; j < K*p; j++ {
			cs.WYB[c*K*p+j] += o.WYB[oc*K*p+j]
			cs.WXB[c*K*p+j] += o.WXB[oc*K*p+j]
		}
	}
	if cs.pre {
		pq := cs.pq
		cs.D[c] += o.D[oc]
		for k := 0; k < pq; k++ {
			cs.Q[c*pq+k] += o.Q[oc*pq+k]
		}
	}
}

func (cs *calSums) columns(items []string, addFloat func(string, func(int) float64)) {
	p, K := cs.p, len(items)
	for k := 0; k < p; k++ {
		addFloat(SumsColumn("calb"+strconv.Itoa(k), "all"), func(c int) float64 { return cs.B[c*p+k] })
		for j, name := range items {
			addFloat(SumsColumn("calu"+strconv.Itoa(k), name), func(c int) float64 { return cs.U[(c*K+j)*p+k] })
			addFloat(SumsColumn("calv"+strconv.Itoa(k), name), func(c int) float64 { return cs.V[(c*K+j)*p+k] })
		}
	}
	if cs.unit {
		for k := 0; k < p; k++ {
			for l := k; l < p; l++ {
				addFloat(calBBColumn(k, l), func(c int) float64 { return cs.BB[c*p*p+k*p+l] })
			}
			for j, name := range items {
				addFloat(SumsColumn("calwyb"+strconv.Itoa(k), name), func(c int) float64 { return cs.WYB[(c*K+j)*p+k] })
				addFloat(SumsColumn("calwxb"+strconv.Itoa(k), name), func(c int) float64 { return cs.WXB[(c*K+j)*p+k] })
			}
		}
	}
	if cs.pre {
		pq := cs.pq
		addFloat(SumsColumn("cald", "all"), func(c int) float64 { return cs.D[c] })
		for k := 0; k < pq; k++ {
			addFloat(SumsColumn("calq"+strconv.Itoa(k), "all"), func(c int) float64 { return cs.Q[c*pq+k] })
		}
	}
}

// FromCalibratedSums finishes the indices of Compute on the design
// weighting.NewDesign(ballots, ws, spec) from the sums table of
// SumCalibratedFile with st = weighting.SolveStream(ws): the cells' sums
// are of the final weights, and the linearized variance replaces each
// influence vector z by its calibration residual (as
// weighting.Result.AdjustInfluence on the rows): with c the coefficients
// st.Coefficients of the domain's sums A·U − B·V of the estimand's items
// (z_i = w_i (A y_i − B x_i)), cell c's z loses Σ_k B_ck c_k. With earlier
// steps that have residuals (post-stratification, raking, category
// calibration), those come first: the steps run on the cells
// (weighting.RunCells on the cells' design weight totals D), z becomes
// their residual z', and the right-hand side loses
// Σ_c (z_c − z'_c)/D_c · Q_c (weighting.RowTerms). Estimates
// and SEs equal Compute's on the weighted design up to the order of the
// additions.
func FromCalibratedSums(ctx context.Context, sums arrow.RecordBatch, q *Questionnaire, spec *sampling.DesignOptions, st *weighting.Streamed, opt *Options) (*Result, *sampling.Design, error) {
	if err := calibratedSpec(spec); err != nil {
		return nil, nil, err
	}
	r, d, _, err := fromSums(ctx, sums, q, spec, opt, nil, st)
	return r, d, err
}

// calHook is the term-by-term influence adjustment of FromCalibratedSums.
type calHook struct {
	st   *weighting.Streamed
	p, K int
	pt   int // the calibration's terms and the later steps' (weighting.RowTerms)
	// the later steps' residuals on the cells (nil: none), the cells'
	// domains
	later *weighting.LaterCells
	dom   []int32
	B     [][]float64 // [k][cell]
	X     [][]float64 // the later steps' terms XB [k][cell]
	// earlier steps with residuals: their run on the cells, the cells'
	// design weight totals D and Q [k][cell] (nil: none)
	pre  *weighting.Result
	D    []float64
	Q    [][]float64
	u, v [][]float64 // [j*p+k][cell]
	// per domain (the last: every cell) [(g*K+j)*p+k]
	ud, vd []float64
	nd     int
}

func newCalHook(sums arrow.RecordBatch, st *weighting.Streamed, items []string, get func(string) ([]float64, error), cnt []int64) (*calHook, error) {
	h := &calHook{st: st, p: st.P(), K: len(items), pt: st.P() + st.LaterP()}
	var err error
	if st.EarlierResiduals() {
		if h.D, err = get(SumsColumn("cald", "all")); err != nil {
			return nil, err
		}
		for k := 0; k < h.p; k++ {
			q, err := get(SumsColumn("calq"+strconv.Itoa(k), "all"))
			if err != nil {
				return nil, err
			}
			h.Q = append(h.Q, q)
		}
		n := make([]float64, len(cnt))
		for c, v := range cnt {
			n[c] = float64(v)
		}
		if h.pre, err = weighting.RunCells(st.EarlierSpec(), sums, h.D, n); err != nil {
			return nil, err
		}
	}
	for k := 0; k < h.pt; k++ {
		var b []float64
		if b, err = get(SumsColumn("calb"+strconv.Itoa(k), "all")); err != nil {
			return nil, err
		}
		h.B = append(h.B, b)
	}
	if h.pt > h.p {
		n := make([]float64, len(cnt))
		for c, v := range cnt {
			n[c] = float64(v)
		}
		h.X = h.B[h.p:]
		if h.later, err = st.NewLaterCells(sums, h.X, n); err != nil {
			return nil, err
		}
		h.B = h.B[:h.p]
	}
	for _, name := range items {
		for k := 0; k < h.pt; k++ {
			u, err := get(SumsColumn("calu"+strconv.Itoa(k), name))
			if err != nil {
				return nil, err
			}
			v, err := get(SumsColumn("calv"+strconv.Itoa(k), name))
			if err != nil {
				return nil, err
			}
			h.u, h.v = append(h.u, u), append(h.v, v)
		}
	}
	return h, nil
}

// domains sums U and V over the cells of each domain (dom nil: none).
func (h *calHook) domains(dom []int32, nd int) {
	h.nd, h.dom = nd, dom
	n := 0
	if len(h.u) > 0 {
		n = len(h.u[0])
	}
	pt := h.pt
	h.ud, h.vd = make([]float64, (nd+1)*h.K*pt), make([]float64, (nd+1)*h.K*pt)
	for q := range h.u {
		for c := 0; c < n; c++ {
			u, v := h.u[q][c], h.v[q][c]
			h.ud[nd*h.K*pt+q] += u
			h.vd[nd*h.K*pt+q] += v
			if dom != nil && dom[c] >= 0 {
				g := int(dom[c])
				h.ud[g*h.K*pt+q] += u
				h.vd[g*h.K*pt+q] += v
			}
		}
	}
}

// coefficients are the calibration's coefficients of the influence
// vectors the terms describe (one calibration, without earlier steps'
// residuals nor later steps'): those of their domain sums A·U − B·V.
func (h *calHook) coefficients(terms []sampling.InfluenceTerm) [][]float64 {
	out := make([][]float64, len(terms))
	rhs := make([]float64, h.p)
	for b, tm := range terms {
		h.rhs(tm, 0, rhs)
		out[b] = h.st.Coefficients(rhs)
	}
	return out
}

// rhs sets rhs to the domain sums A·U − B·V of the vector tm describes,
// of the terms from off on.
func (h *calHook) rhs(tm sampling.InfluenceTerm, off int, rhs []float64) {
	g := tm.Domain
	if g < 0 {
		g = h.nd
	}
	at := (g*h.K+tm.Item)*h.pt + off
	for k := range rhs {
		rhs[k] = tm.A*h.ud[at+k] - tm.B*h.vd[at+k]
	}
}

func (h *calHook) adjust(terms []sampling.InfluenceTerm, zs ...[]float64) {
	if h.st.Calibrations() > 1 {
		h.adjustChain(terms, zs...)
		return
	}
	rhs := make([]float64, h.p)
	old := h.preAdjust(zs)
	for b, tm := range terms {
		h.rhs(tm, 0, rhs)
		var delta []float64
		if old != nil {
			if h.later != nil {
				delta = make([]float64, len(old[b]))
			}
			for c, z0 := range old[b] {
				if d := z0 - zs[b][c]; d != 0 {
					d /= h.D[c]
					if delta != nil {
						delta[c] = d
					}
					for k, q := range h.Q {
						rhs[k] -= d * q[c]
					}
				}
			}
		}
		cf := h.st.Coefficients(rhs)
		z := zs[b]
		for k, col := range h.B {
			if cf[k] == 0 {
				continue
			}
			for c, v := range col[:len(z)] {
				z[c] -= v * cf[k]
			}
		}
		if h.later != nil {
			h.later.Adjust(z, delta, cf, h.zr(tm, len(z)))
		}
	}
}

// zr returns, for the later steps' term k, Σ z0_i XT_ik per cell (n) of
// the domain of tm.
func (h *calHook) zr(tm sampling.InfluenceTerm, n int) func(k int) []float64 {
	return func(k int) []float64 {
		q := tm.Item*h.pt + h.p + k
		u, v := h.u[q], h.v[q]
		out := make([]float64, n)
		for c := range out {
			if tm.Domain < 0 || (h.dom != nil && int(h.dom[c]) == tm.Domain) {
				out[c] = tm.A*u[c] - tm.B*v[c]
			}
		}
		return out
	}
}

// preAdjust takes the earlier steps' residuals from zs first (svyrecvar's
// order) and returns copies of zs as they were before, nil without
// earlier steps.
func (h *calHook) preAdjust(zs [][]float64) [][]float64 {
	if h.pre == nil {
		return nil
	}
	old := make([][]float64, len(zs))
	for b, z := range zs {
		old[b] = append([]float64(nil), z...)
	}
	h.pre.AdjustInfluence(zs...)
	return old
}

// adjustChain is adjust for a chain of calibrations
// (weighting.Streamed.Calibrations): after the earlier steps' residuals,
// each calibration m in turn takes its coefficients from its domain sums
// A·U − B·V less the corrections before it (the earlier steps' through Q,
// the calibrations' through Streamed.Cross, the later steps' through
// their cross terms, Streamed.CrossTerms), corrects the cells by Σ_k B_ck
// c_k and runs its later steps (weighting.LaterCells.AdjustAfter).
func (h *calHook) adjustChain(terms []sampling.InfluenceTerm, zs ...[]float64) {
	old := h.preAdjust(zs)
	M := h.st.Calibrations()
	for b, tm := range terms {
		z := zs[b]
		var delta []float64
		if old != nil {
			delta = make([]float64, len(z))
			for c, z0 := range old[b] {
				if d := z0 - z[c]; d != 0 {
					delta[c] = d / h.D[c]
				}
			}
		}
		zr := h.zr(tm, len(z))
		var alpha, betas [][]float64
		for m := 0; m < M; m++ {
			off, p := h.st.CalibrationTerms(m)
			rhs := make([]float64, p)
			h.rhs(tm, off, rhs)
			for c, d := range delta {
				if d != 0 {
					for k := range rhs {
						rhs[k] -= d * h.Q[off+k][c]
					}
				}
			}
			for m2, bt := range betas {
				C, p2 := h.st.Cross(m, m2), len(bt)
				for k := range rhs {
					for q, v := range bt {
						rhs[k] -= C[k*p2+q] * v
					}
				}
			}
			if m > 0 {
				col, _ := h.st.CrossTerms(m)
				for q, a := range alpha {
					for c, v := range a {
						if v == 0 {
							continue
						}
						for k := range rhs {
							rhs[k] -= v * h.X[col+q*p+k][c]
						}
					}
				}
			}
			cf := h.st.CoefficientsOf(m, rhs)
			betas = append(betas, cf)
			for k, f := range cf {
				if f == 0 {
					continue
				}
				for c, v := range h.B[off+k][:len(z)] {
					z[c] -= v * f
				}
			}
			if h.later != nil {
				alpha = h.later.AdjustAfter(m, z, delta, cf, zr, alpha)
			}
		}
	}
}
