package index

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// estimandNames are the EstimandColumn names of est.
func estimandNames(est []sampling.Estimand) []string {
	names := make([]string, len(est))
	for k, e := range est {
		names[k] = EstimandColumn(e)
	}
	return names
}

// SumCalibratedEstimandsFile is SumEstimandsFile for the weighting st
// solved by passes over the same file (weighting.SolveStream): every row
// is summed with its final weight (st.Rows), and every cell also sums,
// per estimand, its rows' calibration terms Σ b_ik and Σ t_ik y_i,
// Σ t_ik x_i (y about the estimand's shift, x = 1 for a mean or total;
// over the rows where the estimand is observed), what
// CalibratedEstimandSums needs for the residuals of the linearized
// variance. The cells are also keyed by the classes of the steps before
// the calibration (and by the design weight when a step needs it). With
// a replicate method in spec, every cell also sums what the calibration's
// replicates need (NewCalibratedReplicates; per estimand Σ w0 y and
// Σ w0 x, with w0 the start weights), and the estimates finish with
// CalibratedEstimandReplicateSums. spec must give no weight column
// (CalibratedEstimandSumsSupport); so.Weighting must be unset.
func SumCalibratedEstimandsFile(ctx context.Context, path string, spec *sampling.DesignOptions, by []string, est []sampling.Estimand, st *weighting.Streamed, so *StreamOptions) (*Sums, error) {
	if spec == nil {
		spec = &sampling.DesignOptions{}
	}
	var o StreamOptions
	if so != nil {
		o = *so
	}
	if o.Weighting != nil {
		panic("index: SumCalibratedEstimandsFile: StreamOptions.Weighting set")
	}
	reps := spec.Variance != sampling.Linearization
	switch {
	case !reps:
		if err := calibratedSpec(spec); err != nil {
			return nil, err
		}
	case spec.Weight != "" || suppliedReplicates(spec):
		return nil, errors.New("index: the calibrated sums are of the final weights and the calibration re-runs on generated replicates: give the design no weight column and no replicate weight columns")
	default:
		if err := st.ReplicatesSupport(); err != nil {
			return nil, fmt.Errorf("index: %v", err)
		}
	}
	ds := *spec
	ds.Weight = calWeight
	cols := append(append(sampling.EstimandColumns(est), designColumns(spec, by)...), st.Columns()...)
	o.Read = termBatches(st, o.Read)
	read := append(append([]arrowio.Option(nil), o.Read...), arrowio.WithColumns(cols...))
	shift := firstShift(path, &ds, by, est, nil, read, calibratedTransform(st, nil, false))
	o.Transform = calibratedTransform(st, o.Transform, reps)
	s, err := sumFile(ctx, path, cols, dictColumns(spec, by), &o, func(sch *arrow.Schema) (*Sums, error) {
		s, err := newEstimandSums(&ds, by, est, shift, sch, nil)
		if err != nil {
			return nil, err
		}
		s.vals.cal = newCalSums(st)
		if unitMoments(&ds) {
			// every ballot its own PSU: the moments of its residual
			if err := unitCalibrationStreamed(st); err != nil {
				return nil, err
			}
			s.vals.cal.unit = true
		}
		if reps {
			s.vals.rcal = &rowRepSums{p: st.P(), pre: st.EarlierSpec() != nil}
		}
		if err := addCalibrationKeys(s, sch, &ds, st); err != nil {
			return nil, err
		}
		return s, nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.checkDesign(spec); err != nil {
		return nil, err
	}
	return s, s.CheckMagnitude()
}

// CalibratedEstimandSumsSupport says whether the means, totals and ratios
// of the design spec after the weighting ws can be computed in passes over
// the rows (weighting.SolveStream, then SumCalibratedEstimandsFile and
// CalibratedEstimandSums) or why not: the limits of CalibratedSumsSupport
// (a replicate variance: a generated replicate method after an unbounded
// linear calibration, whose replicates NewCalibratedReplicates solves from
// the sums, then CalibratedEstimandReplicateSums).
func CalibratedEstimandSumsSupport(spec *sampling.DesignOptions, ws *weighting.Spec) error {
	return CalibratedSumsSupport(spec, ws)
}

// calibratedSpec says why the design spec cannot finish a calibration
// solved by passes (nil if it can).
func calibratedSpec(spec *sampling.DesignOptions) error {
	if spec != nil && (spec.Weight != "" || spec.Variance != sampling.Linearization) {
		return errors.New("index: the calibrated sums are of the final weights and finish with linearization: give the design no weight column and no replicate method")
	}
	return nil
}

// addCalibration adds to cell c the calibration terms of rows [i0, i1)
// of the batch: B_k += Σ b_ik (with earlier steps that have residuals
// also D and Q: calSums.addRows) and, per estimand over its observed rows,
// U_k += Σ t_ik (y_i − shift·x_i), V_k += Σ t_ik x_i. With unit (a design
// without PSU column) also the moments of the rows' residuals: Σ b_k b_l
// over every row, and per estimand over its observed rows
// Σ w (y_i − shift·x_i) b_ik and Σ w x_i b_ik (w the final weight).
func (v *valueSums) addCalibration(c, i0, i1 int) {
	cs := v.cal
	p, K := cs.p, len(v.est)
	cs.addRows(c, i0, i1)
	U, V := cs.U[c*K*p:(c+1)*K*p], cs.V[c*K*p:(c+1)*K*p]
	var WYB, WXB []float64
	if cs.unit {
		cs.addBB(c, i0, i1)
		WYB, WXB = cs.WYB[c*K*p:(c+1)*K*p], cs.WXB[c*K*p:(c+1)*K*p]
	}
	for j, e := range v.est {
		y, oy, x, ox := v.values(e)
		sh := v.shift[j]
		for k := 0; k < p; k++ {
			t := cs.t[k]
			var b []float64
			if cs.unit {
				b = cs.b[k]
			}
			var u, w, wy, wx float64
			for i := i0; i < i1; i++ {
				if !oy[i] || (ox != nil && !ox[i]) {
					continue
				}
				xi := 1.0
				if x != nil {
					xi = x[i]
				}
				if t[i] != 0 {
					u += t[i] * (y[i] - sh*xi)
					w += t[i] * xi
				}
				if b != nil && b[i] != 0 {
					wb := cs.w[i] * b[i]
					wy += wb * (y[i] - sh*xi)
					wx += wb * xi
				}
			}
			U[j*p+k] += u
			V[j*p+k] += w
			if b != nil {
				WYB[j*p+k] += wy
				WXB[j*p+k] += wx
			}
		}
	}
}

// CalibratedEstimandSums is EstimandSums for a sums table of
// SumCalibratedEstimandsFile with the weighting st = weighting.SolveStream
// of ws: the cells' sums are of the final weights, and the design's
// linearized influence values take their calibration residuals term by
// term (sampling.DesignOptions.AdjustInfluenceTerms, as
// FromCalibratedSums): an estimand's z_i = w_i (A y_i − B x_i) in a domain
// loses, in cell c, Σ_k B_ck c_k, with c = st.Coefficients of the
// domain's Σ (A U_k − B V_k); earlier steps with residuals
// (post-stratification, raking, category calibration) run on the cells
// and their residuals come first, as in FromCalibratedSums. by are the domain columns of the estimates
// (sampling.NewDomains on the table). Estimates, SEs and contrasts of
// Design.EstimatesFromCells and EstimateContrastsFromCells equal those of
// weighting.NewDesign(rows, ws, spec) up to the order of the additions.
func CalibratedEstimandSums(tab arrow.RecordBatch, spec *sampling.DesignOptions, st *weighting.Streamed, est []sampling.Estimand, shares []bool, by []string) (*sampling.Design, []sampling.CellSums, error) {
	if spec == nil {
		spec = &sampling.DesignOptions{}
	}
	if err := calibratedSpec(spec); err != nil {
		return nil, nil, err
	}
	rows, err := sumsFloats(tab, SumsRows)
	if err != nil {
		return nil, nil, err
	}
	cnt := make([]int64, len(rows))
	for c, v := range rows {
		cnt[c] = int64(v)
	}
	hook, err := newCalHook(tab, st, estimandNames(est), func(name string) ([]float64, error) { return sumsFloats(tab, name) }, cnt)
	if err != nil {
		return nil, nil, err
	}
	ds := *spec
	ds.Weight = calWeight // the cells' sums are of the final weights
	d, cs, _, err := estimandSums(context.Background(), tab, &ds, est, shares, nil, nil, hook, nil)
	if err != nil {
		return nil, nil, err
	}
	if len(by) == 0 {
		hook.domains(nil, 0)
		return d, cs, nil
	}
	dm, err := sampling.NewDomains(tab, by)
	if err != nil {
		return nil, nil, err
	}
	hook.domains(dm.Code, dm.Len())
	return d, cs, nil
}

// CalibratedEstimandReplicateSums is CalibratedEstimandSums for a
// replicate variance: tab is the sums table of SumCalibratedEstimandsFile
// run with spec (a generated replicate method) and cr the calibration's
// replicates (NewCalibratedReplicates on tab, checked by
// CalibratedReplicates.CheckFile). Per domain of the cells (the columns
// by), replicate r and estimand k, the replicate sums are
// Σ_c m_rc (Σ_c w0 y_k + λ_r'·Σ_c w0 x y_k/σ²) (y about the estimand's
// shift; likewise x), and the degrees of freedom come from the rank of the
// replicate weights, as FromCalibratedReplicateSums. Estimates, SEs and
// contrasts of Design.EstimatesFromCells and EstimateContrastsFromCells
// equal those of weighting.NewDesign(rows, ws, spec) up to the order of
// the additions.
func CalibratedEstimandReplicateSums(ctx context.Context, tab arrow.RecordBatch, spec *sampling.DesignOptions, cr *CalibratedReplicates, est []sampling.Estimand, shares []bool, by []string) (*sampling.Design, []sampling.CellSums, error) {
	group, G, err := cellGroupsBy(tab, by)
	if err != nil {
		return nil, nil, err
	}
	rs, err := cr.replicateSums(ctx, tab, estimandNames(est), group, G)
	if err != nil {
		return nil, nil, err
	}
	gt, ds := cr.suppliedDesign(tab, spec, group)
	defer gt.Release()
	d, cs, _, err := estimandSums(ctx, gt, &ds, est, shares, rs, nil, nil, nil)
	return d, cs, err
}
