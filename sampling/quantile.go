package sampling

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// StatQuantile is the statistic of Quantiles.
const StatQuantile Statistic = "quantile"

// QuantileRule is how a quantile is read off the weighted distribution
// (R svyquantile's qrule). The zero value is QuantileMath.
type QuantileRule int

const (
	// QuantileMath is R's qrule = "math" (its default): with the values
	// sorted, cumulative weights C_k and total W, the smallest value x_k
	// with C_k ≥ p·W (the inverse of the estimated CDF).
	QuantileMath QuantileRule = iota
	// QuantileHF7 is R's qrule = "hf7", Hyndman and Fan's type 7 (R
	// quantile()'s default) with weights: the value at p by linear
	// interpolation between the points (C_{k−1}/C_{n−1}, x_k), k = 1..n,
	// C_0 = 0, the ends held flat.
	QuantileHF7
)

var qruleNames = [...]string{QuantileMath: "math", QuantileHF7: "hf7"}

// String returns "math" or "hf7".
func (q QuantileRule) String() string {
	if q >= 0 && int(q) < len(qruleNames) {
		return qruleNames[q]
	}
	return fmt.Sprintf("QuantileRule(%d)", int(q))
}

// ParseQuantileRule reads "math" (or "") and "hf7".
func ParseQuantileRule(s string) (QuantileRule, error) {
	if s == "" {
		return QuantileMath, nil
	}
	for i, n := range qruleNames {
		if strings.EqualFold(s, n) {
			return QuantileRule(i), nil
		}
	}
	return 0, fmt.Errorf("sampling: unknown quantile rule %q (want math or hf7)", s)
}

// QuantileInterval is how the interval of a quantile is formed. The zero
// value is Woodruff.
type QuantileInterval int

const (
	// Woodruff (1952) intervals, R svyquantile's interval.type = "mean"
	// (survey 4.1's default): the Wald interval F̂ ± t·SE(F̂) of the
	// estimated CDF at the quantile, F̂ = the mean of 1(y ≤ q̂), mapped
	// back through the quantile rule; an end outside [0, 1] gives NaN.
	Woodruff QuantileInterval = iota
	// ReplicateQuantiles is R's interval.type = "quantile" for replicate
	// designs: the quantile recomputed with every replicate's weights,
	// SE = sqrt(svrVar) of those, and q̂ ± t·SE.
	ReplicateQuantiles
)

var qintNames = [...]string{Woodruff: "woodruff", ReplicateQuantiles: "replicate"}

// String returns "woodruff" or "replicate".
func (q QuantileInterval) String() string {
	if q >= 0 && int(q) < len(qintNames) {
		return qintNames[q]
	}
	return fmt.Sprintf("QuantileInterval(%d)", int(q))
}

// ParseQuantileInterval reads "woodruff" (or "") and "replicate".
func ParseQuantileInterval(s string) (QuantileInterval, error) {
	if s == "" {
		return Woodruff, nil
	}
	for i, n := range qintNames {
		if strings.EqualFold(s, n) {
			return QuantileInterval(i), nil
		}
	}
	return 0, fmt.Errorf("sampling: unknown quantile interval %q (want woodruff or replicate)", s)
}

// QuantileOptions are the settings of Quantiles. The zero value (and nil)
// means the whole population, QuantileMath, Woodruff intervals at 95 %.
type QuantileOptions struct {
	// By are the domain columns; empty: the whole population.
	By []string
	// Rule reads the quantile off the weighted distribution.
	Rule QuantileRule
	// Interval is Woodruff or ReplicateQuantiles (replicate designs only).
	Interval QuantileInterval
	// Level is the confidence level (0: 0.95).
	Level float64
}

// Quantile is one estimated quantile. Its Estimate has Statistic
// StatQuantile; Deff is NaN.
type Quantile struct {
	Estimate
	// P is the probability of the quantile (0.5: the median).
	P float64
}

