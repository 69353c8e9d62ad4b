package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/sipas-go/sipas/sampling"
)

func init() {
	c := &command{
		name:    "estimate",
		usage:   "--in FILE [design flags] [--mean V,..] [--total V,..] [--ratio NUM/DEN,..] [--var V,..] [--by V,..] [--deff replace|srswor] [--contrast \"A - B\"|pairs] | --glm \"Y ~ A + B\" [--format json|csv|table]",
		summary: "design-based means, totals and ratios with standard errors",
	}
	c.run = func(e *env, args []string) error { return runEstimate(e, c, args) }
	register(c)
}

// estimateJSON is the JSON output of estimate (CLI.md).
type estimateJSON struct {
	Design    designJSON     `json:"design"`
	Estimates []estimateItem `json:"estimates"`
}

type estimateItem struct {
	Statistic string     `json:"statistic"`
	Variable  string     `json:"variable"`
	Domain    domainJSON `json:"domain"`
	estimateCols
}

func runEstimate(e *env, c *command, args []string) error {
	fs := newFlagSet(e, c)
	in := fs.String("in", "", "input table (CSV, Parquet, Arrow IPC; - for CSV on stdin)")
	df := addDesignFlags(fs)
	var means, totals, ratios, vars, by listFlag
	fs.Var(&means, "mean", "variables whose means to estimate (comma-separated or repeated)")
	fs.Var(&totals, "total", "variables whose totals to estimate")
	fs.Var(&vars, "var", "variables whose population variances to estimate (R svyvar; linearization designs)")
	fs.Var(&ratios, "ratio", "ratios NUM/DEN to estimate")
	fs.Var(&by, "by", "domain columns (estimates per combination of their values)")
	deff := fs.String("deff", "replace", "design effect against simple random sampling with replacement (replace, R's deff = \"replace\") or without (srswor, R's deff = TRUE)")
	var contrasts listFlag
	fs.Var(&contrasts, "contrast", "contrasts between --by domains, e.g. \"A - B\", \"0.5*A + 0.5*B - C\", or pairs (every pair); repeatable")
	glm := fs.String("glm", "", "fit a design-based logistic regression \"Y ~ A + B + factor(C)\" (R svyglm, quasibinomial) instead of estimates")
	format := addFormatFlag(fs)
	if err := parseFlags(e, c, fs, args); err != nil {
		return err
	}
	if *in == "" {
		return usagef("--in is required")
	}
	if *glm != "" {
		if len(means)+len(totals)+len(ratios)+len(vars)+len(by)+len(contrasts) > 0 {
			return usagef("--glm excludes --mean, --total, --ratio, --var, --by and --contrast")
		}
		if err := checkFormat(*format); err != nil {
			return err
		}
		return runGLM(e, *in, *glm, df, *format)
	}
	if *deff != "replace" && *deff != "srswor" {
		return usagef("--deff: %q is not one of replace, srswor", *deff)
	}
	if len(means)+len(totals)+len(ratios)+len(vars) == 0 {
		return usagef("nothing to estimate: give --mean, --total, --ratio, --var or --glm")
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
	cols = append(cols, by...)
	d, rec, err := df.read(e, *in, spec, cols)
	if err != nil {
		return err
	}
	defer rec.Release()
	if len(contrasts) > 0 {
		if len(by) == 0 || len(ests) == 0 {
			return usagef("--contrast needs --by and a --mean, --total or --ratio: it contrasts their estimates in the domains")
		}
		return runContrasts(e, d, rec, *in, ests, by, contrasts, level, *format)
	}
	eopt := &sampling.EstimateOptions{By: by, CI: method, Level: level, DF: df.dfr, DeffWOR: *deff == "srswor"}
	var res []sampling.Estimate
	if len(ests) > 0 {
		if res, err = d.Estimates(rec, ests, eopt); err != nil {
			return badInput(fmt.Errorf("%s: %w", displayName(*in), err))
		}
	}
	if len(vars) > 0 {
		pv, err := d.PopVariance(rec, vars, eopt)
		if err != nil {
			return badInput(fmt.Errorf("%s: %w", displayName(*in), err))
		}
		res = append(res, pv...)
	}
	switch *format {
	case "csv":
		return writeEstimatesCSV(e.stdout, by, res)
	case "table":
		return writeEstimatesTable(e.stdout, d, by, res)
	}
	out := estimateJSON{Design: describeDesign(d), Estimates: make([]estimateItem, len(res))}
	for i, r := range res {
		out.Estimates[i] = estimateItem{Statistic: string(r.Statistic), Variable: r.Variable, Domain: domainJSON(r.Domain),
			estimateCols: estimateCols{Estimate: jsonNum(r.Estimate), SE: jsonNum(r.SE), CILow: jsonNum(r.CILow), CIHigh: jsonNum(r.CIHigh),
				N: r.N, Deff: jsonNum(r.Deff), Flag: r.Flag, DF: r.DF, PSUs: r.PSUs}}
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

func writeEstimatesCSV(w io.Writer, by []string, res []sampling.Estimate) error {
	head := append([]string{"statistic", "variable"}, by...)
	head = append(head, "estimate", "se", "ci_low", "ci_high", "n", "deff", "flag")
	return writeCSV(w, head, len(res), func(i int) []string {
		r := res[i]
		row := []string{string(r.Statistic), r.Variable}
		for _, dv := range r.Domain {
			row = append(row, dv.Value)
		}
		return append(row, csvFloat(r.Estimate), csvFloat(r.SE), csvFloat(r.CILow), csvFloat(r.CIHigh),
			strconv.Itoa(r.N), csvFloat(r.Deff), r.Flag)
	})
}

func writeEstimatesTable(w io.Writer, d *sampling.Design, by []string, res []sampling.Estimate) error {
	fmt.Fprintf(w, "design: %d rows, %d strata, %d PSUs, df %d, variance %s, weights sum %s\n\n",
		d.Rows(), d.NStrata(), d.NPSU(), d.DF(), d.Variance(), csvFloat(d.WeightsSum()))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := append([]string{"statistic", "variable"}, by...)
	head = append(head, "estimate", "se", "ci_low", "ci_high", "n", "deff", "flag")
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, r := range res {
		row := []string{string(r.Statistic), r.Variable}
		for _, dv := range r.Domain {
			row = append(row, dv.Value)
		}
		row = append(row, estNum(r.Estimate), estNum(r.SE), estNum(r.CILow), estNum(r.CIHigh), strconv.Itoa(r.N), estNum(r.Deff), r.Flag)
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// estCell formats a float for CSV: shortest round-trip, empty for null.
