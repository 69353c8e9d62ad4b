package demo

import (
	"cmp"
	"context"
	"math"
	"runtime"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/ballot"
)

// TestRunRecoversTruth runs the pipeline for one year and checks that the
// ballots reconcile and that the weighted national SIPAS index and
// criterion indices lie within a few standard errors of the generator's
// known population values.
func TestRunRecoversTruth(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	res, err := Run(context.Background(), Config{Years: []int{2021}, Seed: 3, Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	y := res.Years[0]
	if !y.Validation.Reconciles() || y.Validation.RowsIn != y.Returned {
		t.Fatalf("validation does not reconcile: in %d used %d excluded %d", y.Validation.RowsIn, y.Validation.RowsUsed, y.Validation.RowsExcluded)
	}
	// The demo's size (issue 7: about 40,000 ballots issued a year, 63
	// provinces): Yamane e = 0.044 per province, 80% expected response.
	if y.Issued < 38000 || y.Issued > 42000 {
		t.Errorf("%d ballots issued, want about 40,000", y.Issued)
	}
	provs := 0
	for _, r := range y.Index.Rows {
		if len(r.Domain) > 0 && r.Kind == index.KindSIPAS && r.N > 0 {
			provs++
		}
	}
	if provs != 63 {
		t.Errorf("%d provinces with ballots, want 63", provs)
	}
	if y.Validation.RowsExcluded == 0 {
		t.Errorf("no ballot excluded: the generator plants faults")
	}
	var nat *index.Row
	for i := range y.Index.Rows {
		r := &y.Index.Rows[i]
		if len(r.Domain) == 0 && r.Kind == index.KindSIPAS {
			nat = r
		}
	}
	if nat == nil {
		t.Fatal("no national SIPAS row")
	}
	truth := res.Truth.SIPAS(2021, "")
	if math.IsNaN(truth) {
		t.Skip("truth has no national SIPAS")
	}
	if z := math.Abs(nat.Estimate-100*truth) / nat.SE; z > 4 {
		t.Errorf("national SIPAS %.2f ± %.2f, truth %.2f (z = %.1f)", nat.Estimate, nat.SE, 100*truth, z)
	}
	res.Release()
	mem.AssertSize(t, 0)
}

// TestRunYearsConcurrently: the years run concurrently give the same
// results as one year at a time (GOMAXPROCS 1), in the order of Years.
func TestRunYearsConcurrently(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the synthetic pipeline twice")
	}
	cfg := Config{Years: []int{2021, 2019}, Seed: 5}
	run := func(procs int) *Result {
		prev := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(prev)
		res, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b := run(1), run(2)
	defer a.Release()
	defer b.Release()
	for i, ya := range a.Years {
		yb := b.Years[i]
		if ya.Year != cfg.Years[i] || yb.Year != cfg.Years[i] {
			t.Fatalf("year %d: %d and %d", cfg.Years[i], ya.Year, yb.Year)
		}
		if ya.Issued != yb.Issued || ya.Returned != yb.Returned || len(ya.Index.Rows) != len(yb.Index.Rows) {
			t.Fatalf("%d: issued %d/%d, returned %d/%d", ya.Year, ya.Issued, yb.Issued, ya.Returned, yb.Returned)
		}
		for j, ra := range ya.Index.Rows {
			if rb := yb.Index.Rows[j]; ra.Estimate != rb.Estimate || ra.SE != rb.SE || ra.N != rb.N {
				t.Errorf("%d row %d: %v ± %v (n %d), concurrently %v ± %v (n %d)", ya.Year, j, ra.Estimate, ra.SE, ra.N, rb.Estimate, rb.SE, rb.N)
			}
		}
	}
}

// TestScreeningFindsFabricators: in the demo's survey the collectors the
// generator made copy or straight-line ballots rank first in their
// province and top the national list by risk_sum; most of their fabricated
// ballots are flagged, and few honest ballots.
func TestScreeningFindsFabricators(t *testing.T) {
	res, err := Run(context.Background(), Config{Years: []int{2021}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	y := res.Years[0]
	s, fw := y.Screening, y.Fieldwork
	if len(fw.Fabricators) == 0 {
		t.Fatal("no fabricator planted")
	}
	fab := map[string]string{}
	for _, f := range fw.Fabricators {
		fab[f.Collector] = f.Kind
	}
	found := 0
	for _, c := range s.Collectors {
		if kind, ok := fab[c.Collector]; ok {
			found++
			if c.Rank != 1 || c.Risk == 0 {
				t.Errorf("fabricator %s (%s): rank %d of %d, risk %d (z %v)", c.Collector, kind, c.Rank, s.Groups[c.Group].Collectors, c.Risk, c.Z)
			}
		}
	}
	if found != len(fab) {
		t.Errorf("%d of %d fabricators screened", found, len(fab))
	}
	byRisk := slices.Clone(s.Collectors)
	slices.SortFunc(byRisk, func(a, b ballot.CollectorScreen) int { return cmp.Compare(b.RiskSum, a.RiskSum) })
	for _, c := range byRisk[:len(fab)] {
		if _, ok := fab[c.Collector]; !ok {
			t.Errorf("honest collector %s among the top %d by risk_sum (%v)", c.Collector, len(fab), c.RiskSum)
		}
	}
	var fabN, fabFlagged, honestN, honestFlagged int
	for _, b := range s.Ballots {
		flagged := b.FlagMatch || b.Straightline || b.FlagDuplicate
		if _, ok := slices.BinarySearch(fw.Fabricated, b.ID); ok {
			fabN++
			if flagged {
				fabFlagged++
			}
		} else {
			honestN++
			if flagged {
				honestFlagged++
			}
		}
	}
	t.Logf("flagged: %d of %d fabricated ballots, %d of %d others", fabFlagged, fabN, honestFlagged, honestN)
	if 2*fabFlagged < fabN || 20*honestFlagged > honestN {
		t.Errorf("flagged %d of %d fabricated ballots (want at least half) and %d of %d others (want at most 5%%)", fabFlagged, fabN, honestFlagged, honestN)
	}
}

// TestBackcheckFindsFabricators: the back-check flags every fabricating
// collector (type 1 error rate above the okrate) and at most 5% of the
// honest ones; the ballots it confirms are fabricated ones, validation
// excludes them as backcheck_failed, and the accounting still holds.
func TestBackcheckFindsFabricators(t *testing.T) {
	res, err := Run(context.Background(), Config{Years: []int{2021}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	y := res.Years[0]
	fw := y.Fieldwork
	fab := map[string]bool{}
	for _, f := range fw.Fabricators {
		fab[f.Collector] = true
	}
	var honest, honestFlagged, fabFlagged int
	for _, r := range y.Backcheck.Enumerators {
		if r.Type != "1" {
			continue
		}
		switch {
		case fab[r.Name]:
			if r.Flagged {
				fabFlagged++
			} else {
				t.Errorf("fabricator %s not flagged: %d differences in %d comparisons", r.Name, r.Differences, r.Comparisons)
			}
		default:
			honest++
			if r.Flagged {
				honestFlagged++
			}
		}
	}
	t.Logf("back-check flags %d of %d fabricators and %d of %d honest collectors; %d ballots confirmed", fabFlagged, len(fab), honestFlagged, honest, len(y.Confirmed))
	if honest == 0 || 20*honestFlagged > honest {
		t.Errorf("%d of %d honest collectors flagged", honestFlagged, honest)
	}
	for _, id := range y.Confirmed {
		if _, ok := slices.BinarySearch(fw.Fabricated, id); !ok {
			t.Errorf("ballot %s confirmed as fabricated but is not", id)
		}
	}
	v := y.Validation
	if len(y.Confirmed) == 0 || v.ByReason[ballot.ReasonBackcheckFailed] != len(y.Confirmed) || !v.Reconciles() {
		t.Errorf("confirmed %d, excluded as backcheck_failed %d, reconciles %v", len(y.Confirmed), v.ByReason[ballot.ReasonBackcheckFailed], v.Reconciles())
	}
}
