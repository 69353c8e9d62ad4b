package weighting

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
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
