package index

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
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
// A design without PSU column under linearization needs DesignSumsSQL.
//
// Unlike Sums.Add, the query does not reject invalid answer codes (they
// count as no answer): validate the ballots first.
func SumsSQL(q *Questionnaire, opt *Options, table, weight, strata, psu, fpc string) string {
	if opt == nil {
		opt = &Options{}
	}
	return sumsSQL(q, opt, table, weight, append([]string{strata, psu, fpc}, opt.By...), false)
}

// SumsSQLSupport returns why the sums table of spec's design cannot be
// computed by DesignSumsSQL, or nil: SumsSupport's reasons, and a design
// without weight column with an fpc, whose ballots weigh the product of
// sampling.FPCWeight over the stages (N_h/n_h, 1/f_h for a sampling
// fraction, with n_h the PSUs of the whole stratum; N/n of the units
// sampled in each unit of the stage above), while the query weighs every
// ballot 1 (give that weight as a column instead).
func SumsSQLSupport(spec *sampling.DesignOptions) error {
	if err := SumsSupport(spec); err != nil {
		return err
	}
	if fpcWeighted(spec) {
		return errors.New("without a weight column the weights come from the fpc and the units sampled in each stratum and unit of every stage (N_h/n_h, or 1/f_h for a sampling fraction; 1/π under PPS), which one GROUP BY does not count; the query would weigh every ballot 1")
	}
	return nil
}

// DesignSumsSQL is SumsSQL for the columns of spec (which SumsSQLSupport
// must accept): a multistage design
// with an fpc at every stage also groups by every later stage's unit and
// fpc columns; for a design without PSU column (every ballot its own PSU)
// and without replicate weight columns the query also sums the squared
// weights' moments (SumsPositive and the SumsSquared columns) that its
// linearized variance needs.
func DesignSumsSQL(q *Questionnaire, opt *Options, table string, spec *sampling.DesignOptions) string {
	if opt == nil {
		opt = &Options{}
	}
	keys, _ := sqlGroupKeys(spec, opt.By, nil)
	return sumsSQL(q, opt, table, spec.Weight, keys, unitMoments(spec))
}

// WeightedSumsSQL is SumsSQL for the sums table of a weighting ws whose
// steps run on the cells (WeightingSumsSupport): the GROUP BY also takes
// every later stage's unit and fpc (as SumsSQL), the weighting's classes
// and respondent flags, and its design weight where a step needs each
// ballot's weight (trimming, bounds on the final weights) or spec's
// variance is by replicates, and the sums are of ws's design weights
// (FromWeightedSums finishes them); for a design without PSU column also
// their squared moments and Σ w² (SumsWeightsSquared); for a raking under
// linearization also per item Σ y unweighted (SumsColumn "u": its
// variance takes unweighted class means). A weighting with a calibration that needs every ballot
// is an error wrapping weighting.ErrRowLevel: its final weights come from
// passes over the ballots, which no GROUP BY makes.
func WeightedSumsSQL(q *Questionnaire, opt *Options, table string, spec *sampling.DesignOptions, ws *weighting.Spec) (string, error) {
	if err := weightingSumsSupport(spec, ws); err != nil {
		return "", err
	}
	if opt == nil {
		opt = &Options{}
	}
	keys, err := sqlGroupKeys(spec, opt.By, ws)
	if err != nil {
		return "", err
	}
	query := sumsSQL(q, opt, table, ws.DesignWeight, keys, unitMoments(spec))
	if unitMoments(spec) {
		query = withWeightsSquaredSQL(query, ws.DesignWeight)
	}
	if weightingUnweighted(spec, ws) {
		// a raking's linearized variance: per item Σ y unweighted
		if q == nil {
			q = DefaultQuestionnaire()
		}
		var cols []string
		for _, it := range sqlItems(q, opt, "1") {
			cols = append(cols, fmt.Sprintf(",\n  SUM(%s) AS %s", it.y, SumsColumn("u", it.name)))
		}
		i := strings.LastIndex(query, "\nFROM ")
		query = query[:i] + strings.Join(cols, "") + query[i:]
	}
	return query, nil
}

