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
// Memory grows with K, not with the K² pairs: the draws are made and used
// a block at a time, of each domain's per-draw maxima only the tail its
// quantile needs is kept (K·min(Level, 1 − Level)·Draws values, the
// quantile exact), and the pair statistics are computed when needed. With
// Stepdown the draws are kept (K·Draws values) for the later steps.
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

	// The draws Z_b = L u_b, u_b ~ N(0, I), are made and used a block at a
	// time (row-major, block×K): the first step keeps of each domain's
	// per-draw maxima only the tail its quantile needs, the top/bottom-k
	// counts are integers, so neither holds all draws; only the stepdown,
	// which passes over the draws again, keeps them (column-major, K×B).
	b := o.Draws
	w := newRankWork(est, cov, chol.diag != nil, o.Level, b)
	var zc []float64
	if o.Stepdown {
		zc = make([]float64, k*b)
	}
	var tb *topBottom
	if o.TopK > 0 {
		tb = newTopBottom(est, keys, o.TopK)
	}
	blk := drawBlock(k, b)
	z := make([]float64, blk*k)
	fs := w.newFirstStep(blk)
	u := make([]float64, k)
	for d0 := 0; d0 < b; d0 += blk {
		n := min(blk, b-d0)
		for d := range n {
			for i := range u {
				u[i] = rng.NormFloat64()
			}
			chol.mul(z[d*k:(d+1)*k], u)
		}
		zb := z[:n*k]
		fs.add(zb, d0)
		if zc != nil {
			for d := range n {
				for j, v := range zb[d*k : (d+1)*k] {
					zc[j*b+d0+d] = v
				}
			}
		}
		if tb != nil {
			tb.add(zb)
		}
	}
	cMarg, cSimul := fs.result()
	w.zc = zc

	// The hypotheses are ordered pairs (a, b): H_ab: θ_a ≤ θ_b, rejected
	// when t_ab = (θ̂_a − θ̂_b)/se_ab > c ("θ_a significantly above θ_b").
	// A family holding both (a, b) and (b, a) tests the two-sided
	// difference, so the first-step critical value is that of max |·|.
	// Marginal sets: for each j, (j, l) and (l, j) for every l ≠ j.
	for j := range k {
		marg := func(i int) rankPair {
			l := i / 2
			if l >= j {
				l++
			}
			if i%2 == 0 {
				return rankPair{j, l}
			}
			return rankPair{l, j}
		}
		rej, c0 := w.test(2*(k-1), marg, o.Stepdown, cMarg[j])
		res.CritMarginal[j] = c0
		above, below := 0, 0
		for i := range 2 * (k - 1) {
			if !rej.has(i) {
				continue
			}
			if marg(i).b == j { // θ_l significantly above θ_j
				above++
			} else { // θ_j significantly above θ_l
				below++
			}
		}
		res.MarginalLow[j] = 1 + above
		res.MarginalHigh[j] = k - below
	}
	// Simultaneous sets: all ordered pairs.
	all := func(i int) rankPair {
		a, l := i/max(k-1, 1), i%max(k-1, 1)
		if l >= a {
			l++
		}
		return rankPair{a, l}
	}
	rej, c0 := w.test(k*(k-1), all, o.Stepdown, cSimul)
	res.CritSimultaneous = c0
	above := make([]int, k)
	below := make([]int, k)
	for i := range k * (k - 1) {
		if rej.has(i) { // θ_a significantly above θ_b
			h := all(i)
			above[h.b]++
			below[h.a]++
		}
	}
	for j := range k {
		res.SimultaneousLow[j] = 1 + above[j]
		res.SimultaneousHigh[j] = k - below[j]
	}

	if tb != nil {
		res.PTop, res.PBottom = tb.result(b)
	}
	return res, nil
}

type rankPair struct{ a, b int }

// rankWork holds what the passes over the draws share: the pair
// statistics, computed from Σ and θ̂ when needed rather than stored as
// K×K tables, and for the stepdown the draws, column-major (K×B).
type rankWork struct {
	k     int
	est   []float64
	vars  []float64     // Σ_jj
	cov   mat.Symmetric // nil: Σ is diagonal
	level float64
	nd    int
	zc    []float64
}

func newRankWork(est []float64, cov mat.Symmetric, diagonal bool, level float64, nd int) *rankWork {
	k := len(est)
	w := &rankWork{k: k, est: est, vars: make([]float64, k), level: level, nd: nd}
	for j := range k {
		w.vars[j] = cov.At(j, j)
	}
	if !diagonal {
		w.cov = cov
	}
	return w
}

// pair returns 1/se_ab (0 when se_ab = 0) and t_ab = (θ̂_a − θ̂_b)/se_ab
// (±Inf or 0 when se_ab = 0), se_ab² = Σ_aa + Σ_bb − 2 Σ_ab. It is
// symmetric in the variances bit for bit (the sum of two terms commutes).
func (w *rankWork) pair(a, b int) (inv, t float64) {
	c := 0.0
	if w.cov != nil {
		c = w.cov.At(a, b)
	}
	v := w.vars[a] + w.vars[b] - 2*c
	diff := w.est[a] - w.est[b]
	if v > 1e-14*(w.vars[a]+w.vars[b]) {
		s := math.Sqrt(v)
		return 1 / s, diff / s
	}
	switch {
	case diff > 0:
		return 0, math.Inf(1)
	case diff < 0:
		return 0, math.Inf(-1)
	}
	return 0, 0
}

