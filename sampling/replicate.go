package sampling

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"gonum.org/v1/gonum/mat"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// desReplicates are a design's replicate weights: either PSU factors
// (w_ri = w_i·factors[r*P+psu_i], built from the design) or supplied
// columns of full analysis weights (cols[r][i]).
type desReplicates struct {
	r       int
	factors []float64
	cols    [][]float64
	scale   float64
	rscales []float64
	mse     bool
}

// ReplicateWeights returns the analysis weights of replicate r (w_i times
// the replicate factor, or the supplied column) in a new slice. It panics
// for a linearization design or r out of range.
func (d *Design) ReplicateWeights(r int) []float64 {
	if d.reps == nil || r < 0 || r >= d.reps.r {
		panic("sampling: ReplicateWeights: no such replicate")
	}
	out := make([]float64, d.n)
	if d.reps.cols != nil {
		copy(out, d.reps.cols[r])
		return out
	}
	f := d.reps.factors[r*len(d.psuStratum):]
	for i, w := range d.w {
		out[i] = w * f[d.psu[i]]
	}
	return out
}

// ReplicateScales returns the overall scale and per-replicate scales of the
// replicate variance (nil, 0 for linearization).
func (d *Design) ReplicateScales() (scale float64, rscales []float64) {
	if d.reps == nil {
		return 0, nil
	}
	return d.reps.scale, d.reps.rscales
}

// buildReplicates makes the replicate weights of d.spec.Variance, as R
// as.svrepdesign (survey 4.1: jk1weights, jknweights, bootweights,
// subbootweights, brrweights) or svrepdesign for supplied columns.
func (d *Design) buildReplicates(rec arrow.RecordBatch) error {
	s := &d.spec
	reps := &desReplicates{mse: s.MSE == nil || *s.MSE}
	d.reps = reps
	H, P := len(d.nh), len(d.psuStratum)
	var err error
	switch s.Variance {
	case SuppliedReplicates:
		if d.rsums != nil {
			return d.useReplicateSums()
		}
		return d.readReplicates(rec)
	case JK1:
		if H > 1 {
			return fmt.Errorf("sampling: %w: JK1 is for unstratified designs; use jkn for a stratified design (R as.svrepdesign)", ErrBadDesign)
		}
		if P < 2 {
			return fmt.Errorf("sampling: %w: JK1 needs at least 2 PSUs", ErrBadDesign)
		}
		c := float64(P) / float64(P-1)
		reps.r = P
		reps.factors = make([]float64, P*P)
		for r := 0; r < P; r++ {
			for p := 0; p < P; p++ {
				if p != r {
					reps.factors[r*P+p] = c
				}
			}
		}
		reps.scale = d.fh[0] * float64(P-1) / float64(P)
		reps.rscales = desOnes(P)
		d.df = d.repDF(P - 1)
	case JKn:
		err = d.buildJKn()
	case Bootstrap, SubBootstrap:
		err = d.buildBootstrap()
	case BRR, Fay:
		err = d.buildBRR()
	default:
		panic(fmt.Sprintf("sampling: NewDesign: unknown variance method %d", s.Variance))
	}
	return err
}

