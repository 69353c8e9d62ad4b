package index

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// Names of the columns SumCalibratedFile adds to every batch for a
// replicate variance: each row's design weight, its row of the model
// matrix (one column per calibration variable) and 1/σ² of the working
// model (weighting.Streamed.ReplicateRows); with steps before the
// calibration, its design weight.
const (
	repCalW0  = "\x00sipas_rcal_w0"
	repCalX   = "\x00sipas_rcal_x"
	repCalInv = "\x00sipas_rcal_inv"
	repCalD   = "\x00sipas_rcal_d"
)

// addRepCalColumns adds the columns of a replicate variance to a batch
// (add appends one column).
func addRepCalColumns(st *weighting.Streamed, rec arrow.RecordBatch, first int64, add func(string, []float64)) error {
	w0, x, inv, err := st.ReplicateRows(rec, first)
	if err != nil {
		return err
	}
	p, n := st.P(), len(w0)
	add(repCalW0, w0)
	col := make([]float64, n)
	for k := 0; k < p; k++ {
		for i := range col {
			col[i] = x[i*p+k]
		}
		add(repCalX+strconv.Itoa(k), col)
	}
	if inv != nil {
		add(repCalInv, inv)
	}
	if st.EarlierSpec() != nil {
		d, err := st.DesignWeights(rec, first)
		if err != nil {
			return err
		}
		add(repCalD, d)
	}
	return nil
}

// rowRepSums are, per cell, what the replicates of a calibration solved by
// passes need besides the residual sums (calSums, whose U and V are
// Σ w0 x_k y/σ² and Σ w0 x_k x of every item): with u_i = (1, x_i/σ²_i)
// and w0 the start weights,
//
//	Y0[c*K+j] = Σ w0 y_j,  X0[c*K+j] = Σ w0 x_j        (the items)
//	S[c*p*p+k*p+l] = Σ w0 x_k x_l/σ²,  T[c*p+k] = Σ w0 x_k
//	Q[c*q*q+a*q+b] = Σ w0² u_a u_b  (q = p+1)
//
// and with steps before the calibration (pre), D[c] = Σ d of the design
// weights, on which every replicate re-runs those steps.
type rowRepSums struct {
	p, K         int
	pre          bool
	Y0, X0, S, T []float64
	Q, D         []float64
	// the batch's columns
	w0, inv, d []float64
	x          [][]float64
	nz         []int
}

func (rr *rowRepSums) read(rec arrow.RecordBatch) error {
	col := func(name string) ([]float64, error) { return batchFloats(rec, name) }
	var err error
	if rr.w0, err = col(repCalW0); err != nil {
		return err
	}
	rr.x = rr.x[:0]
	for k := 0; k < rr.p; k++ {
		v, err := col(repCalX + strconv.Itoa(k))
		if err != nil {
			return err
		}
		rr.x = append(rr.x, v)
	}
	rr.inv = nil
	if len(rec.Schema().FieldIndices(repCalInv)) > 0 {
		rr.inv, _ = col(repCalInv)
	}
	if rr.pre {
		if rr.d, err = col(repCalD); err != nil {
			return err
		}
	}
	return nil
}

func (rr *rowRepSums) grow(K int) {
	rr.K = K
	p, q := rr.p, rr.p+1
	rr.Y0 = append(rr.Y0, make([]float64, K)...)
	rr.X0 = append(rr.X0, make([]float64, K)...)
	rr.S = append(rr.S, make([]float64, p*p)...)
	rr.T = append(rr.T, make([]float64, p)...)
	rr.Q = append(rr.Q, make([]float64, q*q)...)
	if rr.pre {
		rr.D = append(rr.D, 0)
	}
}

