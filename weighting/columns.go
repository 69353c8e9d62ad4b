package weighting

import (
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/catcode"
)

// Classes is a partition of rows into labelled categories. Index[i] is the
// category of row i (an index into Labels).
type Classes struct {
	Name   string // the columns joined by "*", e.g. "province*level"
	Index  []int32
	Labels []string // values joined by ":" for several columns
	// Columns are the class columns and Values[g] the values of class g
	// in them, as text (set by ClassesOf; nil for classes built by hand).
	Columns []string
	Values  [][]string
}

// Column looks a column up by name; it returns nil if absent.
func column(rec arrow.RecordBatch, name string) arrow.Array {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return nil
	}
	return rec.Column(idx[0])
}

func unknownColumn(rec arrow.RecordBatch, name string) error {
	have := make([]string, 0, rec.NumCols())
	for _, f := range rec.Schema().Fields() {
		have = append(have, f.Name)
	}
	if near := arrowio.NearMissOf(name, have); near != "" {
		return &StepError{Msg: fmt.Sprintf("column %q is not in the data, but %q is, which differs from it only in case, Unicode normalisation, invisible characters or outer spaces; rename that column to %q, or name %q exactly in the spec", name, near, name, near), Err: ErrUnknownColumn}
	}
	return &StepError{Msg: fmt.Sprintf("column %q is not in the data (columns: %s)", name, strings.Join(have, ", ")), Err: ErrUnknownColumn}
}

// ClassesOf groups the rows of rec by the values of the columns cols:
// text, dictionaries, integers, booleans and floats are categories. Classes
// are the observed combinations in sorted order (column by column, numbers
// numerically, text bytewise; see internal/catcode), whatever the order of
// the rows. With several columns the label joins the values with ":". A
// null is an error naming the column and row.
func ClassesOf(rec arrow.RecordBatch, cols []string) (Classes, error) {
	cl := Classes{Name: strings.Join(cols, "*"), Columns: append([]string{}, cols...)}
	if len(cols) == 0 { // one class holding every row
		cl.Index = make([]int32, rec.NumRows())
		cl.Labels = []string{"(all)"}
		cl.Values = [][]string{{}}
		return cl, nil
	}
	coded := make([]catcode.Coded, len(cols))
	codes := make([][]int32, len(cols))
	for j, name := range cols {
		a := column(rec, name)
		if a == nil {
			return Classes{}, unknownColumn(rec, name)
		}
		var err error
		coded[j], err = catcode.Code(a, catcode.NullFail)
		var ne *catcode.NullError
		switch {
		case errors.As(err, &ne):
			return Classes{}, &StepError{Msg: fmt.Sprintf("column %q row %d is missing; give every row a category (or a category such as \"unknown\" with its own total)", name, ne.Rows[0]), Err: ErrBadData}
		case err != nil:
			return Classes{}, &StepError{Msg: fmt.Sprintf("column %q has type %s, which cannot be a category; use strings or integers", name, a.DataType()), Err: ErrBadData}
		}
		codes[j] = coded[j].Codes
	}
	if len(cols) == 1 {
		cl.Index, cl.Labels = codes[0], coded[0].Levels
		cl.Values = make([][]string, len(cl.Labels))
		for g, l := range cl.Labels {
			cl.Values[g] = []string{l}
		}
		return cl, nil
	}
	var first []int32
	cl.Index, first = catcode.Combine(codes...)
	cl.Labels = make([]string, len(first))
	cl.Values = make([][]string, len(first))
	for g, i := range first {
		parts := make([]string, len(cols))
		for j := range cols {
			parts[j] = coded[j].Levels[codes[j][i]]
		}
		cl.Labels[g] = strings.Join(parts, ":")
		cl.Values[g] = parts
	}
	return cl, nil
}

// numericColumn returns a column as float64 values (arrowio.Float64s:
// integers, floats, dictionaries of those, text holding numbers); nulls are
// errors.
func numericColumn(rec arrow.RecordBatch, name string) ([]float64, error) {
	a := column(rec, name)
	if a == nil {
		return nil, unknownColumn(rec, name)
	}
	out, valid, err := arrowio.Float64s(a)
	if err != nil {
		return nil, &StepError{Msg: fmt.Sprintf("column %q: %v; a numeric column is needed", name, err), Err: ErrBadData}
	}
	for i, ok := range valid {
		if !ok {
			return nil, &StepError{Msg: fmt.Sprintf("column %q row %d is missing", name, i+1), Err: ErrBadData}
		}
	}
	return out, nil
}

// flagColumn reads a respondent flag: booleans, integers (non-zero is true)
// or strings ("1", "true", "yes", "y", "TRUE", ... are true; "0", "false",
// "no", "n", "" are false), plain or dictionary-encoded (R factors and
// pandas categoricals arrive as dictionaries; their values are read as
// text). Nulls are false.
func flagColumn(rec arrow.RecordBatch, name string) ([]bool, error) {
	a := column(rec, name)
	if a == nil {
		return nil, unknownColumn(rec, name)
	}
	n := a.Len()
	out := make([]bool, n)
	text := func(i int, v string) error {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "1", "true", "yes", "y", "t":
			out[i] = true
		case "0", "false", "no", "n", "f", "":
		default:
			return &StepError{Msg: fmt.Sprintf("column %q row %d: %q is not a yes/no value; use true/false, 1/0 or yes/no", name, i+1, v), Err: ErrBadData}
		}
		return nil
	}
	switch c := a.(type) {
	case *array.Boolean:
		for i := 0; i < n; i++ {
			out[i] = c.IsValid(i) && c.Value(i)
		}
		return out, nil
	case array.StringLike:
		for i := 0; i < n; i++ {
			if c.IsNull(i) {
				continue
			}
			if err := text(i, c.Value(i)); err != nil {
				return nil, err
			}
		}
		return out, nil
	case *array.Dictionary:
		v, valid, err := arrowio.Strings(c)
		if err != nil {
			return nil, &StepError{Msg: fmt.Sprintf("column %q has type %s; a respondent flag must be boolean, integer (0/1) or text (yes/no)", name, a.DataType()), Err: ErrBadData}
		}
		for i, s := range v {
			if valid != nil && !valid[i] {
				continue
			}
			if err := text(i, s); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if !arrow.IsInteger(a.DataType().ID()) {
		return nil, &StepError{Msg: fmt.Sprintf("column %q has type %s; a respondent flag must be boolean, integer (0/1) or text (yes/no)", name, a.DataType()), Err: ErrBadData}
	}
	v, valid, err := arrowio.Ints(a)
	if err != nil { // a uint64 past int64
		return nil, &StepError{Msg: fmt.Sprintf("column %q: %v; a respondent flag is 0 or 1", name, err), Err: ErrBadData}
	}
	for i := range out {
		out[i] = v[i] != 0 && (valid == nil || valid[i])
	}
	return out, nil
}
