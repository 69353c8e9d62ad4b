package weighting

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"gonum.org/v1/gonum/mat"
)

// NewtonReplicatesStreamSupport says whether SolveReplicates can solve the
// replicates of the weighting spec (nil) or why not: spec must have a
// calibration step that StreamSupport accepts, followed by none or any of
// the steps that run on cells of their classes (nonresponse,
// post-stratification, raking, calibration to category margins), which
// every replicate re-runs on its own class totals.
func NewtonReplicatesStreamSupport(spec *Spec) error {
	if err := StreamSupport(spec); err != nil {
		return err
	}
	return laterRepSupport(spec, calibrationStep(spec))
}

// ReplicateUnits give the start weights of the replicates of a replicate
// design whose factors are constant within units (a PSU, or a PSU and a
// class of the steps before the calibration): replicate r's start weight
// of a row of unit u is Factor[r][u] times the row's full-sample start
// weight (its design weight times the earlier steps' factor).
type ReplicateUnits struct {
	R      int
	Factor [][]float64
	// Of returns the unit of every row of rec, whose first row is row
	// first+1 of the input; it reads Columns.
	Of      func(rec arrow.RecordBatch, first int64) ([]int32, error)
	Columns []string
	// MaxGroups is the most groups of rows alike (see SolveReplicates)
	// held in memory: 0 is 1<<20, a negative number none. A calibration
	// with cluster aggregates groups none.
	MaxGroups int
}

// DefaultMaxGroups is the number of groups of rows that SolveReplicates
// holds at most when ReplicateUnits.MaxGroups is 0 (some 200 bytes each
// with a few model-matrix columns).
const DefaultMaxGroups = 1 << 20

// maxGroupG is the most replicates × groups whose g SolveReplicates keeps
// for Weights (64 MB).
const maxGroupG = 1 << 23

// repRows are rows of a pass of SolveReplicates, or the groups of rows
// that every replicate treats alike: the same unit, model-matrix row,
// classes, bounds and variance, the sign of the start weight (and the
// start weight with bounds on the final weights); w is then the group's
// summed start weight.
type repRows struct {
	*calRows
	unit  []int32
	nrows []int32   // rows per group; nil: one
	w1    []float64 // a row's start weight; nil: w
	row   []int64   // the group's first row (from 1); nil: first+i+1
}

func (rr *repRows) count(i int) int {
	if rr.nrows == nil {
		return 1
	}
	return int(rr.nrows[i])
}

func (rr *repRows) rowWeight(i int) float64 {
	if rr.w1 == nil {
		return rr.w[i]
	}
	return rr.w1[i]
}

func (rr *repRows) rowNumber(i int) int64 {
	if rr.row == nil {
		return rr.first + int64(i) + 1
	}
	return rr.row[i]
}

// errGroupsFull stops the pass that groups the rows.
var errGroupsFull = errors.New("weighting: too many groups")

