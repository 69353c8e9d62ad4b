package sampling

import (
	"fmt"
	"math"
	"testing"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
)

// vsReference computes, for domain g of r (Domain, Overall set), the
// differences domain − overall of every estimand and combination
// independently of Ratios.VsOverall: one call without domains over 2K
// estimands — the K on the domain-masked columns y·1_g, x·1_g (R's domain
// estimation: the same estimate and influence values z_g, zero outside g)
// and the K on the whole-sample columns — with the contrasts e_k − e_{K+k}
// and, per combination, Σ_k c_k (e_k − e_{K+k}). Their influence values
// are z_g − z_all, the definition of the option.
func vsReference(t *testing.T, d *Design, r *Ratios, g int) (est, se []float64) {
	t.Helper()
	m := vrMaterialize(r, d.n)
	K := len(m.Num)
	num := make([][]float64, 2*K)
	den := make([][]float64, 2*K)
	for k := 0; k < K; k++ {
		y := make([]float64, d.n)
		var x []float64
		if m.Den[k] != nil {
			x = make([]float64, d.n)
		}
		for i := range y {
			if m.Domain[i] == int32(g) {
				y[i] = m.Num[k][i]
				if x != nil {
					x[i] = m.Den[k][i]
				}
			}
		}
		num[k], den[k] = y, x
		num[K+k], den[K+k] = m.Num[k], m.Den[k]
	}
	var combos [][]float64
	for k := 0; k < K; k++ {
		c := make([]float64, 2*K)
		c[k], c[K+k] = 1, -1
		combos = append(combos, c)
	}
	for _, co := range m.Combos {
		c := make([]float64, 2*K)
		for k, v := range co {
			c[k], c[K+k] = v, -v
		}
		combos = append(combos, c)
	}
	res, err := d.EstimateRatios(&Ratios{Num: num, Den: den, Combos: combos})
	if err != nil {
		t.Fatal(err)
	}
	return res.Est[2*K:], res.SE[2*K:]
}

