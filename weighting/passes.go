package weighting

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"gonum.org/v1/gonum/mat"
)

// Scan reads a table once, batch by batch, in the same row order at every
// call, with at least the named columns; fn gets each batch and the number
// of rows before it, and its error stops the pass.
type Scan func(ctx context.Context, columns []string, fn func(rec arrow.RecordBatch, first int64) error) error

// ScanRecord is a Scan over the rows of rec, in batches of size rows (all
// its columns).
func ScanRecord(rec arrow.RecordBatch, size int) Scan {
	return func(ctx context.Context, _ []string, fn func(arrow.RecordBatch, int64) error) error {
		n := rec.NumRows()
		for i := int64(0); i < n; i += int64(size) {
			if err := ctx.Err(); err != nil {
				return err
			}
			b := rec.NewSlice(i, min(n, i+int64(size)))
			err := fn(b, i)
			b.Release()
			if err != nil {
				return err
			}
		}
		return nil
	}
}

// StreamSupport says whether SolveStream can solve spec by passes over the
// rows (nil) or why not: it solves one calibration step (margins, numeric
// variables, bounds, per-row bounds, a working-model variance, cluster
// aggregates, trimming of g), optionally preceded by steps whose factors
// are functions of the rows' classes (nonresponse, post-stratification,
// raking, calibration to category margins, trimming: CellKeysOf accepts
// them; then without cluster aggregates) and optionally followed by
// trimming steps and steps whose factors are functions of the rows'
// classes (nonresponse, post-stratification, raking, calibration to
// category margins without bounds on the final weights), in any order.
// The linearized variance composes the residuals of the earlier steps, of
// the calibration and of the later steps in step order, as
// Result.AdjustInfluence does.
func StreamSupport(spec *Spec) error {
	k := calibrationStep(spec)
	if k < 0 {
		return errors.New("passes over the rows solve a weighting with a calibration step; other steps lists are solved in memory")
	}
	if err := laterSupport(spec.Steps[k+1:], k+1); err != nil {
		return err
	}
	if k == 0 {
		return nil
	}
	pre := *spec
	pre.Steps = spec.Steps[:k]
	if _, err := CellKeysOf(&pre); err != nil {
		return fmt.Errorf("passes over the rows solve a calibration after steps whose factors are functions of the rows' classes: %w", err)
	}
	return nil
}

// calibrationStep is the index of the calibration step that passes solve
// row by row: spec's first calibration step that needs every row, else
// its last calibration step (−1: none).
func calibrationStep(spec *Spec) int {
	k := -1
	for i, st := range spec.Steps {
		if st.Calibrate == nil {
			continue
		}
		if _, err := CellKeysOf(&Spec{Steps: []Step{st}}); err != nil {
			return i
		}
		k = i
	}
	return k
}

// Streamed is a weighting solved by passes over the rows (SolveStream):
// the parameters of its calibration, from which any row's final weight
// follows from the row's own values.
type Streamed struct {
	// Result holds the diagnostics of the run: Initial and Final, and one
	// StepResult per step: the earlier steps' from RunCells (counting
	// cells), the calibration's with its Kind, Before, After, Iterations
	// and History (no Cells, ByClass nor Variance record: those need the
	// rows), a trimming step's.
	Result *Result
	// Passes is the number of passes over the rows SolveStream made.
	Passes int

	c    *CalibrateStep
	dw   string
	cols []string
	pre  *preCells // the steps before the calibration, or nil
	// the steps before the calibration (nil: none), and whether any of
	// them has a residual in the linearized variance
	earlier *Spec
	preVar  bool
	step    int // the calibration's index in the steps
	ms      []streamMargin
	num     []string
	p       int
	method  CalMethod
	closed  bool
	eta     []float64 // λ (closed form) or η (Newton)
	scale   float64
	trimIn  float64 // with c.Trim: the trimmed weight per unit weight inside, added to g
	trim    bool    // some g was trimmed
	proj    *gregSolve
	sigma2  bool        // the residuals divide by σ² (unbounded linear only)
	later   []laterStep // the steps after the calibration
	xp      int         // extra terms per row of the later steps' residuals
	xoff    int         // the first of them among a chain's (chainLayout)
	// a calibration solved by passes after this one's later steps (nil:
	// none), from the weights they leave, and the one before (nil: none);
	// the first calibration holds the layout of their terms (chain)
	next, prev *Streamed
	calChain   *chainLayout
	// cluster aggregates: the clusters' codes by label, names, rows, Σ w,
	// Σ σ² and the sums of the model matrix's columns in first-seen order
	clus   map[string]int32
	cnames []string
	cn, cw []float64
	csig   []float64
	cx     [][]aggEnt
}

// aggEnt is a column of a cluster's row of the model matrix and its sum.
type aggEnt struct {
	col int32
	sum float64
}

type streamMargin struct {
	by     []string
	col    map[string]int32 // label → model matrix column (−1: none)
	cls    map[string]int32 // label → class of the margin
	margin Margin
}