// Quantiles estimates the quantiles probs of each column of vars, overall
// or by domain, as R svyquantile(~v, design, probs, qrule, interval.type,
// na.rm = TRUE) (survey 4.1), by domain as svyby, on a domain's subset:
//
//   - the estimate is the rule (QuantileRule) applied to the rows of the
//     domain where v is present and the weight nonzero;
//   - Woodruff: F̂ = Σ w·1(y ≤ q̂)/Σ w over those rows, with its SE from the
//     one variance engine (any design: strata, clusters, fpc, lonely PSUs,
//     replicates, calibration); F̂ ± t·SE(F̂) is mapped back through the
//     rule; an end below 0 or above 1 is NaN, as in R;
//   - ReplicateQuantiles: the rule applied with each replicate's weights,
//     SE² = scale Σ_r rscale_r (q̂_r − c)² (c = q̂ with mse, else the mean
//     of the q̂_r), interval q̂ ± t·SE.
//
// The SE of a Woodruff interval is its width over 2t, as R. t has the
// domain's degrees of freedom as R's subset design: PSUs minus strata with
// a row of the domain where v is present, or for a replicate design the
// rank of those rows' replicate weights minus 1 (Design.DomainDF, which
// says when the design's df stands in). A domain in fewer than 2
// PSUs has NaN SE and interval (FlagFewPSU). Results come domain by domain,
// then by variable, then by probability. probs must lie in [0, 1] (a caller
// bug otherwise).
func (d *Design) Quantiles(rec arrow.RecordBatch, vars []string, probs []float64, opt *QuantileOptions) ([]Quantile, error) {
	var o QuantileOptions
	if opt != nil {
		o = *opt
	}
	for _, p := range probs {
		if !(p >= 0 && p <= 1) {
			panic(fmt.Sprintf("sampling: Quantiles: probability %v outside [0, 1]", p))
		}
	}
	if o.Interval == ReplicateQuantiles && d.reps == nil {
		return nil, fmt.Errorf("sampling: %w: replicate quantile intervals need a replicate design", ErrBadDesign)
	}
	if int(rec.NumRows()) != d.n {
		return nil, fmt.Errorf("sampling: the table has %d rows but the design %d; estimate on the table the design was built from", rec.NumRows(), d.n)
	}
	level := o.Level
	if level == 0 {
		level = 0.95
	}
	dm, err := NewDomains(rec, o.By)
	if err != nil {
		return nil, err
	}
	G := dm.Len()
	V, P := len(vars), len(probs)
	qrule := qsMath
	if o.Rule == QuantileHF7 {
		qrule = qsHF7
	}
	// q[(g*V+v)*P+j] and per (g, v) the sorted segment
	type segment struct {
		x, cw []float64
		rows  []int32
	}
	segs := make([]segment, G*V)
	q := make([]float64, G*V*P)
	dfs := make([]int, G*V)
	items := make([]Item, V*P)
	for v, name := range vars {
		y, valid, err := estColumn(rec, name, d.wsum)
		if err != nil {
			return nil, err
		}
		code := qsCodes(dm.Code, valid)
		parts := d.qsSort(y, code, G)
		for g, rows := range parts {
			x := make([]float64, len(rows))
			w := make([]float64, len(rows))
			for k, i := range rows {
				x[k], w[k] = y[i], d.w[i]
			}
			s := segment{x: x, cw: qsCumsum(w, nil), rows: rows}
			segs[g*V+v] = s
			for j, p := range probs {
				q[(g*V+v)*P+j] = qrule(s.x, s.cw, p)
			}
		}
		df := d.DomainDF(code, G)
		for g := range df {
			dfs[g*V+v] = df[g]
		}
		if o.Interval == Woodruff {
			// 1(y ≤ q̂) per probability, as codes 1 (no) and 2 (yes); 0 missing
			for j := range probs {
				c := make([]int8, d.n)
				for i, g := range code {
					if g >= 0 {
						c[i] = 1
						if y[i] <= q[(int(g)*V+v)*P+j] {
							c[i] = 2
						}
					}
				}
				items[v*P+j] = Item{Codes: c, Values: []float64{math.NaN(), 0, 1}}
			}
		}
	}
	var psus []int
	if len(o.By) > 0 {
		psus = d.DomainPSUs(dm.Code, G)
	} else {
		psus = []int{d.NPSU()}
	}
	lo := make([]float64, len(q))
	hi := make([]float64, len(q))
	se := make([]float64, len(q))
	n := make([]int, len(q))
	if o.Interval == Woodruff {
		r := &Ratios{Items: items}
		if len(o.By) > 0 {
			r.Domain, r.NDomains = dm.Code, G
		}
		res, err := d.EstimateRatios(r)
		if err != nil {
			return nil, err
		}
		for g := 0; g < G; g++ {
			for v := range vars {
				s := segs[g*V+v]
				t := ciQuantileT(1-(1-level)/2, dfs[g*V+v])
				for j := range probs {
					i, ri := (g*V+v)*P+j, res.Index(g, v*P+j)
					f, sf := res.Est[ri], res.SE[ri]
					n[i] = res.N[ri]
					a, b := f-t*sf, f+t*sf
					lo[i], hi[i] = math.NaN(), math.NaN()
					if a >= 0 {
						lo[i] = qrule(s.x, s.cw, a)
					}
					if b <= 1 {
						hi[i] = qrule(s.x, s.cw, b)
					}
					se[i] = (hi[i] - lo[i]) / (2 * t)
				}
			}
		}
	} else {
		d.qsReplicate(len(segs), func(k int) ([]float64, []int32) { return segs[k].x, segs[k].rows },
			probs, q, qrule, se)
		for g := 0; g < G; g++ {
			for v := range vars {
				t := ciQuantileT(1-(1-level)/2, dfs[g*V+v])
				for j := range probs {
					i := (g*V+v)*P + j
					n[i] = len(segs[g*V+v].rows)
					lo[i], hi[i] = q[i]-t*se[i], q[i]+t*se[i]
				}
			}
		}
	}
	out := make([]Quantile, 0, len(q))
	for g := 0; g < G; g++ {
		var labels []DomainValue
		if len(o.By) > 0 {
			labels = dm.Labels(g)
		}
		for v, name := range vars {
			for j, p := range probs {
				i := (g*V+v)*P + j
				e := Estimate{Statistic: StatQuantile, Variable: name, Domain: labels, Estimate: q[i],
					SE: se[i], CILow: lo[i], CIHigh: hi[i], N: n[i], Deff: math.NaN(), DF: dfs[g*V+v], PSUs: psus[g]}
				fewPSU(&e.SE, &e.CILow, &e.CIHigh, &e.Deff, &e.Flag, e.PSUs)
				out = append(out, Quantile{Estimate: e, P: p})
			}
		}
	}
	return out, nil
}

