package synth

import (
	"fmt"
	"slices"
	"sync"
)

// Truth is the known true satisfaction of a synthetic population: the
// model of effects.go evaluated for every province × level × field ×
// criterion, and its population shares weighted by the register's
// transaction counts of that year. Estimates from a sample of the
// population (weighted by design weights, nonresponse corrected) converge
// to these shares. All shares are proportions in [0, 1] (the indices of
// METHODOLOGY §3 are 100 times them). A Truth is safe for concurrent use.
//
// Province names are the canonical names of the year's geography (the 63
// up to 2024, the 34 from 2025); the empty string means the nation.
type Truth struct {
	w     *world
	total int

	mu    sync.Mutex
	years map[int]*yearTruth
}

const nCrit = 22

type yearTruth struct {
	f   *frame
	era int
	// cellP[(prov*nCells+cell)*nCrit+crit] = Φ(η); thr likewise ×4: the
	// latent thresholds t5 < t4 < t3 < t2 (answer 5 if Z < t5, 4 if Z < t4, ...).
	cellP []float64
	thr   []float64
	// cellN[prov*nCells+cell]: the register's transactions in the cell.
	cellN []int64
}

// Shares of the answers below 4 and of 5 among 4/5; see thresholds.
const (
	share5  = 0.35 // P(5 | satisfied)
	share3  = 0.55 // P(3 | not satisfied)
	share32 = 0.85 // P(3 or 2 | not satisfied)
)

// NewTruth returns the truth of the register that Register and
// RegisterBatches generate for cfg (cfg.TotalRows transactions a year).
func NewTruth(cfg Config) *Truth {
	cfg = cfg.withDefaults()
	return newTruth(getWorld(cfg.Seed), cfg.TotalRows)
}

func newTruth(w *world, total int) *Truth {
	return &Truth{w: w, total: total, years: map[int]*yearTruth{}}
}

func (t *Truth) year(y int) *yearTruth {
	t.mu.Lock()
	defer t.mu.Unlock()
	if yt, ok := t.years[y]; ok {
		return yt
	}
	f := t.w.frame(y, t.total)
	yt := &yearTruth{f: f}
	if f.geo.era2025 {
		yt.era = 1
	}
	np := len(f.geo.provs)
	yt.cellP = make([]float64, np*nCells*nCrit)
	yt.thr = make([]float64, np*nCells*nCrit*4)
	yt.cellN = make([]int64, np*nCells)
	for p := 0; p < np; p++ {
		for _, cs := range f.cells[p] {
			for k, n := range cs {
				yt.cellN[p*nCells+k] += int64(n)
			}
		}
		for l := 0; l < nLevels; l++ {
			for fl := 0; fl < nFields; fl++ {
				cell := l*nFields + fl
				for c := 0; c < nCrit; c++ {
					eta := t.w.eff.eta(yt.era, p, y, l, fl, c)
					pr := normCDF(eta)
					i := (p*nCells+cell)*nCrit + c
					yt.cellP[i] = pr
					th := yt.thr[4*i : 4*i+4]
					th[0] = probit(float64(pr * share5))
					th[1] = eta
					th[2] = probit(pr + float64((1-pr)*share3))
					th[3] = probit(pr + float64((1-pr)*share32))
				}
			}
		}
	}
	t.years[y] = yt
	return yt
}

func (t *Truth) provIndex(yt *yearTruth, province string) int {
	i, ok := yt.f.geo.byName[province]
	if !ok {
		panic(fmt.Sprintf("synth: unknown province %q in the %d geography", province, yt.f.year))
	}
	return i
}

func critIndex(criterion string) int {
	i := slices.Index(Criteria, criterion)
	if i < 0 {
		panic(fmt.Sprintf("synth: unknown criterion %q", criterion))
	}
	return i
}

func elemIndex(element string) int {
	i := slices.Index(Elements, element)
	if i < 0 {
		panic(fmt.Sprintf("synth: unknown element %q", element))
	}
	return i
}

func optIndex(list []string, v, what string) int {
	if v == "" {
		return -1
	}
	i := slices.Index(list, v)
	if i < 0 {
		panic(fmt.Sprintf("synth: unknown %s %q", what, v))
	}
	return i
}

// Share returns the true share of satisfied answers (4 or 5 among 1..5) to
// criterion in the domain of year's register given by province, level and
// field ("" for any):
//
//	Σ_{cells in domain} N_cell · Φ(η_cell,c) / Σ_{cells in domain} N_cell
//
// with N_cell the register's transaction count. It is NaN for an empty
// domain (e.g. level "district" from 2025). Unknown names panic.
func (t *Truth) Share(year int, province, level, field, criterion string) float64 {
	yt := t.year(year)
	c := critIndex(criterion)
	var num, den float64
	t.eachCell(yt, province, level, field, func(i int) {
		n := float64(yt.cellN[i])
		num += n * yt.cellP[i*nCrit+c]
		den += n
	})
	return num / den
}

