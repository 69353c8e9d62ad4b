package selection

import (
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// TestFileFrame: a frame read from a Parquet file (NewFileFrame, options
// given) has the file's row count and gives the same sample as the same
// table in memory, and its reads do not write into the caller's options
// array (they append their column selection to a clipped copy).
func TestFileFrame(t *testing.T) {
	base := selTwoProvinces().record(memory.DefaultAllocator)
	defer base.Release()
	rec := selWithTarget(base, 6)
	defer rec.Release()
	path := filepath.Join(t.TempDir(), "frame.parquet")
	if err := arrowio.WriteRecord(path, rec); err != nil {
		t.Fatal(err)
	}
	opts := make([]arrowio.Option, 1, 4) // spare capacity: must stay untouched
	opts[0] = arrowio.WithAllocator(memory.DefaultAllocator)
	frame := NewFileFrame(path, rec.Schema(), opts...)
	if n := frame.(interface{ NumRows() int64 }).NumRows(); n != rec.NumRows() {
		t.Errorf("NumRows = %d, want %d", n, rec.NumRows())
	}
	d := selMustDesign(t, selMultiStageJSON)
	got, err := SelectSample(frame, d, rand.New(rand.NewPCG(7, 7)))
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	want, err := SelectSample(NewRecordFrame(rec), d, rand.New(rand.NewPCG(7, 7)))
	if err != nil {
		t.Fatal(err)
	}
	defer want.Release()
	if g, w := selRows(t, got, 3), selRows(t, want, 3); !reflect.DeepEqual(g, w) {
		t.Errorf("file frame sample %+v\nin-memory sample %+v", g, w)
	}
	for i, o := range opts[1:cap(opts)] {
		if o != nil {
			t.Errorf("caller's options array written at %d", 1+i)
		}
	}
}
