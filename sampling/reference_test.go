package sampling

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"gonum.org/v1/gonum/floats/scalar"
)

// refData is a small stratified cluster sample for the reference
// computation: rows with stratum, PSU, weight, fpc (population PSUs of the
// stratum), a domain (−1: none) and three variables.
type refData struct {
	h, psu, dom []int
	w, fpc      []float64
	v           [3][]float64 // y1, y2 and x (positive)
}

func refSample(rng *rand.Rand, lonely bool) *refData {
	d := &refData{}
	p := 0
	for h := 0; h < 7; h++ {
		np := 2 + rng.IntN(4)
		if lonely && h%3 == 1 {
			np = 1
		}
		N := float64(np + rng.IntN(20))
		for j := 0; j < np; j++ {
			for r := 1 + rng.IntN(8); r > 0; r-- {
				d.h, d.psu = append(d.h, h), append(d.psu, p)
				d.dom = append(d.dom, rng.IntN(4)-1)
				d.w = append(d.w, 1+9*rng.Float64())
				d.fpc = append(d.fpc, N)
				d.v[0] = append(d.v[0], rng.NormFloat64()*3+10)
				d.v[1] = append(d.v[1], float64(rng.IntN(2)))
				d.v[2] = append(d.v[2], 0.5+rng.Float64())
			}
			p++
		}
	}
	return d
}

// refVariance is the methodology's linearized variance, written as plainly
// as it reads: the influence values z_i of rows i, their PSU totals z_hj,
// and V = Σ_h (1 − n_h/N_h) n_h/(n_h − 1) Σ_j (z_hj − z̄_h)²; a lonely PSU
// contributes 0 (remove) or, with adjust, (1 − f_h)(z_h1 − Σ z / n)² with
// n the number of PSUs — both over the strata where domain g has a row (R
// subsets the design to the domain; g < 0: every stratum).
func refVariance(d *refData, z []float64, adjust bool, g int) float64 {
	touched := map[int]bool{}
	for i := range z {
		if g < 0 || d.dom[i] == g {
			touched[d.h[i]] = true
		}
	}
	tot := map[int]float64{}
	strat := map[int]int{}
	for i, zi := range z {
		tot[d.psu[i]] += zi
		strat[d.psu[i]] = d.h[i]
	}
	byH := map[int][]float64{}
	fpc := map[int]float64{}
	all := 0.0
	for p, t := range tot {
		byH[strat[p]] = append(byH[strat[p]], t)
		all += t
	}
	for i := range z {
		fpc[d.h[i]] = d.fpc[i]
	}
	npsu := 0
	for h, ts := range byH {
		if touched[h] {
			npsu += len(ts)
		}
	}
	grand := all / float64(npsu)
	V := 0.0
	for h, ts := range byH {
		n := float64(len(ts))
		f := 1 - n/fpc[h]
		if len(ts) == 1 {
			if adjust && touched[h] {
				V += f * (ts[0] - grand) * (ts[0] - grand)
			}
			continue
		}
		mean := 0.0
		for _, t := range ts {
			mean += t / n
		}
		for _, t := range ts {
			V += f * n / (n - 1) * (t - mean) * (t - mean)
		}
	}
	return V
}

// refInfluence returns the estimate and influence values of estimand k
// (0: y1/x, 1: y2/x, 2: the total of y1) in domain g (g < 0: every row).
func refInfluence(d *refData, k, g int) (float64, []float64) {
	in := func(i int) bool { return g < 0 || d.dom[i] == g }
	y := d.v[0]
	if k == 1 {
		y = d.v[1]
	}
	var Y, X float64
	for i := range y {
		if in(i) {
			Y += d.w[i] * y[i]
			X += d.w[i] * d.v[2][i]
		}
	}
	z := make([]float64, len(y))
	if k == 2 {
		for i := range y {
			if in(i) {
				z[i] = d.w[i] * y[i]
			}
		}
		return Y, z
	}
	R := Y / X
	for i := range y {
		if in(i) {
			z[i] = d.w[i] * (y[i] - R*d.v[2][i]) / X
		}
	}
	return R, z
}

