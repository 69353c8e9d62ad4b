package index

import (
	"math"
	"strconv"

	"github.com/sipas-go/sipas/sampling"
)

// fpcWeighted says whether the weights of spec's design come from its fpc:
// an fpc column and no weight column (sampling.NewDesign then weighs each
// ballot of stratum h N_h/n_h, the population of PSUs over the sampled
// PSUs, or 1/f_h for a sampling fraction f_h).
func fpcWeighted(spec *sampling.DesignOptions) bool {
	return spec != nil && spec.FPC != "" && spec.Weight == "" && spec.PPS == sampling.PPSNone && len(spec.Stages) == 0
}

// fpcKeys are the key columns (indices into Sums.keys; -1: absent) from
// which the weights of a design weighted by its fpc (fpcWeighted) are
// found once every ballot is summed: the ballots are summed with weight
// 1, and Table scales every cell's sums by its stratum's weight g_h (its
// squared-weight moments by g_h²).
type fpcKeys struct{ strata, psu, fpc int }

// setFPCWeights records the keys of spec's fpc weights in s, when its
// weights come from the fpc (and s sums ballots with weight 1).
func (s *Sums) setFPCWeights(spec *sampling.DesignOptions) {
	if !fpcWeighted(spec) || s.weight != "" {
		return
	}
	find := func(name string) int {
		for j, k := range s.keys {
			if name != "" && k.name == name {
				return j
			}
		}
		return -1
	}
	s.fpcw = &fpcKeys{strata: find(spec.Strata), psu: find(spec.PSU), fpc: find(spec.FPC)}
}

// fpcScale returns the weight of each cell's ballots under fpc weights,
//
//	g_h = N_h / n_h   (fpc a count N_h of PSUs; some fpc > 1)
//	g_h = 1 / f_h     (fpc a sampling fraction f_h; every fpc ≤ 1)
//
// with n_h the PSUs of stratum h (the ballots without PSU column), as
// sampling.NewDesign weighs them; nil when the weights are the ballots'.
// A stratum whose fpc varies, or fpcs that mix counts and fractions, are
// the design's errors (checked on the cells).
func (s *Sums) fpcScale() []float64 {
	if s.fpcw == nil {
		return nil
	}
	k := s.fpcw
	code := func(c, j int) int32 {
		if j < 0 {
			return 0
		}
		return s.cell[c][j]
	}
	type psu struct{ h, p int32 }
	psus := map[psu]bool{}
	nh := map[int32]float64{}
	for c := range s.n {
		h := code(c, k.strata)
		if k.psu < 0 {
			nh[h] += float64(s.n[c]) // every ballot its own PSU
		} else if p := (psu{h, code(c, k.psu)}); !psus[p] {
			psus[p] = true
			nh[h]++
		}
	}
	fpc := make([]float64, len(s.n))
	counts := false
	for c := range s.n {
		fpc[c] = math.NaN()
		if g := code(c, k.fpc); g >= 0 {
			if key := s.keys[k.fpc]; key.float {
				fpc[c] = key.fvals[g]
			} else if v, err := strconv.ParseFloat(key.levels[g], 64); err == nil {
				fpc[c] = v
			}
		}
		counts = counts || fpc[c] > 1
	}
	g := make([]float64, len(s.n))
	for c, f := range fpc {
		if counts {
			g[c] = f / nh[code(c, k.strata)]
		} else {
			g[c] = 1 / f
		}
	}
	return g
}

// scaled returns v times g per cell (v itself when g is nil).
func scaled(g []float64, v func(int) float64) func(int) float64 {
	if g == nil {
		return v
	}
	return func(c int) float64 { return g[c] * v(c) }
}

// squares returns g², or nil for nil.
func squares(g []float64) []float64 {
	if g == nil {
		return nil
	}
	g2 := make([]float64, len(g))
	for c, v := range g {
		g2[c] = v * v
	}
	return g2
}
