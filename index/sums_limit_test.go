package index

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
)

// TestSumFileCellLimit: with StreamOptions.MaxCellBytesPerRow, SumFile
// stops at the first cell that makes the cells hold more bytes than the
// bound per row of the file, with a *CellLimitError that errors.Is
// ErrCellLimit and says the cells, bytes, rows and bound. The fixture's
// 4,000 ballots (500 in short mode) under a second stage whose unit is
// the ballot make a cell per ballot: a bound of 1,000.5 cells' bytes
// (125.5) stops the read at the 1,001st cell (126th), after as many rows
// (batches of 250 rows: within a batch, not at its end); the same bound
// lets the design whose second-stage units hold many ballots through, with
// the sums of the unbounded run. Two Parquet workers count their cells
// together (each stops at its next cell: one more at most).
func TestSumFileCellLimit(t *testing.T) {
	base := loadFixture(t)
	defer base.Release()
	staged := withStages(t, base)
	defer staged.Release()
	psu := stringColumn(t, staged, "psu")
	count := map[string]int{}
	for _, p := range psu {
		count[p]++
	}
	fpcb := make([]float64, len(psu))
	for i, p := range psu {
		fpcb[i] = float64(2 * count[p])
	}
	all := withColumns(staged, map[string][]float64{"fpcb": fpcb}, nil)
	defer all.Release()
	// in short mode (the race detector's CI run) the first 500 ballots
	n := int64(4000)
	if testing.Short() {
		n = 500
	}
	rec := all.NewSlice(0, n)
	defer rec.Release()
	k := n/4 + 1 // the cell that passes a bound of n/4 + 0.5 cells
	dir := t.TempDir()
	csv, pq := filepath.Join(dir, "b.csv"), filepath.Join(dir, "b.parquet")
	if err := arrowio.Write(csv, rec.Schema(), []arrow.RecordBatch{rec}); err != nil {
		t.Fatal(err)
	}
	if err := arrowio.Write(pq, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(250)); err != nil {
		t.Fatal(err)
	}
	read := []arrowio.Option{arrowio.WithBatchSize(250), arrowio.WithTypes(map[string]arrow.DataType{
		"ballot_id": arrow.BinaryTypes.String, "psu": arrow.BinaryTypes.String, "province_code": arrow.BinaryTypes.String})}
	ballot := &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "fpc", Stages: []sampling.Stage{{Unit: "ballot_id", FPC: "fpcb"}}}
	units := &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "fpc", Stages: []sampling.Stage{{Unit: "ssu", FPC: "fpc2"}}}
	ctx := context.Background()
	s, err := SumFile(ctx, csv, nil, ballot, nil, &StreamOptions{Read: read})
	if err != nil {
		t.Fatal(err)
	}
	cells := len(s.n)
	per := s.heldBytes() / int64(cells)
	if int64(cells) != n || per*int64(cells) != s.heldBytes() || per < 8*int64(len(s.pairs)) {
		t.Fatalf("unbounded: %d cells holding %d bytes; want %d cells of the same size, at least the pair sums", cells, s.heldBytes(), n)
	}
	perRow := (float64(n/4) + 0.5) * float64(per) / float64(n)
	_, err = SumFile(ctx, csv, nil, ballot, nil, &StreamOptions{Read: read, MaxCellBytesPerRow: perRow})
	var ce *CellLimitError
	if !errors.Is(err, ErrCellLimit) || !errors.As(err, &ce) {
		t.Fatalf("bounded, a cell per ballot: %v; want a *CellLimitError wrapping ErrCellLimit", err)
	}
	if want := (CellLimitError{Cells: int(k), Bytes: k * per, Limit: int64(perRow * float64(n)), Rows: k, FileRows: n}); *ce != want {
		t.Errorf("bounded, a cell per ballot: %+v; want %+v", *ce, want)
	}
	// the same bound: cells per second-stage unit stream, as unbounded
	want, err := SumFile(ctx, csv, nil, units, nil, &StreamOptions{Read: read})
	if err != nil {
		t.Fatal(err)
	}
	got, err := SumFile(ctx, csv, nil, units, nil, &StreamOptions{Read: read, MaxCellBytesPerRow: perRow})
	if err != nil {
		t.Fatalf("bounded, units of many ballots: %v", err)
	}
	if len(got.n) != len(want.n) || int64(len(got.n)) >= k {
		t.Fatalf("bounded, units of many ballots: %d cells, unbounded %d; want the same, fewer than %d", len(got.n), len(want.n), k)
	}
	tw, err := want.Table(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tw.Release()
	tg, err := got.Table(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Release()
	if !array.RecordEqual(tw, tg) {
		t.Error("bounded, units of many ballots: the sums table differs from the unbounded run's")
	}
	// Parquet, two workers: their cells together
	_, err = SumFile(ctx, pq, nil, ballot, nil, &StreamOptions{Workers: 2, Read: read, MaxCellBytesPerRow: perRow})
	if !errors.As(err, &ce) || int64(ce.Cells) < k || int64(ce.Cells) > k+1 || ce.Bytes <= ce.Limit || ce.Limit != int64(perRow*float64(n)) || ce.FileRows != n {
		t.Fatalf("Parquet, two workers: %v; want %d cells (%d: the other worker's cell of the moment) over the bound of %d", err, k, k+1, int64(perRow*float64(n)))
	}
	if _, err := SumFile(ctx, pq, nil, units, nil, &StreamOptions{Workers: 2, Read: read, MaxCellBytesPerRow: perRow}); err != nil {
		t.Fatalf("Parquet, units of many ballots: %v", err)
	}

	// the estimands' sums: the same rule with their cells' size
	est := []sampling.Estimand{{Statistic: sampling.StatMean, Num: DefaultQuestionnaire().Criteria[0].Column}, {Statistic: sampling.StatTotal, Num: "weight"}}
	es, err := SumEstimandsFile(ctx, csv, ballot, nil, est, &StreamOptions{Read: read})
	if err != nil {
		t.Fatal(err)
	}
	per = es.heldBytes() / n
	if int64(len(es.n)) != n || per*n != es.heldBytes() {
		t.Fatalf("estimands, unbounded: %d cells holding %d bytes; want %d of the same size", len(es.n), es.heldBytes(), n)
	}
	perRow = (float64(n/4) + 0.5) * float64(per) / float64(n)
	_, err = SumEstimandsFile(ctx, csv, ballot, nil, est, &StreamOptions{Read: read, MaxCellBytesPerRow: perRow})
	if !errors.As(err, &ce) || !errors.Is(err, ErrCellLimit) || ce.Rows != k || int64(ce.Cells) != k || ce.Bytes != k*per {
		t.Fatalf("estimands, bounded: %v; want a *CellLimitError after %d rows and cells", err, k)
	}
	if _, err := SumEstimandsFile(ctx, csv, units, nil, est, &StreamOptions{Read: read, MaxCellBytesPerRow: perRow}); err != nil {
		t.Fatalf("estimands, units of many ballots: %v", err)
	}
}
