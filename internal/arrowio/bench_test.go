package arrowio

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Benchmark files are generated on first use into $ARROWIO_BENCH_DIR if set
// (and kept, so that a later run measures reading only, e.g. for peak RSS
// with /usr/bin/time -v), else into a temporary directory removed at exit.

var likertCols = func() []string {
	var c []string
	for _, g := range []struct {
		name string
		n    int
	}{{"access", 4}, {"procedures", 5}, {"officials", 6}, {"outcomes", 3}, {"feedback", 4}} {
		for i := 1; i <= g.n; i++ {
			c = append(c, g.name+"_"+strconv.Itoa(i))
		}
	}
	return c
}()

func ballotSchema() *arrow.Schema {
	fields := []arrow.Field{
		{Name: "ballot_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "province", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "stratum", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "psu", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "weight", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "year", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}
	for _, c := range likertCols {
		fields = append(fields, arrow.Field{Name: c, Type: arrow.PrimitiveTypes.Int8, Nullable: true})
	}
	return arrow.NewSchema(fields, nil)
}

// ballotBatches makes n synthetic ballots (22 Likert int8 items with about
// 3% item nonresponse, design columns) in batches of 64k rows.
func ballotBatches(n int, seed uint64) []arrow.RecordBatch {
	rng := rand.New(rand.NewPCG(seed, 7))
	schema := ballotSchema()
	mem := memory.NewGoAllocator()
	var out []arrow.RecordBatch
	for start := 0; start < n; start += DefaultBatchSize {
		m := min(DefaultBatchSize, n-start)
		b := array.NewRecordBuilder(mem, schema)
		for i := 0; i < m; i++ {
			k := start + i
			p := rng.IntN(63)
			b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("%02d-%07d", p+1, k))
			b.Field(1).(*array.StringBuilder).Append(vietnamese[p%len(vietnamese)] + " " + strconv.Itoa(p))
			b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("%02d-%d", p+1, rng.IntN(3)))
			b.Field(3).(*array.Int64Builder).Append(int64(p*1000 + rng.IntN(40)))
			b.Field(4).(*array.Float64Builder).Append(50 + 400*rng.Float64())
			b.Field(5).(*array.Int64Builder).Append(int64(2017 + k%4))
			for j := range likertCols {
				fb := b.Field(6 + j).(*array.Int8Builder)
				if rng.IntN(100) < 3 {
					fb.AppendNull()
				} else {
					fb.Append(int8(1 + rng.IntN(5)))
				}
			}
		}
		out = append(out, b.NewRecordBatch())
		b.Release()
	}
	return out
}

var (
	benchOnce sync.Once
	benchDir  string
	benchMu   sync.Mutex
)

func benchFile(b *testing.B, rows int, ext string) string {
	b.Helper()
	benchOnce.Do(func() {
		benchDir = os.Getenv("ARROWIO_BENCH_DIR")
		if benchDir == "" {
			d, err := os.MkdirTemp("", "arrowio-bench-*")
			if err != nil {
				panic(err)
			}
			benchDir = d
			cleanupBench = func() { os.RemoveAll(d) }
		}
	})
	benchMu.Lock()
	defer benchMu.Unlock()
	p := filepath.Join(benchDir, fmt.Sprintf("ballots_%d%s", rows, ext))
	if _, err := os.Stat(p); err == nil {
		return p
	}
	batches := ballotBatches(rows, uint64(rows))
	defer func() {
		for _, r := range batches {
			r.Release()
		}
	}()
	if err := Write(p, ballotSchema(), batches); err != nil {
		b.Fatal(err)
	}
	return p
}

var cleanupBench = func() {}

func TestMain(m *testing.M) {
	code := m.Run()
	cleanupBench()
	os.Exit(code)
}

var benchSizes = []int{1_000, 100_000, 1_000_000}

// benchRead streams every batch of the file (all columns, or the given
// projection) and checks the row count.
func benchRead(b *testing.B, ext string, whole bool, cols ...string) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			p := benchFile(b, n, ext)
			st, _ := os.Stat(p)
			b.SetBytes(st.Size())
			b.ReportAllocs()
			b.ResetTimer()
			for it := 0; it < b.N; it++ {
				rows := 0
				if whole {
					rec, err := ReadAll(p, WithColumns(cols...))
					if err != nil {
						b.Fatal(err)
					}
					rows = int(rec.NumRows())
					rec.Release()
				} else {
					r, err := Open(p, WithColumns(cols...))
					if err != nil {
						b.Fatal(err)
					}
					for r.Next() {
						rows += int(r.RecordBatch().NumRows())
					}
					if err := r.Err(); err != nil {
						b.Fatal(err)
					}
					r.Close()
				}
				if rows != n {
					b.Fatalf("%d rows, want %d", rows, n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/row")
		})
	}
}

