package arrowio

import (
	"math"
	"strconv"
)

// NumberFormat is how a float is written as text:
//
//	strconv.FormatFloat(Scale·v, Verb, Prec, 64) + Suffix
//
// (Scale 0 means 1), or NA when v is NaN or ±Inf — a missing value (an
// empty domain, an undefined rate): "" for a CSV cell, "NA" or "–" in a
// text table. The zero value with Verb 'g' and Prec -1 is the shortest
// round-trip form with an empty cell for a missing value.
type NumberFormat struct {
	Verb   byte
	Prec   int
	NA     string
	Scale  float64
	Suffix string
}

// Format formats v.
func (f NumberFormat) Format(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return f.NA
	}
	if f.Scale != 0 {
		v *= f.Scale
	}
	return strconv.FormatFloat(v, f.Verb, f.Prec, 64) + f.Suffix
}
