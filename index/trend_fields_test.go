package index

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/index/rank"
)

// TestTrendFields: every CLI.md field is present in order, nulls are nil
// (JSON null), national rows have null rank/tier/vs_nation, a domain's
// first year has null changes and flags and break false.
func TestTrendFields(t *testing.T) {
	nan := math.NaN()
	pts := []TrendPoint{
		{National: true, Kind: "sipas", ID: "sipas", Year: 2020, Estimate: 70, SE: 0.5, VsNation: nan, SEVsNation: nan},
		{National: true, Kind: "sipas", ID: "sipas", Year: 2021, Estimate: 72, SE: 0.5, VsNation: nan, SEVsNation: nan},
		{Domain: "A", Kind: "sipas", ID: "sipas", Year: 2020, Estimate: 68, SE: 1, VsNation: -2, SEVsNation: 0.9},
		{Domain: "A", Kind: "sipas", ID: "sipas", Year: 2021, Estimate: 75, SE: 1, VsNation: 3, SEVsNation: 0.9},
		{Domain: "B", Kind: "sipas", ID: "sipas", Year: 2021, Estimate: 71, SE: 1, VsNation: -1, SEVsNation: 0.9},
	}
	rows, err := CompareYears(pts, &CompareOptions{Adjust: rank.AdjustHolm, Rank: rank.Options{Draws: 500}})
	if err != nil {
		t.Fatal(err)
	}
	obj := func(r TrendRow) string {
		var b strings.Builder
		b.WriteString("{")
		for i, f := range r.Fields() {
			if i > 0 {
				b.WriteString(",")
			}
			v, err := json.Marshal(f.Value)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(`"` + f.Name + `":` + string(v))
		}
		return b.String() + "}"
	}
	want := []string{
		`{"kind":"sipas","id":"sipas","year":2020,"estimate":70,"se":0.5,"change_prev":null,"se_change_prev":null,"p_change_prev":null,"significant_prev":null,"change_base":null,"se_change_base":null,"p_change_base":null,"significant_base":null,"rank":null,"rank_low":null,"rank_high":null,"tier":null,"vs_nation":null,"se_vs_nation":null,"p_vs_nation":null,"break":false,"flag":null}`,
		// national 2021: change 2, SE sqrt(0.5), z 2.828, p unadjusted (R 4.2.2:
		// 2*pnorm(-2/sqrt(0.5)) = 0.0046777349810472697)
		`{"kind":"sipas","id":"sipas","year":2021,"estimate":72,"se":0.5,"change_prev":2,"se_change_prev":0.7071067811865476,"p_change_prev":0.004677734981047271,"significant_prev":true,"change_base":2,"se_change_base":0.7071067811865476,"p_change_base":0.004677734981047271,"significant_base":true,"rank":null,"rank_low":null,"rank_high":null,"tier":null,"vs_nation":null,"se_vs_nation":null,"p_vs_nation":null,"break":false,"flag":null}`,
	}
	for i, w := range want {
		if g := obj(rows[i]); g != w {
			t.Errorf("row %d:\n got %s\nwant %s", i, g, w)
		}
	}
	// B's first year is 2021: changes null; ranked 2 of 2, tier 3.
	b := obj(rows[4])
	for _, s := range []string{`"change_prev":null`, `"significant_base":null`, `"rank":2`, `"tier":3`, `"vs_nation":-1`, `"break":false`} {
		if !strings.Contains(b, s) {
			t.Errorf("B 2021: %s lacks %s", b, s)
		}
	}
	if n := len(rows[3].Fields()); n != len(TrendFieldNames) || n != 22 {
		t.Errorf("%d fields", n)
	}
}
