package rank

import (
	"errors"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/sipas-go/sipas/internal/golden"
)

// rankReadCSV and rankNum read the R goldens of rank_test, trend_test and
// multiplicity_test (internal/golden: NA and "" are NaN).
func rankReadCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	return golden.Rows(t, path)
}

func rankNum(t *testing.T, s string) float64 {
	t.Helper()
	return golden.Float(t, s)
}

// TestRankDomainsR compares the rank confidence sets with
// testdata/trend/rankcrit.csv, where the critical values are the exact
// quantiles of max |N(0, R)| from mvtnorm::qmvnorm (R 4.2.2, mvtnorm 1.1-3)
// rather than a bootstrap. With 200,000 draws the bootstrap quantile has a
// Monte Carlo SE of about 0.003, so critical values must agree within 0.02;
// the R script reports the smallest distance between a |t| and the critical
// value (≥ 0.09), so the sets must agree exactly.
func TestRankDomainsR(t *testing.T) {
	in := rankReadCSV(t, "../../testdata/trend/rankinput.csv")
	type rcase struct {
		est []float64
		sig [][]float64
	}
	cases := map[string]*rcase{}
	for _, r := range in {
		c := cases[r["case"]]
		if c == nil {
			c = &rcase{}
			cases[r["case"]] = c
		}
		c.est = append(c.est, rankNum(t, r["estimate"]))
		var row []float64
		for _, s := range strings.Split(r["sigma_row"], ";") {
			row = append(row, rankNum(t, s))
		}
		c.sig = append(c.sig, row)
	}
	got := map[string]*Ranking{}
	for name, c := range cases {
		k := len(c.est)
		cov := mat.NewSymDense(k, nil)
		for i := range k {
			for j := i; j < k; j++ {
				cov.SetSym(i, j, c.sig[i][j])
			}
		}
		for _, sd := range []bool{false, true} {
			r, err := Domains(c.est, nil, cov, &Options{Draws: 200000, Stepdown: sd, Rand: rand.New(rand.NewPCG(11, 12))})
			if err != nil {
				t.Fatal(err)
			}
			got[name+strconv.FormatBool(sd)] = r
		}
	}
	n := 0
	for _, r := range rankReadCSV(t, "../../testdata/trend/rankcrit.csv") {
		res := got[r["case"]+r["stepdown"]]
		j, _ := strconv.Atoi(r["j"])
		j--
		lo, _ := strconv.Atoi(r["rank_low"])
		hi, _ := strconv.Atoi(r["rank_high"])
		crit := rankNum(t, r["crit"])
		var gl, gh int
		var gc float64
		if r["family"] == "marginal" {
			gl, gh, gc = res.MarginalLow[j], res.MarginalHigh[j], res.CritMarginal[j]
		} else {
			gl, gh, gc = res.SimultaneousLow[j], res.SimultaneousHigh[j], res.CritSimultaneous
		}
		if gl != lo || gh != hi {
			t.Errorf("%s %s stepdown=%s j=%d: set [%d, %d], R [%d, %d]", r["case"], r["family"], r["stepdown"], j+1, gl, gh, lo, hi)
		}
		if math.Abs(gc-crit) > 0.02 {
			t.Errorf("%s %s j=%d: critical value %v, R qmvnorm %v", r["case"], r["family"], j+1, gc, crit)
		}
		n++
	}
	if n != 44 {
		t.Fatalf("read %d golden rows, want 44", n)
	}
}

