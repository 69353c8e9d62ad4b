package provinces

import "testing"

func TestCounts(t *testing.T) {
	if n := len(All()); n != 63 {
		t.Fatalf("All: %d provinces, want 63", n)
	}
	if n := len(All2025()); n != 34 {
		t.Fatalf("All2025: %d provinces, want 34", n)
	}
	total := 0
	for _, m := range All2025() {
		total += len(m.Members)
	}
	if total != 63 {
		t.Fatalf("members of the 34 sum to %d, want 63", total)
	}
	p, ok := ByCode("25")
	if !ok || p.Name != "Phú Thọ" || p.Merged != "Phú Thọ" {
		t.Fatalf("ByCode(25) = %+v", p)
	}
}
