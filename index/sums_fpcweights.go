package index

import (
	"math"
	"strconv"

	"github.com/sipas-go/sipas/sampling"
)

// fpcWeighted says whether the weights of spec's design come from its fpc:
// an fpc column and no weight column (sampling.NewDesign then weighs each
// ballot by the inverse of its probability of selection, the product of
// sampling.FPCWeight of every stage: N_h/n_h of the first stage, the
// population of PSUs over the sampled PSUs, or 1/f_h for a sampling
// fraction; 1/π_i of its PSU under PPS, the fpc then being π_i; times N/n
// of every later stage). So is a Horvitz–Thompson PPS first stage without
// weight column: its ballots weigh 1/π_i of their PSU, π_i the joint
// probabilities' diagonal.
func fpcWeighted(spec *sampling.DesignOptions) bool {
	if spec == nil || spec.Weight != "" || suppliedReplicates(spec) {
		return false
	}
	if spec.PPS == sampling.PPSJoint {
		return spec.JointProb != nil && spec.JointProb.Pi != nil
	}
	return spec.FPC != ""
}

// fpcKeys are the key columns (indices into Sums.keys; -1: absent) from
// which the weights of a design weighted by its fpc (fpcWeighted) are
// found once every ballot is summed: the ballots are summed with weight
// 1, and Table scales every cell's sums by its ballots' weight g (its
// squared-weight moments by g²). The cells are keyed by every stage's
// unit and fpc (addDesignKeys), so g is constant in a cell.
type fpcKeys struct {
	strata, psu, fpc int
	pps              bool                // the first stage's fpc is the PSU's π
	joint            *sampling.JointProb // Horvitz–Thompson: π is the diagonal's
	stages           [][2]int            // per later stage: its unit and fpc keys
}

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
	s.fpcw = &fpcKeys{strata: find(spec.Strata), psu: find(spec.PSU), fpc: find(spec.FPC), pps: spec.PPS != sampling.PPSNone}
	if spec.PPS == sampling.PPSJoint {
		s.fpcw.joint = spec.JointProb
	}
	for _, st := range spec.Stages {
		s.fpcw.stages = append(s.fpcw.stages, [2]int{find(st.Unit), find(st.FPC)})
	}
}

// fpcScale returns the weight of each cell's ballots under fpc weights,
// the product over the stages, in stage order, of sampling.FPCWeight
// (first stage: the stratum's fpc and its PSUs n_h, or its ballots without
// PSU column; 1/π_i of the PSU under PPS, π_i the joint probabilities'
// diagonal for Horvitz–Thompson; stage s: the stage's fpc and its
// units sampled in the unit of the stage above), each stage's fpc counts
// when some value of its column is > 1, as sampling.NewDesign weighs them;
// nil when the weights are the ballots'. A stratum or unit whose fpc
// varies, or fpcs that mix counts and fractions, are the design's errors
// (checked on the cells).
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
	value := func(c, j int) float64 {
		if j < 0 {
			return math.NaN()
		}
		key := s.keys[j]
		if g := code(c, j); g >= 0 {
			if key.float {
				return key.fvals[g]
			} else if v, err := strconv.ParseFloat(key.levels[g], 64); err == nil {
				return v
			}
		}
		return math.NaN()
	}
	g := make([]float64, len(s.n))
	if k.joint != nil {
		// π_i = π_ii, named by the PSU's text as the design names it; the
		// design of the cells (checked before) has every π_ii in (0, 1]
		psu := s.keys[k.psu]
		for c := range g {
			pi, _ := k.joint.Pi(psu.levels[code(c, k.psu)], psu.levels[code(c, k.psu)])
			g[c] = 1 / pi
		}
	} else if k.pps {
		for c := range g {
			g[c] = 1 / value(c, k.fpc)
		}
	} else {
		nh := map[int32]int{}
		psus := map[[2]int32]bool{}
		counts := false
		for c := range s.n {
			h := code(c, k.strata)
			if k.psu < 0 {
				nh[h] += int(s.n[c]) // every ballot its own PSU
			} else if p := [2]int32{h, code(c, k.psu)}; !psus[p] {
				psus[p] = true
				nh[h]++
			}
			counts = counts || value(c, k.fpc) > 1
		}
		for c := range g {
			g[c] = sampling.FPCWeight(value(c, k.fpc), nh[code(c, k.strata)], counts)
		}
	}
	if len(k.stages) == 0 {
		return g
	}
	// later stages: the units sampled in each unit of the stage above,
	// numbered densely stage by stage from (parent, unit code)
	parent := make([]int32, len(s.n))
	ids := map[[2]int32]int32{}
	for c := range parent {
		parent[c] = dense(ids, [2]int32{code(c, k.strata), code(c, k.psu)})
	}
	for _, st := range k.stages {
		ids := map[[2]int32]int32{}
		var n []int // per parent: its units
		unit := make([]int32, len(s.n))
		counts := false
		for c, q := range parent {
			u := [2]int32{q, code(c, st[0])}
			if _, ok := ids[u]; !ok {
				for len(n) <= int(q) {
					n = append(n, 0)
				}
				n[q]++
			}
			unit[c] = dense(ids, u)
			counts = counts || value(c, st[1]) > 1
		}
		for c, q := range parent {
			g[c] *= sampling.FPCWeight(value(c, st[1]), n[q], counts)
		}
		parent = unit
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

// dense returns the number of key in ids, numbering a new key len(ids).
func dense(ids map[[2]int32]int32, key [2]int32) int32 {
	if v, ok := ids[key]; ok {
		return v
	}
	v := int32(len(ids))
	ids[key] = v
	return v
}