// addRun adds rows [i0, i1) of the batch, all in cell c, with the items'
// values of the ballots' answer codes.
func (rr *rowRepSums) addRun(s *Sums, codes [][]int8, c, i0, i1 int) {
	K := rr.K
	Y0, X0 := rr.Y0[c*K:(c+1)*K], rr.X0[c*K:(c+1)*K]
	for i := i0; i < i1; i++ {
		w := rr.w0[i]
		for j := 0; j < K; j++ {
			cd := uint8(codes[j][i])
			if s.xtab[j][cd] == 0 {
				continue
			}
			Y0[j] += w * s.ytab[j][cd]
			X0[j] += w
		}
	}
	rr.addModel(c, i0, i1)
}

// addValues adds rows [i0, i1) of the batch, all in cell c, with the
// estimands' values of v (y about the shift and x, over the rows where
// the estimand is observed, as valueSums.addCalibration).
func (rr *rowRepSums) addValues(v *valueSums, c, i0, i1 int) {
	K := rr.K
	Y0, X0 := rr.Y0[c*K:(c+1)*K], rr.X0[c*K:(c+1)*K]
	for j, e := range v.est {
		y, oy, x, ox := v.values(e)
		sh := v.shift[j]
		for i := i0; i < i1; i++ {
			if !oy[i] || (ox != nil && !ox[i]) {
				continue
			}
			xi := 1.0
			if x != nil {
				xi = x[i]
			}
			w := rr.w0[i]
			Y0[j] += w * (y[i] - sh*xi)
			X0[j] += w * xi
		}
	}
	rr.addModel(c, i0, i1)
}

// addModel adds the sums of the model matrix (S, T, Q, D) of rows
// [i0, i1) of the batch to cell c.
func (rr *rowRepSums) addModel(c, i0, i1 int) {
	p, q := rr.p, rr.p+1
	S, T, Q := rr.S[c*p*p:(c+1)*p*p], rr.T[c*p:(c+1)*p], rr.Q[c*q*q:(c+1)*q*q]
	if rr.pre {
		for i := i0; i < i1; i++ {
			rr.D[c] += rr.d[i]
		}
	}
	for i := i0; i < i1; i++ {
		w := rr.w0[i]
		inv := 1.0
		if rr.inv != nil {
			inv = rr.inv[i]
		}
		nz := rr.nz[:0]
		for k := 0; k < p; k++ {
			if rr.x[k][i] != 0 {
				nz = append(nz, k)
			}
		}
		rr.nz = nz
		Q[0] += w * w
		for _, k := range nz {
			xk := rr.x[k][i]
			T[k] += w * xk
			wk := w * xk * inv
			Q[k+1] += w * wk
			for _, l := range nz {
				xl := rr.x[l][i]
				S[k*p+l] += wk * xl
				Q[(k+1)*q+l+1] += w * wk * xl * inv
			}
		}
	}
}

func (rr *rowRepSums) merge(c int, o *rowRepSums, oc int) {
	p, q, K := rr.p, rr.p+1, rr.K
	add := func(dst, src []float64, m int) {
		for j := 0; j < m; j++ {
			dst[c*m+j] += src[oc*m+j]
		}
	}
	add(rr.Y0, o.Y0, K)
	add(rr.X0, o.X0, K)
	add(rr.S, o.S, p*p)
	add(rr.T, o.T, p)
	add(rr.Q, o.Q, q*q)
	if rr.pre {
		add(rr.D, o.D, 1)
	}
}

func (rr *rowRepSums) columns(items []string, addFloat func(string, func(int) float64)) {
	p, q, K := rr.p, rr.p+1, len(items)
	for j, name := range items {
		addFloat(SumsColumn("rcy", name), func(c int) float64 { return rr.Y0[c*K+j] })
		addFloat(SumsColumn("rcx", name), func(c int) float64 { return rr.X0[c*K+j] })
	}
	for k := 0; k < p; k++ {
		addFloat("rct_"+strconv.Itoa(k), func(c int) float64 { return rr.T[c*p+k] })
		for l := k; l < p; l++ {
			addFloat("rcs_"+strconv.Itoa(k)+"_"+strconv.Itoa(l), func(c int) float64 { return rr.S[c*p*p+k*p+l] })
		}
	}
	for a := 0; a < q; a++ {
		for b := a; b < q; b++ {
			addFloat("rcq_"+strconv.Itoa(a)+"_"+strconv.Itoa(b), func(c int) float64 { return rr.Q[c*q*q+a*q+b] })
		}
	}
	if rr.pre {
		addFloat("rcd", func(c int) float64 { return rr.D[c] })
	}
}

