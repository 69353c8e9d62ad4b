package ballot

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// TTestResult is a paired t-test of x against y.
type TTestResult struct {
	N         int     // pairs with both values
	MeanX     float64 // mean of x over the pairs
	MeanY     float64 // mean of y over the pairs
	Statistic float64 // t
	DF        float64 // N − 1
	PValue    float64 // two-sided
}

// PairedTTest computes the paired t-test of x against y over the pairs where
// both are present (a NaN marks a missing value):
//
//	d_i = x_i − y_i,  t = mean(d) / (sd(d) / sqrt(n)),  df = n − 1
//
// with sd the sample standard deviation (n − 1) and the two-sided p-value
// from Student's t; as Stata's ttest x == y and R's t.test(x, y,
// paired = TRUE). The statistic and p-value are NaN when n < 2 or the
// differences are all equal. x and y must have the same length.
func PairedTTest(x, y []float64) TTestResult {
	if len(x) != len(y) {
		panic("ballot: PairedTTest: length mismatch")
	}
	var r TTestResult
	var sx, sy float64
	d := make([]float64, 0, len(x))
	for i := range x {
		if math.IsNaN(x[i]) || math.IsNaN(y[i]) {
			continue
		}
		d = append(d, x[i]-y[i])
		sx += x[i]
		sy += y[i]
	}
	r.N = len(d)
	r.MeanX, r.MeanY = sx/float64(r.N), sy/float64(r.N)
	r.DF = float64(r.N - 1)
	r.Statistic, r.PValue = math.NaN(), math.NaN()
	if r.N < 2 {
		return r
	}
	m, v := meanVar(d)
	if v == 0 {
		return r
	}
	r.Statistic = m / math.Sqrt(v/float64(r.N))
	r.PValue = 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: r.DF}.Survival(math.Abs(r.Statistic))
	return r
}

// meanVar returns the mean and the sample variance (n − 1) of x, computed
// in two passes.
func meanVar(x []float64) (mean, variance float64) {
	n := float64(len(x))
	for _, v := range x {
		mean += v
	}
	mean /= n
	var ss, s float64
	for _, v := range x {
		d := v - mean
		ss += d * d
		s += d
	}
	return mean, (ss - s*s/n) / (n - 1)
}

// SignRankResult is a Wilcoxon matched-pairs signed-rank test.
type SignRankResult struct {
	N                 int     // pairs with both values
	NPos, NNeg, NZero int     // positive, negative and zero differences
	SumPos, SumNeg    float64 // rank sums of the positive and negative differences
	Expected          float64 // expected rank sum of either sign under the null
	Variance          float64 // adjusted variance of SumPos
	Statistic, PValue float64 // z and its two-sided normal p-value
}

// SignRank computes the Wilcoxon matched-pairs signed-rank test of x against
// y with the normal approximation, as Stata's signrank x = y, over the pairs
// where both are present (a NaN marks a missing value). The differences
// d_i = x_i − y_i are ranked by |d_i| over all n pairs, zeros included, ties
// taking their average rank; a zero difference has signed rank 0. Then
//
//	E = (SumPos + SumNeg) / 2 = n(n+1)/4 − n0(n0+1)/4
//	V = Σ_{d_i≠0} rank_i² / 4
//	  = n(n+1)(2n+1)/24 − n0(n0+1)(2n0+1)/24 − Σ_ties t(t²−1)/48
//	z = (SumPos − E) / sqrt(V),  p = 2 (1 − Φ(|z|))
//
// with n0 the zero differences and the tie sum over groups of equal nonzero
// |d|; no continuity correction. Without zeros this is R's
// wilcox.test(x, y, paired = TRUE, exact = FALSE, correct = FALSE). z and p
// are NaN when V is 0. x and y must have the same length.
func SignRank(x, y []float64) SignRankResult {
	if len(x) != len(y) {
		panic("ballot: SignRank: length mismatch")
	}
	d := make([]float64, 0, len(x))
	for i := range x {
		if math.IsNaN(x[i]) || math.IsNaN(y[i]) {
			continue
		}
		d = append(d, x[i]-y[i])
	}
	r := SignRankResult{N: len(d)}
	order := make([]int, len(d))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return math.Abs(d[order[a]]) < math.Abs(d[order[b]]) })
	var sumSq float64
	for i := 0; i < len(order); {
		j := i + 1
		for j < len(order) && math.Abs(d[order[j]]) == math.Abs(d[order[i]]) {
			j++
		}
		rank := float64(i+1+j) / 2 // average of ranks i+1 .. j
		for _, k := range order[i:j] {
			switch {
			case d[k] > 0:
				r.NPos++
				r.SumPos += rank
				sumSq += rank * rank
			case d[k] < 0:
				r.NNeg++
				r.SumNeg += rank
				sumSq += rank * rank
			default:
				r.NZero++
			}
		}
		i = j
	}
	r.Expected = (r.SumPos + r.SumNeg) / 2
	r.Variance = sumSq / 4
	r.Statistic, r.PValue = math.NaN(), math.NaN()
	if r.Variance > 0 {
		r.Statistic = (r.SumPos - r.Expected) / math.Sqrt(r.Variance)
		r.PValue = 2 * distuv.UnitNormal.Survival(math.Abs(r.Statistic))
	}
	return r
}

// ReliabilityResult is the simple response variance and reliability ratio of
// a variable asked twice.
type ReliabilityResult struct {
	N        int     // pairs with both values
	SRV      float64 // simple response variance
	Variance float64 // variance of the back-check values
	RR       float64 // reliability ratio
}

// Reliability computes the simple response variance and the reliability
// ratio of survey answers against back-check answers, as IPA's ipabcstats:
//
//	SRV = var(survey − backcheck) / 2
//	RR  = 1 − SRV / var(backcheck)
//
// with sample variances (n − 1); the differences are taken over the pairs
// where both are present and var(backcheck) over every present back-check
// value (a NaN marks a missing value). SRV is NaN with fewer than 2 pairs,
// RR also when var(backcheck) is NaN or 0. survey and bc must have the same
// length.
func Reliability(survey, bc []float64) ReliabilityResult {
	if len(survey) != len(bc) {
		panic("ballot: Reliability: length mismatch")
	}
	var d, b []float64
	for i := range survey {
		if !math.IsNaN(bc[i]) {
			b = append(b, bc[i])
			if !math.IsNaN(survey[i]) {
				d = append(d, survey[i]-bc[i])
			}
		}
	}
	r := ReliabilityResult{N: len(d), SRV: math.NaN(), Variance: math.NaN(), RR: math.NaN()}
	if len(d) >= 2 {
		_, v := meanVar(d)
		r.SRV = v / 2
	}
	if len(b) >= 2 {
		_, r.Variance = meanVar(b)
	}
	if r.Variance > 0 {
		r.RR = 1 - r.SRV/r.Variance
	}
	return r
}
