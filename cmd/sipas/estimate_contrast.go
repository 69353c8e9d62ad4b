package main

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/sipas-go/sipas/sampling"
)

// contrastJSON is the JSON output of estimate --contrast (CLI.md).
type contrastJSON struct {
	Design    designJSON     `json:"design"`
	Contrasts []contrastItem `json:"contrasts"`
}

type contrastItem struct {
	Statistic string  `json:"statistic"`
	Variable  string  `json:"variable"`
	Contrast  string  `json:"contrast"`
	Estimate  jsonNum `json:"estimate"`
	SE        jsonNum `json:"se"`
	CILow     jsonNum `json:"ci_low"`
	CIHigh    jsonNum `json:"ci_high"`
	P         jsonNum `json:"p_value"`
	DF        int     `json:"df"`
}

// runContrasts estimates, through estimate, the --contrast expressions
// between the --by domains dm for every estimand and writes them (the
// design described by dj).
func runContrasts(e *env, dj designJSON, dm *sampling.Domains, in string, ests []sampling.Estimand, exprs []string,
	level float64, format string, estimate func([][]sampling.DomainCoef, *sampling.EstimateOptions) ([]sampling.ContrastEstimate, error)) error {
	labels := make([]string, dm.Len())
	for g := range labels {
		labels[g] = contrastLabel(dm.Labels(g))
	}
	var cs [][]sampling.DomainCoef
	var names []string
	for _, x := range exprs {
		if strings.EqualFold(strings.TrimSpace(x), "pairs") {
			for a := 0; a < len(labels); a++ {
				for b := a + 1; b < len(labels); b++ {
					cs = append(cs, []sampling.DomainCoef{{Domain: a, Coef: 1}, {Domain: b, Coef: -1}})
					names = append(names, labels[a]+" - "+labels[b])
				}
			}
			continue
		}
		c, err := parseContrast(x, labels)
		if err != nil {
			return usagef("--contrast %q: %v", x, err)
		}
		cs = append(cs, c)
		names = append(names, strings.TrimSpace(x))
	}
	res, err := estimate(cs, &sampling.EstimateOptions{By: dm.Columns, Level: level})
	if err != nil {
		return badInput(fmt.Errorf("%s: %w", displayName(in), err))
	}
	head := []string{"statistic", "variable", "contrast", "estimate", "se", "ci_low", "ci_high", "p_value", "df"}
	switch format {
	case "csv":
		return writeCSV(e.stdout, head, len(res), func(i int) []string {
			r := res[i]
			return []string{string(r.Statistic), r.Variable, names[r.Contrast], csvFloat(r.Estimate), csvFloat(r.SE),
				csvFloat(r.CILow), csvFloat(r.CIHigh), csvFloat(r.P), strconv.Itoa(r.DF)}
		})
	case "table":
		return writeContrastTable(e.stdout, dj, head, names, res)
	}
	out := contrastJSON{Design: dj, Contrasts: make([]contrastItem, len(res))}
	for i, r := range res {
		out.Contrasts[i] = contrastItem{Statistic: string(r.Statistic), Variable: r.Variable, Contrast: names[r.Contrast],
			Estimate: jsonNum(r.Estimate), SE: jsonNum(r.SE), CILow: jsonNum(r.CILow), CIHigh: jsonNum(r.CIHigh),
			P: jsonNum(r.P), DF: r.DF}
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writeContrastTable(w io.Writer, d designJSON, head, names []string, res []sampling.ContrastEstimate) error {
	fmt.Fprintf(w, "design: %d rows, %d strata, %d PSUs, df %d, variance %s\n\n", d.Rows, d.Strata, d.PSUs, d.DF, d.Variance)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	f := estNum
	for _, r := range res {
		fmt.Fprintln(tw, strings.Join([]string{string(r.Statistic), r.Variable, names[r.Contrast], f(r.Estimate), f(r.SE),
			f(r.CILow), f(r.CIHigh), f(r.P), strconv.Itoa(r.DF)}, "\t"))
	}
	return tw.Flush()
}

// contrastLabel is a domain as --contrast names it: its values joined by
// ":" (one value for one --by column).
func contrastLabel(dv []sampling.DomainValue) string {
	s := make([]string, len(dv))
	for i, v := range dv {
		s[i] = v.Value
	}
	return strings.Join(s, ":")
}

var contrastCoef = regexp.MustCompile(`^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\s*\*\s*`)

// parseContrast reads a contrast between domains: terms [COEF*]DOMAIN
// joined by + and -, e.g. "A - B", "0.5*A + 0.5*B - C". A domain is its
// value (values joined by ":" for several --by columns), matched as the
// longest domain name that ends the term, so names may hold spaces and
// hyphens; a name may also be written in double quotes.
func parseContrast(s string, labels []string) ([]sampling.DomainCoef, error) {
	idx := map[string]int{}
	for g, l := range labels {
		idx[l] = g
	}
	var out []sampling.DomainCoef
	pos := map[int]int{}
	i, first := 0, true
	for {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i == len(s) {
			break
		}
		sign := 1.0
		switch {
		case s[i] == '+' || s[i] == '-':
			if s[i] == '-' {
				sign = -1
			}
			i++
			for i < len(s) && s[i] == ' ' {
				i++
			}
		case !first:
			return nil, fmt.Errorf("expected + or - at %q", s[i:])
		}
		first = false
		coef := 1.0
		if m := contrastCoef.FindStringSubmatchIndex(s[i:]); m != nil {
			v, err := strconv.ParseFloat(strings.TrimRight(strings.TrimSpace(s[i:i+m[1]]), "* "), 64)
			if err != nil {
				return nil, fmt.Errorf("coefficient %q: %v", s[i:i+m[1]], err)
			}
			coef = v
			i += m[1]
		}
		if i == len(s) {
			return nil, fmt.Errorf("a domain is missing at the end")
		}
		name := ""
		if s[i] == '"' {
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return nil, fmt.Errorf("unclosed quote at %q", s[i:])
			}
			name = s[i+1 : i+1+j]
			i += j + 2
			if _, ok := idx[name]; !ok {
				return nil, contrastNoDomain(name, labels)
			}
		} else {
			for _, l := range labels {
				if len(l) > len(name) && strings.HasPrefix(s[i:], l) {
					rest := strings.TrimLeft(s[i+len(l):], " ")
					if rest == "" || rest[0] == '+' || rest[0] == '-' {
						name = l
					}
				}
			}
			if name == "" {
				end := strings.IndexAny(s[i+1:], "+-")
				if end < 0 {
					end = len(s) - i - 1
				}
				return nil, contrastNoDomain(strings.TrimSpace(s[i:i+1+end]), labels)
			}
			i += len(name)
		}
		g := idx[name]
		if at, ok := pos[g]; ok {
			out[at].Coef += sign * coef
		} else {
			pos[g] = len(out)
			out = append(out, sampling.DomainCoef{Domain: g, Coef: sign * coef})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no domain")
	}
	return out, nil
}

func contrastNoDomain(name string, labels []string) error {
	show := labels
	if len(show) > 8 {
		show = show[:8]
	}
	more := ""
	if len(labels) > len(show) {
		more = fmt.Sprintf(", … (%d domains)", len(labels))
	}
	return fmt.Errorf("no --by domain %q; domains are %s%s", name, strings.Join(show, ", "), more)
}
