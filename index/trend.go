package index

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/sipas-go/sipas/index/rank"
	"github.com/sipas-go/sipas/sampling"
)

// Change is the comparison of two independent estimates (METHODOLOGY §8).
type Change struct {
	// Change is est2 − est1.
	Change float64
	// SE is sqrt(se1² + se2²), the SE of a difference of independent
	// estimates (samples of different years are independent).
	SE float64
	// Z is Change/SE.
	Z float64
	// P is the two-sided p-value 2·Φ(−|Z|) from the standard normal.
	P float64
}

// CompareIndependent compares est2 (SE se2) with est1 (SE se1) from
// independent samples: change = est2 − est1, SE = sqrt(se1² + se2²),
// z = change/SE and the two-sided p-value 2·Φ(−|z|) (a Wald test with the
// normal reference, as CLI.md `trend` asks). A change with SE 0 has z = ±Inf
// and p = 0 when the estimates differ, z and p NaN when they do not; NaN
// inputs give NaN.
func CompareIndependent(est1, se1, est2, se2 float64) Change {
	c := Change{Change: est2 - est1, SE: math.Hypot(se1, se2)}
	c.Z = c.Change / c.SE
	c.P = twoSidedP(c.Z)
	return c
}

// twoSidedP is the two-sided p-value 2·Φ(−|z|) of a standard normal test
// statistic (gonum distuv.UnitNormal); NaN for NaN, 0 for ±Inf.
func twoSidedP(z float64) float64 {
	if math.IsNaN(z) {
		return math.NaN()
	}
	return 2 * distuv.UnitNormal.CDF(-math.Abs(z))
}

// TrendPoint is one estimate of one index for one domain and year: the input
// of CompareYears, typically one row of the index computation per year.
type TrendPoint struct {
	// Domain is the domain key (Row.DomainKey: "province=Hà Nội", or
	// several column=value pairs joined); it also orders ties in the ranks.
	// Ignored when National is true.
	Domain string
	// Labels are the domain's columns and values (Row.Domain); they are
	// carried to the TrendRow and not used otherwise.
	Labels []sampling.DomainValue
	// Order, when not all zero, is the position of the domain in the sorted
	// domain order of its year (as sampling.Domains sorts: numbers
	// numerically); rank ties are broken by Order, then by Domain.
	Order int
	// National marks the national row (CLI.md "domain": {}); it is outside
	// the correction families and has no rank and no vs_nation.
	National bool
	// Kind and ID name the index ("criterion"/"element"/"sipas" and its id).
	Kind, ID string
	Year     int
	// Estimate and SE in percent; a NaN estimate (empty domain) gives null
	// comparisons and no rank.
	Estimate, SE float64
	// VsNation and SEVsNation are the domain's difference to the nation
	// (domain − nation) and its SE from the variance engine (influence
	// values of the difference); NaN when not available. Ignored for
	// national rows.
	VsNation, SEVsNation float64
	// Flag is the estimate's flag (Row.Flag: sampling.FlagFewPSU when the
	// domain lies in one PSU and SE is undefined, FlagLowPSU, FlagBoundary);
	// "" for none. CompareYears carries it to the TrendRow.
	Flag string
	// Version is the questionnaire version of the year's data (e.g. its
	// id); a change of version since the previous year sets Break, and the
	// comparison then needs a Mapping entry. "" everywhere means one
	// version.
	Version string
}

// CompareOptions are the settings of CompareYears; the zero value (or nil)
// works: base year = the first year of the input, no correction, alpha
// 0.05, 95% rank sets from 10,000 draws with a fixed seed, independent
// domains.
type CompareOptions struct {
	// BaseYear is the year changes "vs base" refer to; 0 means the first
	// year of the input. It must be one of the input's years.
	BaseYear int
	// Adjust is the multiple-comparison correction across the domains of
	// one index (kind + id), one year and one comparison (prev, base,
	// vs_nation); the CLI's default is rank.AdjustHolm.
	Adjust rank.Adjustment
	// Alpha is the level after the correction; 0 means 0.05. A flag is true
	// when the adjusted p < Alpha.
	Alpha float64
	// Rank are the settings of the rank confidence sets; its Rand is used
	// for the families in sorted order (kind, id, year), so the results do
	// not depend on the order of the points. Rank.TopK > 0 fills PTop and
	// PBottom.
	Rank rank.Options
	// Covariance, when set, returns the covariance matrix of the estimates
	// of the given domains (in that order) for one index and year; nil means
	// independent domains, diag(se²) (provinces as strata of one design).
	Covariance func(kind, id string, year int, domains []string) (mat.Symmetric, error)
	// Mapping declares which indices are comparable across questionnaire
	// versions; nil means only equal versions are comparable.
	Mapping *Mapping
}

