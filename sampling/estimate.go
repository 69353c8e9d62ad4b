package sampling

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// Estimate is one estimate with its uncertainty.
type Estimate struct {
	// Statistic is StatMean, StatTotal or StatRatio.
	Statistic Statistic
	// Variable is the column, or "NUM/DEN" for a ratio.
	Variable string
	// Domain is empty for the whole population, else the values of the by
	// columns, in their order.
	Domain []DomainValue
	// Estimate, SE and the interval; NaN when undefined (an empty domain).
	Estimate, SE, CILow, CIHigh float64
	// N is the unweighted number of rows behind the estimate (zero-weight
	// rows included).
	N int
	// Deff is the design effect: against sampling with replacement (R's
	// deff = "replace"), or without (R's deff = TRUE) with
	// EstimateOptions.DeffWOR.
	Deff float64
	// Flag is FlagFewPSU when the domain lies in fewer than 2 PSUs (SE,
	// interval and design effect NaN), FlagBoundary for a share (see
	// EstimateOptions.CI) of exactly 0 or 1 with SE 0, FlagLowPSU when the
	// domain has fewer than LowPSU PSUs, else "" (the first that applies).
	Flag string
	// DF is the degrees of freedom of the interval: the design's, or the
	// domain's with EstimateOptions.DF = DFDomain.
	DF int
	// PSUs is the number of PSUs holding a row of the domain (with nonzero
	// weight). Below 2 the SE is undefined (FlagFewPSU), below LowPSU it is
	// unstable (FlagLowPSU).
	PSUs int
}

// EstimateOptions are the settings of Mean, Total, Ratio and Estimates. The
// zero value (and nil) means no domains, Wald intervals at 95 %.
type EstimateOptions struct {
	// By are the domain columns; empty: the whole population.
	By []string
	// CI is the interval method of shares; other estimates get Wald. A
	// share is decided by the variable, not by the value: the mean of a
	// variable whose observed values all lie in [0, 1], or the ratio of a
	// 0/1 indicator y over a different 0/1 indicator x with y ∈ {0, x} (a
	// subpopulation's share). A share of 0 or 1 with SE 0 gets the
	// boundary interval (ConfidenceInterval); a total, a ratio x/x, or a
	// mean of other values with SE 0 gets [est, est], as R's confint.
	CI CIMethod
	// Level is the confidence level (0: 0.95).
	Level float64
	// DF selects the degrees of freedom of the intervals: the design's
	// (default), each domain's own (DFDomain) or the normal quantile
	// (DFNormal).
	DF DFRule
	// DeffWOR gives design effects against simple random sampling without
	// replacement (RatioResult.DeffWOR) instead of with replacement.
	DeffWOR bool
}

// Statistic is the kind of an estimate. Its values are the strings
// "mean", "total" and "ratio", so it prints and encodes as those.
type Statistic string

const (
	// StatMean is the mean Σ w y / Σ w over the rows where y is present.
	StatMean Statistic = "mean"
	// StatTotal is the total Σ w y.
	StatTotal Statistic = "total"
	// StatRatio is the ratio Σ w y / Σ w x over the rows where both are
	// present.
	StatRatio Statistic = "ratio"
)

// Estimand names one estimate for Estimates.
type Estimand struct {
	// Statistic is StatMean, StatTotal or StatRatio.
	Statistic Statistic
	// Num is the variable (numerator of a ratio); Den the denominator of a
	// ratio.
	Num, Den string
}

// EstimandColumns are the columns the estimands est read, in order: each
// one's Num, and its Den for a ratio (repeats kept).
func EstimandColumns(est []Estimand) []string {
	var cols []string
	for _, e := range est {
		cols = append(cols, e.Num)
		if e.Den != "" {
			cols = append(cols, e.Den)
		}
	}
	return cols
}

// name is the Variable of e's estimates: the column, or "NUM/DEN".
func (e Estimand) name() string {
	if e.Statistic == StatRatio {
		return e.Num + "/" + e.Den
	}
	return e.Num
}

// Mean estimates the mean of every column of vars, as R svymean(~v,
// na.rm = TRUE) for each v separately: each variable drops only its own
// missing rows (the mean is the ratio Σ w y v / Σ w v with v the validity).
func (d *Design) Mean(rec arrow.RecordBatch, vars []string, opt *EstimateOptions) ([]Estimate, error) {
	e := make([]Estimand, len(vars))
	for i, v := range vars {
		e[i] = Estimand{Statistic: StatMean, Num: v}
	}
	return d.Estimates(rec, e, opt)
}

