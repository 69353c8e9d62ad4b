package weighting

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
)

// Result is the outcome of Apply.
type Result struct {
	Weights []float64    // final weights, one per row (0 for dropped nonrespondents)
	Initial Diagnostics  // of the design weights
	Final   Diagnostics  // of the final weights
	Steps   []StepResult // one per step, in order
	// Misses are the calibrated totals that a later trimming broke (see
	// TargetMiss), largest relative gap first; nil when none, and for a
	// Lean run.
	Misses []TargetMiss

	// cellD and cellN are, for a run on cells (RunCells), each cell's
	// design weight total and rows (AdjustInfluenceCells).
	cellD, cellN []float64
}

// Apply runs the steps of spec in order over the rows of rec, starting from
// designWeights (nil: read spec.DesignWeight from rec; if that is "" too,
// every row weighs 1). The design weights are not modified. A spec without
// steps returns a copy of the design weights. Errors are *StepError values
// whose Path names the step ("steps[2].rake") and whose Margin and Cell name
// the place; they wrap the sentinel errors of this package.
//
// Apply is Compile followed by Plan.Run. spec.Replicates is not applied here
// (building replicate weights needs the sampling engine; once built, each
// replicate column is re-weighted with Plan.Run).
func Apply(spec *Spec, rec arrow.RecordBatch, designWeights []float64) (*Result, error) {
	plan, err := Compile(spec, rec)
	if err != nil {
		return nil, err
	}
	return plan.apply(spec, rec, designWeights)
}

func (plan *Plan) apply(spec *Spec, rec arrow.RecordBatch, designWeights []float64) (*Result, error) {
	var err error
	n := int(rec.NumRows())
	var w []float64
	switch {
	case designWeights != nil:
		if len(designWeights) != n {
			panic(fmt.Sprintf("weighting: Apply: %d design weights for %d rows", len(designWeights), n))
		}
		w = designWeights
	case spec.DesignWeight != "":
		if w, err = numericColumn(rec, spec.DesignWeight); err != nil {
			return nil, at(err, "design_weight")
		}
	default:
		w = make([]float64, n)
		for i := range w {
			w[i] = 1
		}
	}
	for i, v := range w {
		if !(v > 0) || math.IsInf(v, 0) {
			return nil, &StepError{Path: "design_weight", Err: ErrBadData,
				Msg: fmt.Sprintf("design weight of row %d is %v; design weights must be positive and finite", i+1, v)}
		}
	}
	return plan.Run(w)
}

// Plan is a Spec bound to the columns of one record batch: every class
// column, flag and calibration variable is read once, so that the steps can
// be re-run cheaply on many weight vectors (replicate weights). A Plan does
// not keep the record batch.
type Plan struct {
	n     int
	steps []planStep
	// Lean makes Run skip per-class diagnostics, cells and variance records
	// of raking (for replicate re-runs).
	Lean bool
	// counts, when set, is the number of rows each weight stands for
	// (RunCells: cells of rows sharing their classes and design weight).
	counts []float64
}

type planStep struct {
	path     string
	kind     string
	classes  Classes
	valid    []bool
	returned []bool
	margins  []Margin
	numeric  []NumericTotal
	rake     RakeSettings
	cal      CalSettings
	// boundsConst: cal.Bounds bound the final weights (R bounds.const),
	// turned into per-row bounds on g for the weights entering the step
	boundsConst bool
	trim        *TrimStep
}

// Compile reads the columns that spec's steps name from rec. Unknown columns,
// missing class values and non-numeric calibration variables are errors
// naming the step and column.
func Compile(spec *Spec, rec arrow.RecordBatch) (*Plan, error) {
	if spec == nil {
		panic("weighting: Compile: nil spec")
	}
	p := &Plan{n: int(rec.NumRows())}
	for k, st := range spec.Steps {
		path := fmt.Sprintf("steps[%d].%s", k, st.Kind())
		ps, err := compileStep(st, rec, path)
		if err != nil {
			return nil, at(err, path)
		}
		ps.path, ps.kind = path, st.Kind()
		p.steps = append(p.steps, ps)
	}
	return p, nil
}

