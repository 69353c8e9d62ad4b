package index

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gonum.org/v1/gonum/floats/scalar"

	"github.com/sipas-go/sipas/index/rank"
	"github.com/sipas-go/sipas/internal/provinces"
	"github.com/sipas-go/sipas/internal/synth"
	"github.com/sipas-go/sipas/sampling"
)

// trendSynthYears generates independent synthetic surveys (stratified
// two-stage: strata = provinces, PSUs = communes) and their designs.
func trendSynthYears(t testing.TB, mem memory.Allocator, years []int, psus, ballots int) ([]TrendYear, *synth.Truth, func()) {
	t.Helper()
	var out []TrendYear
	var truth *synth.Truth
	var recs []arrow.RecordBatch
	for _, y := range years {
		rb, tr, err := synth.Survey(synth.SurveyConfig{Seed: 7, Year: y, PSUsPerStratum: psus, BallotsPerPSU: ballots}, mem)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rb)
		truth = tr
		d, err := sampling.NewDesign(rb, &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu"})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, TrendYear{Year: y, Design: d, Ballots: rb})
	}
	return out, truth, func() {
		for _, r := range recs {
			r.Release()
		}
	}
}

// TestTrendVsNationMatchesVsNationDiff checks Trend's vs_nation against
// vsNationEngine (the one engine call on float columns, whose R golden is
// TestVsNationDiffR) on variables built
// here independently from the raw answer columns (y = 100 for a satisfied
// code, x = 1 for a code on the scale) and province codes, and checks that
// the difference equals the domain's estimate minus the nation's from
// Compute. It also checks the output order and the national rows.
func TestTrendVsNationMatchesVsNationDiff(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	years, _, done := trendSynthYears(t, mem, []int{2020, 2021}, 3, 4)
	defer done()
	q := DefaultQuestionnaire()
	res, err := Trend(context.Background(), years, q, &TrendOptions{Index: Options{By: []string{"province"}}, Mem: mem,
		Compare: CompareOptions{Adjust: rank.AdjustHolm, Rank: rank.Options{Draws: 500}}})
	if err != nil {
		t.Fatal(err)
	}
	// Independent variables for 2021.
	rec := years[1].Ballots
	n := int(rec.NumRows())
	var num, den [][]float64
	for _, c := range q.Columns() {
		a := rec.Column(rec.Schema().FieldIndices(c)[0])
		y, x := make([]float64, n), make([]float64, n)
		for i := range n {
			if a.IsNull(i) {
				continue
			}
			var v int64
			switch a := a.(type) {
			case *array.Int8:
				v = int64(a.Value(i))
			case *array.Int64:
				v = a.Value(i)
			default:
				t.Fatalf("column %s: type %s", c, a.DataType())
			}
			if v >= int64(q.Scale.Min) && v <= int64(q.Scale.Max) {
				x[i] = 1
				if q.IsSatisfied(v) {
					y[i] = 100
				}
			}
		}
		num, den = append(num, y), append(den, x)
	}
	prov := rec.Column(rec.Schema().FieldIndices("province")[0]).(*array.String)
	code := map[string]int32{}
	var names []string
	for _, p := range provinces.Names(provinces.Geo1997) {
		code[p] = int32(len(names))
		names = append(names, p)
	}
	dom := make([]int32, n)
	for i := range n {
		dom[i] = code[prov.Value(i)]
	}
	// composites: elements (mean of their criteria weights as declared), SIPAS
	var comps [][]float64
	for _, el := range q.Elements {
		a := make([]float64, len(q.Criteria))
		for c, cr := range q.Criteria {
			if cr.Element == el.ID {
				a[c] = cr.Weight
			}
		}
		comps = append(comps, a)
	}
	s := make([]float64, len(q.Criteria))
	for _, el := range q.Elements {
		for c, cr := range q.Criteria {
			if cr.Element == el.ID {
				s[c] = el.Weight * cr.Weight
			}
		}
	}
	comps = append(comps, s)
	want, err := vsNationEngine(years[1].Design, num, den, dom, len(names), comps)
	if err != nil {
		t.Fatal(err)
	}
	jOf := map[[2]string]int{}
	for c, cr := range q.Criteria {
		jOf[[2]string{KindCriterion, cr.Column}] = c
	}
	for e, el := range q.Elements {
		jOf[[2]string{KindElement, el.ID}] = len(q.Criteria) + e
	}
	jOf[[2]string{KindSIPAS, "sipas"}] = len(q.Criteria) + len(q.Elements)
	nat := map[[3]any]float64{}
	checked := 0
	seenDomain := false
	for k, r := range res.Rows {
		if r.National {
			if seenDomain {
				t.Fatalf("row %d: national row after a domain row", k)
			}
			if len(r.Labels) != 0 || r.Rank != 0 || !math.IsNaN(r.VsNation) {
				t.Errorf("national row %d: labels %v rank %d vs_nation %v", k, r.Labels, r.Rank, r.VsNation)
			}
			nat[[3]any{r.Kind, r.ID, r.Year}] = r.Estimate
			continue
		}
		seenDomain = true
		if k > 0 && !res.Rows[k-1].National && compareLabels(res.Rows[k-1].Labels, r.Labels) > 0 {
			t.Fatalf("row %d: domains out of order: %v after %v", k, r.Labels, res.Rows[k-1].Labels)
		}
		if d := r.Estimate - nat[[3]any{r.Kind, r.ID, r.Year}]; !scalar.EqualWithinAbsOrRel(r.VsNation, d, 1e-9, 1e-9) {
			t.Errorf("%s %s %d: vs_nation %v, estimate − national %v", r.Domain, r.ID, r.Year, r.VsNation, d)
		}
		if r.Year != 2021 {
			continue
		}
		g := code[r.Labels[0].Value]
		j := jOf[[2]string{r.Kind, r.ID}]
		if !scalar.EqualWithinAbsOrRel(r.VsNation, want.Diff[g][j], 1e-12, 1e-9) || !scalar.EqualWithinAbsOrRel(r.SEVsNation, want.SE[g][j], 1e-12, 1e-9) {
			t.Errorf("%s %s: vs_nation %v (SE %v), engine %v (%v)", r.Domain, r.ID, r.VsNation, r.SEVsNation, want.Diff[g][j], want.SE[g][j])
		}
		checked++
	}
	if checked != 63*(len(q.Criteria)+len(q.Elements)+1) {
		t.Errorf("%d rows checked", checked)
	}
	if len(res.Years) != 2 || res.Years[0].Year != 2020 || res.Years[0].Geography != Geo1997 {
		t.Errorf("years %+v", res.Years)
	}
}

