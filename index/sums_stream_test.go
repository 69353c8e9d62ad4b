package index

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/arrowio/arrowiotest"
	"github.com/sipas-go/sipas/sampling"
)

// TestSumFileEqualsCompute streams the R-golden fixture from Parquet (row
// groups of 500 rows shared by 1, 2 and 3 workers), Arrow IPC and CSV, and
// compares the indices finished from the sums with Compute on the whole
// table at 1e-12.
func TestSumFileEqualsCompute(t *testing.T) {
	rec := loadFixture(t)
	defer rec.Release()
	dir := t.TempDir()
	files := map[string][]arrowio.Option{
		"b.parquet": {arrowio.WithRowGroupRows(500)},
		"b.arrow":   nil,
		"b.csv":     nil,
	}
	for name, opts := range files {
		if err := arrowio.Write(filepath.Join(dir, name), rec.Schema(), []arrow.RecordBatch{rec}, opts...); err != nil {
			t.Fatal(err)
		}
	}
	spec := &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "fpc"}
	d, err := sampling.NewDesign(rec, spec)
	if err != nil {
		t.Fatal(err)
	}
	opt := &Options{By: []string{"province"}, VsNation: true}
	want, err := Compute(context.Background(), d, rec, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	for name := range files {
		for _, workers := range []int{1, 2, 3} {
			read := []arrowio.Option{arrowio.WithTypes(map[string]arrow.DataType{"psu": arrow.BinaryTypes.String, "province_code": arrow.BinaryTypes.String})}
			var last int64
			s, err := SumFile(context.Background(), filepath.Join(dir, name), nil, spec, opt,
				&StreamOptions{Workers: workers, Read: read, Progress: func(n int64) {
					if n <= last {
						t.Errorf("progress went from %d to %d rows", last, n)
					}
					last = n
				}})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if last != rec.NumRows() {
				t.Errorf("%s: progress ended at %d rows, want %d", name, last, rec.NumRows())
			}
			tab, err := s.Table(nil)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := FromSums(context.Background(), tab, nil, spec, opt)
			tab.Release()
			if err != nil {
				t.Fatal(err)
			}
			sameRows(t, name, want, got, 1e-12)
		}
	}
}

// TestSumFileBadInputMidStream: a corrupt row group at 80% of a Parquet
// file is an error naming it, and a bad answer code late in a CSV file one
// naming its row; no sums come back.
func TestSumFileBadInputMidStream(t *testing.T) {
	rec := loadFixture(t)
	defer rec.Release()
	dir := t.TempDir()
	spec := &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu"}
	read := []arrowio.Option{arrowio.WithTypes(map[string]arrow.DataType{"psu": arrow.BinaryTypes.String})}

	// Parquet: 8 row groups of 500 rows; damage the 7th (rows 3001-3500)
	pq := filepath.Join(dir, "b.parquet")
	if err := arrowio.Write(pq, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(500)); err != nil {
		t.Fatal(err)
	}
	arrowiotest.CorruptColumnChunk(t, pq, 6, "access_3")
	for _, workers := range []int{1, 2} {
		s, err := SumFile(context.Background(), pq, nil, spec, nil, &StreamOptions{Workers: workers, Read: read})
		var ae *arrowio.Error
		if s != nil || !errors.As(err, &ae) || ae.RowGroup != 7 || !errors.Is(err, arrowio.ErrCorrupt) {
			t.Errorf("workers %d: got %v (sums %v), want a corrupt row group 7", workers, err, s != nil)
		}
	}

	// CSV: a 7 in access_2 at data row 3600
	bad := corruptCode(t, rec, "access_2", 3599, 7)
	defer bad.Release()
	csvPath := filepath.Join(dir, "b.csv")
	if err := arrowio.Write(csvPath, bad.Schema(), []arrow.RecordBatch{bad}); err != nil {
		t.Fatal(err)
	}
	s, err := SumFile(context.Background(), csvPath, nil, spec, nil, &StreamOptions{Read: append(read, arrowio.WithBatchSize(1000))})
	var ic *InvalidCodeError
	if s != nil || !errors.As(err, &ic) || ic.Row != 3600 || !strings.Contains(err.Error(), "row 3600") {
		t.Errorf("got %v, want an invalid code at row 3600", err)
	}
}
