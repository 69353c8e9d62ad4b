package weighting

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
			for i, w0 := range rw.w {
				w := fac[unit[i]] * w0
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
