package weighting

import (
	"fmt"
	"math"
)

// Nonresponse adjusts for nonresponse in weighting classes: in class c,
//
//	w'_i = w_i · Σ_{j∈c} w_j / Σ_{j∈c, valid} w_j   for valid (responding) rows,
//	w'_i = 0                                         for the other rows,
//
// so that respondents carry the weight of every issued unit of their class
// (the weighting-class adjustment, e.g. Kalton & Flores-Cervantes 2003 §2).
// Nonrespondents keep their row with weight 0: they are dropped from every
// later step and from the diagnostics; estimation should subset them away.
// returned (nil: same as valid) marks returned ballots, valid or not; it only
// feeds the response rates. Rows entering with weight 0 are ignored. A class
// with issued units but no valid one is an ErrEmptyCell error.
func Nonresponse(w []float64, cl Classes, valid, returned []bool) ([]float64, *StepResult, error) {
	n := len(w)
	if len(cl.Index) != n || len(valid) != n || (returned != nil && len(returned) != n) {
		panic("weighting: Nonresponse: lengths of weights, classes and flags differ")
	}
	if err := checkWeights(w); err != nil {
		return nil, nil, err
	}
	if returned == nil {
		returned = valid
	}
	k := len(cl.Labels)
	rr := make([]ResponseRate, k)
	for i, v := range w {
		if v == 0 {
			continue
		}
		if valid[i] && !returned[i] {
			return nil, nil, &StepError{Err: ErrBadData, Msg: fmt.Sprintf("row %d is a respondent but its ballot is not marked returned", i+1)}
		}
		r := &rr[cl.Index[i]]
		r.Issued++
		r.IssuedWeight += v
		if returned[i] {
			r.Returned++
			r.ReturnedWeight += v
		}
		if valid[i] {
			r.Valid++
			r.ValidWeight += v
		}
	}
	res := &StepResult{Kind: "nonresponse", Before: Describe(w)}
	for c := range rr {
		r := &rr[c]
		r.Class = cl.Labels[c]
		if c < len(cl.Values) {
			r.Values = cl.Values[c]
		}
		if r.Issued > 0 && r.Valid == 0 {
			return nil, nil, &StepError{Margin: cl.Name, Cell: r.Class, Err: ErrEmptyCell,
				Msg: fmt.Sprintf("weighting class has %d issued unit(s) but no respondent; merge it with a neighbouring class", r.Issued)}
		}
		r.ReturnedRate = float64(r.Returned) / float64(r.Issued)
		r.ValidRate = float64(r.Valid) / float64(r.Issued)
		r.WeightedReturnedRate = r.ReturnedWeight / r.IssuedWeight
		r.WeightedValidRate = r.ValidWeight / r.IssuedWeight
		r.Factor = r.IssuedWeight / r.ValidWeight
	}
	out := make([]float64, n)
	for i, v := range w {
		if v != 0 && valid[i] {
			out[i] = v * rr[cl.Index[i]].Factor
		}
	}
	res.ResponseRates = rr
	res.After = Describe(out)
	res.ByClass = DescribeBy(out, cl)
	for c, r := range rr {
		res.Cells = append(res.Cells, Cell{Margin: cl.Name, Label: cl.Labels[c], N: r.Valid, Target: math.NaN(),
			Before: r.IssuedWeight, After: r.IssuedWeight, Factor: r.Factor})
	}
	return out, res, nil
}

