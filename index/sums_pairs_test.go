package index

import (
	"math/rand/v2"
	"testing"
)

// TestClassMasks compares the byte-wise class masks with a code-by-code
// lookup, on codes across the whole int8 range and every block length.
func TestClassMasks(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	pool := []int8{-128, -127, -1, 0, 1, 2, 3, 4, 5, 6, 9, 10, 99, 126, 127}
	sets := [][]bool{} // per class (valid first), codes 0..255
	mk := func(codes ...int) []bool {
		s := make([]bool, 256)
		for _, c := range codes {
			s[uint8(int8(c))] = true
		}
		return s
	}
	var top []int
	for c := 99; c < 128; c++ {
		top = append(top, c)
	}
	sets = append(sets, mk(1, 2, 3, 4, 5), mk(4, 5), mk(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), mk(127), mk(0), mk(top...), mk(9, 10, 126, 127))
	for _, vi := range []int{0, 2, 5} {
		for _, ci := range []int{1, 3, 4, 6} {
			vs, cs := sets[vi], sets[ci]
			tab := make([][256]uint8, 3)
			for c := 0; c < 256; c++ {
				if !vs[c] {
					tab[2][c] = 1
				}
				if cs[c] && vs[c] {
					tab[1][c] = 1
				}
			}
			var rs [2]codeRanges
			var ok0, ok1 bool
			rs[0], ok0 = rangesOf(func(c int) bool { return tab[2][c] == 0 })
			rs[1], ok1 = rangesOf(func(c int) bool { return tab[1][c] == 1 })
			if !ok0 || !ok1 {
				t.Fatalf("sets %d, %d not ranges", vi, ci)
			}
			for n := 1; n <= 64; n++ {
				codes := make([]int8, n)
				for i := range codes {
					codes[i] = pool[rnd.IntN(len(pool))]
				}
				var want [2]uint64
				for j, c := range codes {
					want[0] |= uint64(tab[2][uint8(c)]) << j
					want[1] |= uint64(tab[1][uint8(c)]) << j
				}
				got := make([]uint64, 2)
				classMasks(codes, rs[:], tab, got)
				if got[0] != want[0] || got[1] != want[1] {
					t.Fatalf("n %d codes %v: masks %x, want %x", n, codes, got, want)
				}
				if rs[0].n <= 1 && rs[1].n <= 1 {
					clear(got)
					classMasks2(codes, rs[:], tab, got)
					if got[0] != want[0] || got[1] != want[1] {
						t.Fatalf("two slots: n %d codes %v: masks %x, want %x", n, codes, got, want)
					}
				}
			}
		}
	}
	if _, ok := rangesOf(func(c int) bool { return c == 1 || c == 3 || c == 5 }); ok {
		t.Error("three ranges accepted")
	}
	if _, ok := rangesOf(func(c int) bool { return c == 1 || c == 200 }); ok {
		t.Error("a code above 127 accepted")
	}
}
