package sampling

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// PPSMethod chooses the linearized variance of a first stage sampled with
// probabilities proportional to size without replacement (R svydesign's
// pps argument). The first-stage inclusion probabilities π_i come from
// DesignOptions.FPC (one value per PSU) or, for PPSJoint, from the diagonal of
// DesignOptions.JointProb.
type PPSMethod int

const (
	// PPSNone is the usual design: with-replacement first stage, fpc per
	// stratum.
	PPSNone PPSMethod = iota
	// PPSBrewer is Brewer's approximation, R pps = "brewer": the stratified
	// formula with a factor per PSU,
	//
	//	V = Σ_h n_h/(n_h − 1) Σ_i (1 − π_i)(z_i − z̄_h)².
	PPSBrewer
	// PPSOverton is the Horvitz–Thompson variance V = Σ_ij Ď_ij z_i z_j with
	// Overton's approximation of the joint probabilities, R pps = "overton":
	// within a stratum Ď_ii = 1 − π_i and Ď_ij = (π̄_ij − 1)/(n_h − 1),
	// π̄_ij = (π_i + π_j)/2 (0 when π̄_ij = 1); 0 across strata.
	PPSOverton
	// PPSJoint is the Horvitz–Thompson variance with the joint inclusion
	// probabilities of DesignOptions.JointProb, R pps = ppsmat(π, tolerance =
	// 0): Ď_ij = (π_ij − π_i π_j)/π_ij over all pairs of PSUs (strata do not
	// enter: the matrix carries them).
	PPSJoint
)

var ppsNames = [...]string{"none", "brewer", "overton", "ht"}

func (m PPSMethod) String() string {
	if m >= 0 && int(m) < len(ppsNames) {
		return ppsNames[m]
	}
	return "PPSMethod(" + strconv.Itoa(int(m)) + ")"
}

// ParsePPSMethod parses "none", "brewer", "overton" or "ht" ("" is none).
func ParsePPSMethod(s string) (PPSMethod, error) {
	if s == "" {
		return PPSNone, nil
	}
	for i, n := range ppsNames {
		if strings.EqualFold(s, n) {
			return PPSMethod(i), nil
		}
	}
	return 0, fmt.Errorf("sampling: unknown PPS variance %q (want one of %s)", s, strings.Join(ppsNames[:], ", "))
}

// JointProb holds the joint inclusion probabilities π_ij of the sampled
// PSUs, named by their values in the PSU column (as text); Pi(a, a) is π_a.
type JointProb struct {
	// Pi returns π_ab for two PSU ids, and whether it is known.
	Pi func(a, b string) (float64, bool)
}

// desPPS is the first-stage PPS variance of a design.
type desPPS struct {
	method PPSMethod
	pi     []float64 // per PSU
	dJoint []float64 // PSUs × PSUs, Ď for PPSJoint
}

