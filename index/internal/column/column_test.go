package column

import "testing"

// TestCompareValuesOrder: CompareValues (the order of ResponseRates' strata
// and of Trend's domains) is a consistent order: antisymmetric, 0 only for
// equal strings, numbers by value ("9" < "10"), text bytewise, and
// "NaN" placed once (before every other number), not both before and after.
func TestCompareValuesOrder(t *testing.T) {
	vals := []string{"10", "9", "1", "1.0", "-2", "NaN", "nan", "Inf", "a", "B", ""}
	for _, a := range vals {
		for _, b := range vals {
			ab, ba := CompareValues(a, b), CompareValues(b, a)
			if ab != -ba || (ab == 0) != (a == b) {
				t.Errorf("CompareValues(%q, %q) = %d, (%q, %q) = %d", a, b, ab, b, a, ba)
			}
		}
	}
	for _, p := range [][2]string{{"9", "10"}, {"-2", "1"}, {"NaN", "-2"}, {"1", "1.0"}, {"10", "Inf"}, {"B", "a"}} {
		if CompareValues(p[0], p[1]) >= 0 {
			t.Errorf("%q should sort before %q", p[0], p[1])
		}
	}
}