// PostStratify scales the weights so that each post-stratum g reaches its
// population count: w'_i = w_i · N_g / Ŵ_g with Ŵ_g = Σ_{i∈g} w_i
// (Holt & Smith 1979; R survey::postStratify). A sample category absent from
// the totals and a positive total with no sample row are errors (R stops too
// unless partial = TRUE).
func PostStratify(w []float64, m Margin) ([]float64, *StepResult, error) {
	if err := checkWeights(w); err != nil {
		return nil, nil, err
	}
	s, cnt, err := m.check(w)
	if err != nil {
		return nil, nil, err
	}
	f := make([]float64, len(s))
	for c := range s {
		if cnt[c] > 0 {
			f[c] = m.Totals[c] / s[c]
		}
	}
	out := make([]float64, len(w))
	for i, v := range w {
		if v != 0 {
			out[i] = v * f[m.Index[i]]
		}
	}
	res := &StepResult{Kind: "poststratify", Before: Describe(w), After: Describe(out), ByClass: DescribeBy(out, m.Classes)}
	after, _ := classSums(out, m.Index, len(m.Labels), nil)
	for c := range s {
		res.Cells = append(res.Cells, Cell{Margin: m.Name, Label: m.Labels[c], N: cnt[c], Target: m.Totals[c], Before: s[c], After: after[c], Factor: f[c]})
	}
	res.Variance = &VarianceInfo{Kind: "poststratify", Classes: m.Index, OldWeights: append([]float64(nil), w...), NewWeights: out}
	return out, res, nil
}

// RakeSettings controls Rake; the zero value means MaxIter 100, Epsilon 1e-10.
type RakeSettings struct {
	MaxIter int     // sweeps over all margins
	Epsilon float64 // stop when every cell is within Epsilon of its target, relatively
	// Lean skips the per-class diagnostics, cells and variance record (for
	// re-raking many replicate weights); Before/After and History remain.
	Lean bool
	// Counts, when set, is the number of rows each weight stands for, all
	// of weight w_i/Counts_i (cells of rows sharing their classes and
	// weight); only the variance record uses it.
	Counts []float64
}

