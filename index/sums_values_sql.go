package index

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// sumsShare is the part of the sums-table column that says, per cell,
// whether every observed value of an estimand allows a share interval
// (1) or not (0).
const sumsShare = "share"

// EstimandShares reads the estimands' sampling.CellSums.Share from a sums
// table of NewEstimandSums (or of EstimandSumsSQL): an estimand is a share
// when no cell's share column is 0. A missing column (its y column, or
// its share column) is an error wrapping ErrSums.
func EstimandShares(tab arrow.RecordBatch, est []sampling.Estimand) ([]bool, error) {
	out := make([]bool, len(est))
	for k, e := range est {
		if y := SumsColumn("y", EstimandColumn(e)); !tab.Schema().HasField(y) {
			return nil, fmt.Errorf("%w: missing column %q", ErrSums, y)
		}
		v, err := sumsFloats(tab, SumsColumn(sumsShare, EstimandColumn(e)))
		if err != nil {
			return nil, err
		}
		out[k] = !slices.Contains(v, 0)
	}
	return out, nil
}

// plainIdent matches the identifiers written unquoted in SQL.
var plainIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// sqlIdent is name as a SQL identifier: as it is when plain, else in
// double quotes (the SQL standard's, which PostgreSQL, DuckDB, SQLite and
// Trino accept).
func sqlIdent(name string) string {
	if plainIdent.MatchString(name) {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// EstimandSumsSQL returns a SQL query that computes, from the table of
// rows named table, the sums table of NewEstimandSums for the means,
// totals and ratios est in the domains by under the design spec (with the
// weighting ws whose steps run on the cells, nil: none): one row per cell,
// grouped by the design's, the domains' (and the weighting's) key
// columns, with per estimand, over the rows where its variables are not
// NULL, y = Σ w (v − c x), x = Σ w x (x the ratio's denominator, 1
// otherwise), w = Σ w, yy, xy, xx their second moments, n and nobs the
// rows and those of nonzero weight, c the shift and share (every value in
// [0, 1], or a ratio's x in {0, 1} and v in {0, x}); without PSU column
// also the squared-weight moments, and for a raking under linearization
// the unweighted sums of v − c x and x. The shift c of a mean or ratio is its
// estimate over the whole table rounded to an integer (0 when it has no
// rows), computed by a one-row subquery and recorded in every row, as the
// pass over a file records its own: any shift gives the same estimates,
// and one near the estimate keeps the second moments' digits. The share
// column is likewise the whole table's, on every row. The query
// uses SUM, COUNT, MIN, MAX, CASE, ROUND, COALESCE, NULLIF, CROSS JOIN and
// GROUP BY; names that are not plain identifiers are double-quoted.
// Unlike the pass over a file, it does not reject infinite values or
// nonpositive design weights. The design must be one SumsSQLSupport
// accepts without ws, and with ws one whose steps run on the cells
// (otherwise an error; a step that needs every row wraps
// weighting.ErrRowLevel). With replicate weight columns this is the
// cells' query, and EstimandReplicateSumsSQL the replicate sums'.
func EstimandSumsSQL(table string, spec *sampling.DesignOptions, ws *weighting.Spec, by []string, est []sampling.Estimand) (string, error) {
	if ws == nil {
		if err := SumsSQLSupport(spec); err != nil {
			return "", err
		}
	} else if err := weightingSumsSupport(spec, ws); err != nil {
		return "", err
	}
	keys, err := sqlGroupKeys(spec, by, ws)
	if err != nil {
		return "", err
	}
	weight := spec.Weight
	if ws != nil {
		weight = ws.DesignWeight
	}
	keys = sqlKeys(keys)
	for i, k := range keys {
		keys[i] = sqlIdent(k)
	}
	w := "1"
	if weight != "" {
		w = sqlIdent(weight)
	}
	units := unitMoments(spec)
	unweighted := weightingUnweighted(spec, ws)
	var sel []string
	line := func(format string, args ...any) { sel = append(sel, fmt.Sprintf(format, args...)) }
	line("COUNT(*) AS %s", SumsRows)
	line("SUM(%s) AS %s", w, SumsWeights)
	var shifts []string
	for k, e := range est {
		name := EstimandColumn(e)
		col := func(part string) string { return sqlIdent(SumsColumn(part, name)) }
		t := estimandSQL(k, e, w)
		obs, x, d, c := t.obs, t.x, t.d, t.c
		shifts = append(shifts, t.shifts...)
		if c != "0" {
			c = "MAX(" + c + ")"
		}
		sum := func(v string) string { return fmt.Sprintf("SUM(CASE WHEN %s THEN %s ELSE 0 END)", obs, v) }
		line("%s AS %s", sum(sqlProduct(w, d)), col("y"))
		line("%s AS %s", sum(sqlProduct(w, x)), col("x"))
		line("%s AS %s", sum(w), col("w"))
		line("%s AS %s", sum(sqlProduct(w, d, d)), col("yy"))
		line("%s AS %s", sum(sqlProduct(w, x, d)), col("xy"))
		line("%s AS %s", sum(sqlProduct(w, x, x)), col("xx"))
		line("%s AS %s", sum("1"), col("n"))
		if weight == "" {
			line("%s AS %s", sum("1"), col("nobs"))
		} else {
			line("SUM(CASE WHEN %s AND %s <> 0 THEN 1 ELSE 0 END) AS %s", obs, w, col("nobs"))
		}
		line("%s AS %s", c, col("c"))
		line("%s AS %s", t.share, col(sumsShare))
		if unweighted {
			// a raking's linearized variance: unweighted Σ (y − c x), Σ x
			line("%s AS %s", sum(d), col(unweightedParts[0]))
			line("%s AS %s", sum(x), col(unweightedParts[1]))
		}
		if units {
			w2 := sqlProduct(w, w)
			line("%s AS %s", sum(sqlProduct(w2, d, d)), col(SumsSquared+"yy"))
			line("%s AS %s", sum(sqlProduct(w2, x, d)), col(SumsSquared+"xy"))
			line("%s AS %s", sum(sqlProduct(w2, x, x)), col(SumsSquared+"xx"))
			if ws != nil {
				line("%s AS %s", sum(sqlProduct(w2, d)), col(SumsSquared+"y"))
				line("%s AS %s", sum(sqlProduct(w2, x)), col(SumsSquared+"x"))
			}
		}
	}
	if units {
		line("SUM(CASE WHEN %s <> 0 THEN 1 ELSE 0 END) AS %s", w, SumsPositive)
		if ws != nil {
			line("SUM(%s) AS %s", sqlProduct(w, w), SumsWeightsSquared)
		}
	}
	return sqlSelect(keys, sel, table+shiftJoin(shifts, table)), nil
}

// shiftTable is the one-row subquery of the estimands' shifts and shares.
const shiftTable = "sipas_shift"

// estimandTerms are the SQL expressions of estimand k of a sums query
// whose weight expression is w.
type estimandTerms struct {
	obs     string // its variables are not NULL
	y, x, d string // y, x (1 for a mean or total), y − c x
	c       string // the shift: 0, or the subquery's column
	share   string // the share column's expression
	shifts  []string
}

// estimandSQL returns the expressions of estimand e, the k-th, weighted w:
// the shift c of a mean or ratio is its estimate over the table rounded to
// an integer (0 when it has no rows), whether it is a share the minimum of
// its rows' tests, both columns of the one-row subquery shiftTable (whose
// SELECT items are shifts).
func estimandSQL(k int, e sampling.Estimand, w string) estimandTerms {
	y := sqlIdent(e.Num)
	t := estimandTerms{obs: y + " IS NOT NULL", y: y, x: "1", d: y, c: "0", share: "0"}
	if e.Statistic == sampling.StatRatio {
		t.x = sqlIdent(e.Den)
		t.obs += " AND " + t.x + " IS NOT NULL"
	}
	if e.Statistic != sampling.StatTotal {
		t.c = fmt.Sprintf("%s.c%d", shiftTable, k+1)
		t.d = "(" + y + " - " + t.c + ")"
		if t.x != "1" {
			t.d = "(" + y + " - " + t.c + " * " + t.x + ")"
		}
		t.shifts = append(t.shifts, fmt.Sprintf("COALESCE(ROUND(1.0 * SUM(CASE WHEN %s THEN %s END) / NULLIF(SUM(CASE WHEN %s THEN %s END), 0)), 0) AS c%d",
			t.obs, sqlProduct(w, y), t.obs, sqlProduct(w, t.x), k+1))
	}
	// a share over the whole table, as the pass over a file finds it
	cond := ""
	switch {
	case e.Statistic == sampling.StatMean:
		cond = fmt.Sprintf("%s >= 0 AND %s <= 1", y, y)
	case e.Statistic == sampling.StatRatio && e.Num != e.Den:
		cond = fmt.Sprintf("%s IN (0, 1) AND (%s = 0 OR %s = %s)", t.x, y, y, t.x)
	}
	if cond != "" {
		t.shifts = append(t.shifts, fmt.Sprintf("COALESCE(MIN(CASE WHEN %s THEN CASE WHEN %s THEN 1 ELSE 0 END END), 1) AS s%d", t.obs, cond, k+1))
		t.share = fmt.Sprintf("MAX(%s.s%d)", shiftTable, k+1)
	}
	return t
}

// shiftJoin is the CROSS JOIN of the subquery of shifts over table ("" for
// none).
func shiftJoin(shifts []string, table string) string {
	if len(shifts) == 0 {
		return ""
	}
	return fmt.Sprintf("\n  CROSS JOIN (SELECT\n    %s\n  FROM %s) %s", strings.Join(shifts, ",\n    "), table, shiftTable)
}

// EstimandReplicateSumsSQL returns a SQL query that computes, from the
// table of rows named table with the replicate weight columns replicates
// (in order), the replicate sums table of ReplicateSumsTables for a Sums
// of NewEstimandSums of est in the domains by under spec: one row per
// domain and replicate r with, per estimand E over the rows where its
// variables are not NULL, y_E = Σ w_r (v − c x) and x_E = Σ w_r x, gram_s
// = Σ w_r w_s, and without PSU column psus, the domain's rows of nonzero
// weight; the shift c is EstimandSumsSQL's, computed by the same
// subquery, so the two tables agree. The rows are crossed with the
// replicate numbers as in ReplicateSumsSQL.
func EstimandReplicateSumsSQL(table string, spec *sampling.DesignOptions, by []string, est []sampling.Estimand, replicates []string) string {
	const rw = "sipas_rw"
	w := "1"
	if spec.Weight != "" {
		w = sqlIdent(spec.Weight)
	}
	var items, shifts []string
	cols := append(append([]string(nil), by...), spec.Weight)
	for k, e := range est {
		name := EstimandColumn(e)
		t := estimandSQL(k, e, w)
		shifts = append(shifts, t.shifts...)
		items = append(items,
			fmt.Sprintf("SUM(CASE WHEN %s THEN %s ELSE 0 END) AS %s", t.obs, sqlProduct(rw, t.d), sqlIdent(SumsColumn("y", name))),
			fmt.Sprintf("SUM(CASE WHEN %s THEN %s ELSE 0 END) AS %s", t.obs, sqlProduct(rw, t.x), sqlIdent(SumsColumn("x", name))))
		cols = append(cols, e.Num, e.Den)
	}
	var keys, need, reps []string
	for _, b := range by {
		keys = append(keys, sqlIdent(b))
	}
	for _, c := range sqlKeys(append(cols, replicates...)) {
		need = append(need, sqlIdent(c))
	}
	for _, c := range replicates {
		reps = append(reps, sqlIdent(c))
	}
	return replicateSumsSQL(table, w, spec.PSU, keys, items, need, reps, shiftJoin(shifts, table))
}

// sqlProduct is the product of the factors f, "1" standing for none.
func sqlProduct(f ...string) string {
	var out []string
	for _, v := range f {
		if v != "1" {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return "1"
	}
	return strings.Join(out, " * ")
}
