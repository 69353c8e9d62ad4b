package weighting

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"
)

// rowLevelAfter says whether step st, after a calibration that passes
// solve row by row, is solved row by row too: a calibration that needs
// every row (numeric variables, per-row bounds, a working-model variance,
// cluster aggregates), or one whose bounds bound the final weights (each
// row's g then depends on its own entering weight).
func rowLevelAfter(st Step) bool {
	if st.Calibrate == nil {
		return false
	}
	if st.Calibrate.BoundsConst {
		return true
	}
	_, err := CellKeysOf(&Spec{Steps: []Step{st}})
	return errors.Is(err, ErrRowLevel)
}

// segmentEnd is the index of the first step after k that is solved row by
// row (rowLevelAfter; len(spec.Steps): none).
func segmentEnd(spec *Spec, k int) int {
	for j := k + 1; j < len(spec.Steps); j++ {
		if rowLevelAfter(spec.Steps[j]) {
			return j
		}
	}
	return len(spec.Steps)
}

// chainLayout numbers the terms of a chain of calibrations solved row by
// row (Streamed.next): calibration m's terms are P columns poff[m] ..
// poff[m]+p_m of RowTerms.B, T and Q; its later steps' terms XB and XT
// start at column xoff[m]; for m ≥ 1, columns roff[m] .. roff[m]+nres[m]·p_m
// of XB hold, per later step with a residual before it (in step order),
// e_i x_mi/(g_mi σ²_mi) with e_i the row's residual vector of that step.
// cross[m][m2] (p_m×p_m2, m2 < m) is Σ_i x_mi b_m2,i'/(g_mi σ²_mi) over
// every row.
type chainLayout struct {
	p, x             int
	segs             []*Streamed
	poff, xoff, roff []int
	nres             []int
	cross            [][][]float64
}

// leaves returns the weights of rec's rows after the calibration of s and
// its later steps (the start weights of the next calibration).
func (s *Streamed) leaves(rec arrow.RecordBatch, first int64) ([]float64, error) {
	r, err := s.readAll(rec, first)
	if err != nil {
		return nil, err
	}
	g := s.g(r, nil)
	w := make([]float64, r.n)
	for i, v := range r.w {
		w[i] = v * g[i]
	}
	_, err = s.chain(rec, first, w, len(s.later), false)
	return w, err
}

