package selection

import (
	"context"
	"errors"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// TestFileFrame: a frame read from a Parquet file (NewFileFrame, options
// given: an allocator; text columns as plain strings or as dictionaries)
// has the file's schema and row count and gives the same sample as the same
// table in memory.
func TestFileFrame(t *testing.T) {
	base := selTwoProvinces().record(memory.DefaultAllocator)
	defer base.Release()
	rec := selWithTarget(base, 6)
	defer rec.Release()
	path := filepath.Join(t.TempDir(), "frame.parquet")
	if err := arrowio.WriteRecord(path, rec); err != nil {
		t.Fatal(err)
	}
	d := selMustDesign(t, selMultiStageJSON)
	want, err := SelectSample(context.Background(), NewRecordFrame(rec), d, rand.New(rand.NewPCG(7, 7)))
	if err != nil {
		t.Fatal(err)
	}
	defer want.Release()
	for _, dict := range []bool{false, true} {
		frame, err := NewFileFrame(path, &FileFrameOptions{Allocator: memory.DefaultAllocator, Dictionary: dict})
		if err != nil {
			t.Fatal(err)
		}
		if !frame.Schema().Equal(rec.Schema()) {
			t.Errorf("dictionary %v: schema %v, want %v", dict, frame.Schema(), rec.Schema())
		}
		if n := frame.(interface{ NumRows() int64 }).NumRows(); n != rec.NumRows() {
			t.Errorf("dictionary %v: NumRows = %d, want %d", dict, n, rec.NumRows())
		}
		got, err := SelectSample(context.Background(), frame, d, rand.New(rand.NewPCG(7, 7)))
		if err != nil {
			t.Fatal(err)
		}
		if g, w := selRows(t, got, 3), selRows(t, want, 3); !reflect.DeepEqual(g, w) {
			t.Errorf("dictionary %v: file frame sample %+v\nin-memory sample %+v", dict, g, w)
		}
		got.Release()
	}
	if _, err := NewFileFrame(filepath.Join(t.TempDir(), "none.parquet"), nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v, want fs.ErrNotExist", err)
	}
}
