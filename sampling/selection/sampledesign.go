package selection

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// SampleDesign is a sample design for selection from a population frame:
// the DESIGN.json format (docs/cli.md). Parse it with
// ParseSampleDesign, which also checks it; SelectSample draws the sample and
// Plan reports its expected precision and cost.
type SampleDesign struct {
	// Strata are the frame columns whose value combinations are the strata
	// (keys joined with ":", e.g. "Hà Nội:commune"). None: one stratum "all".
	Strata []string `json:"strata,omitempty"`
	// Size is the number of completed ballots wanted.
	Size SampleSizeSpec `json:"size"`
	// ResponseRate in (0, 1] divides every size (issued = wanted / rate);
	// 0 means 1. ParseSampleDesign refuses a "response_rate" of 0 written
	// in the file: absent means 1, but a rate of 0 cannot plan a sample.
	ResponseRate float64 `json:"response_rate,omitempty"`
	// Allocation shares a domain's size across its strata.
	Allocation AllocationSpec `json:"allocation,omitempty"`
	// Stages from the first (primary units) to the last, which must have Unit
	// "row" (the frame's rows). None: one stage {"unit":"row","method":"srs"}.
	Stages []StageSpec `json:"stages,omitempty"`
	// Reserve is the size of the reserve (replacement) sample as a fraction of
	// each stratum's main sample, rounded up; 0 means none.
	Reserve float64 `json:"reserve,omitempty"`
	// Plan holds the assumptions of the planning report (see Plan).
	Plan PlanSpec `json:"plan,omitempty"`
}

// SampleSizeSpec is the "size" object of DESIGN.json: exactly one of its
// fields is set.
type SampleSizeSpec struct {
	// Total is the national number of completed ballots, allocated across
	// all strata.
	Total int `json:"total,omitempty"`
	// Column names a frame column holding each stratum's number of
	// completed ballots (constant within a stratum); no allocation.
	Column string `json:"column,omitempty"`
	// Yamane sizes each domain by Yamane's formula.
	Yamane *YamaneSpec `json:"yamane,omitempty"`
	// MOE sizes each domain by Cochran's formula for a target margin of error.
	MOE *MOESpec `json:"moe,omitempty"`
}

// YamaneSpec is {"yamane": {"e": 0.05, "by": ["province"]}}: n_d =
// N_d/(1 + N_d e²) per domain d of the By columns (a subset of the strata;
// none: the whole frame), allocated across the domain's strata.
type YamaneSpec struct {
	E   float64  `json:"e"`
	By  []string `json:"by,omitempty"`
	Min float64  `json:"min,omitempty"` // bound on the domain size after the response rate
	Max float64  `json:"max,omitempty"`
}

// MOESpec is {"moe": {"e": 0.05, "p": 0.5, "deff": 1.5, "level": 0.95,
// "by": [...]}}: Cochran's size with design effect and finite population
// correction per domain (see CochranSizeFloat).
type MOESpec struct {
	E     float64  `json:"e"`
	P     float64  `json:"p,omitempty"`
	Deff  float64  `json:"deff,omitempty"`
	Level float64  `json:"level,omitempty"`
	By    []string `json:"by,omitempty"`
	Min   float64  `json:"min,omitempty"`
	Max   float64  `json:"max,omitempty"`
}

// StageSpec is one stage of a multi-stage design.
type StageSpec struct {
	// Unit is the frame column identifying the stage's units, or "row".
	Unit string `json:"unit"`
	// Method is SRS, Systematic, PPSSystematic or Census. PPSSystematic at
	// the row stage selects rows with probability proportional to Size
	// within each final-stage unit (or stratum, for a one-stage design), as
	// R sampling's UPsystematic on inclusionprobabilities.
	Method StageMethod `json:"method"`
	// Size names the frame column whose sum over a unit's rows is its size
	// measure for "pps_systematic"; empty: the number of rows (transactions).
	// At the row stage it is each row's size measure (required).
	Size string `json:"size,omitempty"`
	// N is the number of units per stratum (first stage) or per selected
	// parent unit (later stages). The row stage takes its count from the
	// design's size and allocation and must leave N at 0.
	N int `json:"n,omitempty"`
	// Certainty marks units taken with certainty ("pps_systematic" only).
	Certainty *CertaintySpec `json:"certainty,omitempty"`
	// Sort orders the rows of each final-stage parent before systematic
	// selection (implicit stratification); row stage only.
	Sort []string `json:"sort,omitempty"`
}

