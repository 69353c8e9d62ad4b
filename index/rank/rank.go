package rank

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/sipas-go/sipas/index/rank/internal/asm"
)

// Options are the settings of Domains. The zero value works: 95%
// sets, 10,000 parametric bootstrap draws, single-step critical values, no
// top/bottom-k probabilities, a PCG generator seeded with (0, 0).
type Options struct {
	// Level is the confidence level of the rank sets; 0 means 0.95.
	Level float64
	// Draws is the number of parametric bootstrap draws from N(0, Σ) used
	// for the critical values and the top/bottom-k probabilities;
	// 0 means 10,000.
	Draws int
	// Stepdown applies the stepwise refinement of Mogstad et al. (2024;
	// after Romano & Wolf 2005): after the first rejections the
	// critical value is recomputed over the comparisons not yet rejected,
	// until nothing new is rejected. The sets are never wider than the
	// single-step ones and keep their coverage.
	Stepdown bool
	// TopK, when > 0, asks for the probabilities of being among the TopK
	// highest and the TopK lowest domains.
	TopK int
	// Rand is the source of the draws; nil means rand.New(rand.NewPCG(0, 0)),
	// so results are reproducible either way.
	Rand *rand.Rand
}

// Ranking is the result of Domains; every slice is indexed like the
// input estimates.
type Ranking struct {
	// Rank is the point rank, 1 = highest estimate; ties are broken by the
	// ascending key (the sorted domain value, CLI.md).
	Rank []int
	// Tier is the quartile group of the rank, 1 + floor(4·(rank − 1)/K):
	// 1 = top quarter … 4 = bottom (as PAPI reports).
	Tier []int
	// MarginalLow, MarginalHigh bound the marginal rank confidence set of
	// each domain: each set covers that domain's true rank with probability
	// ≥ Level.
	MarginalLow, MarginalHigh []int
	// SimultaneousLow, SimultaneousHigh bound the simultaneous sets: all K
	// sets cover the true ranks jointly with probability ≥ Level.
	SimultaneousLow, SimultaneousHigh []int
	// CritMarginal is the (first-step) critical value of each domain's
	// marginal family, CritSimultaneous that of all pairs.
	CritMarginal     []float64
	CritSimultaneous float64
	// TopK echoes Options.TopK; PTop[j] = P(rank_j ≤ TopK) and
	// PBottom[j] = P(rank_j > K − TopK) under θ* ~ N(θ̂, Σ); nil when
	// TopK is 0. Σ_j PTop[j] = Σ_j PBottom[j] = min(TopK, K).
	TopK          int
	PTop, PBottom []float64
}

// ErrCovariance is wrapped by the errors Domains returns for a
// covariance matrix that is not a valid covariance (negative or NaN
// variance, not positive semidefinite).
var ErrCovariance = errors.New("rank: invalid covariance matrix")

// Tier returns the quartile tier 1 + floor(4·(rank − 1)/K) of a rank among
// K ranked domains (CLI.md `trend`). It panics unless 1 ≤ rank ≤ K.
func Tier(rank, k int) int {
	if rank < 1 || rank > k {
		panic(fmt.Sprintf("rank: Tier: rank %d outside 1..%d", rank, k))
	}
	return 1 + 4*(rank-1)/k
}

// PointRanks returns the ranks of est, 1 = highest, ties broken by the
// ascending keys (keys may be nil: ties then keep the input order). NaN
// estimates panic: drop them first.
func PointRanks(est []float64, keys []string) []int {
	order := rankOrder(est, keys)
	r := make([]int, len(est))
	for pos, j := range order {
		r[j] = pos + 1
	}
	return r
}