// Ratios.VsOverall against vsReference at 1e-9 on the infRatios set (two
// means, a total, a coded item, two combinations; stype domains with the M
// schools in no domain), for linearized designs (fpc, clusters, every
// lonely-PSU mode), replicate designs (JKn, JK1, bootstrap, BRR with
// Fay) and a calibration hook (post-stratification residuals by sch.wide).
// One domain with no rows (stype M emptied) must give NaN.
func TestVsOverallAgainstMaskedCombos(t *testing.T) {
	mse := true
	cases := []struct {
		file string
		spec DesignOptions
		hook bool
	}{
		{"apistrat", DesignOptions{Weight: "pw", Strata: "stype", FPC: "fpc"}, false},
		{"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", FPC: "fpc"}, false},
		{"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", Strata: "lstrat", Lonely: LonelyAdjust}, false},
		{"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", Strata: "lstrat", Lonely: LonelyAverage}, false},
		{"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", Strata: "lstrat", Lonely: LonelyRemove}, false},
		{"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", Strata: "lstrat", Lonely: LonelyCertainty}, false},
		{"apistrat", DesignOptions{}, false},
		{"apistrat", DesignOptions{Weight: "pw", Strata: "stype", FPC: "fpc", Variance: JKn}, false},
		{"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", Variance: JK1, MSE: &mse}, false},
		{"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", Variance: Bootstrap, Replicates: 40}, false},
		{"apistrat", DesignOptions{Weight: "pw", Strata: "stype", PSU: "pair", Variance: Fay, FayRho: 0.3}, false},
		{"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", FPC: "fpc"}, true},
		{"apistrat", DesignOptions{Weight: "pw", Strata: "stype", FPC: "fpc"}, true},
	}
	for ci, c := range cases {
		t.Run(fmt.Sprintf("%d_%s", ci, c.file), func(t *testing.T) {
			rec := estLoad(t, c.file)
			r, _ := infRatios(t, c.file)
			d, err := NewDesign(rec, &c.spec)
			if err != nil {
				t.Fatal(err)
			}
			if c.hook {
				cc, err := arrowio.Column(rec, "sch.wide")
				if err != nil {
					t.Fatal(err)
				}
				cls, _, _ := arrowio.Strings(cc)
				w := d.Weights()
				d.spec.AdjustInfluence = infEach(func(z []float64) {
					sz, sw := map[string]float64{}, map[string]float64{}
					for i := range z {
						sz[cls[i]] += z[i]
						sw[cls[i]] += w[i]
					}
					for i := range z {
						z[i] -= w[i] * sz[cls[i]] / sw[cls[i]]
					}
				})
			}
			r.VsOverall = true
			r.Cov = ci%2 == 0 // with and without covariances
			res, err := d.EstimateRatios(r)
			if err != nil {
				t.Fatal(err)
			}
			J := res.K + res.C
			if len(res.VsEst) != r.NDomains*J || len(res.VsSE) != r.NDomains*J || len(res.VsVar) != r.NDomains*J {
				t.Fatalf("VsOverall lengths %d %d %d, want %d", len(res.VsEst), len(res.VsSE), len(res.VsVar), r.NDomains*J)
			}
			finite := 0
			for g := 0; g < r.NDomains; g++ {
				we, ws := vsReference(t, d, r, g)
				for j := 0; j < J; j++ {
					i := g*J + j
					ge, gs := res.VsEst[i], res.VsSE[i]
					if math.IsNaN(res.Est[res.Index(g, j)]) || math.IsNaN(res.Est[res.Index(r.NDomains, j)]) {
						// (the masked total of an empty domain is 0 there, NaN here)
						if !math.IsNaN(ge) || !math.IsNaN(gs) || !math.IsNaN(res.VsVar[i]) {
							t.Errorf("domain %d estimand %d: estimate NaN, difference %v SE %v", g, j, ge, gs)
						}
						continue
					}
					if !golden.Close(ge, we[j], 1e-9) || !golden.Close(gs, ws[j], 1e-9) {
						t.Errorf("domain %d estimand %d: diff %.15g SE %.15g, masked combination %.15g %.15g", g, j, ge, gs, we[j], ws[j])
					}
					if !math.IsNaN(gs) {
						finite++
						if !golden.Close(res.VsVar[i], gs*gs, 1e-12) {
							t.Errorf("domain %d estimand %d: Var %v, SE² %v", g, j, res.VsVar[i], gs*gs)
						}
						if !golden.Close(ge, res.Est[res.Index(g, j)]-res.Est[res.Index(r.NDomains, j)], 1e-12) {
							t.Errorf("domain %d estimand %d: diff %v is not the domain's minus the overall estimate", g, j, ge)
						}
					}
				}
			}
			if finite == 0 {
				t.Fatal("no finite difference")
			}
		})
	}
	// an empty domain: NaN, and the other domains unaffected
	rec := estLoad(t, "apistrat")
	r, _ := infRatios(t, "apistrat")
	d, err := NewDesign(rec, &DesignOptions{Weight: "pw", Strata: "stype", FPC: "fpc"})
	if err != nil {
		t.Fatal(err)
	}
	r.NDomains++
	r.VsOverall = true
	res, err := d.EstimateRatios(r)
	if err != nil {
		t.Fatal(err)
	}
	J := res.K + res.C
	for j := 0; j < J; j++ {
		if i := (r.NDomains-1)*J + j; !math.IsNaN(res.VsEst[i]) || !math.IsNaN(res.VsSE[i]) {
			t.Errorf("empty domain, estimand %d: %v %v", j, res.VsEst[i], res.VsSE[i])
		}
		we, ws := vsReference(t, d, r, 0)
		if !golden.Close(res.VsEst[j], we[j], 1e-9) || !golden.Close(res.VsSE[j], ws[j], 1e-9) {
			t.Errorf("domain 0 estimand %d with an empty domain: %v %v, want %v %v", j, res.VsEst[j], res.VsSE[j], we[j], ws[j])
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("VsOverall without Overall did not panic")
		}
	}()
	r.Overall = false
	d.EstimateRatios(r)
}

