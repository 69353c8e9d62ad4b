package arrowio

import (
	"errors"
	"strconv"
)

// errNotDecimal is why parseDecimal refused a text.
var errNotDecimal = errors.New("not a decimal number")

// parseDecimal reads a number written in decimal:
//
//	[+-] digits [. digits] [(e|E) [+-] digits]   (or [+-] . digits ...)
//
// what a spreadsheet or a person writes. strconv.ParseFloat also reads
// hexadecimal ("0x1p2"), digit separators ("1_000"), "NaN" and "Inf",
// none of which is a value in a data file; they are refused, as is a
// number beyond the float64 range.
func parseDecimal(s string) (float64, error) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	n := digits()
	if i < len(s) && s[i] == '.' {
		i++
		n += digits()
	}
	if n == 0 {
		return 0, errNotDecimal
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0, errNotDecimal
		}
	}
	if i != len(s) {
		return 0, errNotDecimal
	}
	return strconv.ParseFloat(s, 64)
}