// calRows are the values of a batch's rows that the calibration reads.
type calRows struct {
	n     int
	first int64     // rows before the batch
	w     []float64 // start weights: the design weights times the earlier steps' factors
	wd    []float64 // design weights
	xw    []float64 // the weights of the calibration equations: w, or its cluster means
	clu   []int32   // the clusters (aggregates)
	cls   [][]int32 // per margin: the class of each row
	x     *csr      // model matrix rows
	L, U  []float64
	sig   []float64 // nil: 1
}

// SolveStream solves the weighting spec (StreamSupport must accept it) by
// passes over the rows that scan reads, each reading only the columns
// the steps name: with earlier steps (nonresponse, post-stratification,
// raking, category calibration, trimming), one for their cells
// (RunCells), from whose factors every later pass starts; one for the
// classes, the weighted totals and the checks;
// then one for the closed-form linear calibration, or one per Newton
// iteration (and per halved step) of the other calibrations; one more for
// trimming g; one for the final weights' checks and the cross-products
// that the linearized variance needs. It reproduces Calibrate on the whole
// table (the same start, steps, halving, convergence test, rescaling and
// bounds; each sum adds the rows in their order), so a row's weight
// (Rows) equals Apply's up to rounding. Errors are those of Apply.
func SolveStream(ctx context.Context, spec *Spec, scan Scan) (*Streamed, error) {
	if err := StreamSupport(spec); err != nil {
		panic("weighting: SolveStream: " + err.Error())
	}
	return solveStream(ctx, spec, calibrationStep(spec), scan, nil)
}

