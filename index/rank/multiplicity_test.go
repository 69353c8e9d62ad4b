package rank

import (
	"math"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

// TestAdjustPValuesR compares with R 4.2.2 p.adjust(method = "holm") and
// p.adjust(method = "BH") in testdata/trend/padjust.csv (written by
// testdata/trend.R): random, tied, NA, single, all-NA and 63-province
// families. Closed forms: 1e-12 relative.
func TestAdjustPValuesR(t *testing.T) {
	rows := rankReadCSV(t, "../../testdata/trend/padjust.csv")
	type fam struct{ p, holm, bh []float64 }
	cases := map[string]*fam{}
	var order []string
	for _, r := range rows {
		c := cases[r["case"]]
		if c == nil {
			c = &fam{}
			cases[r["case"]] = c
			order = append(order, r["case"])
		}
		c.p = append(c.p, rankNum(t, r["p"]))
		c.holm = append(c.holm, rankNum(t, r["holm"]))
		c.bh = append(c.bh, rankNum(t, r["bh"]))
	}
	if len(order) != 8 {
		t.Fatalf("%d cases in the golden file, want 8", len(order))
	}
	for _, name := range order {
		c := cases[name]
		in := append([]float64(nil), c.p...)
		for _, m := range []struct {
			a    Adjustment
			want []float64
		}{{AdjustHolm, c.holm}, {AdjustBH, c.bh}, {AdjustNone, c.p}} {
			got := AdjustPValues(c.p, m.a)
			for i := range got {
				w := m.want[i]
				if math.IsNaN(w) != math.IsNaN(got[i]) || (!math.IsNaN(w) && !scalar.EqualWithinAbsOrRel(got[i], w, 0, 1e-12)) {
					t.Errorf("%s %v [%d]: %v, R %v", name, m.a, i, got[i], w)
				}
			}
		}
		for i := range in {
			if !(in[i] == c.p[i] || math.IsNaN(in[i]) && math.IsNaN(c.p[i])) {
				t.Fatalf("%s: input modified", name)
			}
		}
	}
}

// TestAdjustPValuesHand checks small cases by hand. Holm on (0.01, 0.04,
// 0.03): sorted 0.01, 0.03, 0.04 → 3·0.01 = 0.03, max(0.03, 2·0.03) = 0.06,
// max(0.06, 0.04) = 0.06. BH: 3/3·0.04 = 0.04, min(0.04, 3/2·0.03 = 0.045)
// = 0.04, min(0.04, 3·0.01) = 0.03.
func TestAdjustPValuesHand(t *testing.T) {
	p := []float64{0.01, 0.04, 0.03}
	want := map[Adjustment][]float64{
		AdjustHolm: {0.03, 0.06, 0.06},
		AdjustBH:   {0.03, 0.04, 0.04},
	}
	for a, w := range want {
		got := AdjustPValues(p, a)
		for i := range w {
			if !scalar.EqualWithinAbsOrRel(got[i], w[i], 1e-15, 1e-12) {
				t.Errorf("%v: %v, want %v", a, got, w)
			}
		}
	}
	if got := AdjustPValues(nil, AdjustHolm); len(got) != 0 {
		t.Errorf("empty: %v", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic on an unknown adjustment")
		}
	}()
	AdjustPValues(p, Adjustment(9))
}

func TestParseAdjustment(t *testing.T) {
	for s, want := range map[string]Adjustment{"none": AdjustNone, "holm": AdjustHolm, "BH": AdjustBH, " bh ": AdjustBH, "fdr": AdjustBH} {
		got, err := ParseAdjustment(s)
		if err != nil || got != want {
			t.Errorf("ParseAdjustment(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseAdjustment("bonferroni"); err == nil {
		t.Error("bonferroni accepted")
	}
	for _, a := range []Adjustment{AdjustNone, AdjustHolm, AdjustBH} {
		b, err := a.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Adjustment
		if err := back.UnmarshalText(b); err != nil || back != a {
			t.Errorf("round trip %v: %v %v", a, back, err)
		}
	}
	if _, err := Adjustment(7).MarshalText(); err == nil {
		t.Error("unknown adjustment marshalled")
	}
	if s := Adjustment(7).String(); s != "Adjustment("+strconv.Itoa(7)+")" {
		t.Errorf("String: %q", s)
	}
}
