package sampling

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
)

// glmBenchCSV writes n generated ballots (63 province strata × 20 PSUs)
// with gender (2 levels), age_group (4) and field (6), and a satisfied 0/1
// drawn from a logistic model: 10 coefficients.
func glmBenchCSV(tb testing.TB, n int) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "glm_bench.csv")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	const H, P = 63, 20
	rng := rand.New(rand.NewPCG(11, 5))
	genders := []string{"female", "male"}
	ages := []string{"18-29", "30-44", "45-59", "60+"}
	fields := []string{"business", "civil_status", "construction", "land", "labour_social", "transport"}
	ageEff := []float64{0, -0.2, -0.3, -0.5}
	fieldEff := []float64{0, 0.3, -0.6, -0.4, -0.2, 0.1}
	psuEff := make([]float64, H*P)
	psuW := make([]float64, H*P)
	for p := range psuEff {
		psuEff[p] = 0.6 * (rng.Float64() - 0.5)
		psuW[p] = 50 + 100*rng.Float64()
	}
	w := bufio.NewWriter(f)
	w.WriteString("province,psu,weight,gender,age_group,field,satisfied\n")
	for i := 0; i < n; i++ {
		p := i * H * P / n
		g, a, fl := rng.IntN(2), rng.IntN(4), rng.IntN(6)
		eta := 1.6 + 0.1*float64(g) + ageEff[a] + fieldEff[fl] + psuEff[p]
		y := 0
		if rng.Float64() < 1/(1+math.Exp(-eta)) {
			y = 1
		}
		fmt.Fprintf(w, "P%02d,%d,%s,%s,%s,%s,%d\n", p/P, p, strconv.FormatFloat(psuW[p]*(0.8+0.4*rng.Float64()), 'g', -1, 64),
			genders[g], ages[a], fields[fl], y)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

func glmBenchData(tb testing.TB, n int) (arrow.RecordBatch, *Design, *Formula) {
	tb.Helper()
	rec, err := arrowio.ReadAll(glmBenchCSV(tb, n))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(rec.Release)
	d, err := NewDesign(rec, &DesignOptions{Weight: "weight", Strata: "province", PSU: "psu"})
	if err != nil {
		tb.Fatal(err)
	}
	f, err := ParseFormula("satisfied ~ gender + age_group + field")
	if err != nil {
		tb.Fatal(err)
	}
	return rec, d, f
}

// BenchmarkLogistic: 10 coefficients with linearized SEs, stratified
// cluster design (the design is built once).
func BenchmarkLogistic(b *testing.B) {
	for _, n := range []int{1_000, 40_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			rec, d, f := glmBenchData(b, n)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := d.Logistic(rec, f, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestLogisticSideBySideR times design + fit on 40,000 generated ballots
// against R svyglm on the same file (testdata/glm_bench_r.R) in the same
// run, and checks both give the same coefficients. Set SIPAS_BENCH_R=1.
func TestLogisticSideBySideR(t *testing.T) {
	if os.Getenv("SIPAS_BENCH_R") == "" {
		t.Skip("set SIPAS_BENCH_R=1 (needs Rscript with survey)")
	}
	const n = 40_000
	path := glmBenchCSV(t, n)
	rec, err := arrowio.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	f, _ := ParseFormula("satisfied ~ gender + age_group + field")
	const runs = 20
	var res *GLMResult
	start := time.Now()
	for r := 0; r < runs; r++ {
		d, err := NewDesign(rec, &DesignOptions{Weight: "weight", Strata: "province", PSU: "psu"})
		if err != nil {
			t.Fatal(err)
		}
		if res, err = d.Logistic(rec, f, nil); err != nil {
			t.Fatal(err)
		}
	}
	goSec := time.Since(start).Seconds() / runs
	out, err := exec.Command("Rscript", filepath.Join("..", "testdata", "glm_bench_r.R"), path).CombinedOutput()
	if err != nil {
		t.Fatalf("Rscript: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`R_SECONDS ([0-9.]+) wall`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no timing in R output:\n%s", out)
	}
	rSec, _ := strconv.ParseFloat(string(m[1]), 64)
	for _, c := range regexp.MustCompile(`R_COEF (\S+) (\S+) (\S+)`).FindAllSubmatch(out, -1) {
		j := glmTermIndex(res, string(c[1]))
		est, _ := strconv.ParseFloat(string(c[2]), 64)
		se, _ := strconv.ParseFloat(string(c[3]), 64)
		if j < 0 || !golden.Close(res.Coef[j].Estimate, est, 1e-7) || !golden.Close(res.Coef[j].SE, se, 1e-7) {
			t.Errorf("%s: R %v (%v), Go term %d", c[1], est, se, j)
		}
	}
	t.Logf("svyglm, %d coefficients on %d rows (design + fit): Go %.4f s, R %.4f s, R/Go %.1f×", len(res.Coef), n, goSec, rSec, rSec/goSec)
	if goSec > 0.2 {
		t.Errorf("Go took %.3f s per fit, want ≤ 0.2 s", goSec)
	}
}