// CalibratedReplicates are the replicates of a replicate design (jackknife,
// bootstrap, BRR, Fay: factors constant within PSUs) after an unbounded
// linear calibration solved by passes over the ballots
// (weighting.Streamed.ReplicatesSupport), found from the sums table of
// SumCalibratedFile without a pass of their own: replicate r multiplies
// cell c's design weights by a_rc (its PSU's factor) and by f_rc, the
// factor of the steps before the calibration re-run on the replicate's
// cell totals (1 without), and calibrates them, which solves
// (Σ_c a_rc f_rc S_c) λ_r = T − Σ_c a_rc f_rc t_c
// (S_c = Σ_{i∈c} d_i x_i x_i'/σ²_i, t_c = Σ_{i∈c} d_i x_i) and weights
// ballot i by a_rc f_rc d_i (1 + x_i'λ_r/σ²_i).
type CalibratedReplicates struct {
	st   *weighting.Streamed
	spec sampling.DesignOptions
	R    int
	lam  [][]float64 // per replicate, λ
	// per replicate and cell of the table, a_rc f_rc/f_c (the sums are of
	// the start weights f_c d_i) and a_rc
	fac, psuFac [][]float64
	cpsu        []int32 // per cell of the table, its PSU
	psu         map[string]int32
	scale       float64
	rscale      []float64
}

// psuKey is the key of a ballot's or a cell's PSU: its stratum's and PSU's
// text.
func psuKey(str, psu string) string { return str + "\x00" + psu }

// psuKeys returns the key (psuKey) of every row of rec.
func psuKeys(rec arrow.RecordBatch, spec *sampling.DesignOptions) ([]string, error) {
	n := int(rec.NumRows())
	str := make([]string, n)
	if spec.Strata != "" {
		col, err := arrowio.Column(rec, spec.Strata)
		if err != nil {
			return nil, err
		}
		if str, _, err = arrowio.Strings(col); err != nil {
			return nil, fmt.Errorf("stratum column %q: %w", spec.Strata, err)
		}
	}
	col, err := arrowio.Column(rec, spec.PSU)
	if err != nil {
		return nil, err
	}
	psu, _, err := arrowio.Strings(col)
	if err != nil {
		return nil, fmt.Errorf("PSU column %q: %w", spec.PSU, err)
	}
	out := make([]string, n)
	for i := range out {
		out[i] = psuKey(str[i], psu[i])
	}
	return out, nil
}