// TestRankTwoDomains checks the closed forms for K = 2: the only difference
// D = (θ̂₁ − θ̂₂)/se₁₂ is N(0,1) under the null, so every critical value is
// the 0.975 normal quantile 1.959964, and P(domain 1 on top) =
// P(θ̂₁ + Z₁ > θ̂₂ + Z₂) = Φ((θ̂₁ − θ̂₂)/se₁₂).
func TestRankTwoDomains(t *testing.T) {
	est := []float64{72, 70}
	se := []float64{1.2, 0.9}
	cov := mat.NewDiagDense(2, []float64{se[0] * se[0], se[1] * se[1]})
	r, err := Domains(est, []string{"a", "b"}, cov, &Options{Draws: 200000, TopK: 1})
	if err != nil {
		t.Fatal(err)
	}
	const z975 = 1.959963984540054 // qnorm(0.975)
	for _, c := range append(r.CritMarginal, r.CritSimultaneous) {
		if math.Abs(c-z975) > 0.02 {
			t.Errorf("critical value %v, want ≈ %v", c, z975)
		}
	}
	// t = 2/1.5 = 1.33 < 1.96: both sets are {1, 2}.
	if r.MarginalLow[0] != 1 || r.MarginalHigh[0] != 2 || r.SimultaneousLow[1] != 1 || r.SimultaneousHigh[1] != 2 {
		t.Errorf("sets %+v", r)
	}
	want := distuv.UnitNormal.CDF(2 / 1.5) // se₁₂ = sqrt(1.44 + 0.81) = 1.5
	if math.Abs(r.PTop[0]-want) > 0.005 || math.Abs(r.PTop[1]-(1-want)) > 0.005 {
		t.Errorf("PTop %v, want %v", r.PTop, want)
	}
	if math.Abs(r.PBottom[1]-want) > 0.005 {
		t.Errorf("PBottom %v, want %v for domain 2", r.PBottom, want)
	}
	// A gap of 10 SEs: singletons.
	r, err = Domains([]float64{55, 70}, nil, cov, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Rank[0] != 2 || r.MarginalLow[0] != 2 || r.MarginalHigh[0] != 2 || r.SimultaneousLow[1] != 1 || r.SimultaneousHigh[1] != 1 {
		t.Errorf("separated: %+v", r)
	}
}

// TestRankTiesAndTiers: point ranks break ties by the sorted key, and the
// tiers of K = 10 are 1 + floor(4(r−1)/10) = 1,1,1,2,2,3,3,3,4,4.
func TestRankTiesAndTiers(t *testing.T) {
	est := []float64{60, 80, 70, 70, 90, 50, 70, 40, 30, 20}
	keys := []string{"f", "b", "zz", "c", "a", "g", "d", "h", "i", "j"}
	got := PointRanks(est, keys)
	// 90 a → 1; 80 b → 2; the 70s by key: c → 3, d → 4, zz → 5; 60 → 6 ...
	want := []int{6, 2, 5, 3, 1, 7, 4, 8, 9, 10}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ranks %v, want %v", got, want)
		}
	}
	tiers := []int{1, 1, 1, 2, 2, 3, 3, 3, 4, 4}
	for r := 1; r <= 10; r++ {
		if g := Tier(r, 10); g != tiers[r-1] {
			t.Errorf("Tier(%d, 10) = %d, want %d", r, g, tiers[r-1])
		}
	}
	// 63 provinces: floor(4(r−1)/63) changes at r−1 = 16, 32, 48, so the
	// tiers hold 16, 16, 16 and 15 provinces.
	count := map[int]int{}
	for r := 1; r <= 63; r++ {
		count[Tier(r, 63)]++
	}
	if count[1] != 16 || count[2] != 16 || count[3] != 16 || count[4] != 15 {
		t.Errorf("tiers of 63: %v", count)
	}
	// Domains agrees with PointRanks and Tier.
	se2 := make([]float64, len(est))
	for i := range se2 {
		se2[i] = 4
	}
	r, err := Domains(est, keys, mat.NewDiagDense(len(est), se2), &Options{Draws: 500})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if r.Rank[i] != want[i] || r.Tier[i] != tiers[want[i]-1] {
			t.Errorf("domain %d: rank %d tier %d", i, r.Rank[i], r.Tier[i])
		}
		// the rank set always contains the point rank
		for _, s := range [][2]int{{r.MarginalLow[i], r.MarginalHigh[i]}, {r.SimultaneousLow[i], r.SimultaneousHigh[i]}} {
			if s[0] > r.Rank[i] || s[1] < r.Rank[i] {
				t.Errorf("domain %d: rank %d outside [%d, %d]", i, r.Rank[i], s[0], s[1])
			}
		}
		// simultaneous sets contain the marginal ones
		if r.SimultaneousLow[i] > r.MarginalLow[i] || r.SimultaneousHigh[i] < r.MarginalHigh[i] {
			t.Errorf("domain %d: simultaneous [%d, %d] inside marginal [%d, %d]", i, r.SimultaneousLow[i], r.SimultaneousHigh[i], r.MarginalLow[i], r.MarginalHigh[i])
		}
	}
}

