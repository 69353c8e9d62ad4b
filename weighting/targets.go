package weighting

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// MissTolerance is the smallest tolerance of TargetMisses: a calibrated
// total is missed when |achieved − target| > tol·(1 + |target|), with tol
// the larger of the step's own epsilon and MissTolerance. Calibration meets
// its targets to its epsilon (1e-10 by default) and summing n weights in
// floating point errs by about n·2⁻⁵³ relatively (2·10⁻⁹ for ten million
// rows), so a larger gap is what a later step did, not rounding; at
// 10⁻⁶ it is 0.13 of the largest province total of the 2021 register
// (125,509 transactions).
const MissTolerance = 1e-6

// TargetMiss is a population total that a calibrating step (poststratify,
// rake or calibrate) met and the final weights no longer meet, because a
// trimming after it (a trim step, or the calibrate step's own trim)
// moved weight between its classes: trimming keeps only the overall total.
type TargetMiss struct {
	Step     string  // the calibrating step, e.g. "steps[0].poststratify"
	Trim     string  // the trimming that followed, e.g. "steps[1].trim"
	Margin   string  // the margin's columns joined by "*", or the numeric variable
	Class    string  // the margin's category (values joined by ":"); "" for a numeric variable
	Target   float64 // population total of the step
	Achieved float64 // Σ final weights in the class (Σ w·x for a numeric variable)
}

// Gap is the relative gap (Achieved − Target) / Target.
func (m TargetMiss) Gap() float64 { return (m.Achieved - m.Target) / m.Target }

func (m TargetMiss) String() string {
	what := fmt.Sprintf("margin %s class %q", m.Margin, m.Class)
	if m.Class == "" {
		what = fmt.Sprintf("numeric total %s", m.Margin)
	}
	return fmt.Sprintf("%s: %s: target %s, final weights total %s (%+.3g%%) after the trimming of %s; re-calibrate after trimming (or bound the calibration instead) to keep the totals",
		m.Step, what, missNum(m.Target), missNum(m.Achieved), 100*m.Gap(), m.Trim)
}

func missNum(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.6g", v)
}

// targetMisses compares the final weights w with the targets of every
// calibrating step that a trimming follows (or that trims itself), largest
// relative gap first.
func (p *Plan) targetMisses(w []float64) []TargetMiss {
	var out []TargetMiss
	for j, ps := range p.steps {
		var eps float64
		switch ps.kind {
		case "poststratify":
		case "rake":
			eps = ps.rake.Epsilon
		case "calibrate":
			eps = ps.cal.Epsilon
		default:
			continue
		}
		trim := ""
		if ps.kind == "calibrate" && ps.cal.Trim != nil {
			trim = ps.path + ".trim"
		}
		for _, later := range p.steps[j+1:] {
			if trim == "" && later.kind == "trim" {
				trim = later.path
			}
		}
		if trim == "" {
			continue
		}
		tol := max(eps, MissTolerance)
		miss := func(margin, class string, target, got float64) {
			if math.Abs(got-target) > tol*(1+math.Abs(target)) {
				out = append(out, TargetMiss{Step: ps.path, Trim: trim, Margin: margin, Class: class, Target: target, Achieved: got})
			}
		}
		for _, m := range ps.margins {
			sums := make([]float64, len(m.Totals))
			for i, c := range m.Index {
				if c >= 0 {
					sums[c] += w[i]
				}
			}
			for c, t := range m.Totals {
				miss(m.Name, m.Labels[c], t, sums[c])
			}
		}
		for _, nt := range ps.numeric {
			var s float64
			for i, x := range nt.Values {
				s += w[i] * x
			}
			miss(nt.Name, "", nt.Total, s)
		}
	}
	slices.SortStableFunc(out, func(a, b TargetMiss) int {
		return cmp.Compare(math.Abs(b.Gap()), math.Abs(a.Gap()))
	})
	return out
}