// rankOrder returns the indices of est from highest to lowest, ties by key.
func rankOrder(est []float64, keys []string) []int {
	if keys != nil && len(keys) != len(est) {
		panic(fmt.Sprintf("rank: %d keys for %d estimates", len(keys), len(est)))
	}
	o := make([]int, len(est))
	for i := range o {
		if math.IsNaN(est[i]) {
			panic("rank: NaN estimate in a ranking")
		}
		o[i] = i
	}
	sort.SliceStable(o, func(a, b int) bool {
		ea, eb := est[o[a]], est[o[b]]
		if ea != eb {
			return ea > eb
		}
		if keys != nil {
			return keys[o[a]] < keys[o[b]]
		}
		return false
	})
	return o
}

// Domains ranks K domains by their estimates θ̂ (1 = highest) and gives
// 95% (Level) confidence sets for the ranks after Mogstad, Romano, Shaikh &
// Wilhelm (2024), "Inference for Ranks with Applications to Mobility across
// Neighbourhoods and Academic Achievement across Countries", Review of
// Economic Studies 91(1), 476–518, §3: their two-sided construction, as the
// authors' R package csranks computes it with cstype = "two-sided" and
// stepdown = FALSE — or stepdown = TRUE, csranks' default, with
// Options.Stepdown; single step is our default because the stepdown
// costs a few more passes over the draws.
//
// The rank of j is r_j = 1 + #{k : θ_k > θ_j}. For a family F of ordered
// pairs (j, k) the differences get simultaneous two-sided intervals
//
//	θ̂_j − θ̂_k ± c_F · se_jk,   se_jk² = Σ_jj + Σ_kk − 2 Σ_jk,
//
// where c_F is the Level quantile of max_{(j,k)∈F} |Z_j − Z_k| / se_jk for
// Z ~ N(0, Σ), estimated by a parametric bootstrap with Draws draws (the
// ⌈Level·Draws⌉-th order statistic). With N⁻_j = {k : θ̂_k − θ̂_j > c·se_jk}
// (θ_k significantly above θ_j) and N⁺_j = {k : θ̂_j − θ̂_k > c·se_jk}, the
// rank set of j is
//
//	{1 + |N⁻_j|, …, K − |N⁺_j|}.
//
// Marginal sets use F = {(j, k) : k ≠ j} for each j separately (K − 1
// comparisons, a separate critical value per j); simultaneous sets use all
// K(K−1)/2 pairs with one critical value. With Stepdown the two-sided
// comparisons are split into the one-sided hypotheses θ_j ≤ θ_k and
// θ_j ≥ θ_k (whose joint first step is the two-sided one), and the critical
// value — the Level quantile of the maximum of the one-sided statistics
// (Z_a − Z_b)/se_ab over the hypotheses not yet rejected — is recomputed
// until no new rejection (Romano & Wolf 2005, Econometrica 73, 1237–1282;
// csranks does the same: its symmetric stepdown switches to one-sided
// "lower" differences over both orders).
//
// cov is the K×K covariance matrix of the estimates (for independent
// domains, mat.NewDiagDense(K, se²)); keys break ties of the point ranks
// and of the simulated ranks (nil: input order). A pair with se_jk = 0 is
// significant exactly when the estimates differ. The same draws give the
// top/bottom-k probabilities: θ* = θ̂ + Z is ranked in every draw (ties by
// key), PTop[j] = share of draws with rank_j ≤ TopK.
//
// Domains panics when lengths disagree and returns an error wrapping
// ErrCovariance for a negative or NaN variance or a covariance that is not
// positive semidefinite (smallest eigenvalue below −1e-10 · largest), and an
// error for a NaN or infinite estimate.
func Domains(est []float64, keys []string, cov mat.Symmetric, opt *Options) (*Ranking, error) {
	k := len(est)
	if cov == nil {
		panic("rank: Domains: nil covariance")
	}
	if cov.SymmetricDim() != k {
		panic(fmt.Sprintf("rank: Domains: covariance is %d×%d for %d estimates", cov.SymmetricDim(), cov.SymmetricDim(), k))
	}
	if keys != nil && len(keys) != k {
		panic(fmt.Sprintf("rank: Domains: %d keys for %d estimates", len(keys), k))
	}
	var o Options
	if opt != nil {
		o = *opt
	}
	if o.Level == 0 {
		o.Level = 0.95
	}
	if !(o.Level > 0 && o.Level < 1) {
		panic(fmt.Sprintf("rank: Domains: level %v outside (0, 1)", o.Level))
	}
	if o.Draws == 0 {
		o.Draws = 10000
	}
	if o.Draws < 0 || o.TopK < 0 {
		panic("rank: Domains: negative Draws or TopK")
	}
	rng := o.Rand
	if rng == nil {
		rng = rand.New(rand.NewPCG(0, 0))
	}
	for j, v := range est {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("rank: Domains: estimate %d is %v: leave empty domains out of the ranking", j, v)
		}
	}
	chol, err := rankFactor(cov)
	if err != nil {
		return nil, err
	}

	res := &Ranking{
		Rank:             PointRanks(est, keys),
		Tier:             make([]int, k),
		MarginalLow:      make([]int, k),
		MarginalHigh:     make([]int, k),
		SimultaneousLow:  make([]int, k),
		SimultaneousHigh: make([]int, k),
		CritMarginal:     make([]float64, k),
		TopK:             o.TopK,
	}
	for j := range k {
		res.Tier[j] = Tier(res.Rank[j], k)
	}
	if k == 0 {
		return res, nil
	}

	// Draws Z_b = L u_b, u_b ~ N(0, I), stored row-major B×K.
	b := o.Draws
	z := make([]float64, b*k)
	u := make([]float64, k)
	for d := range b {
		for i := range u {
			u[i] = rng.NormFloat64()
		}
		chol.mul(z[d*k:(d+1)*k], u)
	}

	// Pair statistics.
	inv := make([]float64, k*k) // 1/se_jk, 0 when se_jk = 0
	tst := make([]float64, k*k) // (θ̂_j − θ̂_k)/se_jk (±Inf or 0 when se_jk = 0)
	for j := range k {
		for l := range k {
			if j == l {
				continue
			}
			v := cov.At(j, j) + cov.At(l, l) - 2*cov.At(j, l)
			diff := est[j] - est[l]
			if v > 1e-14*(cov.At(j, j)+cov.At(l, l)) {
				s := math.Sqrt(v)
				inv[j*k+l] = 1 / s
				tst[j*k+l] = diff / s
			} else {
				switch {
				case diff > 0:
					tst[j*k+l] = math.Inf(1)
				case diff < 0:
					tst[j*k+l] = math.Inf(-1)
				}
			}
		}
	}

	w := rankWork{k: k, z: z, inv: inv, level: o.Level, buf: make([]float64, b)}
	cMarg, cSimul := w.firstStep()
	// The hypotheses are ordered pairs (a, b): H_ab: θ_a ≤ θ_b, rejected
	// when t_ab = (θ̂_a − θ̂_b)/se_ab > c ("θ_a significantly above θ_b").
	// A family holding both (a, b) and (b, a) tests the two-sided
	// difference, so the first-step critical value is that of max |·|.
	// Marginal sets: for each j, (j, l) and (l, j) for every l ≠ j.
	for j := range k {
		hyps := make([]rankPair, 0, 2*(k-1))
		for l := range k {
			if l != j {
				hyps = append(hyps, rankPair{j, l}, rankPair{l, j})
			}
		}
		rej, c0 := w.test(hyps, tst, o.Stepdown, cMarg[j])
		res.CritMarginal[j] = c0
		above, below := 0, 0
		for i, h := range hyps {
			switch {
			case !rej[i]:
			case h.b == j: // θ_l significantly above θ_j
				above++
			default: // θ_j significantly above θ_l
				below++
			}
		}
		res.MarginalLow[j] = 1 + above
		res.MarginalHigh[j] = k - below
	}
	// Simultaneous sets: all ordered pairs.
	hyps := make([]rankPair, 0, k*(k-1))
	for j := range k {
		for l := range k {
			if l != j {
				hyps = append(hyps, rankPair{j, l})
			}
		}
	}
	rej, c0 := w.test(hyps, tst, o.Stepdown, cSimul)
	res.CritSimultaneous = c0
	above := make([]int, k)
	below := make([]int, k)
	for i, h := range hyps {
		if rej[i] { // θ_a significantly above θ_b
			above[h.b]++
			below[h.a]++
		}
	}
	for j := range k {
		res.SimultaneousLow[j] = 1 + above[j]
		res.SimultaneousHigh[j] = k - below[j]
	}

	if o.TopK > 0 {
		res.PTop, res.PBottom = rankTopBottom(est, keys, z, k, o.TopK)
	}
	return res, nil
}

