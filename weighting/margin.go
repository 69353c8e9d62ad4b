package weighting

import (
	"fmt"
	"math"
	"sort"
)

// Margin is a classification of the rows with a population total for every
// class. Totals[c] is the total of class Labels[c]; NaN marks a category seen
// in the data that the totals do not give (an error if it carries weight).
type Margin struct {
	Classes
	Totals []float64
	// rows, when set, is the number of rows each weight stands for (cells
	// of rows sharing their classes): the counts of rows in errors and
	// diagnostics are then the rows', not the cells'.
	rows []float64
}

// NewMargin pairs a classification with population totals keyed by label.
// Categories of totals absent from the data are appended to the labels
// (in sorted order) so that they can be reported as empty cells.
func NewMargin(cl Classes, totals map[string]float64) Margin {
	m := Margin{Classes: Classes{Name: cl.Name, Index: cl.Index, Labels: append([]string(nil), cl.Labels...)}}
	m.Totals = make([]float64, len(cl.Labels))
	have := make(map[string]bool, len(cl.Labels))
	for c, l := range cl.Labels {
		have[l] = true
		t, ok := totals[l]
		if !ok {
			t = math.NaN()
		}
		m.Totals[c] = t
	}
	var extra []string
	for k := range totals {
		if !have[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		m.Labels = append(m.Labels, k)
		m.Totals = append(m.Totals, totals[k])
	}
	return m
}

// classSums returns Σw and the count of rows with non-zero weight per
// class; rows (nil: 1) is the number of rows each weight stands for.
func classSums(w []float64, idx []int32, k int, rows []float64) ([]float64, []int) {
	s := make([]float64, k)
	n := make([]int, k)
	for i, v := range w {
		if v == 0 {
			continue
		}
		c := idx[i]
		s[c] += v
		if rows != nil {
			n[c] += int(rows[i])
		} else {
			n[c]++
		}
	}
	return s, n
}

// check verifies a margin against the weights: every weighted category has a
// positive total, every positive total has weighted rows. It returns the
// weighted totals and counts per class.
func (m Margin) check(w []float64) ([]float64, []int, error) {
	if len(m.Index) != len(w) {
		panic(fmt.Sprintf("weighting: margin %q has %d rows, weights %d", m.Name, len(m.Index), len(w)))
	}
	s, n := classSums(w, m.Index, len(m.Labels), m.rows)
	if err := m.checkSums(s, n); err != nil {
		return nil, nil, err
	}
	return s, n, nil
}

// checkSums is check on the weighted totals s and counts n of the classes.
func (m Margin) checkSums(s []float64, n []int) error {
	for c := range m.Labels {
		t := m.Totals[c]
		switch {
		case n[c] > 0 && math.IsNaN(t):
			return &StepError{Margin: m.Name, Cell: m.Labels[c], Err: ErrUnknownCategory,
				Msg: fmt.Sprintf("%d sample row(s) have this category but the totals do not give it; add its population total (or recode the rows)", n[c])}
		case n[c] > 0 && t == 0:
			return &StepError{Margin: m.Name, Cell: m.Labels[c], Err: ErrUnknownCategory,
				Msg: fmt.Sprintf("population total is 0 but %d sample row(s) have this category; fix the total or recode the rows", n[c])}
		case n[c] == 0 && t > 0:
			return &StepError{Margin: m.Name, Cell: m.Labels[c], Err: ErrEmptyCell,
				Msg: fmt.Sprintf("population total %v but no sample row (with non-zero weight) has this category; collapse it with a neighbouring category", t)}
		case n[c] > 0 && s[c] < 0:
			return &StepError{Margin: m.Name, Cell: m.Labels[c], Err: ErrBadData,
				Msg: fmt.Sprintf("weighted total %v is negative", s[c])}
		}
	}
	return nil
}

// grand returns the sum of the known totals.
func (m Margin) grand() float64 {
	var g float64
	for _, t := range m.Totals {
		if !math.IsNaN(t) {
			g += t
		}
	}
	return g
}

// checkAgree verifies that margins share one grand total (relative 1e-9).
func checkAgree(ms []Margin) error {
	if len(ms) < 2 {
		return nil
	}
	g0 := ms[0].grand()
	for _, m := range ms[1:] {
		g := m.grand()
		if math.Abs(g-g0) > 1e-9*math.Max(math.Abs(g0), math.Abs(g)) {
			return &StepError{Margin: m.Name, Err: ErrMarginsDisagree,
				Msg: fmt.Sprintf("totals sum to %v but margin %q sums to %v; every margin must describe the same population", g, ms[0].Name, g0)}
		}
	}
	return nil
}

func checkWeights(w []float64) error {
	for i, v := range w {
		if !(v >= 0) || math.IsInf(v, 0) {
			return &StepError{Err: ErrBadData, Msg: fmt.Sprintf("weight of row %d is %v; weights must be finite and non-negative", i+1, v)}
		}
	}
	return nil
}
