package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/sipas-go/sipas/sampling"
)

func init() {
	c := &command{
		name:    "estimate",
		usage:   "--in FILE|--from-sums SUMS [design flags] [--mean V,..] [--total V,..] [--ratio NUM/DEN,..] [--var V,..] [--quantile V:P,..] [--by V,..] [--deff replace|srswor] [--contrast \"A - B\"|pairs] [--sums-out SUMS] | --sums-sql TABLE [design flags] [--mean V,..] .. | --glm \"Y ~ A + B\" [--format json|csv|table] [--out FILE]",
		summary: "design-based means, totals and ratios with standard errors",
	}
	c.run = func(e *env, args []string) error { return runEstimate(e, c, args) }
	register(c)
}

// estimateJSON is the JSON output of estimate (CLI.md).
type estimateJSON struct {
	Design designJSON `json:"design"`
	runNotes
	Estimates []estimateItem `json:"estimates"`
}

type estimateItem struct {
	Statistic string     `json:"statistic"`
	Variable  string     `json:"variable"`
	Domain    domainJSON `json:"domain"`
	// P is the probability of a quantile (statistic "quantile").
	P *float64 `json:"p,omitempty"`
	estimateCols
}

func runEstimate(e *env, c *command, args []string) error {
	fs := newFlagSet(e, c)
	e.tableFlags(fs)
	in := fs.String("in", "", "input table (CSV, Parquet, Arrow IPC; - for stdin, any of these)")
	df := addDesignFlags(fs)
	df.prov = addProvinceFlags(fs)
	var means, totals, ratios, vars, by listFlag
	fs.Var(&means, "mean", "variables whose means to estimate (comma-separated or repeated)")
	fs.Var(&totals, "total", "variables whose totals to estimate")
	fs.Var(&vars, "var", "variables whose population variances to estimate (R svyvar; linearization designs)")
	fs.Var(&ratios, "ratio", "ratios NUM/DEN to estimate")
	fs.Var(&by, "by", "domain columns (estimates per combination of their values)")
	deff := fs.String("deff", "replace", "design effect against simple random sampling with replacement (replace, R's deff = \"replace\") or without (srswor, R's deff = TRUE)")
	var quantiles quantileFlag
	fs.Var(&quantiles, "quantile", "quantiles V:P,.. to estimate, e.g. wait:0.5,0.9 (repeatable; V alone: the median)")
	qrule := fs.String("qrule", "math", "quantile rule: math (R svyquantile's default) or hf7")
	qci := fs.String("quantile-ci", "woodruff", "quantile intervals: woodruff, or replicate (the quantile recomputed per replicate; replicate designs)")
	var contrasts listFlag
	fs.Var(&contrasts, "contrast", "contrasts between --by domains, e.g. \"A - B\", \"0.5*A + 0.5*B - C\", or pairs (every pair); repeatable")
	glm := fs.String("glm", "", "fit a design-based logistic regression \"Y ~ A + B + factor(C)\" (R svyglm, quasibinomial) instead of estimates")
	format := addFormatFlag(e, fs)
	sf := addEstimateSumsFlags(fs)
	if err := parseFlags(e, c, fs, args); err != nil {
		return err
	}
	switch {
	case sf.from != "" && *in != "":
		return usagef("--in and --from-sums exclude each other: the sums table replaces the rows")
	case sf.from == "" && sf.sql == "" && *in == "":
		return usagef("--in is required")
	}
	if *glm != "" {
		if len(means)+len(totals)+len(ratios)+len(vars)+len(quantiles)+len(by)+len(contrasts) > 0 {
			return usagef("--glm excludes --mean, --total, --ratio, --var, --quantile, --by and --contrast")
		}
		if sf.from != "" || sf.sql != "" || sf.out != "" {
			return usagef("--glm excludes --sums-out, --from-sums and --sums-sql: a regression needs every row")
		}
		if err := checkFormat(*format); err != nil {
			return err
		}
		if sf.wantStream(*in) {
			fmt.Fprintf(e.stderr, "sipas estimate: reading %s into memory (not streamed: a regression needs every row)\n", displayName(*in))
		}
		return runGLM(e, *in, *glm, df, *format)
	}
	if *deff != "replace" && *deff != "srswor" {
		return usagef("--deff: %q is not one of replace, srswor", *deff)
	}
	if len(means)+len(totals)+len(ratios)+len(vars)+len(quantiles) == 0 {
		return usagef("nothing to estimate: give --mean, --total, --ratio, --var, --quantile or --glm")
	}
	qspecs, err := parseQuantiles(quantiles)
	if err != nil {
		return err
	}
	qopt := &sampling.QuantileOptions{By: by}
	if qopt.Rule, err = sampling.ParseQuantileRule(*qrule); err != nil {
		return usagef("--qrule: %q is not one of math, hf7", *qrule)
	}
	if qopt.Interval, err = sampling.ParseQuantileInterval(*qci); err != nil {
		return usagef("--quantile-ci: %q is not one of woodruff, replicate", *qci)
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	spec, method, level, err := df.resolve(sampling.Wald)
	if err != nil {
		return err
	}
	var ests []sampling.Estimand
	var cols []string
	for _, v := range means {
		ests = append(ests, sampling.Estimand{Statistic: "mean", Num: v})
		cols = append(cols, v)
	}
	for _, v := range totals {
		ests = append(ests, sampling.Estimand{Statistic: "total", Num: v})
		cols = append(cols, v)
	}
	for _, r := range ratios {
		num, den, ok := strings.Cut(r, "/")
		if !ok || num == "" || den == "" || strings.Contains(den, "/") {
			return usagef("--ratio: %q is not NUM/DEN", r)
		}
		ests = append(ests, sampling.Estimand{Statistic: "ratio", Num: num, Den: den})
		cols = append(cols, num, den)
	}
	cols = append(cols, vars...)
	for _, q := range qspecs {
		cols = append(cols, q.v)
	}
	cols = append(cols, by...)
	if len(contrasts) > 0 {
		if len(quantiles) > 0 {
			return usagef("--contrast excludes --quantile")
		}
		if len(by) == 0 || len(ests) == 0 {
			return usagef("--contrast needs --by and a --mean, --total or --ratio: it contrasts their estimates in the domains")
		}
	}
	for _, f := range []struct{ name, val string }{{"--sums-sql", sf.sql}, {"--from-sums", sf.from}, {"--sums-out", sf.out}} {
		if f.val == "" {
			continue
		}
		if err := estimateSumsRefused(f.name, len(quantiles), len(vars), method, len(contrasts)); err != nil {
			return err
		}
	}
	eopt := &sampling.EstimateOptions{By: by, CI: method, Level: level, DF: df.dfr, DeffWOR: *deff == "srswor"}
	switch {
	case sf.sql != "":
		return estimateSumsSQL(e, df, *in, sf.sql, spec, by, ests)
	case sf.from != "":
		return estimateFromSums(e, sf, df, spec, ests, contrasts, eopt, *format)
	}
	remove, err := e.spoolIn(in)
	if err != nil {
		return err
	}
	defer remove()
	yc, err := df.prov.yearColumn(*in, by, df.strata)
	if err != nil {
		return err
	}
	cols = append(cols, yc...)
	notes := &runNotes{}
	df.provUsed, df.notes = by, notes
	if sf.out != "" || sf.wantStream(*in) {
		var why string
		switch {
		case len(quantiles) > 0:
			why = "a quantile needs every value"
		case len(vars) > 0:
			why = "a population variance needs every row"
		case method == sampling.Likelihood && len(contrasts) == 0:
			why = "the likelihood interval profiles every row"
		}
		if done, err := estimateStreamed(e, sf, df, *in, spec, ests, contrasts, eopt, *format, notes, why); done {
			return err
		}
	}
	d, rec, err := df.read(e, *in, spec, cols)
	if err != nil {
		return err
	}
	defer rec.Release()
	if len(contrasts) > 0 {
		dm, err := sampling.NewDomains(rec, by)
		if err != nil {
			return dataError(*in, err)
		}
		return runContrasts(e, describeDesign(d), dm, *in, ests, contrasts, level, *format, func(cs [][]sampling.DomainCoef, o *sampling.EstimateOptions) ([]sampling.ContrastEstimate, error) {
			return d.EstimateContrasts(rec, ests, cs, o)
		})
	}
	var res []sampling.Estimate
	if len(ests) > 0 {
		if res, err = d.Estimates(rec, ests, eopt); err != nil {
			return dataError(*in, err)
		}
	}
	if len(vars) > 0 {
		pv, err := d.PopVariance(rec, vars, eopt)
		if err != nil {
			return dataError(*in, err)
		}
		res = append(res, pv...)
	}
	var ps []float64 // the probability of each quantile row, NaN for the others
	if len(qspecs) > 0 {
		qopt.Level = level
		qs, err := estimateQuantiles(d, rec, qspecs, qopt)
		if err != nil {
			return dataError(*in, err)
		}
		ps = make([]float64, len(res), len(res)+len(qs))
		for i := range ps {
			ps[i] = math.NaN()
		}
		for _, q := range qs {
			res = append(res, q.Estimate)
			ps = append(ps, q.P)
		}
	}
	return writeEstimates(e, *format, describeDesign(d), by, res, ps, notes)
}

// writeEstimates writes the estimates res (quantiles' probabilities ps,
// nil without quantiles) of a design described by dj in format.
func writeEstimates(e *env, format string, dj designJSON, by []string, res []sampling.Estimate, ps []float64, notes *runNotes) error {
	switch format {
	case "csv":
		return writeEstimatesCSV(e.stdout, by, res, ps)
	case "table":
		return writeEstimatesTable(e.stdout, dj, by, res, ps)
	}
	out := estimateJSON{Design: dj, runNotes: *notes, Estimates: make([]estimateItem, len(res))}
	for i, r := range res {
		out.Estimates[i] = estimateItem{Statistic: string(r.Statistic), Variable: r.Variable, Domain: domainJSON(r.Domain),
			estimateCols: estimateCols{Estimate: jsonNum(r.Estimate), SE: jsonNum(r.SE), CILow: jsonNum(r.CILow), CIHigh: jsonNum(r.CIHigh),
				N: r.N, Deff: jsonNum(r.Deff), Flag: r.Flag, DF: r.DF, PSUs: r.PSUs}}
		if ps != nil && !math.IsNaN(ps[i]) {
			out.Estimates[i].P = &ps[i]
		}
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func estUnique(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// estP is the p column of row i: the quantile's probability, empty for
// other rows; nil ps: no such column.
func estP(ps []float64, i int) []string {
	switch {
	case ps == nil:
		return nil
	case math.IsNaN(ps[i]):
		return []string{""}
	}
	return []string{strconv.FormatFloat(ps[i], 'g', -1, 64)}
}

// estHead is the header of the CSV and table outputs: the p column only
// with quantiles.
func estHead(by []string, ps []float64) []string {
	head := []string{"statistic", "variable"}
	if ps != nil {
		head = append(head, "p")
	}
	head = append(head, by...)
	return append(head, "estimate", "se", "ci_low", "ci_high", "n", "deff", "flag")
}

func writeEstimatesCSV(w io.Writer, by []string, res []sampling.Estimate, ps []float64) error {
	return writeCSV(w, estHead(by, ps), len(res), func(i int) []string {
		r := res[i]
		row := append([]string{string(r.Statistic), r.Variable}, estP(ps, i)...)
		for _, dv := range r.Domain {
			row = append(row, dv.Value)
		}
		return append(row, csvFloat(r.Estimate), csvFloat(r.SE), csvFloat(r.CILow), csvFloat(r.CIHigh),
			strconv.Itoa(r.N), csvFloat(r.Deff), r.Flag)
	})
}

func writeEstimatesTable(w io.Writer, d designJSON, by []string, res []sampling.Estimate, ps []float64) error {
	fmt.Fprintf(w, "design: %d rows, %d strata, %d PSUs, df %d, variance %s, weights sum %s\n\n",
		d.Rows, d.Strata, d.PSUs, d.DF, d.Variance, csvFloat(float64(d.WeightsSum)))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(estHead(by, ps), "\t"))
	for i, r := range res {
		row := append([]string{string(r.Statistic), r.Variable}, estP(ps, i)...)
		for _, dv := range r.Domain {
			row = append(row, dv.Value)
		}
		row = append(row, estNum(r.Estimate), estNum(r.SE), estNum(r.CILow), estNum(r.CIHigh), strconv.Itoa(r.N), estNum(r.Deff), r.Flag)
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// estCell formats a float for CSV: shortest round-trip, empty for null.
