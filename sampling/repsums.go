package sampling

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"gonum.org/v1/gonum/mat"
)

// ReplicateSums are what the variance of a design with supplied replicate
// weights needs, summed over its rows in G groups (the domains of a pass
// over a file, say) instead of kept row by row: per group g, replicate r
// and estimand k
//
//	Y[(g·R + r)·K + k] = Σ_{i∈g} w_ri y_ik,  X[(g·R + r)·K + k] = Σ_{i∈g} w_ri x_ik
//
// (x the denominator of a ratio; unused for a total), and the Gram matrix
// of the group's replicate weights, Gram[g] = Σ_{i∈g} w_i w_iᵀ (w_i the
// row's R replicate weights; packed upper triangle, entry (r, s), r ≤ s,
// at r·R − r(r−1)/2 + s − r), whose rank gives the degrees of freedom.
// Sums over groups are sums over their rows, so any domain that is a union
// of groups has its replicate estimates and rank.
type ReplicateSums struct {
	R, K int
	Y, X []float64
	Gram [][]float64
	// Rows is the number of rows summed (for the cost rule of the rank,
	// Design.DomainDF).
	Rows int64
	// RowPSUs, for a design without a PSU column (every row its own PSU),
	// is the number of rows of each group with nonzero weight (the
	// domains' PSUs); nil when the design's rows carry the PSUs.
	RowPSUs []int64
	// Group is the group of each row of the design built on them.
	Group []int32
}

// NewReplicateSumsDesign returns the design of rec (whose rows stand for
// groups of rows of a supplied-replicates design, e.g. per-cell sums, each
// in the group rs.Group gives it) with the replicate variance of the
// supplied replicate weights summed in rs: spec's replicate type, scale,
// rscales and MSE apply as in NewDesign (spec.RepWeightsPrefix is not
// read); the replicate estimates of EstimateRatios come from rs (estimand
// k of its Ratios is rs's estimand k, and every group must lie in one of
// its domains), and the degrees of freedom from the ranks of rs's Gram
// matrices, so estimates, SEs and degrees of freedom equal those of the
// design on the rows (up to the order of the additions).
func NewReplicateSumsDesign(rec arrow.RecordBatch, spec *DesignOptions, rs *ReplicateSums) (*Design, error) {
	var s DesignOptions
	if spec != nil {
		s = *spec
	}
	s.RepWeightsPrefix, s.Variance = "", SuppliedReplicates
	G := len(rs.Gram)
	switch {
	case rs.R < 2:
		return nil, fmt.Errorf("sampling: replicate sums: %w: %d replicates, need 2 or more", ErrBadDesign, rs.R)
	case len(rs.Y) != G*rs.R*rs.K || len(rs.X) != len(rs.Y):
		return nil, fmt.Errorf("sampling: replicate sums: %w: %d and %d sums for %d groups, %d replicates and %d estimands", ErrBadDesign, len(rs.Y), len(rs.X), G, rs.R, rs.K)
	case len(rs.Group) != int(rec.NumRows()):
		return nil, fmt.Errorf("sampling: replicate sums: %w: groups of %d rows for a table of %d", ErrBadDesign, len(rs.Group), rec.NumRows())
	case rs.RowPSUs != nil && len(rs.RowPSUs) != G:
		return nil, fmt.Errorf("sampling: replicate sums: %w: PSU counts of %d groups, want %d", ErrBadDesign, len(rs.RowPSUs), G)
	}
	for i, g := range rs.Group {
		if g < 0 || int(g) >= G {
			return nil, fmt.Errorf("sampling: replicate sums: %w: row %d in group %d of %d", ErrBadDesign, i+1, g, G)
		}
	}
	for g, m := range rs.Gram {
		if len(m) != rs.R*(rs.R+1)/2 {
			return nil, fmt.Errorf("sampling: replicate sums: %w: group %d: Gram matrix of %d entries for %d replicates", ErrBadDesign, g, len(m), rs.R)
		}
	}
	return newDesign(rec, &s, rs)
}

// useReplicateSums sets the replicates of a NewReplicateSumsDesign: scales
// as for supplied columns and the rank of all the rows' weights.
func (d *Design) useReplicateSums() error {
	d.reps.r = d.rsums.R
	if err := d.suppliedScales(d.rsums.R); err != nil {
		return err
	}
	d.df = d.repRanks(nil, 1, -1)[0]
	return nil
}

// groupDomains returns the domain (of the G of domain, per design row;
// nil: all in domain 0) of each replicate-sums group, −1 for a group in
// none or with no row. It panics when a group's rows lie in two domains.
func (d *Design) groupDomains(domain []int32) []int32 {
	rs := d.rsums
	out := make([]int32, len(rs.Gram))
	seen := make([]bool, len(rs.Gram))
	for i := range out {
		out[i] = -1
	}
	for i, grp := range rs.Group {
		g := int32(0)
		if domain != nil {
			g = domain[i]
		}
		if seen[grp] && out[grp] != g {
			panic(fmt.Sprintf("sampling: replicate sums: group %d lies in domains %d and %d", grp, out[grp], g))
		}
		seen[grp], out[grp] = true, g
	}
	return out
}

// sumsRanks is repRanks from the groups' Gram matrices.
func (d *Design) sumsRanks(domain []int32, G, fallback int) []int {
	rs := d.rsums
	R := rs.R
	sum := make([][]float64, G)
	for grp, g := range d.groupDomains(domain) {
		if g < 0 {
			continue
		}
		if sum[g] == nil {
			sum[g] = make([]float64, len(rs.Gram[grp]))
		}
		for j, v := range rs.Gram[grp] {
			sum[g][j] += v
		}
	}
	out := make([]int, G)
	for g, m := range sum {
		gram := mat.NewSymDense(R, nil)
		if m != nil {
			j := 0
			for a := 0; a < R; a++ {
				for b := a; b < R; b++ {
					gram.SetSym(a, b, m[j])
					j++
				}
			}
		}
		out[g] = desRank(gram, fallback, R)
	}
	return out
}

// vrReplicateSums adds the groups' replicate sums to the replicate totals
// Yr, Xr [(rep·G + g)·K + k] of vrReplicate.
func (d *Design) vrReplicateSums(r *Ratios, t *vrTotals, Yr, Xr []float64) {
	rs := d.rsums
	R, G, K := rs.R, t.G, t.K
	if K != rs.K {
		panic(fmt.Sprintf("sampling: EstimateRatios: %d estimands, replicate sums of %d", K, rs.K))
	}
	for grp, g := range d.groupDomains(r.Domain) {
		if g < 0 && t.overall < 0 {
			continue
		}
		for rep := 0; rep < R; rep++ {
			src := (grp*R + rep) * K
			for _, gg := range [2]int{int(g), t.overall} {
				if gg < 0 {
					continue
				}
				dst := (rep*G + gg) * K
				for k := 0; k < K; k++ {
					Yr[dst+k] += rs.Y[src+k]
					Xr[dst+k] += rs.X[src+k]
				}
			}
		}
	}
}

// sumsRowPSUs is DomainPSUs when every summed row is its own PSU.
func (d *Design) sumsRowPSUs(domain []int32, nDomains int) []int {
	out := make([]int, nDomains)
	for grp, g := range d.groupDomains(domain) {
		if g >= 0 {
			if int(g) >= nDomains {
				panic(fmt.Sprintf("sampling: DomainPSUs: domain %d, want < %d", g, nDomains))
			}
			out[g] += int(d.rsums.RowPSUs[grp])
		}
	}
	return out
}
