package sampling

import (
	"errors"
	"fmt"
	"strings"
)

// ErrFormula is wrapped by the errors of ParseFormula.
var ErrFormula = errors.New("bad model formula")

// Formula is a model formula in R's notation restricted to main effects:
//
//	response ~ term + term + ...
//
// A term is a column name or factor(column). A text, dictionary or boolean
// column is a factor; a numeric column enters as a number unless written
// factor(column). A factor with L levels gives L − 1 indicator columns
// named column+level, the first level (in sorted order: numbers
// numerically, text bytewise, as R's factor() in the C locale) being the
// reference. The model has an intercept, "(Intercept)", unless a term is
// "0" or "-1"; "1" states it explicitly. Interactions are not supported,
// and a column name cannot hold spaces or any of ~ + - * : ( ) ^ | ,.
type Formula struct {
	// Response is the response column.
	Response string
	// Terms are the predictor columns in formula order.
	Terms []FormulaTerm
	// NoIntercept drops the intercept.
	NoIntercept bool
}

// FormulaTerm is one main effect of a Formula.
type FormulaTerm struct {
	// Column is the column name.
	Column string
	// Factor forces a numeric column to be a factor (factor(column)).
	Factor bool
}

// Columns returns the response and term columns, each once.
func (f *Formula) Columns() []string {
	seen := map[string]bool{f.Response: true}
	out := []string{f.Response}
	for _, t := range f.Terms {
		if !seen[t.Column] {
			seen[t.Column] = true
			out = append(out, t.Column)
		}
	}
	return out
}

// String returns the formula in R's notation.
func (f *Formula) String() string {
	var parts []string
	if f.NoIntercept {
		parts = append(parts, "0")
	}
	for _, t := range f.Terms {
		if t.Factor {
			parts = append(parts, "factor("+t.Column+")")
		} else {
			parts = append(parts, t.Column)
		}
	}
	if len(parts) == 0 {
		parts = []string{"1"}
	}
	return f.Response + " ~ " + strings.Join(parts, " + ")
}

// ParseFormula parses "y ~ a + b + factor(c)" (see Formula). Errors wrap
// ErrFormula and quote the offending part.
func ParseFormula(s string) (*Formula, error) {
	lhs, rhs, ok := strings.Cut(s, "~")
	if !ok {
		return nil, fmt.Errorf("sampling: %w %q: no \"~\" between the response and the terms (write y ~ a + b)", ErrFormula, s)
	}
	f := &Formula{Response: strings.TrimSpace(lhs)}
	if err := fmName(f.Response); err != nil {
		return nil, fmt.Errorf("sampling: %w %q: response: %v", ErrFormula, s, err)
	}
	rest := strings.TrimSpace(rhs)
	if rest == "" {
		return nil, fmt.Errorf("sampling: %w %q: no terms after \"~\" (write y ~ 1 for an intercept only)", ErrFormula, s)
	}
	sign := "+"
	if rest[0] == '+' || rest[0] == '-' {
		sign, rest = rest[:1], rest[1:]
	}
	seen := map[string]bool{}
	for {
		part, next := rest, ""
		if i := strings.IndexAny(rest, "+-"); i >= 0 {
			part, next = rest[:i], rest[i:]
		}
		part = strings.TrimSpace(part)
		switch {
		case part == "":
			return nil, fmt.Errorf("sampling: %w %q: empty term", ErrFormula, s)
		case part == "1" && sign == "+":
		case (part == "0" && sign == "+") || (part == "1" && sign == "-"):
			f.NoIntercept = true
		case sign == "-":
			return nil, fmt.Errorf("sampling: %w %q: only the intercept can be removed (\"- 1\"), not %q", ErrFormula, s, part)
		default:
			t := FormulaTerm{Column: part}
			if strings.HasPrefix(part, "factor(") && strings.HasSuffix(part, ")") {
				t = FormulaTerm{Column: strings.TrimSpace(part[len("factor(") : len(part)-1]), Factor: true}
			}
			if err := fmName(t.Column); err != nil {
				return nil, fmt.Errorf("sampling: %w %q: term %q: %v", ErrFormula, s, part, err)
			}
			if t.Column == f.Response {
				return nil, fmt.Errorf("sampling: %w %q: the response %q is also a term", ErrFormula, s, part)
			}
			if seen[t.Column] {
				return nil, fmt.Errorf("sampling: %w %q: term %q appears twice", ErrFormula, s, part)
			}
			seen[t.Column] = true
			f.Terms = append(f.Terms, t)
		}
		if next == "" {
			break
		}
		sign, rest = next[:1], next[1:]
	}
	return f, nil
}

// fmName checks a column name in a formula.
func fmName(s string) error {
	if s == "" {
		return errors.New("empty column name")
	}
	if strings.ContainsAny(s, "~+-*:()^|,") {
		return fmt.Errorf("%q is not a column name (interactions and transformations other than factor() are not supported)", s)
	}
	if strings.ContainsAny(s, " \t\n") {
		return fmt.Errorf("%q has a space; a column name cannot", s)
	}
	return nil
}
