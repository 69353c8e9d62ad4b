package main

import (
	"fmt"
	"math"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
)

// ppsSpec sets the PPS variance of --pps (and --joint-prob for ht) on s.
func (f *designFlags) ppsSpec(s *sampling.DesignOptions) error {
	m, err := sampling.ParsePPSMethod(f.pps)
	if err != nil {
		return usagef("--pps: %q is not one of none, brewer, overton, ht", f.pps)
	}
	s.PPS = m
	switch {
	case m == sampling.PPSJoint && f.jointProb == "":
		return usagef("--pps ht needs --joint-prob FILE (the joint inclusion probabilities)")
	case m != sampling.PPSJoint && f.jointProb != "":
		return usagef("--joint-prob is for --pps ht")
	case m != sampling.PPSNone && m != sampling.PPSJoint && f.fpc == "":
		return usagef("--pps %s needs --fpc: the column of each PSU's inclusion probability", f.pps)
	}
	if m == sampling.PPSJoint {
		jp, err := readJointProb(f.jointProb)
		if err != nil {
			return err
		}
		s.JointProb = jp
	}
	return nil
}

// readJointProb reads a table of joint inclusion probabilities: columns
// psu_a, psu_b, pi, one row per pair (either order) and per PSU (psu_a =
// psu_b, its own π).
func readJointProb(path string) (*sampling.JointProb, error) {
	rec, err := arrowio.ReadAll(path, arrowio.WithColumns("psu_a", "psu_b", "pi"))
	if err != nil {
		return nil, readError(fmt.Errorf("--joint-prob: %w", err))
	}
	defer rec.Release()
	cols := make([][]string, 2)
	for k, name := range []string{"psu_a", "psu_b"} {
		v, valid, err := arrowio.Strings(rec.Column(k))
		if err != nil {
			return nil, badInput(fmt.Errorf("%s: column %q: %w", path, name, err))
		}
		for i, ok := range valid {
			if !ok {
				return nil, badInput(fmt.Errorf("%s: row %d: %s is empty; every row names two PSUs", path, i+2, name))
			}
		}
		cols[k] = v
	}
	pi, valid, err := arrowio.Float64s(rec.Column(2))
	if err != nil {
		return nil, badInput(fmt.Errorf("%s: column \"pi\": %w", path, err))
	}
	m := make(map[[2]string]float64, len(pi))
	for i, v := range pi {
		if (valid != nil && !valid[i]) || math.IsNaN(v) || v <= 0 || v > 1 {
			return nil, badInput(fmt.Errorf("%s: row %d: pi is %v; a joint inclusion probability is in (0, 1]", path, i+2, v))
		}
		key := [2]string{cols[0][i], cols[1][i]}
		if old, dup := m[key]; dup && old != v {
			return nil, badInput(fmt.Errorf("%s: row %d: PSUs %q and %q have two probabilities (%v and %v)", path, i+2, key[0], key[1], old, v))
		}
		m[key] = v
	}
	return &sampling.JointProb{Pi: func(a, b string) (float64, bool) {
		if v, ok := m[[2]string{a, b}]; ok {
			return v, true
		}
		v, ok := m[[2]string{b, a}]
		return v, ok
	}}, nil
}
