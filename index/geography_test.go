package index

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index/rank"
	"github.com/sipas-go/sipas/internal/provinces"
	"github.com/sipas-go/sipas/sampling"
)

// mergeBallots builds a stratified sample (strata = old provinces, each
// ballot its own PSU) of one year: for each province, n ballots, the first
// sat of which satisfied on every criterion of q and the others not, with
// weight N/n (N the province's population of transactions).
func mergeBallots(t *testing.T, mem memory.Allocator, q *Questionnaire, year int, provs []string, pop []float64, n, sat []int) arrow.RecordBatch {
	t.Helper()
	yes, no := int8(q.Satisfied[0]), int8(q.Scale.Min)
	if q.IsSatisfied(int64(no)) {
		t.Fatal("scale minimum is a satisfied code")
	}
	pb := array.NewStringBuilder(mem)
	defer pb.Release()
	wb := array.NewFloat64Builder(mem)
	defer wb.Release()
	yb := array.NewInt32Builder(mem)
	defer yb.Release()
	var codes []int8
	for p, name := range provs {
		for i := range n[p] {
			pb.Append(name)
			wb.Append(pop[p] / float64(n[p]))
			yb.Append(int32(year))
			if i < sat[p] {
				codes = append(codes, yes)
			} else {
				codes = append(codes, no)
			}
		}
	}
	fields := []arrow.Field{{Name: "province", Type: arrow.BinaryTypes.String}, {Name: "stratum", Type: arrow.BinaryTypes.String},
		{Name: "weight", Type: arrow.PrimitiveTypes.Float64}, {Name: "year", Type: arrow.PrimitiveTypes.Int32}}
	prov := pb.NewArray()
	defer prov.Release()
	prov.Retain() // used twice: province and stratum
	cols := []arrow.Array{prov, prov, wb.NewArray(), yb.NewArray()}
	for _, c := range q.Columns() {
		b := array.NewInt8Builder(mem)
		b.AppendValues(codes, nil)
		cols = append(cols, b.NewArray())
		b.Release()
		fields = append(fields, arrow.Field{Name: c, Type: arrow.PrimitiveTypes.Int8})
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(len(codes)))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// TestGeographyWeightedMerge shows why old-year microdata must be
// re-aggregated to the 2025 provinces with the weights (METHODOLOGY §8,
// issue 6). Phú Thọ and Vĩnh Phúc (both part of the 2025 Phú Thọ) are
// sampled equally, 100 ballots each, though Phú Thọ had 9,000 transactions
// and Vĩnh Phúc 1,000; 90% of Phú Thọ's ballots and 50% of Vĩnh Phúc's are
// satisfied (on every criterion). Hà Nội (unchanged by the merger) has
// 5,000 transactions, 100 ballots, 70% satisfied.
//
// The true share of the merged province is the population-weighted one,
// by hand: (9000·0.9 + 1000·0.5)/(9000 + 1000) = (8100 + 500)/10000 =
// 86%. The weighted estimate (weights 90 and 10) is (90·90 + 10·50)/
// (90·100 + 10·100) = 8600/10000 = 86% exactly. The unweighted merge
// (90 + 50)/200 = 70% is pulled toward the small province, which weighs
// as much as the large one in the merged sample.
func TestGeographyWeightedMerge(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	q := DefaultQuestionnaire()
	rec := mergeBallots(t, mem, q, 2024, []string{"Phú Thọ", "Vĩnh Phúc", "Hà Nội"}, []float64{9000, 1000, 5000}, []int{100, 100, 100}, []int{90, 50, 70})
	defer rec.Release()
	merged, err := provinces.To2025("Phú Thọ")
	if err != nil {
		t.Fatal(err)
	}
	hanoi, err := provinces.To2025("Hà Nội")
	if err != nil {
		t.Fatal(err)
	}
	run := func(spec *sampling.DesignOptions, g Geography) map[string]float64 {
		d, err := sampling.NewDesign(rec, spec)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Trend(context.Background(), []TrendYear{{Year: 2024, Design: d, Ballots: rec}}, q, &TrendOptions{
			Index: Options{By: []string{"province"}}, Geography: g, Mem: mem, Compare: CompareOptions{Rank: rank.Options{Draws: 200}}})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, r := range res.Rows {
			if r.Kind != KindSIPAS && r.ID != q.Criteria[0].Column {
				continue
			}
			name := ""
			if !r.National {
				name = r.Labels[0].Value
			}
			// every criterion is answered alike, so SIPAS equals the criterion
			if v, ok := out[name]; ok && math.Abs(v-r.Estimate) > 1e-9 {
				t.Errorf("%s: SIPAS %v, criterion %v", name, r.Estimate, v)
			}
			out[name] = r.Estimate
		}
		return out
	}
	w := run(&sampling.DesignOptions{Weight: "weight", Strata: "stratum"}, Geo2025)
	if math.Abs(w[merged]-86) > 1e-9 {
		t.Errorf("weighted merged %s: %v, want 86", merged, w[merged])
	}
	if math.Abs(w[hanoi]-70) > 1e-9 {
		t.Errorf("%s: %v, want 70", hanoi, w[hanoi])
	}
	// national: (8100 + 500 + 3500)/15000
	if math.Abs(w[""]-100*12100.0/15000) > 1e-9 {
		t.Errorf("national %v, want %v", w[""], 100*12100.0/15000)
	}
	if len(w) != 3 {
		t.Errorf("domains %v: want the nation, %s and %s", w, merged, hanoi)
	}
	u := run(&sampling.DesignOptions{Strata: "stratum"}, Geo2025)
	if math.Abs(u[merged]-70) > 1e-9 {
		t.Errorf("unweighted merged %s: %v, want 70", merged, u[merged])
	}
	t.Logf("merged %s: true 86, weighted %v, unweighted %v", merged, w[merged], u[merged])
	// In the year's own geography the old provinces stay apart.
	a := run(&sampling.DesignOptions{Weight: "weight", Strata: "stratum"}, GeoAuto)
	if math.Abs(a["Phú Thọ"]-90) > 1e-9 || math.Abs(a["Vĩnh Phúc"]-50) > 1e-9 || len(a) != 4 {
		t.Errorf("auto geography: %v", a)
	}
}

func TestProvincesIn(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	b := array.NewStringBuilder(mem)
	b.AppendValues([]string{"Vinh Phuc", "TP.HCM", "", "Hà Nội"}, []bool{true, true, false, true})
	arr := b.NewArray()
	b.Release()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "province", Type: arrow.BinaryTypes.String, Nullable: true}}, nil), []arrow.Array{arr}, 4)
	arr.Release()
	defer rec.Release()
	want := map[provinces.Geography][]string{}
	for _, g := range []provinces.Geography{provinces.Geo1997, provinces.Geo2025} {
		for _, n := range []string{"Vinh Phuc", "TP.HCM", "Hà Nội"} {
			var c string
			var err error
			if g == provinces.Geo2025 {
				c, err = provinces.To2025(n)
			} else {
				c, err = provinces.Canonical(n, g)
			}
			if err != nil {
				t.Fatal(err)
			}
			want[g] = append(want[g], c)
		}
	}
	if want[provinces.Geo2025][0] != "Phú Thọ" || want[provinces.Geo1997][0] != "Vĩnh Phúc" {
		t.Fatalf("crosswalk: %v", want)
	}
	for _, g := range []Geography{GeoAuto, Geo1997, Geo2025} {
		out, err := ProvincesIn(rec, "province", 2020, g, nil, mem)
		if err != nil {
			t.Fatal(err)
		}
		col := out.Column(0).(*array.String)
		exp := want[provinces.Geography(g.forYear(2020))]
		if col.Value(0) != exp[0] || col.Value(1) != exp[1] || col.IsValid(2) || col.Value(3) != exp[2] {
			t.Errorf("%s: got %v, want %v", g, col, exp)
		}
		out.Release()
	}
	// 2025 data cannot be split into the 63.
	if _, err := ProvincesIn(rec, "province", 2025, Geo1997, nil, mem); !errors.Is(err, ErrGeography) {
		t.Errorf("2025 data in 1997 geography: %v", err)
	}
	// "Vinh Phuc" is not a province in 2025: an error naming row and column.
	_, err := ProvincesIn(rec, "province", 2025, GeoAuto, nil, mem)
	if !errors.Is(err, provinces.ErrUnknown) {
		t.Fatalf("Vinh Phuc in 2025: %v", err)
	}
	t.Log(err)
	if _, err := ProvincesIn(rec, "tinh", 2020, GeoAuto, nil, mem); err == nil {
		t.Error("missing column accepted")
	}
}

