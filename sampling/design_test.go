package sampling

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gonum.org/v1/gonum/mat"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
)

// estCol is a test column: float64 values (nil pointer entries are nulls)
// or strings.
type estCol struct {
	name string
	f    []*float64
	s    []string
}

func fp(v float64) *float64 { return &v }

func estFloats(v ...float64) []*float64 {
	out := make([]*float64, len(v))
	for i := range v {
		out[i] = fp(v[i])
	}
	return out
}

func estRecord(t testing.TB, mem memory.Allocator, cols ...estCol) arrow.RecordBatch {
	t.Helper()
	var fields []arrow.Field
	var arrs []arrow.Array
	n := 0
	for _, c := range cols {
		if c.s != nil {
			b := array.NewStringBuilder(mem)
			b.AppendValues(c.s, nil)
			arrs = append(arrs, b.NewArray())
			b.Release()
			fields = append(fields, arrow.Field{Name: c.name, Type: arrow.BinaryTypes.String, Nullable: true})
			n = len(c.s)
		} else {
			b := array.NewFloat64Builder(mem)
			for _, v := range c.f {
				if v == nil {
					b.AppendNull()
				} else {
					b.Append(*v)
				}
			}
			arrs = append(arrs, b.NewArray())
			b.Release()
			fields = append(fields, arrow.Field{Name: c.name, Type: arrow.PrimitiveTypes.Float64, Nullable: true})
			n = len(c.f)
		}
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(n))
	for _, a := range arrs {
		a.Release()
	}
	return rec
}

