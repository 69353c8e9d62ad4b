package weighting

import (
	"math"
	"sort"
)

// Diagnostics describes a set of weights. Zero weights (dropped rows) are
// left out. With n the number of non-zero weights,
//
//	Mean = Σw/n,  CV = sd/Mean with sd² = Σ(w−Mean)²/n,
//	Kish = 1 + CV² = n Σw² / (Σw)²   (Kish 1965, the design effect due to weighting),
//	NEff = n / Kish = (Σw)² / Σw²    (Kish's effective sample size).
//
// The CV uses the divisor n (not n−1) so that 1 + CV² is exactly Kish's
// deff; R: 1 + mean((w-mean(w))^2)/mean(w)^2. For n = 0 every field but N is NaN.
type Diagnostics struct {
	N    int
	Sum  float64
	Min  float64
	Max  float64
	Mean float64
	CV   float64
	Kish float64
	NEff float64
}

// Describe returns the diagnostics of the non-zero weights in w.
func Describe(w []float64) Diagnostics {
	d := Diagnostics{Min: math.Inf(1), Max: math.Inf(-1)}
	var s, s2 float64
	for _, v := range w {
		if v == 0 {
			continue
		}
		d.N++
		s += v
		s2 += v * v
		if v < d.Min {
			d.Min = v
		}
		if v > d.Max {
			d.Max = v
		}
	}
	return finish(d, s, s2)
}

func finish(d Diagnostics, s, s2 float64) Diagnostics {
	if d.N == 0 {
		nan := math.NaN()
		return Diagnostics{Sum: 0, Min: nan, Max: nan, Mean: nan, CV: nan, Kish: nan, NEff: nan}
	}
	n := float64(d.N)
	d.Sum = s
	d.Mean = s / n
	d.Kish = n * s2 / (s * s)
	cv2 := d.Kish - 1
	if cv2 < 0 { // rounding with equal weights
		cv2 = 0
	}
	d.CV = math.Sqrt(cv2)
	d.NEff = n / d.Kish
	return d
}

// ClassDiagnostics is Diagnostics within one class.
type ClassDiagnostics struct {
	Label string
	Diagnostics
}

// DescribeBy returns the diagnostics of the non-zero weights within each class
// of cl, in the order of cl.Labels. Rows with class -1 are skipped.
func DescribeBy(w []float64, cl Classes) []ClassDiagnostics {
	k := len(cl.Labels)
	ds := make([]Diagnostics, k)
	s := make([]float64, k)
	s2 := make([]float64, k)
	for i := range ds {
		ds[i].Min, ds[i].Max = math.Inf(1), math.Inf(-1)
	}
	for i, v := range w {
		c := cl.Index[i]
		if c < 0 || v == 0 {
			continue
		}
		d := &ds[c]
		d.N++
		s[c] += v
		s2[c] += v * v
		if v < d.Min {
			d.Min = v
		}
		if v > d.Max {
			d.Max = v
		}
	}
	out := make([]ClassDiagnostics, k)
	for c := range ds {
		out[c] = ClassDiagnostics{Label: cl.Labels[c], Diagnostics: finish(ds[c], s[c], s2[c])}
	}
	return out
}

// median of the non-zero weights (R's median: mean of the two middle values).
func median(w []float64) float64 {
	v := make([]float64, 0, len(w))
	for _, x := range w {
		if x != 0 {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return math.NaN()
	}
	sort.Float64s(v)
	m := len(v) / 2
	if len(v)%2 == 1 {
		return v[m]
	}
	return (v[m-1] + v[m]) / 2
}
