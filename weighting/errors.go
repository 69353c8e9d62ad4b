package weighting

import (
	"errors"
	"fmt"
)

// Sentinel errors, wrapped by *SpecError and *StepError so that callers can
// test them with errors.Is.
var (
	// ErrSpec marks a malformed WEIGHTING.json (syntax, type or value).
	ErrSpec = errors.New("invalid weighting specification")
	// ErrUnknownField marks a WEIGHTING.json field that the schema does not have.
	ErrUnknownField = errors.New("unknown field")
	// ErrUnknownColumn marks a specification naming a column absent from the data.
	ErrUnknownColumn = errors.New("unknown column")
	// ErrBadData marks a missing or unusable value in the data (null class
	// value, non-positive design weight, non-numeric calibration variable).
	ErrBadData = errors.New("bad data")
	// ErrEmptyCell marks a target category with a positive total but no
	// (positively weighted) sample row.
	ErrEmptyCell = errors.New("empty cell")
	// ErrUnknownCategory marks a sample category absent from the totals.
	ErrUnknownCategory = errors.New("sample category absent from totals")
	// ErrMarginsDisagree marks margins whose grand totals differ.
	ErrMarginsDisagree = errors.New("margins disagree")
	// ErrNotConverged marks raking or calibration that did not converge
	// within max_iter iterations.
	ErrNotConverged = errors.New("did not converge")
	// ErrInfeasible marks calibration bounds (or trimming caps) that no set
	// of weights can satisfy.
	ErrInfeasible = errors.New("infeasible")
	// ErrNegativeWeight marks linear calibration that produced negative or
	// zero weights.
	ErrNegativeWeight = errors.New("negative or zero weights")
	// ErrSingular marks calibration variables that are collinear.
	ErrSingular = errors.New("singular calibration system")
)

// SpecError reports a problem in a WEIGHTING.json at a JSON path such as
// "steps[1].rake.margins[0].totals".
type SpecError struct {
	Path string // JSON path of the offending field ("" for the document)
	Msg  string // what is wrong and how to fix it
	Err  error  // ErrSpec or ErrUnknownField
}

func (e *SpecError) Error() string {
	p := e.Path
	if p == "" {
		p = "(document)"
	}
	return fmt.Sprintf("weighting: WEIGHTING.json %s: %s", p, e.Msg)
}

func (e *SpecError) Unwrap() error { return e.Err }

// StepError reports a data-dependent failure of a weighting step. Margin and
// Cell name the margin (its columns joined by "*", or a calibration variable)
// and the category (values joined by ":") where known.
type StepError struct {
	Path   string // JSON path of the step, e.g. "steps[2].rake" (set by Apply)
	Margin string
	Cell   string
	Msg    string
	Err    error // one of the sentinel errors above
}

func (e *StepError) Error() string {
	s := "weighting: "
	if e.Path != "" {
		s += e.Path + ": "
	}
	if e.Margin != "" {
		s += fmt.Sprintf("margin %q: ", e.Margin)
	}
	if e.Cell != "" {
		s += fmt.Sprintf("cell %q: ", e.Cell)
	}
	return s + e.Msg
}

func (e *StepError) Unwrap() error { return e.Err }

func specErr(path string, format string, a ...any) *SpecError {
	return &SpecError{Path: path, Msg: fmt.Sprintf(format, a...), Err: ErrSpec}
}
