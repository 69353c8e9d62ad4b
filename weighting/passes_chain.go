package weighting

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// laterSupport says whether the steps after a streamed calibration (the
// first at index k0 of the spec) can be solved by passes: trimming steps,
// steps whose factors are functions of the rows' classes (CellKeysOf
// accepts them alone), and further calibrations that need every row or
// bound the final weights (rowLevelAfter: each solved by passes of its
// own, from the weights the steps before it leave); after such a second
// calibration, no raking.
func laterSupport(rest []Step, k0 int) error {
	second := false
	for j, st := range rest {
		path := fmt.Sprintf("steps[%d].%s", k0+j, st.Kind())
		if rowLevelAfter(st) {
			second = true
			continue
		}
		if st.Trim != nil {
			continue
		}
		if _, err := CellKeysOf(&Spec{Steps: []Step{st}}); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if second && st.Rake != nil {
			return fmt.Errorf("%s: a raking after a second calibration that needs every row is solved in memory (its residual needs the class sums of z/ω less the corrections of both calibrations, which the cells do not carry)", path)
		}
	}
	return nil
}

// laterStep is a step after the calibration of a Streamed, solved by
// passes: a trimming step, or a step run on cells of its classes (cells)
// whose factor multiplies each row's entering weight.
type laterStep struct {
	spec  *Spec // the step alone
	step  int   // its index in the spec
	cells *preCells
	trim  *streamTrim
	// resid: the step has a residual in the linearized variance
	// (post-stratification, raking, calibration to category margins);
	// col is then its first column among the extra terms (RowTerms.XB)
	resid bool
	rake  bool
	col   int
}

// chain returns the weights entering each later step (in[j]) and the
// final weights of a batch's rows whose calibrated weights are w (changed
// in place into the final weights).
func (s *Streamed) chain(rec arrow.RecordBatch, first int64, w []float64, upto int, keep bool) ([][]float64, error) {
	var in [][]float64
	for j := range s.later[:upto] {
		ls := &s.later[j]
		if keep {
			in = append(in, append([]float64(nil), w...))
		}
		if ls.trim != nil {
			for i, v := range w {
				if v != 0 {
					w[i] = ls.trim.apply(v)
				}
			}
			continue
		}
		cell, _, err := ls.cells.cellsOf(rec, first, w, false)
		if err != nil {
			return nil, at(err, fmt.Sprintf("steps[%d].%s", ls.step, ls.spec.Steps[0].Kind()))
		}
		for i, c := range cell {
			w[i] *= ls.cells.factor[c]
		}
	}
	return in, nil
}

// solveLater solves the steps after the calibration in order, each from
// the weights its predecessors leave (pass yields each batch's rows with
// their calibrated weights w = w0 g).
func (s *Streamed) solveLater(ctx context.Context, scan Scan, calibrated Diagnostics) error {
	entering := func(r *calRows, rec arrow.RecordBatch, j int) ([]float64, error) {
		g := s.g(r, nil)
		w := make([]float64, r.n)
		for i, v := range r.w {
			w[i] = v * g[i]
		}
		_, err := s.chain(rec, r.first, w, j, false)
		return w, err
	}
	before := calibrated
	for j := range s.later {
		ls := &s.later[j]
		st := ls.spec.Steps[0]
		if st.Trim != nil {
			weights := func(fn func(float64)) error {
				return s.passRec(ctx, scan, func(r *calRows, rec arrow.RecordBatch) error {
					w, err := entering(r, rec, j)
					for _, v := range w {
						if v != 0 {
							fn(v)
						}
					}
					return err
				})
			}
			t, info, err := solveTrim(st.Trim, weights)
			if err != nil {
				return at(err, fmt.Sprintf("steps[%d].trim", ls.step))
			}
			ls.trim = t
			fin := newDescriber()
			if err := weights(func(v float64) { fin.add(t.apply(v)) }); err != nil {
				return err
			}
			tr := StepResult{Kind: "trim", Before: before, After: fin.finish(), Trim: info}
			s.Result.Steps = append(s.Result.Steps, tr)
			s.Result.Final, before = tr.After, tr.After
			continue
		}
		keys, err := CellKeysOf(ls.spec)
		if err != nil {
			return err
		}
		s.Passes++
		dw := func(rec arrow.RecordBatch, first int64) ([]float64, error) {
			r, err := s.readAll(rec, first)
			if err != nil {
				return nil, err
			}
			return entering(r, rec, j)
		}
		pc, res, err := solveCells(ctx, ls.spec, keys.Columns, false, scan, s.cols, dw, true)
		if err != nil {
			return renumber(err, ls.step)
		}
		ls.cells = pc
		sr := res.Steps[0]
		s.Result.Steps = append(s.Result.Steps, sr)
		// the final weights' diagnostics over the rows
		fin := newDescriber()
		if err := s.passRec(ctx, scan, func(r *calRows, rec arrow.RecordBatch) error {
			w, err := entering(r, rec, j+1)
			for _, v := range w {
				fin.add(v)
			}
			return err
		}); err != nil {
			return err
		}
		s.Result.Final = fin.finish()
		before = s.Result.Final
	}
	return nil
}

