package demo

import (
	"context"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index"
)

// TestRunRecoversTruth runs the pipeline for one year and checks that the
// ballots reconcile and that the weighted national SIPAS index and
// criterion indices lie within a few standard errors of the generator's
// known population values.
func TestRunRecoversTruth(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	res, err := Run(context.Background(), Config{Years: []int{2021}, Seed: 3, Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	y := res.Years[0]
	if !y.Validation.Reconciles() || y.Validation.RowsIn != y.Returned {
		t.Fatalf("validation does not reconcile: in %d used %d excluded %d", y.Validation.RowsIn, y.Validation.RowsUsed, y.Validation.RowsExcluded)
	}
	if y.Validation.RowsExcluded == 0 {
		t.Errorf("no ballot excluded: the generator plants faults")
	}
	var nat *index.Row
	for i := range y.Index.Rows {
		r := &y.Index.Rows[i]
		if len(r.Domain) == 0 && r.Kind == index.KindSIPAS {
			nat = r
		}
	}
	if nat == nil {
		t.Fatal("no national SIPAS row")
	}
	truth := res.Truth.SIPAS(2021, "")
	if math.IsNaN(truth) {
		t.Skip("truth has no national SIPAS")
	}
	if z := math.Abs(nat.Estimate-100*truth) / nat.SE; z > 4 {
		t.Errorf("national SIPAS %.2f ± %.2f, truth %.2f (z = %.1f)", nat.Estimate, nat.SE, 100*truth, z)
	}
	res.Release()
	mem.AssertSize(t, 0)
}