// solveNext solves the calibration at step j of spec (and its later
// steps) from the weights s leaves; the first calibration of the chain
// then lays out the terms, sums the cross-products of the calibrations'
// terms (one pass) and gathers the passes and the steps' results.
func (s *Streamed) solveNext(ctx context.Context, spec *Spec, j int, scan Scan) error {
	nx, err := solveStream(ctx, spec, j, scan, s)
	if err != nil {
		return err
	}
	s.next = nx
	if s.prev != nil {
		return nil
	}
	l := &chainLayout{}
	nres := 0
	for sg := s; sg != nil; sg = sg.next {
		m := len(l.segs)
		l.segs = append(l.segs, sg)
		l.poff = append(l.poff, l.p)
		l.p += sg.p
		l.roff = append(l.roff, l.x)
		l.nres = append(l.nres, nres)
		if m > 0 {
			l.x += nres * sg.p
		}
		l.xoff = append(l.xoff, l.x)
		sg.xoff = l.x
		for q := range sg.later {
			if sg.later[q].resid {
				sg.later[q].col += l.x
				nres++
			}
		}
		l.x += sg.xp
		if sg != s {
			s.Passes += sg.Passes
			s.Result.Steps = append(s.Result.Steps, sg.Result.Steps...)
			s.Result.Final = sg.Result.Final
		}
	}
	s.calChain = l
	// the cross-products of the calibrations' terms
	l.cross = make([][][]float64, len(l.segs))
	for m, sg := range l.segs {
		for _, s2 := range l.segs[:m] {
			l.cross[m] = append(l.cross[m], make([]float64, sg.p*s2.p))
		}
	}
	s.Passes++
	return scan(ctx, s.Columns(), func(rec arrow.RecordBatch, first int64) error {
		// 4,096 rows at a time: their terms stay small
		for i0 := int64(0); i0 < rec.NumRows(); i0 += 4096 {
			sub := rec.NewSlice(i0, min(rec.NumRows(), i0+4096))
			err := l.addCross(s, sub, first+i0)
			sub.Release()
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// addCross adds the cross-products of the calibrations' terms of rec's
// rows.
func (l *chainLayout) addCross(s *Streamed, rec arrow.RecordBatch, first int64) error {
	rts, err := s.segTermsAll(rec, first)
	if err != nil {
		return err
	}
	n := len(rts[0].W)
	for m := 1; m < len(rts); m++ {
		p, v := l.segs[m].p, rts[m].v
		for m2, c := range l.cross[m] {
			p2, b := l.segs[m2].p, rts[m2].B
			for i := 0; i < n; i++ {
				for k := 0; k < p; k++ {
					vk := v[i*p+k]
					if vk == 0 {
						continue
					}
					for q := 0; q < p2; q++ {
						c[k*p2+q] += vk * b[i*p2+q]
					}
				}
			}
		}
	}
	return nil
}

// segTermsAll are the terms of each calibration of the chain (segTerms),
// each from the weights the one before leaves.
func (s *Streamed) segTermsAll(rec arrow.RecordBatch, first int64) ([]*RowTerms, error) {
	var out []*RowTerms
	var start []float64
	for sg := s; sg != nil; sg = sg.next {
		rt, err := sg.segTerms(rec, first, start)
		if err != nil {
			return nil, err
		}
		out = append(out, rt)
		start = rt.W
	}
	return out, nil
}

// chainTerms are Terms of a chain of calibrations (chainLayout): every
// calibration's terms with the final weights.
func (s *Streamed) chainTerms(rec arrow.RecordBatch, first int64) (*RowTerms, error) {
	l := s.calChain
	rts, err := s.segTermsAll(rec, first)
	if err != nil {
		return nil, err
	}
	W := rts[len(rts)-1].W
	n, P, X := len(W), l.p, l.x
	out := &RowTerms{W: W, B: make([]float64, n*P), T: make([]float64, n*P)}
	if X > 0 {
		out.XB, out.XT = make([]float64, n*X), make([]float64, n*X)
	}
	if s.preVar {
		out.D, out.Q = rts[0].D, make([]float64, n*P)
	}
	var es [][]float64 // the residual vectors of the later steps so far
	for m, rt := range rts {
		sg := l.segs[m]
		p, off, xp, xo := sg.p, l.poff[m], sg.xp, l.xoff[m]
		last := m == len(rts)-1
		for i := 0; i < n; i++ {
			// T and XT were made with the weights this calibration's
			// steps leave: the final weights replace them
			r := 1.0
			if !last {
				r = 0
				if rt.W[i] != 0 {
					r = W[i] / rt.W[i]
				}
			}
			for k := 0; k < p; k++ {
				out.B[i*P+off+k] = rt.B[i*p+k]
				out.T[i*P+off+k] = rt.T[i*p+k] * r
				if out.Q != nil {
					out.Q[i*P+off+k] = out.D[i] * rt.v[i*p+k]
				}
			}
			for k := 0; k < xp; k++ {
				out.XB[i*X+xo+k] = rt.XB[i*xp+k]
				out.XT[i*X+xo+k] = rt.XT[i*xp+k] * r
			}
			for q, e := range es {
				if e[i] == 0 {
					continue
				}
				for k := 0; k < p; k++ {
					out.XB[i*X+l.roff[m]+q*p+k] = e[i] * rt.v[i*p+k]
				}
			}
		}
		es = append(es, rt.e...)
	}
	return out, nil
}

// Calibrations is the number of calibrations solved row by row: 1, or
// more when calibrations that need every row (or bound the final weights)
// follow the first, each after the steps before it.
func (s *Streamed) Calibrations() int {
	if s.calChain == nil {
		return 1
	}
	return len(s.calChain.segs)
}

// CalibrationTerms returns the first of calibration m's terms among the P
// of Terms (B, T, Q) and their number.
func (s *Streamed) CalibrationTerms(m int) (off, p int) {
	if s.calChain == nil {
		return 0, s.p
	}
	return s.calChain.poff[m], s.calChain.segs[m].p
}

// CoefficientsOf is Coefficients of calibration m from its right-hand
// side Σ_i z_i x_mi/(g_mi σ²_mi) (its p terms), z being the influence
// values after the residuals of every step before it.
func (s *Streamed) CoefficientsOf(m int, rhs []float64) []float64 {
	if s.calChain == nil {
		return s.Coefficients(rhs)
	}
	return s.calChain.segs[m].Coefficients(rhs)
}

// Cross returns, for calibrations m2 < m, Σ_i x_mi b_m2,i'/(g_mi σ²_mi)
// over every row (p_m × p_m2, row-major): calibration m2's correction
// b_m2,i'c of the rows lowers calibration m's right-hand side by Cross·c.
func (s *Streamed) Cross(m, m2 int) []float64 { return s.calChain.cross[m][m2] }

// CrossTerms returns, for calibration m ≥ 1, the first of the later
// steps' terms (RowTerms.XB, from LaterP's 0) that hold, per later step
// with a residual before calibration m (n of them, in step order, p_m
// terms each), e_i x_mi/(g_mi σ²_mi), e being the row's residual vector of
// that step: the step's correction α_c e_i of the rows of cell c lowers
// calibration m's right-hand side by Σ_c α_c times the cell's sums.
func (s *Streamed) CrossTerms(m int) (col, n int) {
	return s.calChain.roff[m], s.calChain.nres[m]
}