// TestRankTopKSum: in every draw exactly k domains are in the top k and k
// in the bottom k, so the probabilities sum to k (up to rounding), also
// with a full covariance and with a domain of SE 0 (a singular Σ).
func TestRankTopKSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	k := 12
	est := make([]float64, k)
	a := mat.NewDense(k, k, nil)
	for i := range k {
		est[i] = 70 + 3*rng.NormFloat64()
		for j := range k {
			a.Set(i, j, rng.NormFloat64())
		}
	}
	var cov mat.SymDense
	cov.SymOuterK(1, a) // A Aᵀ: positive definite, correlated
	sing := mat.NewSymDense(k, nil)
	for i := range k {
		for j := i; j < k; j++ {
			if i != 0 && j != 0 {
				sing.SetSym(i, j, cov.At(i, j))
			}
		}
	}
	for _, c := range []mat.Symmetric{&cov, sing} {
		for _, topk := range []int{1, 3, 12, 20} {
			r, err := Domains(est, nil, c, &Options{Draws: 2000, TopK: topk, Rand: rng})
			if err != nil {
				t.Fatal(err)
			}
			st, sb := 0.0, 0.0
			for j := range k {
				st += r.PTop[j]
				sb += r.PBottom[j]
			}
			want := float64(min(topk, k))
			if math.Abs(st-want) > 1e-9 || math.Abs(sb-want) > 1e-9 {
				t.Errorf("top %d: sums %v, %v, want %v", topk, st, sb, want)
			}
		}
	}
}

// TestRankDeterminism: the same seed gives the same result; another seed
// gives other critical values.
func TestRankDeterminism(t *testing.T) {
	est := []float64{70, 71, 74, 65, 69, 72}
	cov := mat.NewDiagDense(6, []float64{1, 2, 1.5, 0.5, 1, 3})
	run := func(s uint64) *Ranking {
		r, err := Domains(est, nil, cov, &Options{Draws: 3000, TopK: 2, Stepdown: true, Rand: rand.New(rand.NewPCG(s, 1))})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b, c := run(5), run(5), run(6)
	if a.CritSimultaneous != b.CritSimultaneous || a.PTop[2] != b.PTop[2] || a.CritMarginal[3] != b.CritMarginal[3] {
		t.Errorf("same seed, different results")
	}
	if a.CritSimultaneous == c.CritSimultaneous {
		t.Errorf("different seeds, same critical value %v", a.CritSimultaneous)
	}
	// nil Rand is a fixed seed too
	r1, _ := Domains(est, nil, cov, &Options{Draws: 1000})
	r2, _ := Domains(est, nil, cov, &Options{Draws: 1000})
	if r1.CritSimultaneous != r2.CritSimultaneous {
		t.Errorf("nil Rand is not reproducible")
	}
}

func TestRankErrors(t *testing.T) {
	cases := []struct {
		name string
		est  []float64
		cov  mat.Symmetric
	}{
		{"negative variance", []float64{1, 2}, mat.NewDiagDense(2, []float64{1, -1})},
		{"NaN variance", []float64{1, 2}, mat.NewDiagDense(2, []float64{1, math.NaN()})},
		{"not PSD", []float64{1, 2}, mat.NewSymDense(2, []float64{1, 2, 2, 1})},
	}
	for _, c := range cases {
		_, err := Domains(c.est, nil, c.cov, nil)
		if !errors.Is(err, ErrCovariance) {
			t.Errorf("%s: err %v, want ErrCovariance", c.name, err)
		}
	}
	if _, err := Domains([]float64{1, math.NaN()}, nil, mat.NewDiagDense(2, []float64{1, 1}), nil); err == nil {
		t.Error("NaN estimate accepted")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("no panic on a dimension mismatch")
			}
		}()
		Domains([]float64{1, 2, 3}, nil, mat.NewDiagDense(2, []float64{1, 1}), nil)
	}()
	// A single-domain ranking.
	r, err := Domains([]float64{5}, nil, mat.NewDiagDense(1, []float64{1}), &Options{TopK: 1})
	if err != nil || r.Rank[0] != 1 || r.MarginalLow[0] != 1 || r.MarginalHigh[0] != 1 || r.Tier[0] != 1 || r.PTop[0] != 1 {
		t.Errorf("single: %+v %v", r, err)
	}
}

