package sampling

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/golden"
)

// momentCase is a design without PSUs: its rows, and its cells (stratum,
// fpc, domain) with the units' moments.
type momentCase struct {
	strata, fpc []string
	w           []float64
	num, den    [][]float64
	dom         []int32
	G           int
}

func newMomentCase(seed uint64, n int) *momentCase {
	rng := rand.New(rand.NewPCG(seed, 7))
	c := &momentCase{G: 4, num: make([][]float64, 3), den: make([][]float64, 3)}
	popN := []float64{900, 2000, 1500, 1000, 10}
	for i := 0; i < n; i++ {
		h := rng.IntN(4)
		if i == n-1 {
			h = 4 // a stratum of one unit
		}
		g := int32(rng.IntN(4))
		if h == 2 && g == 3 {
			g = 1 // domain 3 is absent from stratum 2
		}
		c.strata = append(c.strata, fmt.Sprint("s", h))
		c.fpc = append(c.fpc, fmt.Sprint(popN[h]))
		c.dom = append(c.dom, g)
		w := float64(1+h) * (1 + rng.Float64())
		if rng.IntN(50) == 0 {
			w = 0
		}
		c.w = append(c.w, w)
		for k := range c.num {
			x, y := 1.0, 0.0
			if rng.IntN(6) == 0 {
				x = 0
			} else if rng.Float64() < 0.3+0.2*float64(k)+0.1*float64(h%2) {
				y = 100
			}
			if k == 2 && x == 1 {
				y = float64(rng.IntN(5)) * 25 // a mean score
			}
			c.num[k] = append(c.num[k], y)
			c.den[k] = append(c.den[k], x)
		}
	}
	return c
}

// cells returns the cell table (stratum, fpc, weight 1), the cells'
// domains, sums and moments.
func (c *momentCase) cells(t *testing.T) (*estColSet, []int32, *Ratios, *UnitMoments) {
	type key struct {
		s, f string
		g    int32
	}
	at := map[key]int{}
	K := len(c.num)
	set := &estColSet{}
	var dom []int32
	u := &UnitMoments{YY: make([][]float64, K), YX: make([][]float64, K), XX: make([][]float64, K),
		Pairs: []MomentPair{{K: 0, L: 1}, {K: 0, L: 2}, {K: 1, L: 2}}}
	r := &Ratios{Num: make([][]float64, K), Den: make([][]float64, K)}
	for i := range c.w {
		kk := key{c.strata[i], c.fpc[i], c.dom[i]}
		j, ok := at[kk]
		if !ok {
			j = len(dom)
			at[kk] = j
			dom = append(dom, c.dom[i])
			set.s = append(set.s, c.strata[i])
			set.f = append(set.f, c.fpc[i])
			u.Units, u.Positive = append(u.Units, 0), append(u.Positive, 0)
			for k := 0; k < K; k++ {
				r.Num[k], r.Den[k] = append(r.Num[k], 0), append(r.Den[k], 0)
				u.YY[k], u.YX[k], u.XX[k] = append(u.YY[k], 0), append(u.YX[k], 0), append(u.XX[k], 0)
			}
			for p := range u.Pairs {
				pr := &u.Pairs[p]
				pr.YY, pr.YX, pr.XY, pr.XX = append(pr.YY, 0), append(pr.YX, 0), append(pr.XY, 0), append(pr.XX, 0)
			}
		}
		w := c.w[i]
		u.Units[j]++
		if w != 0 {
			u.Positive[j]++
		}
		for k := 0; k < K; k++ {
			y, x := c.num[k][i], c.den[k][i]
			r.Num[k][j] += w * y
			r.Den[k][j] += w * x
			u.YY[k][j] += w * w * y * y
			u.YX[k][j] += w * w * y * x
			u.XX[k][j] += w * w * x * x
		}
		for p := range u.Pairs {
			pr := &u.Pairs[p]
			yk, xk, yl, xl := c.num[pr.K][i], c.den[pr.K][i], c.num[pr.L][i], c.den[pr.L][i]
			pr.YY[j] += w * w * yk * yl
			pr.YX[j] += w * w * yk * xl
			pr.XY[j] += w * w * xk * yl
			pr.XX[j] += w * w * xk * xl
		}
	}
	return set, dom, r, u
}

type estColSet struct{ s, f []string }

func floatsOf(t *testing.T, s []string) []*float64 {
	out := make([]*float64, len(s))
	for i, v := range s {
		var f float64
		if _, err := fmt.Sscan(v, &f); err != nil {
			t.Fatal(err)
		}
		out[i] = fp(f)
	}
	return out
}

