package weighting

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// CellRowsError returns err, an error of the steps run on cells
// (RunCells, CompileCells), with every row its message names ("row 7",
// the 7th cell) named by rows[6], the input row (1-based) of that cell's
// first row. With the cells in the order of their first rows, and every
// row of a cell sharing what the steps check of it (its classes, flags
// and, where the cells are keyed by it, its design weight), the row named
// is the first input row to break the rule, as the steps name it on the
// rows. Any other error, or a row past the cells, is returned as it is.
func CellRowsError(err error, rows []int64) error {
	var se *StepError
	if !errors.As(err, &se) {
		return err
	}
	msg := rowMention.ReplaceAllStringFunc(se.Msg, func(m string) string {
		c, _ := strconv.Atoi(strings.TrimPrefix(m, "row "))
		if c < 1 || c > len(rows) {
			return m
		}
		return "row " + strconv.FormatInt(rows[c-1], 10)
	})
	if msg == se.Msg {
		return err
	}
	cp := *se
	cp.Msg = msg
	if se == err {
		return &cp
	}
	return &renamedRows{msg: strings.Replace(err.Error(), se.Error(), cp.Error(), 1), err: err}
}

// rowMention is how the steps' messages name one row.
var rowMention = regexp.MustCompile(`\brow [0-9]+\b`)

// renamedRows is a wrapped StepError whose message names input rows for
// cells.
type renamedRows struct {
	msg string
	err error
}

func (e *renamedRows) Error() string { return e.msg }
func (e *renamedRows) Unwrap() error { return e.err }
