package selection

import (
	"cmp"
	"fmt"
	"slices"
)

// rowBounds returns the fewest and the most frame rows that the
// final-stage parents of stratum h can hold over every selection the unit
// stages can make: a stage takes its certainty units and then the n − c
// units with the fewest (most) rows under them, or all of them (census, or
// a later stage with fewer than n units). The stratum's count is certain
// to be met when it is at most lo, cannot be met when it exceeds hi, and
// depends on the units drawn in between. A stage n larger than the
// stratum's units, or fewer than its certainty units, is an error wrapping
// ErrCountsNotMet, whatever the draw.
func (t *selTree) rowBounds(h int) (lo, hi int64, err error) {
	var walk func(node int32, st int) (int64, int64, error)
	walk = func(node int32, st int) (int64, int64, error) {
		if st == t.nStages {
			return t.rows[node], t.rows[node], nil
		}
		spec := t.d.Stages[st]
		units := t.children[node]
		n, N := spec.N, len(units)
		type b struct{ lo, hi int64 }
		var certain, others []b
		for _, u := range units {
			l, h, err := walk(u, st+1)
			if err != nil {
				return 0, 0, err
			}
			if spec.Method == PPSSystematic && t.cert[u] {
				certain = append(certain, b{l, h})
			} else {
				others = append(others, b{l, h})
			}
		}
		var lo, hi int64
		for _, c := range certain {
			lo, hi = lo+c.lo, hi+c.hi
		}
		switch {
		case spec.Method == Census || (st > 0 && n >= N):
			for _, o := range others {
				lo, hi = lo+o.lo, hi+o.hi
			}
			return lo, hi, nil
		case n > N:
			return 0, 0, &SampleFrameError{Stratum: t.stratumID[h], Column: spec.Unit,
				Err: fmt.Errorf("%w: stages[%d].n = %d but the stratum has only %d units", ErrCountsNotMet, st, n, N)}
		case len(certain) > n:
			return 0, 0, &SampleFrameError{Stratum: t.stratumID[h], Column: spec.Certainty.Column,
				Err: fmt.Errorf("%w: %d certainty units but stages[%d].n = %d; certainty units count toward n", ErrCountsNotMet, len(certain), st, n)}
		}
		k := n - len(certain)
		slices.SortFunc(others, func(a, b b) int { return cmp.Compare(a.lo, b.lo) })
		for _, o := range others[:k] {
			lo += o.lo
		}
		slices.SortFunc(others, func(a, b b) int { return cmp.Compare(b.hi, a.hi) })
		for _, o := range others[:k] {
			hi += o.hi
		}
		return lo, hi, nil
	}
	return walk(t.strata[h], 0)
}

// checkCounts checks every stratum's count nh[h] against the rows its
// selected units can hold (rowBounds): an error wrapping ErrCountsNotMet
// when no draw can meet it; otherwise the fewest rows per stratum.
func (t *selTree) checkCounts(nh []int) ([]int64, error) {
	lo := make([]int64, len(t.strata))
	for h := range t.strata {
		l, hi, err := t.rowBounds(h)
		if err != nil {
			return nil, err
		}
		if int64(nh[h]) > hi {
			return nil, &SampleFrameError{Stratum: t.stratumID[h], Err: fmt.Errorf("%w: %d rows to select but the units the stages can select hold at most %d rows; raise the stages' n or lower the size", ErrCountsNotMet, nh[h], hi)}
		}
		lo[h] = l
	}
	return lo, nil
}
