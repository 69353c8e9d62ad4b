package selection

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
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

// TestPlanAndSampleAgree: the rows the selected units can hold, found by
// enumerating every draw of two districts and one commune in each, bound
// both commands alike: a count above the most is refused by Plan and by
// SelectSample whatever the seed; at most the fewest, every draw meets it
// and the plan notes nothing; in between, the plan names the stratum and a
// draw that falls short takes every row of its units and records it.
func TestPlanAndSampleAgree(t *testing.T) {
	f := selTwoProvinces()
	base := f.record(memory.DefaultAllocator)
	defer base.Release()
	const design = `{"strata":["province"],"size":{"column":"n_target"},
		"stages":[{"unit":"district","method":"srs","n":2},{"unit":"commune","method":"srs","n":1},{"unit":"row","method":"srs"}]}`
	d := selMustDesign(t, design)
	// brute force: rows of every commune, by district, by province
	rows := map[string]map[string]map[string]int{}
	for i := range f.id {
		p, di, c := f.province[i], f.district[i], f.commune[i]
		if rows[p] == nil {
			rows[p] = map[string]map[string]int{}
		}
		if rows[p][di] == nil {
			rows[p][di] = map[string]int{}
		}
		rows[p][di][c]++
	}
	lo, hi := map[string]int{}, map[string]int{}
	for p, ds := range rows {
		var dists []map[string]int
		for _, cs := range ds {
			dists = append(dists, cs)
		}
		lo[p], hi[p] = 1<<30, 0
		for a := range dists {
			for b := a + 1; b < len(dists); b++ {
				for _, ra := range dists[a] {
					for _, rb := range dists[b] {
						lo[p], hi[p] = min(lo[p], ra+rb), max(hi[p], ra+rb)
					}
				}
			}
		}
	}
	if lo["A"] != 14 || hi["A"] != 45 || lo["B"] != 17 || hi["B"] != 45 {
		t.Fatalf("enumeration: lo %v hi %v", lo, hi)
	}
	run := func(target int64, seed uint64) (*SamplePlan, error, arrow.RecordBatch, error) {
		r := selWithTarget(base, target)
		defer r.Release()
		p, perr := Plan(context.Background(), NewRecordFrame(r), d)
		out, serr := SelectSample(context.Background(), NewRecordFrame(r), d, selTestRNG(seed))
		return p, perr, out, serr
	}
	// above the most: both refuse, naming the stratum
	for seed := uint64(1); seed <= 5; seed++ {
		_, perr, out, serr := run(46, seed)
		if out != nil {
			out.Release()
		}
		if !errors.Is(perr, ErrCountsNotMet) || !errors.Is(serr, ErrCountsNotMet) || !strings.Contains(serr.Error(), "at most 45") {
			t.Fatalf("46 rows: plan %v, sample %v", perr, serr)
		}
	}
	// at most the fewest of both provinces: certain
	p, perr, out, serr := run(14, 1)
	if perr != nil || serr != nil {
		t.Fatalf("14 rows: plan %v, sample %v", perr, serr)
	}
	out.Release()
	for _, r := range p.Rows[:2] {
		if int(r.MinRows) != lo[r.Key] {
			t.Errorf("stratum %s: MinRows %d, enumeration %d", r.Key, r.MinRows, lo[r.Key])
		}
	}
	for _, n := range p.Notes {
		if strings.Contains(n, "fewer rows") {
			t.Errorf("14 rows: the plan notes a risk: %s", n)
		}
	}
	// in between: the plan names both strata; some draws fall short
	short := 0
	for seed := uint64(1); seed <= 40; seed++ {
		p, perr, out, serr := run(30, seed)
		if perr != nil || serr != nil {
			t.Fatalf("30 rows, seed %d: plan %v, sample %v", seed, perr, serr)
		}
		if seed == 1 {
			note := strings.Join(p.Notes, " ")
			if !strings.Contains(note, "In 2 strata") || !strings.Contains(note, "A (30 ballots, at least 14 rows)") {
				t.Errorf("30 rows: the plan does not name the strata at risk: %q", note)
			}
		}
		sf, err := Shortfalls(out)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, r := range selRows(t, out, 3) {
			got[r.stratum[:1]]++
			if r.pis[2] > 1 {
				t.Errorf("seed %d: row probability %v", seed, r.pis[2])
			}
		}
		for _, s := range sf {
			short++
			if s.Count != 30 || s.Rows != got[s.Stratum] || s.Rows >= 30 {
				t.Errorf("seed %d: shortfall %+v, sample has %d rows", seed, s, got[s.Stratum])
			}
		}
		for st, n := range got {
			if n != 30 && !slices.ContainsFunc(sf, func(s Shortfall) bool { return s.Stratum == st }) {
				t.Errorf("seed %d: stratum %s has %d rows without a shortfall", seed, st, n)
			}
		}
		out.Release()
	}
	if short == 0 {
		t.Error("no draw fell short of 30 rows in 40 seeds")
	}
}

