package rank

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sipas-go/sipas/internal/heappeak"
)

// TestRankMemoryLinear: the heap Domains takes grows no faster than the
// domains. The draws are made and used a block at a time, the first step
// keeps of each domain's per-draw maxima the tail its quantile needs, and
// the pair statistics are computed when needed instead of held as K×K
// tables: 2,000 domains (as a ranking of units gives) take at most 8 times
// the heap of 250, and 64 MB with 1,000 draws (18 MB; 4.2 times). Holding
// all draws, their per-domain maxima and K×K tables of the pairs took 233
// MB, 44 times the heap of 250 domains.
func TestRankMemoryLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("ranks 2,000 domains")
	}
	peaks := map[int]uint64{}
	for _, k := range []int{250, 2000} {
		rng := rand.New(rand.NewPCG(uint64(k), 1))
		est, cov := independentDomains(k, rng)
		var r *Ranking
		start := time.Now()
		peaks[k] = heappeak.Peak(func() {
			var err error
			if r, err = Domains(est, nil, cov, &Options{Draws: 1000, Rand: rng}); err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("%d domains: peak heap +%.1f MB, %v", k, float64(peaks[k])/(1<<20), time.Since(start).Round(time.Millisecond))
		if r.MarginalLow[0] < 1 || r.MarginalHigh[0] > k {
			t.Fatalf("%d domains: rank set %d–%d", k, r.MarginalLow[0], r.MarginalHigh[0])
		}
	}
	const bound = 64 << 20
	if a, z := float64(peaks[250]), float64(peaks[2000]); z > 8*a || z > bound {
		t.Errorf("peak heap of 2,000 domains %.1f MB, of 250 %.1f MB: more than 8 times, or above %d MB",
			z/(1<<20), a/(1<<20), bound>>20)
	}
}
