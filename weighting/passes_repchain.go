package weighting

import (
	"fmt"
	"math"
	"strconv"
)

// solveClosed solves every replicate's unbounded linear calibration in
// one pass, as Calibrate's closed form (R regcalibrate) on the
// replicate's start weights w: λ_r = (Σ w x x'/σ²)⁻¹ (T − Σ w x), with
// the rows (or groups of rows alike) added in order and the same solver
// and collinearity check, so
// that g_ri = 1 + x_i'λ_r/σ²_i is the in-memory one. states holds every
// replicate whose margins passed their checks (its sample totals Σ w x);
// the others keep their error.
func (nr *NewtonReplicates) solveClosed(pass func(func(*repRows) error) error, states []*repState, names []string, pop []float64, path string) error {
	p, u := nr.s.p, nr.u
	var want []int
	for r, st := range states {
		if st != nil {
			want = append(want, r)
			st.T.Zero()
		}
	}
	err := pass(func(rw *repRows) error {
		unit := rw.unit
		for _, r := range want {
			td := states[r].T.RawMatrix().Data
			fac := u.Factor[r]
			cw := states[r].cw
			for i, w0 := range rw.w {
				w := fac[unit[i]] * w0
				if cw != nil {
					w = cw[rw.clu[i]] // the cluster's mean weight
				}
				if w == 0 {
					continue
				}
				if rw.sig != nil {
					w /= rw.sig[i]
				}
				rw.x.addOuter(td, p, i, w)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range want {
		st := states[r]
		lam, err := gregLambda(st.T.RawMatrix().Data, p, names, pop, st.st)
		if err != nil {
			nr.errs[r] = at(err, path)
			continue
		}
		nr.eta[r] = lam
		nr.scale[r] = 1
	}
	return nil
}

// ClosedForm says whether the replicates' calibration is unbounded linear,
// solved in closed form (one pass) rather than by Newton iterations.
func (nr *NewtonReplicates) ClosedForm() bool { return nr.s.closed }

// clusterWeights returns, with cluster aggregates, per replicate a zero
// sum per cluster (of its start weights), and readies the record of the
// clusters whose weights a replicate makes negative; nil without them.
func (nr *NewtonReplicates) clusterWeights(R int) [][]float64 {
	s := nr.s
	if s.cx == nil {
		return nil
	}
	cw := make([][]float64, R)
	nr.ncs = make([]*negClusters, R)
	for r := range cw {
		cw[r] = make([]float64, len(s.cn))
		nr.ncs[r] = newNegClusters()
	}
	return cw
}

// clusterSamples turns every replicate's sums per cluster cw into the
// clusters' mean weights (R's ave of the replicate weights) and adds the
// sample totals of the calibration equations, Σ_i w̄_i x̄_i over the rows,
// to sample (each cluster's rows in turn; every row adds the same terms).
func (nr *NewtonReplicates) clusterSamples(cw, sample [][]float64) {
	s := nr.s
	for r, sums := range cw {
		for c, ents := range s.cx {
			n := s.cn[c]
			sums[c] /= n
			xw := sums[c]
			if xw == 0 {
				continue
			}
			for range int(n) {
				for _, e := range ents {
					sample[r][e.col] += xw * (e.sum / n)
				}
			}
		}
	}
}

func newNegClusters() *negClusters {
	return &negClusters{bad: map[int32]bool{}, cmin: -1, gmin: math.Inf(1)}
}

// mergeClusters adds a batch's clusters of weights ≤ 0 of replicate r
// (nr.mu held).
func (nr *NewtonReplicates) mergeClusters(r int, nc *negClusters) {
	to := nr.ncs[r]
	to.rows += nc.rows
	for c := range nc.bad {
		to.bad[c] = true
	}
	if nc.cmin >= 0 && (to.cmin < 0 || nc.gmin < to.gmin || (nc.gmin == to.gmin && nc.cmin < to.cmin)) {
		to.gmin, to.cmin = nc.gmin, nc.cmin
	}
}

// clusterWeightError is Plan.Replicate's error when replicate r's
// calibration of cluster means made weights negative or zero: it names
// the clusters.
func (nr *NewtonReplicates) clusterWeightError(r int) error {
	s := nr.s
	err := at(nr.ncs[r].err(s.method, func(k int32) string { return strconv.Quote(s.cnames[k]) }), fmt.Sprintf("steps[%d].calibrate", s.step))
	return fmt.Errorf("weighting: replicate %d of %d: %w", r+1, nr.u.R, err)
}

// Trims says whether the replicates' g is trimmed (one more pass).
func (nr *NewtonReplicates) Trims() bool { return nr.s.c.Trim != nil }