func desOnes(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// buildJKn: per stratum with n_h ≥ 2, one replicate per PSU j: factor 0 for
// j, n_h/(n_h−1) for the other PSUs of h, 1 elsewhere; rscale
// (1 − f_h)(n_h − 1)/n_h. Single-PSU strata follow R jknweights:
// remove/certainty/average add no replicate (average scales by
// PSUs/replicates), adjust adds one replicate with the stratum's PSU at 0
// and every other PSU at H/(H−1), rscale (H−1)/H.
func (d *Design) buildJKn() error {
	H, P := len(d.nh), len(d.psuStratum)
	reps := d.reps
	var cols [][]float64
	for h := 0; h < H; h++ {
		nh := d.nh[h]
		p0, p1 := int(d.strataPSU[h]), int(d.strataPSU[h+1])
		if nh == 1 {
			if d.fh[h] < 1e-7 {
				continue // self-representing: no variance
			}
			if d.spec.Lonely == LonelyAdjust {
				col := make([]float64, P)
				for p := range col {
					if d.psuStratum[p] != int32(h) {
						col[p] = float64(H) / float64(H-1)
					}
				}
				cols = append(cols, col)
				reps.rscales = append(reps.rscales, float64(H-1)/float64(H))
			}
			continue
		}
		c := float64(nh) / float64(nh-1)
		for j := p0; j < p1; j++ {
			col := desOnes(P)
			for p := p0; p < p1; p++ {
				col[p] = c
			}
			col[j] = 0
			cols = append(cols, col)
			reps.rscales = append(reps.rscales, d.fh[h]*float64(nh-1)/float64(nh))
		}
	}
	if len(cols) == 0 {
		return fmt.Errorf("sampling: %w: no stratum has 2 or more PSUs to build JKn replicates", ErrBadDesign)
	}
	reps.r = len(cols)
	reps.factors = make([]float64, 0, len(cols)*P)
	for _, c := range cols {
		reps.factors = append(reps.factors, c...)
	}
	reps.scale = 1
	if d.spec.Lonely == LonelyAverage && len(cols) < P {
		reps.scale = float64(P) / float64(len(cols))
	}
	d.df = d.repDF(P - H)
	return nil
}

// buildBootstrap: R bootweights (Canty–Davison rescaled bootstrap): in each
// stratum n_h PSUs are drawn with replacement (without fpc) or without
// replacement from N_h copies cycling through the PSUs (with fpc); the
// factor is the number of times a PSU is drawn; scale ñ/((ñ−1)(R−1)) with ñ
// the harmonic mean of n_h. SubBootstrap (R subbootweights, Rao–Wu with
// m_h = n_h − 1): n_h − 1 draws with replacement, factor count·n_h/(n_h−1),
// scale 1/(R−1). The generator is PCG seeded with DesignOptions.Seed.
func (d *Design) buildBootstrap() error {
	H, P := len(d.nh), len(d.psuStratum)
	R := d.spec.Replicates
	if R == 0 {
		R = 50
	}
	if R < 2 {
		return fmt.Errorf("sampling: %w: the bootstrap needs at least 2 replicates, got %d", ErrBadDesign, R)
	}
	sub := d.spec.Variance == SubBootstrap
	if sub {
		var lonely []string
		for h, nh := range d.nh {
			if nh < 2 {
				lonely = append(lonely, d.strataNames[h])
			}
		}
		if len(lonely) > 0 {
			sort.Strings(lonely)
			return fmt.Errorf("sampling: %w: subbootstrap needs 2 or more PSUs per stratum; strata with one: %s", ErrLonelyPSU, desList(lonely, 20))
		}
	}
	rng := rand.New(rand.NewPCG(d.spec.Seed, 0x5349504153)) // "SIPAS"
	reps := d.reps
	reps.r = R
	reps.factors = make([]float64, R*P)
	pool := []int{}
	for r := 0; r < R; r++ {
		f := reps.factors[r*P : (r+1)*P]
		for h := 0; h < H; h++ {
			nh := d.nh[h]
			p0 := int(d.strataPSU[h])
			switch {
			case sub:
				for m := 0; m < nh-1; m++ {
					f[p0+rng.IntN(nh)]++
				}
				c := float64(nh) / float64(nh-1)
				for p := p0; p < p0+nh; p++ {
					f[p] *= c
				}
			case math.IsInf(d.popN[h], 1):
				for m := 0; m < nh; m++ {
					f[p0+rng.IntN(nh)]++
				}
			default:
				// without replacement from rep(psus, length = N_h)
				N := int(d.popN[h])
				pool = pool[:0]
				for m := 0; m < N; m++ {
					pool = append(pool, m%nh)
				}
				for m := 0; m < nh; m++ {
					k := m + rng.IntN(N-m)
					pool[m], pool[k] = pool[k], pool[m]
					f[p0+pool[m]]++
				}
			}
		}
	}
	reps.rscales = desOnes(R)
	if sub {
		reps.scale = 1 / float64(R-1)
	} else {
		inv := 0.0
		for _, nh := range d.nh {
			inv += 1 / float64(nh)
		}
		hm := float64(H) / inv
		reps.scale = hm / ((hm - 1) * float64(R-1))
	}
	d.df = d.repDF(-1)
	return nil
}

// desHadamard01 is the Sylvester Hadamard matrix of order m (a power of 2)
// in R's 0/1 coding (sylvester: rbind(cbind(m, m), cbind(m, 1 − m))):
// entry 1 when popcount(i & j) is even.
func desHadamard01(i, j int) int {
	return 1 - bits.OnesCount(uint(i&j))%2
}

// buildBRR: R brrweights for exactly 2 PSUs per stratum. Strata are sorted
// by label, PSUs in order of appearance; with the Sylvester Hadamard matrix
// of the smallest order m (a power of 2) above H, replicate r gives the
// first PSU of the s-th stratum the factor 2 − ρ when H[s+1, r] = 1 and ρ
// otherwise (the second PSU the other one); ρ = 0 for BRR, FayRho for Fay.
// scale 1/(m(1−ρ)²).
func (d *Design) buildBRR() error {
	H, P := len(d.nh), len(d.psuStratum)
	var bad []string
	for h, nh := range d.nh {
		if nh != 2 {
			bad = append(bad, fmt.Sprintf("%q (%d)", d.strataNames[h], nh))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("sampling: %w: BRR and Fay need exactly 2 PSUs per stratum; strata with another number: %s", ErrBadDesign, desList(bad, 20))
	}
	rho := 0.0
	if d.spec.Variance == Fay {
		rho = d.spec.FayRho
		if !(rho > 0 && rho < 1) {
			return fmt.Errorf("sampling: %w: Fay's BRR needs 0 < FayRho < 1, got %v", ErrBadDesign, rho)
		}
	}
	order := make([]int, H)
	for h := range order {
		order[h] = h
	}
	sort.SliceStable(order, func(a, b int) bool { return d.strataNames[order[a]] < d.strataNames[order[b]] })
	m := 1
	for m < H+1 {
		m *= 2
	}
	reps := d.reps
	reps.r = m
	reps.factors = make([]float64, m*P)
	for r := 0; r < m; r++ {
		f := reps.factors[r*P : (r+1)*P]
		for s, h := range order {
			p0 := int(d.strataPSU[h])
			if desHadamard01(s+1, r) == 1 {
				f[p0], f[p0+1] = 2-rho, rho
			} else {
				f[p0], f[p0+1] = rho, 2-rho
			}
		}
	}
	reps.rscales = desOnes(m)
	reps.scale = 1 / (float64(m) * (1 - rho) * (1 - rho))
	d.df = d.repDF(H)
	return nil
}

// ReplicateColumns returns the supplied replicate weight columns of
// schema: PREFIX1..PREFIXR in order (R svrepdesign's repweights), or an
// error when fewer than 2 are found or one is missing.
func ReplicateColumns(schema *arrow.Schema, prefix string) ([]string, error) {
	type rc struct {
		idx  int
		name string
	}
	var found []rc
	for _, f := range schema.Fields() {
		if rest, ok := strings.CutPrefix(f.Name, prefix); ok {
			if k, err := strconv.Atoi(rest); err == nil && k > 0 {
				found = append(found, rc{k, f.Name})
			}
		}
	}
	sort.Slice(found, func(a, b int) bool { return found[a].idx < found[b].idx })
	if len(found) < 2 {
		names := make([]string, 0)
		for _, f := range schema.Fields() {
			names = append(names, f.Name)
		}
		return nil, fmt.Errorf("sampling: replicate weights: %w: need columns %s1, %s2, ...; found %d (available: %s)", ErrBadDesign, prefix, prefix, len(found), desList(names, 60))
	}
	out := make([]string, len(found))
	for i, f := range found {
		if f.idx != i+1 {
			return nil, fmt.Errorf("sampling: replicate weights: %w: column %s%d is missing (found %s)", ErrBadDesign, prefix, i+1, f.name)
		}
		out[i] = f.name
	}
	return out, nil
}

// readReplicates reads PREFIX1..PREFIXR (R svrepdesign with
// combined.weights = TRUE).
func (d *Design) readReplicates(rec arrow.RecordBatch) error {
	s := &d.spec
	found, err := ReplicateColumns(rec.Schema(), s.RepWeightsPrefix)
	if err != nil {
		return err
	}
	R := len(found)
	reps := d.reps
	reps.r = R
	reps.cols = make([][]float64, R)
	for r, name := range found {
		col, _ := arrowio.Column(rec, name)
		v, valid, err := arrowio.Float64s(col)
		if err != nil {
			return fmt.Errorf("sampling: replicate weight column %q: %w", name, err)
		}
		var badRows []int
		for i, x := range v {
			if (valid != nil && !valid[i]) || math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
				badRows = append(badRows, i+1)
			}
		}
		if len(badRows) > 0 {
			return fmt.Errorf("sampling: replicate weight column %q: %w: missing, negative or non-finite at %s", name, ErrBadWeight, desRows(badRows))
		}
		reps.cols[r] = v
	}
	if err := d.suppliedScales(R); err != nil {
		return err
	}
	d.df = d.repDF(-1)
	return nil
}

// suppliedScales sets the scale and rscales of R supplied replicates from
// the spec's type, scale and rscales, as R svrepdesign.
func (d *Design) suppliedScales(R int) error {
	s, reps := &d.spec, d.reps
	typ := strings.ToLower(s.RepType)
	scale := 1.0
	switch typ {
	case "", "other":
	case "jk1":
		scale = float64(R-1) / float64(R)
	case "jkn":
		if s.RepRScales == nil {
			return fmt.Errorf("sampling: replicate weights: %w: type jkn needs the per-replicate scales (rscales), as R svrepdesign", ErrBadDesign)
		}
	case "bootstrap":
		scale = 1 / float64(R-1)
	case "brr":
		scale = 1 / float64(R)
	case "fay":
		rho := s.FayRho
		if !(rho > 0 && rho < 1) {
			return fmt.Errorf("sampling: replicate weights: %w: type fay needs 0 < rho < 1, got %v", ErrBadDesign, rho)
		}
		scale = 1 / (float64(R) * (1 - rho) * (1 - rho))
	default:
		return fmt.Errorf("sampling: replicate weights: %w: unknown type %q (want jk1, jkn, bootstrap, brr, fay or other)", ErrBadDesign, s.RepType)
	}
	if s.RepScale != 0 {
		scale = s.RepScale
	}
	reps.scale = scale
	switch len(s.RepRScales) {
	case 0:
		reps.rscales = desOnes(R)
	case R:
		reps.rscales = append([]float64(nil), s.RepRScales...)
	default:
		return fmt.Errorf("sampling: replicate weights: %w: %d rscales for %d replicates", ErrBadDesign, len(s.RepRScales), R)
	}
	return nil
}

// repDF returns R's degf for a replicate design: the rank of the analysis
// weights minus 1 (qr(weights(design, "analysis"))$rank − 1). The rank is
// that of the Gram matrix of the replicate weights (eigenvalues above
// 1e-10 of the largest); for large designs (repRankCostly) the closed form
// fallback (≥ 0) is used instead.
func (d *Design) repDF(fallback int) int {
	if fallback >= 0 && d.repRankCostly() {
		return fallback
	}
	return d.repRanks(nil, 1, fallback)[0]
}

// repRankCostly reports whether the rank of the replicate weights is too
// costly to compute: more than 400 replicates, or rows (PSUs when the
// weights are PSU factors) × replicates² above 4e9.
func (d *Design) repRankCostly() bool {
	R, rows := d.reps.r, d.n
	if d.rsums != nil {
		rows = int(d.rsums.Rows)
	}
	if d.reps.factors != nil {
		rows = len(d.psuStratum)
	}
	return R > 400 || float64(rows)*float64(R)*float64(R) > 4e9
}

// repRanks returns, for each of the G domains of domain (codes per row, −1
// for a row in none; nil: every row in domain 0), the rank of the analysis
// replicate weights of its rows minus 1, as R's degf of the subset design.
// Rows with weight 0 have analysis weights 0 when the replicates are PSU
// factors. fallback is returned for a domain whose eigen decomposition
// fails or, with PSU factors, whose rank is too costly (PSUs m, k =
// min(m, R): m R k + k³ above 4e9); −1 when it has no row.
func (d *Design) repRanks(domain []int32, G, fallback int) []int {
	reps := d.reps
	R := reps.r
	if d.rsums != nil {
		return d.sumsRanks(domain, G, fallback)
	}
	out := make([]int, G)
	if reps.factors != nil {
		P := len(d.psuStratum)
		// per domain, the PSUs holding a row of it with nonzero weight
		// (rows in PSU order, so a PSU is met in one run)
		nzp := make([][]int, G)
		last := make([]int32, G)
		for g := range last {
			last[g] = -1
		}
		for pos := 0; pos < d.n; pos++ {
			i := pos
			if d.order != nil {
				i = int(d.order[pos])
			}
			g := int32(0)
			if domain != nil {
				g = domain[i]
			}
			if g < 0 || d.w[i] == 0 || last[g] == d.psu[i] {
				continue
			}
			last[g] = d.psu[i]
			nzp[g] = append(nzp[g], int(d.psu[i]))
		}
		for g, ps := range nzp {
			// the Gram matrix is k×k, k = min(PSUs, R): m R k products
			// and an eigen decomposition of order k³
			m, k := float64(len(ps)), float64(min(len(ps), R))
			if m*float64(R)*k+k*k*k > 4e9 {
				out[g] = fallback
				continue
			}
			var gram *mat.SymDense
			if len(ps) < R {
				// rank(F) = rank(F F'), the smaller Gram matrix
				gram = mat.NewSymDense(max(len(ps), 1), nil)
				for a, pa := range ps {
					for b := a; b < len(ps); b++ {
						pb := ps[b]
						s := 0.0
						for rep := 0; rep < R; rep++ {
							s += reps.factors[rep*P+pa] * reps.factors[rep*P+pb]
						}
						gram.SetSym(a, b, s)
					}
				}
			} else {
				gram = mat.NewSymDense(R, nil)
				for a := 0; a < R; a++ {
					fa := reps.factors[a*P : (a+1)*P]
					for b := a; b < R; b++ {
						fb := reps.factors[b*P : (b+1)*P]
						s := 0.0
						for _, p := range ps {
							s += fa[p] * fb[p]
						}
						gram.SetSym(a, b, s)
					}
				}
			}
			out[g] = desRank(gram, fallback, R)
		}
		return out
	}
	// supplied replicate weights: the R×R Gram matrix of each domain's rows
	rows := make([][]int32, G)
	for i := 0; i < d.n; i++ {
		g := int32(0)
		if domain != nil {
			g = domain[i]
		}
		if g >= 0 {
			rows[g] = append(rows[g], int32(i))
		}
	}
	gram := mat.NewSymDense(R, nil)
	x := make([]float64, R)
	xv := mat.NewVecDense(R, x)
	for g, rs := range rows {
		gram.Zero()
		for _, i := range rs {
			for a := range x {
				x[a] = reps.cols[a][i]
			}
			gram.SymRankOne(gram, 1, xv)
		}
		out[g] = desRank(gram, fallback, R)
	}
	return out
}

// desRank returns the numerical rank of a Gram matrix minus 1.
func desRank(gram *mat.SymDense, fallback, R int) int {
	var eig mat.EigenSym
	if !eig.Factorize(gram, false) {
		if fallback >= 0 {
			return fallback
		}
		return R - 1
	}
	vals := eig.Values(nil)
	max := 0.0
	for _, v := range vals {
		max = math.Max(max, v)
	}
	rank := 0
	for _, v := range vals {
		if v > 1e-10*max {
			rank++
		}
	}
	return rank - 1
}

// vrReplicate computes the replicate variance of every (domain, estimand)
// and the covariance blocks when asked (R svrVar).
func (d *Design) vrReplicate(r *Ratios, t *vrTotals) ([]float64, [][]float64, *repEstimates, error) {
	reps := d.reps
	R, G, K, J := reps.r, t.G, t.K, t.J
	Yr := make([]float64, R*G*K)
	Xr := make([]float64, R*G*K)
	if reps.factors != nil {
		d.vrReplicateFactors(r, t, Yr, Xr)
	} else if d.rsums != nil {
		d.vrReplicateSums(r, t, Yr, Xr)
	} else {
		var wg sync.WaitGroup
		next := make(chan int, R)
		for i := 0; i < R; i++ {
			next <- i
		}
		close(next)
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for rep := range next {
					wr := reps.cols[rep]
					for k := 0; k < K; k++ {
						y, x := r.Num[k], vrDen(r, k)
						for i, wi := range wr {
							if gA := t.overall; gA >= 0 {
								Yr[(rep*G+gA)*K+k] += wi * y[i]
								if x != nil {
									Xr[(rep*G+gA)*K+k] += wi * x[i]
								}
							}
							g := 0
							if r.Domain != nil {
								g = int(r.Domain[i])
								if g < 0 {
									continue
								}
							}
							Yr[(rep*G+g)*K+k] += wi * y[i]
							if x != nil {
								Xr[(rep*G+g)*K+k] += wi * x[i]
							}
						}
					}
				}
			}()
		}
		wg.Wait()
	}
	// θ_r per (g, j)
	theta := make([]float64, R*G*J)
	for rep := 0; rep < R; rep++ {
		for g := 0; g < G; g++ {
			th := theta[(rep*G+g)*J : (rep*G+g+1)*J]
			for k := 0; k < K; k++ {
				i := (rep*G+g)*K + k
				if vrDen(r, k) == nil {
					th[k] = Yr[i]
				} else {
					th[k] = Yr[i] / Xr[i]
				}
			}
			for c, terms := range t.combos {
				v := 0.0
				for _, tm := range terms {
					v += tm.coef * th[tm.k]
				}
				th[K+c] = v
			}
		}
	}
	V := make([]float64, G*J)
	center := make([]float64, G*J)
	for g := 0; g < G; g++ {
		for j := 0; j < J; j++ {
			gj := g*J + j
			if reps.mse {
				center[gj] = t.est[gj]
			} else {
				s, n := 0.0, 0
				for rep := 0; rep < R; rep++ {
					if v := theta[rep*G*J+gj]; !math.IsNaN(v) && reps.rscales[rep] > 0 {
						s += v
						n++
					}
				}
				center[gj] = s / float64(n)
			}
			v := 0.0
			for rep := 0; rep < R; rep++ {
				th := theta[rep*G*J+gj]
				if math.IsNaN(th) {
					continue // R svrVar drops replicates with NA results
				}
				dv := th - center[gj]
				v += reps.rscales[rep] * dv * dv
			}
			V[gj] = reps.scale * v
		}
	}
	if t.vs {
		// domain − overall per replicate (VsOverall), centred at the
		// full-sample difference (mse) or the replicates' mean
		gA := t.overall
		for g := 0; g < gA; g++ {
			for j := 0; j < J; j++ {
				diff := func(rep int) float64 { return theta[(rep*G+g)*J+j] - theta[(rep*G+gA)*J+j] }
				var c float64
				if reps.mse {
					c = t.est[g*J+j] - t.est[gA*J+j]
				} else {
					s, n := 0.0, 0
					for rep := 0; rep < R; rep++ {
						if v := diff(rep); !math.IsNaN(v) && reps.rscales[rep] > 0 {
							s += v
							n++
						}
					}
					c = s / float64(n)
				}
				v := 0.0
				for rep := 0; rep < R; rep++ {
					if dv := diff(rep) - c; !math.IsNaN(dv) {
						v += reps.rscales[rep] * dv * dv
					}
				}
				t.vsV[g*J+j] = reps.scale * v
			}
		}
	}
	re := &repEstimates{theta: theta, est: t.est, stride: G * J, scale: reps.scale, rscales: reps.rscales, mse: reps.mse}
	var cov [][]float64
	if r.Cov {
		cov = make([][]float64, G)
		for g := 0; g < G; g++ {
			cov[g] = re.cov(g*J, J)
		}
	}
	return V, cov, re, nil
}