func BenchmarkReadParquet(b *testing.B)    { benchRead(b, ".parquet", false) }
func BenchmarkReadAllParquet(b *testing.B) { benchRead(b, ".parquet", true) }
func BenchmarkReadParquetLikert(b *testing.B) {
	benchRead(b, ".parquet", false, append([]string{"weight"}, likertCols...)...)
}
func BenchmarkReadCSV(b *testing.B)    { benchRead(b, ".csv", false) }
func BenchmarkReadAllCSV(b *testing.B) { benchRead(b, ".csv", true) }
func BenchmarkReadIPC(b *testing.B)    { benchRead(b, ".arrow", false) }

func BenchmarkWriteParquet(b *testing.B) {
	batches := ballotBatches(100_000, 1)
	dir := b.TempDir()
	b.ReportAllocs()
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		if err := Write(filepath.Join(dir, "w.parquet"), ballotSchema(), batches); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadXLSXvsCSV reads 100 000 ballots × 30 columns from an Excel
// workbook and from CSV with the same content, in the same run, and
// reports the seconds of each read and their ratio (xlsx/csv).
func BenchmarkReadXLSXvsCSV(b *testing.B) {
	const n = 100_000
	dir := b.TempDir()
	batches := ballotBatches(n, 3)
	mem := memory.NewGoAllocator()
	var wide []arrow.RecordBatch
	for _, rec := range batches {
		m := int(rec.NumRows())
		db, tb := array.NewStringBuilder(mem), array.NewStringBuilder(mem)
		for i := 0; i < m; i++ {
			db.Append("Huyện " + strconv.Itoa(i%37))
			tb.Append(fmt.Sprintf("2024-%02d-%02d", 1+i%12, 1+i%28))
		}
		d, t := db.NewArray(), tb.NewArray()
		fields := append(rec.Schema().Fields(), arrow.Field{Name: "district", Type: arrow.BinaryTypes.String, Nullable: true},
			arrow.Field{Name: "interview_date", Type: arrow.BinaryTypes.String, Nullable: true})
		wide = append(wide, array.NewRecordBatch(arrow.NewSchema(fields, nil), append(rec.Columns(), d, t), rec.NumRows()))
		d.Release()
		t.Release()
		rec.Release()
	}
	defer func() {
		for _, r := range wide {
			r.Release()
		}
	}()
	schema := wide[0].Schema()
	if schema.NumFields() != 30 {
		b.Fatalf("%d columns", schema.NumFields())
	}
	x, c := filepath.Join(dir, "b.xlsx"), filepath.Join(dir, "b.csv")
	if err := Write(x, schema, wide); err != nil {
		b.Fatal(err)
	}
	if err := Write(c, schema, wide); err != nil {
		b.Fatal(err)
	}
	var cx, cc time.Duration // CPU time (user+system) of the process
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	read := func(p string, cpuSum *time.Duration) time.Duration {
		c0 := cpu()
		defer func() { *cpuSum += cpu() - c0 }()
		start := time.Now()
		rec, err := ReadAll(p)
		if err != nil {
			b.Fatal(err)
		}
		if rec.NumRows() != n || rec.NumCols() != 30 {
			b.Fatalf("%s: %d×%d", p, rec.NumRows(), rec.NumCols())
		}
		rec.Release()
		return time.Since(start)
	}
	b.ResetTimer()
	var tx, tc time.Duration
	for it := 0; it < b.N; it++ {
		tc += read(c, &cc)
		tx += read(x, &cx)
	}
	b.ReportMetric(tx.Seconds()/float64(b.N), "xlsx-s/op")
	b.ReportMetric(tc.Seconds()/float64(b.N), "csv-s/op")
	b.ReportMetric(float64(tx)/float64(tc), "xlsx/csv")
	b.ReportMetric(cx.Seconds()/float64(b.N), "xlsx-cpu-s/op")
	b.ReportMetric(cc.Seconds()/float64(b.N), "csv-cpu-s/op")
	b.ReportMetric(float64(cx)/float64(cc), "xlsx/csv-cpu")
}
