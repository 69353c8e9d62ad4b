package index

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// gramLoop is calGram as the loop over cells and replicate pairs it
// replaced: per cell M = D_c L Q_c, then Gram += M (D_c L)' on the upper
// triangle.
func gramLoop(fac [][]float64, L []float64, Q [][]float64, group []int32, G int) [][]float64 {
	R := len(fac)
	qd := len(L) / R
	gram := make([][]float64, G)
	for g := range gram {
		gram[g] = make([]float64, R*(R+1)/2)
	}
	M := make([]float64, R*qd)
	for c := range group {
		for r := 0; r < R; r++ {
			a := fac[r][c]
			for j := 0; j < qd; j++ {
				s := 0.0
				if a != 0 {
					for l := 0; l < qd; l++ {
						s += L[r*qd+l] * Q[l*qd+j][c]
					}
				}
				M[r*qd+j] = a * s
			}
		}
		m := gram[group[c]]
		at := 0
		for r := 0; r < R; r++ {
			mr := M[r*qd : (r+1)*qd]
			for s := r; s < R; s++ {
				if b := fac[s][c]; b != 0 {
					v := 0.0
					for j, x := range mr {
						v += x * L[s*qd+j]
					}
					m[at] += b * v
				}
				at++
			}
		}
	}
	return gram
}

// gramCase is a jackknife-like Gram problem: R replicates, n cells in G
// groups, qd = 1 + p, Q_c = Σ of a few w² z z' (positive semidefinite).
func gramCase(R, n, G, qd int) (fac [][]float64, L []float64, Q [][]float64, group []int32) {
	rng := rand.New(rand.NewPCG(3, 5))
	fac = make([][]float64, R)
	for r := range fac {
		fac[r] = make([]float64, n)
		for c := range fac[r] {
			switch {
			case c%R == r:
				fac[r][c] = 0
			case c%R/2 == r/2:
				fac[r][c] = 2
			default:
				fac[r][c] = 1
			}
		}
	}
	L = make([]float64, R*qd)
	for r := 0; r < R; r++ {
		L[r*qd] = 1
		for j := 1; j < qd; j++ {
			L[r*qd+j] = 1e-3 * rng.NormFloat64()
		}
	}
	Q = make([][]float64, qd*qd)
	for l := range Q {
		Q[l] = make([]float64, n)
	}
	z := make([]float64, qd)
	for c := 0; c < n; c++ {
		for range 3 {
			w := 100 + 900*rng.Float64()
			z[0] = 1
			for j := 1; j < qd; j++ {
				z[j] = float64(rng.IntN(2)) * (1 + rng.Float64())
			}
			for a := range qd {
				for b := range qd {
					Q[a*qd+b][c] += w * w * z[a] * z[b]
				}
			}
		}
	}
	group = make([]int32, n)
	for c := range group {
		group[c] = int32(rng.IntN(G))
	}
	return
}

// TestCalGram: the blocked matrix products of calGram equal the loop over
// cells and replicate pairs at 1e-13 relative to each Gram matrix's
// largest entry.
func TestCalGram(t *testing.T) {
	fac, L, Q, group := gramCase(20, 300, 7, 5)
	got, err := calGram(context.Background(), fac, L, Q, group, 7)
	if err != nil {
		t.Fatal(err)
	}
	want := gramLoop(fac, L, Q, group, 7)
	for g := range want {
		var big float64
		for _, v := range want[g] {
			big = math.Max(big, math.Abs(v))
		}
		for j, v := range want[g] {
			if math.Abs(got[g][j]-v) > 1e-13*big {
				t.Fatalf("group %d, entry %d: %v, want %v", g, j, got[g][j], v)
			}
		}
	}
}

// BenchmarkCalGram: the Gram matrices of the linear calibrated replicates
// of 126 replicates, 8 calibration columns and 20,000 cells in 63 groups,
// by calGram's blocked products ("blas") and the loop it replaced:
//
//	go test ./index -run '^$' -bench CalGram -benchtime 3x
func BenchmarkCalGram(b *testing.B) {
	fac, L, Q, group := gramCase(126, 20000, 63, 8)
	b.Run("blas", func(b *testing.B) {
		for b.Loop() {
			if _, err := calGram(context.Background(), fac, L, Q, group, 63); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("loop", func(b *testing.B) {
		for b.Loop() {
			gramLoop(fac, L, Q, group, 63)
		}
	})
}