type rankPair struct{ a, b int }

type rankWork struct {
	k     int
	z     []float64
	inv   []float64
	level float64
	buf   []float64
}

// crit is the Level quantile over the draws of max_{(a,b) ∈ hyps}
// (Z_a − Z_b)/se_ab (one-sided statistics; a family with both (a, b) and
// (b, a) gives |Z_a − Z_b|/se_ab).
func (w *rankWork) crit(hyps []rankPair) float64 {
	if len(hyps) == 0 {
		return 0
	}
	k := w.k
	nd := len(w.buf)
	// per-draw maxima over fixed chunks of draws in parallel (each draw's
	// maximum depends on that draw alone)
	inChunks(nd, min(runtime.GOMAXPROCS(0), max(1, nd*len(hyps)/(1<<18))), func(_, d0, d1 int) {
		for d := d0; d < d1; d++ {
			row := w.z[d*k : (d+1)*k]
			m := math.Inf(-1)
			for _, h := range hyps {
				v := (row[h.a] - row[h.b]) * w.inv[h.a*k+h.b]
				if v > m {
					m = v
				}
			}
			w.buf[d] = m
		}
	})
	i := int(math.Ceil(w.level*float64(nd))) - 1
	i = max(0, min(i, nd-1))
	return rankSelect(w.buf, i)
}