// vrReplicateFactors accumulates replicate totals from PSU totals:
// Ŷ_rgk = Σ_p a_rp Σ_{i∈p, i∈g} w_i y_ik.
func (d *Design) vrReplicateFactors(r *Ratios, t *vrTotals, Yr, Xr []float64) {
	reps := d.reps
	R, G, K := reps.r, t.G, t.K
	P := len(d.psuStratum)
	tn := make([]float64, G*K)
	td := make([]float64, G*K)
	mark := make([]int32, G)
	var touched []int32
	for p := 0; p < P; p++ {
		for pos := d.psuStart[p]; pos < d.psuStart[p+1]; pos++ {
			i := int(pos)
			if d.order != nil {
				i = int(d.order[pos])
			}
			wi := d.w[i]
			for pass := 0; pass < 2; pass++ {
				g := int32(0)
				if pass == 1 {
					if t.overall < 0 {
						break
					}
					g = int32(t.overall)
				} else if r.Domain != nil {
					g = r.Domain[i]
					if g < 0 {
						continue
					}
				}
				if mark[g] != int32(p)+1 {
					mark[g] = int32(p) + 1
					touched = append(touched, g)
				}
				for k := 0; k < K; k++ {
					tn[int(g)*K+k] += wi * r.Num[k][i]
					if x := vrDen(r, k); x != nil {
						td[int(g)*K+k] += wi * x[i]
					}
				}
			}
		}
		for _, g := range touched {
			a := tn[int(g)*K : int(g)*K+K]
			b := td[int(g)*K : int(g)*K+K]
			for rep := 0; rep < R; rep++ {
				f := reps.factors[rep*P+p]
				if f == 0 {
					continue
				}
				y := Yr[(rep*G+int(g))*K : (rep*G+int(g)+1)*K]
				x := Xr[(rep*G+int(g))*K : (rep*G+int(g)+1)*K]
				for k := 0; k < K; k++ {
					y[k] += f * a[k]
					x[k] += f * b[k]
				}
			}
			clear(a)
			clear(b)
		}
		touched = touched[:0]
	}
}
