// Package csvsafe keeps text cells of the CSV files the project writes
// from being run as formulas when a spreadsheet opens them ("CSV
// injection", OWASP).
package csvsafe

import "strings"

// Cell returns s safe to write as a CSV cell: a cell that starts with
// =, +, -, @, a tab or a carriage return (or the full-width ＝ ＋ － ＠)
// would be read as a formula, so it gets a leading apostrophe, which
// spreadsheets show as text. A plain decimal number ("-3.5", "+4", "1e-3")
// is left alone: spreadsheets read it as the number it is.
func Cell(s string) string {
	if !NeedsGuard(s) {
		return s
	}
	return "'" + s
}

// Text returns s safe to write as a CSV cell that is always text (a name,
// a label): unlike Cell it also guards a name that looks like a number
// ("+1", "-3"), so that a spreadsheet shows the name as written rather
// than the number it would read.
func Text(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return Cell(s)
}

// NeedsGuard reports whether Cell would change s.
func NeedsGuard(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return !isDecimal(s)
	}
	for _, p := range []string{"＝", "＋", "－", "＠"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// Row applies Cell to every cell of row, in place, and returns it.
func Row(row []string) []string {
	for i, c := range row {
		row[i] = Cell(c)
	}
	return row
}

// isDecimal reports whether s is a decimal number: an optional sign,
// digits with at most one point, and an optional exponent.
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if grouped(s[i:]) {
		return true
	}
	digits, point := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !point:
			point = true
		default:
			goto exp
		}
	}
exp:
	if digits == 0 {
		return false
	}
	if i == len(s) {
		return true
	}
	if s[i] != 'e' && s[i] != 'E' {
		return false
	}
	i++
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if i == len(s) {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// grouped reports whether s is a number written with a decimal comma or
// thousands separators ("1,5", "31.581", "1.234,5"): digits, dots and
// commas only, starting and ending with a digit — no formula.
func grouped(s string) bool {
	if s == "" || s[0] < '0' || s[0] > '9' || s[len(s)-1] < '0' || s[len(s)-1] > '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && c != '.' && c != ',' {
			return false
		}
	}
	return true
}