// CertaintySpec names a boolean frame column: a unit with any row true is
// taken with certainty.
type CertaintySpec struct {
	Column string `json:"column"`
}

// PlanSpec holds the assumptions of the planning report. The zero value
// means p = 0.5, a 95% level and the design effect of size.moe (or 1).
type PlanSpec struct {
	// Deff is the assumed design effect for every stratum.
	Deff float64 `json:"deff,omitempty"`
	// DeffColumn names a frame column with each stratum's design effect
	// (constant within a stratum), e.g. last year's results joined in.
	DeffColumn string `json:"deff_column,omitempty"`
	// DeffBy gives last year's design effects by reporting domain key (the
	// values of the domain columns joined with ":"); it wins over the others.
	DeffBy map[string]float64 `json:"deff_by,omitempty"`
	// Cost names a frame column with the cost per ballot of each stratum.
	Cost  string  `json:"cost,omitempty"`
	P     float64 `json:"p,omitempty"`
	Level float64 `json:"level,omitempty"`
}

// SampleDesignError is a problem in a DESIGN.json: Field is its JSON path
// (e.g. "stages[1].n").
type SampleDesignError struct {
	Field string
	Err   error
}

func (e *SampleDesignError) Error() string {
	if e.Field == "" {
		return "design: " + e.Err.Error()
	}
	return "design field " + e.Field + ": " + e.Err.Error()
}

func (e *SampleDesignError) Unwrap() error { return e.Err }

func selDesignErr(field, format string, a ...any) error {
	return &SampleDesignError{Field: field, Err: fmt.Errorf(format, a...)}
}

// ParseSampleDesign reads and checks a DESIGN.json. Unknown fields are
// errors (a misspelt "alocation" must not be silently ignored). Errors are
// *SampleDesignError naming the field.
func ParseSampleDesign(r io.Reader) (*SampleDesign, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d SampleDesign
	if err := dec.Decode(&d); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
			return nil, &SampleDesignError{Err: errors.New("invalid JSON: unexpected end of input")}
		case errors.As(err, &se):
			line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
			return nil, &SampleDesignError{Err: fmt.Errorf("invalid JSON at line %d: %v", line, se)}
		case errors.As(err, &te):
			return nil, &SampleDesignError{Field: te.Field, Err: fmt.Errorf("expected %s, got JSON %s", te.Type, te.Value)}
		}
		return nil, &SampleDesignError{Err: err}
	}
	if dec.More() {
		return nil, &SampleDesignError{Err: errors.New("trailing data after the JSON object")}
	}
	// The zero value of ResponseRate means "unset" (1); a 0 written in the
	// file is a rate of 0, which no sample can meet.
	var given struct {
		ResponseRate *float64 `json:"response_rate"`
	}
	if json.Unmarshal(data, &given) == nil && given.ResponseRate != nil && *given.ResponseRate == 0 {
		return nil, selDesignErr("response_rate", "is 0: no ballot would come back, so no number of ballots issued meets the size; give the expected share of ballots returned, in (0, 1] (e.g. 0.8), or leave the field out for 1")
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return &d, nil
}

