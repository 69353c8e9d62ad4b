package index

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// CalibratedSumsTable returns the sums table tab of SumCalibratedFile
// (after the weighting ws, solved by passes as st) with st's record
// (weighting.Solved) in its schema metadata under weighting.SolvedKey,
// so that FromCalibratedSumsTable finishes the indices from the table
// alone. The weights in the table come from the calibration, so no SQL
// GROUP BY over the ballots can make such a table. The columns are
// tab's; the caller releases the result.
func CalibratedSumsTable(tab arrow.RecordBatch, ws *weighting.Spec, st *weighting.Streamed) (arrow.RecordBatch, error) {
	r, err := st.Solved(ws)
	if err != nil {
		return nil, err
	}
	md := tab.Schema().Metadata()
	md, err = arrowio.SetMetadataJSON(md, weighting.SolvedKey, r)
	if err != nil {
		return nil, err
	}
	sch := arrow.NewSchema(tab.Schema().Fields(), &md)
	return array.NewRecordBatch(sch, tab.Columns(), tab.NumRows()), nil
}

// FromCalibratedSumsTable is FromCalibratedSums on a table of
// CalibratedSumsTable made after the weighting ws: the calibration is read
// from the table's record (weighting.SolvedStreamed), which must be of ws
// (the same specification, by its SHA-256), and the table must have the
// calibration's columns for its number of calibration variables. It also
// returns that Streamed (for the final weights' sum). Its errors wrap
// ErrSums or weighting.ErrSolved.
func FromCalibratedSumsTable(ctx context.Context, sums arrow.RecordBatch, q *Questionnaire, spec *sampling.DesignOptions, ws *weighting.Spec, opt *Options) (*Result, *sampling.Design, *weighting.Streamed, error) {
	st, err := tableCalibration(sums, ws)
	if err != nil {
		return nil, nil, nil, err
	}
	res, d, err := FromCalibratedSums(ctx, sums, q, spec, st, opt)
	if err != nil {
		return nil, nil, nil, err
	}
	return res, d, st, nil
}

// CalibratedEstimandSumsTable is CalibratedEstimandSums on the estimands'
// table of SumCalibratedEstimandsFile made into a CalibratedSumsTable after
// the weighting ws: the calibration is read from the table's record, as
// FromCalibratedSumsTable reads it, and also returned (for the final
// weights' sum). Its errors wrap ErrSums or weighting.ErrSolved.
func CalibratedEstimandSumsTable(tab arrow.RecordBatch, spec *sampling.DesignOptions, ws *weighting.Spec, est []sampling.Estimand, shares []bool, by []string) (*sampling.Design, []sampling.CellSums, *weighting.Streamed, error) {
	st, err := tableCalibration(tab, ws)
	if err != nil {
		return nil, nil, nil, err
	}
	d, cs, err := CalibratedEstimandSums(tab, spec, st, est, shares, by)
	if err != nil {
		return nil, nil, nil, err
	}
	return d, cs, st, nil
}

// tableCalibration returns the calibration recorded in the metadata of
// the sums table of CalibratedSumsTable (weighting.SolvedStreamed), which
// must be of ws (the same specification, by its SHA-256), checking that
// the table has no more calibration columns than the record's variables
// and the later steps' terms.
func tableCalibration(sums arrow.RecordBatch, ws *weighting.Spec) (*weighting.Streamed, error) {
	var r weighting.Solved
	ok, err := arrowio.MetadataJSON(sums.Schema().Metadata(), weighting.SolvedKey, &r)
	if err != nil {
		return nil, fmt.Errorf("%w: schema metadata %q: %v", weighting.ErrSolved, weighting.SolvedKey, err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: the sums table has no schema metadata %q: it must be written, as Parquet or Arrow IPC (CSV keeps no metadata), by the run that solved this weighting in passes over the ballots", weighting.ErrSolved, weighting.SolvedKey)
	}
	st, err := weighting.SolvedStreamed(ws, &r)
	if err != nil {
		return nil, err
	}
	// the calibration's terms, then the later steps' (weighting.RowTerms)
	if name := SumsColumn("calb"+strconv.Itoa(r.P+st.LaterP()), "all"); len(sums.Schema().FieldIndices(name)) > 0 {
		return nil, fmt.Errorf("%w: column %q, but the calibration record has %d calibration variables and the later steps %d terms", ErrSums, name, r.P, st.LaterP())
	}
	return st, nil
}

// errCalibratedTable says that a sums table made after a calibration that
// needs every ballot is finished without it.
var errCalibratedTable = errors.New("the sums table was made after a calibration that needs every ballot (its schema metadata has the calibration's record): finish it with the same weighting specification")

// calibratedTable reports errCalibratedTable (wrapped in ErrSums) for a
// table of CalibratedSumsTable.
func calibratedTable(sums arrow.RecordBatch) error {
	if _, ok := sums.Schema().Metadata().GetValue(weighting.SolvedKey); ok {
		return fmt.Errorf("%w: %w", ErrSums, errCalibratedTable)
	}
	return nil
}
