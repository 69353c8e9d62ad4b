package selection

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/golden"
)

func selGoldenStrata(t *testing.T, set string) []StratumInfo {
	t.Helper()
	var out []StratumInfo
	for _, r := range selReadGolden(t, "strata_"+set+".csv") {
		out = append(out, StratumInfo{Key: r["key"], N: int(selF(t, r["N"])), SD: selF(t, r["sd"]), Cost: selF(t, r["cost"])})
	}
	return out
}

// TestAllocateAgainstR compares continuous and integer allocations with
// testdata/sampling/allocation.csv (R script of the same formulas, with
// bounds, caps at N_h and largest-remainder rounding).
func TestAllocateAgainstR(t *testing.T) {
	rows := selReadGolden(t, "allocation.csv")
	type key struct{ set, n, method, q, min, max string }
	groups := map[key][]map[string]string{}
	var order []key
	for _, r := range rows {
		k := key{r["set"], r["n"], r["method"], r["q"], r["min"], r["max"]}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	if len(order) < 80 {
		t.Fatalf("only %d allocation cases", len(order))
	}
	for _, k := range order {
		strata := selGoldenStrata(t, k.set)
		spec := AllocationSpec{Method: AllocationMethod(k.method), Q: selF(t, k.q), Min: selI(t, k.min), Max: selI(t, k.max)}
		n := selI(t, k.n)
		x, err := AllocateFloat(n, &spec, strata)
		if err != nil {
			t.Fatalf("%+v: %v", k, err)
		}
		got, err := Allocate(n, &spec, strata)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range groups[k] {
			if r["key"] != strata[i].Key {
				t.Fatalf("golden order %s vs %s", r["key"], strata[i].Key)
			}
			if want := selF(t, r["x"]); !golden.Close(x[i], want, 1e-9) {
				t.Errorf("%+v stratum %s: x = %.17g, R %.17g", k, r["key"], x[i], want)
			}
			if want := selI(t, r["n_h"]); got[i] != want {
				t.Errorf("%+v stratum %s: n_h = %d, R %d", k, r["key"], got[i], want)
			}
		}
	}
}

// TestAllocateInvariants: the integer total equals n (or Σ min when that is
// larger), bounds hold, caps at N_h move the excess to the other strata.
func TestAllocateInvariants(t *testing.T) {
	strata := []StratumInfo{{Key: "a", N: 10}, {Key: "b", N: 1000}, {Key: "c", N: 5000}, {Key: "d", N: 3}}
	for _, method := range []string{"equal", "proportional", "power"} {
		for _, n := range []int{0, 1, 17, 200, 1500, 6013} {
			spec := AllocationSpec{Method: AllocationMethod(method), Q: 0.5, Min: 5}
			got, err := Allocate(n, &spec, strata)
			if err != nil {
				t.Fatalf("%s n=%d: %v", method, n, err)
			}
			sum, sumLo := 0, 0
			for i, s := range strata {
				lo := min(5, s.N)
				sumLo += lo
				if got[i] < lo || got[i] > s.N {
					t.Errorf("%s n=%d: stratum %s gets %d outside [%d, %d]", method, n, s.Key, got[i], lo, s.N)
				}
				sum += got[i]
			}
			if want := max(n, sumLo); sum != want {
				t.Errorf("%s n=%d: total %d, want %d (%v)", method, n, sum, want, got)
			}
		}
	}
	// equal allocation of 40 over 4 strata with a = 10 and d = 3: d capped at
	// 3 and a at 10, the other 27 split 14/13 between b and c (tie to b).
	got, _ := Allocate(40, &AllocationSpec{Method: "equal"}, strata)
	if fmt.Sprint(got) != "[10 14 13 3]" {
		t.Errorf("equal 40 = %v, want [10 14 13 3]", got)
	}
}

func TestAllocateErrors(t *testing.T) {
	strata := []StratumInfo{{Key: "Hà Nội", N: 10, SD: 0.5, Cost: 0}, {Key: "Huế", N: 20, SD: 0.5, Cost: 1}}
	_, err := Allocate(31, &AllocationSpec{}, strata)
	if !errors.Is(err, ErrCountsNotMet) {
		t.Errorf("n > N: %v, want ErrCountsNotMet", err)
	}
	_, err = Allocate(10, &AllocationSpec{Method: "optimal"}, strata)
	if err == nil || !strings.Contains(err.Error(), `"Hà Nội"`) || !strings.Contains(err.Error(), "cost") {
		t.Errorf("zero cost: %v, want an error naming the stratum and cost", err)
	}
	_, err = Allocate(10, &AllocationSpec{Method: "best"}, strata)
	if err == nil || !strings.Contains(err.Error(), "allocation.method") {
		t.Errorf("unknown method: %v", err)
	}
	_, err = Allocate(10, &AllocationSpec{Min: 5, Max: 4}, strata)
	if err == nil || !strings.Contains(err.Error(), "allocation.min") {
		t.Errorf("min > max: %v", err)
	}
}

// Allocating 400 ballots of a province across its three levels,
// proportionally with at least 30 per level: the provincial level (900
// transactions) would get 4 and is raised to 30; the other 370 are shared
// 61000 : 23000 and rounded by largest remainder.
func ExampleAllocate() {
	strata := []StratumInfo{
		{Key: "Hà Giang:commune", N: 61000},
		{Key: "Hà Giang:district", N: 23000},
		{Key: "Hà Giang:province", N: 900},
	}
	n, err := Allocate(400, &AllocationSpec{Method: "proportional", Min: 30}, strata)
	if err != nil {
		panic(err)
	}
	fmt.Println(n)
	// Output: [269 101 30]
}
