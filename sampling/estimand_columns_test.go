package sampling

import (
	"slices"
	"testing"
)

// TestEstimandColumns: each estimand's variable, then a ratio's
// denominator, in order, repeats kept.
func TestEstimandColumns(t *testing.T) {
	got := EstimandColumns([]Estimand{{StatMean, "a", ""}, {StatRatio, "b", "c"}, {StatTotal, "a", ""}})
	if want := []string{"a", "b", "c", "a"}; !slices.Equal(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
}
