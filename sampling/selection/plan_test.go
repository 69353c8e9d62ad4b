package selection

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/golden"
)

// TestPlan: Yamane e = 0.1 per province with response rate 0.8 gives
// A (N = 122): 122/2.22 = 54.95, /0.8 = 68.7 → 69 issued; B (N = 87):
// 87/1.87 = 46.52, /0.8 = 58.2 → 59. Margins: each province's is
// MarginOfError (checked against R in TestMarginOfErrorAgainstR) with 0.8·n
// completes and the assumed deff; the national one is the stratified
// z √(Σ (N_h/N)² v_h) written out below. Costs 10 and 20 per ballot.
func TestPlan(t *testing.T) {
	f := selTwoProvinces()
	base := f.record(memory.DefaultAllocator)
	defer base.Release()
	rec := selWithFloat(base, "cost", func(i int) float64 {
		if f.province[i] == "A" {
			return 10
		}
		return 20
	})
	defer rec.Release()
	d := selMustDesign(t, `{"strata":["province"],"size":{"yamane":{"e":0.1,"by":["province"]}},"response_rate":0.8,
		"plan":{"deff":1.5,"deff_by":{"B":2.5},"cost":"cost"}}`)
	p, err := Plan(context.Background(), NewRecordFrame(rec), d)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rows) != 5 {
		t.Fatalf("%d rows, want 2 strata + 2 domains + total: %+v", len(p.Rows), p.Rows)
	}
	a, b, total := p.Rows[0], p.Rows[1], p.Rows[4]
	if a.Key != "A" || a.Issued != 69 || b.Key != "B" || b.Issued != 59 || total.Issued != 128 {
		t.Fatalf("issued %+v %+v %+v", a, b, total)
	}
	if a.Deff != 1.5 || b.Deff != 2.5 {
		t.Errorf("deff A %v B %v, want 1.5 (plan.deff) and 2.5 (plan.deff_by)", a.Deff, b.Deff)
	}
	wantA := MarginOfError(69*0.8, 122, 0.5, 0.95, 1.5)
	wantB := MarginOfError(59*0.8, 87, 0.5, 0.95, 2.5)
	if !golden.Close(a.MOE, wantA, 1e-12) || !golden.Close(b.MOE, wantB, 1e-12) {
		t.Errorf("MOE A %v B %v, want %v %v", a.MOE, b.MOE, wantA, wantB)
	}
	if p.Rows[2].Level != "domain" || !golden.Close(p.Rows[2].MOE, wantA, 1e-12) {
		t.Errorf("domain row %+v, want the stratum's MOE %v", p.Rows[2], wantA)
	}
	z := 1.959963984540054 // R qnorm(0.975)
	vA := 1.5 * 0.25 / (69 * 0.8) * (122 - 69*0.8) / 121
	vB := 2.5 * 0.25 / (59 * 0.8) * (87 - 59*0.8) / 86
	wa, wb := 122.0/209, 87.0/209
	wantT := z * math.Sqrt(wa*wa*vA+wb*wb*vB)
	if !golden.Close(total.MOE, wantT, 1e-12) {
		t.Errorf("total MOE %v, want %v", total.MOE, wantT)
	}
	if a.Cost != 690 || b.Cost != 1180 || total.Cost != 1870 {
		t.Errorf("costs %v %v %v, want 690 1180 1870", a.Cost, b.Cost, total.Cost)
	}
	if len(p.Notes) != 2 || !strings.Contains(p.Notes[0], "e·√deff") {
		t.Errorf("notes %q", p.Notes)
	}
	if total.N != 209 || !golden.Close(total.Expected, 128*0.8, 1e-12) {
		t.Errorf("total %+v", total)
	}
}

// TestPlanMatchesSample: the plan's issued counts are what SelectSample
// draws (main sample per stratum).
func TestPlanMatchesSample(t *testing.T) {
	f := selTwoProvinces()
	rec := f.record(memory.DefaultAllocator)
	defer rec.Release()
	d := selMustDesign(t, `{"strata":["province"],"size":{"moe":{"e":0.15,"deff":1.2}},"response_rate":0.9,
		"allocation":{"method":"power","q":0.5,"min":20},
		"stages":[{"unit":"district","method":"pps_systematic","n":2},{"unit":"row","method":"systematic","sort":["field"]}]}`)
	p, err := Plan(context.Background(), NewRecordFrame(rec), d)
	if err != nil {
		t.Fatal(err)
	}
	out, err := SelectSample(context.Background(), NewRecordFrame(rec), d, selTestRNG(5))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	got := map[string]int{}
	for _, r := range selRows(t, out, 2) {
		got[r.stratum[:1]]++
	}
	for _, r := range p.Rows[:2] {
		if got[r.Key] != r.Issued {
			t.Errorf("stratum %s: plan %d, sample %d", r.Key, r.Issued, got[r.Key])
		}
		if r.Deff != 1.2 {
			t.Errorf("deff %v, want size.moe.deff 1.2", r.Deff)
		}
	}
}
