package main

import (
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/sampling"
)

// quantileFlag collects --quantile V:P1,P2 (repeatable); its commas
// separate probabilities, not variables.
type quantileFlag []string

func (q *quantileFlag) String() string { return strings.Join(*q, " ") }
func (q *quantileFlag) Set(s string) error {
	*q = append(*q, strings.TrimSpace(s))
	return nil
}

// quantileSpec is one --quantile: a variable and its probabilities.
type quantileSpec struct {
	v     string
	probs []float64
}

// parseQuantiles reads the --quantile values: "V" is the median, "V:P,.."
// the probabilities P in [0, 1].
func parseQuantiles(qs quantileFlag) ([]quantileSpec, error) {
	var out []quantileSpec
	for _, s := range qs {
		v, ps, has := strings.Cut(s, ":")
		v = strings.TrimSpace(v)
		if v == "" {
			return nil, usagef("--quantile: %q names no variable (want V:0.5,0.9)", s)
		}
		spec := quantileSpec{v: v}
		if !has {
			spec.probs = []float64{0.5}
		}
		for _, p := range strings.Split(ps, ",") {
			if !has {
				break
			}
			x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil || !(x >= 0 && x <= 1) {
				return nil, usagef("--quantile %s: %q is not a probability in [0, 1] (want V:0.5,0.9)", s, p)
			}
			spec.probs = append(spec.probs, x)
		}
		out = append(out, spec)
	}
	return out, nil
}

// estimateQuantiles estimates the --quantile specs in their order.
func estimateQuantiles(d *sampling.Design, rec arrow.RecordBatch, specs []quantileSpec, opt *sampling.QuantileOptions) ([]sampling.Quantile, error) {
	var out []sampling.Quantile
	for _, s := range specs {
		q, err := d.Quantiles(rec, []string{s.v}, s.probs, opt)
		if err != nil {
			return nil, err
		}
		out = append(out, q...)
	}
	return out, nil
}
