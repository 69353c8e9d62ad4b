package selection

import (
	"context"
	"math"
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

// TestSelectRowsPPSAgainstR: a one-stage design that selects the frame's
// rows with probability proportional to a size column (testdata/
// sampling_rows.R: sampling::inclusionprobabilities on the rows of each
// province, n = 25). Every selected row's probability is R's, its weight
// the inverse, each province has 25 rows, the rows R gives probability 1
// are always drawn, and over 400 seeds each row is drawn about as often as
// its probability says (the systematic draw has those inclusion
// probabilities, as UPsystematic).
func TestSelectRowsPPSAgainstR(t *testing.T) {
	frameRec, err := arrowio.ReadAll(filepath.Join("..", "..", "testdata", "sampling", "frame_small.csv"), arrowio.WithColumns("id", "province", "field"))
	if err != nil {
		t.Fatal(err)
	}
	defer frameRec.Release()
	gold := selReadGolden(t, "frame_rows_pik.csv")
	pik := map[int64]float64{}
	size := map[int64]float64{}
	for _, r := range gold {
		id := int64(selI(t, r["id"]))
		pik[id], size[id] = selF(t, r["pik"]), selF(t, r["size"])
	}
	ids := frameRec.Column(0).(*array.Int64).Int64Values()
	sz := make([]float64, len(ids))
	for i, id := range ids {
		sz[i] = size[id]
	}
	tgt := selWithTarget(frameRec, 25)
	defer tgt.Release()
	rec := selWithFloat(tgt, "size", func(i int) float64 { return sz[i] })
	defer rec.Release()
	d := selMustDesign(t, `{"strata":["province"],"size":{"column":"n_target"},
		"stages":[{"unit":"row","method":"pps_systematic","size":"size","sort":["field"]}]}`)
	const seeds = 400
	hits := map[int64]int{}
	for seed := uint64(1); seed <= seeds; seed++ {
		out, err := SelectSample(context.Background(), NewRecordFrame(rec), d, rand.New(rand.NewPCG(seed, 9)))
		if err != nil {
			t.Fatal(err)
		}
		n := map[string]int{}
		for _, r := range selRows(t, out, 1) {
			n[r.stratum]++
			hits[r.id]++
			if p := pik[r.id]; !golden.Close(r.pis[0], p, 1e-12) || !golden.Close(r.w, 1/p, 1e-12) {
				t.Fatalf("seed %d row %d: pi %v weight %v, R pik %v", seed, r.id, r.pis[0], r.w, p)
			}
		}
		for p, c := range n {
			if c != 25 {
				t.Errorf("seed %d province %s: %d rows", seed, p, c)
			}
		}
		out.Release()
	}
	certain, far := 0, 0
	for id, p := range pik {
		if p == 1 {
			certain++
			if hits[id] != seeds {
				t.Errorf("row %d (probability 1) drawn %d of %d times", id, hits[id], seeds)
			}
			continue
		}
		// |freq − p| beyond 4 binomial SEs: about 1 row in 16,000 by chance
		if se := math.Sqrt(p * (1 - p) / seeds); math.Abs(float64(hits[id])/seeds-p) > 4*se+1.0/seeds {
			far++
		}
	}
	if certain == 0 || far > 2 {
		t.Errorf("%d certainty rows; %d rows drawn far from their probability", certain, far)
	}

	// bad input: no size column named, a row of size 0
	if _, err := ParseSampleDesign(strings.NewReader(`{"strata":["province"],"size":{"column":"n_target"},"stages":[{"unit":"row","method":"pps_systematic"}]}`)); err == nil || !strings.Contains(err.Error(), "stages[0].size") {
		t.Errorf("row pps without size: %v", err)
	}
	zero := selWithFloat(tgt, "size", func(i int) float64 { return float64(i % 5) })
	defer zero.Release()
	if _, err := SelectSample(context.Background(), NewRecordFrame(zero), d, rand.New(rand.NewPCG(1, 9))); err == nil || !strings.Contains(err.Error(), `"size"`) || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("row of size 0: %v", err)
	}
}
