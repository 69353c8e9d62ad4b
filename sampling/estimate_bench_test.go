package sampling

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// estBench is a generated SIPAS-like survey: H province strata × P PSUs,
// K criteria with a satisfied indicator s (0/1) and validity v (5 % item
// nonresponse), weights varying by PSU.
type estBench struct {
	n        int
	province []int32
	psu      []int32
	w        []float64
	s, v     [][]float64 // s already 0 where missing
}

func estMakeBench(n, H, P, K int) *estBench {
	rng := rand.New(rand.NewPCG(42, 7))
	b := &estBench{n: n, province: make([]int32, n), psu: make([]int32, n), w: make([]float64, n),
		s: make([][]float64, K), v: make([][]float64, K)}
	for k := range b.s {
		b.s[k] = make([]float64, n)
		b.v[k] = make([]float64, n)
	}
	provEff := make([]float64, H)
	for h := range provEff {
		provEff[h] = 0.15 * (rng.Float64() - 0.5)
	}
	nPSU := H * P
	psuEff := make([]float64, nPSU)
	psuW := make([]float64, nPSU)
	for p := range psuEff {
		psuEff[p] = 0.1 * (rng.Float64() - 0.5)
		psuW[p] = 50 + 100*rng.Float64()
	}
	critEff := make([]float64, K)
	for k := range critEff {
		critEff[k] = 0.1 * (rng.Float64() - 0.5)
	}
	for i := 0; i < n; i++ {
		p := i * nPSU / n // rows grouped by PSU
		h := p / P
		b.province[i], b.psu[i] = int32(h), int32(p)
		b.w[i] = psuW[p] * (0.8 + 0.4*rng.Float64())
		for k := 0; k < K; k++ {
			if rng.Float64() < 0.05 {
				continue
			}
			b.v[k][i] = 1
			if rng.Float64() < 0.7+provEff[h]+psuEff[p]+critEff[k] {
				b.s[k][i] = 1
			}
		}
	}
	return b
}

// record returns the design columns (weight, province, psu) as Arrow.
func (b *estBench) record() arrow.RecordBatch {
	mem := memory.NewGoAllocator()
	wb := array.NewFloat64Builder(mem)
	wb.AppendValues(b.w, nil)
	pb := array.NewInt32Builder(mem)
	pb.AppendValues(b.province, nil)
	sb := array.NewInt32Builder(mem)
	sb.AppendValues(b.psu, nil)
	cols := []arrow.Array{wb.NewArray(), pb.NewArray(), sb.NewArray()}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "weight", Type: arrow.PrimitiveTypes.Float64},
		{Name: "province", Type: arrow.PrimitiveTypes.Int32},
		{Name: "psu", Type: arrow.PrimitiveTypes.Int32}}, nil)
	rec := array.NewRecordBatch(schema, cols, int64(b.n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// estBenchDesign generates estMakeBench(n, H, P, K) with its design columns
// (release rec when done) and the stratified cluster design on them.
func estBenchDesign(b *testing.B, n, H, P, K int) (*estBench, arrow.RecordBatch, *Design) {
	b.Helper()
	data := estMakeBench(n, H, P, K)
	rec := data.record()
	d, err := NewDesign(rec, &DesignOptions{Weight: "weight", Strata: "province", PSU: "psu"})
	if err != nil {
		rec.Release()
		b.Fatal(err)
	}
	return data, rec, d
}

// estSIPASCombos are the 5 element indices (means of 4, 5, 6, 3, 4
// criteria) and the SIPAS index (mean of the elements).
func estSIPASCombos(K int) [][]float64 {
	sizes := []int{4, 5, 6, 3, 4}
	var combos [][]float64
	sipas := make([]float64, K)
	k0 := 0
	for _, s := range sizes {
		c := make([]float64, K)
		for k := k0; k < k0+s && k < K; k++ {
			c[k] = 1 / float64(s)
			sipas[k] = 1 / float64(s) / float64(len(sizes))
		}
		combos = append(combos, c)
		k0 += s
	}
	return append(combos, sipas)
}

func benchmarkEstimateRatios(b *testing.B, n int, overall bool) {
	const H, P, K = 63, 20, 22
	data, rec, d := estBenchDesign(b, n, H, P, K)
	defer rec.Release()
	combos := estSIPASCombos(K)
	national := &Ratios{Num: data.s, Den: data.v, Combos: combos}
	byProv := &Ratios{Num: data.s, Den: data.v, Combos: combos, Domain: data.province, NDomains: H}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := estCPUSeconds()
	both := *byProv
	both.Overall = true
	for i := 0; i < b.N; i++ {
		if overall {
			if _, err := d.EstimateRatios(&both); err != nil {
				b.Fatal(err)
			}
			continue
		}
		if _, err := d.EstimateRatios(national); err != nil {
			b.Fatal(err)
		}
		if _, err := d.EstimateRatios(byProv); err != nil {
			b.Fatal(err)
		}
	}
	// CPU seconds (user + system, all threads) per op: robust to a shared,
	// loaded machine where ns/op measures the queue.
	b.ReportMetric((estCPUSeconds()-cpu0)/float64(b.N), "cpu-s/op")
}

func estCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// BenchmarkEstimateRatios: 22 criterion ratios + 6 composites (5 elements,
// SIPAS), linearization, national and by province (63 strata × 20 PSUs).
func BenchmarkEstimateRatios(b *testing.B) {
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) { benchmarkEstimateRatios(b, n, false) })
	}
}