func TestBadWeights(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	w := []*float64{fp(1), fp(-2), fp(math.NaN()), nil, fp(math.Inf(1)), fp(0), fp(3)}
	rec := estRecord(t, mem, estCol{name: "w", f: w})
	defer rec.Release()
	_, err := NewDesign(rec, &DesignOptions{Weight: "w"})
	if !errors.Is(err, ErrBadWeight) {
		t.Fatalf("err = %v, want ErrBadWeight", err)
	}
	for _, want := range []string{`"w"`, "missing at row 4", "negative at row 2", "NaN at row 3", "infinite at row 5"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	// zero weights are allowed: they count in n, not in the estimate
	rec2 := estRecord(t, mem, estCol{name: "w", f: estFloats(1, 0, 2)}, estCol{name: "y", f: estFloats(1, 100, 4)})
	defer rec2.Release()
	d, err := NewDesign(rec2, &DesignOptions{Weight: "w"})
	if err != nil {
		t.Fatal(err)
	}
	es, err := d.Mean(rec2, []string{"y"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// (1·1 + 2·4)/3 = 3
	if es[0].Estimate != 3 || es[0].N != 3 {
		t.Errorf("mean with a zero weight = %v (n %d), want 3 (n 3)", es[0].Estimate, es[0].N)
	}
	if d.DF() != 1 { // 2 PSUs with nonzero weight − 1 stratum (R degf)
		t.Errorf("DF = %d, want 1", d.DF())
	}
}

func TestNotNested(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := estRecord(t, mem,
		estCol{name: "st", s: []string{"a", "a", "b", "b"}},
		estCol{name: "psu", s: []string{"1", "2", "1", "2"}})
	defer rec.Release()
	_, err := NewDesign(rec, &DesignOptions{Strata: "st", PSU: "psu"})
	if !errors.Is(err, ErrNotNested) || !strings.Contains(err.Error(), "nest the PSUs") || !strings.Contains(err.Error(), `PSU "1" in strata "a" and "b"`) {
		t.Fatalf("err = %v, want ErrNotNested suggesting nesting", err)
	}
	d, err := NewDesign(rec, &DesignOptions{Strata: "st", PSU: "psu", Nest: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.NPSU() != 4 || d.NStrata() != 2 || d.DF() != 2 {
		t.Errorf("nested: %d PSUs, %d strata, df %d; want 4, 2, 2", d.NPSU(), d.NStrata(), d.DF())
	}
}

func TestLonelyFail(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := estRecord(t, mem,
		estCol{name: "st", s: []string{"a", "a", "b", "c", "c", "d"}},
		estCol{name: "psu", s: []string{"1", "2", "3", "4", "5", "6"}},
		estCol{name: "fpc", f: estFloats(10, 10, 5, 10, 10, 1)})
	defer rec.Release()
	_, err := NewDesign(rec, &DesignOptions{Strata: "st", PSU: "psu"})
	var le *LonelyPSUError
	if !errors.As(err, &le) || !errors.Is(err, ErrLonelyPSU) {
		t.Fatalf("err = %v, want *LonelyPSUError", err)
	}
	if strings.Join(le.Strata, ",") != "b,d" || !strings.Contains(err.Error(), "b, d") {
		t.Errorf("lonely strata %v (%v), want b, d", le.Strata, err)
	}
	// with fpc, stratum d (N = n = 1) is a certainty stratum, not lonely (R onestrat)
	_, err = NewDesign(rec, &DesignOptions{Strata: "st", PSU: "psu", FPC: "fpc"})
	if !errors.As(err, &le) || strings.Join(le.Strata, ",") != "b" {
		t.Errorf("with fpc: err = %v, want lonely stratum b only", err)
	}
}

func TestUnknownColumn(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := estRecord(t, mem, estCol{name: "weight", f: estFloats(1, 2)}, estCol{name: "y", f: estFloats(1, 2)})
	defer rec.Release()
	for _, spec := range []DesignOptions{{Weight: "wt"}, {Strata: "wt"}, {PSU: "wt"}, {FPC: "wt"}} {
		_, err := NewDesign(rec, &spec)
		if !errors.Is(err, ErrMissingColumn) || !strings.Contains(err.Error(), "weight, y") || !strings.Contains(err.Error(), "wt") {
			t.Errorf("%+v: err = %v, want missing column listing weight, y", spec, err)
		}
	}
	d, err := NewDesign(rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []func() error{
		func() error { _, err := d.Mean(rec, []string{"x"}, nil); return err },
		func() error {
			_, err := d.Mean(rec, []string{"y"}, &EstimateOptions{By: []string{"region"}})
			return err
		},
	} {
		if err := f(); !errors.Is(err, ErrMissingColumn) || !strings.Contains(err.Error(), "weight, y") {
			t.Errorf("err = %v, want missing column listing weight, y", err)
		}
	}
}

func TestEmptyDomain(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	y := []*float64{fp(1), fp(2), nil, nil, fp(5), fp(6)}
	rec := estRecord(t, mem, estCol{name: "y", f: y}, estCol{name: "g", s: []string{"a", "a", "b", "b", "c", "c"}})
	defer rec.Release()
	d, err := NewDesign(rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	es, err := d.Estimates(rec, []Estimand{{Statistic: "mean", Num: "y"}, {Statistic: "total", Num: "y"}}, &EstimateOptions{By: []string{"g"}, CI: Logit})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 6 {
		t.Fatalf("%d estimates, want 6", len(es))
	}
	for _, e := range es[2:4] {
		if e.Domain[0].Value != "b" || e.N != 0 || !math.IsNaN(e.Estimate) || !math.IsNaN(e.SE) || !math.IsNaN(e.CILow) {
			t.Errorf("empty domain: %+v, want n 0 and NaN", e)
		}
	}
	// domain a: mean 1.5; the influence values are (y − 1.5)/2 in domain a,
	// zero elsewhere; with 6 one-row PSUs in one stratum,
	// V = 6/5 Σ (z − z̄)² = 6/5 (2·0.0625 − 6·0²) = 0.15 (z̄ = 0).
	if math.Abs(es[0].Estimate-1.5) > 1e-15 || math.Abs(es[0].SE-math.Sqrt(0.15)) > 1e-15 {
		t.Errorf("domain a mean %v se %v, want 1.5, sqrt(0.15)", es[0].Estimate, es[0].SE)
	}
}

// TestDomainConsistency: a domain mean equals the ratio form Σ w y d / Σ w d
// on the whole design (estimate and SE: same influence values) and equals
// the mean of the subset of the domain's rows (estimate).
func TestDomainConsistency(t *testing.T) {
	rec := estLoad(t, "apistrat")
	d, err := NewDesign(rec, &DesignOptions{Weight: "pw", Strata: "stype"})
	if err != nil {
		t.Fatal(err)
	}
	dom, err := d.Mean(rec, []string{"api00"}, &EstimateOptions{By: []string{"sch.wide"}})
	if err != nil {
		t.Fatal(err)
	}
	yes := dom[1]
	if yes.Domain[0].Value != "Yes" {
		t.Fatalf("domain order: %v", dom)
	}
	col, _ := arrowio.Column(rec, "api00")
	y, _, _ := arrowio.Float64s(col)
	col, _ = arrowio.Column(rec, "yes")
	ind, _, _ := arrowio.Float64s(col)
	num := make([]float64, len(y))
	for i := range y {
		num[i] = y[i] * ind[i]
	}
	res, err := d.EstimateRatios(&Ratios{Num: [][]float64{num}, Den: [][]float64{ind}})
	if err != nil {
		t.Fatal(err)
	}
	if !golden.Close(res.Est[0], yes.Estimate, 1e-14) || !golden.Close(res.SE[0], yes.SE, 1e-12) {
		t.Errorf("ratio form %v (%v), domain %v (%v)", res.Est[0], res.SE[0], yes.Estimate, yes.SE)
	}
	// subset design: only the rows with sch.wide == Yes
	col, _ = arrowio.Column(rec, "pw")
	w, _, _ := arrowio.Float64s(col)
	col, _ = arrowio.Column(rec, "stype")
	st, _, _ := arrowio.Strings(col)
	var sy, sw []*float64
	var sst []string
	for i := range y {
		if ind[i] == 1 {
			sy, sw, sst = append(sy, fp(y[i])), append(sw, fp(w[i])), append(sst, st[i])
		}
	}
	mem := memory.NewGoAllocator()
	sub := estRecord(t, mem, estCol{name: "api00", f: sy}, estCol{name: "pw", f: sw}, estCol{name: "stype", s: sst})
	defer sub.Release()
	ds, err := NewDesign(sub, &DesignOptions{Weight: "pw", Strata: "stype"})
	if err != nil {
		t.Fatal(err)
	}
	se, err := ds.Mean(sub, []string{"api00"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !golden.Close(se[0].Estimate, yes.Estimate, 1e-14) || se[0].N != yes.N {
		t.Errorf("subset mean %v (n %d), domain %v (n %d)", se[0].Estimate, se[0].N, yes.Estimate, yes.N)
	}
}

// TestCombosAndCov: a linear combination of means has the variance c'Σc of
// the covariance matrix, and (for complete data) equals the mean of the
// combined variable; the covariance of two means matches R vcov(svymean(~api00+api99)).
func TestCombosAndCov(t *testing.T) {
	rec := estLoad(t, "apistrat")
	d, err := NewDesign(rec, &DesignOptions{Weight: "pw", Strata: "stype"})
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) []float64 {
		col, _ := arrowio.Column(rec, name)
		v, _, _ := arrowio.Float64s(col)
		return v
	}
	a, b := read("api00"), read("api99")
	one := make([]float64, len(a))
	mix := make([]float64, len(a))
	for i := range one {
		one[i] = 1
		mix[i] = 0.25*a[i] + 0.75*b[i]
	}
	dom, err := NewDomains(rec, []string{"sch.wide"})
	if err != nil {
		t.Fatal(err)
	}
	for _, domain := range []bool{false, true} {
		r := &Ratios{Num: [][]float64{a, b, mix}, Den: [][]float64{one, one, one}, Combos: [][]float64{{0.25, 0.75, 0}, {1, -1, 0}}, Cov: true}
		if domain {
			r.Domain, r.NDomains = dom.Code, dom.Len()
		}
		res, err := d.EstimateRatios(r)
		if err != nil {
			t.Fatal(err)
		}
		for g := 0; g < res.G; g++ {
			c := res.Cov[g]
			for j := 0; j < 5; j++ {
				if !golden.Close(c.At(j, j), res.Var[res.Index(g, j)], 1e-12) {
					t.Errorf("g %d: cov diag %d %v, var %v", g, j, c.At(j, j), res.Var[res.Index(g, j)])
				}
			}
			cv := mat.NewVecDense(5, []float64{0.25, 0.75, 0, 0, 0})
			var tmp mat.VecDense
			tmp.MulVec(c, cv)
			q := mat.Dot(cv, &tmp)
			if !golden.Close(q, res.Var[res.Index(g, 3)], 1e-10) {
				t.Errorf("g %d: c'Σc = %v, combo var %v", g, q, res.Var[res.Index(g, 3)])
			}
			for _, f := range []func(int) float64{
				func(i int) float64 { return res.Est[i] }, func(i int) float64 { return res.Var[i] }, func(i int) float64 { return res.Deff[i] },
			} {
				if !golden.Close(f(res.Index(g, 3)), f(res.Index(g, 2)), 1e-10) {
					t.Errorf("g %d: combo %v, mean of the mix %v", g, f(res.Index(g, 3)), f(res.Index(g, 2)))
				}
			}
			if res.N[res.Index(g, 3)] != res.N[res.Index(g, 2)] {
				t.Errorf("combo n %d, want %d", res.N[res.Index(g, 3)], res.N[res.Index(g, 2)])
			}
		}
		if !domain {
			want := strings.Fields(estReadFile(t, "cov_strat_api00_api99.txt"))
			for i, w := range want {
				if got := res.Cov[0].At(i/2, i%2); !golden.Close(got, estF(t, w), 1e-9) {
					t.Errorf("cov[%d] = %.17g, R %s", i, got, w)
				}
			}
		}
	}
}

func estReadFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "estimation", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCIMatchesR(t *testing.T) {
	gold := estReadCSV(t, filepath.Join("..", "testdata", "estimation", "ci.csv"))
	for _, g := range gold {
		m, err := ParseCIMethod(g["method"])
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(g["n"])
		df, _ := strconv.Atoi(g["df"])
		lo, hi := ConfidenceInterval(m, estF(t, g["est"]), estF(t, g["se"]), n, df, estF(t, g["level"]))
		if !golden.Close(lo, estF(t, g["lo"]), 1e-9) || !golden.Close(hi, estF(t, g["hi"]), 1e-9) {
			t.Errorf("%v: [%.17g, %.17g], R [%s, %s]", g, lo, hi, g["lo"], g["hi"])
		}
	}
	// the share itself from our estimator equals R's svyciprop estimate and SE
	rec := estLoad(t, "apistrat")
	d, _ := NewDesign(rec, &DesignOptions{Weight: "pw", Strata: "stype"})
	es, err := d.Mean(rec, []string{"yes"}, &EstimateOptions{CI: Beta})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gold {
		if g["design"] == "strat" && g["method"] == "beta" && g["level"] == "0.95" {
			if !golden.Close(es[0].Estimate, estF(t, g["est"]), 1e-12) || !golden.Close(es[0].SE, estF(t, g["se"]), 1e-9) ||
				!golden.Close(es[0].CILow, estF(t, g["lo"]), 1e-9) || !golden.Close(es[0].CIHigh, estF(t, g["hi"]), 1e-9) {
				t.Errorf("Mean(yes, beta) = %+v, R %v", es[0], g)
			}
		}
	}
	// boundary: a share of 1 with SE 0 gets Clopper–Pearson with the
	// unweighted n: lower = qbeta(0.025, n, 1) = 0.025^(1/n).
	lo, hi := ConfidenceInterval(Logit, 1, 0, 10, 9, 0.95)
	if !golden.Close(lo, math.Pow(0.025, 0.1), 1e-12) || hi != 1 {
		t.Errorf("boundary CI [%v, %v], want [0.025^(1/10), 1]", lo, hi)
	}
	lo, hi = ConfidenceInterval(Beta, 0, 0, 10, 9, 0.95)
	if lo != 0 || !golden.Close(hi, 1-math.Pow(0.025, 0.1), 1e-12) {
		t.Errorf("boundary CI [%v, %v], want [0, 1 − 0.025^(1/10)]", lo, hi)
	}
}

// TestRowNumbers: the errors about the design columns name a row by
// RowNumbers when set (rows that stand for others), by its place if not;
// a count of numbers other than the rows' is an error.
func TestRowNumbers(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := estRecord(t, mem,
		estCol{name: "st", s: []string{"a", "a", "b", "b"}},
		estCol{name: "psu", s: []string{"1", "2", "3", "1"}},
		estCol{name: "f", f: estFloats(10, 10, 10, 12)},
		estCol{name: "w", f: estFloats(1, 2, -1, 1)})
	defer rec.Release()
	rows := []int64{7, 70, 700, 7000}
	for _, c := range []struct {
		spec DesignOptions
		want string
	}{
		{DesignOptions{Strata: "st", PSU: "psu"}, `PSU "1" in strata "a" and "b" (row 7000)`},
		{DesignOptions{Strata: "st", PSU: "psu", FPC: "f", Nest: true}, "10 and 12 at row 7000"},
		{DesignOptions{Weight: "w"}, "negative at row 700;"},
	} {
		_, err := NewDesign(rec, &c.spec)
		if err == nil || strings.Contains(err.Error(), c.want) {
			t.Fatalf("%+v without row numbers: %v; want the rows by place", c.spec, err)
		}
		c.spec.RowNumbers = rows
		if _, err := NewDesign(rec, &c.spec); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v; want %q", c.spec, err, c.want)
		}
	}
	if _, err := NewDesign(rec, &DesignOptions{RowNumbers: rows[:3]}); !errors.Is(err, ErrBadDesign) {
		t.Errorf("3 row numbers for 4 rows: %v, want ErrBadDesign", err)
	}
}
