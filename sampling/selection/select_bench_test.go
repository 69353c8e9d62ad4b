package selection_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/synth"
	"github.com/sipas-go/sipas/sampling/selection"
)

// benchDesign is the SIPAS default design: province × level strata,
// 35,000 ballots allocated proportionally (min 30), three districts per
// stratum with the capital for certain, three communes per district,
// applicants by systematic sampling in field order, a 20% reserve.
const benchDesign = `{
  "strata": ["province", "level"],
  "size": {"total": 35000},
  "allocation": {"method": "proportional", "min": 30},
  "stages": [
    {"unit": "district", "method": "pps_systematic", "size": "transactions", "n": 3, "certainty": {"column": "is_capital"}},
    {"unit": "commune", "method": "pps_systematic", "size": "transactions", "n": 3},
    {"unit": "row", "method": "systematic", "sort": ["field"]}
  ],
  "reserve": 0.2
}`

func benchInMemory(b *testing.B, rows int) {
	rec, err := synth.Register(synth.Config{TotalRows: rows}, 2021, memory.DefaultAllocator)
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Release()
	js := benchDesign
	if rows < 1_000_000 {
		// smaller registers: province strata, two districts, rows/100 ballots
		js = fmt.Sprintf(`{"strata": ["province"], "size": {"total": %d},
		  "stages": [{"unit": "district", "method": "pps_systematic", "n": 2, "certainty": {"column": "is_capital"}},
		    {"unit": "row", "method": "systematic", "sort": ["field"]}], "reserve": 0.2}`, rows/100)
	}
	d, err := selection.ParseSampleDesign(strings.NewReader(js))
	if err != nil {
		b.Fatal(err)
	}
	frame := selection.NewRecordFrame(rec)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := selection.SelectSample(context.Background(), frame, d, rand.New(rand.NewPCG(uint64(i), 1)))
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
	}
	b.ReportMetric(float64(rows), "rows/op")
}

func BenchmarkSelectSample1e4(b *testing.B) { benchInMemory(b, 10_000) }
func BenchmarkSelectSample1e5(b *testing.B) { benchInMemory(b, 100_000) }
func BenchmarkSelectSample1e6(b *testing.B) { benchInMemory(b, 1_000_000) }

// BenchmarkSelectSampleRegister30M selects the 35,000-ballot default design
// from a 30M-row register in Parquet, streamed. The register is generated
// once (synth, year 2021) into $SIPAS_BENCH_REGISTER (default
// /tmp/sipas-register-30M.parquet) and reused. Run with
//
//	go test ./sampling -run XXX -bench Register30M -benchtime 1x
//
// This reads through arrowio (strings decoded as plain strings). The CLI
// reads Parquet string columns as dictionaries and is about twice as fast;
// measure it, with peak memory, on the same file and benchDesign saved as
// design.json:
//
//	go build -o /tmp/sipas ./cmd/sipas
//	/usr/bin/time -v /tmp/sipas sample --frame /tmp/sipas-register-30M.parquet \
//	    --design design.json --seed 1 --out /tmp/sample.parquet
//
// (2 shared cores, Nov 2026: 7–9 s CPU, 8–10 s wall when the process got
// one core, 0.55–1.1 GB peak RSS; 42,075 rows = 35,000 + 7,075 reserve).
func BenchmarkSelectSampleRegister30M(b *testing.B) {
	path := os.Getenv("SIPAS_BENCH_REGISTER")
	if path == "" {
		path = "/tmp/sipas-register-30M.parquet"
	}
	if _, err := os.Stat(path); err != nil {
		b.Logf("generating %s (once)", path)
		if err := benchWriteRegister(path, 30_000_000); err != nil {
			b.Fatal(err)
		}
	}
	frame, err := selection.NewFileFrame(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	d, err := selection.ParseSampleDesign(strings.NewReader(benchDesign))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := selection.SelectSample(context.Background(), frame, d, rand.New(rand.NewPCG(uint64(i), 1)))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(out.NumRows()), "selected/op")
		out.Release()
	}
}

// benchWriteRegister streams synth's register into a Parquet file batch by
// batch (arrowio.Write wants every batch in memory).
func benchWriteRegister(path string, rows int) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer f.Close()
	var fw *pqarrow.FileWriter
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithDictionaryDefault(true), parquet.WithMaxRowGroupLength(arrowio.ParquetRowGroupRows))
	err = synth.RegisterBatches(synth.Config{TotalRows: rows}, 2021, memory.DefaultAllocator, func(rec arrow.RecordBatch) error {
		if fw == nil {
			var err error
			fw, err = pqarrow.NewFileWriter(rec.Schema(), f, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
			if err != nil {
				return err
			}
		}
		return fw.WriteBuffered(rec)
	})
	if err != nil {
		return err
	}
	if fw == nil {
		return fmt.Errorf("empty register")
	}
	if err := fw.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
