package sampling

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
)

// ctBenchCSV writes n generated ballots (63 province strata × 20 PSUs)
// with 22 satisfied/not satisfied criteria c1..c22 (about 5 % missing).
func ctBenchCSV(tb testing.TB, n int) string {
	tb.Helper()
	const H, P, K = 63, 20, 22
	rng := rand.New(rand.NewPCG(3, 17))
	psuP := make([]float64, H*P)
	psuW := make([]float64, H*P)
	for p := range psuP {
		psuP[p] = 0.65 + 0.3*rng.Float64()
		psuW[p] = 50 + 100*rng.Float64()
	}
	head := "province,psu,weight"
	for k := 1; k <= K; k++ {
		head += fmt.Sprintf(",c%d", k)
	}
	return benchCSV(tb, "contrast_bench.csv", head, n, func(w *bufio.Writer, i int) {
		p := i * H * P / n
		fmt.Fprintf(w, "P%02d,%d,%s", p/P, p, strconv.FormatFloat(psuW[p]*(0.8+0.4*rng.Float64()), 'g', -1, 64))
		for k := 0; k < K; k++ {
			switch u := rng.Float64(); {
			case u < 0.05:
				w.WriteString(",")
			case rng.Float64() < psuP[p]:
				w.WriteString(",1")
			default:
				w.WriteString(",0")
			}
		}
	})
}

// benchCSV writes a generated CSV file name in a test directory: the header
// line head, then row(w, i) for i < n (each row without its newline).
func benchCSV(tb testing.TB, name, head string, n int, row func(w *bufio.Writer, i int)) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString(head + "\n")
	for i := 0; i < n; i++ {
		row(w, i)
		w.WriteString("\n")
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// benchR runs the R script testdata/script on path and returns its output
// with the wall and CPU seconds it reports (a line "R_SECONDS W wall C cpu").
func benchR(t *testing.T, script, path string) (out []byte, wall, cpu float64) {
	t.Helper()
	out, err := exec.Command("Rscript", filepath.Join("..", "testdata", script), path).CombinedOutput()
	if err != nil {
		t.Fatalf("Rscript: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`R_SECONDS ([0-9.]+) wall ([0-9.]+) cpu`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no timing in R output:\n%s", out)
	}
	wall, _ = strconv.ParseFloat(string(m[1]), 64)
	cpu, _ = strconv.ParseFloat(string(m[2]), 64)
	return out, wall, cpu
}

// ctBenchAll is every pair of the 63 provinces (1,953 contrasts) and the
// 22 criterion means.
func ctBenchAll() ([]Estimand, [][]DomainCoef) {
	var est []Estimand
	for k := 1; k <= 22; k++ {
		est = append(est, Estimand{Statistic: StatMean, Num: "c" + strconv.Itoa(k)})
	}
	var cs [][]DomainCoef
	for a := 0; a < 63; a++ {
		for b := a + 1; b < 63; b++ {
			cs = append(cs, []DomainCoef{{a, 1}, {b, -1}})
		}
	}
	return est, cs
}

func ctBenchData(tb testing.TB, path string) (arrow.RecordBatch, *Design) {
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

// BenchmarkEstimateContrasts: every pair of 63 provinces for 22 criteria
// (42,966 contrasts), stratified cluster design built once.
func BenchmarkEstimateContrasts(b *testing.B) {
	est, cs := ctBenchAll()
	for _, n := range []int{1_000, 40_000, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			rec, d := ctBenchData(b, ctBenchCSV(b, n))
			opt := &EstimateOptions{By: []string{"province"}}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := d.EstimateContrasts(rec, est, cs, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestContrastsSideBySideR times the 1,953 pairwise province contrasts of
// 22 criteria on 40,000 generated ballots against R (svyby(covmat = TRUE)
// and svycontrast, testdata/contrast_bench_r.R) on the same file in the
// same run, and checks a few contrasts agree. Set SIPAS_BENCH_R=1.
func TestContrastsSideBySideR(t *testing.T) {
	if os.Getenv("SIPAS_BENCH_R") == "" {
		t.Skip("set SIPAS_BENCH_R=1 (needs Rscript with survey)")
	}
	path := ctBenchCSV(t, 40_000)
	rec, d := ctBenchData(t, path)
	est, cs := ctBenchAll()
	opt := &EstimateOptions{By: []string{"province"}}
	const runs = 10
	var res []ContrastEstimate
	start, cpu0 := time.Now(), ctCPU()
	for r := 0; r < runs; r++ {
		var err error
		if res, err = d.EstimateContrasts(rec, est, cs, opt); err != nil {
			t.Fatal(err)
		}
	}
	goSec, goCPU := time.Since(start).Seconds()/runs, (ctCPU()-cpu0)/runs
	out, rSec, rCPU := benchR(t, "contrast_bench_r.R", path)
	checked := 0
	for _, c := range regexp.MustCompile(`R_CONTRAST (\d+) (\d+) (\S+) (\S+)`).FindAllSubmatch(out, -1) {
		k, _ := strconv.Atoi(string(c[1]))
		ci, _ := strconv.Atoi(string(c[2]))
		e, _ := strconv.ParseFloat(string(c[3]), 64)
		se, _ := strconv.ParseFloat(string(c[4]), 64)
		g := res[(ci-1)*len(est)+k-1]
		if !golden.Close(g.Estimate, e, 1e-9) || !golden.Close(g.SE, se, 1e-9) {
			t.Errorf("criterion %d contrast %d: %v (%v), R %v (%v)", k, ci, g.Estimate, g.SE, e, se)
		}
		checked++
	}
	if checked == 0 {
		t.Errorf("no contrast compared:\n%s", out)
	}
	t.Logf("1,953 province contrasts × 22 criteria on 40,000 rows: CPU Go %.4f s, R %.2f s, R/Go %.0f×; wall Go %.4f s, R %.2f s",
		goCPU, rCPU, rCPU/goCPU, goSec, rSec)
	// CPU time: on a shared machine the wall clock measures the others too
	if goCPU > 0.2 {
		t.Errorf("Go took %.3f s of CPU, want ≤ 0.2 s", goCPU)
	}
}

// ctCPU is the CPU time of the process so far, in seconds.
func ctCPU() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