// sumsSQL is the query of SumsSQL grouped by the columns keys (empty
// names and repeats dropped), with the squared weights' moments when units.
func sumsSQL(q *Questionnaire, opt *Options, table, weight string, groups []string, units bool) string {
	if q == nil {
		q = DefaultQuestionnaire()
	}
	keys := sqlKeys(groups)
	w := weight
	if w == "" {
		w = "1"
	}
	var sel []string
	line := func(format string, args ...any) { sel = append(sel, fmt.Sprintf(format, args...)) }
	line("COUNT(*) AS %s", SumsRows)
	line("SUM(%s) AS %s", w, SumsWeights)
	in := sqlCodes
	num := sqlNum
	items := sqlItems(q, opt, w)
	// the answers of ballots of nonzero weight (the design effect's n)
	nonzero := w + " <> 0"
	if weight == "" {
		nonzero = "1 = 1"
	}
	for _, it := range items {
		line("SUM(%s) AS %s", it.y, SumsColumn("y", it.name))
		line("SUM(%s) AS %s", it.x, SumsColumn("x", it.name))
		line("SUM(%s) AS %s", it.n, SumsColumn("n", it.name))
		line("SUM(CASE WHEN %s AND %s THEN 1 ELSE 0 END) AS %s", it.cond, nonzero, SumsColumn("nobs", it.name))
		line("SUM(%s) AS %s", it.yy, SumsColumn("yy", it.name))
	}
	valid, values, byValue := sqlValues(q, opt)
	// a criterion's value y in percent, as an expression
	yExpr := func(c string) string {
		var e strings.Builder
		for _, v := range values {
			fmt.Fprintf(&e, " WHEN %s IN %s THEN %s", c, in(byValue[v]), num(v))
		}
		return "CASE" + e.String() + " ELSE 0 END"
	}
	names := compositeNames(q)
	var obs, wcs []string
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
		obs = append(obs, fmt.Sprintf("SUM(CASE WHEN (%s) AND %s THEN 1 ELSE 0 END) AS %s", cond, nonzero, SumsColumn("ncobs", names[m])))
		wcs = append(wcs, fmt.Sprintf("SUM(CASE WHEN %s THEN %s ELSE 0 END) AS %s", cond, w, SumsColumn("wc", names[m])))
	}
	for _, l := range append(obs, wcs...) {
		line("%s", l)
	}
	// the cross-products of the criteria pairs of a composite
	pairs := func(w, pre string) {
		for _, pr := range compositePairs(q) {
			a, c := q.Criteria[pr.k].Column, q.Criteria[pr.l].Column
			line("SUM(%s * (%s) * (%s)) AS %s", w, yExpr(a), yExpr(c), SumsPairColumn(pre+"yy", a, c))
			line("SUM(CASE WHEN %s IN %s THEN %s * (%s) ELSE 0 END) AS %s", c, in(valid), w, yExpr(a), SumsPairColumn(pre+"yx", a, c))
			line("SUM(CASE WHEN %s IN %s THEN %s * (%s) ELSE 0 END) AS %s", a, in(valid), w, yExpr(c), SumsPairColumn(pre+"xy", a, c))
			line("SUM(CASE WHEN %s IN %s AND %s IN %s THEN %s ELSE 0 END) AS %s", a, in(valid), c, in(valid), w, SumsPairColumn(pre+"xx", a, c))
		}
	}
	pairs(w, "")
	if units {
		// every ballot its own PSU: the moments of the squared weights
		w2 := w
		if weight != "" {
			w2 = "(" + w + " * " + w + ")"
		}
		line("SUM(CASE WHEN %s <> 0 THEN 1 ELSE 0 END) AS %s", w, SumsPositive)
		for _, it := range sqlItems(q, opt, w2) {
			line("SUM(%s) AS %s", it.y, SumsColumn(SumsSquared+"y", it.name))
			line("SUM(%s) AS %s", it.x, SumsColumn(SumsSquared+"x", it.name))
			line("SUM(%s) AS %s", it.yy, SumsColumn(SumsSquared+"yy", it.name))
		}
		pairs(w2, SumsSquared)
	}
	return sqlSelect(keys, sel, table)
}