// solveStream solves the calibration at step k of spec and the steps
// after it up to the next calibration that passes solve row by row
// (segmentEnd), which it solves in turn (Streamed.next); with prev, the
// calibration starts from the weights that prev's steps leave.
func solveStream(ctx context.Context, spec *Spec, k int, scan Scan, prev *Streamed) (*Streamed, error) {
	c := spec.Steps[k].Calibrate
	s := &Streamed{c: c, dw: spec.DesignWeight, scale: 1, step: k, prev: prev}
	end := segmentEnd(spec, k)
	if prev != nil {
		s.cols = append(s.cols, prev.cols...)
	}
	path := fmt.Sprintf("steps[%d].calibrate", k)
	add := func(names ...string) {
		for _, n := range names {
			if n != "" && !slices.Contains(s.cols, n) {
				s.cols = append(s.cols, n)
			}
		}
	}
	add(s.dw)
	for _, m := range c.Margins {
		add(m.By...)
		s.ms = append(s.ms, streamMargin{by: m.By, cls: map[string]int32{}})
	}
	for k := range c.Numeric {
		s.num = append(s.num, k)
	}
	sort.Strings(s.num)
	add(s.num...)
	if c.BoundsColumns != nil {
		add(c.BoundsColumns[0], c.BoundsColumns[1])
	}
	add(c.Variance, c.Aggregate)
	for j := k + 1; j < end; j++ {
		ls := laterStep{spec: &Spec{DesignWeight: spec.DesignWeight, Steps: []Step{spec.Steps[j]}}, step: j}
		if spec.Steps[j].Trim == nil {
			keys, err := CellKeysOf(ls.spec)
			if err != nil {
				return nil, err
			}
			add(keys.Columns...)
		}
		s.later = append(s.later, ls)
	}
	var preRes *Result
	if k > 0 && prev == nil {
		pre := *spec
		pre.Steps = spec.Steps[:k]
		keys, err := CellKeysOf(&pre)
		if err != nil {
			return nil, err
		}
		add(keys.Columns...)
		s.Passes++
		byWeight := (keys.DesignWeight || keys.Unweighted) && s.dw != ""
		if s.pre, preRes, err = solveCells(ctx, &pre, keys.Columns, byWeight, scan, s.cols, s.designWeights, false); err != nil {
			return nil, err
		}
		s.earlier, s.preVar = &pre, residualSteps(&pre)
	}
	switch c.Method {
	case "raking":
		s.method = RakingRatio
	case "logit":
		s.method = Logit
	}
	bounded := c.Bounds != nil || c.BoundsColumns != nil
	if s.method == Logit && !bounded {
		panic("weighting: Calibrate: logit calibration needs finite bounds L < 1 < U")
	}
	s.closed = s.method == Linear && !bounded
	s.sigma2 = s.closed && c.Variance != ""
	pass := func(fn func(r *calRows) error) error {
		s.Passes++
		return scan(ctx, s.cols, func(rec arrow.RecordBatch, first int64) error {
			r, err := s.read(rec, first)
			if err != nil {
				return at(err, path)
			}
			if s.cx != nil {
				s.aggregate(r)
			}
			return fn(r)
		})
	}
	// ---- pass 1: classes, totals, checks ------------------------------------
	type acc struct {
		sum    float64
		n      int
		values []string
	}
	seen := make([]map[string]*acc, len(s.ms))
	var typs [][]arrow.DataType
	for j := range seen {
		seen[j] = map[string]*acc{}
	}
	numSample := make([]float64, len(s.num))
	init := newDescriber()
	type cacc struct {
		n, w  float64
		value string
	}
	var clus map[string]*cacc
	var ctyp arrow.DataType
	if c.Aggregate != "" {
		clus = map[string]*cacc{}
	}
	s.Passes++
	err := scan(ctx, s.cols, func(rec arrow.RecordBatch, first int64) error {
		w, _, err := s.startWeights(rec, first)
		if err != nil {
			return err
		}
		for i := range w {
			init.add(w[i])
		}
		if typs == nil {
			for _, m := range s.ms {
				var t []arrow.DataType
				for _, b := range m.by {
					if a := column(rec, b); a != nil {
						t = append(t, a.DataType())
					}
				}
				typs = append(typs, t)
			}
		}
		for j, m := range s.ms {
			cl, err := ClassesOf(rec, m.by)
			if err != nil {
				return at(rowsFrom(err, first), fmt.Sprintf("%s.margins[%d]", path, j))
			}
			for i, k := range cl.Index {
				a := seen[j][cl.Labels[k]]
				if a == nil {
					a = &acc{values: cl.Values[k]}
					seen[j][cl.Labels[k]] = a
				}
				if w[i] != 0 {
					a.sum += w[i]
					a.n++
				}
			}
		}
		for k, name := range s.num {
			v, err := numericColumn(rec, name)
			if err != nil {
				return at(err, path+".numeric")
			}
			for i, x := range v {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return at(&StepError{Margin: name, Err: ErrBadData, Msg: fmt.Sprintf("row %d is %v; calibration variables must be finite", int(first)+i+1, x)}, path)
				}
				if w[i] != 0 {
					numSample[k] += w[i] * x
				}
			}
		}
		if clus != nil {
			cl, err := ClassesOf(rec, []string{c.Aggregate})
			if err != nil {
				return at(rowsFrom(err, first), path+".aggregate")
			}
			ctyp = column(rec, c.Aggregate).DataType()
			for i, k := range cl.Index {
				a := clus[cl.Labels[k]]
				if a == nil {
					a = &cacc{value: cl.Labels[k]}
					clus[cl.Labels[k]] = a
				}
				a.n++
				a.w += w[i]
			}
		}
		_, _, _, err = s.bounds(rec, first, w)
		return at(err, path)
	})
	if err != nil {
		return nil, err
	}
	// the classes in ClassesOf's order, the margins and the model matrix
	var names []string
	var pop, sampleTotal []float64
	margins := make([]Margin, len(s.ms))
	counts := make([][]int, len(s.ms))
	before := make([][]float64, len(s.ms))
	for j := range s.ms {
		m := &s.ms[j]
		labels := make([]string, 0, len(seen[j]))
		for l := range seen[j] {
			labels = append(labels, l)
		}
		slices.SortFunc(labels, func(a, b string) int {
			va, vb := seen[j][a].values, seen[j][b].values
			for q := range va {
				if c := compareValue(va[q], vb[q], typs[j][q]); c != 0 {
					return c
				}
			}
			return 0
		})
		cl := Classes{Name: strings.Join(m.by, "*"), Labels: labels}
		m.margin = NewMargin(cl, c.Margins[j].Totals)
		margins[j] = m.margin
		k := len(m.margin.Labels)
		before[j], counts[j] = make([]float64, k), make([]int, k)
		for q, l := range labels {
			m.cls[l] = int32(q)
			before[j][q], counts[j][q] = seen[j][l].sum, seen[j][l].n
		}
		if err := m.margin.checkSums(before[j], counts[j]); err != nil {
			return nil, at(err, path)
		}
	}
	if err := checkAgree(margins); err != nil {
		return nil, at(err, path)
	}
	for j, m := range margins {
		s.ms[j].col = map[string]int32{}
		first := true
		for k, l := range m.Labels {
			s.ms[j].col[l] = -1
			if counts[j][k] == 0 {
				continue
			}
			if first && j > 0 {
				first = false
				continue
			}
			first = false
			s.ms[j].col[l] = int32(len(names))
			names = append(names, m.Name+"="+l)
			pop = append(pop, m.Totals[k])
			sampleTotal = append(sampleTotal, before[j][k])
		}
	}
	var numeric []NumericTotal
	for k, name := range s.num {
		names = append(names, name)
		pop = append(pop, c.Numeric[name])
		sampleTotal = append(sampleTotal, numSample[k])
		numeric = append(numeric, NumericTotal{Name: name, Total: c.Numeric[name]})
	}
	s.p = len(names)
	p := s.p
	if clus != nil {
		// the clusters in ClassesOf's order, and the sums of their rows
		for l := range clus {
			s.cnames = append(s.cnames, l)
		}
		slices.SortFunc(s.cnames, func(a, b string) int { return compareValue(a, b, ctyp) })
		s.clus = map[string]int32{}
		for k, l := range s.cnames {
			s.clus[l] = int32(k)
			s.cn = append(s.cn, clus[l].n)
			s.cw = append(s.cw, clus[l].w)
		}
		cx := make([][]aggEnt, len(s.cnames))
		s.csig = make([]float64, len(s.cnames))
		if err := pass(func(r *calRows) error {
			for i, cl := range r.clu {
			entries:
				for q := r.x.ptr[i]; q < r.x.ptr[i+1]; q++ {
					k := r.x.col[q]
					for e := range cx[cl] {
						if cx[cl][e].col == k {
							cx[cl][e].sum += r.x.val[q]
							continue entries
						}
					}
					cx[cl] = append(cx[cl], aggEnt{k, r.x.val[q]})
				}
				if r.sig != nil {
					s.csig[cl] += r.sig[i]
				}
			}
			return nil
		}); err != nil {
			return nil, err
		}
		s.cx = cx
		// the calibration equations' sample totals Σ_i xw_i x̄_i
		clear(sampleTotal)
		for cl, ents := range cx {
			xw := s.cw[cl] / s.cn[cl]
			for range int(s.cn[cl]) {
				for _, e := range ents {
					sampleTotal[e.col] += xw * (e.sum / s.cn[cl])
				}
			}
		}
		copy(numSample, sampleTotal[p-len(numeric):])
	}
	res := &StepResult{Kind: "calibrate", Before: init.finish()}
	s.Result = &Result{Initial: res.Before}
	if preRes != nil {
		s.Result.Initial = s.pre.initial
		s.Result.Steps = preRes.Steps
	}
	// ---- the calibration ----------------------------------------------------
	if s.closed {
		td := make([]float64, p*p)
		if err := pass(func(r *calRows) error {
			for i, wi := range r.xw {
				if wi == 0 {
					continue
				}
				if r.sig != nil {
					wi /= r.sig[i]
				}
				r.x.addOuter(td, p, i, wi)
			}
			return nil
		}); err != nil {
			return nil, err
		}
		if s.eta, err = gregLambda(td, p, names, pop, sampleTotal); err != nil {
			return nil, at(err, path)
		}
	} else {
		s.scale = rScale(init.s, margins, counts, before, numeric, numSample, pop[len(pop)-len(numeric):])
		st := sampleTotal
		if s.scale != 1 {
			st = make([]float64, p)
			for k := range st {
				st[k] = sampleTotal[k] * s.scale
			}
		}
		if err := s.newton(pass, margins, numeric, names, pop, st, res); err != nil {
			return nil, at(err, path)
		}
	}
	// ---- calibrate(trim =): one pass for the trimmed weight ----------------
	if c.Trim != nil {
		lo, hi := c.Trim[0], c.Trim[1]
		var trimmed, win float64
		any := false
		if err := pass(func(r *calRows) error {
			g := s.g(r, nil)
			for i, gi := range g {
				if gi < lo || gi > hi {
					any = true
					trimmed += (gi - math.Max(lo, math.Min(gi, hi))) * r.w[i]
				} else {
					win += r.w[i]
				}
			}
			return nil
		}); err != nil {
			return nil, err
		}
		if any {
			s.trim, s.trimIn = true, trimmed/win
		}
	}
	// ---- the final weights: checks, diagnostics, the variance's X'W0Σ⁻¹X ----
	fin := newDescriber()
	td := make([]float64, p*p)
	var bad int
	gmin, imin := math.Inf(1), int64(0)
	nc := &negClusters{bad: map[int32]bool{}, cmin: -1, gmin: math.Inf(1)}
	if err := pass(func(r *calRows) error {
		first := r.first
		g := s.g(r, nil)
		for i, wi := range r.w {
			out := wi * g[i]
			if wi != 0 && !(out > 0) {
				bad++
				if g[i] < gmin {
					gmin, imin = g[i], first+int64(i)
				}
				if r.clu != nil {
					nc.add(r.clu[i], g[i])
				}
			}
			fin.add(out)
			if xw := r.xw[i]; xw != 0 && g[i] != 0 {
				s2 := 1.0
				if s.sigma2 {
					s2 = r.sig[i]
				}
				r.x.addOuter(td, p, i, xw/s2)
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if bad > 0 && c.Aggregate != "" {
		return nil, at(nc.err(s.method, func(k int32) string { return strconv.Quote(s.cnames[k]) }), path)
	}
	if bad > 0 {
		return nil, at(&StepError{Err: ErrNegativeWeight,
			Msg: fmt.Sprintf("%s calibration made %d weight(s) negative or zero (smallest g = %.4g at row %d); give bounds, e.g. \"bounds\": [0.3, 3], or use method raking or logit", s.method, bad, gmin, imin+1)}, path)
	}
	s.proj = newGregSolve(td, p)
	res.After = fin.finish()
	s.Result.Steps = append(s.Result.Steps, *res)
	s.Result.Final = res.After
	if len(s.later) > 0 {
		if err := s.solveLater(ctx, scan, res.After); err != nil {
			return nil, err
		}
		s.layout()
	}
	if end < len(spec.Steps) {
		if err := s.solveNext(ctx, spec, end, scan); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// newton is grake over passes: each evaluation of η is one pass that
// finds whether g and F' are finite, the misfit and Σ ww F' x x'/σ².
func (s *Streamed) newton(pass func(func(*calRows) error) error, margins []Margin, numeric []NumericTotal, names []string, pop, st []float64, res *StepResult) error {
	p := s.p
	cs := CalSettings{Method: s.method, Bounds: s.c.Bounds, MaxIter: s.c.MaxIter, Epsilon: s.c.Epsilon}
	if cs.MaxIter <= 0 {
		cs.MaxIter = 50
	}
	if cs.Epsilon <= 0 {
		cs.Epsilon = 1e-10
	}
	s.eta = make([]float64, p)
	misfit := make([]float64, p)
	T := mat.NewDense(p, p, nil)
	if s.c.BoundsColumns != nil {
		cs.Lower = []float64{} // per-row bounds (the hint of an error)
	}
	var feas *feasSums
	if (s.c.Bounds != nil || s.c.BoundsColumns != nil) && s.c.Aggregate == "" {
		feas = newFeasSums(margins, len(numeric))
	}
	eval := func() (bool, error) {
		ok := true
		copy(misfit, pop)
		for k := range misfit {
			misfit[k] -= st[k]
		}
		T.Zero()
		td := T.RawMatrix().Data
		xs := make([]float64, len(numeric))
		err := pass(func(r *calRows) error {
			fm1, df := make([]float64, r.n), make([]float64, r.n)
			for i := 0; i < r.n; i++ {
				u := r.x.dot(i, s.eta)
				if r.sig != nil {
					u /= r.sig[i]
				}
				fm1[i], df[i] = calfun(s.method, u, r.L[i], r.U[i])
				if math.IsNaN(fm1[i]) || math.IsInf(fm1[i], 0) || math.IsNaN(df[i]) || math.IsInf(df[i], 0) {
					ok = false
				}
			}
			cls := make([]int32, len(r.cls))
			for i, w := range r.xw {
				wi := w * s.scale
				if s.scale == 1 {
					wi = w
				}
				if feas != nil {
					for j := range cls {
						cls[j] = r.cls[j][i]
					}
					for k := range xs {
						xs[k] = 0
						for q := r.x.ptr[i]; q < r.x.ptr[i+1]; q++ {
							if int(r.x.col[q]) == p-len(numeric)+k {
								xs[k] = r.x.val[q]
							}
						}
					}
					feas.add(wi, cls, xs, r.L[i], r.U[i])
				}
				if wi == 0 {
					continue
				}
				c := wi * fm1[i]
				for q := r.x.ptr[i]; q < r.x.ptr[i+1]; q++ {
					misfit[r.x.col[q]] -= c * r.x.val[q]
				}
				if df[i] == 0 {
					continue
				}
				c = wi * df[i]
				if r.sig != nil {
					c /= r.sig[i]
				}
				r.x.addOuter(td, p, i, c)
			}
			return nil
		})
		if feas != nil && err == nil {
			f := feas
			feas = nil // the first pass only
			if err := f.check(margins, numeric, s.method == Logit); err != nil {
				return false, err
			}
		}
		return ok, err
	}
	return newton(eval, s.eta, misfit, T, pop, names, cs, res)
}

// g returns the calibration's g of the rows of r (into out when it has
// room).
func (s *Streamed) g(r *calRows, out []float64) []float64 {
	if cap(out) < r.n {
		out = make([]float64, r.n)
	}
	out = out[:r.n]
	for i := range out {
		u := r.x.dot(i, s.eta)
		if r.sig != nil {
			u /= r.sig[i]
		}
		if s.closed {
			out[i] = 1 + u
		} else {
			fm1, _ := calfun(s.method, u, r.L[i], r.U[i])
			out[i] = 1 + fm1
			if s.scale != 1 {
				out[i] *= s.scale
			}
		}
		if s.c.Trim != nil && s.trim {
			lo, hi := s.c.Trim[0], s.c.Trim[1]
			if gi := out[i]; gi < lo || gi > hi {
				out[i] = math.Max(lo, math.Min(gi, hi))
			} else {
				out[i] += s.trimIn
			}
		}
	}
	return out
}

// Columns are the columns of the rows that Rows reads.
func (s *Streamed) Columns() []string {
	last := s
	for last.next != nil {
		last = last.next
	}
	return append([]string(nil), last.cols...)
}

// P is the number of calibration variables (the columns of the model
// matrix: margin categories and numeric variables).
func (s *Streamed) P() int {
	if s.calChain != nil {
		return s.calChain.p
	}
	return s.p
}

// Rows returns the final weights w of the rows of rec (whose first row is
// row first+1 of the input), and what the linearized variance of an
// estimator under those weights needs, per row i and calibration variable
// k (row-major, P values a row): b[i*P+k] = g_i w0_i x_ik, and
// t[i*P+k] = w_i x_ik / (g_i σ²_i) (0 where g_i = 0), with g_i the
// calibration's factor, w0_i the weight of its equations (the design
// weight, or its cluster mean, times the earlier steps' factor), x_i the
// row of its model matrix and w_i the final weight (after any trimming,
// which the residuals treat as fixed). An influence vector
// z over the rows becomes its calibration residual (as
// Result.AdjustInfluence) z_i − Σ_k b[i*P+k] c_k with
// c = Coefficients(Σ_i z_i t[i*P+·]/w_i); with earlier steps that have
// residuals of their own (EarlierResiduals), see Terms.
func (s *Streamed) Rows(rec arrow.RecordBatch, first int64) (w, b, t []float64, err error) {
	rt, err := s.Terms(rec, first)
	if err != nil {
		return nil, nil, nil, err
	}
	return rt.W, rt.B, rt.T, nil
}

// RowTerms are the values of Rows of a batch's rows (W, B, T), and, when
// earlier steps have residuals, D and Q.
type RowTerms struct {
	W, B, T []float64
	// D are the rows' design weights d_i and Q[i*P+k] = d_i x_ik /
	// (g_i σ²_i) (0 where w0_i or g_i is 0): the earlier steps' residuals
	// subtract from row i a multiple d_i δ_c of its design weight,
	// constant within each cell c of their classes (CellColumns), which
	// lowers the calibration's right-hand side by Σ_c δ_c Σ_{i∈c} Q_i·.
	// An influence vector z then becomes
	// z_i − d_i δ_c(i) − Σ_k b[i*P+k] c_k with
	// c = Coefficients(Σ_i z_i t[i*P+·]/w_i − Σ_c δ_c Σ_{i∈c} Q_i·), δ_c
	// being (z_c − z'_c)/Σ_{i∈c} d_i for the cell sums z_c of z and z'_c
	// of their residuals on the earlier steps (RunCells's AdjustInfluence
	// of EarlierSpec on cells of those classes).
	D, Q []float64
	// XB and XT (LaterP values a row) are the terms of the residuals of
	// the steps after the calibration (nil: none has one): their cell
	// sums, and the cell sums of XT times the estimators' values, give
	// LaterCells.Adjust what it needs.
	XB, XT []float64
	// v[i*p+k] = x_ik/(g_i σ²_i) (0 where w0_i or g_i is 0) and e the
	// rows' residual vectors of the later steps with residuals, of one
	// calibration and its later steps (segTerms, with a second calibration)
	v []float64
	e [][]float64
}

// Terms is Rows, with the earlier steps' terms (RowTerms) when
// EarlierResiduals.
func (s *Streamed) Terms(rec arrow.RecordBatch, first int64) (*RowTerms, error) {
	if s.next != nil {
		return s.chainTerms(rec, first)
	}
	return s.segTerms(rec, first, nil)
}

// segTerms are the terms of the calibration of s and its later steps
// alone (W: the weights they leave), from the start weights w0 (nil:
// startWeights).
func (s *Streamed) segTerms(rec arrow.RecordBatch, first int64, w0 []float64) (*RowTerms, error) {
	r, err := s.readFrom(rec, first, w0)
	if err != nil {
		return nil, at(err, fmt.Sprintf("steps[%d].calibrate", s.step))
	}
	if s.cx != nil {
		s.aggregate(r)
	}
	p := s.p
	g := s.g(r, nil)
	rt := &RowTerms{W: make([]float64, r.n), B: make([]float64, r.n*p), T: make([]float64, r.n*p)}
	w, b, t := rt.W, rt.B, rt.T
	var v []float64
	if s.next != nil || s.prev != nil {
		rt.v = make([]float64, r.n*p)
		v = rt.v
	}
	var q []float64
	if s.preVar {
		rt.D, rt.Q = r.wd, make([]float64, r.n*p)
		q = rt.Q
	}
	for i, w0 := range r.w {
		w[i] = w0 * g[i]
	}
	var wc []float64
	if len(s.later) > 0 {
		wc = append([]float64(nil), w...)
		if _, err := s.chain(rec, first, w, len(s.later), false); err != nil {
			return nil, err
		}
	}
	for i := range r.w {
		xw := r.xw[i]
		if xw == 0 || g[i] == 0 {
			continue
		}
		inv := w[i] / g[i] // the final weight: the residuals treat trimming as fixed
		if s.sigma2 {
			inv /= r.sig[i]
		}
		var dq float64
		if q != nil {
			dq = r.wd[i] / g[i]
			if s.sigma2 {
				dq /= r.sig[i]
			}
		}
		var iv float64
		if v != nil {
			iv = 1 / g[i]
			if s.sigma2 {
				iv /= r.sig[i]
			}
		}
		for j := r.x.ptr[i]; j < r.x.ptr[i+1]; j++ {
			k, x := int(r.x.col[j]), r.x.val[j]
			b[i*p+k] = g[i] * xw * x
			t[i*p+k] = inv * x
			if q != nil {
				q[i*p+k] = dq * x
			}
			if v != nil {
				v[i*p+k] = iv * x
			}
		}
	}
	if s.xp > 0 {
		if err := s.laterTerms(rec, first, wc, r.wd, b, rt); err != nil {
			return nil, err
		}
	}
	return rt, nil
}

// EarlierSpec is the spec of the steps before the calibration (nil: none),
// which key the cells of CellColumns (and the design weight, when
// CellKeysOf says so).
func (s *Streamed) EarlierSpec() *Spec { return s.earlier }

// EarlierResiduals says whether steps before the calibration have
// residuals in the linearized variance (post-stratification, raking,
// calibration to category margins; nonresponse and trimming are fixed):
// Terms then gives D and Q.
func (s *Streamed) EarlierResiduals() bool { return s.preVar }

// Coefficients returns the coefficients c of the calibration residual
// (Rows) of an influence vector from its sums Σ_i z_i x_ik/(g_i σ²_i).
func (s *Streamed) Coefficients(rhs []float64) []float64 {
	m := mat.NewDense(s.p, 1, append([]float64(nil), rhs...))
	return s.proj.solve(m).RawMatrix().Data
}

// designWeights reads the design weights of rec (1 without a column);
// they must be positive and finite.
func (s *Streamed) designWeights(rec arrow.RecordBatch, first int64) ([]float64, error) {
	n := int(rec.NumRows())
	if s.dw == "" {
		w := make([]float64, n)
		for i := range w {
			w[i] = 1
		}
		return w, nil
	}
	w, err := numericColumn(rec, s.dw)
	if err != nil {
		return nil, at(rowsFrom(err, first), "design_weight")
	}
	for i, v := range w {
		if !(v > 0) || math.IsInf(v, 0) {
			return nil, &StepError{Path: "design_weight", Err: ErrBadData,
				Msg: fmt.Sprintf("design weight of row %d is %v; design weights must be positive and finite", int(first)+i+1, v)}
		}
	}
	return w, nil
}

// bounds reads the bounds [L_i, U_i] on g of rec's rows and the
// working-model variances (nil: none), checked as Calibrate does.
func (s *Streamed) bounds(rec arrow.RecordBatch, first int64, w []float64) (L, U, sig []float64, err error) {
	c := s.c
	n := len(w)
	switch {
	case c.BoundsColumns != nil:
		if L, err = numericColumn(rec, c.BoundsColumns[0]); err == nil {
			U, err = numericColumn(rec, c.BoundsColumns[1])
		}
		if err != nil {
			return nil, nil, nil, at(rowsFrom(err, first), "bounds_columns")
		}
	default:
		lo, hi := math.Inf(-1), math.Inf(1)
		if c.Bounds != nil {
			lo, hi = c.Bounds[0], c.Bounds[1]
		}
		L, U = make([]float64, n), make([]float64, n)
		for i := range L {
			L[i], U[i] = lo, hi
			if c.BoundsConst && w[i] > 0 {
				L[i] /= w[i]
				U[i] /= w[i]
			}
		}
	}
	row := func(i int) int { return int(first) + i + 1 }
	if s.method == Logit {
		for i := range L {
			if math.IsInf(L[i], 0) || math.IsInf(U[i], 0) || !(L[i] < 1 && 1 < U[i]) {
				return nil, nil, nil, &StepError{Err: ErrInfeasible, Msg: fmt.Sprintf("row %d: bounds [%v, %v] on final/initial weight: logit calibration needs finite bounds with lower < 1 < upper in every row", row(i), L[i], U[i])}
			}
		}
	}
	for i := range L {
		if !(L[i] <= U[i]) {
			return nil, nil, nil, &StepError{Err: ErrInfeasible, Msg: fmt.Sprintf("row %d: lower bound %v above upper bound %v", row(i), L[i], U[i])}
		}
	}
	if c.Variance != "" {
		if sig, err = numericColumn(rec, c.Variance); err != nil {
			return nil, nil, nil, at(rowsFrom(err, first), "variance")
		}
		for i, v := range sig {
			if !(v > 0) || math.IsInf(v, 0) {
				return nil, nil, nil, &StepError{Err: ErrBadData, Msg: fmt.Sprintf("row %d: working-model variance %v; it must be positive and finite", row(i), v)}
			}
		}
	}
	return L, U, sig, nil
}

// read reads the calibration's values of rec's rows (after the first pass
// has numbered the classes).
func (s *Streamed) read(rec arrow.RecordBatch, first int64) (*calRows, error) {
	return s.readFrom(rec, first, nil)
}

// readFrom is read with the start weights w of rec's rows given (nil:
// startWeights).
func (s *Streamed) readFrom(rec arrow.RecordBatch, first int64, w []float64) (*calRows, error) {
	var wd []float64
	var err error
	if w == nil {
		w, wd, err = s.startWeights(rec, first)
	} else {
		wd, err = s.designWeights(rec, first)
	}
	if err != nil {
		return nil, err
	}
	n := len(w)
	r := &calRows{n: n, w: w, wd: wd, xw: w, first: first}
	if s.clus != nil {
		cl, err := ClassesOf(rec, []string{s.c.Aggregate})
		if err != nil {
			return nil, at(rowsFrom(err, first), "aggregate")
		}
		bk := make([]int32, len(cl.Labels))
		for k, l := range cl.Labels {
			c, ok := s.clus[l]
			if !ok {
				return nil, &StepError{Margin: s.c.Aggregate, Cell: l, Err: ErrBadData, Msg: "the cluster is new since the first pass over the rows: the input changed while it was read"}
			}
			bk[k] = c
		}
		r.clu = make([]int32, n)
		for i, k := range cl.Index {
			r.clu[i] = bk[k]
		}
	}
	if r.L, r.U, r.sig, err = s.bounds(rec, first, w); err != nil {
		return nil, err
	}
	cols := make([][]int32, len(s.ms))
	r.cls = make([][]int32, len(s.ms))
	for j, m := range s.ms {
		cl, err := ClassesOf(rec, m.by)
		if err != nil {
			return nil, at(err, fmt.Sprintf("margins[%d]", j))
		}
		bc, bk := make([]int32, len(cl.Labels)), make([]int32, len(cl.Labels))
		for k, l := range cl.Labels {
			cc, ok := m.col[l]
			if !ok {
				return nil, &StepError{Margin: m.margin.Name, Cell: l, Err: ErrBadData, Msg: "the category is new since the first pass over the rows: the input changed while it was read"}
			}
			bc[k], bk[k] = cc, m.cls[l]
		}
		cols[j], r.cls[j] = make([]int32, n), make([]int32, n)
		for i, k := range cl.Index {
			cols[j][i], r.cls[j][i] = bc[k], bk[k]
		}
	}
	num := make([][]float64, len(s.num))
	for k, name := range s.num {
		if num[k], err = numericColumn(rec, name); err != nil {
			return nil, at(rowsFrom(err, first), "numeric")
		}
	}
	nnz := n * (len(cols) + len(num))
	x := &csr{ptr: make([]int32, n+1), col: make([]int32, 0, nnz), val: make([]float64, 0, nnz)}
	p0 := s.p - len(s.num)
	for i := 0; i < n; i++ {
		for j := range cols {
			if k := cols[j][i]; k >= 0 {
				x.col = append(x.col, k)
				x.val = append(x.val, 1)
			}
		}
		for k, v := range num {
			if xv := v[i]; xv != 0 {
				x.col = append(x.col, int32(p0+k))
				x.val = append(x.val, xv)
			}
		}
		x.ptr[i+1] = int32(len(x.col))
	}
	r.x = x
	return r, nil
}

// aggregate replaces the model matrix rows of r by their clusters' means,
// and the weights of the calibration equations by the clusters' mean
// weights (and, in closed form, the variances by their means: R averages
// them in regcalibrate only).
func (s *Streamed) aggregate(r *calRows) {
	x := &csr{ptr: make([]int32, r.n+1), col: make([]int32, 0, len(r.x.col)), val: make([]float64, 0, len(r.x.col))}
	r.xw = make([]float64, r.n)
	for i, c := range r.clu {
		cnt := s.cn[c]
		for _, e := range s.cx[c] {
			x.col = append(x.col, e.col)
			x.val = append(x.val, e.sum/cnt)
		}
		x.ptr[i+1] = int32(len(x.col))
		r.xw[i] = s.cw[c] / cnt
		if r.sig != nil && s.closed {
			r.sig[i] = s.csig[c] / cnt
		}
	}
	r.x = x
}

// rowsFrom adds first to the row number of a column error of a batch.
func rowsFrom(err error, first int64) error {
	var se *StepError
	if first == 0 || !errors.As(err, &se) {
		return err
	}
	const pre = " row "
	if i := strings.Index(se.Msg, pre); i >= 0 {
		rest := se.Msg[i+len(pre):]
		j := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
		if j < 0 {
			j = len(rest)
		}
		if v, e := strconv.Atoi(rest[:j]); e == nil {
			se.Msg = se.Msg[:i+len(pre)] + strconv.FormatInt(int64(v)+first, 10) + rest[j:]
		}
	}
	return err
}

// compareValue orders two class values as ClassesOf does: numbers
// numerically, text bytewise.
func compareValue(a, b string, t arrow.DataType) int {
	if d, ok := t.(*arrow.DictionaryType); ok {
		t = d.ValueType
	}
	if arrow.IsInteger(t.ID()) || arrow.IsFloating(t.ID()) {
		x, e1 := strconv.ParseFloat(a, 64)
		y, e2 := strconv.ParseFloat(b, 64)
		if e1 == nil && e2 == nil {
			return cmp.Compare(x, y)
		}
	}
	return strings.Compare(a, b)
}

// describer is Describe over weights added one at a time.
type describer struct {
	d     Diagnostics
	s, s2 float64
}

func newDescriber() *describer {
	return &describer{d: Diagnostics{Min: math.Inf(1), Max: math.Inf(-1)}}
}

func (d *describer) add(v float64) {
	if v == 0 {
		return
	}
	d.d.N++
	d.s += v
	d.s2 += v * v
	d.d.Min = math.Min(d.d.Min, v)
	d.d.Max = math.Max(d.d.Max, v)
}

func (d *describer) finish() Diagnostics { return finish(d.d, d.s, d.s2) }