// One domain holding every row: the difference is identically zero, so
// are its estimate and variance (up to rounding; never NaN from a
// slightly negative sum of squares).
func TestVsOverallWholeDomain(t *testing.T) {
	rec := estLoad(t, "apiclus1")
	r, _ := infRatios(t, "apiclus1")
	d, err := NewDesign(rec, &DesignOptions{Weight: "pw", PSU: "dnum", FPC: "fpc"})
	if err != nil {
		t.Fatal(err)
	}
	r.Domain = make([]int32, d.Rows())
	r.NDomains, r.VsOverall = 1, true
	res, err := d.EstimateRatios(r)
	if err != nil {
		t.Fatal(err)
	}
	for j := range res.VsEst {
		se := res.SE[res.Index(1, j)]
		if math.Abs(res.VsEst[j]) > 1e-12*math.Abs(res.Est[j]) || math.IsNaN(res.VsSE[j]) || res.VsSE[j] > 1e-6*se {
			t.Errorf("estimand %d: diff %v SE %v (SE of the estimate %v)", j, res.VsEst[j], res.VsSE[j], se)
		}
	}
}

// Ratios.VsOverall when every estimand is a coded item (no Num/Den
// columns: items are estimands 0..K−1, as the SIPAS indices give them),
// with combinations over the items, against vsReference at 1e-9: api00 and
// api99 in bands coded 1..4 (0 missing, satisfied values 0/100 as a share
// and 0..100 as a rescaled mean) and a 0/1 item, stype domains with the M
// schools in no domain, for linearized designs (strata, clusters with fpc,
// a lonely PSU adjusted) and a replicate design.
func TestVsOverallItemsFirst(t *testing.T) {
	band := func(v []float64) []int8 {
		c := make([]int8, len(v))
		for i, x := range v {
			c[i] = int8(1 + min(3, int(x-400)/150))
			if x < 400 {
				c[i] = 0
			}
		}
		return c
	}
	cases := []struct {
		file string
		spec DesignOptions
	}{
		{"apistrat", DesignOptions{Weight: "pw", Strata: "stype", FPC: "fpc"}},
		{"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", FPC: "fpc"}},
		{"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", Strata: "lstrat", Lonely: LonelyAdjust}},
		{"apistrat", DesignOptions{Weight: "pw", Strata: "stype", FPC: "fpc", Variance: JKn}},
	}
	for ci, c := range cases {
		t.Run(fmt.Sprintf("%d_%s", ci, c.file), func(t *testing.T) {
			rec := estLoad(t, c.file)
			a, _ := estMeanColumn(t, rec, "api00")
			b, _ := estMeanColumn(t, rec, "api99")
			dom, code := estDomainsWithout(t, rec, "stype", "M")
			yes := make([]int8, len(a))
			for i, v := range b {
				if v >= 600 {
					yes[i] = 1
				}
			}
			nan := math.NaN()
			r := &Ratios{
				Items: []Item{
					{Codes: band(a), Min: 0, Values: []float64{nan, 0, 0, 100, 100}},
					{Codes: band(b), Min: 0, Values: []float64{nan, 0, 100.0 / 3, 200.0 / 3, 100}},
					{Codes: yes, Min: 0, Values: []float64{0, 100}},
				},
				Combos: [][]float64{{0.5, 0.5, 0}, {0.25, 0.25, 0.5}},
				Domain: code, NDomains: dom.Len(), Overall: true, VsOverall: true,
			}
			d, err := NewDesign(rec, &c.spec)
			if err != nil {
				t.Fatal(err)
			}
			res, err := d.EstimateRatios(r)
			if err != nil {
				t.Fatal(err)
			}
			J := res.K + res.C
			if res.K != 3 || len(res.VsEst) != r.NDomains*J {
				t.Fatalf("K = %d, %d differences; want 3, %d", res.K, len(res.VsEst), r.NDomains*J)
			}
			finite := 0
			for g := 0; g < r.NDomains; g++ {
				we, ws := vsReference(t, d, r, g)
				for j := 0; j < J; j++ {
					i := g*J + j
					if !golden.Close(res.VsEst[i], we[j], 1e-9) || !golden.Close(res.VsSE[i], ws[j], 1e-9) {
						t.Errorf("domain %d estimand %d: diff %.15g SE %.15g, masked combination %.15g %.15g", g, j, res.VsEst[i], res.VsSE[i], we[j], ws[j])
					}
					if !math.IsNaN(res.VsSE[i]) && res.VsSE[i] > 0 {
						finite++
					}
				}
			}
			if finite == 0 {
				t.Fatal("no finite difference")
			}
		})
	}
}