// renumber names step k in an error of a step solved alone (steps[0]).
func renumber(err error, k int) error {
	var se *StepError
	if errors.As(err, &se) && strings.HasPrefix(se.Path, "steps[0]") {
		se.Path = fmt.Sprintf("steps[%d]", k) + strings.TrimPrefix(se.Path, "steps[0]")
	}
	return err
}

// readAll reads the calibration's values of rec's rows, cluster means
// included.
func (s *Streamed) readAll(rec arrow.RecordBatch, first int64) (*calRows, error) {
	r, err := s.read(rec, first)
	if err != nil {
		return nil, at(err, fmt.Sprintf("steps[%d].calibrate", s.step))
	}
	if s.cx != nil {
		s.aggregate(r)
	}
	return r, nil
}

// passRec is one pass over the rows that gives fn the calibration's
// values and the batch.
func (s *Streamed) passRec(ctx context.Context, scan Scan, fn func(*calRows, arrow.RecordBatch) error) error {
	s.Passes++
	return scan(ctx, s.cols, func(rec arrow.RecordBatch, first int64) error {
		r, err := s.readAll(rec, first)
		if err != nil {
			return err
		}
		return fn(r, rec)
	})
}

// LaterP is the number of extra terms per row (RowTerms.XB, XT) that the
// residuals of the steps after the calibration need (0: none of them has
// a residual).
func (s *Streamed) LaterP() int {
	if s.calChain != nil {
		return s.calChain.x
	}
	return s.xp
}

// LaterSpec is the spec of the steps after the calibration that run on
// cells of their classes (nil: none), whose classes and respondent flags
// must key the cells of LaterCells.
func (s *Streamed) LaterSpec() *Spec {
	var steps []Step
	for sg := s; sg != nil; sg = sg.next {
		for _, ls := range sg.later {
			if ls.spec.Steps[0].Trim == nil {
				steps = append(steps, ls.spec.Steps[0])
			}
		}
	}
	if steps == nil {
		return nil
	}
	return &Spec{Steps: steps}
}

// layout numbers the extra terms of the later steps with residuals: per
// such step one column whose XB is the row's entering weight ω (and, for
// raking, XT = w/ω with w the final weight), then for raking the cross
// sums (XB only) of 1/ω times the design weight (with earlier residuals),
// times each calibration term b_k, and times the residual vector of each
// earlier later step (ω after post-stratification or category
// calibration, ω entering a raking).
func (s *Streamed) layout() {
	col, nres := 0, 0
	for j := range s.later {
		ls := &s.later[j]
		st := ls.spec.Steps[0]
		if st.PostStratify == nil && st.Rake == nil && st.Calibrate == nil {
			continue
		}
		ls.resid, ls.rake, ls.col = true, st.Rake != nil, col
		col++
		if ls.rake {
			if s.preVar {
				col++
			}
			col += s.p + nres
		}
		nres++
	}
	s.xp = col
}

// laterTerms fills the extra terms (RowTerms.XB, XT) of a batch's rows:
// wc are the calibrated weights, w the final ones, wd the design weights
// and b the calibration's terms (P a row).
func (s *Streamed) laterTerms(rec arrow.RecordBatch, first int64, wc, wd, b []float64, rt *RowTerms) error {
	n, X, p := len(wc), s.xp, s.p
	cur := append([]float64(nil), wc...)
	in, err := s.chain(rec, first, cur, len(s.later), true)
	if err != nil {
		return err
	}
	rt.XB, rt.XT = make([]float64, n*X), make([]float64, n*X)
	// the residual vectors of the later steps so far: e[q][i]
	var e [][]float64
	for j, ls := range s.later {
		if !ls.resid {
			continue
		}
		om := in[j]
		col := ls.col - s.xoff
		var out []float64
		if j+1 < len(in) {
			out = in[j+1]
		} else {
			out = rt.W
		}
		for i, v := range om {
			rt.XB[i*X+col] = v
			if !ls.rake || v == 0 {
				continue
			}
			rt.XT[i*X+col] = rt.W[i] / v
			k := col + 1
			if s.preVar {
				rt.XB[i*X+k] = wd[i] / v
				k++
			}
			for q := 0; q < p; q++ {
				rt.XB[i*X+k+q] = b[i*p+q] / v
			}
			k += p
			for q := range e {
				rt.XB[i*X+k+q] = e[q][i] / v
			}
		}
		if ls.rake {
			e = append(e, om)
		} else {
			e = append(e, out)
		}
	}
	rt.e = e
	return nil
}

// LaterCells are the residuals of the steps after a streamed calibration
// on cells of rows (Streamed.NewLaterCells).
type LaterCells struct {
	s     *Streamed
	steps []laterCells
	cnt   []float64
}