// TestUnitMomentsEqualRows: a design without PSUs finished from the cells'
// moments gives the estimates, SEs, differences from the whole population
// and degrees of freedom of the rows, with and without fpc, under every
// lonely-unit policy (a stratum of one unit) and the domain adjustment,
// with a domain absent from a stratum and rows of weight 0.
func TestUnitMomentsEqualRows(t *testing.T) {
	mem := memory.DefaultAllocator
	c := newMomentCase(3, 3000)
	combos := [][]float64{{0.5, 0.25, 0.25}, {0, 1, -1}}
	ones := make([]*float64, 0)
	set, dom, cr, u := c.cells(t)
	for range set.s {
		ones = append(ones, fp(1))
	}
	rows := estRecord(t, mem, estCol{name: "h", s: c.strata}, estCol{name: "fpc", f: floatsOf(t, c.fpc)}, estCol{name: "w", f: estFloats(c.w...)})
	defer rows.Release()
	cells := estRecord(t, mem, estCol{name: "h", s: set.s}, estCol{name: "fpc", f: floatsOf(t, set.f)}, estCol{name: "w", f: ones})
	defer cells.Release()
	for _, fpc := range []string{"", "fpc"} {
		for _, lonely := range []LonelyPSU{LonelyRemove, LonelyAdjust, LonelyAverage, LonelyCertainty} {
			for _, adj := range []bool{false, true} {
				name := fmt.Sprintf("fpc=%q/%v/domainlonely=%v", fpc, lonely, adj)
				spec := DesignOptions{Weight: "w", Strata: "h", FPC: fpc, Lonely: lonely, AdjustDomainLonely: adj}
				d, err := NewDesign(rows, &spec)
				if err != nil {
					t.Fatal(name, err)
				}
				want, err := d.EstimateRatios(&Ratios{Num: c.num, Den: c.den, Combos: combos, Domain: c.dom, NDomains: c.G, Overall: true, VsOverall: true})
				if err != nil {
					t.Fatal(name, err)
				}
				spec.Units = u
				dc, err := NewDesign(cells, &spec)
				if err != nil {
					t.Fatal(name, err)
				}
				got, err := dc.EstimateRatios(&Ratios{Num: cr.Num, Den: cr.Den, Combos: combos, Domain: dom, NDomains: c.G, Overall: true, VsOverall: true})
				if err != nil {
					t.Fatal(name, err)
				}
				if got.DF != want.DF || dc.NStrata() != d.NStrata() || dc.NPSU() != d.NPSU() {
					t.Errorf("%s: df %d, strata %d, PSUs %d; rows %d, %d, %d", name, got.DF, dc.NStrata(), dc.NPSU(), want.DF, d.NStrata(), d.NPSU())
				}
				for i := range want.Est {
					if !golden.Close(got.Est[i], want.Est[i], 1e-12) || !golden.Close(got.SE[i], want.SE[i], 1e-12) {
						t.Errorf("%s: [%d] est %v se %v, rows %v %v", name, i, got.Est[i], got.SE[i], want.Est[i], want.SE[i])
					}
				}
				for i := range want.VsSE {
					if !golden.Close(got.VsSE[i], want.VsSE[i], 1e-12) {
						t.Errorf("%s: vs [%d] se %v, rows %v", name, i, got.VsSE[i], want.VsSE[i])
					}
				}
				if !math.IsNaN(got.Deff[0]) {
					t.Errorf("%s: deff %v from moments, want NaN", name, got.Deff[0])
				}
			}
		}
	}
}

