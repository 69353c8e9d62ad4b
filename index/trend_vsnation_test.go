package index

import (
	"math"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"gonum.org/v1/gonum/floats/scalar"
)

// TestVsNationDiffR compares domain − nation differences and their SEs with
// R survey 4.1.1 (testdata/trend.R §4: svyratio(covmat = TRUE) on the
// domain-zeroed and national variables, then svycontrast) on
// testdata/trend/vsnation_data.csv: a stratified cluster sample with
// domains crossing the strata, three criteria and two composites
// (A = (c1 + c2)/2, overall = (A + c3)/2). 1e-9 relative.
func TestVsNationDiffR(t *testing.T) {
	f64 := arrow.PrimitiveTypes.Float64
	rec, err := arrowio.ReadAll("../testdata/trend/vsnation_data.csv", arrowio.WithTypes(map[string]arrow.DataType{
		"stratum": arrow.BinaryTypes.String, "psu": arrow.BinaryTypes.String, "domain": arrow.BinaryTypes.String,
		"weight": f64, "x1": f64, "y1": f64, "x2": f64, "y2": f64, "x3": f64, "y3": f64}))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	d, err := sampling.NewDesign(rec, &sampling.DesignSpec{Weight: "weight", Strata: "stratum", PSU: "psu"})
	if err != nil {
		t.Fatal(err)
	}
	col := func(name string) arrow.Array {
		i := rec.Schema().FieldIndices(name)
		if len(i) != 1 {
			t.Fatalf("no column %s", name)
		}
		return rec.Column(i[0])
	}
	var num, den [][]float64
	for _, c := range []string{"1", "2", "3"} {
		num = append(num, col("y"+c).(*array.Float64).Float64Values())
		den = append(den, col("x"+c).(*array.Float64).Float64Values())
	}
	doms := col("domain").(*array.String)
	code := map[string]int32{"P1": 0, "P2": 1, "P3": 2}
	domain := make([]int32, rec.NumRows())
	for i := range domain {
		domain[i] = code[doms.Value(i)]
	}
	res, err := VsNationDiff(d, num, den, domain, 3, [][]float64{{0.5, 0.5, 0}, {0.25, 0.25, 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	idx := map[string]int{"c1": 0, "c2": 1, "c3": 2, "A": 3, "overall": 4}
	n := 0
	for _, r := range rankReadCSV(t, "../testdata/trend/vsnation.csv") {
		g, j := code[r["domain"]], idx[r["index"]]
		wd, ws := rankNum(t, r["diff"]), rankNum(t, r["se"])
		if !scalar.EqualWithinAbsOrRel(res.Diff[g][j], wd, 1e-14, 1e-9) || !scalar.EqualWithinAbsOrRel(res.SE[g][j], ws, 1e-14, 1e-9) {
			t.Errorf("%s %s: diff %v SE %v, R %v %v", r["domain"], r["index"], res.Diff[g][j], res.SE[g][j], wd, ws)
		}
		n++
	}
	if n != 15 {
		t.Fatalf("%d golden rows", n)
	}
	// The SE of the difference is not the independent-samples SE: the
	// domain is part of the nation (checked on P1's c1).
	r, err := d.EstimateRatios(&sampling.Ratios{Num: [][]float64{num[0]}, Den: [][]float64{den[0]}, Domain: domain, NDomains: 3, Overall: true})
	if err != nil {
		t.Fatal(err)
	}
	indep := CompareIndependent(r.Est[r.Index(3, 0)], r.SE[r.Index(3, 0)], r.Est[r.Index(0, 0)], r.SE[r.Index(0, 0)])
	if !scalar.EqualWithinAbsOrRel(indep.Change, res.Diff[0][0], 1e-14, 1e-9) {
		t.Errorf("difference %v, domain − national estimates %v", res.Diff[0][0], indep.Change)
	}
	if scalar.EqualWithinAbsOrRel(indep.SE, res.SE[0][0], 0, 0.01) {
		t.Errorf("SE of the difference %v equals the independent-samples SE %v", res.SE[0][0], indep.SE)
	}
}

// vsNationTestRecord reads testdata/trend/vsnation_data.csv and returns
// its y/x variables and, as a new record, its weight with the stratum and
// PSU columns rewritten by psuOf (row's stratum, PSU → new PSU label) and
// an fpc column of fpc PSUs per stratum.
func vsNationTestRecord(t *testing.T, psuOf func(stratum, psu string) string, fpc float64) (arrow.RecordBatch, [][]float64, [][]float64, []string) {
	t.Helper()
	f64 := arrow.PrimitiveTypes.Float64
	rec, err := arrowio.ReadAll("../testdata/trend/vsnation_data.csv", arrowio.WithTypes(map[string]arrow.DataType{
		"stratum": arrow.BinaryTypes.String, "psu": arrow.BinaryTypes.String, "domain": arrow.BinaryTypes.String,
		"weight": f64, "x1": f64, "y1": f64, "x2": f64, "y2": f64, "x3": f64, "y3": f64}))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	col := func(name string) arrow.Array { return rec.Column(rec.Schema().FieldIndices(name)[0]) }
	var num, den [][]float64
	for _, c := range []string{"1", "2", "3"} {
		num = append(num, slices.Clone(col("y"+c).(*array.Float64).Float64Values()))
		den = append(den, slices.Clone(col("x"+c).(*array.Float64).Float64Values()))
	}
	st, ps := col("stratum").(*array.String), col("psu").(*array.String)
	mem := memory.DefaultAllocator
	sb, pb := array.NewStringBuilder(mem), array.NewStringBuilder(mem)
	fb := array.NewFloat64Builder(mem)
	strata := make([]string, rec.NumRows())
	for i := range int(rec.NumRows()) {
		strata[i] = st.Value(i)
		sb.Append(st.Value(i))
		pb.Append(psuOf(st.Value(i), ps.Value(i)))
		fb.Append(fpc)
	}
	sa, pa, fa := sb.NewArray(), pb.NewArray(), fb.NewArray()
	defer sa.Release()
	defer pa.Release()
	defer fa.Release()
	wa := col("weight")
	schema := arrow.NewSchema([]arrow.Field{{Name: "stratum", Type: arrow.BinaryTypes.String}, {Name: "psu", Type: arrow.BinaryTypes.String},
		{Name: "weight", Type: f64}, {Name: "fpc", Type: f64}}, nil)
	return array.NewRecordBatch(schema, []arrow.Array{sa, pa, wa, fa}, rec.NumRows()), num, den, strata
}

// TestVsNationDiffOnePass checks the one-call path of VsNationDiff (every
// stratum in one domain) against the per-domain path — whose R golden is
// TestVsNationDiffR — at 1e-9: with rows outside every domain (−1), an
// empty domain, a criterion nobody answered in one domain, a
// first-stage fpc and single-PSU strata under each stratum-local lonely
// option. It also checks that the R golden's crossing domains take the
// per-domain path.
func TestVsNationDiffOnePass(t *testing.T) {
	domOf := map[string]int32{"1": 0, "2": 0, "3": 2, "4": -1} // domain 1 is empty
	comps := [][]float64{{0.5, 0.5, 0}, {0.25, 0.25, 0.5}}
	cases := []struct {
		name   string
		psuOf  func(s, p string) string
		fpc    float64
		lonely sampling.LonelyPSU
	}{
		{"clusters", func(s, p string) string { return p }, 0, sampling.LonelyFail},
		{"fpc", func(s, p string) string { return p }, 40, sampling.LonelyFail},
		{"lonely adjust", lonelyPSUs, 40, sampling.LonelyAdjust},
		{"lonely certainty", lonelyPSUs, 0, sampling.LonelyCertainty},
		{"lonely remove", lonelyPSUs, 0, sampling.LonelyRemove},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, num, den, strata := vsNationTestRecord(t, tc.psuOf, tc.fpc)
			defer rec.Release()
			spec := &sampling.DesignSpec{Weight: "weight", Strata: "stratum", PSU: "psu", Lonely: tc.lonely}
			if tc.fpc > 0 {
				spec.FPC = "fpc"
			}
			d, err := sampling.NewDesign(rec, spec)
			if err != nil {
				t.Fatal(err)
			}
			domain := make([]int32, len(strata))
			for i, s := range strata {
				domain[i] = domOf[s]
				if s == "3" { // nobody answered criterion 3 in domain 2
					num[2][i], den[2][i] = 0, 0
				}
			}
			if !vsNationNested(d, domain) {
				t.Fatal("strata nested in domains not detected")
			}
			got, err := VsNationDiff(d, num, den, domain, 3, comps)
			if err != nil {
				t.Fatal(err)
			}
			combos := [][]float64{{1, 0, 0, -1, 0, 0}, {0, 1, 0, 0, -1, 0}, {0, 0, 1, 0, 0, -1},
				{0.5, 0.5, 0, -0.5, -0.5, 0}, {0.25, 0.25, 0.5, -0.25, -0.25, -0.5}}
			want, err := vsNationPerDomain(d, num, den, domain, 3, combos)
			if err != nil {
				t.Fatal(err)
			}
			finite := 0
			for g := range 3 {
				for j := range 5 {
					gd, gs, wd, ws := got.Diff[g][j], got.SE[g][j], want.Diff[g][j], want.SE[g][j]
					if math.IsNaN(wd) != math.IsNaN(gd) || math.IsNaN(ws) != math.IsNaN(gs) {
						t.Errorf("domain %d index %d: diff %v SE %v, per domain %v %v", g, j, gd, gs, wd, ws)
						continue
					}
					if math.IsNaN(wd) {
						continue
					}
					finite++
					if !scalar.EqualWithinAbsOrRel(gd, wd, 1e-14, 1e-9) || !scalar.EqualWithinAbsOrRel(gs, ws, 1e-14, 1e-9) {
						t.Errorf("domain %d index %d: diff %v SE %v, per domain %v %v", g, j, gd, gs, wd, ws)
					}
				}
			}
			// domain 0: 5 finite; domain 1 empty; domain 2: c1, c2, A
			if finite != 8 {
				t.Errorf("%d finite differences, want 8", finite)
			}
			if !math.IsNaN(got.Diff[2][2]) || !math.IsNaN(got.Diff[2][4]) || math.IsNaN(got.Diff[2][3]) {
				t.Errorf("domain 2 without criterion 3: %v", got.Diff[2])
			}
		})
	}
	rec, _, _, strata := vsNationTestRecord(t, func(s, p string) string { return p }, 0)
	defer rec.Release()
	d, err := sampling.NewDesign(rec, &sampling.DesignSpec{Weight: "weight", Strata: "stratum", PSU: "psu"})
	if err != nil {
		t.Fatal(err)
	}
	cross := make([]int32, len(strata))
	for i := range cross {
		cross[i] = int32(i % 2)
	}
	if vsNationNested(d, cross) {
		t.Error("domains crossing strata taken as nested")
	}
}

// lonelyPSUs makes strata 2 and 4 single-PSU strata.
func lonelyPSUs(s, p string) string {
	if s == "2" || s == "4" {
		return "only" + s
	}
	return p
}