// sqlGroupKeys are the columns the sums query of spec groups by: the
// design's (strata, PSU, fpc, every later stage's unit and fpc when they
// enter the variance), the domains by, and the cell keys of the weighting
// ws (none when nil). Only ws can fail.
func sqlGroupKeys(spec *sampling.DesignOptions, by []string, ws *weighting.Spec) ([]string, error) {
	keys := []string{spec.Strata, spec.PSU, spec.FPC}
	for _, st := range varianceStages(spec) {
		keys = append(keys, st.Unit, st.FPC)
	}
	keys = append(keys, by...)
	if ws == nil {
		return keys, nil
	}
	err := addWeightingKeys(func(name, _ string, _ bool) error {
		keys = append(keys, name)
		return nil
	}, spec, ws, true)
	return keys, err
}

// sqlKeys are the names groups without empty names and repeats.
func sqlKeys(groups []string) []string {
	var keys []string
	seen := map[string]bool{}
	for _, k := range groups {
		if k != "" && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys
}

// sqlSelect is the query SELECT keys, items FROM from GROUP BY keys, an
// item a line (no GROUP BY without keys).
func sqlSelect(keys, items []string, from string) string {
	var b strings.Builder
	b.WriteString("SELECT")
	if len(keys) > 0 {
		b.WriteString(" " + strings.Join(keys, ", "))
	}
	for i, it := range items {
		if i > 0 || len(keys) > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n  ")
		b.WriteString(it)
	}
	fmt.Fprintf(&b, "\nFROM %s", from)
	if len(keys) > 0 {
		fmt.Fprintf(&b, "\nGROUP BY %s", strings.Join(keys, ", "))
	}
	b.WriteString("\n")
	return b.String()
}

func sqlCodes(codes []int) string {
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = strconv.Itoa(c)
	}
	return "(" + strings.Join(s, ", ") + ")"
}

func sqlNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// sqlValues are the valid codes of q's scale, the nonzero values (in
// percent) of a satisfied answer in first-seen order, and their codes.
func sqlValues(q *Questionnaire, opt *Options) (valid []int, values []float64, byValue map[float64][]int) {
	byValue = map[float64][]int{}
	for j, v := range satisfiedTable(q, opt.Score) {
		code := q.Scale.Min + j
		valid = append(valid, code)
		if v != 0 {
			if _, ok := byValue[v]; !ok {
				values = append(values, v)
			}
			byValue[v] = append(byValue[v], code)
		}
	}
	return valid, values, byValue
}

// sqlItem is an item of the sums table in SQL: its column, the
// expressions summed for its y (Σ w·y), x (Σ w·x), n and yy (Σ w·y²), and
// the condition of a valid answer.
type sqlItem struct{ name, y, x, n, yy, cond string }

// sqlItems are the items of the sums table in its order (the expectations
// unless opt.NoExpectations, then the criteria) with their expressions for
// the weight expression w.
func sqlItems(q *Questionnaire, opt *Options, w string) []sqlItem {
	var out []sqlItem
	if !opt.NoExpectations && len(q.Expectations) > 0 {
		var any []string
		for _, e := range q.Expectations {
			any = append(any, e.Column+" IN (0, 1)")
		}
		answered := strings.Join(any, " OR ")
		for _, e := range q.Expectations {
			c := e.Column
			out = append(out, sqlItem{name: c,
				y:    fmt.Sprintf("CASE WHEN %s = 1 THEN %s * 100 ELSE 0 END", c, w),
				x:    fmt.Sprintf("CASE WHEN %s THEN %s ELSE 0 END", answered, w),
				n:    fmt.Sprintf("CASE WHEN %s THEN 1 ELSE 0 END", answered),
				yy:   fmt.Sprintf("CASE WHEN %s = 1 THEN %s * 10000 ELSE 0 END", c, w),
				cond: "(" + answered + ")"})
		}
	}
	valid, values, byValue := sqlValues(q, opt)
	for _, cr := range q.Criteria {
		c := cr.Column
		var y, yy strings.Builder
		for _, v := range values {
			fmt.Fprintf(&y, " WHEN %s IN %s THEN %s * %s", c, sqlCodes(byValue[v]), w, sqlNum(v))
			fmt.Fprintf(&yy, " WHEN %s IN %s THEN %s * %s", c, sqlCodes(byValue[v]), w, sqlNum(v*v))
		}
		out = append(out, sqlItem{name: c,
			y:    "CASE" + y.String() + " ELSE 0 END",
			x:    fmt.Sprintf("CASE WHEN %s IN %s THEN %s ELSE 0 END", c, sqlCodes(valid), w),
			n:    fmt.Sprintf("CASE WHEN %s IN %s THEN 1 ELSE 0 END", c, sqlCodes(valid)),
			yy:   "CASE" + yy.String() + " ELSE 0 END",
			cond: fmt.Sprintf("%s IN %s", c, sqlCodes(valid))})
	}
	return out
}