// qsCodes returns the domain of each row where the variable is present
// (valid nil: everywhere), −1 elsewhere.
func qsCodes(domain []int32, valid []bool) []int32 {
	code := make([]int32, len(domain))
	for i, g := range domain {
		if valid != nil && !valid[i] {
			g = -1
		}
		code[i] = g
	}
	return code
}

// qsSort returns, for each of the G domains of code, its rows with nonzero
// weight sorted by y (ties in row order, as R's order()).
func (d *Design) qsSort(y []float64, code []int32, G int) [][]int32 {
	count := make([]int, G+1)
	for i, g := range code {
		if g >= 0 && d.w[i] != 0 {
			count[g+1]++
		}
	}
	for g := 1; g <= G; g++ {
		count[g] += count[g-1]
	}
	type yi struct {
		y float64
		i int32
	}
	all := make([]yi, count[G])
	pos := append([]int(nil), count[:G]...)
	for i, g := range code {
		if g >= 0 && d.w[i] != 0 {
			all[pos[g]] = yi{y[i], int32(i)}
			pos[g]++
		}
	}
	rows := make([]int32, len(all))
	parts := make([][]int32, G)
	for g := range parts {
		seg := all[count[g]:count[g+1]]
		slices.SortFunc(seg, func(a, b yi) int {
			if c := cmp.Compare(a.y, b.y); c != 0 {
				return c
			}
			return cmp.Compare(a.i, b.i)
		})
		for k, e := range seg {
			rows[count[g]+k] = e.i
		}
		parts[g] = rows[count[g]:count[g+1]:count[g+1]]
	}
	return parts
}

// qsCumsum returns the cumulative sums of w in dst (reused when long
// enough), each correctly rounded from a compensated running sum (R's
// cumsum accumulates in extended precision).
func qsCumsum(w, dst []float64) []float64 {
	dst = append(dst[:0], w...)
	s, c := 0.0, 0.0
	for k, v := range w {
		t := s + v
		if math.Abs(s) >= math.Abs(v) {
			c += (s - t) + v
		} else {
			c += (v - t) + s
		}
		s = t
		dst[k] = s + c
	}
	return dst
}

