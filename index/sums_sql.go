package index

import (
	"fmt"
	"strconv"
	"strings"
)

// SumsSQL returns a SQL query that computes, from a table of ballots, the
// sums table of Sums (the same columns, one row per cell) with a GROUP BY
// over the design and domain columns, so that the one pass over the
// ballots can run in a database or a cluster and FromSums finishes the
// indices. table is the ballots' table name; weight, strata, psu, fpc
// and by name its columns as for NewSums ("" for absent ones: no weight
// column means every ballot weighs 1). The query uses only SUM, COUNT,
// CASE WHEN … IN (…) and GROUP BY, which DuckDB, PostgreSQL, SQLite, Spark
// SQL, Trino/Presto and BigQuery all accept. Identifiers are written
// as given, unquoted.
//
// Unlike Sums.Add, the query does not reject invalid answer codes (they
// count as no answer): validate the ballots first.
func SumsSQL(q *Questionnaire, opt *Options, table, weight, strata, psu, fpc string) string {
	if q == nil {
		q = DefaultQuestionnaire()
	}
	if opt == nil {
		opt = &Options{}
	}
	var keys []string
	seen := map[string]bool{}
	for _, k := range append([]string{strata, psu, fpc}, opt.By...) {
		if k != "" && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	w := weight
	if w == "" {
		w = "1"
	}
	var b strings.Builder
	line := func(format string, args ...any) {
		b.WriteString(",\n  ")
		fmt.Fprintf(&b, format, args...)
	}
	fmt.Fprintf(&b, "SELECT %s", strings.Join(keys, ", "))
	line("COUNT(*) AS %s", SumsRows)
	line("SUM(%s) AS %s", w, SumsWeights)
	in := func(codes []int) string {
		s := make([]string, len(codes))
		for i, c := range codes {
			s[i] = strconv.Itoa(c)
		}
		return "(" + strings.Join(s, ", ") + ")"
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	if !opt.NoExpectations && len(q.Expectations) > 0 {
		var any []string
		for _, e := range q.Expectations {
			any = append(any, e.Column+" IN (0, 1)")
		}
		answered := strings.Join(any, " OR ")
		for _, e := range q.Expectations {
			c := e.Column
			line("SUM(CASE WHEN %s = 1 THEN %s * 100 ELSE 0 END) AS %s", c, w, SumsColumn("y", c))
			line("SUM(CASE WHEN %s THEN %s ELSE 0 END) AS %s", answered, w, SumsColumn("x", c))
			line("SUM(CASE WHEN %s THEN 1 ELSE 0 END) AS %s", answered, SumsColumn("n", c))
			line("SUM(CASE WHEN %s = 1 THEN %s * 10000 ELSE 0 END) AS %s", c, w, SumsColumn("yy", c))
		}
	}
	// the valid codes, grouped by their value in percent
	sat := satisfiedTable(q, opt.Score)
	var valid []int
	byValue := map[float64][]int{}
	var values []float64
	for j, v := range sat {
		code := q.Scale.Min + j
		valid = append(valid, code)
		if v != 0 {
			if _, ok := byValue[v]; !ok {
				values = append(values, v)
			}
			byValue[v] = append(byValue[v], code)
		}
	}
	// a criterion's value y in percent, as an expression
	yExpr := func(c string) string {
		var e strings.Builder
		for _, v := range values {
			fmt.Fprintf(&e, " WHEN %s IN %s THEN %s", c, in(byValue[v]), num(v))
		}
		return "CASE" + e.String() + " ELSE 0 END"
	}
	for _, cr := range q.Criteria {
		c := cr.Column
		var y, yy strings.Builder
		for _, v := range values {
			fmt.Fprintf(&y, " WHEN %s IN %s THEN %s * %s", c, in(byValue[v]), w, num(v))
			fmt.Fprintf(&yy, " WHEN %s IN %s THEN %s * %s", c, in(byValue[v]), w, num(v*v))
		}
		line("SUM(CASE%s ELSE 0 END) AS %s", y.String(), SumsColumn("y", c))
		line("SUM(CASE WHEN %s IN %s THEN %s ELSE 0 END) AS %s", c, in(valid), w, SumsColumn("x", c))
		line("SUM(CASE WHEN %s IN %s THEN 1 ELSE 0 END) AS %s", c, in(valid), SumsColumn("n", c))
		line("SUM(CASE%s ELSE 0 END) AS %s", yy.String(), SumsColumn("yy", c))
	}
	names := compositeNames(q)
	var wcs []string
	for m, co := range compositeCoefficients(q) {
		var any []string
		for c, v := range co {
			if v != 0 {
				any = append(any, q.Criteria[c].Column+" IN "+in(valid))
			}
		}
		cond := strings.Join(any, " OR ")
		if cond == "" {
			cond = "1 = 0"
		}
		line("SUM(CASE WHEN %s THEN 1 ELSE 0 END) AS %s", cond, SumsColumn("nc", names[m]))
		wcs = append(wcs, fmt.Sprintf("SUM(CASE WHEN %s THEN %s ELSE 0 END) AS %s", cond, w, SumsColumn("wc", names[m])))
	}
	for _, l := range wcs {
		line("%s", l)
	}
	// the cross-products of the criteria pairs of a composite
	for _, pr := range compositePairs(q) {
		a, c := q.Criteria[pr.k].Column, q.Criteria[pr.l].Column
		line("SUM(%s * (%s) * (%s)) AS %s", w, yExpr(a), yExpr(c), SumsPairColumn("yy", a, c))
		line("SUM(CASE WHEN %s IN %s THEN %s * (%s) ELSE 0 END) AS %s", c, in(valid), w, yExpr(a), SumsPairColumn("yx", a, c))
		line("SUM(CASE WHEN %s IN %s THEN %s * (%s) ELSE 0 END) AS %s", a, in(valid), w, yExpr(c), SumsPairColumn("xy", a, c))
		line("SUM(CASE WHEN %s IN %s AND %s IN %s THEN %s ELSE 0 END) AS %s", a, in(valid), c, in(valid), w, SumsPairColumn("xx", a, c))
	}
	fmt.Fprintf(&b, "\nFROM %s", table)
	if len(keys) > 0 {
		fmt.Fprintf(&b, "\nGROUP BY %s", strings.Join(keys, ", "))
	}
	b.WriteString("\n")
	return b.String()
}
