package sampling

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/catcode"
)

// Stage is a sampling stage after the first: the column of its units and
// the column of its finite population correction.
type Stage struct {
	// Unit is the column of the stage's unit ids; they need only be unique
	// within the unit of the stage above (R nests them so).
	Unit string
	// FPC is the number of units of this stage in the unit above (all
	// values > 1) or the sampling fraction (all ≤ 1), constant within the
	// unit above.
	FPC string
}

// desStage is a later stage of a multistage design: dense unit codes and,
// per unit of the stage above (the parent), the number of units sampled in
// it, its 1 − f and the product of the sampling fractions of the stages
// above (R multistage's nPSU/fpc factor).
type desStage struct {
	unit    []int32   // per row, dense over (parent, unit id)
	parent  []int32   // per unit: its parent (a PSU, or a unit of the stage above)
	first   []int32   // per parent: its units are first[q]..first[q+1]-1
	n       []int     // per parent: units sampled in it
	fh      []float64 // per parent: 1 − n/N of this stage
	g       []float64 // per parent: N/n of this stage (FPCWeight)
	mult    []float64 // per parent: Π n/N of the stages above it
	offset  int       // position of this stage's unit totals in a totals vector
	nParent int
}

// readStages reads DesignOptions.Stages after the first stage (readFPC) has
// been read and the PSUs renumbered (sortRows).
func (d *Design) readStages(rec arrow.RecordBatch) error {
	if len(d.spec.Stages) == 0 {
		return nil
	}
	if d.spec.PSU == "" {
		return fmt.Errorf("sampling: %w: later sampling stages need a PSU column for the first stage", ErrBadDesign)
	}
	withFPC := d.spec.FPC != ""
	for _, s := range d.spec.Stages {
		if (s.FPC != "") != withFPC {
			return fmt.Errorf("sampling: %w: give a finite population correction for every stage or for none (R svydesign(fpc = ~fpc1 + fpc2))", ErrBadFPC)
		}
	}
	if !withFPC {
		return nil // ultimate cluster: the later stages do not enter the variance
	}
	if d.spec.Lonely == LonelyAverage && d.okStratum() < len(d.nh) {
		return fmt.Errorf("sampling: %w: the average lonely-PSU policy is not supported with later-stage fpc; choose remove, certainty or adjust", ErrLonelyPSU)
	}
	// the parents of stage 2 are the PSUs; their factor n_h/N_h
	parent := d.psu
	nPar := len(d.psuStratum)
	parMult := make([]float64, nPar)
	for p, h := range d.psuStratum {
		parMult[p] = 1 - d.fh[h] // n_h/N_h
		if d.pps != nil {
			parMult[p] = d.pps.pi[p] // R: nPSU/popsize = π_i under PPS
		}
	}
	offset := nPar
	for si, s := range d.spec.Stages {
		role := fmt.Sprintf("stage-%d unit", si+2)
		raw, _, err := desCodes(rec, role, s.Unit)
		if err != nil {
			return err
		}
		unit, firstRow := catcode.Combine(parent, raw)
		U := len(firstRow)
		st := &desStage{unit: unit, parent: make([]int32, U), first: make([]int32, nPar+1),
			n: make([]int, nPar), fh: make([]float64, nPar), g: make([]float64, nPar), mult: parMult, offset: offset, nParent: nPar}
		for u, i := range firstRow {
			q := parent[i]
			st.parent[u] = q
			st.n[q]++
		}
		// units are coded in sorted (parent, id) order, so each parent's
		// units are contiguous
		for q := 0; q < nPar; q++ {
			st.first[q+1] = st.first[q] + int32(st.n[q])
		}
		if err := d.readStageFPC(rec, st, parent, s.FPC, si+2); err != nil {
			return err
		}
		d.stages = append(d.stages, st)
		// the next stage's parents are these units, with the fractions so far
		mult := make([]float64, U)
		for u, q := range st.parent {
			mult[u] = parMult[q] * (1 - st.fh[q])
		}
		parent, nPar, parMult = unit, U, mult
		offset += U
	}
	d.totLen = offset
	return nil
}

// okStratum counts the strata that are not lonely.
func (d *Design) okStratum() int {
	n := 0
	for _, l := range d.lonely {
		if !l {
			n++
		}
	}
	return n
}

