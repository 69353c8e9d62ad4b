package index

import (
	"strings"
	"testing"
)

// ProvinceNames reads names in the spelling of either list and knows
// which provinces each list has.
func TestProvinceNames(t *testing.T) {
	old, nw := ProvinceNames(Geo1997), ProvinceNames(Geo2025)
	if got, err := old("ha noi"); err != nil || got != "Hà Nội" {
		t.Errorf("1997 %q: %q, %v", "ha noi", got, err)
	}
	// Hà Giang merged into Tuyên Quang in 2025.
	if got, err := old("Hà Giang"); err != nil || got != "Hà Giang" {
		t.Errorf("1997 Hà Giang: %q, %v", got, err)
	}
	if _, err := nw("Hà Giang"); err == nil {
		t.Error("2025: Hà Giang is no longer a province")
	}
	if _, err := old("Atlantis"); err == nil || !strings.Contains(err.Error(), "Atlantis") {
		t.Errorf("unknown name: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("GeoAuto: no panic")
		}
	}()
	ProvinceNames(GeoAuto)
}
