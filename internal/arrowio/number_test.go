package arrowio

import (
	"math"
	"testing"
)

func TestNumberFormat(t *testing.T) {
	for _, c := range []struct {
		f    NumberFormat
		v    float64
		want string
	}{
		{NumberFormat{Verb: 'g', Prec: -1}, 0.1, "0.1"},
		{NumberFormat{Verb: 'g', Prec: -1}, 1e-7, "1e-07"},
		{NumberFormat{Verb: 'g', Prec: -1}, math.NaN(), ""},
		{NumberFormat{Verb: 'f', Prec: 2, NA: "–"}, math.Inf(-1), "–"},
		{NumberFormat{Verb: 'f', Prec: 2, NA: "–"}, 87.315, "87.31"},
		{NumberFormat{Verb: 'f', Prec: 1, NA: "NA", Scale: 100, Suffix: "%"}, 0.875, "87.5%"},
		{NumberFormat{Verb: 'f', Prec: 1, NA: "NA", Scale: 100, Suffix: "%"}, math.NaN(), "NA"},
		{NumberFormat{Verb: 'g', Prec: 7, NA: "NA"}, 1234.56789, "1234.568"},
	} {
		if got := c.f.Format(c.v); got != c.want {
			t.Errorf("%+v.Format(%v) = %q, want %q", c.f, c.v, got, c.want)
		}
	}
}