// rankTrue is the rank of Mogstad et al.: r_j = 1 + #{k : θ_k > θ_j}
// (tied domains share the better rank).
func rankTrue(theta []float64) []int {
	r := make([]int, len(theta))
	for j, v := range theta {
		r[j] = 1
		for _, w := range theta {
			if w > v {
				r[j]++
			}
		}
	}
	return r
}

// TestRankCoverage checks coverage by simulation on data with known truth.
// In every replication θ̂ ~ N(θ, Σ) and the 95% sets are computed with 1,000
// bootstrap draws; R = 1,000 replications per configuration (500 with
// -short), so the simulation SE of a coverage near 0.95 is
// sqrt(0.95·0.05/R) = 0.0069 (0.0097), and every simultaneous coverage and
// every domain's marginal coverage must be ≥ 0.95 − 2·SE = 0.936 (0.931).
//
// Configurations (K = 10 unless said):
//   - "equal": K = 8 equal θ with unequal SEs, the least favourable case:
//     every true rank is 1, so the simultaneous sets cover exactly when no
//     pair is rejected, probability P(max |T| ≤ c) = 0.95 by construction.
//     Here coverage must also be ≤ 0.95 + 3·SE, so a critical value that is
//     too large (sets too wide) fails the test as well.
//   - "spread": distinct θ one to a few SEs apart with one tie, independent
//     domains, single-step and stepdown.
//   - "correlated": the same θ with correlations 0.4 and 0.6, stepdown.
//
// CPU time about 5 s on the development machine.
func TestRankCoverage(t *testing.T) {
	reps := 1000
	if testing.Short() {
		reps = 500
	}
	spread := []float64{60, 61, 62, 62, 64, 65, 67, 70, 71, 75}
	se := []float64{1.0, 1.5, 0.8, 1.2, 2.0, 1.0, 1.1, 0.7, 1.6, 1.3}
	mk := func(k int, rho func(i, j int) float64) *mat.SymDense {
		c := mat.NewSymDense(k, nil)
		for i := range k {
			for j := i; j < k; j++ {
				r := 1.0
				if i != j {
					r = rho(i, j)
				}
				c.SetSym(i, j, r*se[i]*se[j])
			}
		}
		return c
	}
	indep := func(i, j int) float64 { return 0 }
	corr := func(i, j int) float64 {
		if (i+j)%3 == 0 {
			return 0.6
		}
		return 0.4
	}
	simSE := math.Sqrt(0.95 * 0.05 / float64(reps))
	tol := 0.95 - 2*simSE
	for _, cc := range []struct {
		name     string
		theta    []float64
		cov      *mat.SymDense
		stepdown bool
		tight    bool
	}{
		{"equal", []float64{70, 70, 70, 70, 70, 70, 70, 70}, mk(8, indep), false, true},
		{"spread", spread, mk(10, indep), false, false},
		{"spread", spread, mk(10, indep), true, false},
		{"correlated", spread, mk(10, corr), true, false},
	} {
		k := len(cc.theta)
		truth := rankTrue(cc.theta)
		var ch mat.Cholesky
		if !ch.Factorize(cc.cov) {
			t.Fatal("test covariance not PD")
		}
		var l mat.TriDense
		ch.LTo(&l)
		rng := rand.New(rand.NewPCG(2024, 91))
		simul := 0
		marg := make([]int, k)
		est := make([]float64, k)
		u := make([]float64, k)
		for range reps {
			for i := range u {
				u[i] = rng.NormFloat64()
			}
			for i := range k {
				s := 0.0
				for j := 0; j <= i; j++ {
					s += l.At(i, j) * u[j]
				}
				est[i] = cc.theta[i] + s
			}
			r, err := Domains(est, nil, cc.cov, &Options{Draws: 1000, Stepdown: cc.stepdown, Rand: rng})
			if err != nil {
				t.Fatal(err)
			}
			all := true
			for j := range k {
				if r.MarginalLow[j] <= truth[j] && truth[j] <= r.MarginalHigh[j] {
					marg[j]++
				}
				if r.SimultaneousLow[j] > truth[j] || truth[j] > r.SimultaneousHigh[j] {
					all = false
				}
			}
			if all {
				simul++
			}
		}
		cov := float64(simul) / float64(reps)
		t.Logf("%s stepdown=%v: simultaneous coverage %.3f (%d replications, bound %.3f)", cc.name, cc.stepdown, cov, reps, tol)
		if cov < tol {
			t.Errorf("%s stepdown=%v: simultaneous coverage %.3f < %.3f", cc.name, cc.stepdown, cov, tol)
		}
		if cc.tight && cov > 0.95+3*simSE {
			t.Errorf("%s: simultaneous coverage %.3f > %.3f: sets too wide in the least favourable case", cc.name, cov, 0.95+3*simSE)
		}
		for j := range k {
			c := float64(marg[j]) / float64(reps)
			if c < tol {
				t.Errorf("%s stepdown=%v: marginal coverage of domain %d is %.3f < %.3f", cc.name, cc.stepdown, j, c, tol)
			}
		}
	}
}