// Validate checks the design without a frame (frame columns are checked by
// SelectSample and Plan). It fills in the default stage.
func (d *SampleDesign) Validate() error {
	if slices.Contains(d.Strata, "") {
		return selDesignErr("strata", "empty column name")
	}
	if dup := selDuplicate(d.Strata); dup != "" {
		return selDesignErr("strata", "column %q listed twice", dup)
	}
	kinds := 0
	if d.Size.Total != 0 {
		kinds++
		if d.Size.Total < 0 {
			return selDesignErr("size.total", "must be positive, got %d", d.Size.Total)
		}
	}
	if d.Size.Column != "" {
		kinds++
	}
	var by []string
	if y := d.Size.Yamane; y != nil {
		kinds++
		if !(y.E > 0 && y.E < 1) {
			return selDesignErr("size.yamane.e", "must be in (0, 1), got %v", y.E)
		}
		by = y.By
		if y.Min < 0 || y.Max < 0 || (y.Max > 0 && y.Min > y.Max) {
			return selDesignErr("size.yamane.min", "min and max must be non-negative with min ≤ max")
		}
	}
	if m := d.Size.MOE; m != nil {
		kinds++
		if err := (SizeRule{Method: MOE, E: m.E, Opt: CochranOptions{P: m.P, Level: m.Level, Deff: m.Deff}}).check(); err != nil {
			return &SampleDesignError{Field: "size.moe", Err: err}
		}
		by = m.By
		if m.Min < 0 || m.Max < 0 || (m.Max > 0 && m.Min > m.Max) {
			return selDesignErr("size.moe.min", "min and max must be non-negative with min ≤ max")
		}
	}
	if kinds != 1 {
		return selDesignErr("size", "give exactly one of total, column, yamane, moe")
	}
	for _, b := range by {
		if !slices.Contains(d.Strata, b) {
			return selDesignErr("size.by", "%q is not one of the strata %v; a reporting domain must be a union of strata", b, d.Strata)
		}
	}
	if !(d.ResponseRate >= 0 && d.ResponseRate <= 1) {
		return selDesignErr("response_rate", "must be in (0, 1], got %v", d.ResponseRate)
	}
	if !(d.Reserve >= 0) || d.Reserve > 100 {
		return selDesignErr("reserve", "must be a non-negative fraction of the main sample, got %v", d.Reserve)
	}
	a := d.Allocation
	switch a.Method {
	case "", Equal, Proportional:
	case Neyman:
		if a.SD == "" {
			return selDesignErr("allocation.sd", "neyman allocation needs a column of standard deviations")
		}
	case Optimal:
		if a.SD == "" || a.Cost == "" {
			return selDesignErr("allocation", "optimal allocation needs both sd and cost columns")
		}
	case Power:
		if !(a.Q >= 0 && a.Q <= 1) {
			return selDesignErr("allocation.q", "must be in [0, 1], got %v", a.Q)
		}
	default:
		return selDesignErr("allocation.method", "%q is unknown; use equal, proportional, neyman, optimal or power", a.Method)
	}
	if a.Min < 0 || a.Max < 0 || (a.Max > 0 && a.Min > a.Max) {
		return selDesignErr("allocation", "min and max must be non-negative with min ≤ max")
	}
	if len(d.Stages) == 0 {
		d.Stages = []StageSpec{{Unit: "row", Method: SRS}}
	}
	seen := map[string]bool{}
	for i, st := range d.Stages {
		f := fmt.Sprintf("stages[%d]", i)
		last := i == len(d.Stages)-1
		if st.Unit == "" {
			return selDesignErr(f+".unit", "missing; name the frame column of the stage's units, or \"row\"")
		}
		if (st.Unit == "row") != last {
			return selDesignErr(f+".unit", "the last stage, and only it, must have unit \"row\"")
		}
		if seen[st.Unit] || slices.Contains(d.Strata, st.Unit) {
			return selDesignErr(f+".unit", "column %q is already a stratum or an earlier stage", st.Unit)
		}
		seen[st.Unit] = true
		switch st.Method {
		case SRS, Systematic, Census:
		case PPSSystematic:
			if last && st.Size == "" {
				return selDesignErr(f+".size", "a pps_systematic row stage needs the column of each row's size measure")
			}
			if last && st.Certainty != nil {
				return selDesignErr(f+".certainty", "certainty is for unit stages; a row whose size makes its probability 1 is taken with certainty anyway")
			}
		default:
			return selDesignErr(f+".method", "%q is unknown; use srs, systematic, pps_systematic or census", st.Method)
		}
		if last {
			if st.N != 0 {
				return selDesignErr(f+".n", "the row stage's count comes from size and allocation; remove n")
			}
		} else {
			if st.Method != Census && st.N < 1 {
				return selDesignErr(f+".n", "must be at least 1, got %d", st.N)
			}
			if len(st.Sort) > 0 {
				return selDesignErr(f+".sort", "sort is for the row stage")
			}
		}
		if st.Certainty != nil {
			if st.Method != PPSSystematic {
				return selDesignErr(f+".certainty", "certainty units need method pps_systematic")
			}
			if st.Certainty.Column == "" {
				return selDesignErr(f+".certainty.column", "missing")
			}
		}
		if st.Size != "" && st.Method != PPSSystematic {
			return selDesignErr(f+".size", "a size measure is for pps_systematic")
		}
	}
	p := d.Plan
	if !(p.Deff >= 0) {
		return selDesignErr("plan.deff", "must be positive, got %v", p.Deff)
	}
	for k, v := range p.DeffBy {
		if !(v > 0) {
			return selDesignErr("plan.deff_by", "domain %q: design effect must be positive, got %v", k, v)
		}
	}
	if p.P != 0 && !(p.P > 0 && p.P < 1) {
		return selDesignErr("plan.p", "must be in (0, 1), got %v", p.P)
	}
	if p.Level != 0 && !(p.Level > 0 && p.Level < 1) {
		return selDesignErr("plan.level", "must be in (0, 1), got %v", p.Level)
	}
	return nil
}

