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
}

// Apply runs the steps of spec in order over the rows of rec, starting from
// designWeights (nil: read spec.DesignWeight from rec; if that is "" too,
// every row weighs 1). The design weights are not modified. A spec without
// steps returns a copy of the design weights. Errors are *StepError values
// whose Path names the step ("steps[2].rake") and whose Margin and Cell name
// the place; they wrap the sentinel errors of this package.
//
// spec.Replicates is not applied here (it needs the sampling engine).
func Apply(spec *Spec, rec arrow.RecordBatch, designWeights []float64) (*Result, error) {
	if spec == nil {
		panic("weighting: Apply: nil spec")
	}
	n := int(rec.NumRows())
	var w []float64
	switch {
	case designWeights != nil:
		if len(designWeights) != n {
			panic(fmt.Sprintf("weighting: Apply: %d design weights for %d rows", len(designWeights), n))
		}
		w = append([]float64(nil), designWeights...)
	case spec.DesignWeight != "":
		var err error
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
	res := &Result{Initial: Describe(w)}
	for k, st := range spec.Steps {
		path := fmt.Sprintf("steps[%d].%s", k, st.Kind())
		next, sr, err := applyStep(st, rec, w, path)
		if err != nil {
			return nil, at(err, path)
		}
		w = next
		res.Steps = append(res.Steps, *sr)
	}
	res.Weights = w
	res.Final = Describe(w)
	return res, nil
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

func applyStep(st Step, rec arrow.RecordBatch, w []float64, path string) ([]float64, *StepResult, error) {
	switch {
	case st.Nonresponse != nil:
		s := st.Nonresponse
		cl, err := ClassesOf(rec, s.Classes)
		if err != nil {
			return nil, nil, at(err, path+".classes")
		}
		valid, err := flagColumn(rec, s.Responded)
		if err != nil {
			return nil, nil, at(err, path+".responded")
		}
		var returned []bool
		if s.Returned != "" {
			if returned, err = flagColumn(rec, s.Returned); err != nil {
				return nil, nil, at(err, path+".returned")
			}
		}
		return Nonresponse(w, cl, valid, returned)
	case st.PostStratify != nil:
		m, err := margin(rec, st.PostStratify.MarginSpec)
		if err != nil {
			return nil, nil, err
		}
		return PostStratify(w, m)
	case st.Rake != nil:
		ms, err := margins(rec, st.Rake.Margins, path)
		if err != nil {
			return nil, nil, err
		}
		return Rake(w, ms, &RakeSettings{MaxIter: st.Rake.MaxIter, Epsilon: st.Rake.Epsilon})
	case st.Calibrate != nil:
		c := st.Calibrate
		ms, err := margins(rec, c.Margins, path)
		if err != nil {
			return nil, nil, err
		}
		names := make([]string, 0, len(c.Numeric))
		for k := range c.Numeric {
			names = append(names, k)
		}
		sort.Strings(names)
		var num []NumericTotal
		for _, k := range names {
			v, err := numericColumn(rec, k)
			if err != nil {
				return nil, nil, at(err, path+".numeric")
			}
			num = append(num, NumericTotal{Name: k, Values: v, Total: c.Numeric[k]})
		}
		set := &CalSettings{Bounds: c.Bounds, MaxIter: c.MaxIter, Epsilon: c.Epsilon}
		switch c.Method {
		case "raking":
			set.Method = RakingRatio
		case "logit":
			set.Method = Logit
		}
		return Calibrate(w, ms, num, set)
	case st.Trim != nil:
		t := st.Trim
		set := TrimSettings{Upper: t.Max, Lower: t.Min, Strict: t.Strict}
		if t.RelativeTo != "absolute" {
			med := median(w)
			set.Upper *= med
			set.Lower *= med
		}
		if t.Redistribute == "equal" {
			set.Redistribute = Equal
		}
		return Trim(w, set)
	}
	panic("weighting: empty step")
}