// TestCrosswalk: the shared provinces.csv read as a crosswalk equals the
// built-in one for all 63 provinces; a crosswalk that leaves a province
// out is an error when a ballot needs it; bad files name the row.
func TestCrosswalk(t *testing.T) {
	cw, err := LoadCrosswalk("../internal/provinces/provinces.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(cw) != 63 {
		t.Fatalf("%d provinces", len(cw))
	}
	for _, old := range provinces.Names(provinces.Geo1997) {
		want, err := provinces.To2025(old)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := cw.To2025(old); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", old, got, err, want)
		}
	}
	// A custom crosswalk changes the mapping (with ascii spellings).
	small, err := ParseCrosswalk(strings.NewReader("name,province_2025\nVinh Phuc,Ha Noi\nHa Noi,Ha Noi\n"), "x.csv")
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	col := func(names ...string) arrow.RecordBatch {
		b := array.NewStringBuilder(mem)
		defer b.Release()
		b.AppendValues(names, nil)
		arr := b.NewArray()
		defer arr.Release()
		return array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "province", Type: arrow.BinaryTypes.String}}, nil), []arrow.Array{arr}, int64(len(names)))
	}
	rec := col("Vĩnh Phúc", "Hà Nội")
	defer rec.Release()
	out, err := ProvincesIn(rec, "province", 2024, Geo2025, small, mem)
	if err != nil {
		t.Fatal(err)
	}
	if c := out.Column(0).(*array.String); c.Value(0) != "Hà Nội" || c.Value(1) != "Hà Nội" {
		t.Errorf("custom crosswalk: %v", c)
	}
	out.Release()
	full := col("Vĩnh Phúc", "Phú Thọ")
	defer full.Release()
	if _, err := ProvincesIn(full, "province", 2024, Geo2025, small, mem); !errors.Is(err, ErrGeography) {
		t.Errorf("province missing from the crosswalk: %v", err)
	}
	for _, bad := range []string{"code,name\n01,Hà Nội\n", "name,province_2025\nAtlantis,Hà Nội\n", "name,province_2025\nHà Nội,Vĩnh Phúc\n",
		"name,province_2025\nHà Nội,Hà Nội\nHa Noi,Huế\n", "name,province_2025\n"} {
		if _, err := ParseCrosswalk(strings.NewReader(bad), "bad.csv"); err == nil || !strings.Contains(err.Error(), "bad.csv") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestGeographyValues: index.Geography and the internal reference data's
// geography are converted by value, so their constants must agree.
func TestGeographyValues(t *testing.T) {
	for _, c := range []struct {
		g Geography
		p provinces.Geography
	}{{GeoAuto, provinces.GeoAuto}, {Geo1997, provinces.Geo1997}, {Geo2025, provinces.Geo2025}} {
		if int(c.g) != int(c.p) || c.g.String() != c.p.String() {
			t.Errorf("%v = %d, provinces %v = %d", c.g, int(c.g), c.p, int(c.p))
		}
		if g, err := ParseGeography(c.g.String()); err != nil || g != c.g {
			t.Errorf("ParseGeography(%q) = %v, %v", c.g.String(), g, err)
		}
	}
	if GeographyOf(2024) != Geo1997 || GeographyOf(2025) != Geo2025 {
		t.Error("GeographyOf")
	}
	if _, err := ParseGeography("1975"); err == nil {
		t.Error("ParseGeography accepted 1975")
	}
}
