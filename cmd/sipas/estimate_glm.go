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

// glmJSON is the JSON output of estimate --glm (CLI.md).
type glmJSON struct {
	Design designJSON `json:"design"`
	Model  glmModel   `json:"model"`
}

type glmModel struct {
	Family       string    `json:"family"`
	Formula      string    `json:"formula"`
	DF           int       `json:"df"`
	N            int       `json:"n"`
	Dropped      int       `json:"dropped"`
	Iterations   int       `json:"iterations"`
	Coefficients []glmCoef `json:"coefficients"`
}

type glmCoef struct {
	Term     string  `json:"term"`
	Estimate jsonNum `json:"estimate"`
	SE       jsonNum `json:"se"`
	T        jsonNum `json:"t"`
	P        jsonNum `json:"p"`
	CILow    jsonNum `json:"ci_low"`
	CIHigh   jsonNum `json:"ci_high"`
}

// runGLM fits the --glm formula on the design of the flags and writes the
// coefficients.
func runGLM(e *env, in, formula string, df *designFlags, format string) error {
	f, err := sampling.ParseFormula(formula)
	if err != nil {
		return usagef("--glm: %v", strings.TrimPrefix(err.Error(), "sampling: "))
	}
	spec, _, level, err := df.resolve(sampling.Wald)
	if err != nil {
		return err
	}
	d, rec, err := df.read(e, in, spec, f.Columns())
	if err != nil {
		return err
	}
	defer rec.Release()
	res, err := d.Logistic(rec, f, &sampling.GLMOptions{Level: level})
	if err != nil {
		return dataError(in, err)
	}
	switch format {
	case "csv":
		return writeGLMCSV(e.stdout, res)
	case "table":
		return writeGLMTable(e.stdout, d, res)
	}
	out := glmJSON{Design: describeDesign(d), Model: glmModel{Family: "quasibinomial", Formula: res.Formula, DF: res.DF,
		N: res.N, Dropped: res.Dropped, Iterations: res.Iterations, Coefficients: make([]glmCoef, len(res.Coef))}}
	for i, c := range res.Coef {
		out.Model.Coefficients[i] = glmCoef{Term: c.Term, Estimate: jsonNum(c.Estimate), SE: jsonNum(c.SE), T: jsonNum(c.T),
			P: jsonNum(c.P), CILow: jsonNum(c.CILow), CIHigh: jsonNum(c.CIHigh)}
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

var glmHead = []string{"term", "estimate", "se", "t", "p", "ci_low", "ci_high"}

func writeGLMCSV(w io.Writer, res *sampling.GLMResult) error {
	return writeCSV(w, glmHead, len(res.Coef), func(i int) []string {
		c := res.Coef[i]
		return []string{c.Term, csvFloat(c.Estimate), csvFloat(c.SE), csvFloat(c.T), csvFloat(c.P), csvFloat(c.CILow), csvFloat(c.CIHigh)}
	})
}

func writeGLMTable(w io.Writer, d *sampling.Design, res *sampling.GLMResult) error {
	fmt.Fprintf(w, "design: %d rows, %d strata, %d PSUs, variance %s\n", d.Rows(), d.NStrata(), d.NPSU(), d.Variance())
	fmt.Fprintf(w, "logistic regression (quasibinomial): %s\n%d rows used, %d with a missing value left out; residual df %d\n\n",
		res.Formula, res.N, res.Dropped, res.DF)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(glmHead, "\t"))
	f := func(v float64) string {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "NA"
		}
		return strconv.FormatFloat(v, 'g', 6, 64)
	}
	for _, c := range res.Coef {
		fmt.Fprintln(tw, strings.Join([]string{c.Term, f(c.Estimate), f(c.SE), f(c.T), f(c.P), f(c.CILow), f(c.CIHigh)}, "\t"))
	}
	return tw.Flush()
}
