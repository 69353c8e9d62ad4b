package index

import (
	"math"
	"testing"

	"github.com/sipas-go/sipas/index/rank"
	"github.com/sipas-go/sipas/sampling"
)

// TestTrendPointsFromRows: national rows, keys, order of domains as Compute
// sorts them (numerically: "9" before "10"), and rank ties broken by that
// order rather than by the key string ("10" < "9" bytewise).
func TestTrendPointsFromRows(t *testing.T) {
	dom := func(v string) []sampling.DomainValue { return []sampling.DomainValue{{Column: "district", Value: v}} }
	rows := []Row{
		{Kind: "sipas", ID: "sipas", Estimate: 80, SE: 1},
		{Domain: dom("9"), Kind: "sipas", ID: "sipas", Estimate: 75, SE: 2},
		{Domain: dom("10"), Kind: "sipas", ID: "sipas", Estimate: 75, SE: 2},
	}
	pts := TrendPointsFromRows(2024, "sipas-2023", rows)
	if !pts[0].National || pts[0].Domain != "" || pts[1].Domain != "district=9" || pts[2].Order != 2 || pts[1].Order != 1 {
		t.Fatalf("%+v", pts)
	}
	if pts[1].Year != 2024 || pts[1].Version != "sipas-2023" || !math.IsNaN(pts[1].VsNation) {
		t.Errorf("%+v", pts[1])
	}
	two := []sampling.DomainValue{{Column: "province", Value: "Hà Nội"}, {Column: "level", Value: "2"}}
	if k := (Row{Domain: two}).DomainKey(); k != "province=Hà Nội, level=2" {
		t.Errorf("key %q", k)
	}
	out, err := CompareYears(pts, &CompareOptions{Rank: rank.Options{Draws: 100}})
	if err != nil {
		t.Fatal(err)
	}
	if out[1].Rank != 1 || out[2].Rank != 2 || out[0].Rank != 0 {
		t.Errorf("ranks %d %d %d, want 0 1 2 (tie broken by the domain order)", out[0].Rank, out[1].Rank, out[2].Rank)
	}
}