// TestPlanDeffBelowOne: a design effect below 1 (last year's 0.25 of a
// province with few PSUs) is planned with 1, and the plan's warnings name
// the field, the domain and the value; the margin is the one with deff 1.
// A deff of 1 or more is kept as given and warns nothing.
func TestPlanDeffBelowOne(t *testing.T) {
	f := selTwoProvinces()
	rec := f.record(memory.DefaultAllocator)
	defer rec.Release()
	d := selMustDesign(t, `{"strata":["province"],"size":{"yamane":{"e":0.1,"by":["province"]}},"response_rate":0.8,
		"plan":{"deff":1.5,"deff_by":{"B":0.25}}}`)
	p, err := Plan(context.Background(), NewRecordFrame(rec), d)
	if err != nil {
		t.Fatal(err)
	}
	a, b := p.Rows[0], p.Rows[1]
	if a.Deff != 1.5 || b.Deff != 1 {
		t.Errorf("deff A %v B %v, want 1.5 (plan.deff) and 1 (plan.deff_by 0.25 raised to 1)", a.Deff, b.Deff)
	}
	if want := MarginOfError(59*0.8, 87, 0.5, 0.95, 1); !golden.Close(b.MOE, want, 1e-12) {
		t.Errorf("MOE B %v, want %v (deff 1)", b.MOE, want)
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], `0.25 (plan.deff_by["B"])`) || !strings.Contains(p.Warnings[0], `planned with 1 in stratum "B"`) {
		t.Errorf("warnings %q, want one naming plan.deff_by[\"B\"] 0.25 and stratum B", p.Warnings)
	}

	// A deff column below 1 in both strata: one warning per value.
	low := selWithFloat(rec, "deff", func(i int) float64 { return 0.5 })
	defer low.Release()
	d = selMustDesign(t, `{"strata":["province"],"size":{"total":60},"plan":{"deff_column":"deff"}}`)
	p, err = Plan(context.Background(), NewRecordFrame(low), d)
	if err != nil {
		t.Fatal(err)
	}
	if p.Rows[0].Deff != 1 || p.Rows[1].Deff != 1 || len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], `0.5 (in column "deff")`) || !strings.Contains(p.Warnings[0], `strata "A", "B"`) {
		t.Errorf("deffs %v %v, warnings %q", p.Rows[0].Deff, p.Rows[1].Deff, p.Warnings)
	}

	d = selMustDesign(t, `{"strata":["province"],"size":{"total":60},"plan":{"deff":1}}`)
	if p, err = Plan(context.Background(), NewRecordFrame(rec), d); err != nil || len(p.Warnings) != 0 {
		t.Errorf("deff 1: warnings %q, err %v", p.Warnings, err)
	}
}

// TestResponseRateZero: "response_rate": 0 in a DESIGN.json is refused
// naming the field (it read as 1 before: a design that expects no ballot
// back planned as if every ballot came back); an absent field means 1.
func TestResponseRateZero(t *testing.T) {
	_, err := ParseSampleDesign(strings.NewReader(`{"size":{"total":10},"response_rate":0}`))
	var de *SampleDesignError
	if !errors.As(err, &de) || de.Field != "response_rate" || !strings.Contains(err.Error(), "(0, 1]") {
		t.Errorf("response_rate 0: error %v, want a *SampleDesignError on response_rate", err)
	}
	for _, js := range []string{`{"size":{"total":10}}`, `{"size":{"total":10},"response_rate":1}`} {
		d, err := ParseSampleDesign(strings.NewReader(js))
		if err != nil || d.rate() != 1 {
			t.Errorf("%s: %v", js, err)
		}
	}
}

// TestSampleDeffBelowOne: a size.moe.deff below 1 sizes the drawn sample
// with 1 (it drew about a quarter of the ballots with 0.25 before, without a
// word), and the sample's schema metadata records a warning naming the
// field, the value and the domains; the plan says the same once and issues
// the counts the draw takes. A deff of 1 or more records nothing.
func TestSampleDeffBelowOne(t *testing.T) {
	f := selTwoProvinces()
	rec := f.record(memory.DefaultAllocator)
	defer rec.Release()
	const js = `{"strata":["province"],"size":{"moe":{"e":0.15,"deff":%s,"by":["province"]}}}`
	draw := func(deff string) (map[string]int, []string) {
		t.Helper()
		out, err := SelectSample(context.Background(), NewRecordFrame(rec), selMustDesign(t, fmt.Sprintf(js, deff)), selTestRNG(3))
		if err != nil {
			t.Fatal(err)
		}
		defer out.Release()
		n := map[string]int{}
		for _, r := range selRows(t, out, 1) {
			n[r.stratum]++
		}
		w, err := Warnings(out)
		if err != nil {
			t.Fatal(err)
		}
		return n, w
	}
	low, warn := draw("0.25")
	one, none := draw("1")
	for _, h := range []string{"A", "B"} {
		small, err := SizeRule{Method: MOE, E: 0.15, Opt: CochranOptions{Deff: 0.25}}.Size(map[string]int{"A": 122, "B": 87}[h])
		if err != nil {
			t.Fatal(err)
		}
		if low[h] != one[h] || low[h] == small {
			t.Errorf("stratum %s: %d ballots with deff 0.25, want the %d of deff 1 (not %d)", h, low[h], one[h], small)
		}
	}
	want := `design effect 0.25 (size.moe.deff) is below 1; sized with 1 in domains "A", "B"`
	if len(warn) != 1 || warn[0] != want {
		t.Errorf("warnings %q, want [%q]", warn, want)
	}
	if len(none) != 0 {
		t.Errorf("deff 1: warnings %q", none)
	}
	p, err := Plan(context.Background(), NewRecordFrame(rec), selMustDesign(t, fmt.Sprintf(js, "0.25")))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) != 1 || p.Warnings[0] != want {
		t.Errorf("plan warnings %q, want [%q]", p.Warnings, want)
	}
	for _, r := range p.Rows[:2] {
		if r.Issued != one[r.Key] || r.Deff != 1 {
			t.Errorf("plan %s: issued %d deff %v, want %d at deff 1", r.Key, r.Issued, r.Deff, one[r.Key])
		}
	}
}