// Total estimates the total Σ w y of every column of vars (missing values
// left out, as R svytotal(~v, na.rm = TRUE)).
func (d *Design) Total(rec arrow.RecordBatch, vars []string, opt *EstimateOptions) ([]Estimate, error) {
	e := make([]Estimand, len(vars))
	for i, v := range vars {
		e[i] = Estimand{Statistic: StatTotal, Num: v}
	}
	return d.Estimates(rec, e, opt)
}

// Ratio estimates the ratios Σ w y / Σ w x of num[i] over den[i] on the
// rows where both are present (R svyratio(na.rm = TRUE)).
func (d *Design) Ratio(rec arrow.RecordBatch, num, den []string, opt *EstimateOptions) ([]Estimate, error) {
	if len(num) != len(den) {
		panic("sampling: Ratio: numerators and denominators differ in number")
	}
	e := make([]Estimand, len(num))
	for i := range num {
		e[i] = Estimand{Statistic: StatRatio, Num: num[i], Den: den[i]}
	}
	return d.Estimates(rec, e, opt)
}

// estColumn reads a numeric column of rec as values and validity (NaN
// counts as missing). An infinite value, or one whose product with the
// weights' sum could overflow the variance's sums of squares, is an error
// naming its row.
func estColumn(rec arrow.RecordBatch, name string, wsum float64) ([]float64, []bool, error) {
	col, err := desColumn(rec, "variable", name)
	if err != nil {
		return nil, nil, err
	}
	v, valid, err := arrowio.Float64s(col)
	if err != nil {
		return nil, nil, fmt.Errorf("sampling: variable column %q: %w", name, err)
	}
	limit := maxMagnitude / max(wsum, 1)
	for i, x := range v {
		if (valid == nil || valid[i]) && math.Abs(x) > limit {
			if math.IsInf(x, 0) {
				return nil, nil, fmt.Errorf("sampling: variable column %q: row %d: value %v is not finite", name, i+1, x)
			}
			return nil, nil, fmt.Errorf("sampling: variable column %q: row %d: value %g is too large: times the weights' sum (%g) its square overflows (values must be within ±%.3g)", name, i+1, x, wsum, limit)
		}
		if math.IsNaN(x) {
			if valid == nil {
				valid = make([]bool, len(v))
				for j := range valid {
					valid[j] = true
				}
			}
			valid[i] = false
			v[i] = 0
		}
	}
	return v, valid, nil
}

// Estimates computes several means, totals and ratios in every domain with
// one pass of the variance engine (EstimateRatios). Results come domain by
// domain (domains sorted by their values), and within a domain in the
// order of est. rec must be the table the design was built from (same
// rows; another number of rows is an error).
func (d *Design) Estimates(rec arrow.RecordBatch, est []Estimand, opt *EstimateOptions) ([]Estimate, error) {
	var o EstimateOptions
	if opt != nil {
		o = *opt
	}
	r, dm, names, share, err := d.estRatios(rec, est, o.By)
	if err != nil {
		return nil, err
	}
	return d.estimatesOf(r, dm, est, names, share, &o, nil)
}

// estimatesOf is Estimates on the Ratios r (domains dm) of est: one pass of
// the variance engine, then each estimate's interval, flags and PSUs. fix,
// when set, corrects the engine's result before that (counts and design
// effects of a design whose rows are cells).
func (d *Design) estimatesOf(r *Ratios, dm *Domains, est []Estimand, names []string, share []bool, opt *EstimateOptions, fix func(*RatioResult)) ([]Estimate, error) {
	o := *opt
	K := len(est)
	res, err := d.EstimateRatios(r)
	if err != nil {
		return nil, err
	}
	if fix != nil {
		fix(res)
	}
	G := 1
	if r.Domain != nil {
		G = r.NDomains
	}
	out := make([]Estimate, 0, G*K)
	dfs := make([]int, G)
	for g := range dfs {
		dfs[g] = o.DF.Of(res.DF)
	}
	if o.DF == DFDomain && r.Domain != nil {
		dfs = d.DomainDF(r.Domain, G)
	}
	psus := []int{d.NPSU()}
	if r.Domain != nil {
		psus = d.DomainPSUs(r.Domain, G)
	}
	var likLo, likHi []float64
	if o.CI == Likelihood {
		likLo, likHi = d.LikelihoodIntervals(r, res, share, 1, dfs, o.Level)
	}
	for g := 0; g < G; g++ {
		var labels []DomainValue
		if len(o.By) > 0 {
			labels = dm.Labels(g)
		}
		for k, e := range est {
			i := res.Index(g, k)
			es := Estimate{Statistic: e.Statistic, Variable: names[k], Domain: labels,
				Estimate: res.Est[i], SE: res.SE[i], N: res.N[i], Deff: res.Deff[i], DF: dfs[g]}
			if o.DeffWOR {
				es.Deff = res.DeffWOR[i]
			}
			switch {
			case !share[k]:
				// not a share: Wald, and an SE of 0 is an interval of 0
				es.CILow, es.CIHigh = ConfidenceInterval(Wald, es.Estimate, es.SE, es.N, es.DF, o.Level)
			case IsBoundary(es.Estimate, es.SE):
				es.CILow, es.CIHigh = ConfidenceInterval(Beta, es.Estimate, es.SE, es.N, es.DF, o.Level)
				es.Flag = FlagBoundary
				es.Deff = math.NaN() // 0/0: both variances are rounding noise
			case o.CI == Likelihood && es.Estimate > 0 && es.Estimate < 1:
				es.CILow, es.CIHigh = likLo[i], likHi[i]
			default:
				es.CILow, es.CIHigh = res.ShareInterval(i, o.CI, 1, es.DF, o.Level)
			}
			es.PSUs = psus[g]
			fewPSU(&es.SE, &es.CILow, &es.CIHigh, &es.Deff, &es.Flag, es.PSUs)
			out = append(out, es)
		}
	}
	return out, nil
}

