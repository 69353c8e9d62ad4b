package sampling

import "math"

// cov returns the replicate covariance of the J estimates at off..off+J−1
// (row-major J×J): scale Σ_r rscale_r (θ̂_rj − c_j)(θ̂_rl − c_l), centred on
// the full-sample estimates (mse) or on the mean of the replicates that
// are not NaN (with rscale_r > 0), as R svrVar.
func (p *repEstimates) cov(off, J int) []float64 {
	R := len(p.rscales)
	c := make([]float64, J)
	for j := range c {
		if p.mse {
			c[j] = p.est[off+j]
			continue
		}
		s, n := 0.0, 0
		for rep := 0; rep < R; rep++ {
			if v := p.theta[rep*p.stride+off+j]; !math.IsNaN(v) && p.rscales[rep] > 0 {
				s += v
				n++
			}
		}
		c[j] = s / float64(n)
	}
	out := make([]float64, J*J)
	for rep := 0; rep < R; rep++ {
		th := p.theta[rep*p.stride+off : rep*p.stride+off+J]
		for j := 0; j < J; j++ {
			dj := p.rscales[rep] * (th[j] - c[j])
			for l := 0; l < J; l++ {
				out[j*J+l] += dj * (th[l] - c[l])
			}
		}
	}
	for i := range out {
		out[i] *= p.scale
	}
	return out
}
