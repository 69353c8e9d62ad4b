package sampling

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
)

// StatVar is the statistic of PopVariance.
const StatVar Statistic = "var"

// PopVariance estimates the population variance of each column of vars,
// as R svyvar(~v, design, na.rm = TRUE) (survey 4.1), by domain as
// svyby(~v, ~by, design, svyvar, na.rm = TRUE):
//
//	S² = n/(n − 1) · Σ w (y − ȳ)² / Σ w
//
// over the rows where y is present, ȳ the weighted mean there and n the
// number of rows with a nonzero weight in the design (or domain), missing
// y included, as R counts them. Its standard error is that of the mean of
// u = n/(n − 1)(y − ȳ)² with ȳ held at its estimate, from the one variance
// engine (R's). Replicate designs are not supported: R recomputes ȳ in
// every replicate. Intervals are Wald; Deff is NaN. A domain in fewer than
// two PSUs has SE and interval NaN and FlagFewPSU (one PSU gives an SE of
// rounding noise, 5e-16, and an interval of zero width), fewer than
// LowPSU FlagLowPSU, as for Estimate.
func (d *Design) PopVariance(rec arrow.RecordBatch, vars []string, opt *EstimateOptions) ([]Estimate, error) {
	var o EstimateOptions
	if opt != nil {
		o = *opt
	}
	if d.reps != nil {
		return nil, fmt.Errorf("sampling: %w: the population variance needs a linearization design (R recomputes the mean in every replicate)", ErrBadDesign)
	}
	means, err := d.Mean(rec, vars, &EstimateOptions{By: o.By})
	if err != nil {
		return nil, err
	}
	dm, err := NewDomains(rec, o.By)
	if err != nil {
		return nil, err
	}
	G := 1
	var code []int32
	if len(o.By) > 0 {
		G, code = dm.Len(), dm.Code
	}
	// rows with a nonzero weight per domain
	nw := make([]float64, G)
	for i, w := range d.w {
		g := 0
		if code != nil {
			g = int(code[i])
		}
		if g >= 0 && w != 0 {
			nw[g]++
		}
	}
	K := len(vars)
	r := &Ratios{Num: make([][]float64, K), Den: make([][]float64, K), Valid: make([][]bool, K), Domain: code, NDomains: G}
	if code == nil {
		r.NDomains = 0
	}
	for k, v := range vars {
		y, valid, err := estColumn(rec, v, d.wsum)
		if err != nil {
			return nil, err
		}
		u := make([]float64, d.n)
		x := make([]float64, d.n)
		ok := make([]bool, d.n)
		for i := range u {
			if valid != nil && !valid[i] {
				continue
			}
			g := 0
			if code != nil {
				g = int(code[i])
			}
			if g < 0 {
				continue
			}
			m := means[g*K+k].Estimate
			dv := y[i] - m
			u[i] = nw[g] / (nw[g] - 1) * dv * dv
			x[i], ok[i] = 1, true
		}
		r.Num[k], r.Den[k], r.Valid[k] = u, x, ok
	}
	res, err := d.EstimateRatios(r)
	if err != nil {
		return nil, err
	}
	dfs := make([]int, G)
	for g := range dfs {
		dfs[g] = o.DF.Of(res.DF)
	}
	if o.DF == DFDomain && code != nil {
		dfs = d.DomainDF(code, G)
	}
	psus := []int{d.NPSU()}
	if code != nil {
		psus = d.DomainPSUs(code, G)
	}
	out := make([]Estimate, 0, G*K)
	for g := 0; g < G; g++ {
		var labels []DomainValue
		if code != nil {
			labels = dm.Labels(g)
		}
		for k, v := range vars {
			i := res.Index(g, k)
			e := Estimate{Statistic: StatVar, Variable: v, Domain: labels, Estimate: res.Est[i], SE: res.SE[i],
				N: res.N[i], Deff: math.NaN(), DF: dfs[g]}
			e.CILow, e.CIHigh = ConfidenceInterval(Wald, e.Estimate, e.SE, e.N, e.DF, o.Level)
			e.PSUs = psus[g]
			fewPSU(&e.SE, &e.CILow, &e.CIHigh, &e.Deff, &e.Flag, e.PSUs)
			out = append(out, e)
		}
	}
	return out, nil
}
