package index

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index/internal/column"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
)

// Columns of the replicate sums table (ReplicateSumsTables) besides the
// domain columns and the items' y_ITEM and x_ITEM.
const (
	// RepSumsReplicate is the replicate's number, 1 to R, in the order of
	// the replicate weight columns.
	RepSumsReplicate = "replicate"
	// RepSumsPSUs is, for a design without a PSU column, the domain's
	// ballots of nonzero weight (each its own PSU), on every row.
	RepSumsPSUs = "psus"
)

// RepSumsGram is the name of the column of the replicate sums table
// holding Σ w_r w_s, the Gram matrix's entry (r, s) on the row of
// replicate r (s from 1).
func RepSumsGram(s int) string { return "gram_" + strconv.Itoa(s) }

// ReplicateSumsTables returns the two tables that stand for s, the Sums
// of a design whose replicate weights are columns of the ballots, whose
// Table is tab: the cells' table (tab without its internal group column),
// and the replicate sums (Replicates) in long form over the replicates,
// one row per domain (the cells' values of opt.By) and replicate r:
//
//	BY…, replicate, [psus,] y_ITEM…, x_ITEM…, gram_1 … gram_R
//
// with y_ITEM = Σ w_r y and x_ITEM = Σ w_r x over the domain's ballots
// (the cells' table's y and x with the replicate weight w_r instead of
// the weight), gram_s = Σ w_r w_s, and psus only without a PSU column.
// A SQL GROUP BY makes the same table (ReplicateSumsSQL), and
// FromReplicateSumsTables finishes the indices from the pair. The caller
// releases both.
func ReplicateSumsTables(s *Sums, tab arrow.RecordBatch) (cells, reps arrow.RecordBatch, err error) {
	rs := s.Replicates()
	if rs == nil {
		return nil, nil, fmt.Errorf("index: ReplicateSumsTables: the design's replicate weights are not columns")
	}
	gi := tab.Schema().FieldIndices(repGroupColumn)
	if len(gi) == 0 {
		return nil, nil, fmt.Errorf("%w: the table has no replicate groups", ErrSums)
	}
	var fields []arrow.Field
	var cols []arrow.Array
	for i, f := range tab.Schema().Fields() {
		if i != gi[0] {
			fields, cols = append(fields, f), append(cols, tab.Column(i))
		}
	}
	md := tab.Schema().Metadata()
	cells = array.NewRecordBatch(arrow.NewSchema(fields, &md), cols, tab.NumRows())
	// the first cell of every group, repeated R times: the domain values
	groups, _, err := arrowio.Float64s(tab.Column(gi[0]))
	if err != nil {
		cells.Release()
		return nil, nil, err
	}
	G, R, K := len(rs.Gram), rs.R, rs.K
	first := make([]int64, G)
	for g := range first {
		first[g] = -1
	}
	for row, g := range groups {
		if first[int(g)] < 0 {
			first[int(g)] = int64(row)
		}
	}
	idx := array.NewInt64Builder(memory.DefaultAllocator)
	defer idx.Release()
	for g := range G {
		for range R {
			idx.Append(first[g])
		}
	}
	take := idx.NewArray()
	defer take.Release()
	var rf []arrow.Field
	var rc []arrow.Array
	release := func() {
		for _, a := range rc {
			a.Release()
		}
	}
	for _, name := range s.rep.domainNames(s) {
		i := tab.Schema().FieldIndices(name)
		if len(i) == 0 {
			release()
			cells.Release()
			return nil, nil, fmt.Errorf("%w: no domain column %q", ErrSums, name)
		}
		a, err := compute.TakeArray(context.Background(), tab.Column(i[0]), take)
		if err != nil {
			release()
			cells.Release()
			return nil, nil, err
		}
		rf, rc = append(rf, tab.Schema().Field(i[0])), append(rc, a)
	}
	addInt := func(name string, v func(g, r int) int64) {
		b := array.NewInt64Builder(memory.DefaultAllocator)
		for g := range G {
			for r := range R {
				b.Append(v(g, r))
			}
		}
		rf, rc = append(rf, arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Int64}), append(rc, b.NewArray())
		b.Release()
	}
	addFloat := func(name string, v func(g, r int) float64) {
		b := array.NewFloat64Builder(memory.DefaultAllocator)
		for g := range G {
			for r := range R {
				b.Append(v(g, r))
			}
		}
		rf, rc = append(rf, arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float64}), append(rc, b.NewArray())
		b.Release()
	}
	addInt(RepSumsReplicate, func(_, r int) int64 { return int64(r + 1) })
	if rs.RowPSUs != nil {
		addInt(RepSumsPSUs, func(g, _ int) int64 { return rs.RowPSUs[g] })
	}
	for k, name := range s.repItemNames() {
		addFloat(SumsColumn("y", name), func(g, r int) float64 { return rs.Y[(g*R+r)*K+k] })
		addFloat(SumsColumn("x", name), func(g, r int) float64 { return rs.X[(g*R+r)*K+k] })
	}
	for c := range R {
		addFloat(RepSumsGram(c+1), func(g, r int) float64 { return rs.Gram[g][packed(R, min(r, c), max(r, c))] })
	}
	reps = array.NewRecordBatch(arrow.NewSchema(rf, nil), rc, int64(G*R))
	release()
	return cells, reps, nil
}

