package index

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gonum.org/v1/gonum/floats/scalar"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
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
	d, err := sampling.NewDesign(rec, &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu"})
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
	res, err := vsNationEngine(d, num, den, domain, 3, [][]float64{{0.5, 0.5, 0}, {0.25, 0.25, 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	idx := map[string]int{"c1": 0, "c2": 1, "c3": 2, "A": 3, "overall": 4}
	n := 0
	for _, r := range golden.Rows(t, "../testdata/trend/vsnation.csv") {
		g, j := code[r["domain"]], idx[r["index"]]
		wd, ws := golden.Float(t, r["diff"]), golden.Float(t, r["se"])
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

// vsNationResult holds, for every domain g and index j, the difference
// domain − nation and its SE: Diff[g][j], SE[g][j], with j running over the
// C ratios and then the M composites.
type vsNationResult struct {
	Diff, SE [][]float64
}

// vsNationEngine is the difference domain − nation of C ratios y_c/x_c
// given as float columns and M composites, in one engine call with
// Ratios.VsOverall — the computation Compute makes from coded items with
// Options.VsNation:
//
//	Δ_gc = R_gc − R_c,   Δ_gm = Σ_c a_mc Δ_gc,
//
// with influence values z_gc,i − z_c,i.
func vsNationEngine(d *sampling.Design, num, den [][]float64, domain []int32, nDomains int, composites [][]float64) (*vsNationResult, error) {
	c := len(num)
	out, err := d.EstimateRatios(&sampling.Ratios{
		Num: num, Den: den, Combos: composites,
		Domain: domain, NDomains: nDomains, Overall: true, VsOverall: true,
	})
	if err != nil {
		return nil, err
	}
	j := c + len(composites)
	res := &vsNationResult{Diff: make([][]float64, nDomains), SE: make([][]float64, nDomains)}
	for g := range nDomains {
		res.Diff[g] = out.VsEst[g*j : (g+1)*j : (g+1)*j]
		res.SE[g] = out.VsSE[g*j : (g+1)*j : (g+1)*j]
	}
	return res, nil
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

// vsNationPerDomain is an independent vsNationEngine: one EstimateRatios
// call per domain, without domains, over 2C estimands — the C ratios on
// the domain-zeroed variables y_c·d_g, x_c·d_g (the same estimate and
// influence values as R's domain estimation) and the C national ratios —
// with the contrasts e_c − e_{C+c} and Σ_c a_mc (e_c − e_{C+c}): the R
// computation of testdata/trend.R (svyratio covmat = TRUE, svycontrast).
func vsNationPerDomain(t *testing.T, d *sampling.Design, num, den [][]float64, domain []int32, nDomains int, composites [][]float64) *vsNationResult {
	t.Helper()
	c, n := len(num), d.Rows()
	var combos [][]float64
	for k := range c {
		v := make([]float64, 2*c)
		v[k], v[c+k] = 1, -1
		combos = append(combos, v)
	}
	for _, a := range composites {
		v := make([]float64, 2*c)
		for k, x := range a {
			v[k], v[c+k] = x, -x
		}
		combos = append(combos, v)
	}
	res := &vsNationResult{Diff: make([][]float64, nDomains), SE: make([][]float64, nDomains)}
	for g := range nDomains {
		gy, gx := make([][]float64, c), make([][]float64, c)
		for k := range c {
			gy[k], gx[k] = make([]float64, n), make([]float64, n)
			for i := range n {
				if domain[i] == int32(g) {
					gy[k][i], gx[k][i] = num[k][i], den[k][i]
				}
			}
		}
		out, err := d.EstimateRatios(&sampling.Ratios{
			Num:    append(gy, num...),
			Den:    append(gx, den...),
			Combos: combos,
		})
		if err != nil {
			t.Fatal(err)
		}
		res.Diff[g] = out.Est[2*c:]
		res.SE[g] = out.SE[2*c:]
	}
	return res
}

// TestVsNationDiffPerDomain checks vsNationEngine (one engine call with
// Ratios.VsOverall) against vsNationPerDomain at 1e-9 on
// testdata/trend/vsnation_data.csv: with rows outside every domain (−1),
// an empty domain, a criterion nobody answered in one domain, a
// first-stage fpc, single-PSU strata under each stratum-local lonely
// option, domains crossing the strata, replicate designs (JKn, bootstrap)
// and calibrated weights (post-stratification to the strata with
// weighting's AdjustInfluence hook).
func TestVsNationDiffPerDomain(t *testing.T) {
	domOf := map[string]int32{"1": 0, "2": 0, "3": 2, "4": -1} // domain 1 is empty
	comps := [][]float64{{0.5, 0.5, 0}, {0.25, 0.25, 0.5}}
	same := func(s, p string) string { return p }
	cases := []struct {
		name    string
		psuOf   func(s, p string) string
		fpc     float64
		lonely  sampling.LonelyPSU
		vr      sampling.VarianceMethod
		cross   bool // domains by row parity (crossing strata and PSUs)
		calibre bool
	}{
		{name: "clusters", psuOf: same},
		{name: "fpc", psuOf: same, fpc: 40},
		{name: "lonely adjust", psuOf: lonelyPSUs, fpc: 40, lonely: sampling.LonelyAdjust},
		{name: "lonely certainty", psuOf: lonelyPSUs, lonely: sampling.LonelyCertainty},
		{name: "lonely remove", psuOf: lonelyPSUs, lonely: sampling.LonelyRemove},
		{name: "lonely average", psuOf: lonelyPSUs, lonely: sampling.LonelyAverage},
		{name: "crossing", psuOf: same, fpc: 40, cross: true},
		{name: "jkn", psuOf: same, vr: sampling.JKn},
		{name: "bootstrap crossing", psuOf: same, vr: sampling.Bootstrap, cross: true},
		{name: "calibrated", psuOf: same, fpc: 40, calibre: true},
		{name: "calibrated crossing", psuOf: same, calibre: true, cross: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, num, den, strata := vsNationTestRecord(t, tc.psuOf, tc.fpc)
			defer rec.Release()
			spec := &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", Lonely: tc.lonely, Variance: tc.vr, Replicates: 30}
			if tc.fpc > 0 {
				spec.FPC = "fpc"
			}
			if tc.calibre {
				// post-stratify to the strata, totals 1.1 × the weights'
				tot := map[string]float64{}
				w := rec.Column(2).(*array.Float64).Float64Values()
				for i, s := range strata {
					tot[s] += 1.1 * w[i]
				}
				ws, err := weighting.ParseSpecBytes([]byte(fmt.Sprintf(`{"design_weight": "weight", "output": {"weight": "calw"},
					"steps": [{"rake": {"margins": [{"by": ["stratum"], "totals": {"1": %.17g, "2": %.17g, "3": %.17g, "4": %.17g}}]}}]}`,
					tot["1"], tot["2"], tot["3"], tot["4"])))
				if err != nil {
					t.Fatal(err)
				}
				wr, err := weighting.Apply(ws, rec, nil)
				if err != nil {
					t.Fatal(err)
				}
				cal := weighting.AppendWeights(memory.DefaultAllocator, rec, ws.Output, wr.Weights, nil)
				defer cal.Release()
				rec = cal
				spec.Weight, spec.AdjustInfluence = "calw", wr.AdjustInfluence
			}
			d, err := sampling.NewDesign(rec, spec)
			if err != nil {
				t.Fatal(err)
			}
			domain := make([]int32, len(strata))
			for i, s := range strata {
				domain[i] = domOf[s]
				if tc.cross {
					domain[i] = int32(i%2) * 2 // domains 0 and 2, 1 empty
				}
				if s == "3" && !tc.cross { // nobody answered criterion 3 in domain 2
					num[2][i], den[2][i] = 0, 0
				}
			}
			if tc.cross {
				for i := range domain {
					if domain[i] == 2 && i%4 == 0 {
						domain[i] = -1
					}
				}
			}
			got, err := vsNationEngine(d, num, den, domain, 3, comps)
			if err != nil {
				t.Fatal(err)
			}
			want := vsNationPerDomain(t, d, num, den, domain, 3, comps)
			finite := 0
			for g := range 3 {
				for j := range 5 {
					gd, gs, wd, ws := got.Diff[g][j], got.SE[g][j], want.Diff[g][j], want.SE[g][j]
					if g == 1 { // empty: NaN (the per-domain reference gives NaN too)
						if !math.IsNaN(gd) || !math.IsNaN(gs) {
							t.Errorf("empty domain, index %d: %v %v", j, gd, gs)
						}
						continue
					}
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
					if !(gs > 0) {
						t.Errorf("domain %d index %d: SE %v", g, j, gs)
					}
				}
			}
			// domain 0: 5 finite; domain 1 empty; domain 2: c1, c2, A (all 5 crossing)
			if want := map[bool]int{false: 8, true: 10}[tc.cross]; finite != want {
				t.Errorf("%d finite differences, want %d", finite, want)
			}
			if !tc.cross && (!math.IsNaN(got.Diff[2][2]) || !math.IsNaN(got.Diff[2][4]) || math.IsNaN(got.Diff[2][3])) {
				t.Errorf("domain 2 without criterion 3: %v", got.Diff[2])
			}
		})
	}
}

// lonelyPSUs makes strata 2 and 4 single-PSU strata.
func lonelyPSUs(s, p string) string {
	if s == "2" || s == "4" {
		return "only" + s
	}
	return p
}
