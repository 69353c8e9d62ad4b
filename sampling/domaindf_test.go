package sampling

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
)

// TestDomainDFBruteForce compares Design.DomainDF with a direct count of
// the distinct PSUs and strata among each domain's rows with nonzero weight
// (R degf.survey.design2 on a subset), on rows in random order (so the
// design keeps a row order), with zero weights, rows in no domain and a
// domain without rows.
func TestDomainDFBruteForce(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(7, 11))
	const n, G = 4000, 9
	strata, psus := make([]string, n), make([]string, n)
	w := make([]*float64, n)
	dom := make([]int32, n)
	for i := range strata {
		h := rng.IntN(12)
		strata[i] = fmt.Sprint("s", h)
		psus[i] = fmt.Sprint("s", h, "-p", rng.IntN(2+h))
		wt := 1 + rng.Float64()*5
		if rng.IntN(10) == 0 {
			wt = 0
		}
		w[i] = fp(wt)
		// domain 8 stays empty; −1: no domain; domains 0–2 concentrate
		// in a few strata so that their df are small
		switch g := rng.IntN(10); {
		case g == 9:
			dom[i] = -1
		case g < 3:
			if h > 2*g+1 {
				dom[i] = 3 + int32(rng.IntN(5))
			} else {
				dom[i] = int32(g)
			}
		default:
			dom[i] = 3 + int32(rng.IntN(5))
		}
	}
	rec := estRecord(t, mem, estCol{name: "h", s: strata}, estCol{name: "p", s: psus}, estCol{name: "w", f: w})
	defer rec.Release()
	d, err := NewDesign(rec, &DesignOptions{Weight: "w", Strata: "h", PSU: "p"})
	if err != nil {
		t.Fatal(err)
	}
	got := d.DomainDF(dom, G)
	psuSet := make([]map[string]bool, G)
	strSet := make([]map[string]bool, G)
	for g := range psuSet {
		psuSet[g], strSet[g] = map[string]bool{}, map[string]bool{}
	}
	for i, g := range dom {
		if g >= 0 && *w[i] != 0 {
			psuSet[g][psus[i]] = true
			strSet[g][strata[i]] = true
		}
	}
	small := false
	for g := 0; g < G; g++ {
		want := len(psuSet[g]) - len(strSet[g])
		if got[g] != want {
			t.Errorf("domain %d: df %d, want %d PSUs − %d strata = %d", g, got[g], len(psuSet[g]), len(strSet[g]), want)
		}
		small = small || (want > 0 && want < 6)
	}
	if got[8] != 0 || !small {
		t.Fatalf("test data do not exercise empty or small domains: %v", got)
	}
	// All rows in one domain: the design's df.
	all := make([]int32, n)
	if df := d.DomainDF(all, 1); df[0] != d.DF() {
		t.Errorf("one domain of all rows: df %d, design %d", df[0], d.DF())
	}

	// Estimates with DFDomain: each domain's Wald interval is
	// est ± t_{df_g, 0.975}·SE (gonum's Student t, independent of ci.go).
	x := make([]*float64, n)
	by := make([]string, n)
	for i := range x {
		x[i] = fp(rng.NormFloat64())
		by[i] = fmt.Sprint("g", dom[i])
		if dom[i] < 0 {
			by[i] = "none"
		}
	}
	rec2 := estRecord(t, mem, estCol{name: "h", s: strata}, estCol{name: "p", s: psus}, estCol{name: "w", f: w},
		estCol{name: "x", f: x}, estCol{name: "by", s: by})
	defer rec2.Release()
	d2, err := NewDesign(rec2, &DesignOptions{Weight: "w", Strata: "h", PSU: "p"})
	if err != nil {
		t.Fatal(err)
	}
	es, err := d2.Mean(rec2, []string{"x"}, &EstimateOptions{By: []string{"by"}, DF: DFDomain})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		var g int32 = -1
		fmt.Sscanf(e.Domain[0].Value, "g%d", &g)
		var want int
		if g >= 0 {
			want = got[g]
		} else { // the rows in no domain above form the domain "none" here
			ps, hs := map[string]bool{}, map[string]bool{}
			for i, gi := range dom {
				if gi < 0 && *w[i] != 0 {
					ps[psus[i]], hs[strata[i]] = true, true
				}
			}
			want = len(ps) - len(hs)
		}
		if e.DF != want {
			t.Errorf("domain %s: Estimate.DF %d, want %d", e.Domain[0].Value, e.DF, want)
		}
		q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(e.DF)}.Quantile(0.975)
		if e.DF < 1 {
			q = distuv.UnitNormal.Quantile(0.975)
		}
		if lo, hi := e.Estimate-q*e.SE, e.Estimate+q*e.SE; !golden.Close(e.CILow, lo, 1e-12) || !golden.Close(e.CIHigh, hi, 1e-12) {
			t.Errorf("domain %s (df %d): [%g, %g], want [%g, %g]", e.Domain[0].Value, e.DF, e.CILow, e.CIHigh, lo, hi)
		}
	}
}

