package weighting

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// TestOrderStatsAndClampScale: the selection over bit patterns finds the
// order statistics that sorting finds, and the bucketed search of
// proportional trimming's factor the one clampScale finds, on 300,000
// values (many repeated: several narrowing passes) and on few.
func TestOrderStatsAndClampScale(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 2, 5, 1000, 300_000} {
		v := make([]float64, n)
		for i := range v {
			v[i] = math.Exp(rng.NormFloat64())
			if i%5 == 0 {
				v[i] = v[i/5] // repeats
			}
		}
		passes := 0
		vals := func(fn func(float64)) error {
			passes++
			for _, x := range v {
				fn(x)
			}
			return nil
		}
		sorted := append([]float64(nil), v...)
		sort.Float64s(sorted)
		for _, r := range [][2]int64{{0, 0}, {int64(n-1) / 2, int64(n) / 2}, {int64(n - 1), int64(n - 1)}} {
			a, b, err := orderStats(vals, r[0], r[1])
			if err != nil {
				t.Fatal(err)
			}
			if a != sorted[r[0]] || b != sorted[r[1]] {
				t.Errorf("n %d ranks %v: %v %v, sorted %v %v", n, r, a, b, sorted[r[0]], sorted[r[1]])
			}
		}
		var total float64
		for _, x := range v {
			total += x
		}
		med := sorted[n/2]
		for _, b := range [][2]float64{{0, 2 * med}, {0.5 * med, 3 * med}, {0.2 * med, math.Inf(1)}} {
			if float64(n)*b[1] < total {
				continue
			}
			passes = 0
			got, err := clampScaleStream(vals, float64(n), b[0], b[1], total)
			if err != nil {
				t.Fatal(err)
			}
			want, err := clampScale(v, nil, b[0], b[1], total)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-want) > 1e-12*want {
				t.Errorf("n %d bounds %v: factor %v, clampScale %v", n, b, got, want)
			}
			t.Logf("n %d bounds %v: %d passes", n, b, passes)
		}
	}
}
