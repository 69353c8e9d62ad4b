package weighting

import (
	"errors"
	"fmt"
	"testing"
)

// TestCellRowsError: the rows a step's error names (cells) become the
// input rows of the cells' first rows, in the step's error and wrapped;
// "rows" counts and rows past the cells stay; other errors stay as they
// are.
func TestCellRowsError(t *testing.T) {
	rows := []int64{1, 40, 3902}
	se := &StepError{Path: "steps[0].nonresponse", Err: ErrBadData, Msg: "row 3 is a respondent but its ballot is not marked returned"}
	got := CellRowsError(se, rows)
	if want := "weighting: steps[0].nonresponse: row 3902 is a respondent but its ballot is not marked returned"; got.Error() != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if !errors.Is(got, ErrBadData) || se.Msg != "row 3 is a respondent but its ballot is not marked returned" {
		t.Errorf("%v: not ErrBadData, or the original changed (%q)", got, se.Msg)
	}
	wrapped := fmt.Errorf("weighting: replicate 2 of 9: %w", &StepError{Msg: "the step makes the weight of row 2 NaN; cell 4 stands for 3 rows, row 9"})
	got = CellRowsError(wrapped, rows)
	if want := "weighting: replicate 2 of 9: weighting: the step makes the weight of row 40 NaN; cell 4 stands for 3 rows, row 9"; got.Error() != want {
		t.Errorf("got %q, want %q", got, want)
	}
	var back *StepError
	if !errors.As(got, &back) {
		t.Errorf("%v does not wrap the step's error", got)
	}
	other := errors.New("row 2 of something else")
	if got := CellRowsError(other, rows); got != other {
		t.Errorf("another error became %q", got)
	}
}
