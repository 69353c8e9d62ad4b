package weighting

import (
	"context"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/sampling"
)

// readRepWeights reads testdata/weighting/rep_apiclus1_CASE.csv: one slice
// per replicate.
func readRepWeights(t *testing.T, cs string) [][]float64 {
	hdr, rows := readCSV(t, filepath.Join("..", "testdata", "weighting", "rep_apiclus1_"+cs+".csv"))
	out := make([][]float64, len(hdr)-1)
	for j := range out {
		out[j] = make([]float64, len(rows))
		for i, r := range rows {
			v, err := strconv.ParseFloat(r[j+1], 64)
			if err != nil {
				t.Fatal(err)
			}
			out[j][i] = v
		}
	}
	return out
}

// TestReplicatesReweighted: re-running each step with Plan.Run on every JK1
// replicate weight of apiclus1 gives R's svyrep postStratify / rake /
// calibrate replicate weights (testdata/weighting.R) at 1e-8.
func TestReplicatesReweighted(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rec := apiRecord(t, mem, "apiclus1")
	defer rec.Release()
	specs := goldenSpecs("apiclus1")
	specs["cal_logit"] = strings.Replace(specs["cal_logit"], "[0.85, 1.7]", "[0.4, 3.5]", 1)
	base := readRepWeights(t, "none")
	if len(base) != 15 {
		t.Fatalf("%d replicates", len(base))
	}
	for _, cs := range []string{"ps", "rake", "cal_linear", "cal_raking", "cal_logit"} {
		want := readRepWeights(t, cs)
		plan, err := Compile(mustSpec(t, specs[cs]), rec)
		if err != nil {
			t.Fatal(err)
		}
		plan.Lean = true
		for r, w := range base {
			res, err := plan.Run(w)
			if err != nil {
				t.Fatalf("%s replicate %d: %v", cs, r+1, err)
			}
			for i := range w {
				if e := relErr(res.Weights[i], want[r][i]); e > 1e-8 {
					t.Errorf("%s replicate %d row %d: %.17g, R %.17g", cs, r+1, i+1, res.Weights[i], want[r][i])
					break
				}
			}
		}
	}
}

// TestApplyReplicatesR: the whole path — JK1 replicates of apiclus1 built by
// package sampling, every step re-run per replicate, written next to the
// final weight, read back as supplied replicate weights — gives R's
// replicate weights (1e-8) and R's replicate SEs of svymean(~api00) and
// svytotal(~enroll) with mse FALSE and TRUE (1e-7).
func TestApplyReplicatesR(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rec := apiRecord(t, mem, "apiclus1")
	defer rec.Release()
	specs := goldenSpecs("apiclus1")
	specs["cal_logit"] = strings.Replace(specs["cal_logit"], "[0.85, 1.7]", "[0.4, 3.5]", 1)
	specs["none"] = `{"design_weight": "pw"}`
	_, seRows := readCSV(t, filepath.Join("..", "testdata", "weighting", "se_rep_apiclus1.csv"))
	for _, cs := range []string{"none", "ps", "rake", "cal_linear", "cal_raking", "cal_logit"} {
		js := strings.TrimSuffix(specs[cs], "}") + `, "replicates": {"type": "jk1", "psu": "dnum", "fpc": "fpc"}}`
		spec := mustSpec(t, js)
		res, reps, err := ApplyReplicates(context.Background(), spec, rec)
		if err != nil {
			t.Fatalf("%s: %v", cs, err)
		}
		want := readRepWeights(t, cs)
		if len(reps.Weights) != len(want) {
			t.Fatalf("%s: %d replicates, R %d", cs, len(reps.Weights), len(want))
		}
		// match replicates to R's columns by the deleted PSU (first zero row)
		firstZero := func(w []float64) int {
			for i, v := range w {
				if v == 0 {
					return i
				}
			}
			return -1
		}
		byZero := map[int]int{}
		for r, w := range want {
			byZero[firstZero(w)] = r
		}
		for r, w := range reps.Weights {
			rr, ok := byZero[firstZero(w)]
			if !ok {
				t.Fatalf("%s: replicate %d deletes no PSU that R deletes", cs, r+1)
			}
			for i := range w {
				if e := relErr(w[i], want[rr][i]); e > 1e-8 {
					t.Errorf("%s replicate %d row %d: %.17g, R %.17g", cs, r+1, i+1, w[i], want[rr][i])
					break
				}
			}
		}
		out := AppendWeights(mem, rec, spec.Output, res.Weights, reps)
		compared := 0
		for _, mse := range []bool{false, true} {
			mse := mse
			d, err := sampling.NewDesign(out, &sampling.DesignOptions{Weight: "weight", RepWeightsPrefix: "repw_", RepType: "jk1",
				RepScale: reps.Scale, RepRScales: reps.RScales, MSE: &mse, Variance: sampling.SuppliedReplicates})
			if err != nil {
				t.Fatal(err)
			}
			m, err := d.Mean(out, []string{"api00"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			tot, err := d.Total(out, []string{"enroll"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range seRows {
				if r[0] != cs || r[1] != strings.ToUpper(strconv.FormatBool(mse)) {
					continue
				}
				e := m[0]
				if r[2] == "total" {
					e = tot[0]
				}
				wantEst, _ := strconv.ParseFloat(r[4], 64)
				wantSE, _ := strconv.ParseFloat(r[5], 64)
				if relErr(e.Estimate, wantEst) > 1e-9 {
					t.Errorf("%s mse=%v %s: estimate %.12g, R %.12g", cs, mse, r[2], e.Estimate, wantEst)
				}
				compared++
				ok := relErr(e.SE, wantSE) < 1e-7
				if wantSE < 1e-12*math.Abs(wantEst) {
					ok = e.SE < 1e-9*math.Abs(wantEst)
				}
				if !ok {
					t.Errorf("%s mse=%v %s: SE %.12g, R %.12g", cs, mse, r[2], e.SE, wantSE)
				}
			}
		}
		if compared != 4 {
			t.Errorf("%s: %d SEs compared, want 4", cs, compared)
		}
		out.Release()
	}
}
