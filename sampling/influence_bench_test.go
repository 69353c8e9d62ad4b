package sampling

import "testing"

// BenchmarkEstimateRatiosInfluence: the calibration-aware path
// (DesignOptions.AdjustInfluence) on 40,000 SIPAS-like ballots, 22 criterion
// ratios + 6 composites, national and by province (63 strata × 20 PSUs),
// with a post-stratification residual hook over 3 classes (two passes over
// the rows, as R's postStratify adjustment) — the engine's own cost per
// (domain, estimand) vector; "fast" is the same without a hook.
func BenchmarkEstimateRatiosInfluence(b *testing.B) {
	const n, H, P, K = 40_000, 63, 20, 22
	data := estMakeBench(n, H, P, K)
	rec := data.record()
	defer rec.Release()
	cls := make([]int32, n)
	for i := range cls {
		cls[i] = int32(i % 3)
	}
	w := data.w
	hook := func(z []float64) {
		var sz, sw [3]float64
		for i, zi := range z {
			sz[cls[i]] += zi
			sw[cls[i]] += w[i]
		}
		for i := range z {
			z[i] -= w[i] * sz[cls[i]] / sw[cls[i]]
		}
	}
	combos := estSIPASCombos(K)
	for _, withHook := range []bool{false, true} {
		name := "fast"
		spec := &DesignOptions{Weight: "weight", Strata: "province", PSU: "psu"}
		if withHook {
			name = "hook"
			spec.AdjustInfluence = infEach(hook)
		}
		d, err := NewDesign(rec, spec)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			r := &Ratios{Num: data.s, Den: data.v, Combos: combos, Domain: data.province, NDomains: H, Overall: true}
			cpu0 := estCPUSeconds()
			for i := 0; i < b.N; i++ {
				if _, err := d.EstimateRatios(r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((estCPUSeconds()-cpu0)/float64(b.N), "cpu-s/op")
		})
	}
}