// rankSelect returns the i-th smallest element of x (0-based), reordering
// x: Hoare's quickselect with a median-of-three pivot, O(len(x)) expected.
func rankSelect(x []float64, i int) float64 {
	lo, hi := 0, len(x)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		// median of three into x[mid]
		if x[mid] < x[lo] {
			x[mid], x[lo] = x[lo], x[mid]
		}
		if x[hi] < x[lo] {
			x[hi], x[lo] = x[lo], x[hi]
		}
		if x[hi] < x[mid] {
			x[hi], x[mid] = x[mid], x[hi]
		}
		pivot := x[mid]
		a, b := lo, hi
		for a <= b {
			for x[a] < pivot {
				a++
			}
			for x[b] > pivot {
				b--
			}
			if a <= b {
				x[a], x[b] = x[b], x[a]
				a++
				b--
			}
		}
		switch {
		case i <= b:
			hi = b
		case i >= a:
			lo = a
		default:
			return x[i]
		}
	}
	return x[i]
}

// firstStep computes in one pass over the draws the critical values of all
// K marginal families {(j, l) : l ≠ j} and of the family of all pairs
// (each |Z_a − Z_b|/se_ab is computed once and updates the maxima of a, of
// b and of the whole draw). The draws are split into fixed chunks run in
// parallel; each draw's maxima depend on that draw alone, so the results
// do not depend on the number of goroutines.
func (w *rankWork) firstStep() (marg []float64, simul float64) {
	k, nd := w.k, len(w.buf)
	mbuf := make([]float64, k*nd) // mbuf[j*nd + d]
	par := min(runtime.GOMAXPROCS(0), max(1, nd*k*k/(1<<18)))
	inChunks(nd, par, func(_, d0, d1 int) { w.firstStepDraws(mbuf, d0, d1) })
	i := int(math.Ceil(w.level*float64(nd))) - 1
	i = max(0, min(i, nd-1))
	marg = make([]float64, k)
	if k < 2 {
		return marg, 0
	}
	// The K + 1 quantiles, in parallel over domains (each select reads and
	// reorders only its own draws).
	inChunks(k+1, par, func(_, j0, j1 int) {
		for j := j0; j < j1; j++ {
			if j == k {
				simul = rankSelect(w.buf, i)
			} else {
				marg[j] = rankSelect(mbuf[j*nd:(j+1)*nd], i)
			}
		}
	})
	return marg, simul
}