// packed is the position of entry (r, s), r ≤ s, of an R×R symmetric
// matrix in its packed upper triangle.
func packed(R, r, s int) int { return r*R - r*(r-1)/2 + s - r }

// repItemNames are the items of s's replicate sums: the estimands of a
// Sums of NewEstimandSums, else the questionnaire's items.
func (s *Sums) repItemNames() []string {
	if s.vals != nil {
		return estimandNames(s.vals.est)
	}
	return s.itemNames()
}

// domainNames are the names of the domain columns of the groups.
func (rp *repSums) domainNames(s *Sums) []string {
	var out []string
	for _, j := range rp.domKey {
		out = append(out, s.keys[j].name)
	}
	return out
}

// FromReplicateSumsTables is FromReplicateSums from the two tables of
// ReplicateSumsTables (or of SumsSQL and ReplicateSumsSQL): cells, the
// cells' sums, and reps, the replicate sums per domain of opt.By and
// replicate. Every domain of the cells must have exactly one row of reps
// per replicate 1 … R, R being its number of gram_ columns, and every
// domain of reps some cells. Errors wrap ErrSums.
func FromReplicateSumsTables(ctx context.Context, cells, reps arrow.RecordBatch, q *Questionnaire, spec *sampling.DesignOptions, opt *Options) (*Result, *sampling.Design, error) {
	if q == nil {
		q = DefaultQuestionnaire()
	}
	if opt == nil {
		opt = &Options{}
	}
	if !suppliedReplicates(spec) {
		return nil, nil, fmt.Errorf("index: the design's replicate weights are not columns: finish its sums with FromSums")
	}
	tab, rs, err := readReplicateSumsTables(cells, reps, spec, opt.By, indexItems(q, opt))
	if err != nil {
		return nil, nil, err
	}
	defer tab.Release()
	return FromReplicateSums(ctx, tab, rs, q, spec, opt)
}

// indexItems are the items of the indices of q under opt: the
// expectation items (unless opt.NoExpectations), then the criteria.
func indexItems(q *Questionnaire, opt *Options) []string {
	var items []string
	if !opt.NoExpectations {
		for _, e := range q.Expectations {
			items = append(items, e.Column)
		}
	}
	for _, c := range q.Criteria {
		items = append(items, c.Column)
	}
	return items
}

// EstimandReplicateSumsTables is EstimandReplicateSums from the two tables
// of ReplicateSumsTables of a Sums of NewEstimandSums for est in the
// domains by: cells, the cells' sums, and reps, the replicate sums per
// domain and replicate (whose items are the estimands), as
// FromReplicateSumsTables reads them. Errors wrap ErrSums.
func EstimandReplicateSumsTables(cells, reps arrow.RecordBatch, spec *sampling.DesignOptions, by []string, est []sampling.Estimand, shares []bool) (*sampling.Design, []sampling.CellSums, error) {
	if !suppliedReplicates(spec) {
		return nil, nil, fmt.Errorf("index: the design's replicate weights are not columns: finish its sums with EstimandSums")
	}
	tab, rs, err := readReplicateSumsTables(cells, reps, spec, by, estimandNames(est))
	if err != nil {
		return nil, nil, err
	}
	defer tab.Release()
	return EstimandReplicateSums(tab, rs, spec, est, shares)
}

