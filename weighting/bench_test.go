package weighting

import (
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// benchBallots makes n synthetic ballots with four raking margins (63
// provinces, 3 levels, 2 genders, 5 age groups), design weights and
// population totals that differ from the weighted sample by up to ±20% per
// category (all margins sum to one N). Deterministic for a seed.
//
// psu[i] is a cluster id (8 per province, unique across provinces) for the
// replicate benchmark; the province is the stratum.
func benchBallots(n int, seed uint64) (w []float64, margins []Margin, psu []int64) {
	r := rand.New(rand.NewPCG(seed, 99))
	sizes := [4]int{63, 3, 2, 5}
	prefix := [4]string{"P", "L", "G", "A"}
	idx := [4][]int32{}
	var names [4][]string
	psu = make([]int64, n)
	for j := range sizes {
		idx[j] = make([]int32, n)
		for c := 0; c < sizes[j]; c++ {
			names[j] = append(names[j], fmt.Sprintf("%s%02d", prefix[j], c))
		}
	}
	w = make([]float64, n)
	for i := 0; i < n; i++ {
		p := int32(min(62, int(r.ExpFloat64()*20))) // skewed provinces
		idx[0][i] = p
		idx[1][i] = int32(r.IntN(3))
		idx[2][i] = int32(r.IntN(2))
		idx[3][i] = int32(r.IntN(5))
		w[i] = (20 + float64(p)) * (0.7 + 0.6*r.Float64())
		psu[i] = int64(p)*100 + int64(r.IntN(8))
	}
	var total float64
	for _, v := range w {
		total += v
	}
	N := 1.1 * total
	for j := range sizes {
		s, _ := classSums(w, idx[j], sizes[j], nil)
		tot := make([]float64, sizes[j])
		var sum float64
		for c := range tot {
			tot[c] = s[c] * (0.8 + 0.4*r.Float64())
			sum += tot[c]
		}
		m := map[string]float64{}
		for c := range tot {
			m[names[j][c]] = tot[c] * N / sum
		}
		margins = append(margins, NewMargin(Classes{Name: prefix[j], Index: idx[j], Labels: names[j]}, m))
	}
	return w, margins, psu
}

func BenchmarkRake(b *testing.B) {
	for _, n := range []int{1000, 40000, 1000000} {
		w, ms, _ := benchBallots(n, 1)
		b.Run(fmt.Sprintf("n=%d/margins=4", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Rake(w, ms, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRake200 rakes 40,000 ballots to 4 margins 200 times: the weights
// part of the target (200 bootstrap replicates re-raked ≤ 2 s).
func BenchmarkRake200(b *testing.B) {
	w, ms, _ := benchBallots(40000, 1)
	b.ReportAllocs()
	for b.Loop() {
		for r := 0; r < 200; r++ {
			if _, _, err := Rake(w, ms, &RakeSettings{Lean: true}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// TestWriteBenchData writes the benchmark data for testdata/weighting/bench.R
// when SIPAS_BENCH_OUT names a directory.
func TestWriteBenchData(t *testing.T) {
	dir := os.Getenv("SIPAS_BENCH_OUT")
	if dir == "" {
		t.Skip("set SIPAS_BENCH_OUT to write the benchmark data")
	}
	w, ms, psu := benchBallots(40000, 1)
	f, err := os.Create(filepath.Join(dir, "ballots.csv"))
	if err != nil {
		t.Fatal(err)
	}
	cw := csv.NewWriter(f)
	cw.Write([]string{"province", "level", "gender", "age", "w", "psu"})
	for i := range w {
		cw.Write([]string{ms[0].Labels[ms[0].Index[i]], ms[1].Labels[ms[1].Index[i]], ms[2].Labels[ms[2].Index[i]], ms[3].Labels[ms[3].Index[i]], strconv.FormatFloat(w[i], 'g', -1, 64), strconv.FormatInt(psu[i], 10)})
	}
	cw.Flush()
	f.Close()
	g, err := os.Create(filepath.Join(dir, "totals.csv"))
	if err != nil {
		t.Fatal(err)
	}
	cw = csv.NewWriter(g)
	cw.Write([]string{"margin", "category", "total"})
	for _, m := range ms {
		for c, l := range m.Labels {
			cw.Write([]string{m.Name, l, strconv.FormatFloat(m.Totals[c], 'g', -1, 64)})
		}
	}
	cw.Flush()
	g.Close()
	out, _, err := Rake(w, ms, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := os.Create(filepath.Join(dir, "go_raked.csv"))
	for _, v := range out {
		fmt.Fprintf(h, "%.17g\n", v)
	}
	h.Close()
}

// benchRecord is the benchmark data as an Arrow record (province, level,
// gender, age strings; w; psu) for the replicate benchmark.
func benchRecord(mem memory.Allocator, n int) (arrow.RecordBatch, *Spec) {
	w, ms, psu := benchBallots(n, 1)
	names := []string{"province", "level", "gender", "age"}
	fields := []arrow.Field{}
	for _, nm := range names {
		fields = append(fields, arrow.Field{Name: nm, Type: arrow.BinaryTypes.String})
	}
	fields = append(fields, arrow.Field{Name: "w", Type: arrow.PrimitiveTypes.Float64}, arrow.Field{Name: "psu", Type: arrow.PrimitiveTypes.Int64})
	b := array.NewRecordBuilder(mem, arrow.NewSchema(fields, nil))
	defer b.Release()
	spec := &Spec{DesignWeight: "w", Replicates: &ReplicateSpec{Type: "bootstrap", Strata: "province", PSU: "psu", N: 200, Seed: 1}}
	rk := &RakeStep{}
	for j, m := range ms {
		sb := b.Field(j).(*array.StringBuilder)
		for i := range w {
			sb.Append(m.Labels[m.Index[i]])
		}
		tot := map[string]float64{}
		for c, l := range m.Labels {
			tot[l] = m.Totals[c]
		}
		rk.Margins = append(rk.Margins, MarginSpec{By: []string{names[j]}, Totals: tot})
	}
	b.Field(4).(*array.Float64Builder).AppendValues(w, nil)
	b.Field(5).(*array.Int64Builder).AppendValues(psu, nil)
	spec.Steps = []Step{{Rake: rk}}
	return b.NewRecordBatch(), spec
}

// BenchmarkReplicateRake: the target — 40,000 ballots raked to 4
// margins, 200 bootstrap replicates (sampling, Canty–Davison) each re-raked.
func BenchmarkReplicateRake(b *testing.B) {
	rec, spec := benchRecord(memory.DefaultAllocator, 40000)
	defer rec.Release()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ApplyReplicates(context.Background(), spec, rec); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBenchCPU reports the CPU time of 200 rakes and of the replicate
// pipeline (CPU time, not wall time, because the machine is shared), when
// SIPAS_BENCH_OUT is set.
func TestBenchCPU(t *testing.T) {
	if os.Getenv("SIPAS_BENCH_OUT") == "" {
		t.Skip("set SIPAS_BENCH_OUT to run")
	}
	cpu := infCPU
	w, ms, _ := benchBallots(40000, 1)
	c0 := cpu()
	for r := 0; r < 200; r++ {
		if _, _, err := Rake(w, ms, &RakeSettings{Lean: true}); err != nil {
			t.Fatal(err)
		}
	}
	c1 := cpu()
	rec, spec := benchRecord(memory.DefaultAllocator, 40000)
	defer rec.Release()
	c2 := cpu()
	if _, _, err := ApplyReplicates(context.Background(), spec, rec); err != nil {
		t.Fatal(err)
	}
	c3 := cpu()
	t.Logf("Go CPU: 200 rakes of 40k x 4 margins %.3f s; bootstrap(200) design + rake + 200 re-rakes %.3f s", c1-c0, c3-c2)
}

func BenchmarkCalibrate(b *testing.B) {
	for _, n := range []int{1000, 40000, 1000000} {
		w, ms, _ := benchBallots(n, 1)
		for _, set := range []*CalSettings{nil, {Method: RakingRatio}, {Method: Logit, Bounds: &[2]float64{0.3, 3}}} {
			name := "linear"
			if set != nil {
				name = set.Method.String()
			}
			b.Run(fmt.Sprintf("n=%d/%s", n, name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, _, err := Calibrate(w, ms, nil, set); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
