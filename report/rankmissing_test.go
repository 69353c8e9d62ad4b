package report

import (
	"math"
	"testing"
)

// TestNoRankOnMissing: a domain whose SIPAS is missing gets no rank in
// the ranking table (it used to be ranked by its place in name order).
func TestNoRankOnMissing(t *testing.T) {
	d := buildData(t, fixtureNames(5), []int{2021})
	y := d.Latest()
	for k := range y.Domains {
		y.Domains[k].SIPAS.Trend = nil
	}
	y.Domains[0].SIPAS.Estimate = math.NaN()
	missing := y.Domains[0].Name
	sortDomains(y.Domains)
	for _, tb := range Tables(d, &Options{Lang: LangEN}) {
		if tb.Name != "ranking" {
			continue
		}
		ranked := 0
		for _, r := range tb.Rows {
			if r[4] == missing {
				if r[0] != "" {
					t.Errorf("%s, without a SIPAS, is ranked %s", missing, r[0])
				}
				continue
			}
			ranked++
			if r[0] == "" {
				t.Errorf("%s is not ranked", r[4])
			}
		}
		if ranked != 4 {
			t.Errorf("%d ranked rows, want 4", ranked)
		}
		return
	}
	t.Fatal("no ranking table")
}
