package index

import (
	"fmt"
	"math"

	"github.com/sipas-go/sipas/index/rank"
)

// Standing says where a domain stands against the nation on one index.
type Standing int

const (
	// StandingLevel: not significantly different from the nation (or unknown).
	StandingLevel Standing = iota
	// StandingStrength: significantly above the nation.
	StandingStrength
	// StandingWeakness: significantly below the nation.
	StandingWeakness
)

// String returns "", "strength" or "weakness".
func (s Standing) String() string {
	switch s {
	case StandingStrength:
		return "strength"
	case StandingWeakness:
		return "weakness"
	}
	return ""
}

// VsNation is one index of one domain compared with the nation: Diff =
// domain − nation and its SE from the variance engine (influence values of
// the difference).
type VsNation struct {
	Kind, ID string
	Diff, SE float64
}

// StrengthResult is VsNation with its two-sided normal p-value, the p-value
// adjusted within its family, and the standing.
type StrengthResult struct {
	VsNation
	P, PAdj  float64
	Standing Standing
}

// StrengthsWeaknesses classifies the indices of ONE domain (a province)
// against the nation (METHODOLOGY §8): z = Diff/SE, p =
// 2Φ(−|z|), p-values adjusted with adjust (the methodology asks for
// rank.AdjustBH) within each kind separately — the criteria of the province form
// one family, its elements another, SIPAS its own — and an index is a
// StandingStrength (StandingWeakness) when its adjusted p < alpha (0 means 0.05) and Diff > 0
// (< 0). With 22 criteria × 63 provinces, unadjusted tests would flag dozens
// by chance. NaN differences or SEs are StandingLevel with NaN p. Results are in
// the order of items.
func StrengthsWeaknesses(items []VsNation, adjust rank.Adjustment, alpha float64) []StrengthResult {
	if alpha == 0 {
		alpha = 0.05
	}
	if !(alpha > 0 && alpha < 1) {
		panic(fmt.Sprintf("index: StrengthsWeaknesses: alpha %v outside (0, 1)", alpha))
	}
	out := make([]StrengthResult, len(items))
	fam := map[string][]int{}
	var kinds []string
	for i, it := range items {
		out[i] = StrengthResult{VsNation: it, P: twoSidedP(it.Diff / it.SE)}
		if _, ok := fam[it.Kind]; !ok {
			kinds = append(kinds, it.Kind)
		}
		fam[it.Kind] = append(fam[it.Kind], i)
	}
	for _, k := range kinds {
		idx := fam[k]
		ps := make([]float64, len(idx))
		for n, i := range idx {
			ps[n] = out[i].P
		}
		adj := rank.AdjustPValues(ps, adjust)
		for n, i := range idx {
			r := &out[i]
			r.PAdj = adj[n]
			if !math.IsNaN(r.PAdj) && r.PAdj < alpha {
				switch {
				case r.Diff > 0:
					r.Standing = StandingStrength
				case r.Diff < 0:
					r.Standing = StandingWeakness
				}
			}
		}
	}
	return out
}
