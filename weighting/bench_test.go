package weighting

import (
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// benchBallots makes n synthetic ballots with four raking margins (63
// provinces, 3 levels, 2 genders, 5 age groups), design weights and
// population totals that differ from the weighted sample by up to ±20% per
// category (all margins sum to one N). Deterministic for a seed.
func benchBallots(n int, seed uint64) (w []float64, margins []Margin, names [4][]string) {
	r := rand.New(rand.NewPCG(seed, 99))
	sizes := [4]int{63, 3, 2, 5}
	prefix := [4]string{"P", "L", "G", "A"}
	idx := [4][]int32{}
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
	}
	var total float64
	for _, v := range w {
		total += v
	}
	N := 1.1 * total
	for j := range sizes {
		s, _ := classSums(w, idx[j], sizes[j])
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
	return w, margins, names
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
	w, ms, _ := benchBallots(40000, 1)
	f, err := os.Create(filepath.Join(dir, "ballots.csv"))
	if err != nil {
		t.Fatal(err)
	}
	cw := csv.NewWriter(f)
	cw.Write([]string{"province", "level", "gender", "age", "w"})
	for i := range w {
		cw.Write([]string{ms[0].Labels[ms[0].Index[i]], ms[1].Labels[ms[1].Index[i]], ms[2].Labels[ms[2].Index[i]], ms[3].Labels[ms[3].Index[i]], strconv.FormatFloat(w[i], 'g', -1, 64)})
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