// Run applies the plan's steps in order to w (not modified), which may hold
// zeros for dropped rows (replicate weights of JK1 or the bootstrap). Design
// weights are not checked for positivity here: Apply does that.
func (p *Plan) Run(w []float64) (*Result, error) {
	return p.run(w, p.Lean)
}

// run is Run with Lean given by the caller (Replicate runs lean without
// touching the Plan, which may be shared between goroutines).
func (p *Plan) run(w []float64, lean bool) (*Result, error) {
	if len(w) != p.n {
		panic(fmt.Sprintf("weighting: Plan.Run: %d weights for %d rows", len(w), p.n))
	}
	res := &Result{Initial: Describe(w)}
	cur := append([]float64(nil), w...)
	for _, ps := range p.steps {
		next, sr, err := runStep(ps, cur, lean, p.counts)
		if err != nil {
			return nil, at(err, ps.path)
		}
		if err := finiteWeights(next); err != nil {
			return nil, at(err, ps.path)
		}
		cur = next
		res.Steps = append(res.Steps, *sr)
	}
	res.Weights = cur
	res.Final = Describe(cur)
	if !lean {
		res.Misses = p.targetMisses(cur)
		if p.counts != nil {
			res.cellD, res.cellN = append([]float64(nil), w...), p.counts
		}
	}
	return res, nil
}

// finiteWeights checks a step's output: a weight that is not finite (an
// overflowing bound, a degenerate adjustment) is an error naming the row,
// never a result.
func finiteWeights(w []float64) error {
	for i, v := range w {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &StepError{Err: ErrBadData, Msg: fmt.Sprintf("the step makes the weight of row %d %v; check its settings (a bound that overflows, a class without weight)", i+1, v)}
		}
	}
	return nil
}

func at(err error, path string) error {
	var se *StepError
	if errors.As(err, &se) && se.Path == "" {
		se.Path = path
	}
	return err
}

func margin(rec arrow.RecordBatch, m MarginSpec) (Margin, error) {
	cl, err := ClassesOf(rec, m.By)
	if err != nil {
		return Margin{}, err
	}
	return NewMargin(cl, m.Totals), nil
}

func margins(rec arrow.RecordBatch, ms []MarginSpec, path string) ([]Margin, error) {
	out := make([]Margin, len(ms))
	for j, m := range ms {
		var err error
		if out[j], err = margin(rec, m); err != nil {
			return nil, at(err, fmt.Sprintf("%s.margins[%d]", path, j))
		}
	}
	return out, nil
}

func compileStep(st Step, rec arrow.RecordBatch, path string) (planStep, error) {
	var ps planStep
	var err error
	switch {
	case st.Nonresponse != nil:
		s := st.Nonresponse
		if ps.classes, err = ClassesOf(rec, s.Classes); err != nil {
			return ps, at(err, path+".classes")
		}
		if ps.valid, err = flagColumn(rec, s.Responded); err != nil {
			return ps, at(err, path+".responded")
		}
		if s.Returned != "" {
			if ps.returned, err = flagColumn(rec, s.Returned); err != nil {
				return ps, at(err, path+".returned")
			}
		}
	case st.PostStratify != nil:
		m, err := margin(rec, st.PostStratify.MarginSpec)
		if err != nil {
			return ps, at(err, path+".by")
		}
		ps.margins = []Margin{m}
	case st.Rake != nil:
		if ps.margins, err = margins(rec, st.Rake.Margins, path); err != nil {
			return ps, err
		}
		ps.rake = RakeSettings{MaxIter: st.Rake.MaxIter, Epsilon: st.Rake.Epsilon}
	case st.Calibrate != nil:
		c := st.Calibrate
		if ps.margins, err = margins(rec, c.Margins, path); err != nil {
			return ps, err
		}
		names := make([]string, 0, len(c.Numeric))
		for k := range c.Numeric {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			v, err := numericColumn(rec, k)
			if err != nil {
				return ps, at(err, path+".numeric")
			}
			ps.numeric = append(ps.numeric, NumericTotal{Name: k, Values: v, Total: c.Numeric[k]})
		}
		ps.cal = CalSettings{Bounds: c.Bounds, Trim: c.Trim, MaxIter: c.MaxIter, Epsilon: c.Epsilon}
		if c.BoundsColumns != nil {
			for k, name := range c.BoundsColumns {
				v, err := numericColumn(rec, name)
				if err != nil {
					return ps, at(err, path+".bounds_columns")
				}
				if k == 0 {
					ps.cal.Lower = v
				} else {
					ps.cal.Upper = v
				}
			}
		}
		if c.Variance != "" {
			if ps.cal.Variance, err = numericColumn(rec, c.Variance); err != nil {
				return ps, at(err, path+".variance")
			}
		}
		if c.Aggregate != "" {
			cl, err := ClassesOf(rec, []string{c.Aggregate})
			if err != nil {
				return ps, at(err, path+".aggregate")
			}
			ps.cal.Aggregate, ps.cal.AggregateLabels = cl.Index, cl.Labels
		}
		ps.boundsConst = c.BoundsConst
		switch c.Method {
		case "raking":
			ps.cal.Method = RakingRatio
		case "logit":
			ps.cal.Method = Logit
		}
	case st.Trim != nil:
		ps.trim = st.Trim
	default:
		panic("weighting: empty step")
	}
	return ps, nil
}