// readStageFPC reads the fpc of a later stage: constant within the parent,
// counts (> 1) or fractions (≤ 1), as R as.fpc.
func (d *Design) readStageFPC(rec arrow.RecordBatch, st *desStage, parent []int32, name string, stage int) error {
	col, err := desColumn(rec, "fpc", name)
	if err != nil {
		return err
	}
	f, valid, err := arrowio.Float64s(col)
	if err != nil {
		return fmt.Errorf("sampling: fpc column %q: %w", name, err)
	}
	per := make([]float64, st.nParent)
	seen := make([]bool, st.nParent)
	anyBig, allGE1 := false, true
	for i, v := range f {
		if (valid != nil && !valid[i]) || math.IsNaN(v) || v <= 0 {
			return fmt.Errorf("sampling: fpc column %q: %w: row %d has %v; the stage-%d fpc must be a population count of units or a sampling fraction", name, ErrBadFPC, d.row(i), v, stage)
		}
		q := parent[i]
		if !seen[q] {
			seen[q], per[q] = true, v
		} else if per[q] != v {
			return fmt.Errorf("sampling: fpc column %q: %w: the stage-%d fpc varies within a unit of stage %d (%v and %v at row %d); it must be constant there", name, ErrBadFPC, stage, stage-1, per[q], v, d.row(i))
		}
		anyBig = anyBig || v > 1
		allGE1 = allGE1 && v >= 1
	}
	if anyBig != allGE1 {
		return fmt.Errorf("sampling: fpc column %q: %w: mixes population counts (> 1) and sampling fractions (< 1)", name, ErrBadFPC)
	}
	var lonely int
	for q, v := range per {
		n := float64(st.n[q])
		N := fpcPopulation(v, st.n[q], anyBig)
		st.g[q] = FPCWeight(v, st.n[q], anyBig)
		if N < n {
			return fmt.Errorf("sampling: fpc column %q: %w: a unit of stage %d has %d units sampled at stage %d but a population of %v", name, ErrBadFPC, stage-1, st.n[q], stage, N)
		}
		st.fh[q] = (N - n) / N
		if st.n[q] == 1 && !(st.fh[q] < 1e-7) {
			lonely++
		}
	}
	if lonely > 0 {
		switch d.spec.Lonely {
		case LonelyFail:
			return fmt.Errorf("sampling: %w: %d units of stage %d have a single stage-%d unit sampled out of several; choose a lonely-PSU policy (remove, certainty or adjust apply at every stage)", ErrLonelyPSU, lonely, stage-1, stage)
		case LonelyAverage:
			return fmt.Errorf("sampling: %w: %d units of stage %d have a single stage-%d unit sampled out of several; the average policy is undefined there (R gives NA): choose remove, certainty or adjust", ErrLonelyPSU, lonely, stage-1, stage)
		}
	}
	return nil
}

// stageTotals adds the later-stage unit totals of the row values z to
// tot[offset:] of each stage (tot has length d.totLen).
func (d *Design) stageTotals(tot, z []float64) {
	for _, st := range d.stages {
		t := tot[st.offset:]
		for i, zi := range z {
			t[st.unit[i]] += zi
		}
	}
}

// stagesCov returns the later stages' part of R's multistage variance
// (survey 4.1 multistage: the onestage variance of each stage within each
// unit above, times the product of the sampling fractions above):
//
//	Σ_s Σ_q m_q (1 − f_q) n_q/(n_q − 1) Σ_{u∈q} (a_u − ā_q)(b_u − b̄_q)
//
// over the unit totals a, b of stage s (at their offsets in the totals
// vectors). A parent with a single sampled unit adds nothing under every
// lonely-PSU policy: LonelyAdjust centres a lonely unit on the mean unit
// total of its stratum at that stage, as R survey ≥ 4.2 (colSums over the
// units sampled in the unit above; survey 4.1 centred at 0), and a later
// stage's strata are its parents, so the centre is the unit's own total.
// Self-representing parents (1 − f_q < 1e-7) add nothing.
func (d *Design) stagesCov(a, b []float64) float64 {
	var v float64
	for _, st := range d.stages {
		ta, tb := a[st.offset:], b[st.offset:]
		for q := 0; q < st.nParent; q++ {
			fh, m := st.fh[q], st.mult[q]
			if fh < 1e-7 || m == 0 {
				continue
			}
			u0, u1 := int(st.first[q]), int(st.first[q+1])
			nq := u1 - u0
			if nq == 1 {
				continue // (a_u − a_u)(b_u − b_u) under every policy
			}
			var ma, mb float64
			for u := u0; u < u1; u++ {
				ma += ta[u]
				mb += tb[u]
			}
			fn := float64(nq)
			ma /= fn
			mb /= fn
			var ss float64
			for u := u0; u < u1; u++ {
				ss += (ta[u] - ma) * (tb[u] - mb)
			}
			v += m * fh * fn / (fn - 1) * ss
		}
	}
	return v
}

// fpcWeights sets every row's weight to the inverse of its probability of
// selection implied by the fpc, as R svydesign without weights or probs:
// N_h/n_h at the first stage (1/π_i under PPS) times N/n of every later
// stage (FPCWeight), multiplied in that order.
func (d *Design) fpcWeights() {
	d.wsum = 0
	for i := range d.w {
		p := d.psu[i]
		var w float64
		if d.pps != nil {
			w = 1 / d.pps.pi[p]
		} else {
			w = d.fpcG[d.psuStratum[p]]
		}
		q := p
		for _, st := range d.stages {
			w *= st.g[q]
			q = st.unit[i]
		}
		d.w[i] = w
		d.wsum += w
	}
}