// quantileIndex is the 0-based order statistic of the Level quantile of nd
// draws, the ⌈Level·nd⌉-th smallest.
func (w *rankWork) quantileIndex() int {
	i := int(math.Ceil(w.level*float64(w.nd))) - 1
	return max(0, min(i, w.nd-1))
}

// crit is the Level quantile over the draws of max_{i : !skip(i)}
// (Z_a − Z_b)/se_ab for the hypotheses (a, b) = pair(i), i < n
// (one-sided statistics; a family with both (a, b) and (b, a) gives
// |Z_a − Z_b|/se_ab). It needs the draws kept column-major (Stepdown).
// Each draw's maximum is exact whatever the order of the pairs, so the
// draws are split into fixed chunks run in parallel.
func (w *rankWork) crit(n int, pair func(int) rankPair, skip func(int) bool) float64 {
	if n == 0 {
		return 0
	}
	nd := w.nd
	buf := make([]float64, nd)
	for i := range buf {
		buf[i] = math.Inf(-1)
	}
	inChunks(nd, min(runtime.GOMAXPROCS(0), max(1, nd*n/(1<<18))), func(_, d0, d1 int) {
		m := buf[d0:d1]
		for i := range n {
			if skip(i) {
				continue
			}
			h := pair(i)
			inv, _ := w.pair(h.a, h.b)
			za := w.zc[h.a*nd+d0 : h.a*nd+d1]
			zb := w.zc[h.b*nd+d0 : h.b*nd+d1]
			for d, v := range za {
				if v := (v - zb[d]) * inv; v > m[d] {
					m[d] = v
				}
			}
		}
	})
	return rankSelect(buf, w.quantileIndex())
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

// drawBlock is the number of draws made and processed at a time: a block
// of draws (and one of their per-domain maxima) holds at most 2^20 values.
func drawBlock(k, nd int) int {
	return max(1, min(nd, (1<<20)/max(k, 1)))
}

// pairTile is the most pair statistics 1/se_ab held at a time by one
// goroutine of the first step (256 KB): the pairs a < b are taken in tiles
// of whole rows a, recomputed for every block of draws.
const pairTile = 1 << 15

// firstStep computes in one pass over the draws, a block at a time, the
// critical values of all K marginal families {(j, l) : l ≠ j} and of the
// family of all pairs (each |Z_a − Z_b|/se_ab is computed once and updates
// the maxima of a, of b and of the whole draw). Of each domain's per-draw
// maxima it keeps only the nd − i largest (or the i + 1 smallest, whichever
// is fewer), which hold the i-th smallest: the quantile is exact, in
// memory K·(1 − Level)·nd rather than K·nd. The draws of a block are split
// into fixed chunks run in parallel; each draw's maxima depend on that draw
// alone, so the results depend neither on the number of goroutines nor on
// the blocks.
type firstStep struct {
	w     *rankWork
	m     []float64 // per-draw maxima of the block, block×K
	simul []float64 // per-draw maximum over all pairs, nd
	tails []float64 // K heaps of tailN values each (negated when sign < 0)
	fill  []int
	tailN int
	sign  float64
	rows  [][2]int // tiles of rows a of the pairs a < b
}

func (w *rankWork) newFirstStep(blk int) *firstStep {
	k, nd := w.k, w.nd
	f := &firstStep{w: w, m: make([]float64, blk*k), simul: make([]float64, nd), fill: make([]int, k)}
	i := w.quantileIndex()
	f.tailN, f.sign = nd-i, 1 // the nd − i largest: the i-th smallest is their minimum
	if i+1 < f.tailN {
		f.tailN, f.sign = i+1, -1 // the i + 1 smallest: the i-th smallest is their maximum
	}
	if k >= 2 {
		f.tails = make([]float64, k*f.tailN)
	}
	for a0 := 0; a0 < k-1; {
		a1, n := a0, 0
		for a1 < k-1 && (a1 == a0 || n+k-1-a1 <= pairTile) {
			n += k - 1 - a1
			a1++
		}
		f.rows = append(f.rows, [2]int{a0, a1})
		a0 = a1
	}
	return f
}

// add passes over the block of draws z (row-major, n×K), the draws d0 …
// d0 + n − 1.
func (f *firstStep) add(z []float64, d0 int) {
	k := f.w.k
	if k < 2 {
		return
	}
	n := len(z) / k
	m := f.m[:n*k]
	clear(m)
	par := min(runtime.GOMAXPROCS(0), max(1, n*k*k/(1<<18)))
	inChunks(n, par, func(_, lo, hi int) {
		inv := make([]float64, 0, max(pairTile, k-1))
		for _, rows := range f.rows {
			inv = inv[:0]
			for a := rows[0]; a < rows[1]; a++ {
				for b := a + 1; b < k; b++ {
					v, _ := f.w.pair(a, b)
					inv = append(inv, v)
				}
			}
			for d := lo; d < hi; d++ {
				row, md := z[d*k:(d+1)*k], m[d*k:(d+1)*k]
				off := 0
				for a := rows[0]; a < rows[1]; a++ {
					md[a] = asm.PairMax(row[a], md[a], row[a+1:], inv[off:off+k-1-a], md[a+1:])
					off += k - 1 - a
				}
			}
		}
	})
	for d := range n {
		s := 0.0
		for _, v := range m[d*k : (d+1)*k] {
			s = max(s, v)
		}
		f.simul[d0+d] = s
	}
	// Each domain's tail, in parallel over domains (a heap is its
	// domain's alone; the draws enter in order).
	inChunks(k, min(par, k), func(_, j0, j1 int) {
		for j := j0; j < j1; j++ {
			h := f.tails[j*f.tailN : (j+1)*f.tailN]
			for d := range n {
				f.fill[j] = tailPush(h, f.fill[j], f.sign*m[d*k+j])
			}
		}
	})
}

// result returns the marginal and the simultaneous critical values.
func (f *firstStep) result() (marg []float64, simul float64) {
	k := f.w.k
	marg = make([]float64, k)
	if k < 2 {
		return marg, 0
	}
	for j := range k {
		marg[j] = f.sign * f.tails[j*f.tailN] // the root: the tail's minimum
	}
	return marg, rankSelect(f.simul, f.w.quantileIndex())
}

// tailPush keeps in the min-heap h[:n] the len(h) largest values pushed so
// far and returns its new length.
func tailPush(h []float64, n int, v float64) int {
	if n < len(h) {
		h[n] = v
		for i := n; i > 0; {
			p := (i - 1) / 2
			if h[p] <= h[i] {
				break
			}
			h[p], h[i] = h[i], h[p]
			i = p
		}
		return n + 1
	}
	if v <= h[0] {
		return n
	}
	h[0] = v
	for i := 0; ; {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && h[c+1] < h[c] {
			c++
		}
		if h[i] <= h[c] {
			break
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
	return n
}

// bits is a set of hypothesis indices.
type bits []uint64

func newBits(n int) bits      { return make(bits, (n+63)/64) }
func (s bits) has(i int) bool { return s[i/64]&(1<<(i%64)) != 0 }
func (s bits) set(i int)      { s[i/64] |= 1 << (i % 64) }

// test rejects the hypotheses pair(i), i < n, with t_ab > c — single step
// with the given first-step critical value c0, or stepdown: recompute c
// over the hypotheses not yet rejected (the opposite direction of a
// rejected pair stays in the family, as in Romano & Wolf 2005 and csranks)
// until no new rejection. It returns the rejections (one bit per
// hypothesis) and c0.
func (w *rankWork) test(n int, pair func(int) rankPair, stepdown bool, c0 float64) (bits, float64) {
	rej := newBits(n)
	left := n
	c := c0
	for {
		newRej := false
		for i := range n {
			if rej.has(i) {
				continue
			}
			h := pair(i)
			if _, t := w.pair(h.a, h.b); t > c {
				rej.set(i)
				newRej = true
				left--
			}
		}
		if !stepdown || !newRej || left == 0 {
			return rej, c0
		}
		c = w.crit(n, pair, rej.has)
	}
}

// topBottom counts, draw by draw, the draws where each domain of
// θ* = θ̂ + Z_b ranks among the topK highest and the topK lowest (ties by
// key). The draws of a block are split into fixed chunks counted in
// parallel; counts are integers, so the result does not depend on the
// split.
type topBottom struct {
	est         []float64
	keys        []string
	topK        int
	top, bottom [][]int // per chunk
}

func newTopBottom(est []float64, keys []string, topK int) *topBottom {
	return &topBottom{est: est, keys: keys, topK: topK}
}

func (t *topBottom) add(z []float64) {
	k := len(t.est)
	nd := len(z) / k
	par := min(runtime.GOMAXPROCS(0), max(1, nd*k/(1<<16)))
	for len(t.top) < par {
		t.top, t.bottom = append(t.top, make([]int, k)), append(t.bottom, make([]int, k))
	}
	inChunks(nd, par, func(p, d0, d1 int) {
		rankTopBottomDraws(t.est, t.keys, z[d0*k:d1*k], k, t.topK, t.top[p], t.bottom[p])
	})
}

// result returns PTop and PBottom over nd draws.
func (t *topBottom) result(nd int) (top, bottom []float64) {
	k := len(t.est)
	top, bottom = make([]float64, k), make([]float64, k)
	for j := range k {
		nt, nb := 0, 0
		for p := range t.top {
			nt += t.top[p][j]
			nb += t.bottom[p][j]
		}
		top[j] = float64(nt) / float64(nd)
		bottom[j] = float64(nb) / float64(nd)
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
