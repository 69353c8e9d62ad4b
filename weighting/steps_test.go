package weighting

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gonum.org/v1/gonum/floats/scalar"
)

// smallRecord: 8 rows with class columns a (x/y), b (p/q), a respondent flag
// and a numeric column.
func smallRecord(mem memory.Allocator) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.BinaryTypes.String},
		{Name: "b", Type: arrow.PrimitiveTypes.Int32},
		{Name: "resp", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "x", Type: arrow.PrimitiveTypes.Float64},
		{Name: "w", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"x", "x", "x", "x", "y", "y", "y", "y"}, nil)
	b.Field(1).(*array.Int32Builder).AppendValues([]int32{1, 1, 2, 2, 1, 2, 2, 2}, nil)
	b.Field(2).(*array.BooleanBuilder).AppendValues([]bool{true, false, true, true, true, true, false, true}, nil)
	b.Field(3).(*array.Float64Builder).AppendValues([]float64{1, 2, 3, 4, 5, 6, 7, 8}, nil)
	b.Field(4).(*array.Float64Builder).AppendValues([]float64{10, 10, 20, 20, 5, 5, 10, 10}, nil)
	return b.NewRecordBatch()
}

func mustSpec(t *testing.T, js string) *Spec {
	t.Helper()
	s, err := ParseSpecBytes([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNonresponseByHand(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rec := smallRecord(mem)
	defer rec.Release()
	res, err := Apply(mustSpec(t, `{"design_weight": "w", "steps": [{"nonresponse": {"classes": ["a"], "responded": "resp"}}]}`), rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	// class x: issued weight 60, respondents rows 1,3,4 weigh 50 -> factor 1.2
	// class y: issued 30, respondents rows 5,6,8 weigh 20 -> factor 1.5
	want := []float64{12, 0, 24, 24, 7.5, 7.5, 0, 15}
	for i := range want {
		if !scalar.EqualWithinAbsOrRel(res.Weights[i], want[i], 1e-15, 1e-15) {
			t.Errorf("row %d: %v want %v", i+1, res.Weights[i], want[i])
		}
	}
	rr := res.Steps[0].ResponseRates
	if rr[0].Class != "x" || rr[0].Issued != 4 || rr[0].Valid != 3 || rr[0].Returned != 3 || !scalar.EqualWithinAbsOrRel(rr[0].WeightedValidRate, 50.0/60, 1e-15, 1e-15) || !scalar.EqualWithinAbsOrRel(rr[0].ValidRate, 0.75, 1e-15, 1e-15) {
		t.Errorf("class x rates %+v", rr[0])
	}
	if !scalar.EqualWithinAbsOrRel(rr[1].Factor, 1.5, 1e-15, 1e-15) {
		t.Errorf("class y factor %v", rr[1].Factor)
	}
	// totals are kept: Σ = 90
	if !scalar.EqualWithinAbsOrRel(res.Final.Sum, 90, 1e-15, 1e-15) || res.Final.N != 6 {
		t.Errorf("final %+v", res.Final)
	}
}

func TestDiagnosticsByHand(t *testing.T) {
	// w = 1,1,2,4 (and a dropped 0): Σw = 8, Σw² = 22, n = 4.
	// Kish = 4·22/64 = 1.375, CV = sqrt(0.375), NEff = 64/22.
	d := Describe([]float64{1, 0, 1, 2, 4})
	if d.N != 4 || d.Sum != 8 || d.Min != 1 || d.Max != 4 || d.Mean != 2 ||
		!scalar.EqualWithinAbsOrRel(d.Kish, 1.375, 1e-15, 1e-15) || !scalar.EqualWithinAbsOrRel(d.CV, math.Sqrt(0.375), 1e-15, 1e-15) || !scalar.EqualWithinAbsOrRel(d.NEff, 64.0/22, 1e-15, 1e-15) {
		t.Errorf("%+v", d)
	}
	// CV with divisor n: sd² = ((1-2)²+(1-2)²+0+(4-2)²)/4 = 1.5, CV² = 1.5/4 = 0.375 ✓.
	by := DescribeBy([]float64{1, 3, 2, 2}, Classes{Index: []int32{0, 0, 1, 1}, Labels: []string{"u", "v"}})
	if by[0].Mean != 2 || !scalar.EqualWithinAbsOrRel(by[0].Kish, 2*10.0/16, 1e-15, 1e-15) || by[1].Kish != 1 || by[1].CV != 0 {
		t.Errorf("%+v", by)
	}
	if e := Describe(nil); !math.IsNaN(e.Mean) || e.N != 0 {
		t.Errorf("empty: %+v", e)
	}
}

func TestTrimProportionalByHand(t *testing.T) {
	// w = 1,2,3,10, total 16, cap 5: row 4 -> 5, excess 5 to 1,2,3 (sum 6)
	// factor (16-5)/6 = 11/6: 11/6, 22/6, 33/6 = 5.5 > 5 -> cap row 3 too;
	// then (16-10)/(11/6+22/6) = 6/(33/6) scales rows 1,2: 2, 4.
	w, res, err := Trim([]float64{1, 2, 3, 10}, TrimSettings{Upper: 5})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{2, 4, 5, 5}
	for i := range want {
		if !scalar.EqualWithinAbsOrRel(w[i], want[i], 1e-14, 1e-14) {
			t.Errorf("row %d: %v want %v", i+1, w[i], want[i])
		}
	}
	if res.Trim.Trimmed != 2 || res.Trim.Passes != 1 || res.Trim.Excess != 5 {
		t.Errorf("%+v", res.Trim)
	}
	// R trimWeights (equal, one pass): 10 -> 5, +5/3 each: 8/3, 11/3, 14/3.
	w, _, _ = Trim([]float64{1, 2, 3, 10}, TrimSettings{Upper: 5, Redistribute: Equal})
	for i, v := range []float64{8.0 / 3, 11.0 / 3, 14.0 / 3, 5} {
		if !scalar.EqualWithinAbsOrRel(w[i], v, 1e-14, 1e-14) {
			t.Errorf("equal row %d: %v want %v", i+1, w[i], v)
		}
	}
	if _, _, err := Trim([]float64{1, 2, 3, 10}, TrimSettings{Upper: 3}); !errors.Is(err, ErrInfeasible) {
		t.Errorf("4 weights of 16 under cap 3: %v", err)
	}
}

// TestInvariants: weighted margins equal targets, trimming keeps totals,
// no steps leaves weights unchanged.
func TestInvariants(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	for _, name := range []string{"apistrat", "apiclus1"} {
		rec := apiRecord(t, mem, name)
		pw, _ := numericColumn(rec, "pw")
		stype, _ := ClassesOf(rec, []string{"stype"})
		sw, _ := ClassesOf(rec, []string{"sch.wide"})
		both, _ := ClassesOf(rec, []string{"stype", "sch.wide"})
		enroll, _ := numericColumn(rec, "enroll")
		tot := map[string]float64{"E": 4421, "H": 755, "M": 1018}
		tot2 := map[string]float64{"No": 1072, "Yes": 5122}
		check := func(what string, w []float64, cl Classes, want map[string]float64) {
			s, _ := classSums(w, cl.Index, len(cl.Labels), nil)
			for c, l := range cl.Labels {
				if !scalar.EqualWithinAbsOrRel(s[c], want[l], 1e-9, 1e-9) {
					t.Errorf("%s %s: margin %s=%s is %v, target %v", name, what, cl.Name, l, s[c], want[l])
				}
			}
		}
		w, _, err := PostStratify(pw, NewMargin(stype, tot))
		if err != nil {
			t.Fatal(err)
		}
		check("poststratify", w, stype, tot)
		w, res, err := Rake(pw, []Margin{NewMargin(stype, tot), NewMargin(sw, tot2)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		check("rake", w, stype, tot)
		check("rake", w, sw, tot2)
		h := res.History
		if len(h) == 0 || h[len(h)-1].MaxDiscrepancy >= 1e-10 || (len(h) > 1 && h[0].MaxDiscrepancy <= h[len(h)-1].MaxDiscrepancy) {
			t.Errorf("%s rake history %+v", name, h)
		}
		// two-way cells: rake to the joint table is post-stratification
		joint := map[string]float64{"E:No": 500, "E:Yes": 3921, "H:No": 300, "H:Yes": 455, "M:No": 272, "M:Yes": 746}
		w, _, err = Rake(pw, []Margin{NewMargin(both, joint)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		check("rake joint", w, both, joint)
		for _, set := range []*CalSettings{nil, {Method: RakingRatio}, {Method: Logit, Bounds: &[2]float64{0.5, 2}}, {Bounds: &[2]float64{0.5, 2}}} {
			w, res, err := Calibrate(pw, []Margin{NewMargin(stype, tot), NewMargin(sw, tot2)}, []NumericTotal{{"enroll", enroll, 3811472}}, set)
			if err != nil {
				t.Fatalf("%s %+v: %v", name, set, err)
			}
			check("calibrate", w, stype, tot)
			check("calibrate", w, sw, tot2)
			var e float64
			for i := range w {
				e += w[i] * enroll[i]
			}
			if !scalar.EqualWithinAbsOrRel(e, 3811472, 1e-9, 1e-9) {
				t.Errorf("%s calibrate enroll total %v", name, e)
			}
			if set != nil && set.Bounds != nil {
				for i := range w {
					if g := w[i] / pw[i]; g < 0.5-1e-12 || g > 2+1e-12 {
						t.Errorf("%s row %d: g = %v outside bounds", name, i+1, g)
					}
				}
			}
			if res.Variance == nil || res.Variance.P != 5 || len(res.Variance.Names) != 5 || len(res.Variance.G) != len(w) {
				t.Errorf("variance info %+v", res.Variance)
			}
		}
		for _, set := range []TrimSettings{{Upper: 40}, {Upper: 40, Lower: 25}, {Upper: 40, Redistribute: Equal}, {Upper: 36, Redistribute: Equal, Strict: true}} {
			w, _, err := Trim(pw, set)
			if err != nil {
				t.Fatal(err)
			}
			var a, b float64
			for i := range w {
				a += w[i]
				b += pw[i]
			}
			if !scalar.EqualWithinAbsOrRel(a, b, 1e-12, 1e-12) {
				t.Errorf("%s trim %+v: total %v, was %v", name, set, a, b)
			}
			if set.Redistribute == Proportional || set.Strict {
				for i := range w {
					if w[i] > set.Upper*(1+1e-12) || w[i] < set.Lower*(1-1e-12) {
						t.Errorf("%s trim %+v: row %d = %v outside", name, set, i+1, w[i])
					}
				}
			}
		}
		res2, err := Apply(mustSpec(t, `{"design_weight": "pw"}`), rec, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range pw {
			if res2.Weights[i] != pw[i] {
				t.Fatalf("%s: no steps changed row %d", name, i+1)
			}
		}
		rec.Release()
	}
}

func TestBadInput(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rec := apiRecord(t, mem, "apiclus1")
	defer rec.Release()
	mr := func(by, tot string) string { return `{"by": ["` + by + `"], "totals": ` + tot + `}` }
	cases := []struct {
		name, steps string
		err         error
		want        []string // substrings of the message
	}{
		{"empty cell", `{"poststratify": ` + mr("stype", `{"E": 4421, "H": 755, "M": 1018, "X": 5}`) + `}`, ErrEmptyCell, []string{`steps[0].poststratify`, `margin "stype"`, `cell "X"`}},
		{"sample category absent", `{"poststratify": ` + mr("stype", `{"E": 4421, "H": 755}`) + `}`, ErrUnknownCategory, []string{`cell "M"`, "add its population total"}},
		{"margins disagree", `{"rake": {"margins": [` + mr("stype", popStype) + `, ` + mr("sch.wide", `{"No": 1072, "Yes": 5000}`) + `]}}`, ErrMarginsDisagree, []string{`margin "sch.wide"`, "6072", "6194"}},
		{"unknown column", `{"rake": {"margins": [` + mr("stype", popStype) + `, ` + mr("province", `{"A": 1}`) + `]}}`, ErrUnknownColumn, []string{`steps[0].rake.margins[1]`, `"province"`}},
		{"unknown numeric column", `{"calibrate": {"numeric": {"enrol": 3811472}}}`, ErrUnknownColumn, []string{`steps[0].calibrate.numeric`, `"enrol"`}},
		{"not converged", `{"rake": {"max_iter": 2, "margins": [` + mr("stype", popStype) + `, ` + mr("sch.wide", popSchWide) + `]}}`, ErrNotConverged, []string{"after 2 sweeps", "largest relative discrepancy", `margin "`}},
		{"infeasible bounds", `{"calibrate": {"method": "logit", "bounds": [0.9, 1.2], "margins": [` + mr("stype", popStype) + `]}}`, ErrInfeasible, []string{`cell "H"`, "widen the bounds"}},
		{"infeasible numeric", `{"calibrate": {"method": "raking", "bounds": [0.5, 1.05], "numeric": {"enroll": 3811472}}}`, ErrInfeasible, []string{`margin "enroll"`}},
		{"jointly infeasible", `{"calibrate": {"method": "logit", "max_iter": 30, "bounds": [0.8, 1.65], "margins": [` + mr("stype", popStype) + `], "numeric": {"enroll": 3400000}}}`, ErrNotConverged, []string{"did not converge after 30 iterations", "may be infeasible"}},
		{"negative weights", `{"calibrate": {"margins": [` + mr("stype", popStype) + `], "numeric": {"enroll": 1500000}}}`, ErrNegativeWeight, []string{"negative or zero", "bounds"}},
		{"collinear", `{"calibrate": {"margins": [` + mr("stype", popStype) + `], "numeric": {"dnum": 100, "enroll": 3811472, "api00": 1}}}`, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Apply(mustSpec(t, `{"design_weight": "pw", "steps": [`+c.steps+`]}`), rec, nil)
			if c.err == nil {
				return // only must not panic
			}
			if !errors.Is(err, c.err) {
				t.Fatalf("got %v, want %v", err, c.err)
			}
			var se *StepError
			if !errors.As(err, &se) || !strings.HasPrefix(se.Path, "steps[0]") {
				t.Errorf("no path: %v", err)
			}
			for _, s := range c.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%q lacks %q", err, s)
				}
			}
		})
	}
	// design weight problems
	if _, err := Apply(mustSpec(t, `{"design_weight": "nope"}`), rec, nil); !errors.Is(err, ErrUnknownColumn) || !strings.Contains(err.Error(), "design_weight") {
		t.Errorf("design weight column: %v", err)
	}
	if _, err := Apply(mustSpec(t, `{}`), rec, make([]float64, rec.NumRows())); !errors.Is(err, ErrBadData) || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("zero design weight: %v", err)
	}
	// nonresponse class without respondents
	mem2 := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem2.AssertSize(t, 0)
	small := smallRecord(mem2)
	defer small.Release()
	if _, err := Apply(mustSpec(t, `{"design_weight": "w", "steps": [{"nonresponse": {"classes": ["a", "b"], "responded": "resp"}}]}`), small, nil); err != nil {
		t.Errorf("a*b classes all have respondents: %v", err)
	}
	w := []float64{1, 1, 1, 1, 1, 1, 1, 1}
	if _, _, err := Nonresponse(w, Classes{Name: "a", Index: []int32{0, 0, 0, 0, 1, 1, 1, 1}, Labels: []string{"x", "y"}}, []bool{true, true, true, true, false, false, false, false}, nil); !errors.Is(err, ErrEmptyCell) || !strings.Contains(err.Error(), `cell "y"`) {
		t.Errorf("class without respondents: %v", err)
	}
}

// TestMultiColumnBy: a two-column margin keys its totals "a:b".
func TestMultiColumnBy(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rec := smallRecord(mem)
	defer rec.Release()
	res, err := Apply(mustSpec(t, `{"design_weight": "w", "steps": [{"poststratify": {"by": ["a", "b"], "totals": {"x:1": 100, "x:2": 200, "y:1": 30, "y:2": 70}}}]}`), rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	// x:1 rows 1,2 weigh 20 -> 50 each; x:2 rows 3,4 weigh 40 -> 100 each;
	// y:1 row 5 -> 30; y:2 rows 6,7,8 weigh 25 -> factor 2.8: 14, 28, 28.
	want := []float64{50, 50, 100, 100, 30, 14, 28, 28}
	for i := range want {
		if !scalar.EqualWithinAbsOrRel(res.Weights[i], want[i], 1e-14, 1e-14) {
			t.Errorf("row %d: %v want %v", i+1, res.Weights[i], want[i])
		}
	}
	// later steps skip dropped rows: nonresponse then poststratify
	res, err = Apply(mustSpec(t, `{"design_weight": "w", "steps": [{"nonresponse": {"classes": ["a"], "responded": "resp"}}, {"poststratify": {"by": ["b"], "totals": {"1": 10, "2": 90}}}, {"trim": {"max": 1.5}}]}`), rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Weights[1] != 0 || res.Weights[6] != 0 || !scalar.EqualWithinAbsOrRel(res.Final.Sum, 100, 1e-14, 1e-14) || res.Final.N != 6 {
		t.Errorf("weights %v final %+v", res.Weights, res.Final)
	}
}
