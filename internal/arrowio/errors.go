package arrowio

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error returned by this package that concerns the
// content of a file is an *Error wrapping one of these (or fs.ErrNotExist for
// a missing file), so callers can branch with errors.Is.
var (
	// ErrFormat: the file name has an extension this package does not read.
	ErrFormat = errors.New("unsupported format")
	// ErrEmpty: the file has no content (CSV: not even a header row).
	ErrEmpty = errors.New("empty file")
	// ErrCorrupt: the file cannot be parsed as its format (truncated or
	// garbage Parquet/IPC, CSV quoting errors, invalid UTF-8, bad header).
	ErrCorrupt = errors.New("corrupt file")
	// ErrRagged: a CSV row has a different number of fields than the header.
	ErrRagged = errors.New("wrong number of fields")
	// ErrBadValue: a value cannot be converted to its column's type.
	ErrBadValue = errors.New("bad value")
	// ErrMissingColumn: a required or requested column is not in the table
	// (see also ErrNearMiss, which wraps it).
	ErrMissingColumn = errors.New("missing column")
	// ErrType: a column has a type the operation does not accept.
	ErrType = errors.New("unsupported column type")
	// ErrMissingSheet: an Excel workbook has no sheet of the requested name.
	ErrMissingSheet = errors.New("missing sheet")
	// ErrStale: a CSV table's sidecar was written for other content of
	// the table (ReadSidecar).
	ErrStale = errors.New("sidecar out of date")
)

// Error is a data error with its position. Zero fields are unknown and left
// out of the message. Line is the 1-based line of a text file (the CSV header
// is line 1); Row is the 1-based data row (the first row after the header is
// row 1) and is used when there is no line (Parquet, IPC, an in-memory
// column); RowGroup is the 1-based row group of a Parquet file. The
// message has the shape
//
//	ballots.csv: line 17, column "access_3": value "abc" is not an integer (...)
//
// Error unwraps to Err, whose chain contains one of the sentinel errors.
type Error struct {
	File     string
	Line     int
	Row      int
	RowGroup int // 1-based Parquet row group
	Sheet    string
	Cell     string
	Column   string
	Value    string
	Err      error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
	}
	pos := make([]string, 0, 3)
	switch {
	case e.Cell != "":
		pos = append(pos, sheetRef(e.Sheet)+"!"+e.Cell)
	case e.Sheet != "" && e.Line > 0:
		pos = append(pos, fmt.Sprintf("sheet %q, row %d", e.Sheet, e.Line))
	case e.Sheet != "":
		pos = append(pos, fmt.Sprintf("sheet %q", e.Sheet))
	case e.Line > 0:
		pos = append(pos, fmt.Sprintf("line %d", e.Line))
	case e.Row > 0:
		pos = append(pos, fmt.Sprintf("row %d", e.Row))
	}
	if e.RowGroup > 0 {
		pos = append(pos, fmt.Sprintf("row group %d", e.RowGroup))
	}
	if e.Column != "" {
		pos = append(pos, fmt.Sprintf("column %q", e.Column))
	}
	if len(pos) > 0 {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(strings.Join(pos, ", "))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Value != "" {
		fmt.Fprintf(&b, "value %q ", e.Value)
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// reason is an error message that wraps a sentinel (kind) and optionally a
// lower-level cause, without repeating the sentinel's own text. A hidden
// cause is left out of the message (see Cause).
type reason struct {
	msg    string
	kind   error
	cause  error
	hidden bool
}

func (r *reason) Error() string {
	if r.cause != nil && !r.hidden {
		return r.msg + ": " + r.cause.Error()
	}
	return r.msg
}

// Cause returns the low-level cause that err's message leaves out (the
// decoder's own words about a corrupt file, often a recovered runtime
// error that would mean nothing to a user), or nil.
func Cause(err error) error {
	var r *reason
	if errors.As(err, &r) && r.hidden {
		return r.cause
	}
	return nil
}

// hiddenCause is causedBy with the cause kept out of the message.
func hiddenCause(kind, cause error, format string, args ...any) error {
	return &reason{msg: fmt.Sprintf(format, args...), kind: kind, cause: cause, hidden: true}
}

func (r *reason) Unwrap() []error {
	if r.cause != nil {
		return []error{r.kind, r.cause}
	}
	return []error{r.kind}
}

func because(kind error, format string, args ...any) error {
	return &reason{msg: fmt.Sprintf(format, args...), kind: kind}
}

func causedBy(kind, cause error, format string, args ...any) error {
	return &reason{msg: fmt.Sprintf(format, args...), kind: kind, cause: cause}
}

// listNames formats column names for "available columns" lists, eliding the
// middle of very wide tables.
func listNames(names []string) string {
	const max = 60
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:max], ", ") + fmt.Sprintf(", ... (%d more)", len(names)-max)
}