// NewCalibratedReplicates returns the replicates of the replicate design
// spec (a generated replicate method, no weight column) after the
// calibration st, from sums, the table of SumCalibratedFile run with that
// spec; the steps before the calibration (st.EarlierSpec) re-run on every
// replicate's cell totals. A replicate whose steps fail is an error naming
// it, as weighting.NewDesign's; CheckFile then checks every replicate
// weight of the ballots.
func NewCalibratedReplicates(sums arrow.RecordBatch, spec *sampling.DesignOptions, st *weighting.Streamed) (*CalibratedReplicates, error) {
	if err := st.ReplicatesSupport(); err != nil {
		return nil, fmt.Errorf("index: %v", err)
	}
	p := st.P()
	n := int(sums.NumRows())
	get := func(name string) ([]float64, error) { return repCalColumn(sums, name) }
	d0, psuFac, fac, err := replicateFactors(context.Background(), sums, spec, st.EarlierSpec(), get)
	if err != nil {
		return nil, err
	}
	cr := &CalibratedReplicates{st: st, spec: *spec, R: d0.Replicates(), psu: map[string]int32{}}
	cr.scale, cr.rscale = d0.ReplicateScales()
	keys, err := psuKeys(sums, spec)
	if err != nil {
		return nil, err
	}
	cr.cpsu = make([]int32, n)
	for c, k := range keys {
		h, ok := cr.psu[k]
		if !ok {
			h = int32(len(cr.psu))
			cr.psu[k] = h
		}
		cr.cpsu[c] = h
	}
	S := make([][]float64, p*p)
	T := make([][]float64, p)
	for k := 0; k < p; k++ {
		if T[k], err = get("rct_" + strconv.Itoa(k)); err != nil {
			return nil, err
		}
		for l := k; l < p; l++ {
			if S[k*p+l], err = get("rcs_" + strconv.Itoa(k) + "_" + strconv.Itoa(l)); err != nil {
				return nil, err
			}
			S[l*p+k] = S[k*p+l]
		}
	}
	td, tot := make([]float64, p*p), make([]float64, p)
	cr.psuFac = psuFac
	for r := 0; r < cr.R; r++ {
		a := fac[r]
		clear(td)
		clear(tot)
		for c, f := range a {
			if f == 0 {
				continue
			}
			for j, col := range S {
				td[j] += f * col[c]
			}
			for k, col := range T {
				tot[k] += f * col[c]
			}
		}
		lam, err := st.ReplicateLambda(td, tot)
		if err != nil {
			return nil, fmt.Errorf("weighting: replicate %d of %d: %w", r+1, cr.R, err)
		}
		cr.lam = append(cr.lam, lam)
	}
	cr.fac = fac
	return cr, nil
}

// replicateFactors returns the generated replicate design spec of the
// cells of tab (its rows, with their strata, PSUs, fpc and the classes of
// the earlier steps es, nil: none) weighted 1, per replicate its cells'
// PSU factors a_rc, and per replicate and cell the factor of the start
// weights: a_rc, or with es a_rc f_rc/f_c, where es re-run on replicate
// r's cell totals of the design weights (get reads the column rcd of
// those totals, and the rows' counts SumsRows) gives cell c the weight
// f_rc D_c and the full sample f_c D_c. A cell whose replicate weight is
// positive exactly when a_rc and f_c are not 0 keeps its ballots'
// replicate weights multiples of their start weights; otherwise it is an
// error naming the replicate.
func replicateFactors(ctx context.Context, tab arrow.RecordBatch, spec *sampling.DesignOptions, es *weighting.Spec, get func(string) ([]float64, error)) (d0 *sampling.Design, psuFac, fac [][]float64, err error) {
	n := int(tab.NumRows())
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	prec := withFloatColumn(tab, sumsUnitWeight, ones)
	defer prec.Release()
	ds := *spec
	ds.Weight = sumsUnitWeight
	if d0, err = sampling.NewDesign(prec, &ds); err != nil {
		return nil, nil, nil, err
	}
	var repW [][]float64
	var full []float64
	if es != nil {
		D, err := get("rcd")
		if err != nil {
			return nil, nil, nil, err
		}
		rows, err := get(SumsRows)
		if err != nil {
			return nil, nil, nil, err
		}
		res, err := weighting.RunCells(es, tab, D, rows)
		if err != nil {
			return nil, nil, nil, err
		}
		reps, err := cellReplicates(ctx, tab, spec, es, D, rows)
		if err != nil {
			return nil, nil, nil, err
		}
		full, repW = res.Weights, reps.Weights
	}
	R := d0.Replicates()
	for r := 0; r < R; r++ {
		a := d0.ReplicateWeights(r)
		psuFac = append(psuFac, a)
		if repW != nil {
			m := make([]float64, n)
			for c, v := range repW[r] {
				// the rows checked are those of the cells whose a and full
				// weight are not 0: those must be exactly the cells whose
				// replicate weight is positive
				if (a[c] != 0 && full[c] != 0) != (v > 0) {
					return nil, nil, nil, fmt.Errorf("index: replicate %d of %d: the steps before the calibration give a cell the weight %v where the full sample gives it %v and the replicate's PSU factor is %v, so its ballots' replicate weights are not multiples of their start weights; compute the indices from the ballots", r+1, R, v, full[c], a[c])
				}
				if v != 0 {
					m[c] = v / full[c]
				}
			}
			a = m
		}
		fac = append(fac, a)
	}
	return d0, psuFac, fac, nil
}