// TrendRow is the result for one TrendPoint: the fields of a CLI.md `trend`
// row. Floats are NaN and flags nil where the CLI writes null; integer
// ranks are 0 where the CLI writes null.
type TrendRow struct {
	TrendPoint
	// PrevYear is the domain's previous year in the input (the latest earlier
	// year with a row for the domain), 0 in its first year. BaseYear is the
	// base year, 0 in the base year itself.
	PrevYear, BaseYear int
	// Change against the previous year: estimate − previous estimate, its SE
	// sqrt(se² + se_prev²), the two-sided normal p-value before the
	// correction and after it, and the flag (adjusted p < alpha; national
	// rows unadjusted). Null in the domain's first year, when the previous
	// estimate is missing, or when the versions differ and the Mapping does
	// not declare the index comparable.
	ChangePrev, SEChangePrev, PChangePrev, PAdjChangePrev float64
	SignificantPrev                                       *bool
	// The same against the base year.
	ChangeBase, SEChangeBase, PChangeBase, PAdjChangeBase float64
	SignificantBase                                       *bool
	// Rank (1 = highest among the domains of the index and year), the 95%
	// marginal rank confidence set [RankLow, RankHigh] (the claim about one
	// domain, CLI.md rank_low/rank_high), the simultaneous set
	// [RankSimulLow, RankSimulHigh] (claims about all domains at once), the
	// tier and the number K of ranked domains; 0 for national rows and
	// domains left out (NaN estimate or SE).
	Rank, RankLow, RankHigh, RankSimulLow, RankSimulHigh, Tier, RankedDomains int
	// RankPrev is the rank in PrevYear (0 if none or not comparable);
	// RankChange = RankPrev − Rank, positive when the domain moved up (only
	// meaningful when both ranks are non-zero; the number of ranked domains
	// may differ between years).
	RankPrev, RankChange int
	// PTop and PBottom are the probabilities of being among the
	// Rank.TopK highest / lowest (NaN when TopK is 0 or the row is not
	// ranked).
	PTop, PBottom float64
	// PVsNation is the two-sided normal p-value of VsNation/SEVsNation,
	// PAdjVsNation after the correction, SignificantVsNation its flag: "above
	// / below the national level" is said only when it is true.
	PVsNation, PAdjVsNation float64
	SignificantVsNation     *bool
	// Break is true when the questionnaire version differs from the one of
	// the domain's previous year (false in its first year).
	Break bool
}

type trendKey struct {
	national bool
	domain   string
	kind, id string
	year     int
}

type trendFamily struct {
	kind, id string
	year     int
}