// TestTrendRunRecoversTruth: Trend on three synthetic years (63 provinces,
// 30 communes × 5 ballots) recovers the generator's true changes of SIPAS
// and the elements: the share of change intervals ±1.96·SE covering the
// true change lies in [0.88, 0.99] (the single-year intervals of this
// estimator cover about 0.90 at this size, see
// TestTrendRecoversSyntheticTruth for why the bounds are not 0.95 ± a few
// simulation SEs); and the true province − nation differences of SIPAS
// lie within vs_nation ± 1.96·se_vs_nation for a share in [0.88, 0.99]
// (true nation = the weighted mean of the true province shares, weights
// = the Truth's transactions). Skipped with -short.
func TestTrendRunRecoversTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("three synthetic surveys")
	}
	years, truth, done := trendSynthYears(t, memory.DefaultAllocator, []int{2019, 2020, 2021}, 30, 5)
	defer done()
	res, err := Trend(context.Background(), years, nil, &TrendOptions{Index: Options{By: []string{"province"}},
		Compare: CompareOptions{Adjust: rank.AdjustHolm, Rank: rank.Options{Draws: 1000}}})
	if err != nil {
		t.Fatal(err)
	}
	val := func(kind, id string, y int, p string) float64 {
		if kind == KindSIPAS {
			return 100 * truth.SIPAS(y, p)
		}
		return 100 * truth.Element(y, p, id)
	}
	natSIPAS := map[int]float64{}
	for _, y := range []int{2019, 2020, 2021} {
		var s, w float64
		for _, p := range truth.Provinces(y) {
			n := float64(truth.Transactions(y, p))
			s += n * truth.SIPAS(y, p)
			w += n
		}
		natSIPAS[y] = 100 * s / w
	}
	in, n, vin, vn := 0, 0, 0, 0
	for _, r := range res.Rows {
		if r.National || (r.Kind != KindSIPAS && r.Kind != KindElement) {
			continue
		}
		p := r.Labels[0].Value
		for k, c := range []struct {
			ch, se float64
			from   int
		}{{r.ChangePrev, r.SEChangePrev, r.PrevYear}, {r.ChangeBase, r.SEChangeBase, r.BaseYear}} {
			// 2020's base change is its previous-year change: count it once
			if math.IsNaN(c.ch) || (k == 1 && r.Year == 2020) {
				continue
			}
			n++
			if math.Abs(c.ch-(val(r.Kind, r.ID, r.Year, p)-val(r.Kind, r.ID, c.from, p))) <= 1.96*c.se {
				in++
			}
		}
		if r.Kind == KindSIPAS {
			vn++
			if math.Abs(r.VsNation-(val(r.Kind, r.ID, r.Year, p)-natSIPAS[r.Year])) <= 1.96*r.SEVsNation {
				vin++
			}
		}
	}
	cov, vcov := float64(in)/float64(n), float64(vin)/float64(vn)
	t.Logf("change intervals covering the truth: %d/%d = %.3f; vs nation (SIPAS): %d/%d = %.3f", in, n, cov, vin, vn, vcov)
	if n < 1000 || cov < 0.88 || cov > 0.99 {
		t.Errorf("change coverage %.3f over %d", cov, n)
	}
	if vn != 189 || vcov < 0.88 || vcov > 0.99 {
		t.Errorf("vs-nation coverage %.3f over %d", vcov, vn)
	}
}

func TestTrendErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	q := DefaultQuestionnaire()
	r24 := mergeBallots(t, mem, q, 2024, []string{"Phú Thọ", "Hà Nội"}, []float64{10, 10}, []int{5, 5}, []int{2, 3})
	defer r24.Release()
	r25 := mergeBallots(t, mem, q, 2025, []string{"Phú Thọ", "Hà Nội"}, []float64{10, 10}, []int{5, 5}, []int{2, 3})
	defer r25.Release()
	spec := &sampling.DesignOptions{Weight: "weight", Strata: "stratum"}
	d24, err := sampling.NewDesign(r24, spec)
	if err != nil {
		t.Fatal(err)
	}
	d25, err := sampling.NewDesign(r25, spec)
	if err != nil {
		t.Fatal(err)
	}
	ys := []TrendYear{{Year: 2025, Design: d25, Ballots: r25}, {Year: 2024, Design: d24, Ballots: r24}}
	opt := &TrendOptions{Index: Options{By: []string{"province"}}, Mem: mem, Compare: CompareOptions{Rank: rank.Options{Draws: 100}}}
	if _, err := Trend(context.Background(), ys, q, opt); !errors.Is(err, ErrGeography) {
		t.Errorf("auto across 2025: %v", err)
	} else {
		t.Log(err)
	}
	opt.Geography = Geo1997
	if _, err := Trend(context.Background(), ys, q, opt); !errors.Is(err, ErrGeography) {
		t.Errorf("1997 with 2025 data: %v", err)
	}
	opt.Geography = Geo2025
	res, err := Trend(context.Background(), ys, q, opt)
	if err != nil {
		t.Fatal(err)
	}
	// Both years in the 34: the 2025 rows have a previous year.
	got := 0
	for _, r := range res.Rows {
		if r.Year == 2025 && r.Kind == KindSIPAS && !r.National {
			got++
			if r.PrevYear != 2024 || math.IsNaN(r.ChangePrev) || math.Abs(r.ChangePrev) > 1e-9 {
				t.Errorf("%s: prev %d change %v", r.Domain, r.PrevYear, r.ChangePrev)
			}
		}
	}
	if got != 2 || res.Years[0].Year != 2024 {
		t.Errorf("%d SIPAS domain rows in 2025; years %v", got, res.Years)
	}
	// Without province domains the geography does not matter.
	if _, err := Trend(context.Background(), ys, q, &TrendOptions{Mem: mem, Compare: CompareOptions{Rank: rank.Options{Draws: 100}}}); err != nil {
		t.Errorf("national only across 2025: %v", err)
	}
	if _, err := Trend(context.Background(), []TrendYear{ys[0], ys[0]}, q, opt); err == nil {
		t.Error("a year given twice accepted")
	}
	opt.Compare.BaseYear = 2019
	if _, err := Trend(context.Background(), ys, q, opt); err == nil {
		t.Error("unknown base year accepted")
	}
}

// TestTrendKeepsExpectations: each year's Index of Trend is Compute's
// result on the year's ballots, expectation shares included (they are
// not compared across years: no trend row has them), and with
// NoExpectations it has none.
func TestTrendKeepsExpectations(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	years, _, done := trendSynthYears(t, mem, []int{2020, 2021}, 3, 4)
	defer done()
	q := DefaultQuestionnaire()
	opt := &TrendOptions{Index: Options{By: []string{"province"}}, Mem: mem, Compare: CompareOptions{Rank: rank.Options{Draws: 100}}}
	res, err := Trend(context.Background(), years, q, opt)
	if err != nil {
		t.Fatal(err)
	}
	for i, y := range years {
		want, err := Compute(context.Background(), y.Design, y.Ballots, q, &Options{By: []string{"province"}})
		if err != nil {
			t.Fatal(err)
		}
		got := res.Years[i].Index.Rows
		nexp := 0
		for _, r := range got {
			if r.Kind == KindExpectation {
				nexp++
			}
		}
		if nexp == 0 || len(got) != len(want.Rows) {
			t.Fatalf("year %d: %d rows (%d expectation shares), Compute has %d", y.Year, len(got), nexp, len(want.Rows))
		}
		for j := range got {
			if got[j].Kind != want.Rows[j].Kind || got[j].ID != want.Rows[j].ID || got[j].Estimate != want.Rows[j].Estimate || got[j].SE != want.Rows[j].SE {
				t.Fatalf("year %d row %d: %+v, Compute %+v", y.Year, j, got[j], want.Rows[j])
			}
		}
	}
	for _, r := range res.Rows {
		if r.Kind == KindExpectation {
			t.Fatalf("trend row of an expectation share: %+v", r)
		}
	}
	opt.Index.NoExpectations = true
	if res, err = Trend(context.Background(), years, q, opt); err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Years[0].Index.Rows {
		if r.Kind == KindExpectation {
			t.Fatal("expectation share despite NoExpectations")
		}
	}
}
