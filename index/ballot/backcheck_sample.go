package ballot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// Selection kinds of a back-check sample.
const (
	// SelectedRandom: drawn at random (coverage or top-up).
	SelectedRandom = "random"
	// SelectedTargeted: named by the caller (e.g. flagged by screening).
	SelectedTargeted = "targeted"
)

// ErrSampleRate is wrapped by the error for a back-check rate outside (0, 1].
var ErrSampleRate = errors.New("back-check rate must be in (0, 1]")

// BackcheckSampleOptions configures BackcheckSample. ID is required; the
// zero value of the rest draws nothing but the targeted ballots.
type BackcheckSampleOptions struct {
	// ID is the ballot id column; ids must be present and unique.
	ID string
	// By are the group columns (e.g. province); none: one group.
	By []string
	// Collector is the collector column; "" skips the collector coverage.
	Collector string
	// Unit is the unit column (e.g. commune); "" skips the unit coverage.
	Unit string
	// Rate is the random share of each group, in (0, 1].
	Rate float64
	// MinCollector and MinUnit are the ballots every collector and every
	// unit of a group gets at least (all of its ballots if it has fewer).
	MinCollector, MinUnit int
	// Targeted are ids to add as targeted ballots; each must be a ballot.
	Targeted []string
	// Keep are further columns copied to the sample table (addresses,
	// phone numbers), with their types.
	Keep []string
	// Mem allocates the sample table (nil: memory.DefaultAllocator).
	Mem memory.Allocator
}

// BackcheckGroup summarises the sample of one group.
type BackcheckGroup struct {
	Key                           []string // the By values
	Ballots                       int
	Random, Targeted              int
	Target                        int // ceil(Rate · Ballots)
	Collectors, CollectorsCovered int
	Units, UnitsCovered           int
}

// BackcheckSampleRow is one selected ballot.
type BackcheckSampleRow struct {
	Row      int  // 0-based row of the ballot table
	Group    int  // index into Groups
	Targeted bool // selection: targeted, else random
	Order    int  // 1-based visiting order within the group
}

// BackcheckSampleResult is the result of BackcheckSample. The caller must call
// Release.
type BackcheckSampleResult struct {
	// Rows are the selected ballots by group (in the order of Groups), then
	// visiting order.
	Rows []BackcheckSampleRow
	// Groups are the groups in ascending order of their By values
	// (integers as numbers, before text).
	Groups []BackcheckGroup
	// Table holds Rows with the columns: the id, the By columns, collector
	// and unit (when set; as text), selection, order (int64), then the Keep
	// columns with their input types.
	Table arrow.RecordBatch
}

// Release releases Table.
func (s *BackcheckSampleResult) Release() {
	if s.Table != nil {
		s.Table.Release()
		s.Table = nil
	}
}

