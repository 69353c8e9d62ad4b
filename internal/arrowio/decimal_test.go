package arrowio

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestParseDecimal(t *testing.T) {
	for s, want := range map[string]float64{"1000": 1000, "-0.75": -0.75, "+.5": 0.5, "3.": 3, "1e3": 1000, "2.5E-1": 0.25} {
		if v, err := parseDecimal(s); err != nil || v != want {
			t.Errorf("parseDecimal(%q) = %v, %v; want %v", s, v, err, want)
		}
	}
	for _, s := range []string{"", "0x1p2", "1_000", "NaN", "Inf", "+Inf", "infinity", ".", "1e", "1,5", "1e999", " 1"} {
		if v, err := parseDecimal(s); err == nil {
			t.Errorf("parseDecimal(%q) = %v; want an error", s, v)
		}
	}
	// Float64s reads text columns through it, naming the row.
	b := array.NewStringBuilder(memory.DefaultAllocator)
	b.AppendValues([]string{"2", "1_000"}, nil)
	a := b.NewArray()
	defer a.Release()
	if _, _, err := Float64s(a); err == nil || err.Error() != `row 2: value "1_000" is not a number` {
		t.Errorf("Float64s: %v", err)
	}
}