// groupRows returns the groups of the rows that scan reads, in the order of
// their first rows, each group's weight summed in row order, and the
// groups' numbers by key (groupKey); nil when there are more than max.
func (s *Streamed) groupRows(pass func(func(*repRows) error) error, max int) (*repRows, map[string]int32, error) {
	g := &repRows{calRows: &calRows{x: &csr{ptr: []int32{0}}, cls: make([][]int32, len(s.ms))}}
	ids := map[string]int32{}
	var key []byte
	var sig bool
	err := pass(func(rw *repRows) error {
		sig = rw.sig != nil
		for i, w0 := range rw.w {
			key = s.groupKey(key[:0], rw.calRows, rw.unit[i], i)
			if id, ok := ids[string(key)]; ok {
				g.w[id] += w0
				g.nrows[id]++
				continue
			}
			ids[string(key)] = int32(len(g.w))
			g.unit = append(g.unit, rw.unit[i])
			g.w, g.w1, g.nrows = append(g.w, w0), append(g.w1, w0), append(g.nrows, 1)
			g.row = append(g.row, rw.first+int64(i)+1)
			g.L, g.U = append(g.L, rw.L[i]), append(g.U, rw.U[i])
			if sig {
				g.sig = append(g.sig, rw.sig[i])
			}
			for j, c := range rw.cls {
				g.cls[j] = append(g.cls[j], c[i])
			}
			for q := rw.x.ptr[i]; q < rw.x.ptr[i+1]; q++ {
				g.x.col = append(g.x.col, rw.x.col[q])
				g.x.val = append(g.x.val, rw.x.val[q])
			}
			g.x.ptr = append(g.x.ptr, int32(len(g.x.col)))
		}
		if len(g.w) > max {
			return errGroupsFull
		}
		return nil
	})
	if err == errGroupsFull {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	g.calRows.n = len(g.w)
	return g, ids, nil
}

// groupKey appends the key of row i of rw (of unit u) to key: the rows of
// a key are treated alike by every replicate, up to their start weight.
func (s *Streamed) groupKey(key []byte, rw *calRows, u int32, i int) []byte {
	key = binary.LittleEndian.AppendUint32(key, uint32(u))
	switch w0 := rw.w[i]; {
	case w0 > 0:
		key = append(key, 1)
	case w0 < 0:
		key = append(key, 2)
	default:
		key = append(key, 0)
	}
	if s.c.BoundsConst && s.c.Bounds != nil {
		key = binary.LittleEndian.AppendUint64(key, math.Float64bits(rw.w[i]))
	}
	key = binary.LittleEndian.AppendUint64(key, math.Float64bits(rw.L[i]))
	key = binary.LittleEndian.AppendUint64(key, math.Float64bits(rw.U[i]))
	if rw.sig != nil {
		key = binary.LittleEndian.AppendUint64(key, math.Float64bits(rw.sig[i]))
	}
	for _, c := range rw.cls {
		key = binary.LittleEndian.AppendUint32(key, uint32(c[i]))
	}
	for q := rw.x.ptr[i]; q < rw.x.ptr[i+1]; q++ {
		key = binary.LittleEndian.AppendUint32(key, uint32(rw.x.col[q]))
		key = binary.LittleEndian.AppendUint64(key, math.Float64bits(rw.x.val[q]))
	}
	return key
}

// NewtonReplicates are the replicates of a calibration solved by passes
// over the rows (SolveReplicates).
type NewtonReplicates struct {
	// Passes is the number of passes over the rows SolveReplicates made.
	Passes int

	s     *Streamed
	u     *ReplicateUnits
	eta   [][]float64 // per replicate, η
	scale []float64
	errs  []error // per replicate, the error of its calibration (nil: solved)
	// with trimming of g: per replicate whether some g was trimmed and the
	// trimmed weight per unit weight inside, added to g
	trim   []bool
	trimIn []float64

	// with the rows grouped (groupRows): the groups' numbers by key and,
	// per replicate and group, g (after any trimming)
	ids map[string]int32
	gg  [][]float64

	// with steps after the calibration: per later step, replicate and
	// cell of the step, the replicate's factor (nil: the replicate
	// failed); and per replicate the error of its calibrated weights
	// found before the later steps ran (nil: none)
	lfac   [][][]float64
	failed []error
	// per later trimming step, per replicate, its trimming (nil: the
	// replicate failed); the passes that re-ran the later steps
	ltrim       [][]*streamTrim
	laterPasses int

	mu   sync.Mutex
	bad  []int          // per replicate, weights ≤ 0
	ncs  []*negClusters // with cluster aggregates: per replicate, the clusters of those weights
	gmin []float64
	imin []int64
}

// repState is one replicate's Newton iteration between passes.
type repState struct {
	eta, misfit, st []float64
	T               *mat.Dense
	scale           float64
	feas            *feasSums // the first evaluation only
	cw              []float64 // with cluster aggregates: the clusters' mean weights
	ok              bool
	err             error // of the pass, to hand to the iteration
}

// SolveReplicates solves every replicate's calibration of s by passes over
// the rows that scan reads: replicate r starts from the weights of u and
// runs the steps of Calibrate on them (the checks of the margins, R's
// rescaling, the feasibility of the bounds, Newton's iterations from η = 0
// with their halving and convergence test), so that every replicate takes
// the steps Plan.Replicate takes in memory. Rows of the same unit,
// model-matrix row, classes, bounds and variance (and start weight, with
// bounds on the final weights) contribute alike up to their start weight:
// one pass collects them into groups with summed weights and, if there
// are at most u.MaxGroups groups, every replicate's sums below run over
// the groups in memory, in no more passes (not with cluster aggregates,
// whose rows weigh their cluster's mean weight in each replicate).
// Otherwise one pass sums every replicate's margins (and, with cluster
// aggregates, its clusters' mean weights); then each pass evaluates every replicate still
// iterating (one pass per Newton iteration or halved step of the slowest);
// with trimming of g, one more pass trims every replicate's g. Steps after
// the calibration that run on cells of their classes (nonresponse,
// post-stratification, raking, calibration to category margins) are then
// re-run on every replicate, one pass per step summing each replicate's
// weights entering it per cell of the step (solveLater).
// The error is that of a pass (reading the rows); a replicate's own error
// is kept for Err. s must be the solution of a spec that
// NewtonReplicatesStreamSupport accepts.
func (s *Streamed) SolveReplicates(ctx context.Context, scan Scan, u *ReplicateUnits) (*NewtonReplicates, error) {
	R, p := u.R, s.p
	nr := &NewtonReplicates{s: s, u: u, eta: make([][]float64, R), scale: make([]float64, R), errs: make([]error, R),
		bad: make([]int, R), gmin: make([]float64, R), imin: make([]int64, R)}
	for r := range nr.gmin {
		nr.gmin[r] = math.Inf(1)
	}
	path := fmt.Sprintf("steps[%d].calibrate", s.step)
	cols := append([]string(nil), s.cols...)
	for _, c := range u.Columns {
		if !slices.Contains(cols, c) {
			cols = append(cols, c)
		}
	}
	var groups *repRows
	pass := func(fn func(r *repRows) error) error {
		if groups != nil {
			if err := ctx.Err(); err != nil {
				return err
			}
			return fn(groups)
		}
		nr.Passes++
		return scan(ctx, cols, func(rec arrow.RecordBatch, first int64) error {
			r, err := s.read(rec, first)
			if err != nil {
				return at(err, path)
			}
			if s.cx != nil {
				s.aggregate(r)
			}
			unit, err := u.Of(rec, first)
			if err != nil {
				return err
			}
			return fn(&repRows{calRows: r, unit: unit})
		})
	}
	// a calibration of cluster means weights a row by its cluster's mean
	// weight, which the groups do not carry: its rows are read every pass
	if max := u.MaxGroups; max >= 0 && s.cx == nil {
		if max == 0 {
			max = DefaultMaxGroups
		}
		var err error
		if groups, nr.ids, err = s.groupRows(pass, max); err != nil {
			return nil, err
		}
	}
	margins := make([]Margin, len(s.ms))
	for j, m := range s.ms {
		margins[j] = m.margin
	}
	names, pop := s.targets()
	numeric := make([]NumericTotal, len(s.num))
	for k, name := range s.num {
		numeric[k] = NumericTotal{Name: name, Total: s.c.Numeric[name]}
	}
	bconst := s.c.BoundsConst && s.c.Bounds != nil
	var lo, hi float64
	if bconst {
		lo, hi = s.c.Bounds[0], s.c.Bounds[1]
	}
	// the bounds of a replicate's row of start weight w
	bounds := func(r *calRows, i int, w float64) (float64, float64) {
		if !bconst {
			return r.L[i], r.U[i]
		}
		if w > 0 {
			return lo / w, hi / w
		}
		return lo, hi
	}
	// ---- every replicate's margins, sample totals and bounds ---------------
	before, counts := make([][][]float64, R), make([][][]int, R)
	sumW, sample := make([]float64, R), make([][]float64, R)
	cw := nr.clusterWeights(R) // with cluster aggregates: per replicate, Σ w per cluster
	for r := 0; r < R; r++ {
		for _, m := range margins {
			before[r] = append(before[r], make([]float64, len(m.Labels)))
			counts[r] = append(counts[r], make([]int, len(m.Labels)))
		}
		sample[r] = make([]float64, p)
	}
	err := pass(func(rw *repRows) error {
		for r := 0; r < R; r++ {
			if nr.errs[r] != nil {
				continue
			}
			fac := u.Factor[r]
			for i, w0 := range rw.w {
				f := fac[rw.unit[i]]
				w := f * w0
				sumW[r] += w
				if cw != nil {
					cw[r][rw.clu[i]] += w
				}
				if s.method == Logit && bconst {
					if L, U := bounds(rw.calRows, i, f*rw.rowWeight(i)); !(L < 1 && 1 < U) {
						nr.errs[r] = at(&StepError{Err: ErrInfeasible, Msg: fmt.Sprintf("row %d: bounds [%v, %v] on final/initial weight: logit calibration needs finite bounds with lower < 1 < upper in every row", rw.rowNumber(i), L, U)}, path)
						break
					}
				}
				if w == 0 {
					continue
				}
				n := rw.count(i)
				for j := range margins {
					c := rw.cls[j][i]
					before[r][j][c] += w
					counts[r][j][c] += n
				}
				if cw != nil {
					continue // the sample totals of the cluster means below
				}
				for q := rw.x.ptr[i]; q < rw.x.ptr[i+1]; q++ {
					sample[r][rw.x.col[q]] += w * rw.x.val[q]
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if cw != nil {
		nr.clusterSamples(cw, sample)
	}
	states := make([]*repState, R)
	for r := 0; r < R; r++ {
		if nr.errs[r] != nil {
			continue
		}
		for j, m := range margins {
			if err := m.checkSums(before[r][j], counts[r][j]); err != nil {
				nr.errs[r] = at(err, path)
				break
			}
		}
		if nr.errs[r] != nil {
			continue
		}
		st := &repState{eta: make([]float64, p), misfit: make([]float64, p), T: mat.NewDense(p, p, nil)}
		if cw != nil {
			st.cw = cw[r] // now the clusters' mean weights
		}
		st.scale = 1 // the closed form does not rescale
		if !s.closed {
			st.scale = rScale(sumW[r], margins, counts[r], before[r], numeric, sample[r][p-len(numeric):], pop[p-len(numeric):])
		}
		st.st = sample[r]
		if st.scale != 1 {
			for k := range st.st {
				st.st[k] *= st.scale
			}
		}
		if (s.c.Bounds != nil || s.c.BoundsColumns != nil) && s.c.Aggregate == "" {
			st.feas = newFeasSums(margins, len(numeric))
		}
		states[r] = st
		nr.scale[r] = st.scale
	}
	if s.closed {
		// the closed form in one pass; no Newton iterations follow
		if err := nr.solveClosed(pass, states, names, pop, path); err != nil {
			return nil, err
		}
		clear(states)
	}
	// ---- Newton's iterations, one goroutine per replicate; each
	// evaluation waits for the pass that evaluates every waiting replicate
	cs := CalSettings{Method: s.method, Bounds: s.c.Bounds, MaxIter: s.c.MaxIter, Epsilon: s.c.Epsilon}
	if cs.MaxIter <= 0 {
		cs.MaxIter = 50
	}
	if cs.Epsilon <= 0 {
		cs.Epsilon = 1e-10
	}
	if s.c.BoundsColumns != nil {
		cs.Lower = []float64{} // per-row bounds (the hint of an error)
	}
	type msg struct {
		r    int
		done bool
	}
	msgs := make(chan msg)
	replies := make([]chan struct{}, R)
	live := 0
	for r, st := range states {
		if st == nil {
			continue
		}
		live++
		replies[r] = make(chan struct{})
		go func() {
			eval := func() (bool, error) {
				msgs <- msg{r: r}
				<-replies[r]
				return st.ok, st.err
			}
			var res StepResult
			err := newton(eval, st.eta, st.misfit, st.T, pop, names, cs, &res)
			if err != nil && st.err == nil {
				nr.errs[r] = at(err, path)
			}
			msgs <- msg{r: r, done: true}
		}()
	}
	var perr error
	type scratchT struct {
		xs  []float64
		cls []int32
	}
	var scratch [2]scratchT
	for k := range scratch {
		scratch[k] = scratchT{make([]float64, len(numeric)), make([]int32, len(margins))}
	}
	// evalRows adds the rows of rw (units unit, the replicate's factors
	// fac) to the replicate's misfit and T (and feasibility sums)
	evalRows := func(rw *repRows, fac []float64, st *repState, sc scratchT) {
		td := st.T.RawMatrix().Data
		cls, xs := sc.cls, sc.xs
		for i, w0 := range rw.w {
			f := fac[rw.unit[i]]
			w := f * w0
			L, U := bounds(rw.calRows, i, f*rw.rowWeight(i))
			v := rw.x.dot(i, st.eta)
			if rw.sig != nil {
				v /= rw.sig[i]
			}
			fm1, df := calfun(s.method, v, L, U)
			if math.IsNaN(fm1) || math.IsInf(fm1, 0) || math.IsNaN(df) || math.IsInf(df, 0) {
				st.ok = false
			}
			wi := w
			if st.cw != nil {
				wi = st.cw[rw.clu[i]]
			}
			if st.scale != 1 {
				wi *= st.scale
			}
			if st.feas != nil {
				for j := range cls {
					cls[j] = rw.cls[j][i]
				}
				p0 := p - len(numeric)
				for k := range xs {
					xs[k] = 0
					for q := rw.x.ptr[i]; q < rw.x.ptr[i+1]; q++ {
						if int(rw.x.col[q]) == p0+k {
							xs[k] = rw.x.val[q]
						}
					}
				}
				st.feas.addN(wi, rw.count(i), cls, xs, L, U)
			}
			if wi == 0 {
				continue
			}
			c := wi * fm1
			for q := rw.x.ptr[i]; q < rw.x.ptr[i+1]; q++ {
				st.misfit[rw.x.col[q]] -= c * rw.x.val[q]
			}
			if df == 0 {
				continue
			}
			c = wi * df
			if rw.sig != nil {
				c /= rw.sig[i]
			}
			rw.x.addOuter(td, p, i, c)
		}
	}
	for live > 0 {
		var want []int
		for range live {
			m := <-msgs
			if m.done {
				live--
			} else {
				want = append(want, m.r)
			}
		}
		if len(want) == 0 {
			break
		}
		slices.Sort(want)
		for _, r := range want {
			st := states[r]
			st.ok = true
			copy(st.misfit, pop)
			for k := range st.misfit {
				st.misfit[k] -= st.st[k]
			}
			st.T.Zero()
		}
		if perr == nil {
			perr = pass(func(rw *repRows) error {
				// the replicates in two halves, one per core: each
				// replicate's sums still add the rows in order
				var wg sync.WaitGroup
				h := (len(want) + 1) / 2
				for k, part := range [][]int{want[:h], want[h:]} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for _, r := range part {
							evalRows(rw, u.Factor[r], states[r], scratch[k])
						}
					}()
				}
				wg.Wait()
				return nil
			})
		}
		for _, r := range want {
			st := states[r]
			st.err = perr
			if f := st.feas; f != nil && perr == nil {
				st.feas = nil
				if err := f.check(margins, numeric, s.method == Logit); err != nil {
					st.err = err
					nr.errs[r] = at(err, path)
				}
			}
			replies[r] <- struct{}{}
		}
	}
	if perr != nil {
		return nil, perr
	}
	for r, st := range states {
		if st != nil && nr.errs[r] == nil {
			nr.eta[r] = st.eta
		}
	}
	if s.c.Trim != nil {
		if err := nr.solveTrim(pass); err != nil {
			return nil, err
		}
	}
	if groups != nil && R*groups.n > maxGroupG {
		nr.ids = nil // Weights evaluates every row's g
	}
	if nr.ids != nil {
		// every group's g, which Weights gives the group's rows
		nr.gg = make([][]float64, R)
		for r := range nr.gg {
			if nr.eta[r] == nil {
				continue
			}
			gr := make([]float64, groups.n)
			for i := range gr {
				gr[i] = nr.trimmed(r, nr.g(groups.calRows, i, r, u.Factor[r][groups.unit[i]]*groups.w1[i]))
			}
			nr.gg[r] = gr
		}
	}
	if len(s.later) > 0 {
		if err := nr.solveLater(ctx, scan); err != nil {
			return nil, err
		}
	}
	return nr, nil
}

// solveTrim is Calibrate's trimming of g for every solved replicate, in
// one pass: g outside [lo, hi] is set to the bound, and the trimmed weight
// Σ (g − g') w is spread over the rows inside in proportion to w.
func (nr *NewtonReplicates) solveTrim(pass func(func(*repRows) error) error) error {
	s, u := nr.s, nr.u
	lo, hi := s.c.Trim[0], s.c.Trim[1]
	R := u.R
	trimmed, win := make([]float64, R), make([]float64, R)
	any := make([]bool, R)
	err := pass(func(rw *repRows) error {
		for r := 0; r < R; r++ {
			if nr.eta[r] == nil {
				continue
			}
			for i, w0 := range rw.w {
				f := u.Factor[r][rw.unit[i]]
				w := f * w0
				gi := nr.g(rw.calRows, i, r, f*rw.rowWeight(i))
				if gi < lo || gi > hi {
					any[r] = true
					trimmed[r] += (gi - math.Max(lo, math.Min(gi, hi))) * w
				} else {
					win[r] += w
				}
			}
		}
		return nil
	})
	nr.trimIn = make([]float64, R)
	nr.trim = any
	for r := range any {
		if any[r] {
			nr.trimIn[r] = trimmed[r] / win[r]
		}
	}
	return err
}

// g is replicate r's g of row i of rw, whose start weight in the replicate
// is w, before any trimming of g.
func (nr *NewtonReplicates) g(rw *calRows, i, r int, w float64) float64 {
	s := nr.s
	L, U := rw.L[i], rw.U[i]
	if s.c.BoundsConst && s.c.Bounds != nil {
		L, U = s.c.Bounds[0], s.c.Bounds[1]
		if w > 0 {
			L, U = L/w, U/w
		}
	}
	v := rw.x.dot(i, nr.eta[r])
	if rw.sig != nil {
		v /= rw.sig[i]
	}
	if s.closed {
		return 1 + v
	}
	fm1, _ := calfun(s.method, v, L, U)
	gi := 1 + fm1
	if nr.scale[r] != 1 {
		gi *= nr.scale[r]
	}
	return gi
}

// trimmed is replicate r's g after its trimming of g, if any.
func (nr *NewtonReplicates) trimmed(r int, gi float64) float64 {
	if nr.trim != nil && nr.trim[r] {
		if lo, hi := nr.s.c.Trim[0], nr.s.c.Trim[1]; gi < lo || gi > hi {
			return math.Max(lo, math.Min(gi, hi))
		}
		return gi + nr.trimIn[r]
	}
	return gi
}

// R is the number of replicates.
func (nr *NewtonReplicates) R() int { return nr.u.R }

// Columns are the columns that Weights reads.
func (nr *NewtonReplicates) Columns() []string {
	cols := nr.s.Columns()
	for _, c := range nr.u.Columns {
		if !slices.Contains(cols, c) {
			cols = append(cols, c)
		}
	}
	return cols
}

// Weights returns the final weights of the rows of rec (whose first row is
// row first+1 of the input) and, per replicate, their replicate weights
// (0 for a replicate whose calibration or later steps failed, and for a
// weight ≤ 0, which Err then reports). It may be called from several
// goroutines.
func (nr *NewtonReplicates) Weights(rec arrow.RecordBatch, first int64) (w []float64, reps [][]float64, err error) {
	s := nr.s
	r, reps, err := nr.calibratedReps(rec, first, true)
	if err != nil {
		return nil, nil, err
	}
	g := s.g(r, nil)
	w = make([]float64, r.n)
	for i, w0 := range r.w {
		w[i] = w0 * g[i]
	}
	if len(s.later) > 0 {
		if _, err := s.chain(rec, first, w, len(s.later), false); err != nil {
			return nil, nil, err
		}
		if err := nr.laterReps(rec, first, reps, len(s.later)); err != nil {
			return nil, nil, err
		}
	}
	return w, reps, nil
}

// calibratedReps returns the calibration's values of the rows of rec and,
// per replicate, their calibrated replicate weights (0 for a replicate
// whose calibration failed, and for a weight ≤ 0, which record adds to
// the replicate's count of such weights).
func (nr *NewtonReplicates) calibratedReps(rec arrow.RecordBatch, first int64, record bool) (*calRows, [][]float64, error) {
	s, u := nr.s, nr.u
	r, err := s.readAll(rec, first)
	if err != nil {
		return nil, nil, err
	}
	unit, err := u.Of(rec, first)
	if err != nil {
		return nil, nil, err
	}
	var gid []int32 // the rows' groups
	if nr.gg != nil {
		gid = make([]int32, r.n)
		var key []byte
		for i := range gid {
			key = s.groupKey(key[:0], r, unit[i], i)
			id, ok := nr.ids[string(key)]
			if !ok {
				return nil, nil, fmt.Errorf("weighting: row %d: a row unlike every row of the first pass: the input changed while it was read", r.first+int64(i)+1)
			}
			gid[i] = id
		}
	}
	reps := make([][]float64, u.R)
	bad := make([]int, u.R)
	gmin := make([]float64, u.R)
	imin := make([]int64, u.R)
	var ncs []*negClusters
	if r.clu != nil {
		ncs = make([]*negClusters, u.R)
		for q := range ncs {
			ncs[q] = newNegClusters()
		}
	}
	for q := range reps {
		out := make([]float64, r.n)
		reps[q] = out
		if nr.eta[q] == nil || (nr.failed != nil && nr.failed[q] != nil) {
			continue
		}
		gmin[q] = math.Inf(1)
		for i, w0 := range r.w {
			wr := u.Factor[q][unit[i]] * w0
			if wr == 0 {
				continue
			}
			var gi float64
			if gid != nil {
				gi = nr.gg[q][gid[i]]
			} else {
				gi = nr.trimmed(q, nr.g(r, i, q, wr))
			}
			if x := wr * gi; x > 0 {
				out[i] = x
			} else {
				bad[q]++
				if r.clu != nil {
					ncs[q].add(r.clu[i], gi)
				}
				if gi < gmin[q] || (gi == gmin[q] && r.first+int64(i) < imin[q]) {
					gmin[q], imin[q] = gi, r.first+int64(i)
				}
			}
		}
	}
	if !record {
		return r, reps, nil
	}
	nr.mu.Lock()
	for q, b := range bad {
		if b == 0 {
			continue
		}
		if nr.bad[q] == 0 || gmin[q] < nr.gmin[q] || (gmin[q] == nr.gmin[q] && imin[q] < nr.imin[q]) {
			nr.gmin[q], nr.imin[q] = gmin[q], imin[q]
		}
		nr.bad[q] += b
		if ncs != nil {
			nr.mergeClusters(q, ncs[q])
		}
	}
	nr.mu.Unlock()
	return r, reps, nil
}

// Err is the error of the first replicate (in replicate order) whose
// calibration failed or, after a pass of Weights over every row, made a
// weight negative or zero, as Plan.Replicate's; nil when every replicate
// is solved.
func (nr *NewtonReplicates) Err() error {
	R := nr.u.R
	for r := 0; r < R; r++ {
		if err := nr.errs[r]; err != nil {
			return fmt.Errorf("weighting: replicate %d of %d: %w", r+1, R, err)
		}
		if nr.failed != nil && nr.failed[r] != nil {
			return nr.failed[r]
		}
		if nr.bad[r] > 0 && nr.ncs != nil {
			return nr.clusterWeightError(r)
		}
		if nr.bad[r] > 0 {
			return nr.s.ReplicateWeightError(r, R, nr.bad[r], nr.gmin[r], nr.imin[r])
		}
	}
	return nil
}

// EarlierCells returns the cell of the steps before the calibration
// (CellColumns, and the design weight when CellKeysOf says so) of every
// row of rec, whose first row is row first+1 of the input, numbered as the
// solve numbered them; nil without such steps.
func (s *Streamed) EarlierCells(rec arrow.RecordBatch, first int64) ([]int32, error) {
	if s.pre == nil {
		return nil, nil
	}
	wd, err := s.designWeights(rec, first)
	if err != nil {
		return nil, err
	}
	cell, _, err := s.pre.cellsOf(rec, first, wd, false)
	return cell, err
}

// EarlierCellsByWeight says whether the cells of EarlierCells are keyed by
// the design weight too.
func (s *Streamed) EarlierCellsByWeight() bool { return s.pre != nil && s.pre.byWeight }