// BenchmarkEstimateRatiosItems: national and by province in one call
// (Overall) with the 22 criteria given as int8 codes (Ratios.Items).
func BenchmarkEstimateRatiosItems(b *testing.B) {
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			const H, P, K = 63, 20, 22
			data, rec, d := estBenchDesign(b, n, H, P, K)
			defer rec.Release()
			// codes 1..5 (4, 5 satisfied), 9 = no answer
			values := []float64{0, 0, 0, 1, 1, math.NaN(), math.NaN(), math.NaN(), math.NaN()}
			items := make([]Item, K)
			for k := range items {
				c := make([]int8, n)
				for i := range c {
					switch {
					case data.v[k][i] == 0:
						c[i] = 9
					case data.s[k][i] == 1:
						c[i] = int8(4 + i%2)
					default:
						c[i] = int8(1 + i%3)
					}
				}
				items[k] = Item{Codes: c, Min: 1, Values: values}
				data.s[k], data.v[k] = nil, nil
			}
			r := &Ratios{Items: items, Combos: estSIPASCombos(K), Domain: data.province, NDomains: H, Overall: true}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := estCPUSeconds()
			for i := 0; i < b.N; i++ {
				if _, err := d.EstimateRatios(r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((estCPUSeconds()-cpu0)/float64(b.N), "cpu-s/op")
		})
	}
}

// BenchmarkEstimateRatiosOverall: the same in one call with Ratios.Overall
// (national and by province in the same passes over the data).
func BenchmarkEstimateRatiosOverall(b *testing.B) {
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) { benchmarkEstimateRatios(b, n, true) })
	}
}

// TestWriteBenchCSV writes the side-by-side data set for testdata/bench_r.R
// when SIPAS_BENCH_CSV names the output file (100k ballots, 22 criteria
// c1..c22 as 0/1 with empty cells for item nonresponse).
func TestWriteBenchCSV(t *testing.T) {
	path := os.Getenv("SIPAS_BENCH_CSV")
	if path == "" {
		t.Skip("set SIPAS_BENCH_CSV to write the benchmark data")
	}
	const n, H, P, K = 100_000, 63, 20, 22
	data := estMakeBench(n, H, P, K)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("weight,province,psu")
	for k := 1; k <= K; k++ {
		fmt.Fprintf(w, ",c%d", k)
	}
	w.WriteString("\n")
	for i := 0; i < n; i++ {
		w.WriteString(strconv.FormatFloat(data.w[i], 'g', -1, 64))
		fmt.Fprintf(w, ",P%02d,%d", data.province[i], data.psu[i])
		for k := 0; k < K; k++ {
			switch {
			case data.v[k][i] == 0:
				w.WriteString(",")
			case data.s[k][i] == 1:
				w.WriteString(",1")
			default:
				w.WriteString(",0")
			}
		}
		w.WriteString("\n")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSideBySideR times our equivalent of testdata/bench_r.R on the CSV of
// TestWriteBenchCSV (SIPAS_BENCH_CSV): the 22 criterion means by province
// with their SEs, from the table in memory, and prints the time per run
// and the estimates of c1 for comparison with R.
func TestSideBySideR(t *testing.T) {
	path := os.Getenv("SIPAS_BENCH_CSV")
	if path == "" {
		t.Skip("set SIPAS_BENCH_CSV")
	}
	rec, err := arrowio.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	vars := make([]string, 22)
	for k := range vars {
		vars[k] = fmt.Sprintf("c%d", k+1)
	}
	const runs = 20
	var es []Estimate
	start := time.Now()
	cpu0 := estCPUSeconds()
	for r := 0; r < runs; r++ {
		d, err := NewDesign(rec, &DesignOptions{Weight: "weight", Strata: "province", PSU: "psu"})
		if err != nil {
			t.Fatal(err)
		}
		es, err = d.Mean(rec, vars, &EstimateOptions{By: []string{"province"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	per := time.Since(start) / runs
	cpu := (estCPUSeconds() - cpu0) / runs
	t.Logf("design + 22 svyby-equivalent means by province on %d rows: %v wall, %.4f cpu-s per run", rec.NumRows(), per, cpu)
	for _, e := range es[: 3*22 : 3*22] {
		if e.Variable == "c1" {
			t.Logf("%s %s: %.12g (SE %.12g)", e.Domain[0].Value, e.Variable, e.Estimate, e.SE)
		}
	}
	fmt.Printf("GO_SECONDS_PER_RUN %.6f wall %.6f cpu\n", per.Seconds(), cpu)
}