// readPPS reads the first-stage inclusion probabilities of a PPS design
// (after sortRows: PSUs in their final numbering).
func (d *Design) readPPS(rec arrow.RecordBatch) error {
	s := &d.spec
	if s.Variance != Linearization {
		return fmt.Errorf("sampling: %w: the PPS variances are linearized; replicate methods do not use them", ErrBadDesign)
	}
	if len(s.Stages) > 0 && s.PPS != PPSBrewer {
		return fmt.Errorf("sampling: %w: with later sampling stages only Brewer's PPS variance is available (as R)", ErrBadDesign)
	}
	P := len(d.psuStratum)
	pp := &desPPS{method: s.PPS, pi: make([]float64, P)}
	d.pps = pp
	switch {
	case s.PPS == PPSJoint:
		if s.JointProb == nil || s.JointProb.Pi == nil {
			return fmt.Errorf("sampling: %w: the HT variance needs the joint inclusion probabilities", ErrBadDesign)
		}
		if s.PSU == "" {
			return fmt.Errorf("sampling: %w: the HT variance needs a PSU column naming the units of the joint probabilities", ErrBadDesign)
		}
		labels, err := d.psuLabels(rec)
		if err != nil {
			return err
		}
		pp.dJoint = make([]float64, P*P)
		for a := 0; a < P; a++ {
			pa, ok := s.JointProb.Pi(labels[a], labels[a])
			if !ok || !(pa > 0 && pa <= 1) {
				return fmt.Errorf("sampling: %w: PSU %q: inclusion probability %v; give π of every sampled PSU, 0 < π ≤ 1", ErrBadFPC, labels[a], pa)
			}
			pp.pi[a] = pa
		}
		for a := 0; a < P; a++ {
			for b := a; b < P; b++ {
				var v float64
				if a == b {
					v = 1 - pp.pi[a]
				} else {
					pab, ok := s.JointProb.Pi(labels[a], labels[b])
					if !ok {
						pab, ok = s.JointProb.Pi(labels[b], labels[a])
					}
					if !ok {
						return fmt.Errorf("sampling: %w: no joint inclusion probability for PSUs %q and %q", ErrBadFPC, labels[a], labels[b])
					}
					if !(pab > 0) || pab > math.Min(pp.pi[a], pp.pi[b])*(1+1e-12) {
						return fmt.Errorf("sampling: %w: PSUs %q and %q have joint inclusion probability %v; it must be in (0, min(π_a, π_b)] (0, as for pairs systematic sampling never selects together, leaves the HT variance undefined: use brewer or overton)", ErrBadFPC, labels[a], labels[b], pab)
					}
					v = (pab - pp.pi[a]*pp.pi[b]) / pab
				}
				pp.dJoint[a*P+b], pp.dJoint[b*P+a] = v, v
			}
		}
	default:
		if s.FPC == "" {
			return fmt.Errorf("sampling: %w: a PPS design needs the first-stage inclusion probabilities in the fpc column", ErrBadFPC)
		}
		col, err := desColumn(rec, "fpc", s.FPC)
		if err != nil {
			return err
		}
		f, valid, err := arrowio.Float64s(col)
		if err != nil {
			return fmt.Errorf("sampling: fpc column %q: %w", s.FPC, err)
		}
		seen := make([]bool, P)
		for i, v := range f {
			if (valid != nil && !valid[i]) || !(v > 0 && v <= 1) {
				return fmt.Errorf("sampling: fpc column %q: %w: row %d has %v; under PPS the fpc is the PSU's inclusion probability, 0 < π ≤ 1", s.FPC, ErrBadFPC, d.row(i), v)
			}
			p := d.psu[i]
			if !seen[p] {
				seen[p], pp.pi[p] = true, v
			} else if pp.pi[p] != v {
				return fmt.Errorf("sampling: fpc column %q: %w: the inclusion probability varies within a PSU (%v and %v at row %d); it must be constant there", s.FPC, ErrBadFPC, pp.pi[p], v, d.row(i))
			}
		}
	}
	// lonely strata: Brewer follows the lonely-PSU policy (a stratum is
	// self-representing when every 1 − π_i < 1e-7); the HT forms have none
	for h := range d.nh {
		d.lonely[h] = false
		if s.PPS != PPSBrewer || d.nh[h] != 1 {
			continue
		}
		p := d.strataPSU[h]
		d.lonely[h] = !(1-pp.pi[p] < 1e-7)
	}
	return nil
}

