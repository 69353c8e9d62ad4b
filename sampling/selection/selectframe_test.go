package selection

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
)

// TestSelectSampleAgainstR draws the design of testdata/sampling.R §4 from
// the register it wrote (frame_small.csv) with 40 seeds and checks every
// selected row against R: pi_1 is the district's probability and pi_2 the
// commune's (sampling::inclusionprobabilities, the capital for certain),
// and the main sample of each stratum has R's Yamane-and-allocation size.
func TestSelectSampleAgainstR(t *testing.T) {
	rec, err := arrowio.ReadAll(filepath.Join("..", "..", "testdata", "sampling", "frame_small.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	pik := map[string]float64{}
	for _, r := range selReadGolden(t, "frame_small_pik.csv") {
		pik[r["stratum"]+"|"+r["stage"]+"|"+r["unit"]] = selF(t, r["pik"])
	}
	wantN := map[string]int{}
	for _, r := range selReadGolden(t, "frame_small_n.csv") {
		wantN[r["stratum"]] = selI(t, r["n"])
	}
	d := selMustDesign(t, `{"strata":["province","level"],"size":{"yamane":{"e":0.1,"by":["province"]}},
		"response_rate":0.9,"allocation":{"method":"proportional","min":10},
		"stages":[{"unit":"district","method":"pps_systematic","n":3,"certainty":{"column":"is_capital"}},
		  {"unit":"commune","method":"pps_systematic","n":2},
		  {"unit":"row","method":"systematic","sort":["field"]}]}`)
	frame := NewRecordFrame(rec)
	checked := 0
	for seed := uint64(1); seed <= 40; seed++ {
		out, err := SelectSample(context.Background(), frame, d, rand.New(rand.NewPCG(seed, 3)))
		if err != nil {
			t.Fatal(err)
		}
		dist := selColumn(out, "district").(*array.String)
		comm := selColumn(out, "commune").(*array.String)
		n := map[string]int{}
		for i, r := range selRows(t, out, 3) {
			base, _, _ := strings.Cut(r.stratum, "/")
			n[base]++
			p1, ok1 := pik[base+"|1|"+dist.Value(i)]
			p2, ok2 := pik[base+"|2|"+comm.Value(i)]
			if !ok1 || !ok2 {
				t.Fatalf("seed %d: no R value for %s %s %s", seed, base, dist.Value(i), comm.Value(i))
			}
			if !golden.Close(r.pis[0], p1, 1e-9) || !golden.Close(r.pis[1], p2, 1e-9) {
				t.Errorf("seed %d %s %s: pi_1 %v pi_2 %v, R %v %v", seed, base, comm.Value(i), r.pis[0], r.pis[1], p1, p2)
			}
			checked++
		}
		for s, w := range wantN {
			if n[s] != w {
				t.Errorf("seed %d stratum %s: %d rows, R %d", seed, s, n[s], w)
			}
		}
		out.Release()
	}
	if checked < 10000 {
		t.Errorf("only %d rows checked", checked)
	}
}
