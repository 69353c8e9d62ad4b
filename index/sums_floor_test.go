package index

import (
	"context"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
)

// BenchmarkSumFileFloor is the floor of BenchmarkSumFile: the Parquet
// decode of the columns sipas index by province reads (the criteria, the
// expectation items, weight, stratum, PSU, fpc and province; the text
// columns as dictionaries), with arrow-go's pqarrow alone, by two
// goroutines each reading every other row group in batches of 64Ki rows,
// and nothing else ("pqarrow"; "arrowio" is the reader of SumFile, which
// also checks the footer's row counts and the pages' checksums). Against
// it, in the same run:
//
//	SIPAS_SCALE_FILE=/tmp/s1m.parquet go test ./index -run '^$' -bench 'SumFile' -benchtime 5x
//
// compares CPU time per ballot (cpu-ns/ballot) of the decode and of the
// whole streamed index.
func BenchmarkSumFileFloor(b *testing.B) {
	path := os.Getenv("SIPAS_SCALE_FILE")
	if path == "" {
		b.Skip("set SIPAS_SCALE_FILE to a file written by TestWriteScaleFile")
	}
	q := DefaultQuestionnaire()
	spec := &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "fpc"}
	by := []string{"province"}
	cols := append(append(append([]string(nil), q.Columns()...), q.ExpectationColumns()...), designColumns(spec, by)...)
	dict := dictColumns(spec, by)
	for _, c := range []struct {
		name string
		read func(wi, nw int) int64
	}{
		{"pqarrow", func(wi, nw int) int64 { return floorRead(b, path, cols, dict, wi, nw) }},
		// the reader of SumFile, with its checks of the row counts and
		// page checksums
		{"arrowio", func(wi, nw int) int64 {
			r, err := arrowio.Open(path, arrowio.WithColumns(cols...), arrowio.WithDictionary(dict...), arrowio.WithRecycledBuffers(),
				arrowio.WithRowGroups(func(g int) bool { return g%nw == wi }))
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			var n int64
			for r.Next() {
				n += r.RecordBatch().NumRows()
			}
			if err := r.Err(); err != nil {
				b.Fatal(err)
			}
			return n
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var rows int64
			c0 := cpuSeconds()
			for b.Loop() {
				var wg sync.WaitGroup
				var mu sync.Mutex
				rows = 0
				for wi := range 2 {
					wg.Go(func() {
						n := c.read(wi, 2)
						mu.Lock()
						rows += n
						mu.Unlock()
					})
				}
				wg.Wait()
			}
			b.ReportMetric((cpuSeconds()-c0)*1e9/float64(b.N)/float64(rows), "cpu-ns/ballot")
		})
	}
}

// floorRead reads columns cols (dict as dictionaries) of the row groups g
// of the Parquet file at path with g mod nw = wi, and returns their rows.
func floorRead(b *testing.B, path string, cols, dict []string, wi, nw int) int64 {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	pf, err := file.NewParquetReader(f)
	if err != nil {
		b.Fatal(err)
	}
	defer pf.Close()
	ap := pqarrow.ArrowReadProperties{BatchSize: arrowio.DefaultBatchSize}
	var idx []int
	sch := pf.MetaData().Schema
	for _, c := range cols {
		i := sch.ColumnIndexByName(c)
		if i < 0 {
			b.Fatalf("no column %q", c)
		}
		idx = append(idx, i)
		if slices.Contains(dict, c) {
			ap.SetReadDict(i, true)
		}
	}
	fr, err := pqarrow.NewFileReader(pf, ap, memory.DefaultAllocator)
	if err != nil {
		b.Fatal(err)
	}
	var groups []int
	for g := wi; g < pf.NumRowGroups(); g += nw {
		groups = append(groups, g)
	}
	rr, err := fr.GetRecordReader(context.Background(), idx, groups)
	if err != nil {
		b.Fatal(err)
	}
	defer rr.Release()
	var n int64
	for rr.Next() {
		n += rr.RecordBatch().NumRows()
	}
	if err := rr.Err(); err != nil {
		b.Fatal(err)
	}
	return n
}