// psuLabels returns the PSU column's value of every PSU (final numbering).
func (d *Design) psuLabels(rec arrow.RecordBatch) ([]string, error) {
	raw, levels, err := desCodes(rec, "PSU", d.spec.PSU)
	if err != nil {
		return nil, err
	}
	labels := make([]string, len(d.psuStratum))
	set := make([]bool, len(labels))
	for i, r := range raw {
		p := d.psu[i]
		if !set[p] {
			set[p], labels[p] = true, levels[r]
		} else if labels[p] != levels[r] {
			return nil, fmt.Errorf("sampling: %w: PSU id %q is used in several strata; the joint probabilities need PSU ids unique across strata", ErrBadDesign, levels[r])
		}
	}
	seen := map[string]bool{}
	for _, l := range labels {
		if seen[l] {
			return nil, fmt.Errorf("sampling: %w: PSU id %q is used in several strata; the joint probabilities need PSU ids unique across strata", ErrBadDesign, l)
		}
		seen[l] = true
	}
	return labels, nil
}

// ppsCov is the first-stage part of infStrataCov for a PPS design, over
// the PSU totals a and b (see PPSMethod). The Horvitz–Thompson and
// Overton forms Σ_ij c_ij a_i b_j can be negative; a negative value within
// rounding of zero, |v| ≤ 4·P·ε·Σ_ij |c_ij a_i b_j| over P PSUs (terms
// that cancel, as for a domain the design gives no variance), is 0: its
// standard error is 0 rather than the square root of a negative.
func (d *Design) ppsCov(a, b []float64) float64 {
	pp := d.pps
	var v, m float64
	switch pp.method {
	case PPSJoint:
		P := len(pp.pi)
		for i := 0; i < P; i++ {
			row := pp.dJoint[i*P : (i+1)*P]
			var s, sm float64
			for j, dij := range row {
				s += dij * b[j]
				sm += math.Abs(dij * b[j])
			}
			v += a[i] * s
			m += math.Abs(a[i]) * sm
		}
		return roundedZero(v, m, P)
	case PPSOverton:
		for h, nh := range d.nh {
			p0, p1 := int(d.strataPSU[h]), int(d.strataPSU[h+1])
			for i := p0; i < p1; i++ {
				t := (1 - pp.pi[i]) * a[i] * b[i]
				v += t
				m += math.Abs(t)
				for j := p0; j < p1; j++ {
					if j == i {
						continue
					}
					fbar := (pp.pi[i] + pp.pi[j]) / 2
					if fbar == 1 {
						continue
					}
					t := (fbar - 1) / float64(nh-1) * a[i] * b[j]
					v += t
					m += math.Abs(t)
				}
			}
		}
		return roundedZero(v, m, len(pp.pi))
	}
	// Brewer: the stratified formula with 1 − f_h replaced by 1 − π_i; a
	// lonely PSU under LonelyAdjust is centred as in infStrataCov
	var ca, cb float64
	if d.spec.Lonely == LonelyAdjust && d.okStrata < len(d.nh) {
		ca, cb = d.lonelyCentre(a, b)
	}
	for h, nh := range d.nh {
		p0, p1 := int(d.strataPSU[h]), int(d.strataPSU[h+1])
		all := true
		for p := p0; p < p1; p++ {
			all = all && 1-pp.pi[p] < 1e-7
		}
		if all {
			continue // self-representing
		}
		if nh <= 1 {
			if d.spec.Lonely == LonelyAdjust {
				for p := p0; p < p1; p++ {
					v += (1 - pp.pi[p]) * (a[p] - ca) * (b[p] - cb)
				}
			}
			continue
		}
		var ma, mb float64
		for p := p0; p < p1; p++ {
			ma += a[p]
			mb += b[p]
		}
		fn := float64(nh)
		ma /= fn
		mb /= fn
		var ss float64
		for p := p0; p < p1; p++ {
			ss += (1 - pp.pi[p]) * (a[p] - ma) * (b[p] - mb)
		}
		v += fn / (fn - 1) * ss
	}
	return v
}

// roundedZero returns v, or 0 when v is negative within the rounding of a
// sum of terms whose absolute values sum to m over P PSUs.
func roundedZero(v, m float64, P int) float64 {
	if v < 0 && -v <= 4*float64(P)*0x1p-52*m {
		return 0
	}
	return v
}
