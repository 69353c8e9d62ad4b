package report

import (
	"github.com/sipas-go/sipas/index/ballot"
	"github.com/sipas-go/sipas/weighting"
)

// QualityOf is the data-quality record of a year from the records that
// travel with its files: the accounting of the validation (v), the
// response rates of the weighting (w) and the calibrated totals its
// trimming broke (misses). Any may be nil; nil when all are.
func QualityOf(v *ballot.RecordYear, w *weighting.RecordYear, misses []weighting.RecordMiss) *Quality {
	if v == nil && w == nil && len(misses) == 0 {
		return nil
	}
	q := &Quality{Misses: misses}
	if v != nil {
		q.RowsIn, q.RowsUsed, q.RowsExcluded = v.RowsIn, v.RowsUsed, v.RowsExcluded
		for _, r := range v.Excluded {
			if r.Rows > 0 {
				q.Excluded = append(q.Excluded, ReasonCount{Reason: r.Reason, Rows: r.Rows})
			}
		}
	}
	if w != nil {
		q.Issued, q.Returned = w.Issued, w.Returned
		for _, c := range w.Classes {
			q.ResponseRates = append(q.ResponseRates, ResponseRate{Class: c.Class, Issued: c.Issued, Returned: c.Returned,
				Valid: c.Valid, ResponseRate: c.ReturnedRate, ValidRate: c.ValidRate})
		}
	}
	return q
}
