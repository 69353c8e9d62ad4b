package sampling

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"gonum.org/v1/gonum/stat/distuv"

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

// TestDomainDFReplicates: replicate designs keep the design's df in every
// domain (see DomainDF).
func TestDomainDFReplicates(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := estRecord(t, mem, estCol{name: "h", s: []string{"a", "a", "a", "b", "b", "b"}},
		estCol{name: "p", s: []string{"1", "2", "3", "4", "5", "6"}},
		estCol{name: "w", f: estFloats(1, 2, 3, 4, 5, 6)})
	defer rec.Release()
	d, err := NewDesign(rec, &DesignOptions{Weight: "w", Strata: "h", PSU: "p", Variance: JKn})
	if err != nil {
		t.Fatal(err)
	}
	for g, df := range d.DomainDF([]int32{0, 0, 1, 1, -1, 1}, 3) {
		if df != d.DF() {
			t.Errorf("domain %d: df %d, want the design's %d", g, df, d.DF())
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