// eachCell calls fn with the index p·nCells + cell of every register cell
// of yt in the domain given by province, level and field ("" for any).
// Unknown names panic.
func (t *Truth) eachCell(yt *yearTruth, province, level, field string, fn func(i int)) {
	l := optIndex(Levels, level, "level")
	f := optIndex(Fields, field, "field")
	p0, p1 := 0, len(yt.f.geo.provs)
	if province != "" {
		p0 = t.provIndex(yt, province)
		p1 = p0 + 1
	}
	for p := p0; p < p1; p++ {
		for cell := 0; cell < nCells; cell++ {
			if (l >= 0 && cell/nFields != l) || (f >= 0 && cell%nFields != f) {
				continue
			}
			fn(p*nCells + cell)
		}
	}
}

// P returns the true satisfied share of criterion in province ("" = the
// nation) in year: Share(year, province, "", "", criterion).
func (t *Truth) P(year int, province, criterion string) float64 {
	return t.Share(year, province, "", "", criterion)
}

// Element returns the true element share: the equal-weight mean of its
// criteria's P, as the element index is defined (METHODOLOGY §3).
func (t *Truth) Element(year int, province, element string) float64 {
	e := elemIndex(element)
	var s float64
	n := 0
	for c, ce := range criterionElement {
		if ce == e {
			s += t.P(year, province, Criteria[c])
			n++
		}
	}
	return s / float64(n)
}

// SIPAS returns the true overall share: the mean of the five element shares.
func (t *Truth) SIPAS(year int, province string) float64 {
	var s float64
	for _, e := range Elements {
		s += t.Element(year, province, e)
	}
	return s / float64(len(Elements))
}

// CellP returns the model probability Φ(η) of a satisfied answer to
// criterion for a transaction of province at level in field.
func (t *Truth) CellP(year int, province, level, field, criterion string) float64 {
	yt := t.year(year)
	p := t.provIndex(yt, province)
	cell := optIndex(Levels, level, "level")*nFields + optIndex(Fields, field, "field")
	return yt.cellP[(p*nCells+cell)*nCrit+critIndex(criterion)]
}

// ResponseRate returns the probability that an issued ballot of the
// stratum province × level is returned (see effects.go).
func (t *Truth) ResponseRate(year int, province, level string) float64 {
	yt := t.year(year)
	return t.w.eff.responseRate(yt.era, t.provIndex(yt, province), optIndex(Levels, level, "level"))
}

// Transactions returns the register's transaction count of year in
// province ("" = the nation).
func (t *Truth) Transactions(year int, province string) int64 {
	yt := t.year(year)
	if province == "" {
		return int64(yt.f.total)
	}
	return int64(yt.f.provN[t.provIndex(yt, province)])
}

// Count returns the register's transactions of year in the domain given
// by province, level and field ("" for any) — the known population counts
// for post-stratification (METHODOLOGY §6).
func (t *Truth) Count(year int, province, level, field string) int64 {
	yt := t.year(year)
	var n int64
	t.eachCell(yt, province, level, field, func(i int) { n += yt.cellN[i] })
	return n
}

// Provinces returns the canonical province names of year's geography in
// generation order (code order up to 2024; the 2025 list's ASCII order).
func (t *Truth) Provinces(year int) []string {
	g := t.w.geoFor(year)
	out := make([]string, len(g.provs))
	for i, p := range g.provs {
		out[i] = p.name
	}
	return out
}

// Trend returns the province's yearly change on the probit scale, τ_p +
// 0.02 (before element trends), and its class: "improving" (τ_p > 0),
// "declining" (τ_p < 0) or "stable". A 2025 province's τ_p is the
// population-weighted mean of its members'.
func (t *Truth) Trend(year int, province string) (slope float64, class string) {
	yt := t.year(year)
	tau := t.w.eff.prov[yt.era][t.provIndex(yt, province)].tau
	switch {
	case tau > 1e-12:
		class = "improving"
	case tau < -1e-12:
		class = "declining"
	default:
		class = "stable"
	}
	return tau + nationalTrend, class
}

// ExpectationShare returns the true share of respondents who answered the
// expectation question and picked item column (expect_1..expect_7). The
// model is the same everywhere: K ∈ {1, 2, 3} areas with probabilities
// 0.25, 0.30, 0.45, drawn one by one without replacement with probabilities
// proportional to the remaining propensities (ballots.go), so
//
//	P(j picked) = Σ_K P(K) · Σ_{sequences a_1..a_K containing j} Π_i w_{a_i} / (1 − Σ_{l<i} w_{a_l})
//
// evaluated by enumerating the 7·6·5 ordered draws.
func (t *Truth) ExpectationShare(column string) float64 {
	j := slices.Index(Expectations, column)
	if j < 0 {
		panic(fmt.Sprintf("synth: unknown expectation column %q", column))
	}
	var rec func(depth int, taken uint, used, prob float64, hit bool) float64
	rec = func(depth int, taken uint, used, prob float64, hit bool) float64 {
		// Probability mass that j is among the first `depth` draws, stopping
		// after K = depth with probability kExpectP[depth-1].
		var s float64
		if depth > 0 && hit {
			s += prob * kExpectP[depth-1]
		}
		if depth == len(kExpectP) {
			return s
		}
		for k, w := range expectWeight {
			if taken&(1<<k) != 0 {
				continue
			}
			s += rec(depth+1, taken|1<<k, used+w, prob*w/(1-used), hit || k == j)
		}
		return s
	}
	return rec(0, 0, 0, 1, false)
}