// qsMath is R's qrule_math on values x sorted with cumulative weights cw:
// with pos the last k where cw_k ≤ p·W (the first if none), x_pos when
// cw_pos = p·W exactly, else the next value (x_n at the end). NaN for no
// rows.
func qsMath(x, cw []float64, p float64) float64 {
	n := len(x)
	if n == 0 {
		return math.NaN()
	}
	W := cw[n-1]
	t := p * W
	// last k with cw[k] <= t
	pos := sortSearch(n, func(k int) bool { return cw[k] > t }) - 1
	if pos < 0 {
		pos = 0
	}
	if p-cw[pos]/W == 0 {
		return x[pos]
	}
	return x[min(pos+1, n-1)]
}

// qsHF7 is R's qrule_hf7 on values x sorted with cumulative weights cw:
// linear interpolation (R approx, rule = 2) of the points
// (C_{k−1}/C_{n−1}, x_k), C_0 = 0. NaN for no rows; the single value for
// one row (R stops there).
func qsHF7(x, cw []float64, p float64) float64 {
	n := len(x)
	switch n {
	case 0:
		return math.NaN()
	case 1:
		return x[0]
	}
	den := cw[n-2]
	pk := func(k int) float64 {
		if k == 0 {
			return 0
		}
		return cw[k-1] / den
	}
	// R approx1: bisection on the abscissae, then interpolation
	i, j := 0, n-1
	if p < pk(i) {
		return x[0]
	}
	if p > pk(j) {
		return x[n-1]
	}
	for i < j-1 {
		ij := (i + j) / 2
		if p < pk(ij) {
			j = ij
		} else {
			i = ij
		}
	}
	xi, xj := pk(i), pk(j)
	if p == xj {
		return x[j]
	}
	if p == xi {
		return x[i]
	}
	return x[i] + (x[j]-x[i])*((p-xi)/(xj-xi))
}

// sortSearch is sort.Search without the import: the smallest k in [0, n)
// with f(k) true (n if none), f monotone.
func sortSearch(n int, f func(int) bool) int {
	i, j := 0, n
	for i < j {
		h := int(uint(i+j) >> 1)
		if !f(h) {
			i = h + 1
		} else {
			j = h
		}
	}
	return i
}

// qsReplicate computes the replicate SE of the quantiles of each of the
// nseg segments (values and rows in sorted order from seg), probabilities
// probs, full-sample estimates q[k*len(probs)+j], into se: the rule with
// each replicate's analysis weights (rows of weight 0 dropped), then R
// svrVar.
func (d *Design) qsReplicate(nseg int, seg func(int) ([]float64, []int32), probs, q []float64,
	qrule func(x, cw []float64, p float64) float64, se []float64) {
	reps := d.reps
	R, P := reps.r, len(probs)
	theta := make([]float64, R*len(q))
	var xs, ws, cw []float64
	for rep := 0; rep < R; rep++ {
		wr := d.ReplicateWeights(rep)
		for k := 0; k < nseg; k++ {
			x, rows := seg(k)
			xs, ws = xs[:0], ws[:0]
			for m, i := range rows {
				if wr[i] != 0 {
					xs = append(xs, x[m])
					ws = append(ws, wr[i])
				}
			}
			cw = qsCumsum(ws, cw)
			for j, p := range probs {
				theta[rep*len(q)+k*P+j] = qrule(xs, cw, p)
			}
		}
	}
	for i := range q {
		c := q[i]
		if !reps.mse {
			s, m := 0.0, 0
			for rep := 0; rep < R; rep++ {
				if v := theta[rep*len(q)+i]; !math.IsNaN(v) {
					s += v
					m++
				}
			}
			c = s / float64(m)
		}
		v := 0.0
		for rep := 0; rep < R; rep++ {
			if dv := theta[rep*len(q)+i] - c; !math.IsNaN(dv) {
				v += reps.rscales[rep] * dv * dv
			}
		}
		se[i] = math.Sqrt(reps.scale * v)
	}
}
