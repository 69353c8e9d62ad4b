package index

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/arrowio/arrowiotest"
	"github.com/sipas-go/sipas/internal/synth"
	"github.com/sipas-go/sipas/sampling"
)

// shardsFile writes copies copies of n generated ballots to a Parquet
// file of 5 row groups per copy, so that row groups g, g+5, g+10 hold the
// same PSUs and each of two workers reading alternate row groups sees
// every cell, and returns its path and the ballots. With vary their
// design weights (column wv) vary from ballot to ballot.
func shardsFile(t *testing.T, n, copies int, vary bool) (string, arrow.RecordBatch) {
	t.Helper()
	rec, _, err := synth.Survey(synth.SurveyConfig{Seed: 11, Ballots: n}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	wc, _ := arrowio.Column(rec, "weight")
	w, _, _ := arrowio.Float64s(wc)
	wv := make([]float64, len(w))
	for i, v := range w {
		wv[i] = v
		if vary {
			wv[i] = v * (1 + 0.3*math.Sin(float64(i)))
		}
	}
	out := withColumns(rec, map[string][]float64{"wv": wv}, nil)
	rec.Release()
	t.Cleanup(out.Release)
	batches := make([]arrow.RecordBatch, copies)
	for i := range batches {
		batches[i] = out
	}
	path := filepath.Join(t.TempDir(), "shards.parquet")
	if err := arrowio.Write(path, out.Schema(), batches, arrowio.WithRowGroupRows(int64(n/5))); err != nil {
		t.Fatal(err)
	}
	return path, out
}

// TestWeightedSumFileShards: with a weighting, the workers that sum a
// Parquet file share out the cells instead of the row groups: each cell
// is held by one accumulator (not by every worker that reads one of its
// ballots), and its sums are added in the order of the input rows, so the
// table is the same, bit for bit, whatever the number of workers (when
// each worker summed its own row groups, a cell's sums were the workers'
// partial sums added together, in another order).
func TestWeightedSumFileShards(t *testing.T) {
	// raking alone: the cells are not keyed by the design weight, which
	// varies within them, so that the order of the additions shows
	path, rec := shardsFile(t, 1500, 3, true)
	ws := rakeTrimSpec(t, rec, "wv", 3, 0)
	spec := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc"}
	opt := &Options{By: []string{"province"}}
	read := []arrowio.Option{arrowio.WithBatchSize(256)}
	tables := map[int]arrow.RecordBatch{}
	for _, workers := range shardWorkers() {
		var made []*Sums
		madeSums = func(s *Sums) { made = append(made, s) }
		s, err := SumFile(context.Background(), path, nil, spec, opt, &StreamOptions{Workers: workers, Read: read, Weighting: ws})
		madeSums = nil
		if err != nil {
			t.Fatal(err)
		}
		if len(made) != workers {
			t.Fatalf("workers %d: %d accumulators", workers, len(made))
		}
		// the others' cells were merged into the first: what each held
		held := 0
		for a, m := range made[1:] {
			if m.Cells() == 0 {
				t.Errorf("workers %d: accumulator %d summed no cell", workers, a+1)
			}
			held += m.Cells()
		}
		if workers > 1 && held >= s.Cells() {
			t.Errorf("workers %d: the accumulators besides the first held %d cells of %d: every cell must be held by one", workers, held, s.Cells())
		}
		tab, err := s.Table(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tab.Release()
		tables[workers] = tab
	}
	for _, workers := range shardWorkers()[1:] {
		sameTableBits(t, tables[1], tables[workers])
	}
}

// shardWorkers are the numbers of workers the tests of the sharded pass
// compare: 1, 2 and 3 (two and one accumulator per decoder), not 3 in
// -short mode.
func shardWorkers() []int {
	if testing.Short() {
		return []int{1, 2}
	}
	return []int{1, 2, 3}
}

// sameTableBits fails unless tables a and b have the same columns and
// values, float64 values bit for bit.
func sameTableBits(t *testing.T, a, b arrow.RecordBatch) {
	t.Helper()
	if !a.Schema().Equal(b.Schema()) || a.NumRows() != b.NumRows() {
		t.Fatalf("tables differ in shape: %v (%d rows) and %v (%d rows)", a.Schema(), a.NumRows(), b.Schema(), b.NumRows())
	}
	diff := 0
	for j := range int(a.NumCols()) {
		fa, ok := a.Column(j).(*array.Float64)
		if !ok {
			if !array.Equal(a.Column(j), b.Column(j)) {
				t.Errorf("column %s differs", a.ColumnName(j))
			}
			continue
		}
		fb := b.Column(j).(*array.Float64)
		for i := range fa.Len() {
			if math.Float64bits(fa.Value(i)) != math.Float64bits(fb.Value(i)) {
				if diff++; diff <= 5 {
					t.Errorf("column %s row %d: %v and %v", a.ColumnName(j), i, fa.Value(i), fb.Value(i))
				}
			}
		}
	}
	if diff > 5 {
		t.Errorf("… %d values differ", diff)
	}
}

// TestWeightedSumFileShardsBadInput: a bad answer code or a corrupt row
// group in the second copy stops the sharded pass with the error of a
// single worker, naming the same row or row group.
func TestWeightedSumFileShardsBadInput(t *testing.T) {
	_, rec := shardsFile(t, 1500, 1, false)
	ws := rakeTrimSpec(t, rec, "weight", 2, 3)
	spec := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc"}
	opt := &Options{By: []string{"province"}}
	dir := t.TempDir()
	// a 7 in access_2 at row 2,321 (the second copy's row 821)
	bad := corruptCode(t, rec, "access_2", 820, 7)
	defer bad.Release()
	pq := filepath.Join(dir, "bad.parquet")
	if err := arrowio.Write(pq, rec.Schema(), []arrow.RecordBatch{rec, bad}, arrowio.WithRowGroupRows(300)); err != nil {
		t.Fatal(err)
	}
	// and row group 8 (rows 2,101-2,400) damaged
	cpq := filepath.Join(dir, "corrupt.parquet")
	if err := arrowio.Write(cpq, rec.Schema(), []arrow.RecordBatch{rec, rec}, arrowio.WithRowGroupRows(300)); err != nil {
		t.Fatal(err)
	}
	arrowiotest.CorruptColumnChunk(t, cpq, 7, "access_3")
	for _, workers := range shardWorkers() {
		so := &StreamOptions{Workers: workers, Read: []arrowio.Option{arrowio.WithBatchSize(256)}, Weighting: ws}
		s, err := SumFile(context.Background(), pq, nil, spec, opt, so)
		var ic *InvalidCodeError
		if s != nil || !errors.As(err, &ic) || ic.Row != 2321 || !strings.Contains(err.Error(), "row 2321") {
			t.Errorf("workers %d: got %v, want an invalid code at row 2321", workers, err)
		}
		s, err = SumFile(context.Background(), cpq, nil, spec, opt, so)
		var ae *arrowio.Error
		if s != nil || !errors.As(err, &ae) || ae.RowGroup != 8 || !errors.Is(err, arrowio.ErrCorrupt) {
			t.Errorf("workers %d: got %v, want a corrupt row group 8", workers, err)
		}
	}
}