// domainBy returns the columns of the reporting domains of the size rule.
func (d *SampleDesign) domainBy() []string {
	switch {
	case d.Size.Yamane != nil:
		return d.Size.Yamane.By
	case d.Size.MOE != nil:
		return d.Size.MOE.By
	}
	return nil
}

// sizeDeff is the design effect that sizes a size.moe design: size.moe.deff
// raised to 1 when below (see Plan for why), 0 (meaning 1) when absent.
func (d *SampleDesign) sizeDeff() float64 {
	m := d.Size.MOE
	if m == nil || m.Deff == 0 {
		return 0
	}
	return max(m.Deff, 1)
}

// sizeWarnings says that size.moe.deff is below 1 and was raised to 1 in
// the reporting domains doms (none when it is not).
func (d *SampleDesign) sizeWarnings(doms []selDomain) []string {
	m := d.Size.MOE
	if m == nil || m.Deff == 0 || m.Deff >= 1 {
		return nil
	}
	keys := make([]string, len(doms))
	for i, dom := range doms {
		keys[i] = dom.key
	}
	where := "the whole frame"
	if len(d.domainBy()) > 0 {
		where = listKeys("domain", "domains", keys)
	}
	return []string{fmt.Sprintf("design effect %.3g (size.moe.deff) is below 1; sized with 1 in %s", m.Deff, where)}
}

func (d *SampleDesign) rate() float64 {
	if d.ResponseRate == 0 {
		return 1
	}
	return d.ResponseRate
}

func selDuplicate(s []string) string {
	seen := map[string]bool{}
	for _, v := range s {
		if seen[v] {
			return v
		}
		seen[v] = true
	}
	return ""
}

// SampleFrameError is a problem with the frame's data: Column and Row
// (1-based data row, 0 when not about one row) or Stratum say where.
type SampleFrameError struct {
	Column  string
	Row     int64
	Stratum string
	Err     error
}

func (e *SampleFrameError) Error() string {
	var b strings.Builder
	b.WriteString("frame")
	if e.Stratum != "" {
		fmt.Fprintf(&b, " stratum %q", e.Stratum)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, " column %q", e.Column)
	}
	if e.Row > 0 {
		fmt.Fprintf(&b, " row %d", e.Row)
	}
	return b.String() + ": " + e.Err.Error()
}

func (e *SampleFrameError) Unwrap() error { return e.Err }