// ReplicateSumsSQL returns a SQL query that computes, from a table of
// ballots with replicate weight columns, the replicate sums table of
// ReplicateSumsTables (one row per domain of opt.By and replicate) with a
// GROUP BY, as SumsSQL does for the cells' table: the ballots are crossed
// with the replicate numbers 1 … R, each row's replicate weight w_r is
// picked by a CASE, and the items' sums of SumsSQL are taken with w_r;
// gram_s sums w_r times the s-th replicate column. replicates are the
// replicate weight columns in order; weight and psu name the ballots'
// columns as for SumsSQL (psu "" adds the column psus, the ballots of
// nonzero weight). No domain column may be named replicate or
// sipas_rw. The query runs once over the ballots, but its
// work is the ballots times R (and each row sums 2·items + R values).
func ReplicateSumsSQL(q *Questionnaire, opt *Options, table, weight, psu string, replicates []string) string {
	if q == nil {
		q = DefaultQuestionnaire()
	}
	if opt == nil {
		opt = &Options{}
	}
	const rw = "sipas_rw"
	var items []string
	for _, it := range sqlItems(q, opt, rw) {
		items = append(items, fmt.Sprintf("SUM(%s) AS %s", it.y, SumsColumn("y", it.name)), fmt.Sprintf("SUM(%s) AS %s", it.x, SumsColumn("x", it.name)))
	}
	// the columns the outer query reads
	cols := append(append([]string(nil), opt.By...), weight)
	if !opt.NoExpectations {
		cols = append(cols, q.ExpectationColumns()...)
	}
	w := weight
	if w == "" {
		w = "1"
	}
	return replicateSumsSQL(table, w, psu, opt.By, items, sqlKeys(append(append(cols, q.Columns()...), replicates...)), replicates, "")
}

// replicateSumsSQL is the query of ReplicateSumsSQL grouped by the domain
// columns by: the rows of table (their columns cols, each row's w_r
// picked from the replicate weight columns replicates) crossed with the
// replicate numbers, the sums items of w_r (sipas_rw), then (psu "": no
// PSU column) psus, the rows whose weight expression w is nonzero, and the
// Gram columns; join is added after the inner query (a CROSS JOIN the
// items read, or ""). The names are written as given.
func replicateSumsSQL(table, w, psu string, by, items, cols, replicates []string, join string) string {
	const rw = "sipas_rw"
	var b strings.Builder
	line := func(format string, args ...any) {
		b.WriteString(",\n  ")
		fmt.Fprintf(&b, format, args...)
	}
	keys := append(append([]string(nil), by...), RepSumsReplicate)
	fmt.Fprintf(&b, "SELECT %s", strings.Join(keys, ", "))
	if psu == "" {
		line("SUM(CASE WHEN %s <> 0 THEN 1 ELSE 0 END) AS %s", w, RepSumsPSUs)
	}
	for _, it := range items {
		line("%s", it)
	}
	for s, c := range replicates {
		line("SUM(%s * %s) AS %s", rw, c, RepSumsGram(s+1))
	}
	var need []string
	for _, c := range cols {
		need = append(need, "b."+c)
	}
	var pick, nums strings.Builder
	for r, c := range replicates {
		fmt.Fprintf(&pick, " WHEN %d THEN b.%s", r+1, c)
		if r > 0 {
			nums.WriteString(" UNION ALL ")
		}
		fmt.Fprintf(&nums, "SELECT %d AS %s", r+1, RepSumsReplicate)
	}
	fmt.Fprintf(&b, "\nFROM (\n  SELECT %s, r.%s, CASE r.%s%s END AS %s\n  FROM %s b CROSS JOIN (%s) r\n) t%s\nGROUP BY %s\n",
		strings.Join(need, ", "), RepSumsReplicate, RepSumsReplicate, pick.String(), rw, table, nums.String(), join, strings.Join(keys, ", "))
	return b.String()
}