// TestEngineMatchesReference: EstimateRatios (ratios, a total and a
// combination, in three domains and overall, with the domain − overall
// differences and the covariances, on the fast paths the engine takes)
// equals the plain computation above on random stratified cluster samples
// with fpc, with and without lonely PSUs (remove, certainty, adjust).
func TestEngineMatchesReference(t *testing.T) {
	for seed := uint64(1); seed <= 12; seed++ {
		for _, lonely := range []LonelyPSU{LonelyFail, LonelyRemove, LonelyCertainty, LonelyAdjust} {
			rng := rand.New(rand.NewPCG(seed, 7))
			d := refSample(rng, lonely != LonelyFail)
			n := len(d.w)
			strs := func(v []int) []string {
				out := make([]string, len(v))
				for i, x := range v {
					out[i] = fmt.Sprint(x)
				}
				return out
			}
			rec := estRecord(t, memory.DefaultAllocator,
				estCol{name: "h", s: strs(d.h)}, estCol{name: "psu", s: strs(d.psu)},
				estCol{name: "w", f: estFloats(d.w...)}, estCol{name: "fpc", f: estFloats(d.fpc...)})
			des, err := NewDesign(rec, &DesignOptions{Weight: "w", Strata: "h", PSU: "psu", FPC: "fpc", Lonely: lonely})
			rec.Release()
			if err != nil {
				t.Fatal(err)
			}
			dom := make([]int32, n)
			for i, g := range d.dom {
				dom[i] = int32(g)
			}
			r := &Ratios{Num: [][]float64{d.v[0], d.v[1], d.v[0]}, Den: [][]float64{d.v[2], d.v[2], nil},
				Combos: [][]float64{{0.25, 0.75, 0}}, Domain: dom, NDomains: 3, Overall: true, VsOverall: true, Cov: true}
			res, err := des.EstimateRatios(r)
			if err != nil {
				t.Fatal(err)
			}
			adjust := lonely == LonelyAdjust
			for g := 0; g <= 3; g++ {
				rg := g
				if g == 3 {
					rg = -1 // the overall domain
				}
				var zs [4][]float64
				var est [4]float64
				for k := 0; k < 3; k++ {
					est[k], zs[k] = refInfluence(d, k, rg)
				}
				est[3] = 0.25*est[0] + 0.75*est[1]
				zs[3] = make([]float64, n)
				for i := range zs[3] {
					zs[3][i] = 0.25*zs[0][i] + 0.75*zs[1][i]
				}
				for j := 0; j < 4; j++ {
					at := res.Index(g, j)
					v := refVariance(d, zs[j], adjust, rg)
					if !scalar.EqualWithinAbsOrRel(res.Est[at], est[j], 1e-12, 1e-12) || !scalar.EqualWithinAbsOrRel(res.Var[at], v, 1e-14, 1e-10) {
						t.Errorf("seed %d, %v, domain %d, estimand %d: %.15g (var %.15g), reference %.15g (%.15g)", seed, lonely, g, j, res.Est[at], res.Var[at], est[j], v)
					}
					for l := 0; l < 4; l++ {
						sum := make([]float64, n)
						for i := range sum {
							sum[i] = zs[j][i] + zs[l][i]
						}
						// cov = (V(a+b) − V(a) − V(b)) / 2
						c := (refVariance(d, sum, adjust, rg) - v - refVariance(d, zs[l], adjust, rg)) / 2
						if got := res.Cov[g].At(j, l); !scalar.EqualWithinAbsOrRel(got, c, 1e-12, 1e-8) {
							t.Errorf("seed %d, %v, domain %d: cov(%d, %d) %.15g, reference %.15g", seed, lonely, g, j, l, got, c)
						}
					}
					if g < 3 {
						_, zall := refInfluence(d, min(j, 2), -1)
						if j == 3 {
							_, a := refInfluence(d, 0, -1)
							_, b := refInfluence(d, 1, -1)
							for i := range zall {
								zall[i] = 0.25*a[i] + 0.75*b[i]
							}
						}
						diff := make([]float64, n)
						for i := range diff {
							diff[i] = zs[j][i] - zall[i]
						}
						if got, want := res.VsVar[at], refVariance(d, diff, adjust, -1); !scalar.EqualWithinAbsOrRel(got, want, 1e-14, 1e-10) {
							t.Errorf("seed %d, %v, domain %d, estimand %d: variance of domain − overall %.15g, reference %.15g", seed, lonely, g, j, got, want)
						}
					}
				}
			}
		}
	}
}