// CheckFile reads the ballots of the file at path once more (so's reader
// options and Transform apply; they must be those of the SumCalibratedFile
// run) and checks every replicate weight a_rh f_rh w_i g_ri of a ballot
// whose start weight w_i and PSU factor a_rh are not 0 (then the earlier
// steps' f_rh is positive, NewCalibratedReplicates checked it): it must be
// positive, as weighting.NewDesign requires; the error names the first
// replicate with such a weight.
func (cr *CalibratedReplicates) CheckFile(ctx context.Context, path string, so *StreamOptions) error {
	var o StreamOptions
	if so != nil {
		o = *so
	}
	st, R, p := cr.st, cr.R, cr.st.P()
	cols := st.Columns()
	for _, c := range []string{cr.spec.Strata, cr.spec.PSU} {
		if c != "" {
			cols = append(cols, c)
		}
	}
	cols = append(cols, o.Columns...)
	// per PSU, the factor of every replicate
	fac := make([][]float64, len(cr.psu))
	for c, h := range cr.cpsu {
		if fac[h] == nil {
			fac[h] = make([]float64, R)
			for r := range fac[h] {
				fac[h][r] = cr.psuFac[r][c]
			}
		}
	}
	bad := make([]int, R)
	gmin := make([]float64, R)
	imin := make([]int64, R)
	for r := range gmin {
		gmin[r] = math.Inf(1)
	}
	scan := ScanFile(path, o.Read...)
	err := scan(ctx, cols, func(rec arrow.RecordBatch, first int64) error {
		if o.Transform != nil {
			t, err := o.Transform(rec, first)
			if err != nil {
				return err
			}
			defer t.Release()
			rec = t
		}
		keys, err := psuKeys(rec, &cr.spec)
		if err != nil {
			return err
		}
		w0, x, inv, err := st.ReplicateRows(rec, first)
		if err != nil {
			return err
		}
		h := int32(-1)
		var nz []int
		for i, k := range keys {
			if i == 0 || k != keys[i-1] {
				var ok bool
				if h, ok = cr.psu[k]; !ok {
					return fmt.Errorf("row %d: %w: stratum and PSU %q are not in the sums: the input changed while it was read", first+int64(i)+1, ErrSums, strings.ReplaceAll(k, "\x00", " / "))
				}
			}
			xi := x[i*p : (i+1)*p]
			nz = nz[:0]
			for k, v := range xi {
				if v != 0 {
					nz = append(nz, k)
				}
			}
			if w0[i] == 0 {
				continue // a nonrespondent: 0 in every replicate
			}
			for r, a := range fac[h] {
				if a == 0 {
					continue
				}
				u, lam := 0.0, cr.lam[r]
				for _, k := range nz {
					u += xi[k] * lam[k]
				}
				if inv != nil {
					u *= inv[i]
				}
				g := 1 + u
				if !(a*w0[i]*g > 0) {
					bad[r]++
					if g < gmin[r] {
						gmin[r], imin[r] = g, first+int64(i)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for r, b := range bad {
		if b > 0 {
			return st.ReplicateWeightError(r, R, b, gmin[r], imin[r])
		}
	}
	return nil
}

// FromCalibratedReplicateSums finishes the indices of Compute on the design
// weighting.NewDesign(ballots, ws, spec) with the replicate method of spec
// from the sums table of SumCalibratedFile (run with spec) and the
// calibration's replicates cr: per domain g, replicate r and item k the
// replicate sums are Σ_{c∈g} m_rc (Σ_c w0 y_k + λ_r'·Σ_c w0 x y_k/σ²), and
// the Gram matrix of the replicate weights (whose rank gives the degrees
// of freedom) Σ_{c∈g} m_rc m_sc (1, λ_r')Q_c(1, λ_s')', with w0 the start
// weights f_c d_i and m_rc = a_rc f_rc/f_c (a_rc without earlier steps);
// the variance is
// then that of the supplied replicate weights (sampling.
// NewReplicateSumsDesign) with the generated method's scales, as in
// memory. Estimates, SEs, intervals, design effects and degrees of
// freedom equal Compute's on the weighted design up to the order of the
// additions.
func FromCalibratedReplicateSums(ctx context.Context, sums arrow.RecordBatch, q *Questionnaire, spec *sampling.DesignOptions, cr *CalibratedReplicates, opt *Options) (*Result, *sampling.Design, error) {
	if q == nil {
		q = DefaultQuestionnaire()
	}
	if opt == nil {
		opt = &Options{}
	}
	items := indexItems(q, opt)
	group, G, err := cellGroupsBy(sums, opt.By)
	if err != nil {
		return nil, nil, err
	}
	rs, err := cr.replicateSums(ctx, sums, items, group, G)
	if err != nil {
		return nil, nil, err
	}
	tab, ds := cr.suppliedDesign(sums, spec, group)
	defer tab.Release()
	// (st: cells of nonrespondents, weight 0, in no domain's PSU count)
	r, d, _, err := fromSumsReps(ctx, tab, q, &ds, opt, nil, cr.st, rs)
	return r, d, err
}

// calibratedReplicatesSupport says whether the replicates of the
// replicate design spec after the weighting ws can be solved in passes
// over the ballots (nil) or why not: from the sums of SumCalibratedFile
// (weighting.ReplicatesStreamSupport), else by every replicate's Newton
// iterations (weighting.NewtonReplicatesStreamSupport, SolveNewtonReplicates).
func calibratedReplicatesSupport(spec *sampling.DesignOptions, ws *weighting.Spec) error {
	if suppliedReplicates(spec) {
		return fmt.Errorf("replicate weight columns are not re-weighted: choose a replicate method and every replicate is calibrated")
	}
	if err := weighting.ReplicatesStreamSupport(ws); err == nil {
		return nil // from the sums per cell (NewCalibratedReplicates)
	}
	// by Newton iterations over the rows (SolveNewtonReplicates)
	return weighting.NewtonReplicatesStreamSupport(ws)
}

// repCalColumn reads a column of the replicates' sums from a sums table.
func repCalColumn(sums arrow.RecordBatch, name string) ([]float64, error) {
	i := sums.Schema().FieldIndices(name)
	if len(i) == 0 {
		return nil, fmt.Errorf("%w: missing column %q: the table was not made for the replicates of a calibration", ErrSums, name)
	}
	v, _, err := arrowio.Float64s(sums.Column(i[0]))
	return v, err
}

// withFloatColumn returns rec with the float64 column name of values v
// added (the caller releases it).
func withFloatColumn(rec arrow.RecordBatch, name string, v []float64) arrow.RecordBatch {
	b := array.NewFloat64Builder(memory.DefaultAllocator)
	b.AppendValues(v, nil)
	a := b.NewArray()
	b.Release()
	defer a.Release()
	fields := append(append([]arrow.Field(nil), rec.Schema().Fields()...), arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float64})
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), append(append([]arrow.Array(nil), rec.Columns()...), a), rec.NumRows())
}