// runStep runs one step on w; counts (nil: 1) is the number of rows each
// weight stands for, all with weight w_i/counts_i.
func runStep(ps planStep, w []float64, lean bool, counts []float64) ([]float64, *StepResult, error) {
	if counts != nil && len(ps.margins) > 0 {
		// the margins count rows, not cells, in their errors and cells
		ms := make([]Margin, len(ps.margins))
		for j, m := range ps.margins {
			m.rows = counts
			ms[j] = m
		}
		ps.margins = ms
	}
	switch ps.kind {
	case "nonresponse":
		return Nonresponse(w, ps.classes, ps.valid, ps.returned)
	case "poststratify":
		return PostStratify(w, ps.margins[0])
	case "rake":
		set := ps.rake
		set.Lean = lean
		set.Counts = counts
		return Rake(w, ps.margins, &set)
	case "calibrate":
		set := ps.cal
		if ps.boundsConst {
			// R: bounds / w where w > 0, the bounds themselves elsewhere
			set.Lower, set.Upper = make([]float64, len(w)), make([]float64, len(w))
			for i, wi := range w {
				set.Lower[i], set.Upper[i] = set.Bounds[0], set.Bounds[1]
				if counts != nil {
					wi /= counts[i] // the weight of each of the cell's rows
				}
				if wi > 0 {
					set.Lower[i] /= wi
					set.Upper[i] /= wi
				}
			}
			set.Bounds = nil
		}
		return Calibrate(w, ps.margins, ps.numeric, &set)
	case "trim":
		t := ps.trim
		set := TrimSettings{Upper: t.Max, Lower: t.Min, Strict: t.Strict}
		if t.RelativeTo != "absolute" {
			// the median of the weights entering this step (of this replicate)
			med := median(w)
			if counts != nil {
				med = medianCounted(rowWeights(w, counts), counts)
			}
			set.Upper *= med
			set.Lower *= med
			if math.IsInf(set.Upper, 0) || math.IsInf(set.Lower, 0) {
				return nil, nil, &StepError{Err: ErrSpec, Msg: fmt.Sprintf("the bounds times the median weight %v overflow; give bounds that are multiples of the median (such as 3.5)", med)}
			}
		}
		if t.Redistribute == "equal" {
			set.Redistribute = Equal
		}
		if counts != nil {
			out, res, err := trim(rowWeights(w, counts), counts, set)
			if err != nil {
				return nil, nil, err
			}
			for i := range out {
				out[i] *= counts[i]
			}
			return out, res, nil
		}
		return Trim(w, set)
	}
	panic("weighting: unknown step " + ps.kind)
}