// TestDomainDFReplicates: a domain of a replicate design has R's degf of
// the subset design, the rank of its rows' replicate weights minus 1 (R's
// subset drops the other rows), not the design's df, under JK1, JKn, BRR
// and supplied (bootstrap, JK1) weights, and JKn with 450 replicates
// (past the cost guard of the design's rank); the t-based Wald and logit
// intervals that use it match R svyciprop / confint on the subset
// (testdata/domaindf_rep.R). Degrees of freedom set by the user stay the
// design's in every domain (a deliberate difference, see DomainDF).
func TestDomainDFReplicates(t *testing.T) {
	clus1, strat := estLoad(t, "apiclus1"), estLoad(t, "apistrat")
	user := func(name, typ string) (arrow.RecordBatch, DesignOptions) {
		rw, err := arrowio.ReadAll(filepath.Join("..", "testdata", "estimation", "repw_"+name+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(rw.Release)
		spec := DesignOptions{Weight: "pw", RepWeightsPrefix: "rw", RepType: typ}
		if typ == "other" {
			meta := strings.Split(strings.TrimSpace(estReadFile(t, "repw_"+name+".txt")), "\n")
			spec.RepScale = estF(t, meta[0])
			for _, f := range strings.Fields(meta[1]) {
				spec.RepRScales = append(spec.RepRScales, estF(t, f))
			}
		}
		return estAddColumns(t, clus1, rw), spec
	}
	designs := map[string]*Design{}
	recs := map[string]arrow.RecordBatch{}
	for name, ds := range map[string]func() (arrow.RecordBatch, DesignOptions){
		"jk1": func() (arrow.RecordBatch, DesignOptions) {
			return clus1, DesignOptions{Weight: "pw", PSU: "dnum", Variance: JK1}
		},
		"jkn": func() (arrow.RecordBatch, DesignOptions) {
			return strat, DesignOptions{Weight: "pw", Strata: "stype", PSU: "dnum", Nest: true, Variance: JKn}
		},
		"brr": func() (arrow.RecordBatch, DesignOptions) {
			return strat, DesignOptions{Weight: "pw", Strata: "stype", PSU: "pair", Variance: BRR}
		},
		"user_boot": func() (arrow.RecordBatch, DesignOptions) { return user("boot", "other") },
		"user_jk1":  func() (arrow.RecordBatch, DesignOptions) { return user("jk1", "jk1") },
		"jkn_big": func() (arrow.RecordBatch, DesignOptions) {
			rec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "estimation", "domaindf_big.csv"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(rec.Release)
			return rec, DesignOptions{Weight: "pw", Strata: "stratum", PSU: "psu", Variance: JKn}
		},
	} {
		rec, spec := ds()
		mse := false // R's default
		spec.MSE = &mse
		d, err := NewDesign(rec, &spec)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		designs[name], recs[name] = d, rec
	}
	checked, smaller := 0, 0
	for _, g := range golden.Rows(t, filepath.Join("..", "testdata", "estimation", "domaindf_rep.csv")) {
		d, rec := designs[g["design"]], recs[g["design"]]
		name := g["design"] + " " + g["domain"] + " " + g["var"] + " " + g["method"]
		if ddf, _ := strconv.Atoi(g["design_df"]); d.DF() != ddf {
			t.Errorf("%s: design df %d, R %d", name, d.DF(), ddf)
		}
		ci := Wald
		if g["method"] == "logit" {
			ci = Logit
		}
		es, err := d.Mean(rec, []string{g["var"]}, &EstimateOptions{By: []string{g["by"]}, CI: ci, DF: DFDomain})
		if err != nil {
			t.Fatal(err)
		}
		e := statsByDomain(es)[g["domain"]]
		df, _ := strconv.Atoi(g["df"])
		if e.DF != df {
			t.Errorf("%s: domain df %d, R %d", name, e.DF, df)
		}
		if df < d.DF() {
			smaller++
		}
		for _, c := range []struct {
			what      string
			got, want float64
		}{{"estimate", e.Estimate, golden.Float(t, g["est"])}, {"lower", e.CILow, golden.Float(t, g["lo"])}, {"upper", e.CIHigh, golden.Float(t, g["hi"])}} {
			tol := 1e-9
			if ci == Logit {
				tol = 1e-7 // R's svyglm iterates on every replicate
			}
			if !golden.Close(c.got, c.want, tol) {
				t.Errorf("%s: %s %.17g, R %.17g", name, c.what, c.got, c.want)
			}
		}
		checked++
	}
	if checked != 44 || smaller < 28 {
		t.Errorf("checked %d rows (want 44), %d with a domain df below the design's", checked, smaller)
	}

	// user-set degrees of freedom stay the design's in every domain
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := estRecord(t, mem, estCol{name: "h", s: []string{"a", "a", "a", "b", "b", "b"}},
		estCol{name: "p", s: []string{"1", "2", "3", "4", "5", "6"}},
		estCol{name: "w", f: estFloats(1, 2, 3, 4, 5, 6)})
	defer rec.Release()
	dom := []int32{0, 0, 1, 1, -1, 1}
	d, err := NewDesign(rec, &DesignOptions{Weight: "w", Strata: "h", PSU: "p", Variance: JKn})
	if err != nil {
		t.Fatal(err)
	}
	// JKn: PSUs 1, 2 of stratum a span rank 2; PSUs 3 (a), 4, 6 (b) rank 3
	if got := d.DomainDF(dom, 3); !slices.Equal(got, []int{1, 2, 0}) || d.DF() != 4 {
		t.Errorf("JKn domain df %v (design %d), want [1 2 0] (4)", got, d.DF())
	}
	d, err = NewDesign(rec, &DesignOptions{Weight: "w", Strata: "h", PSU: "p", Variance: JKn, RepDF: 30})
	if err != nil {
		t.Fatal(err)
	}
	for g, df := range d.DomainDF(dom, 3) {
		if df != 30 {
			t.Errorf("domain %d: df %d, want the user's 30", g, df)
		}
	}
}

func TestParseDFRule(t *testing.T) {
	for s, want := range map[string]DFRule{"": DFDesign, "design": DFDesign, "Domain": DFDomain} {
		if r, err := ParseDFRule(s); err != nil || r != want {
			t.Errorf("ParseDFRule(%q) = %v, %v", s, r, err)
		}
	}
	if _, err := ParseDFRule("psu"); err == nil {
		t.Error("ParseDFRule(psu) accepted")
	}
}

// TestLogisticReplicateDroppedRowsDF: R svyglm on a replicate design sets
// its residual df from the whole design's degf before it drops the rows
// with missing values, even when those rows are whole PSUs and the
// subset's rank is smaller (testdata/domaindf_rep.R): the domain rule does
// not apply there.
func TestLogisticReplicateDroppedRowsDF(t *testing.T) {
	rec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "estimation", "domaindf_glm.csv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Release)
	mse := false
	d, err := NewDesign(rec, &DesignOptions{Weight: "pw", PSU: "dnum", Variance: JK1, MSE: &mse})
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFormula("yes ~ x")
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Logistic(rec, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows := golden.Rows(t, filepath.Join("..", "testdata", "estimation", "domaindf_glm_coef.csv"))
	for i, g := range rows {
		if df, _ := strconv.Atoi(g["df"]); res.DF != df {
			t.Errorf("residual df %d, R %d", res.DF, df)
		}
		c := res.Coef[i]
		if c.Term != g["term"] || !golden.Close(c.Estimate, golden.Float(t, g["est"]), 1e-7) || !golden.Close(c.SE, golden.Float(t, g["se"]), 1e-7) {
			t.Errorf("%s: %.17g (SE %.17g), R %s %s (%s)", c.Term, c.Estimate, c.SE, g["term"], g["est"], g["se"])
		}
	}
}
