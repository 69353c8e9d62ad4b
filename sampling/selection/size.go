package selection

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// sizeCeilTol is the relative tolerance below an integer that still rounds
// down to it: 200.00000000000003 (200 computed in floating point) is 200,
// not 201. R's ceiling has no tolerance; testdata/sampling.R applies the same
// one so that the goldens agree.
const sizeCeilTol = 1e-9

// sizeCeil rounds x up to an integer, treating values within sizeCeilTol
// (relative) above an integer as that integer.
func sizeCeil(x float64) int {
	return int(math.Ceil(x - float64(sizeCeilTol*math.Max(1, math.Abs(x))))) // no fused multiply-add
}

// YamaneSize returns Yamane's (1967) sample size for a population of n units
// and a margin of error e, n = N / (1 + N e²), rounded up. It is the formula
// of the Vietnamese SIPAS method (e = 0.05) and is roughly Cochran's size
// with z = 2, p = 0.5, no design effect and the finite population correction.
// It panics if N < 0 or e is not in (0, 1).
func YamaneSize(N int, e float64) int {
	return sizeCeil(YamaneSizeFloat(N, e))
}

// YamaneSizeFloat is YamaneSize before rounding: N / (1 + N e²).
func YamaneSizeFloat(N int, e float64) float64 {
	if N < 0 {
		panic("selection: YamaneSize: negative population size")
	}
	if !(e > 0 && e < 1) {
		panic("selection: YamaneSize: margin of error must be in (0, 1)")
	}
	fN := float64(N)
	return fN / (1 + float64(fN*e*e)) // no fused multiply-add: same on every platform
}

// CochranOptions are the settings of CochranSize. The zero value means a
// 95% confidence level, p = 0.5, no design effect.
type CochranOptions struct {
	P     float64 // expected proportion, in (0, 1); 0 means 0.5
	Level float64 // confidence level, in (0, 1); 0 means 0.95
	Deff  float64 // design effect multiplying n0; 0 means 1
}

func (o *CochranOptions) defaults() (p, level, deff float64) {
	p, level, deff = 0.5, 0.95, 1
	if o != nil {
		if o.P != 0 {
			p = o.P
		}
		if o.Level != 0 {
			level = o.Level
		}
		if o.Deff != 0 {
			deff = o.Deff
		}
	}
	if !(p > 0 && p < 1) {
		panic("selection: CochranSize: P must be in (0, 1)")
	}
	if !(level > 0 && level < 1) {
		panic("selection: CochranSize: Level must be in (0, 1)")
	}
	if !(deff > 0) || math.IsInf(deff, 0) {
		panic("selection: CochranSize: Deff must be positive")
	}
	return p, level, deff
}

// sizeZ is the two-sided standard normal quantile z = Φ⁻¹(1 − (1−level)/2),
// R qnorm(1 - (1 - level)/2).
func sizeZ(level float64) float64 {
	return mathext.NormalQuantile(1 - (1-level)/2)
}

// CochranSizeFloat is Cochran's (1977, §4.4) sample size for estimating a
// proportion with margin of error e, before rounding:
//
//	n0 = z² p (1 − p) / e² · deff
//	n  = n0 / (1 + (n0 − 1) / N)   (finite population correction)
//
// with z = qnorm(1 − (1 − level)/2). N ≤ 0 means an infinite population
// (n = n0). It panics if e is not in (0, 1).
func CochranSizeFloat(N int, e float64, opt *CochranOptions) float64 {
	if !(e > 0 && e < 1) {
		panic("selection: CochranSize: margin of error must be in (0, 1)")
	}
	p, level, deff := opt.defaults()
	z := sizeZ(level)
	n0 := z * z * p * (1 - p) / (e * e) * deff
	if N <= 0 {
		return n0
	}
	return n0 / (1 + (n0-1)/float64(N))
}

// CochranSize is CochranSizeFloat rounded up.
func CochranSize(N int, e float64, opt *CochranOptions) int {
	return sizeCeil(CochranSizeFloat(N, e, opt))
}

// MarginOfError is the inverse of Cochran's formula: the expected half-width
// of a confidence interval for a proportion p from n completed interviews
// out of N, with design effect deff:
//
//	e = z √(deff · p (1 − p) / n · (N − n) / (N − 1))
//
// (the finite population factor is dropped when N ≤ 1 or N is 0, meaning
// infinite). It returns NaN when n ≤ 0.
func MarginOfError(n float64, N int, p, level, deff float64) float64 {
	if !(n > 0) {
		return math.NaN()
	}
	v := deff * sizePropVar(n, int64(N), p*(1-p))
	if v < 0 {
		v = 0
	}
	return sizeZ(level) * math.Sqrt(v)
}

// sizePropVar is the variance of an estimated proportion from c completes
// out of N under simple random sampling without replacement,
// pq / c · (N − c)/(N − 1) with pq = p(1 − p) (the factor dropped when
// N ≤ 1, an infinite population, and 0 when c > N); +Inf with no
// completes. MarginOfError and Plan's stratum margins both use it.
func sizePropVar(c float64, N int64, pq float64) float64 {
	if !(c > 0) {
		return math.Inf(1)
	}
	v := pq / c
	if N > 1 {
		v *= math.Max(float64(N)-c, 0) / float64(N-1)
	}
	return v
}

// SizeRule computes a domain's sample size: the base size (Yamane, or
// Cochran with design effect and fpc), then division by the response rate,
// then the Min/Max bounds, then rounding up (the order of the DESIGN.json
// format, docs/cli.md).
type SizeRule struct {
	// Method is Yamane or MOE (Cochran).
	Method SizeMethod
	E      float64        // margin of error
	Opt    CochranOptions // for "moe"
	Min    float64        // lower bound after the response-rate inflation; 0 means none
	Max    float64        // upper bound; 0 means none
	Rate   float64        // expected response rate in (0, 1]; 0 means 1
}

// Size applies the rule to a domain of N units. It returns an error when
// the settings are out of range (the message names the field).
func (r SizeRule) Size(N int) (int, error) {
	if err := r.check(); err != nil {
		return 0, err
	}
	rate := r.Rate
	if rate == 0 {
		rate = 1
	}
	var n float64
	switch r.Method {
	case Yamane:
		n = YamaneSizeFloat(N, r.E)
	case MOE:
		n = CochranSizeFloat(N, r.E, &r.Opt)
	}
	n /= rate
	if r.Min > 0 && n < r.Min {
		n = r.Min
	}
	if r.Max > 0 && n > r.Max {
		n = r.Max
	}
	return sizeCeil(n), nil
}

func (r SizeRule) check() error {
	if r.Method != Yamane && r.Method != MOE {
		panic("selection: SizeRule: unknown method " + string(r.Method))
	}
	if !(r.E > 0 && r.E < 1) {
		return fmt.Errorf("size.%s.e must be in (0, 1), got %v", r.Method, r.E)
	}
	if !(r.Rate >= 0 && r.Rate <= 1) {
		return fmt.Errorf("response_rate must be in (0, 1], got %v", r.Rate)
	}
	if r.Method == MOE {
		o := r.Opt
		if o.P != 0 && !(o.P > 0 && o.P < 1) {
			return fmt.Errorf("size.moe.p must be in (0, 1), got %v", o.P)
		}
		if o.Level != 0 && !(o.Level > 0 && o.Level < 1) {
			return fmt.Errorf("size.moe.level must be in (0, 1), got %v", o.Level)
		}
		if o.Deff != 0 && !(o.Deff > 0) {
			return fmt.Errorf("size.moe.deff must be positive, got %v", o.Deff)
		}
	}
	return nil
}