// readReplicateSumsTables reads the two tables of ReplicateSumsTables
// whose items are names and whose domains are the columns by: the cells
// with their groups (the caller releases them) and the replicate sums.
func readReplicateSumsTables(cells, reps arrow.RecordBatch, spec *sampling.DesignOptions, by, names []string) (arrow.RecordBatch, *sampling.ReplicateSums, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: replicate sums: %s", ErrSums, fmt.Sprintf(format, args...))
	}
	R := 0
	for reps.Schema().HasField(RepSumsGram(R + 1)) {
		R++
	}
	if R < 2 {
		return nil, nil, bad("%d columns gram_1 … gram_R, need one per replicate (2 or more)", R)
	}
	if reps.Schema().HasField(RepSumsGram(R + 2)) {
		return nil, nil, bad("column %s without %s", RepSumsGram(R+2), RepSumsGram(R+1))
	}
	getReps := func(name string) ([]float64, error) {
		i := column.Index(reps, name)
		if i < 0 {
			return nil, bad("missing column %q (available: %s)", name, listColumns(column.Names(reps.Schema())))
		}
		v, ok, err := arrowio.Float64s(reps.Column(i))
		if err != nil {
			return nil, bad("column %q: %v", name, err)
		}
		for r, x := range v {
			if (ok != nil && !ok[r]) || math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, bad("column %q, row %d: missing or not finite", name, r+1)
			}
		}
		return v, nil
	}
	// the domains of reps in first-seen order, and of every cell
	keysOf := func(tab arrow.RecordBatch, what string) ([]string, error) {
		n := int(tab.NumRows())
		out := make([]string, n)
		for _, b := range by {
			i := column.Index(tab, b)
			if i < 0 {
				return nil, fmt.Errorf("%w: %s: missing domain column %q", ErrSums, what, b)
			}
			a := tab.Column(i)
			for r := range out {
				v := "\x00null"
				if a.IsValid(r) {
					v = a.ValueStr(r)
				}
				out[r] += v + "\x1f"
			}
		}
		return out, nil
	}
	rkeys, err := keysOf(reps, "replicate sums")
	if err != nil {
		return nil, nil, err
	}
	ckeys, err := keysOf(cells, "cells")
	if err != nil {
		return nil, nil, err
	}
	repNo, err := getReps(RepSumsReplicate)
	if err != nil {
		return nil, nil, err
	}
	group := map[string]int{}
	var order []string
	for _, k := range rkeys {
		if _, ok := group[k]; !ok {
			group[k] = len(order)
			order = append(order, k)
		}
	}
	G := len(order)
	rowOf := make([]int, G*R) // the reps row of (g, r)
	for i := range rowOf {
		rowOf[i] = -1
	}
	for i, k := range rkeys {
		r := repNo[i]
		if r < 1 || r > float64(R) || r != math.Trunc(r) {
			return nil, nil, bad("row %d: replicate %v, want 1 … %d (one per gram_ column)", i+1, r, R)
		}
		at := group[k]*R + int(r) - 1
		if rowOf[at] >= 0 {
			return nil, nil, bad("rows %d and %d: domain %s, replicate %v twice", rowOf[at]+1, i+1, domainLabel(k), r)
		}
		rowOf[at] = i
	}
	for g, k := range order {
		for r := range R {
			if rowOf[g*R+r] < 0 {
				return nil, nil, bad("domain %s has no row of replicate %d of %d (the gram_ columns)", domainLabel(k), r+1, R)
			}
		}
	}
	cg := make([]int32, len(ckeys))
	used := make([]bool, G)
	for c, k := range ckeys {
		g, ok := group[k]
		if !ok {
			return nil, nil, bad("the cells' domain %s (row %d) has no replicate sums", domainLabel(k), c+1)
		}
		cg[c], used[g] = int32(g), true
	}
	for g, u := range used {
		if !u {
			return nil, nil, bad("domain %s has replicate sums but no cells", domainLabel(order[g]))
		}
	}
	K := len(names)
	rs := &sampling.ReplicateSums{R: R, K: K, Y: make([]float64, G*R*K), X: make([]float64, G*R*K), Gram: make([][]float64, G)}
	for k, name := range names {
		y, err := getReps(SumsColumn("y", name))
		if err != nil {
			return nil, nil, err
		}
		x, err := getReps(SumsColumn("x", name))
		if err != nil {
			return nil, nil, err
		}
		for j, i := range rowOf {
			rs.Y[j*K+k], rs.X[j*K+k] = y[i], x[i]
		}
	}
	for g := range rs.Gram {
		rs.Gram[g] = make([]float64, R*(R+1)/2)
	}
	for c := range R {
		v, err := getReps(RepSumsGram(c + 1))
		if err != nil {
			return nil, nil, err
		}
		for g := range G {
			for r := 0; r <= c; r++ {
				rs.Gram[g][packed(R, r, c)] = v[rowOf[g*R+r]]
			}
		}
	}
	if spec.PSU == "" {
		v, err := getReps(RepSumsPSUs)
		if err != nil {
			return nil, nil, err
		}
		rs.RowPSUs = make([]int64, G)
		for g := range G {
			rs.RowPSUs[g] = int64(v[rowOf[g*R]])
		}
	}
	if i := column.Index(cells, SumsRows); i >= 0 {
		v, _, err := arrowio.Float64s(cells.Column(i))
		if err == nil {
			for _, x := range v {
				rs.Rows += int64(x)
			}
		}
	}
	// the cells with their groups
	var fields []arrow.Field
	var cols []arrow.Array
	for i, f := range cells.Schema().Fields() {
		if f.Name != repGroupColumn {
			fields, cols = append(fields, f), append(cols, cells.Column(i))
		}
	}
	b := array.NewInt64Builder(memory.DefaultAllocator)
	for _, g := range cg {
		b.Append(int64(g))
	}
	ga := b.NewArray()
	b.Release()
	defer ga.Release()
	tab := array.NewRecordBatch(arrow.NewSchema(append(fields, arrow.Field{Name: repGroupColumn, Type: arrow.PrimitiveTypes.Int64}), nil), append(cols, ga), cells.NumRows())
	return tab, rs, nil
}

// domainLabel is a domain key of FromReplicateSumsTables as text.
func domainLabel(k string) string {
	if k == "" {
		return "(the nation)"
	}
	return "(" + strings.ReplaceAll(strings.TrimSuffix(k, "\x1f"), "\x1f", ", ") + ")"
}
