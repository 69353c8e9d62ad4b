package index

import (
	"os"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/synth"
)

// TestWriteScaleFile writes the data of the scale benchmarks (docs/sums.md)
// when SIPAS_SCALE_FILE names the output: a generated survey of
// SIPAS_SCALE_BALLOTS ballots (default 1M; 63 province strata × 20 PSUs,
// 22 criteria, 7 expectation items) with only the columns sipas index
// reads, repeated SIPAS_SCALE_COPIES times (default 1) so that 10M or 100M
// ballots of the same shape cost the memory of one copy to write.
func TestWriteScaleFile(t *testing.T) {
	path := os.Getenv("SIPAS_SCALE_FILE")
	if path == "" {
		t.Skip("set SIPAS_SCALE_FILE to write the scale benchmark data")
	}
	ballots, copies := 1_000_000, 1
	if v, err := strconv.Atoi(os.Getenv("SIPAS_SCALE_BALLOTS")); err == nil {
		ballots = v
	}
	if v, err := strconv.Atoi(os.Getenv("SIPAS_SCALE_COPIES")); err == nil {
		copies = v
	}
	rec, _, err := synth.Survey(synth.SurveyConfig{Seed: 17, Ballots: ballots}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	q := DefaultQuestionnaire()
	cols := append([]string{"province", "stratum", "psu", "fpc", "weight"}, append(q.Columns(), q.ExpectationColumns()...)...)
	var fields []arrow.Field
	var arrs []arrow.Array
	for _, c := range cols {
		i := rec.Schema().FieldIndices(c)[0]
		fields = append(fields, rec.Schema().Field(i))
		arrs = append(arrs, rec.Column(i))
	}
	sel := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, rec.NumRows())
	defer sel.Release()
	batches := make([]arrow.RecordBatch, copies)
	for i := range batches {
		batches[i] = sel
	}
	if err := arrowio.Write(path, sel.Schema(), batches); err != nil {
		t.Fatal(err)
	}
}