type laterCells struct {
	cal int // the calibration whose later step it is (0: the first)
	ls  *laterStep
	res *Result   // the step run on the cells' entering weights
	in  []float64 // Σ ω per cell
	e   []float64 // Σ of the residual vector per cell
	x   [][]float64
}

// NewLaterCells runs the steps after the calibration that have residuals
// on cells of rows: cells holds the classes and respondent flags of
// LaterSpec (each cell within one class of every step), counts the rows
// per cell and xb[k][c] the cell sums of the extra terms XB. Steps that
// are run again on the cells' totals reproduce the rows' factors up to
// rounding.
func (s *Streamed) NewLaterCells(cells arrow.RecordBatch, xb [][]float64, counts []float64) (*LaterCells, error) {
	l := &LaterCells{s: s, cnt: counts}
	for sg, m := s, 0; sg != nil; sg, m = sg.next, m+1 {
		if err := l.add(sg, m, cells, xb, counts); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// add adds the later steps with residuals of the calibration m (sg).
func (l *LaterCells) add(sg *Streamed, m int, cells arrow.RecordBatch, xb [][]float64, counts []float64) error {
	s := l.s
	for j := range sg.later {
		ls := &sg.later[j]
		if !ls.resid {
			continue
		}
		plan, err := CompileCells(ls.spec, cells, counts)
		if err != nil {
			return renumber(err, ls.step)
		}
		in := xb[ls.col]
		res, err := plan.Run(in)
		if err != nil {
			return renumber(err, ls.step)
		}
		lc := laterCells{ls: ls, res: res, in: in, e: res.Weights, cal: m}
		if ls.rake {
			lc.e = in
			n := 0
			if s.preVar {
				n++
			}
			n += s.p + len(l.steps)
			for k := 0; k < n; k++ {
				lc.x = append(lc.x, xb[ls.col+1+k])
			}
		}
		l.steps = append(l.steps, lc)
	}
	return nil
}

// Adjust replaces the cell sums z of an influence vector, already
// residualized on the earlier steps (delta[c]: cell c's correction per
// unit design weight, nil: none) and on the calibration (coefficients cf;
// RowTerms), by their residuals on the later steps in step order, as
// Result.AdjustInfluence does on the rows. zr(k) gives per cell the sums
// Σ z0_i XT_ik of the influence values z0 before any residual (needed by
// raking, whose residual takes unweighted class means of z/ω).
func (l *LaterCells) Adjust(z, delta, cf []float64, zr func(k int) []float64) {
	l.adjust(-1, z, delta, cf, zr, make([][]float64, 0, len(l.steps)))
}

// AdjustAfter is Adjust for the later steps of calibration m only (0: the
// first; Streamed.Calibrations), after the residuals of the steps before
// them: alpha holds, per earlier later step with a residual, its
// correction per cell over the cell sums of its residual vector (the
// multiple of each row's residual vector e that it subtracted), and the
// result appends those of m's steps. cf are calibration m's coefficients.
func (l *LaterCells) AdjustAfter(m int, z, delta, cf []float64, zr func(k int) []float64, alpha [][]float64) [][]float64 {
	return l.adjust(m, z, delta, cf, zr, alpha)
}

func (l *LaterCells) adjust(m int, z, delta, cf []float64, zr func(k int) []float64, alpha [][]float64) [][]float64 {
	n := len(z)
	for _, lc := range l.steps {
		if m >= 0 && lc.cal != m {
			continue
		}
		old := append([]float64(nil), z...)
		if !lc.ls.rake {
			lc.res.AdjustInfluence(z)
		} else {
			// ζ_c = Σ_{i∈c} z_i/ω_i of the current residuals, as cell sums
			// of ω times a per-row constant for the rake's operator
			zt := append([]float64(nil), zr(lc.ls.col)[:n]...)
			k := 0
			for c, d := range delta {
				if d != 0 {
					zt[c] -= d * lc.x[k][c]
				}
			}
			if l.s.preVar {
				k++
			}
			for q, f := range cf {
				if f != 0 {
					for c := range zt {
						zt[c] -= f * lc.x[k+q][c]
					}
				}
			}
			k += len(cf)
			for q, a := range alpha {
				for c := range zt {
					if a[c] != 0 {
						zt[c] -= a[c] * lc.x[k+q][c]
					}
				}
			}
			for c := range zt {
				zt[c] *= lc.in[c] / l.cnt[c]
			}
			adj := append([]float64(nil), zt...)
			lc.res.AdjustInfluence(adj)
			for c := range z {
				z[c] -= zt[c] - adj[c]
			}
		}
		a := make([]float64, n)
		for c := range a {
			if lc.e[c] != 0 {
				a[c] = (old[c] - z[c]) / lc.e[c]
			}
		}
		alpha = append(alpha, a)
	}
	return alpha
}