// estRatios builds the Ratios of est (domains by the columns by) for
// EstimateRatios, with each estimand's name and whether it is a share
// (EstimateOptions.CI).
func (d *Design) estRatios(rec arrow.RecordBatch, est []Estimand, by []string) (r *Ratios, dm *Domains, names []string, share []bool, err error) {
	if int(rec.NumRows()) != d.n {
		return nil, nil, nil, nil, fmt.Errorf("sampling: the table has %d rows but the design %d; estimate on the table the design was built from", rec.NumRows(), d.n)
	}
	dm, err = NewDomains(rec, by)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	K := len(est)
	r = &Ratios{Num: make([][]float64, K), Den: make([][]float64, K), Valid: make([][]bool, K)}
	if len(by) > 0 {
		r.Domain, r.NDomains = dm.Code, dm.Len()
	}
	cache := map[string][2]any{}
	read := func(name string) ([]float64, []bool, error) {
		if c, ok := cache[name]; ok {
			return c[0].([]float64), c[1].([]bool), nil
		}
		v, valid, err := estColumn(rec, name, d.wsum)
		if err != nil {
			return nil, nil, err
		}
		cache[name] = [2]any{v, valid}
		return v, valid, nil
	}
	names = make([]string, K)
	share = make([]bool, K)
	for k, e := range est {
		y, vy, err := read(e.Num)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		names[k] = e.name()
		switch e.Statistic {
		case StatMean, StatTotal:
			num := y
			if vy != nil {
				num = make([]float64, d.n) // y is already 0 where missing
				copy(num, y)
			}
			r.Num[k] = num
			valid := vy
			if valid == nil {
				valid = make([]bool, d.n)
				for i := range valid {
					valid[i] = true
				}
			}
			r.Valid[k] = valid
			if e.Statistic == StatMean {
				share[k] = estInUnit(y, valid)
				x := make([]float64, d.n)
				for i, ok := range valid {
					if ok {
						x[i] = 1
					}
				}
				r.Den[k] = x
			}
		case StatRatio:
			x, vx, err := read(e.Den)
			if err != nil {
				return nil, nil, nil, nil, err
			}
			num := make([]float64, d.n)
			den := make([]float64, d.n)
			valid := make([]bool, d.n)
			for i := range valid {
				ok := (vy == nil || vy[i]) && (vx == nil || vx[i])
				valid[i] = ok
				if ok {
					num[i], den[i] = y[i], x[i]
				}
			}
			r.Num[k], r.Den[k], r.Valid[k] = num, den, valid
			share[k] = e.Num != e.Den && estSubShare(num, den, valid)
		default:
			panic(fmt.Sprintf("sampling: Estimates: unknown statistic %q", e.Statistic))
		}
	}
	return r, dm, names, share, nil
}

// estInUnit reports whether every observed value lies in [0, 1]: the mean
// of such a variable is a share (R svyciprop's quasibinomial accepts it).
func estInUnit(y []float64, valid []bool) bool {
	for i, v := range y {
		if (valid == nil || valid[i]) && (v < 0 || v > 1) {
			return false
		}
	}
	return true
}

// estSubShare reports whether the ratio Σ w y / Σ w x is the share of a
// subpopulation: x a 0/1 indicator and y ∈ {0, x} wherever both are
// observed (y flags a part of the rows x flags).
func estSubShare(y, x []float64, valid []bool) bool {
	for i, ok := range valid {
		if ok && ((x[i] != 0 && x[i] != 1) || (y[i] != 0 && y[i] != x[i])) {
			return false
		}
	}
	return true
}
