package ballot

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index"
)

func TestResponseRates(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	f := []arrow.Field{
		{Name: "province", Type: arrow.BinaryTypes.String},
		{Name: "level", Type: arrow.BinaryTypes.String},
		{Name: "issued", Type: arrow.PrimitiveTypes.Int64},
		{Name: "returned", Type: arrow.PrimitiveTypes.Int64},
		{Name: "valid", Type: arrow.PrimitiveTypes.Float64},
	}
	rec := recordFromJSON(t, mem, f, `[
	 {"province": "Huế", "level": "commune", "issued": 100, "returned": 80, "valid": 76},
	 {"province": "Hà Nội", "level": "province", "issued": 50, "returned": 45, "valid": 45},
	 {"province": "Huế", "level": "commune", "issued": 60, "returned": 40, "valid": 36},
	 {"province": "Hà Nội", "level": "commune", "issued": 200, "returned": 150, "valid": 120},
	 {"province": "Cà Mau", "level": "commune", "issued": 0, "returned": 0, "valid": 0}
	]`)
	defer rec.Release()

	got, err := ResponseRates(rec, []string{"province"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// By hand: total 410 issued, 315 returned, 277 valid.
	// Cà Mau 0/0/0 (NaN rates); Hà Nội 250/195/165; Huế 160/120/112.
	// Sorted by text: "Cà Mau" < "Huế" < "Hà Nội"? Byte order: 'C' < 'H';
	// "Hu" vs "Hà": 'u' (0x75) < 'à' (0xC3 0xA0), so Huế comes first.
	want := []ResponseRate{
		{nil, 410, 315, 277, 315.0 / 410, 277.0 / 315, 277.0 / 410},
		{[]string{"Cà Mau"}, 0, 0, 0, math.NaN(), math.NaN(), math.NaN()},
		{[]string{"Huế"}, 160, 120, 112, 120.0 / 160, 112.0 / 120, 112.0 / 160},
		{[]string{"Hà Nội"}, 250, 195, 165, 195.0 / 250, 165.0 / 195, 165.0 / 250},
	}
	checkRates(t, got, want)

	got, err = ResponseRates(rec, []string{"province", "level"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || !reflect.DeepEqual(got[3].Stratum, []string{"Hà Nội", "commune"}) || got[3].Issued != 200 || got[3].ResponseRate != 0.75 || got[3].ValidRate != 0.8 || got[3].UsableRate != 0.6 {
		t.Errorf("two strata: %+v", got)
	}

	// No strata: the total only.
	got, err = ResponseRates(rec, nil, nil)
	if err != nil || len(got) != 1 || got[0].Issued != 410 {
		t.Errorf("no strata: %+v %v", got, err)
	}
}

func checkRates(t *testing.T, got, want []ResponseRate) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(got), len(want), got)
	}
	eq := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) || math.Abs(a-b) < 1e-15 }
	for i := range want {
		g, w := got[i], want[i]
		if !reflect.DeepEqual(g.Stratum, w.Stratum) || g.Issued != w.Issued || g.Returned != w.Returned || g.Valid != w.Valid ||
			!eq(g.ResponseRate, w.ResponseRate) || !eq(g.ValidRate, w.ValidRate) || !eq(g.UsableRate, w.UsableRate) {
			t.Errorf("row %d\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func TestResponseRatesErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	f := []arrow.Field{
		{Name: "stratum", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "issued", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "returned", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "valid", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}
	for _, c := range []struct{ rows, want string }{
		{`[{"stratum": 1, "issued": 10, "returned": 11, "valid": 1}]`, `row 1: returned 11 is more than issued 10`},
		{`[{"stratum": 1, "issued": 10, "returned": 5, "valid": 6}]`, `row 1: valid 6 is more than returned 5`},
		{`[{"stratum": 1, "issued": 10, "returned": 5, "valid": 1}, {"stratum": 1, "issued": 2.5, "returned": 1, "valid": 1}]`, `row 2: column "issued": count 2.5 is not a whole number`},
		{`[{"stratum": 1, "issued": 10, "returned": null, "valid": 1}]`, `row 1: column "returned": empty count`},
		{`[{"stratum": 1, "issued": 10, "returned": -1, "valid": -2}]`, `row 1: column "returned": negative count -1`},
		{`[{"stratum": null, "issued": 10, "returned": 1, "valid": 1}]`, `row 1: stratum column "stratum" is empty`},
	} {
		rec := recordFromJSON(t, mem, f, c.rows)
		_, err := ResponseRates(rec, []string{"stratum"}, nil)
		rec.Release()
		if !errors.Is(err, ErrResponseData) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.rows, err, c.want)
		}
	}
	rec := recordFromJSON(t, mem, f[:3], `[]`)
	defer rec.Release()
	if _, err := ResponseRates(rec, []string{"stratum"}, nil); !errors.Is(err, index.ErrMissingColumn) {
		t.Errorf("missing valid column: %v", err)
	}
}

func TestResponseRatesFromSample(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	f := []arrow.Field{
		{Name: "stratum", Type: arrow.PrimitiveTypes.Int64},
		{Name: "responded", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ok", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	}
	// Stratum 10: 4 issued, 3 returned (1, yes, có), 2 valid.
	// Stratum 9: 2 issued, 1 returned (true), 1 valid.
	rec := recordFromJSON(t, mem, f, `[
	 {"stratum": 10, "responded": "1", "ok": true},
	 {"stratum": 10, "responded": "yes", "ok": false},
	 {"stratum": 9, "responded": "no", "ok": false},
	 {"stratum": 10, "responded": " Có ", "ok": true},
	 {"stratum": 10, "responded": "0", "ok": false},
	 {"stratum": 9, "responded": "TRUE", "ok": true}
	]`)
	defer rec.Release()
	got, err := ResponseRatesFromSample(rec, []string{"stratum"}, &ResponseFlags{Valid: "ok"})
	if err != nil {
		t.Fatal(err)
	}
	// Numeric order: 9 before 10.
	checkRates(t, got, []ResponseRate{
		{nil, 6, 4, 3, 4.0 / 6, 3.0 / 4, 3.0 / 6},
		{[]string{"9"}, 2, 1, 1, 0.5, 1, 0.5},
		{[]string{"10"}, 4, 3, 2, 0.75, 2.0 / 3, 0.5},
	})
	// Without a valid flag every returned ballot is valid.
	got, err = ResponseRatesFromSample(rec, []string{"stratum"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Valid != 4 || got[0].ValidRate != 1 {
		t.Errorf("no valid flag: %+v", got[0])
	}

	bad := recordFromJSON(t, mem, f, `[{"stratum": 1, "responded": "0", "ok": true}, {"stratum": 1, "responded": "maybe", "ok": true}]`)
	defer bad.Release()
	if _, err := ResponseRatesFromSample(bad, []string{"stratum"}, &ResponseFlags{Valid: "ok"}); !errors.Is(err, ErrResponseData) || !strings.Contains(err.Error(), "row 1: ok is set but responded is not") {
		t.Errorf("valid but not returned: %v", err)
	}
	if _, err := ResponseRatesFromSample(bad, []string{"stratum"}, nil); !errors.Is(err, ErrResponseData) || !strings.Contains(err.Error(), `row 2: column "responded": flag "maybe"`) {
		t.Errorf("bad flag: %v", err)
	}
}
