package build

import (
	"reflect"
	"testing"
)

// TestDecodeRing decodes a ring written by hand: offsets (1024, 2048) in
// 1/1024 degree are (1°, 2°); 'B' is 66 − 64 = 2, zigzag +1; '@' is 0; so
// "@@B@@B" steps (0,0), (+1,0), (0,+1) in 1/1024 degree, which are
// 9.765625 ≈ 10 units of 1e-4 degree; the ring is closed by the decoder.
func TestDecodeRing(t *testing.T) {
	r, err := decodeRing("@@B@@B", [2]int64{1024, 2048})
	if err != nil {
		t.Fatal(err)
	}
	want := Ring{{10000, 20000}, {10010, 20000}, {10010, 20010}, {10000, 20000}}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("got %v, want %v", r, want)
	}
	// 'A' is 1: zigzag −1.
	r, _ = decodeRing("@@A@@AB@", [2]int64{1024, 1024})
	if want := (Ring{{10000, 10000}, {9990, 10000}, {9990, 9990}, {10000, 9990}, {10000, 10000}}); !reflect.DeepEqual(r, want) {
		t.Fatalf("got %v, want %v", r, want)
	}
	if _, err := decodeRing("@@B", [2]int64{0, 0}); err == nil {
		t.Error("odd length accepted")
	}
}

func square(x, y, s int64) Polygon {
	return Polygon{Ring{{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}, {x, y}}}
}

// TestDissolve: two unit squares side by side become one 2×1 rectangle
// (the shared edge gone, area 2 = 1 + 1); a 3×3 block of squares minus the
// centre becomes a ring with a hole; overlapping squares are an error.
func TestDissolve(t *testing.T) {
	got, err := Dissolve([]Polygon{square(0, 0, 1), square(1, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0]) != 1 || Area2(got[0][0]) != 4 || len(got[0][0]) != 7 {
		t.Fatalf("two squares: %v", got)
	}
	var parts []Polygon
	for i := int64(0); i < 3; i++ {
		for j := int64(0); j < 3; j++ {
			if i != 1 || j != 1 {
				parts = append(parts, square(i, j, 1))
			}
		}
	}
	got, err = Dissolve(parts)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0]) != 2 || Area2(got[0][0]) != 18 || Area2(got[0][1]) != -2 {
		t.Fatalf("ring: %v", got)
	}
	// Two squares touching at a corner stay two polygons.
	got, err = Dissolve([]Polygon{square(0, 0, 1), square(1, 1, 1)})
	if err != nil || len(got) != 2 {
		t.Fatalf("corner: %v %v", got, err)
	}
	if _, err := Dissolve([]Polygon{square(0, 0, 1), square(0, 0, 1)}); err == nil {
		t.Error("overlap accepted")
	}
}

// TestHexagon: 6 distinct vertices at IslandRadius, counter-clockwise.
func TestHexagon(t *testing.T) {
	h := Island{Lat: 10, Lon: 110}.Hexagon()
	if len(h) != 7 || h[0] != h[6] || h[0] != (Point{1100500, 100000}) || Area2(h) <= 0 {
		t.Fatalf("%v", h)
	}
}