// Rake adjusts the weights to several margins by iterative proportional
// fitting (Deming & Stephan 1940): each sweep post-stratifies to every margin
// in turn. It stops after the first sweep at which every cell of every margin
// satisfies |Σ_{i∈g} w_i − N_g| / N_g < Epsilon, and fails with ErrNotConverged
// (naming the iteration count, the largest discrepancy and its margin and
// cell) after MaxIter sweeps. The limit is the raking-ratio calibration
// estimator, the fixed point of R survey::rake run to convergence.
// Margins must share one grand total (ErrMarginsDisagree).
func Rake(w []float64, margins []Margin, set *RakeSettings) ([]float64, *StepResult, error) {
	maxIter, eps := 100, 1e-10
	if set != nil {
		if set.MaxIter > 0 {
			maxIter = set.MaxIter
		}
		if set.Epsilon > 0 {
			eps = set.Epsilon
		}
	}
	if len(margins) == 0 {
		panic("weighting: Rake: no margins")
	}
	if err := checkWeights(w); err != nil {
		return nil, nil, err
	}
	before := make([][]float64, len(margins))
	counts := make([][]int, len(margins))
	for j, m := range margins {
		s, n, err := m.check(w)
		if err != nil {
			return nil, nil, err
		}
		before[j], counts[j] = s, n
	}
	if err := checkAgree(margins); err != nil {
		return nil, nil, err
	}
	out := append([]float64(nil), w...)
	res := &StepResult{Kind: "rake", Before: Describe(w)}
	sums := make([][]float64, len(margins))
	facs := make([][]float64, len(margins))
	for j, m := range margins {
		sums[j] = make([]float64, len(m.Labels))
		facs[j] = make([]float64, len(m.Labels))
	}
	// Fused IPF: sums[j] always holds the totals of margin j for the current
	// weights when margin j is adjusted. The pass that applies margin j's
	// factors accumulates margin j+1's totals; the pass of the last margin
	// accumulates every margin's totals, which serve both the convergence
	// test and the first margin of the next sweep.
	accumulateAll(out, margins, sums)
	last := len(margins) - 1
	for it := 1; ; it++ {
		for j, m := range margins {
			s, f := sums[j], facs[j]
			for c := range s {
				if s[c] > 0 {
					f[c] = m.Totals[c] / s[c]
				} else {
					f[c] = 0
				}
			}
			idx := m.Index[:len(out)]
			if j < last {
				next := sums[j+1]
				clear(next)
				nidx := margins[j+1].Index[:len(out)]
				for i, v := range out {
					v *= f[idx[i]]
					out[i] = v
					next[nidx[i]] += v
				}
			} else {
				for i, v := range out {
					out[i] = v * f[idx[i]]
				}
				accumulateAll(out, margins, sums)
			}
		}
		// discrepancy after the sweep
		worst, wm, wc := 0.0, -1, -1
		for j, m := range margins {
			s := sums[j]
			for c, t := range m.Totals {
				if t > 0 {
					if d := math.Abs(s[c]-t) / t; d > worst || wm < 0 {
						worst, wm, wc = d, j, c
					}
				}
			}
		}
		h := Iteration{Iter: it, MaxDiscrepancy: worst}
		if wm >= 0 {
			h.Margin, h.Cell = margins[wm].Name, margins[wm].Labels[wc]
		}
		res.History = append(res.History, h)
		res.Iterations = it
		if worst < eps {
			break
		}
		if it >= maxIter {
			return nil, res, &StepError{Margin: h.Margin, Cell: h.Cell, Err: ErrNotConverged,
				Msg: fmt.Sprintf("raking did not converge after %d sweeps: largest relative discrepancy %.3g (epsilon %g); raise max_iter, collapse sparse cells or check that the margins are consistent", it, worst, eps)}
		}
	}
	res.After = Describe(out)
	if set != nil && set.Lean {
		return out, res, nil
	}
	res.ByClass = DescribeBy(out, margins[0].Classes)
	// Weights right after margin j in the last sweep: undo the factors of
	// the later margins of that sweep (facs still hold them).
	vi := &VarianceInfo{Kind: "rake", Margins: make([]RakeMargin, len(margins))}
	if set != nil && set.Counts != nil {
		if len(set.Counts) != len(w) {
			panic("weighting: Rake: Counts and weights lengths differ")
		}
		vi.Counts = set.Counts
	}
	for j := len(margins) - 1; j >= 0; j-- {
		wj := make([]float64, len(out))
		if j == len(margins)-1 {
			copy(wj, out)
		} else {
			next, f, idx := vi.Margins[j+1].Weights, facs[j+1], margins[j+1].Index
			for i, v := range next {
				if v != 0 {
					wj[i] = v / f[idx[i]]
				}
			}
		}
		vi.Margins[j] = RakeMargin{Classes: margins[j].Index, Weights: wj}
	}
	for j, m := range margins {
		for c := range m.Labels {
			res.Cells = append(res.Cells, Cell{Margin: m.Name, Label: m.Labels[c], N: counts[j][c], Target: m.Totals[c],
				Before: before[j][c], After: sums[j][c], Factor: sums[j][c] / before[j][c]})
		}
	}
	res.Variance = vi
	return out, res, nil
}

// accumulateAll sets sums[j] to the weighted totals of every margin.
func accumulateAll(w []float64, margins []Margin, sums [][]float64) {
	for j := range sums {
		clear(sums[j])
	}
	switch len(margins) {
	case 2:
		a, b := margins[0].Index[:len(w)], margins[1].Index[:len(w)]
		sa, sb := sums[0], sums[1]
		for i, v := range w {
			sa[a[i]] += v
			sb[b[i]] += v
		}
		return
	case 4:
		a, b := margins[0].Index[:len(w)], margins[1].Index[:len(w)]
		c, d := margins[2].Index[:len(w)], margins[3].Index[:len(w)]
		sa, sb, sc, sd := sums[0], sums[1], sums[2], sums[3]
		for i, v := range w {
			sa[a[i]] += v
			sb[b[i]] += v
			sc[c[i]] += v
			sd[d[i]] += v
		}
		return
	}
	for j, m := range margins {
		s, idx := sums[j], m.Index[:len(w)]
		for i, v := range w {
			s[idx[i]] += v
		}
	}
}
