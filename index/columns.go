package index

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sipas-go/sipas/index/internal/column"
	"github.com/sipas-go/sipas/internal/arrowio"
)

// ErrMissingColumn is wrapped by *MissingColumnsError.
var ErrMissingColumn = errors.New("missing column")

// ErrColumnType is wrapped by errors about a column whose type an operation
// does not accept (an answer column that holds neither numbers nor text).
var ErrColumnType = column.ErrType

// MissingColumnsError says which required columns a table lacks and which it
// has. errors.Is(err, ErrMissingColumn) is true.
type MissingColumnsError struct {
	Table     string // what the table is, e.g. "ballots" or "first keying"
	Missing   []string
	Available []string
	Hint      string // optional: how to fix
}

func (e *MissingColumnsError) Error() string {
	var b strings.Builder
	if e.Table != "" {
		b.WriteString(e.Table)
		b.WriteString(": ")
	}
	if len(e.Missing) == 1 {
		fmt.Fprintf(&b, "missing required column %q", e.Missing[0])
	} else {
		fmt.Fprintf(&b, "missing required columns %s", quoteList(e.Missing))
	}
	for _, m := range e.Missing {
		if near := arrowio.NearMissOf(m, e.Available); near != "" {
			fmt.Fprintf(&b, "; the table has %q, which differs from %q only in case, Unicode normalisation, invisible characters or outer spaces: rename that column to %q, or ask for %q by its exact name", near, m, m, near)
			break
		}
	}
	fmt.Fprintf(&b, "; available columns are %s", listColumns(e.Available))
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

func (e *MissingColumnsError) Unwrap() error { return ErrMissingColumn }

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

func listColumns(names []string) string {
	const max = 60
	if len(names) == 0 {
		return "(none)"
	}
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:max], ", ") + fmt.Sprintf(", ... (%d more)", len(names)-max)
}