// TestUnitMomentsContrastsAndTotals: on a design without PSUs finished
// from the cells' moments, totals (no denominator) beside ratios, and
// contrasts between domains (one estimand, two estimands of one domain
// through their cross-moments, a combination, the whole population) give
// the rows' estimates, SEs and degrees of freedom at 1e-12, with and
// without fpc, under every lonely-unit policy (a stratum of one unit; the
// totals recentred under LonelyAdjust) and the domain adjustment; a
// contrast of two estimands without their cross-moments is an error
// wrapping ErrBadDesign; with calibration residuals whose adjustment
// leaves every cell's Σ z (A_c = 0) the contrasts are those without.
func TestUnitMomentsContrastsAndTotals(t *testing.T) {
	mem := memory.DefaultAllocator
	c := newMomentCase(5, 2500)
	// domain 3 holds one unit of stratum 2 (lonely for the domain)
	for i, h := range c.strata {
		if h == "s2" && c.w[i] != 0 {
			c.dom[i] = 3
			break
		}
	}
	set, dom, cr, u := c.cells(t)
	ones := make([]*float64, 0)
	for range set.s {
		ones = append(ones, fp(1))
	}
	rows := estRecord(t, mem, estCol{name: "h", s: c.strata}, estCol{name: "fpc", f: floatsOf(t, c.fpc)}, estCol{name: "w", f: estFloats(c.w...)})
	defer rows.Release()
	cells := estRecord(t, mem, estCol{name: "h", s: set.s}, estCol{name: "fpc", f: floatsOf(t, set.f)}, estCol{name: "w", f: ones})
	defer cells.Release()
	// estimand 1 a total: no denominator, no YX or XX
	den := [][]float64{c.den[0], nil, c.den[2]}
	cden := [][]float64{cr.Den[0], nil, cr.Den[2]}
	ut := *u
	ut.YX = [][]float64{u.YX[0], nil, u.YX[2]}
	ut.XX = [][]float64{u.XX[0], nil, u.XX[2]}
	ut.Pairs = append([]MomentPair(nil), u.Pairs...)
	for p := range ut.Pairs {
		if pr := &ut.Pairs[p]; pr.L == 1 {
			pr.YX, pr.XX = nil, nil
		} else if pr.K == 1 {
			pr.XY, pr.XX = nil, nil
		}
	}
	combos := [][]float64{{0.5, 0, 0.5}}
	cs := [][]ContrastTerm{
		{{Domain: 0, Estimand: 0, Coef: 1}, {Domain: 1, Estimand: 0, Coef: -1}},
		{{Domain: 0, Estimand: 1, Coef: 0.5}, {Domain: 2, Estimand: 1, Coef: 0.5}, {Domain: 3, Estimand: 1, Coef: -1}},
		{{Domain: 2, Estimand: 2, Coef: 1}, {Domain: 2, Estimand: 0, Coef: -1}, {Domain: 1, Estimand: 1, Coef: 1e-3}},
		{{Domain: 3, Estimand: 3, Coef: 1}, {Domain: 4, Estimand: 3, Coef: -1}},
		{{Domain: 1, Estimand: 2, Coef: 1}, {Domain: 4, Estimand: 2, Coef: -1}},
	}
	for _, fpc := range []string{"", "fpc"} {
		for _, lc := range []struct {
			lonely LonelyPSU
			adj    bool
		}{{LonelyRemove, false}, {LonelyAdjust, false}, {LonelyAdjust, true}, {LonelyAverage, false}, {LonelyCertainty, true}} {
			name := fmt.Sprintf("fpc=%q/%v/domainlonely=%v", fpc, lc.lonely, lc.adj)
			spec := DesignOptions{Weight: "w", Strata: "h", FPC: fpc, Lonely: lc.lonely, AdjustDomainLonely: lc.adj}
			d, err := NewDesign(rows, &spec)
			if err != nil {
				t.Fatal(name, err)
			}
			want, wantC, err := d.Contrasts(&Ratios{Num: c.num, Den: den, Combos: combos, Domain: c.dom, NDomains: c.G, Overall: true}, cs)
			if err != nil {
				t.Fatal(name, err)
			}
			spec.Units = &ut
			dc, err := NewDesign(cells, &spec)
			if err != nil {
				t.Fatal(name, err)
			}
			got, gotC, err := dc.Contrasts(&Ratios{Num: cr.Num, Den: cden, Combos: combos, Domain: dom, NDomains: c.G, Overall: true}, cs)
			if err != nil {
				t.Fatal(name, err)
			}
			for i := range want.Est {
				if !golden.Close(got.Est[i], want.Est[i], 1e-12) || !golden.Close(got.SE[i], want.SE[i], 1e-12) {
					t.Errorf("%s: [%d] est %v se %v, rows %v %v", name, i, got.Est[i], got.SE[i], want.Est[i], want.SE[i])
				}
			}
			if gotC.DF != wantC.DF {
				t.Errorf("%s: contrasts' df %d, rows %d", name, gotC.DF, wantC.DF)
			}
			for i := range cs {
				if !golden.Close(gotC.Est[i], wantC.Est[i], 1e-12) || !golden.Close(gotC.SE[i], wantC.SE[i], 1e-12) || wantC.SE[i] == 0 {
					t.Errorf("%s: contrast %d: %v (SE %v), rows %v (SE %v)", name, i, gotC.Est[i], gotC.SE[i], wantC.Est[i], wantC.SE[i])
				}
			}
		}
	}
	// two estimands of one domain without their cross-moments
	un := ut
	un.Pairs = nil
	dc, err := NewDesign(cells, &DesignOptions{Weight: "w", Strata: "h", Lonely: LonelyRemove, Units: &un})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = dc.Contrasts(&Ratios{Num: cr.Num, Den: cden, Domain: dom, NDomains: c.G}, cs[2:3])
	if !errors.Is(err, ErrBadDesign) {
		t.Errorf("a contrast of two estimands without cross-moments: %v, want an error wrapping ErrBadDesign", err)
	}
	// with calibration residuals of A_c = 0: the contrasts without them
	ur := *u // ratios only
	w1 := make([]float64, len(dom))
	for i := range w1 {
		w1[i] = 1
	}
	ur.Residuals = &UnitResiduals{W: w1, W2: w1, Adjust: func(...[]float64) {}}
	plain := ur
	plain.Residuals = nil
	var cv [2]*ContrastResult
	for j, uu := range []*UnitMoments{&ur, &plain} {
		dr, err := NewDesign(cells, &DesignOptions{Weight: "w", Strata: "h", Lonely: LonelyRemove, Units: uu})
		if err != nil {
			t.Fatal(err)
		}
		if _, cv[j], err = dr.Contrasts(&Ratios{Num: cr.Num, Den: cr.Den, Domain: dom, NDomains: c.G}, cs[:2]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range cv[1].Var {
		if v, w := cv[0].Var[i], cv[1].Var[i]; !(math.Abs(v-w) <= 1e-12*math.Abs(w)) {
			t.Errorf("contrast %d with residuals A_c = 0: variance %.17g, %.17g without", i, v, w)
		}
	}
}