// firstStepDraws sets, for the draws d0 ≤ d < d1, mbuf[j*nd + d] =
// max_{l≠j} |Z_j − Z_l|/se_jl and buf[d] = max_j of those.
func (w *rankWork) firstStepDraws(mbuf []float64, d0, d1 int) {
	k, nd := w.k, len(w.buf)
	m := make([]float64, k)
	for d := d0; d < d1; d++ {
		row := w.z[d*k : (d+1)*k]
		clear(m)
		for a := range k {
			m[a] = asm.PairMax(row[a], m[a], row[a+1:], w.inv[a*k+a+1:(a+1)*k], m[a+1:])
		}
		s := 0.0
		for j, v := range m {
			mbuf[j*nd+d] = v
			s = max(s, v)
		}
		w.buf[d] = s
	}
}

// test rejects the hypotheses (a, b) with t_ab > c — single step with the
// given first-step critical value c0, or stepdown: recompute c over the
// hypotheses not yet rejected (the opposite direction of a rejected pair
// stays in the family, as in Romano & Wolf 2005 and csranks) until no new
// rejection. It returns the rejection flags and c0.
func (w *rankWork) test(hyps []rankPair, tst []float64, stepdown bool, c0 float64) ([]bool, float64) {
	rej := make([]bool, len(hyps))
	active := append([]rankPair(nil), hyps...)
	idx := make([]int, len(hyps))
	for i := range idx {
		idx[i] = i
	}
	for step := 0; ; step++ {
		c := c0
		if step > 0 {
			c = w.crit(active)
		}
		na, ni := active[:0], idx[:0]
		newRej := false
		for i, h := range active {
			if tst[h.a*w.k+h.b] > c {
				rej[idx[i]] = true
				newRej = true
			} else {
				na = append(na, h)
				ni = append(ni, idx[i])
			}
		}
		active, idx = na, ni
		if !stepdown || !newRej || len(active) == 0 {
			return rej, c0
		}
	}
}

// rankTopBottom ranks θ̂ + Z_b in every draw (ties by key) and counts the
// draws with rank ≤ topK and rank > K − topK. The draws are split into
// fixed chunks counted in parallel; counts are integers, so the result does
// not depend on the split.
func rankTopBottom(est []float64, keys []string, z []float64, k, topK int) (top, bottom []float64) {
	top = make([]float64, k)
	bottom = make([]float64, k)
	nd := len(z) / k
	par := min(runtime.GOMAXPROCS(0), max(1, nd*k/(1<<16)))
	tops := make([][]int, par)
	bottoms := make([][]int, par)
	inChunks(nd, par, func(p, d0, d1 int) {
		tops[p], bottoms[p] = make([]int, k), make([]int, k)
		rankTopBottomDraws(est, keys, z[d0*k:d1*k], k, topK, tops[p], bottoms[p])
	})
	for p := range par {
		for j := range k {
			top[j] += float64(tops[p][j])
			bottom[j] += float64(bottoms[p][j])
		}
	}
	for j := range k {
		top[j] /= float64(nd)
		bottom[j] /= float64(nd)
	}
	return top, bottom
}

