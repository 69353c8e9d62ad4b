package index

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
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
