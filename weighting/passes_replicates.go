package weighting

import (
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// ReplicatesSupport says whether the replicates of a replicate design
// whose replicate weights are multiples of the design weights by factors
// constant within PSUs (jackknife, bootstrap, BRR, Fay) can be solved from
// sums per cell for the weighting s (nil) or why not. With f_r,c the
// factor of the steps before the calibration (none: 1) re-run on
// replicate r's cell totals, replicate r of an unbounded linear
// calibration solves
//
//	(Σ_c a_r,c f_r,c S_c) λ_r = T − Σ_c a_r,c f_r,c t_c,
//	S_c = Σ_{i∈c} d_i x_i x_i'/σ²_i,  t_c = Σ_{i∈c} d_i x_i,
//
// over cells c within one PSU and one class of the earlier steps (d_i the
// design weights), and gives row i the weight
// a_r,c f_r,c d_i (1 + x_i'λ_r/σ²_i), so the sums need no pass of their
// own. Other calibrations (bounds, raking, logit, trimming of g, cluster
// aggregates) and a trimming after the calibration re-solve an iteration
// per replicate, which these sums do not carry (SolveReplicates solves
// bounded, raking and logit ones by passes over the rows).
func (s *Streamed) ReplicatesSupport() error {
	var steps []Step
	if s.earlier != nil {
		steps = append(steps, s.earlier.Steps...)
	}
	steps = append(steps, Step{Calibrate: s.c})
	if len(s.later) > 0 {
		steps = append(steps, Step{Trim: &TrimStep{}})
	}
	return ReplicatesStreamSupport(&Spec{Steps: steps})
}

// ReplicatesStreamSupport is Streamed.ReplicatesSupport for the weighting
// spec before it is solved: spec must end with a calibration step, linear,
// without bounds, trimming of g or cluster aggregates, after any steps
// whose factors are functions of the rows' classes (StreamSupport), which
// every replicate re-runs on its cell totals.
func ReplicatesStreamSupport(spec *Spec) error {
	if err := StreamSupport(spec); err != nil {
		return err
	}
	k := calibrationStep(spec)
	c := spec.Steps[k].Calibrate
	switch {
	case len(spec.Steps) > k+1:
		return fmt.Errorf("a replicate variance re-runs the steps after the calibration (%s) on every replicate, which the sums per PSU do not carry", stepKinds(spec.Steps[k+1:]))
	case (c.Method != "" && c.Method != "linear") || c.Bounds != nil || c.BoundsColumns != nil:
		return errors.New("a replicate variance re-solves a bounded or nonlinear calibration (raking, logit, bounds) on every replicate, by Newton iterations whose steps differ from replicate to replicate; passes over the rows solve only an unbounded linear calibration's replicates, from sums per PSU")
	case c.Trim != nil:
		return errors.New("a replicate variance re-runs the trimming of g on every replicate, which the sums per PSU do not carry")
	case c.Aggregate != "":
		return errors.New("a replicate variance re-runs the calibration of cluster means on every replicate, which the sums per PSU do not carry")
	}
	return nil
}

// ReplicateRows returns, for the rows of rec (whose first row is row
// first+1 of the input), what the replicates of a calibration that
// ReplicatesSupport accepts need: the start weights w0 (the design
// weights times the earlier steps' factor; DesignWeights), the rows of the
// model matrix x (dense, P values a row) and 1/σ²_i of the working-model
// variance (nil: 1).
func (s *Streamed) ReplicateRows(rec arrow.RecordBatch, first int64) (w0, x, inv []float64, err error) {
	r, err := s.read(rec, first)
	if err != nil {
		return nil, nil, nil, at(err, fmt.Sprintf("steps[%d].calibrate", s.step))
	}
	p := s.p
	x = make([]float64, r.n*p)
	for i := 0; i < r.n; i++ {
		for q := r.x.ptr[i]; q < r.x.ptr[i+1]; q++ {
			x[i*p+int(r.x.col[q])] = r.x.val[q]
		}
	}
	if r.sig != nil {
		inv = make([]float64, r.n)
		for i, v := range r.sig {
			inv[i] = 1 / v
		}
	}
	return r.w, x, inv, nil
}

// DesignWeights are the design weights of rec's rows (whose first row is
// row first+1 of the input): 1 without a design weight column.
func (s *Streamed) DesignWeights(rec arrow.RecordBatch, first int64) ([]float64, error) {
	return s.designWeights(rec, first)
}

// ReplicateLambda solves a replicate's calibration equations
// (ReplicatesSupport): td is its Σ w_ri x_i x_i'/σ²_i (P×P, row-major)
// and total its Σ w_ri x_i; g_ri = 1 + x_i'λ/σ²_i. Errors are those of
// Calibrate (collinear variables: a category may have no row left in the
// replicate), without the replicate's number.
func (s *Streamed) ReplicateLambda(td, total []float64) ([]float64, error) {
	names, pop := s.targets()
	lam, err := gregLambda(td, s.p, names, pop, total)
	return lam, at(err, fmt.Sprintf("steps[%d].calibrate", s.step))
}

// ReplicateWeightError is the error of Plan.Replicate when replicate r
// (0-based) of R made bad of its weights negative or zero, the smallest
// g being gmin at row (0-based).
func (s *Streamed) ReplicateWeightError(r, R, bad int, gmin float64, row int64) error {
	err := at(&StepError{Err: ErrNegativeWeight,
		Msg: fmt.Sprintf("%s calibration made %d weight(s) negative or zero (smallest g = %.4g at row %d); give bounds, e.g. \"bounds\": [0.3, 3], or use method raking or logit", s.method, bad, gmin, row+1)}, fmt.Sprintf("steps[%d].calibrate", s.step))
	return fmt.Errorf("weighting: replicate %d of %d: %w", r+1, R, err)
}

// targets returns the names and population totals of the model matrix's
// columns, in column order (as SolveStream made them).
func (s *Streamed) targets() (names []string, pop []float64) {
	names, pop = make([]string, s.p), make([]float64, s.p)
	for _, m := range s.ms {
		for q, l := range m.margin.Labels {
			if k := m.col[l]; k >= 0 {
				names[k], pop[k] = m.margin.Name+"="+l, m.margin.Totals[q]
			}
		}
	}
	p0 := s.p - len(s.num)
	for k, name := range s.num {
		names[p0+k], pop[p0+k] = name, s.c.Numeric[name]
	}
	return names, pop
}

// stepKinds names steps by kind, e.g. "poststratify, trim".
func stepKinds(steps []Step) string {
	kinds := make([]string, len(steps))
	for i, st := range steps {
		kinds[i] = st.Kind()
	}
	return strings.Join(kinds, ", ")
}