// rankTopBottomDraws adds to top and bottom the counts of the draws z.
func rankTopBottomDraws(est []float64, keys []string, z []float64, k, topK int, top, bottom []int) {
	nd := len(z) / k
	th := make([]float64, k)
	o := make([]int, k)
	less := func(a, b int) int {
		ea, eb := th[a], th[b]
		if ea != eb {
			if ea > eb {
				return -1
			}
			return 1
		}
		if keys != nil {
			return strings.Compare(keys[a], keys[b])
		}
		return a - b
	}
	kk := min(topK, k)
	for d := range nd {
		row := z[d*k : (d+1)*k]
		for j := range k {
			th[j] = est[j] + row[j]
			o[j] = j
		}
		slices.SortFunc(o, less)
		for pos := range kk {
			top[o[pos]]++
			bottom[o[k-1-pos]]++
		}
	}
}

// rankFactorT is a factor L with L Lᵀ = Σ, stored dense row-major, or the
// diagonal of standard deviations when Σ is diagonal.
type rankFactorT struct {
	k    int
	diag []float64 // non-nil: L = diag(diag)
	l    []float64 // otherwise row-major K×K
}

func (f *rankFactorT) mul(dst, u []float64) {
	if f.diag != nil {
		for i, s := range f.diag {
			dst[i] = s * u[i]
		}
		return
	}
	k := f.k
	for i := range k {
		s := 0.0
		row := f.l[i*k : (i+1)*k]
		for j, v := range row {
			s += v * u[j]
		}
		dst[i] = s
	}
}

// rankFactor checks Σ and factors it: Cholesky when positive definite,
// otherwise the symmetric eigendecomposition V diag(√max(λ,0)) (Σ positive
// semidefinite, e.g. a domain with SE 0).
func rankFactor(cov mat.Symmetric) (*rankFactorT, error) {
	k := cov.SymmetricDim()
	diagonal := true
	maxVar := 0.0
	for i := range k {
		v := cov.At(i, i)
		if math.IsNaN(v) || v < 0 || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: variance %d is %v", ErrCovariance, i, v)
		}
		maxVar = math.Max(maxVar, v)
		for j := i + 1; j < k; j++ {
			c := cov.At(i, j)
			if math.IsNaN(c) || math.IsInf(c, 0) {
				return nil, fmt.Errorf("%w: covariance (%d, %d) is %v", ErrCovariance, i, j, c)
			}
			if c != 0 {
				diagonal = false
			}
		}
	}
	f := &rankFactorT{k: k}
	if diagonal {
		f.diag = make([]float64, k)
		for i := range k {
			f.diag[i] = math.Sqrt(cov.At(i, i))
		}
		return f, nil
	}
	var ch mat.Cholesky
	if ch.Factorize(cov) {
		var l mat.TriDense
		ch.LTo(&l)
		f.l = make([]float64, k*k)
		for i := range k {
			for j := 0; j <= i; j++ {
				f.l[i*k+j] = l.At(i, j)
			}
		}
		return f, nil
	}
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return nil, fmt.Errorf("%w: eigendecomposition failed", ErrCovariance)
	}
	vals := eig.Values(nil)
	var vec mat.Dense
	eig.VectorsTo(&vec)
	lmax := 0.0
	for _, v := range vals {
		lmax = math.Max(lmax, v)
	}
	f.l = make([]float64, k*k)
	for c, v := range vals {
		if v < -1e-10*math.Max(lmax, maxVar) {
			return nil, fmt.Errorf("%w: not positive semidefinite (eigenvalue %g)", ErrCovariance, v)
		}
		s := math.Sqrt(math.Max(v, 0))
		for i := range k {
			f.l[i*k+c] = vec.At(i, c) * s
		}
	}
	return f, nil
}

// inChunks runs f(p, lo, hi) for the par fixed chunks [p·n/par, (p+1)·n/par)
// of 0..n−1 concurrently and waits for them. The chunks depend only on n and
// par, so a result assembled per chunk in a fixed order is the same for any
// scheduling.
func inChunks(n, par int, f func(p, lo, hi int)) {
	var wg sync.WaitGroup
	for p := range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(p, p*n/par, (p+1)*n/par)
		}()
	}
	wg.Wait()
}
