package index

import (
	"github.com/sipas-go/sipas/weighting"
)

// checkWeighting returns the error of the steps of ws (nil: none) run on
// the cells' design weight totals, as the finish runs them, or nil. The
// cells go in the order of their first ballots, each named by that
// ballot's input row, so a step that names a row (a respondent whose
// ballot is not marked returned, a weight the step makes infinite) names
// the first input row to break its rule, as on the rows
// (weighting.CellRowsError), and not a cell of the sums.
func (s *Sums) checkWeighting(ws *weighting.Spec) error {
	if ws == nil || len(s.n) == 0 {
		return nil
	}
	rec, order, rows, err := s.firstCells(nil)
	if err != nil {
		return err
	}
	defer rec.Release()
	w0, cnt := make([]float64, len(order)), make([]float64, len(order))
	for i, c := range order {
		w0[i], cnt[i] = s.w[c], float64(s.n[c])
	}
	if _, err := weighting.RunCells(ws, rec, w0, cnt); err != nil {
		return weighting.CellRowsError(err, rows)
	}
	return nil
}