// TestRankSelect checks the quickselect against a sort, with ties.
func TestRankSelect(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for n := 1; n < 60; n++ {
		x := make([]float64, n)
		for i := range x {
			x[i] = float64(rng.IntN(7))
		}
		s := append([]float64(nil), x...)
		sort.Float64s(s)
		for i := range n {
			y := append([]float64(nil), x...)
			if g := rankSelect(y, i); g != s[i] {
				t.Fatalf("n=%d i=%d: %v, want %v", n, i, g, s[i])
			}
		}
	}
}

// TestRankCritOneSided: the stepdown's critical value is the quantile of the
// maximum of one-sided statistics over the hypotheses left, so a family
// with a single order (a, b) has the one-sided 95% normal quantile
// qnorm(0.95) = 1.6448536, both orders the two-sided qnorm(0.975) =
// 1.959964 (K = 2, SEs 1 and 2, 200,000 draws: Monte Carlo SE ≈ 0.005).
func TestRankCritOneSided(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	nd := 200000
	z := make([]float64, 2*nd)
	for d := range nd {
		z[2*d], z[2*d+1] = rng.NormFloat64(), 2*rng.NormFloat64()
	}
	s := 1 / math.Sqrt(5)
	w := newRankWork([]float64{0, 0}, mat.NewDiagDense(2, []float64{1, 4}), true, 0.95, nd)
	m, sim := firstStepOf(w, z, nd)
	if inv, _ := w.pair(0, 1); inv != s {
		t.Errorf("1/se = %v, want %v", inv, s)
	}
	if c := critOf(w, []rankPair{{0, 1}}); math.Abs(c-1.6448536269514722) > 0.02 {
		t.Errorf("one-sided: %v", c)
	}
	if c := critOf(w, []rankPair{{1, 0}}); math.Abs(c-1.6448536269514722) > 0.02 {
		t.Errorf("one-sided, other order: %v", c)
	}
	if c := critOf(w, []rankPair{{0, 1}, {1, 0}}); math.Abs(c-1.959963984540054) > 0.02 {
		t.Errorf("two-sided: %v", c)
	}
	if math.Abs(m[0]-1.959963984540054) > 0.02 || m[0] != m[1] || sim != m[0] {
		t.Errorf("first step: %v %v", m, sim)
	}
}