// BackcheckSample selects the ballots to re-contact in a back-check. Within
// each group of the By columns, in this order:
//
//  1. every collector gets min(MinCollector, its ballots) ballots drawn by
//     simple random sampling without replacement (SRSWOR);
//  2. every unit that has fewer than MinUnit selected gets SRSWOR draws from
//     its other ballots up to min(MinUnit, its ballots);
//  3. SRSWOR among the remaining ballots tops the group up to
//     ceil(Rate · n_group) random ballots (none when coverage already
//     reached it);
//  4. the Targeted ballots of the group are added; they are never drawn in
//     steps 1–3 and never count in the random share.
//
// The selected ballots are then put in a random visiting order. Collectors
// and units are taken in ascending order and groups in ascending order of
// their values (integer values as numbers, before text), and every draw comes from src, so the same table, options
// and source give the same sample. A missing group, collector or unit
// value is a value of its own (""). A missing column is a
// *MissingColumnsError; a missing or repeated id, or a targeted id that is
// not a ballot, a *BackcheckIDError; a rate outside (0, 1] wraps
// ErrSampleRate.
func BackcheckSample(rec arrow.RecordBatch, opt BackcheckSampleOptions, src rand.Source) (*BackcheckSampleResult, error) {
	if rec == nil || src == nil {
		panic("ballot: BackcheckSample: nil record batch or source")
	}
	if !(opt.Rate > 0 && opt.Rate <= 1) {
		return nil, fmt.Errorf("%w: got %v", ErrSampleRate, opt.Rate)
	}
	if opt.MinCollector < 0 || opt.MinUnit < 0 {
		return nil, fmt.Errorf("back-check minimum per collector or unit must not be negative (got %d and %d)", opt.MinCollector, opt.MinUnit)
	}
	mem := opt.Mem
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	cols := append(append([]string{opt.ID}, opt.By...), opt.Keep...)
	for _, c := range []string{opt.Collector, opt.Unit} {
		if c != "" {
			cols = append(cols, c)
		}
	}
	if err := bcRequire(rec, "ballots", cols); err != nil {
		return nil, err
	}
	ids, err := bcIDs(rec, opt.ID, "ballots")
	if err != nil {
		return nil, err
	}
	n := len(ids)
	pos := make(map[string]int, n)
	for i, id := range ids {
		pos[id] = i
	}
	targeted := make([]bool, n)
	var unknown []string
	for _, id := range opt.Targeted {
		k, ok := pos[strings.TrimSpace(id)]
		if !ok {
			unknown = append(unknown, id)
			continue
		}
		targeted[k] = true
	}
	if len(unknown) > 0 {
		return nil, &BackcheckIDError{Kind: BackcheckUnknownID, File: "targeted", Column: opt.ID, IDs: unknown}
	}

	text := func(name string) ([]string, error) {
		if name == "" {
			return make([]string, n), nil
		}
		v, _, err := arrowio.Strings(bcColumn(rec, name))
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", name, err)
		}
		return v, nil
	}
	collector, err := text(opt.Collector)
	if err != nil {
		return nil, err
	}
	unit, err := text(opt.Unit)
	if err != nil {
		return nil, err
	}
	byVals := make([][]string, len(opt.By))
	for j, b := range opt.By {
		if byVals[j], err = text(b); err != nil {
			return nil, err
		}
	}

	// Groups in ascending order of their values.
	groupOf := make([]int, n)
	index := map[string]int{}
	var keys [][]string
	for i := 0; i < n; i++ {
		key := make([]string, len(opt.By))
		for j := range opt.By {
			key[j] = byVals[j][i]
		}
		k := strings.Join(key, "\x00")
		g, ok := index[k]
		if !ok {
			g = len(keys)
			index[k] = g
			keys = append(keys, key)
		}
		groupOf[i] = g
	}
	perm := make([]int, len(keys))
	for i := range perm {
		perm[i] = i
	}
	slices.SortFunc(perm, func(a, b int) int { return slices.CompareFunc(keys[a], keys[b], compareKey) })
	rank := make([]int, len(keys))
	for r, g := range perm {
		rank[g] = r
	}
	members := make([][]int, len(keys))
	for i := 0; i < n; i++ {
		g := rank[groupOf[i]]
		members[g] = append(members[g], i)
	}

	rng := rand.New(src)
	res := &BackcheckSampleResult{}
	for g, rows := range members {
		grp, sel := bcSampleGroup(rows, collector, unit, targeted, opt, rng)
		grp.Key = keys[perm[g]]
		res.Groups = append(res.Groups, grp)
		for o, r := range sel {
			res.Rows = append(res.Rows, BackcheckSampleRow{Row: r, Group: g, Targeted: targeted[r], Order: o + 1})
		}
	}
	res.Table, err = bcSampleTable(rec, res.Rows, opt, mem)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// compareKey orders group values as Screen orders its groups: integers
