package sampling

import (
	"fmt"
	"strings"
)

// DFRule selects the degrees of freedom of the t-based (Wald) and logit
// intervals of domain estimates. The zero value is DFDesign.
type DFRule int

const (
	// DFDesign gives every domain the design degrees of freedom (PSUs
	// minus strata of the whole design, METHODOLOGY §4: Design.DF). This is
	// R's confint(svyby(...), df = degf(design)).
	DFDesign DFRule = iota
	// DFDomain gives each domain its own degrees of freedom: the PSUs that
	// hold a row of the domain (with nonzero weight) minus the strata that
	// hold one (Design.DomainDF). This is R's degf(subset(design, domain)),
	// the df that confint() and svyciprop() use when a domain is analysed
	// as a subset design, and the df Korn & Graubard (1999, §5.2) recommend
	// for domains: a province that is a stratum with 10 PSUs has 9 degrees
	// of freedom for its variance whatever the size of the nation's design,
	// and t(9) rather than the normal quantile keeps its intervals closer to
	// their nominal coverage.
	DFDomain
	// DFNormal uses the normal quantile for every interval (R's confint()
	// default, df = Inf, and svyby(vartype = "ci")); the reported degrees
	// of freedom are then 0.
	DFNormal
)

var dfNames = [...]string{DFDesign: "design", DFDomain: "domain", DFNormal: "normal"}

// Of returns the degrees of freedom the rule gives an interval whose
// design (or domain) has df: 0, the normal quantile, under DFNormal, else
// df.
func (r DFRule) Of(df int) int {
	if r == DFNormal {
		return 0
	}
	return df
}

// String returns "design", "domain" or "normal".
func (r DFRule) String() string {
	if r >= 0 && int(r) < len(dfNames) {
		return dfNames[r]
	}
	return fmt.Sprintf("DFRule(%d)", int(r))
}

// ParseDFRule reads "design" (or ""), "domain" and "normal".
func ParseDFRule(s string) (DFRule, error) {
	if s == "" {
		return DFDesign, nil
	}
	for i, n := range dfNames {
		if strings.EqualFold(s, n) {
			return DFRule(i), nil
		}
	}
	return 0, fmt.Errorf("sampling: unknown degrees-of-freedom rule %q (want design, domain or normal)", s)
}

// DomainDF returns the degrees of freedom of each of the nDomains domains
// of domain (codes 0..nDomains−1 per row, −1 for a row in no domain): the
// number of PSUs with at least one row of the domain with nonzero weight
// minus the number of strata with at least one such row, as R
// degf.survey.design2 on subset(design, domain). A domain with no row has
// df 0; one whose rows all lie in single-PSU strata (one PSU per stratum)
// has df 0 too, and its intervals then use the normal quantile, as for a
// design with df < 1 (ConfidenceInterval).
//
// Replicate designs: the rank of the analysis replicate weights of the
// domain's rows minus 1 (0 at least), as R's degf of a subset of a
// svyrep.design, whose subset drops the other rows and recomputes the rank
// (svyciprop and confint on the subset use it; JK1 of a cluster design
// gives the domain's PSUs minus 1). Two deliberate exceptions keep the
// design's DF: degrees of freedom set by the user (DesignOptions.RepDF,
// which R's subset would replace by the rank) in every domain, and domains
// whose rank is too costly: with replicate factors of PSUs (JK1, JKn,
// bootstrap, BRR, Fay built here) a domain in m PSUs with k = min(m, R)
// where m R k + k³ > 4e9 (beyond some 1,250 PSUs and replicates, where t
// is the normal quantile to 1e-3 anyway); with supplied replicate weights
// every domain when R > 400 or rows × R² > 4e9.
//
// It panics when len(domain) ≠ Rows() or a code is out of range.
func (d *Design) DomainDF(domain []int32, nDomains int) []int {
	if len(domain) != d.n {
		panic(fmt.Sprintf("sampling: DomainDF: %d domain codes for a design of %d rows", len(domain), d.n))
	}
	df := make([]int, nDomains)
	if d.reps != nil {
		for i, g := range domain {
			if int(g) >= nDomains {
				panic(fmt.Sprintf("sampling: DomainDF: row %d has domain %d, want < %d", i, g, nDomains))
			}
		}
		if d.spec.RepDF != 0 || (d.reps.factors == nil && d.repRankCostly()) {
			for g := range df {
				df[g] = d.df
			}
			return df
		}
		for g, r := range d.repRanks(domain, nDomains, d.df) {
			df[g] = max(r, 0)
		}
		return df
	}
	psus, strata := d.domainUnits(domain, nDomains, "DomainDF")
	for g := range df {
		df[g] = psus[g] - strata[g]
	}
	return df
}

// domainUnits counts, for each of the nDomains domains of domain, the PSUs
// and the strata holding at least one row of it with nonzero weight (with
// UnitMoments, the units of nonzero weight of its cells). fn
// names the exported caller in its panic messages.
func (d *Design) domainUnits(domain []int32, nDomains int, fn string) (psus, strata []int) {
	psus, strata = make([]int, nDomains), make([]int, nDomains)
	// Rows in (stratum, PSU) order: a domain's PSU (stratum) is counted the
	// first time one of its rows is met in that PSU (stratum).
	lastPSU := make([]int32, nDomains)
	lastStr := make([]int32, nDomains)
	for g := range lastPSU {
		lastPSU[g], lastStr[g] = -1, -1
	}
	for p := 0; p+1 < len(d.psuStart); p++ {
		h := d.psuStratum[p]
		for pos := d.psuStart[p]; pos < d.psuStart[p+1]; pos++ {
			i := pos
			if d.order != nil {
				i = d.order[pos]
			}
			g := domain[i]
			if g < 0 || d.w[i] == 0 {
				continue
			}
			if int(g) >= nDomains {
				panic(fmt.Sprintf("sampling: %s: row %d has domain %d, want < %d", fn, i, g, nDomains))
			}
			if u := d.spec.Units; u != nil {
				// each cell a PSU per unit of nonzero weight
				if u.Positive[i] == 0 {
					continue
				}
				psus[g] += int(u.Positive[i])
			} else if lastPSU[g] != int32(p) {
				lastPSU[g] = int32(p)
				psus[g]++
			}
			if lastStr[g] != h {
				lastStr[g] = h
				strata[g]++
			}
		}
	}
	return psus, strata
}
