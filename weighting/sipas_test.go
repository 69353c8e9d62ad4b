package weighting

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
)

// sipasRecord reads the columns of the synthetic SIPAS survey
// (testdata/index/sipas_small.csv) that the weighting goldens use.
func sipasRecord(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
	t.Helper()
	rec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "index", "sipas_small.csv"), arrowio.WithAllocator(mem),
		arrowio.WithColumns("province", "stratum", "psu", "fpc", "weight", "level", "gender", "age_group", "education", "access_1"))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestGoldenSIPAS runs the WEIGHTING.json files written by
// testdata/weighting.R on the synthetic SIPAS survey
// (testdata/index/sipas_small.csv: 63 provinces × 3 communes, a joint
// gender:age_group margin with Vietnamese labels) and compares the final
// weights with R at 1e-8, the calibration-aware linearized SE of
// svymean(~access_1) (through VarianceInfo) and the JKn replicate SE with
// every step re-run per replicate at 1e-7.
func TestGoldenSIPAS(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	dir := filepath.Join("..", "testdata", "weighting")
	rec := sipasRecord(t, mem)
	defer rec.Release()
	want := goldenWeights(t, "sipas")
	_, seRows := readCSV(t, filepath.Join(dir, "se_sipas.csv"))
	strata, _ := ClassesOf(rec, []string{"stratum"})
	psu, _ := ClassesOf(rec, []string{"psu"})
	fpc, err := numericColumn(rec, "fpc")
	if err != nil {
		t.Fatal(err)
	}
	y, err := numericColumn(rec, "access_1")
	if err != nil {
		t.Fatal(err)
	}
	str := func(cl Classes) []string {
		out := make([]string, len(cl.Index))
		for i, c := range cl.Index {
			out[i] = cl.Labels[c]
		}
		return out
	}
	sStr, pStr := str(strata), str(psu)
	for cs, w := range want {
		t.Run(cs, func(t *testing.T) {
			js, err := os.ReadFile(filepath.Join(dir, "sipas_"+cs+".json"))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Apply(mustSpec(t, string(js)), rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := range w {
				if e := relErr(res.Weights[i], w[i]); e > 1e-8 {
					t.Fatalf("row %d: %.17g, R %.17g", i+1, res.Weights[i], w[i])
				}
			}
			// linearized SE of the mean with the calibration residuals
			var sw, swy float64
			for i, wi := range res.Weights {
				sw += wi
				swy += wi * y[i]
			}
			mean := swy / sw
			z := make([]float64, len(y))
			for i, wi := range res.Weights {
				z[i] = wi * (y[i] - mean) / sw
			}
			res.AdjustInfluence(z)
			seLin := math.Sqrt(linVar(z, sStr, pStr, fpc))
			// JKn replicates, every step re-run per replicate
			spec := mustSpec(t, strings.TrimSuffix(strings.TrimSpace(string(js)), "}")+`, "replicates": {"type": "jkn", "strata": "stratum", "psu": "psu", "fpc": "fpc"}}`)
			_, reps, err := ApplyReplicates(context.Background(), spec, rec)
			if err != nil {
				t.Fatal(err)
			}
			out := AppendWeights(mem, rec, spec.Output, res.Weights, reps)
			defer out.Release()
			mse := true
			d, err := sampling.NewDesign(out, &sampling.DesignOptions{Weight: "weight", RepWeightsPrefix: "repw_", RepType: "jkn",
				RepScale: reps.Scale, RepRScales: reps.RScales, MSE: &mse, Variance: sampling.SuppliedReplicates})
			if err != nil {
				t.Fatal(err)
			}
			est, err := d.Mean(out, []string{"access_1"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, r := range seRows {
				if r[0] != cs {
					continue
				}
				wantEst, _ := strconv.ParseFloat(r[2], 64)
				wantSE, _ := strconv.ParseFloat(r[3], 64)
				got := seLin
				if r[1] == "jkn_mse" {
					got = est[0].SE
				}
				n++
				if relErr(mean, wantEst) > 1e-9 || relErr(est[0].Estimate, wantEst) > 1e-9 {
					t.Errorf("%s: mean %.12g / %.12g, R %.12g", r[1], mean, est[0].Estimate, wantEst)
				}
				if relErr(got, wantSE) > 1e-7 {
					t.Errorf("%s: SE %.12g, R %.12g (rel %.3g)", r[1], got, wantSE, relErr(got, wantSE))
				}
			}
			if n != 2 {
				t.Errorf("%d SE rows for %s", n, cs)
			}
		})
	}
}
