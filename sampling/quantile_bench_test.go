package sampling

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
)

// qsBenchCSV writes n generated ballots (63 province strata × 20 PSUs) with
// a waiting time in minutes to one decimal (lognormal, PSU effects, many
// ties, about 3 % missing).
func qsBenchCSV(tb testing.TB, n int) string {
	tb.Helper()
	const H, P = 63, 20
	rng := rand.New(rand.NewPCG(5, 23))
	psuMu := make([]float64, H*P)
	psuW := make([]float64, H*P)
	for p := range psuMu {
		psuMu[p] = 3 + 0.4*rng.NormFloat64()
		psuW[p] = 50 + 100*rng.Float64()
	}
	return benchCSV(tb, "quantile_bench.csv", "province,psu,weight,wait", n, func(w *bufio.Writer, i int) {
		p := i * H * P / n
		fmt.Fprintf(w, "P%02d,%d,%s,", p/P, p, strconv.FormatFloat(psuW[p]*(0.8+0.4*rng.Float64()), 'g', -1, 64))
		if rng.Float64() >= 0.03 {
			w.WriteString(strconv.FormatFloat(math.Round(10*math.Exp(psuMu[p]+0.7*rng.NormFloat64()))/10, 'f', -1, 64))
		}
	})
}

func qsBenchData(tb testing.TB, path string) (arrow.RecordBatch, *Design) {
	tb.Helper()
	rec, err := arrowio.ReadAll(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(rec.Release)
	d, err := NewDesign(rec, &DesignOptions{Weight: "weight", Strata: "province", PSU: "psu"})
	if err != nil {
		tb.Fatal(err)
	}
	return rec, d
}

var qsBenchOpt = &QuantileOptions{By: []string{"province"}}

// BenchmarkQuantiles: median and 90th percentile of the waiting time by 63
// provinces with Woodruff intervals, stratified cluster design built once.
func BenchmarkQuantiles(b *testing.B) {
	for _, n := range []int{40_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			rec, d := qsBenchData(b, qsBenchCSV(b, n))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := d.Quantiles(rec, []string{"wait"}, []float64{0.5, 0.9}, qsBenchOpt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestQuantilesSideBySideR times the median and 90th percentile of one
// variable by 63 provinces with Woodruff intervals against R (svyby with
// svyquantile, testdata/quantile_bench_r.R) on the same generated file in
// the same run, checks a few agree, and times Go alone on 1,000,000 rows
// (≤ 1 s of CPU). R runs on SIPAS_BENCH_R_ROWS rows (default 100,000: it
// takes minutes at 1,000,000). Set SIPAS_BENCH_R=1.
func TestQuantilesSideBySideR(t *testing.T) {
	if os.Getenv("SIPAS_BENCH_R") == "" {
		t.Skip("set SIPAS_BENCH_R=1 (needs Rscript with survey)")
	}
	nR := 100_000
	if s := os.Getenv("SIPAS_BENCH_R_ROWS"); s != "" {
		var err error
		if nR, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	time1 := func(rec arrow.RecordBatch, d *Design, runs int) ([]Quantile, float64, float64) {
		var res []Quantile
		start, cpu0 := time.Now(), ctCPU()
		for r := 0; r < runs; r++ {
			var err error
			if res, err = d.Quantiles(rec, []string{"wait"}, []float64{0.5, 0.9}, qsBenchOpt); err != nil {
				t.Fatal(err)
			}
		}
		return res, time.Since(start).Seconds() / float64(runs), (ctCPU() - cpu0) / float64(runs)
	}
	path := qsBenchCSV(t, nR)
	rec, d := qsBenchData(t, path)
	res, goSec, goCPU := time1(rec, d, 5)
	out, rSec, rCPU := benchR(t, "quantile_bench_r.R", path)
	checked := 0
	for _, c := range regexp.MustCompile(`R_QUANTILE (\d+) (\d+) (\S+) (\S+)`).FindAllSubmatch(out, -1) {
		g, _ := strconv.Atoi(string(c[1]))
		j, _ := strconv.Atoi(string(c[2]))
		q := res[(g-1)*2+j-1]
		for k, got := range []float64{q.Estimate.Estimate, q.SE} {
			want, _ := strconv.ParseFloat(string(c[3+k]), 64)
			if !golden.Close(got, want, 1e-9) {
				t.Errorf("province %d quantile %d: %v, R %v", g, j, got, want)
			}
		}
		checked++
	}
	if checked == 0 {
		t.Errorf("no quantile compared:\n%s", out)
	}
	t.Logf("median and p90 by 63 provinces, Woodruff, %d rows: CPU Go %.4f s, R %.2f s, R/Go %.0f×; wall Go %.4f s, R %.2f s",
		nR, goCPU, rCPU, rCPU/goCPU, goSec, rSec)
	rec1, d1 := qsBenchData(t, qsBenchCSV(t, 1_000_000))
	_, sec1, cpu1 := time1(rec1, d1, 3)
	t.Logf("the same on 1,000,000 rows: CPU Go %.3f s, wall %.3f s", cpu1, sec1)
	// CPU time: on a shared machine the wall clock measures the others too
	if cpu1 > 1 {
		t.Errorf("Go took %.3f s of CPU on 1,000,000 rows, want ≤ 1 s", cpu1)
	}
}