// (also written as text) as numbers, before any other text, which is
// ordered bytewise.
func compareKey(a, b string) int {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	switch {
	case errA == nil && errB == nil:
		if c := cmp.Compare(x, y); c != 0 {
			return c
		}
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return strings.Compare(a, b)
}

// bcSampleGroup draws the sample of one group (rows in input order) and
// returns its summary and the selected rows in visiting order.
func bcSampleGroup(rows []int, collector, unit []string, targeted []bool, opt BackcheckSampleOptions, rng *rand.Rand) (BackcheckGroup, []int) {
	grp := BackcheckGroup{Ballots: len(rows), Target: int(math.Ceil(opt.Rate * float64(len(rows))))}
	// Guard against 0.1·n landing a hair above an integer.
	if t := opt.Rate * float64(len(rows)); t-math.Floor(t) < 1e-9 {
		grp.Target = int(math.Floor(t))
	}
	chosen := map[int]bool{}
	// draw picks k of the unchosen, untargeted rows of pool by SRSWOR.
	draw := func(pool []int, k int) {
		var free []int
		for _, r := range pool {
			if !chosen[r] && !targeted[r] {
				free = append(free, r)
			}
		}
		k = min(k, len(free))
		for i := 0; i < k; i++ {
			j := i + rng.IntN(len(free)-i)
			free[i], free[j] = free[j], free[i]
			chosen[free[i]] = true
		}
	}
	byValue := func(vals []string) ([]string, map[string][]int) {
		m := map[string][]int{}
		for _, r := range rows {
			m[vals[r]] = append(m[vals[r]], r)
		}
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		slices.Sort(names)
		return names, m
	}
	cnames, cmembers := byValue(collector)
	unames, umembers := byValue(unit)
	if opt.Collector != "" && opt.MinCollector > 0 {
		for _, c := range cnames {
			draw(cmembers[c], opt.MinCollector)
		}
	}
	if opt.Unit != "" && opt.MinUnit > 0 {
		for _, u := range unames {
			have := 0
			for _, r := range umembers[u] {
				if chosen[r] {
					have++
				}
			}
			if have < opt.MinUnit {
				draw(umembers[u], opt.MinUnit-have)
			}
		}
	}
	if len(chosen) < grp.Target {
		draw(rows, grp.Target-len(chosen))
	}
	var sel []int
	for _, r := range rows {
		if chosen[r] || targeted[r] {
			sel = append(sel, r)
		}
		if targeted[r] {
			grp.Targeted++
		}
	}
	grp.Random = len(chosen)
	rng.Shuffle(len(sel), func(i, j int) { sel[i], sel[j] = sel[j], sel[i] })

	covered := func(names []string, m map[string][]int) int {
		k := 0
		for _, name := range names {
			if slices.ContainsFunc(m[name], func(r int) bool { return chosen[r] || targeted[r] }) {
				k++
			}
		}
		return k
	}
	if opt.Collector != "" {
		grp.Collectors, grp.CollectorsCovered = len(cnames), covered(cnames, cmembers)
	}
	if opt.Unit != "" {
		grp.Units, grp.UnitsCovered = len(unames), covered(unames, umembers)
	}
	return grp, sel
}

// bcSampleTable builds the sample table of rows.
func bcSampleTable(rec arrow.RecordBatch, rows []BackcheckSampleRow, opt BackcheckSampleOptions, mem memory.Allocator) (arrow.RecordBatch, error) {
	var fields []arrow.Field
	var arrs []arrow.Array
	defer func() {
		for _, a := range arrs {
			a.Release()
		}
	}()
	addText := func(name string) error {
		vals, valid, err := arrowio.Strings(bcColumn(rec, name))
		if err != nil {
			return fmt.Errorf("column %q: %w", name, err)
		}
		b := array.NewStringBuilder(mem)
		defer b.Release()
		for _, r := range rows {
			if valid != nil && !valid[r.Row] {
				b.AppendNull()
			} else {
				b.Append(vals[r.Row])
			}
		}
		fields = append(fields, arrow.Field{Name: name, Type: arrow.BinaryTypes.String, Nullable: true})
		arrs = append(arrs, b.NewArray())
		return nil
	}
	names := append([]string{opt.ID}, opt.By...)
	for _, c := range []string{opt.Collector, opt.Unit} {
		if c != "" {
			names = append(names, c)
		}
	}
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		if err := addText(name); err != nil {
			return nil, err
		}
	}
	sb := array.NewStringBuilder(mem)
	ob := array.NewInt64Builder(mem)
	defer sb.Release()
	defer ob.Release()
	for _, r := range rows {
		if r.Targeted {
			sb.Append(SelectedTargeted)
		} else {
			sb.Append(SelectedRandom)
		}
		ob.Append(int64(r.Order))
	}
	fields = append(fields, arrow.Field{Name: "selection", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "order", Type: arrow.PrimitiveTypes.Int64})
	arrs = append(arrs, sb.NewArray(), ob.NewArray())

	if len(opt.Keep) > 0 {
		ib := array.NewInt64Builder(mem)
		for _, r := range rows {
			ib.Append(int64(r.Row))
		}
		take := ib.NewArray()
		ib.Release()
		defer take.Release()
		ctx := compute.WithAllocator(context.Background(), mem)
		for _, name := range opt.Keep {
			if seen[name] || name == "selection" || name == "order" {
				continue
			}
			seen[name] = true
			col := bcColumn(rec, name)
			out, err := compute.TakeArray(ctx, col, take)
			if err != nil {
				return nil, fmt.Errorf("column %q: %w", name, err)
			}
			f := rec.Schema().Field(rec.Schema().FieldIndices(name)[0])
			fields = append(fields, arrow.Field{Name: name, Type: f.Type, Nullable: true})
			arrs = append(arrs, out)
		}
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(len(rows))), nil
}
