package sampling

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
)

// BenchmarkLikelihood: the share of satisfied ballots by 63 provinces
// with the likelihood interval, against the logit interval (the design is
// built once), on the generated ballots of the svyglm benchmark.
func BenchmarkLikelihood(b *testing.B) {
	for _, n := range []int{40_000} {
		rec, d, _ := glmBenchData(b, n)
		for _, m := range []CIMethod{Logit, Likelihood} {
			b.Run(strconv.Itoa(n)+"/"+m.String(), func(b *testing.B) {
				o := &EstimateOptions{By: []string{"province"}, CI: m, DF: DFDomain}
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					if _, err := d.Mean(rec, []string{"satisfied"}, o); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestLikelihoodSideBySideR times design + likelihood intervals by 63
// provinces on 40,000 generated ballots against R svyby(svyciprop(method
// = "likelihood")) on the same file (testdata/cilik_bench_r.R) in the same
// run, and checks both give the same intervals. Set SIPAS_BENCH_R=1.
func TestLikelihoodSideBySideR(t *testing.T) {
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
	const runs = 10
	var res []Estimate
	start := time.Now()
	for r := 0; r < runs; r++ {
		d, err := NewDesign(rec, &DesignOptions{Weight: "weight", Strata: "province", PSU: "psu"})
		if err != nil {
			t.Fatal(err)
		}
		if res, err = d.Mean(rec, []string{"satisfied"}, &EstimateOptions{By: []string{"province"}, CI: Likelihood, DF: DFDomain}); err != nil {
			t.Fatal(err)
		}
	}
	goSec := time.Since(start).Seconds() / runs
	out, err := exec.Command("Rscript", filepath.Join("..", "testdata", "cilik_bench_r.R"), path).CombinedOutput()
	if err != nil {
		t.Fatalf("Rscript: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`R_SECONDS ([0-9.]+) wall`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no timing in R output:\n%s", out)
	}
	rSec, _ := strconv.ParseFloat(string(m[1]), 64)
	cis := regexp.MustCompile(`R_CI (\S+) (\S+) (\S+)`).FindAllSubmatch(out, -1)
	if len(cis) != len(res) {
		t.Fatalf("R gave %d intervals, Go %d", len(cis), len(res))
	}
	for i, c := range cis {
		lo, _ := strconv.ParseFloat(string(c[2]), 64)
		hi, _ := strconv.ParseFloat(string(c[3]), 64)
		if res[i].Domain[0].Value != string(c[1]) || !golden.Close(res[i].CILow, lo, 1e-7) || !golden.Close(res[i].CIHigh, hi, 1e-7) {
			t.Errorf("%s: R [%v, %v], Go %s [%v, %v]", c[1], lo, hi, res[i].Domain[0].Value, res[i].CILow, res[i].CIHigh)
		}
	}
	t.Logf("likelihood intervals by %d provinces on %d rows (design + estimates): Go %.4f s, R %.4f s, R/Go %.0f×", len(res), n, goSec, rSec, rSec/goSec)
}