// CompareYears computes, for every point, the change against the domain's
// previous year and against the base year with SEs (independent samples),
// p-values and flags after the correction across the domains of one index,
// year and comparison (national rows are outside the families and
// unadjusted), the vs-nation p-value and flag, the ranks with their 95%
// confidence sets (rank.Domains), tiers, top/bottom-k probabilities, rank
// change and the method-break flag. rows[i] belongs to points[i].
//
// It returns an error for two points with the same domain, index and year,
// a negative SE, or a BaseYear that is not among the years of the input,
// and passes on errors of Covariance and rank.Domains (with the index and
// year named).
func CompareYears(points []TrendPoint, opt *CompareOptions) ([]TrendRow, error) {
	var o CompareOptions
	if opt != nil {
		o = *opt
	}
	if o.Alpha == 0 {
		o.Alpha = 0.05
	}
	if !(o.Alpha > 0 && o.Alpha < 1) {
		panic(fmt.Sprintf("index: CompareYears: alpha %v outside (0, 1)", o.Alpha))
	}
	rows := make([]TrendRow, len(points))
	at := make(map[trendKey]int, len(points))
	domainYears := map[trendKey][]int{} // (national, domain) → sorted years
	version := map[trendKey]string{}    // (national, domain, year) → version
	yearSet := map[int]bool{}
	for i, p := range points {
		if p.National {
			p.Domain, p.Labels = "", nil
		}
		if p.SE < 0 {
			return nil, fmt.Errorf("index: CompareYears: point %d (domain %q, %s %s, %d): negative SE %v", i, p.Domain, p.Kind, p.ID, p.Year, p.SE)
		}
		k := trendKey{p.National, p.Domain, p.Kind, p.ID, p.Year}
		if j, dup := at[k]; dup {
			return nil, fmt.Errorf("index: CompareYears: points %d and %d are both domain %q, %s %s, year %d: give each domain, index and year once", j, i, p.Domain, p.Kind, p.ID, p.Year)
		}
		at[k] = i
		dk := trendKey{national: p.National, domain: p.Domain}
		yk := trendKey{national: p.National, domain: p.Domain, year: p.Year}
		if _, ok := version[yk]; !ok {
			version[yk] = p.Version
			domainYears[dk] = append(domainYears[dk], p.Year)
		}
		yearSet[p.Year] = true
		nan := math.NaN()
		rows[i] = TrendRow{
			TrendPoint: p,
			ChangePrev: nan, SEChangePrev: nan, PChangePrev: nan, PAdjChangePrev: nan,
			ChangeBase: nan, SEChangeBase: nan, PChangeBase: nan, PAdjChangeBase: nan,
			PTop: nan, PBottom: nan, PVsNation: nan, PAdjVsNation: nan,
		}
		if p.National {
			rows[i].VsNation, rows[i].SEVsNation = nan, nan
		}
	}
	for _, ys := range domainYears {
		slices.Sort(ys)
	}
	base := o.BaseYear
	if len(points) > 0 {
		if base == 0 {
			base = slices.Min(slices.Collect(maps.Keys(yearSet)))
		} else if !yearSet[base] {
			ys := slices.Sorted(maps.Keys(yearSet))
			return nil, fmt.Errorf("index: CompareYears: base year %d is not in the data (years %v): choose one of them", base, ys)
		}
	}

	// counterpart finds the row of the same domain in year y comparable with
	// row i (mapping the id across versions), or -1.
	counterpart := func(i, y int) int {
		p := rows[i].TrendPoint
		from, ok := version[trendKey{national: p.National, domain: p.Domain, year: y}]
		if !ok {
			return -1
		}
		id, ok := o.Mapping.Counterpart(p.Kind, p.ID, p.Version, from)
		if !ok {
			return -1
		}
		j, ok := at[trendKey{p.National, p.Domain, p.Kind, id, y}]
		if !ok {
			return -1
		}
		return j
	}

	for i := range rows {
		r := &rows[i]
		ys := domainYears[trendKey{national: r.National, domain: r.Domain}]
		pos, _ := slices.BinarySearch(ys, r.Year)
		if pos > 0 {
			r.PrevYear = ys[pos-1]
			r.Break = version[trendKey{national: r.National, domain: r.Domain, year: r.PrevYear}] != r.Version
			if j := counterpart(i, r.PrevYear); j >= 0 {
				c := CompareIndependent(rows[j].Estimate, rows[j].SE, r.Estimate, r.SE)
				r.ChangePrev, r.SEChangePrev, r.PChangePrev = c.Change, c.SE, c.P
			}
		}
		if r.Year != base {
			r.BaseYear = base
			if j := counterpart(i, base); j >= 0 {
				c := CompareIndependent(rows[j].Estimate, rows[j].SE, r.Estimate, r.SE)
				r.ChangeBase, r.SEChangeBase, r.PChangeBase = c.Change, c.SE, c.P
			}
		}
		if !r.National {
			r.PVsNation = twoSidedP(r.VsNation / r.SEVsNation)
		}
	}

	// Families: the non-national rows of one index and year.
	fam := map[trendFamily][]int{}
	for i, r := range rows {
		if r.National {
			continue
		}
		f := trendFamily{r.Kind, r.ID, r.Year}
		fam[f] = append(fam[f], i)
	}
	keys := slices.SortedFunc(maps.Keys(fam), func(a, b trendFamily) int {
		return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.id, b.id), cmp.Compare(a.year, b.year))
	})
	adjust := func(idx []int, get func(*TrendRow) (p float64, adj *float64, flag **bool)) {
		ps := make([]float64, len(idx))
		for n, i := range idx {
			ps[n], _, _ = get(&rows[i])
		}
		ad := rank.AdjustPValues(ps, o.Adjust)
		for n, i := range idx {
			_, a, f := get(&rows[i])
			*a = ad[n]
			*f = trendFlag(ad[n], o.Alpha)
		}
	}
	prevGet := func(r *TrendRow) (float64, *float64, **bool) {
		return r.PChangePrev, &r.PAdjChangePrev, &r.SignificantPrev
	}
	baseGet := func(r *TrendRow) (float64, *float64, **bool) {
		return r.PChangeBase, &r.PAdjChangeBase, &r.SignificantBase
	}
	natGet := func(r *TrendRow) (float64, *float64, **bool) {
		return r.PVsNation, &r.PAdjVsNation, &r.SignificantVsNation
	}
	for _, f := range keys {
		idx := fam[f]
		adjust(idx, prevGet)
		adjust(idx, baseGet)
		adjust(idx, natGet)
	}
	for i := range rows {
		if r := &rows[i]; r.National {
			r.PAdjChangePrev, r.SignificantPrev = r.PChangePrev, trendFlag(r.PChangePrev, o.Alpha)
			r.PAdjChangeBase, r.SignificantBase = r.PChangeBase, trendFlag(r.PChangeBase, o.Alpha)
		}
	}

	// Ranks per family.
	ro := o.Rank
	for _, f := range keys {
		var idx []int
		for _, i := range fam[f] {
			r := rows[i]
			if !math.IsNaN(r.Estimate) && !math.IsInf(r.Estimate, 0) && !math.IsNaN(r.SE) && !math.IsInf(r.SE, 0) {
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			continue
		}
		// Domains in sorted order, so that the draws (and so the results)
		// do not depend on the order of the points.
		slices.SortFunc(idx, func(a, b int) int {
			return cmp.Or(cmp.Compare(rows[a].Order, rows[b].Order), cmp.Compare(rows[a].Domain, rows[b].Domain))
		})
		est := make([]float64, len(idx))
		doms := make([]string, len(idx))
		tie := make([]string, len(idx)) // sorted position as a key for rank.Domains
		for n, i := range idx {
			est[n], doms[n] = rows[i].Estimate, rows[i].Domain
			tie[n] = fmt.Sprintf("%012d", n)
		}
		var cov mat.Symmetric
		if o.Covariance != nil {
			c, err := o.Covariance(f.kind, f.id, f.year, doms)
			if err != nil {
				return nil, fmt.Errorf("index: CompareYears: covariance of %s %s, %d: %w", f.kind, f.id, f.year, err)
			}
			cov = c
		} else {
			v := make([]float64, len(idx))
			for n, i := range idx {
				v[n] = rows[i].SE * rows[i].SE
			}
			cov = mat.NewDiagDense(len(idx), v)
		}
		if ro.Rand == nil {
			ro.Rand = trendDefaultRand()
		}
		rk, err := rank.Domains(est, tie, cov, &ro)
		if err != nil {
			return nil, fmt.Errorf("index: CompareYears: ranks of %s %s, %d: %w", f.kind, f.id, f.year, err)
		}
		for n, i := range idx {
			r := &rows[i]
			r.Rank, r.Tier, r.RankedDomains = rk.Rank[n], rk.Tier[n], len(idx)
			r.RankLow, r.RankHigh = rk.MarginalLow[n], rk.MarginalHigh[n]
			r.RankSimulLow, r.RankSimulHigh = rk.SimultaneousLow[n], rk.SimultaneousHigh[n]
			if rk.PTop != nil {
				r.PTop, r.PBottom = rk.PTop[n], rk.PBottom[n]
			}
		}
	}
	for i := range rows {
		r := &rows[i]
		if r.Rank == 0 || r.PrevYear == 0 {
			continue
		}
		if j := counterpart(i, r.PrevYear); j >= 0 && rows[j].Rank > 0 {
			r.RankPrev = rows[j].Rank
			r.RankChange = r.RankPrev - r.Rank
		}
	}
	return rows, nil
}

// trendFlag is the significance flag of an adjusted p-value: nil (null) for
// NaN, else p < alpha.
func trendFlag(p, alpha float64) *bool {
	if math.IsNaN(p) {
		return nil
	}
	b := p < alpha
	return &b
}

// trendDefaultRand is the generator of the rank simulations when none is
// given: PCG seeded with (0, 0), so results are reproducible.
func trendDefaultRand() *rand.Rand { return rand.New(rand.NewPCG(0, 0)) }
