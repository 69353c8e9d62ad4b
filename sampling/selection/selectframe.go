package selection

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// SampleFrame is a population frame that SelectSample and Plan read batch
// by batch, possibly several times, always in the same row order. A large
// register on disk is streamed (see cmd/sipas: each Scan reopens the file
// with only the needed columns); NewRecordFrame wraps batches in memory.
type SampleFrame interface {
	// Schema is the schema of the whole frame.
	Schema() *arrow.Schema
	// Scan calls fn with the frame's record batches in row order. Each
	// batch holds at least the named columns (every column when cols is
	// nil) and is valid only during the call.
	Scan(cols []string, fn func(arrow.RecordBatch) error) error
}

// A SampleFrame that also has a method NumRows() int64 saying how many rows
// it holds lets SelectSample allocate its per-row arrays once.

// NewRecordFrame returns a SampleFrame over record batches in memory (which
// must share one schema and stay alive while the frame is used).
func NewRecordFrame(recs ...arrow.RecordBatch) SampleFrame {
	if len(recs) == 0 {
		panic("selection: NewRecordFrame: no record batches")
	}
	for _, r := range recs[1:] {
		if !r.Schema().Equal(recs[0].Schema()) {
			panic("selection: NewRecordFrame: record batches with different schemas")
		}
	}
	return &selRecordFrame{recs: recs}
}

type selRecordFrame struct{ recs []arrow.RecordBatch }

func (f *selRecordFrame) Schema() *arrow.Schema { return f.recs[0].Schema() }

// NumRows is the frame's number of rows (see SampleFrame).
func (f *selRecordFrame) NumRows() int64 {
	var n int64
	for _, r := range f.recs {
		n += r.NumRows()
	}
	return n
}

func (f *selRecordFrame) Scan(cols []string, fn func(arrow.RecordBatch) error) error {
	for _, r := range f.recs {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// selNodeKey identifies a node of the frame's hierarchy by its parent and
// its value at the node's level.
type selNodeKey struct {
	parent int32
	val    string
}

// selTree is the hierarchy of the frame read in the first pass: the root,
// then one level per stratum column, then one per unit stage (not the row
// stage). Node ids grow with creation, so a parent's id is smaller than its
// children's.
type selTree struct {
	d       *SampleDesign
	levels  []string // column of each level
	nStrata int      // strata levels
	nStages int      // unit-stage levels (stages minus the row stage)

	parent   []int32
	key      []string
	rows     []int64   // frame rows under the node
	size     []float64 // sum of the stage's size column (nodes of a pps stage with a size column)
	cert     []bool    // a row of the unit has the certainty column true
	children [][]int32
	lookup   map[selNodeKey]int32

	constCols []string    // per-stratum constant columns (sd, cost, ...)
	consts    [][]float64 // [col][node], NaN when unset

	leafOfRow []int32 // per frame row, when kept
	nrows     int64

	// Sort columns of the row stage, read in the first pass too: per column
	// and frame row, the rank of the row's value (selSortNull for missing).
	sortCols  []string
	sortCodes [][]uint32
	sortNames [][]string // interned values per column, by code
	sortNum   []bool     // the column is numeric: rank by value

	// rowSize is each frame row's size measure when the row stage is
	// pps_systematic (read in the first pass).
	rowSize []float64

	strata    []int32  // stratum nodes in sorted order
	stratumID []string // their keys ("all" without strata)
}

func (t *selTree) newNode(parent int32, key string) int32 {
	id := int32(len(t.parent))
	t.parent = append(t.parent, parent)
	t.key = append(t.key, key)
	t.rows = append(t.rows, 0)
	t.size = append(t.size, 0)
	t.cert = append(t.cert, false)
	for c := range t.consts {
		t.consts[c] = append(t.consts[c], math.NaN())
	}
	if parent >= 0 {
		t.lookup[selNodeKey{parent, key}] = id
	}
	return id
}

func (t *selTree) child(parent int32, val string) int32 {
	if id, ok := t.lookup[selNodeKey{parent, val}]; ok {
		return id
	}
	return t.newNode(parent, strings.Clone(val))
}

// selNear is the error for a column c the frame lacks: a near miss of its
// name (arrowio.NearMiss: "Province", "district\u200b") when the frame has
// one, else err.
func selNear(schema *arrow.Schema, c string, err error) error {
	if near := arrowio.NearMiss(schema, "", c); near != nil {
		return near
	}
	return err
}

// selConstColumns lists the per-stratum constant columns the design reads.
func selConstColumns(d *SampleDesign, plan bool) []string {
	var cols []string
	add := func(c string) {
		if c != "" && !slices.Contains(cols, c) {
			cols = append(cols, c)
		}
	}
	add(d.Size.Column)
	add(d.Allocation.SD)
	add(d.Allocation.Cost)
	if plan {
		add(d.Plan.DeffColumn)
		add(d.Plan.Cost)
	}
	return cols
}

// selScanTree reads the frame once (projected to the columns the design
// needs) and builds the hierarchy. withStages false reads only the strata
// (for Plan); keepRows keeps each row's leaf for later passes.
func selScanTree(ctx context.Context, frame SampleFrame, d *SampleDesign, withStages, keepRows, plan bool) (*selTree, error) {
	t := &selTree{d: d, lookup: map[selNodeKey]int32{}}
	t.levels = append(t.levels, d.Strata...)
	t.nStrata = len(d.Strata)
	if withStages {
		t.nStages = len(d.Stages) - 1
		for _, st := range d.Stages[:t.nStages] {
			t.levels = append(t.levels, st.Unit)
		}
	}
	t.constCols = selConstColumns(d, plan)
	t.consts = make([][]float64, len(t.constCols))
	t.newNode(-1, "")

	schema := frame.Schema()
	has := func(c string) bool { return len(schema.FieldIndices(c)) > 0 }
	need := slices.Clone(t.levels)
	for i, c := range d.Strata {
		if !has(c) {
			return nil, &SampleFrameError{Column: c, Err: selNear(schema, c, fmt.Errorf("stratum column (design field strata[%d]) is not in the frame; columns: %s", i, selNames(schema)))}
		}
	}
	sizeCol := make([]string, t.nStages)
	certCol := make([]string, t.nStages)
	for s := 0; s < t.nStages; s++ {
		st := d.Stages[s]
		if !has(st.Unit) {
			return nil, &SampleFrameError{Column: st.Unit, Err: selNear(schema, st.Unit, fmt.Errorf("stage unit column (design field stages[%d].unit) is not in the frame; columns: %s", s, selNames(schema)))}
		}
		if st.Method == PPSSystematic && st.Size != "" {
			if !has(st.Size) {
				return nil, &SampleFrameError{Column: st.Size, Err: selNear(schema, st.Size, fmt.Errorf("size measure column (design field stages[%d].size) is not in the frame; columns: %s", s, selNames(schema)))}
			}
			sizeCol[s] = st.Size
			need = append(need, st.Size)
		}
		if st.Certainty != nil {
			c := st.Certainty.Column
			if !has(c) {
				return nil, &SampleFrameError{Column: c, Err: selNear(schema, c, fmt.Errorf("certainty column (design field stages[%d].certainty.column) is not in the frame", s))}
			}
			if f, _ := schema.FieldsByName(c); f[0].Type.ID() != arrow.BOOL {
				return nil, &SampleFrameError{Column: c, Err: fmt.Errorf("certainty column must be boolean (true/false), it is %s", f[0].Type)}
			}
			certCol[s] = c
			need = append(need, c)
		}
	}
	var rowSizeCol string // the row stage's size column (pps_systematic)
	if withStages {
		last := d.Stages[len(d.Stages)-1]
		for _, c := range last.Sort {
			if !has(c) {
				return nil, &SampleFrameError{Column: c, Err: selNear(schema, c, fmt.Errorf("sort column (design field stages[%d].sort) is not in the frame; columns: %s", len(d.Stages)-1, selNames(schema)))}
			}
		}
		if keepRows && last.Method != Census {
			t.sortCols = last.Sort
			need = append(need, last.Sort...)
		}
		if keepRows && last.Method == PPSSystematic {
			if !has(last.Size) {
				return nil, &SampleFrameError{Column: last.Size, Err: selNear(schema, last.Size, fmt.Errorf("size column (design field stages[%d].size) is not in the frame; columns: %s", len(d.Stages)-1, selNames(schema)))}
			}
			rowSizeCol = last.Size
			need = append(need, last.Size)
		}
	}
	ns := len(t.sortCols)
	t.sortCodes = make([][]uint32, ns)
	t.sortNames = make([][]string, ns)
	t.sortNum = make([]bool, ns)
	sortKeys := make([]func(int) (string, bool), ns)
	sortIntern := make([]map[string]uint32, ns)
	sortLast := make([]string, ns)
	sortLastCode := make([]uint32, ns)
	for c := range sortIntern {
		sortIntern[c] = map[string]uint32{}
		sortLastCode[c] = selSortNull
	}
	for _, c := range t.constCols {
		if !has(c) {
			return nil, &SampleFrameError{Column: c, Err: selNear(schema, c, fmt.Errorf("column named in the design is not in the frame; columns: %s", selNames(schema)))}
		}
		need = append(need, c)
	}
	slices.Sort(need)
	need = slices.Compact(need)

	if nr, ok := frame.(interface{ NumRows() int64 }); ok && keepRows {
		rows := nr.NumRows()
		t.leafOfRow = make([]int32, 0, rows)
		for c := range t.sortCodes {
			t.sortCodes[c] = make([]uint32, 0, rows)
		}
	}
	L := len(t.levels)
	path := make([]int32, L+1) // path[0] = root
	havePrev := false
	keys := make([]func(int) (string, bool), L)
	var fc []int32 // per row of a batch: the first level whose value changes
	sizes := make([]func(int) (float64, bool), t.nStages)
	certs := make([]*array.Boolean, t.nStages)
	var rowSize func(int) (float64, bool)
	consts := make([]func(int) (float64, bool), len(t.constCols))
	err := frame.Scan(need, func(rec arrow.RecordBatch) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		for l, c := range t.levels {
			col := selColumn(rec, c)
			if col == nil {
				return &SampleFrameError{Column: c, Err: errors.New("column missing from a record batch")}
			}
			var err error
			if keys[l], err = selKeyReader(col); err != nil {
				return &SampleFrameError{Column: c, Err: err}
			}
		}
		for s := range sizes {
			sizes[s] = nil
			if sizeCol[s] != "" {
				var err error
				if sizes[s], err = selNumReader(selColumn(rec, sizeCol[s])); err != nil {
					return &SampleFrameError{Column: sizeCol[s], Err: fmt.Errorf("size measure: %v", err)}
				}
			}
			certs[s] = nil
			if certCol[s] != "" {
				b, ok := selColumn(rec, certCol[s]).(*array.Boolean)
				if !ok {
					return &SampleFrameError{Column: certCol[s], Err: errors.New("certainty column must be boolean (true/false)")}
				}
				certs[s] = b
			}
		}
		for c, name := range t.constCols {
			var err error
			if consts[c], err = selNumReader(selColumn(rec, name)); err != nil {
				return &SampleFrameError{Column: name, Err: err}
			}
		}
		if rowSizeCol != "" {
			var err error
			if rowSize, err = selNumReader(selColumn(rec, rowSizeCol)); err != nil {
				return &SampleFrameError{Column: rowSizeCol, Err: fmt.Errorf("size measure: %v", err)}
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				v, ok := rowSize(i)
				if !ok || !(v > 0) || math.IsInf(v, 0) {
					return &SampleFrameError{Column: rowSizeCol, Row: t.nrows + int64(i) + 1,
						Err: fmt.Errorf("size measure %v; PPS needs a positive size on every row — remove the row from the frame or fix its size", selShow(v, ok))}
				}
				t.rowSize = append(t.rowSize, v)
			}
		}
		for c, name := range t.sortCols {
			col := selColumn(rec, name)
			var err error
			if sortKeys[c], err = selKeyReader(col); err != nil {
				return &SampleFrameError{Column: name, Err: fmt.Errorf("sort column: %v", err)}
			}
			_, numErr := selNumReader(col)
			t.sortNum[c] = numErr == nil
		}
		n := int(rec.NumRows())
		for c, get := range sortKeys {
			codes := t.sortCodes[c]
			eq := selSameReader(selColumn(rec, t.sortCols[c]), get)
			for i := 0; i < n; i++ {
				if i > 0 && eq(i) {
					codes = append(codes, codes[len(codes)-1])
					continue
				}
				v, ok := get(i)
				code := uint32(selSortNull)
				if ok {
					if sortLastCode[c] != selSortNull && v == sortLast[c] {
						code = sortLastCode[c]
					} else {
						id, seen := sortIntern[c][v]
						if !seen {
							id = uint32(len(t.sortNames[c]))
							v = strings.Clone(v)
							sortIntern[c][v] = id
							t.sortNames[c] = append(t.sortNames[c], v)
						}
						code = id
						sortLast[c], sortLastCode[c] = t.sortNames[c][id], id
					}
				}
				codes = append(codes, code)
			}
			t.sortCodes[c] = codes
		}
		fc = slices.Grow(fc[:0], n)[:n]
		for i := range fc {
			fc[i] = int32(L)
		}
		for l, c := range t.levels {
			selMarkChanges(selColumn(rec, c), keys[l], int32(l), fc)
		}
		for i := 0; i < n; i++ {
			if i&(1<<16-1) == 0 && i > 0 { // a frame of one huge batch
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			row := t.nrows + int64(i)
			l := 0
			if i > 0 {
				l = int(fc[i])
			} else if havePrev {
				for ; l < L; l++ {
					v, ok := keys[l](i)
					if !ok || v != t.key[path[l+1]] {
						break
					}
				}
			}
			for ; l < L; l++ {
				v, ok := keys[l](i)
				if !ok {
					what := "stratum"
					if l >= t.nStrata {
						what = "stage unit"
					}
					return &SampleFrameError{Column: t.levels[l], Row: row + 1, Err: fmt.Errorf("missing %s value; every frame row needs one", what)}
				}
				path[l+1] = t.child(path[l], v)
			}
			havePrev = true
			leaf := path[L]
			t.rows[leaf]++
			if keepRows {
				t.leafOfRow = append(t.leafOfRow, leaf)
			}
			for s, get := range sizes {
				if get != nil {
					v, ok := get(i)
					if !ok || !(v >= 0) || math.IsInf(v, 0) {
						return &SampleFrameError{Column: sizeCol[s], Row: row + 1, Err: fmt.Errorf("size measure is %v; it must be a non-negative number", selShow(v, ok))}
					}
					u := path[t.nStrata+s+1]
					if t.size[u] += v; math.IsInf(t.size[u], 0) {
						return &SampleFrameError{Column: sizeCol[s], Row: row + 1, Err: fmt.Errorf("size measure %v makes its unit's total size overflow (past %g); use smaller units of measure", v, math.MaxFloat64)}
					}
				}
				if b := certs[s]; b != nil && b.IsValid(i) && b.Value(i) {
					t.cert[path[t.nStrata+s+1]] = true
				}
			}
			st := path[t.nStrata]
			for c, get := range consts {
				v, ok := get(i)
				if !ok {
					continue
				}
				cur := t.consts[c][st]
				if math.IsNaN(cur) {
					t.consts[c][st] = v
				} else if cur != v {
					return &SampleFrameError{Column: t.constCols[c], Row: row + 1, Stratum: t.pathKey(st),
						Err: fmt.Errorf("value %v differs from %v earlier in the same stratum; it must be constant within a stratum", v, cur)}
				}
			}
		}
		t.nrows += int64(n)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Row counts up the tree (children have larger ids than parents).
	for n := int32(len(t.parent)) - 1; n > 0; n-- {
		t.rows[t.parent[n]] += t.rows[n]
	}
	t.children = make([][]int32, len(t.parent))
	for n := int32(1); n < int32(len(t.parent)); n++ {
		p := t.parent[n]
		t.children[p] = append(t.children[p], n)
	}
	for _, ch := range t.children {
		sort.Slice(ch, func(a, b int) bool { return t.key[ch[a]] < t.key[ch[b]] })
	}
	t.lookup = nil
	t.rankSortCodes()
	var walk func(n int32, depth int)
	walk = func(n int32, depth int) {
		if depth == t.nStrata {
			t.strata = append(t.strata, n)
			t.stratumID = append(t.stratumID, t.pathKey(n))
			return
		}
		for _, c := range t.children[n] {
			walk(c, depth+1)
		}
	}
	walk(0, 0)
	return t, nil
}

// pathKey is the ":"-joined key of a node below the root ("all" for the
// root).
func (t *selTree) pathKey(n int32) string {
	if n == 0 {
		return "all"
	}
	var parts []string
	for ; n > 0; n = t.parent[n] {
		parts = append(parts, t.key[n])
	}
	slices.Reverse(parts)
	return strings.Join(parts, ":")
}

// stratumValues returns the strata column values of a stratum node.
func (t *selTree) stratumValues(n int32) []string {
	vals := make([]string, t.nStrata)
	for i := t.nStrata - 1; i >= 0; i-- {
		vals[i] = t.key[n]
		n = t.parent[n]
	}
	return vals
}

func selNames(s *arrow.Schema) string {
	names := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

func selShow(v float64, ok bool) string {
	if !ok {
		return "missing"
	}
	return fmt.Sprint(v)
}

// selDomain is a reporting domain of the size rule and its strata.
type selDomain struct {
	key    string
	strata []int // indexes into t.strata
}

// domains groups the strata by the values of the By columns.
func (t *selTree) domains(by []string) []selDomain {
	var idx []int
	for _, b := range by {
		idx = append(idx, slices.Index(t.d.Strata, b))
	}
	var out []selDomain
	pos := map[string]int{}
	for h, n := range t.strata {
		key := "all"
		if len(idx) > 0 {
			vals := t.stratumValues(n)
			parts := make([]string, len(idx))
			for i, j := range idx {
				parts[i] = vals[j]
			}
			key = strings.Join(parts, ":")
		}
		p, ok := pos[key]
		if !ok {
			p = len(out)
			pos[key] = p
			out = append(out, selDomain{key: key})
		}
		out[p].strata = append(out[p].strata, h)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].key < out[b].key })
	return out
}

// constOf returns the value of a per-stratum constant column (NaN if the
// stratum has none).
func (t *selTree) constOf(col string, h int) float64 {
	c := slices.Index(t.constCols, col)
	if c < 0 {
		return math.NaN()
	}
	return t.consts[c][t.strata[h]]
}

// sizes returns the number of ballots to issue per stratum (the final
// stage's count): the size rule per domain, divided by the response rate,
// bounded and rounded up, then allocated across the domain's strata.
func (t *selTree) sizes() ([]int, []selDomain, error) {
	d := t.d
	nh := make([]int, len(t.strata))
	rate := d.rate()
	doms := t.domains(d.domainBy())
	if d.Size.Column != "" {
		for h := range t.strata {
			v := t.constOf(d.Size.Column, h)
			if math.IsNaN(v) || v < 0 {
				return nil, nil, &SampleFrameError{Stratum: t.stratumID[h], Column: d.Size.Column, Err: fmt.Errorf("target size is %v; give a non-negative number on the stratum's rows", selShow(v, !math.IsNaN(v)))}
			}
			n := sizeCeil(v / rate)
			if int64(n) > t.rows[t.strata[h]] {
				return nil, nil, &SampleFrameError{Stratum: t.stratumID[h], Column: d.Size.Column, Err: fmt.Errorf("%w: n = %d (after the response rate) is larger than the stratum's N = %d rows", ErrCountsNotMet, n, t.rows[t.strata[h]])}
			}
			nh[h] = n
		}
		return nh, doms, nil
	}
	for _, dom := range doms {
		var N int64
		info := make([]StratumInfo, len(dom.strata))
		for i, h := range dom.strata {
			N += t.rows[t.strata[h]]
			info[i] = StratumInfo{Key: t.stratumID[h], N: int(t.rows[t.strata[h]])}
			if c := d.Allocation.SD; c != "" {
				info[i].SD = t.constOf(c, h)
			}
			if c := d.Allocation.Cost; c != "" {
				info[i].Cost = t.constOf(c, h)
			}
		}
		var n int
		var err error
		switch {
		case d.Size.Total > 0:
			n = sizeCeil(float64(d.Size.Total) / rate)
		case d.Size.Yamane != nil:
			y := d.Size.Yamane
			n, err = SizeRule{Method: Yamane, E: y.E, Rate: d.ResponseRate, Min: y.Min, Max: y.Max}.Size(int(N))
		case d.Size.MOE != nil:
			m := d.Size.MOE
			n, err = SizeRule{Method: MOE, E: m.E, Opt: CochranOptions{P: m.P, Level: m.Level, Deff: d.sizeDeff()}, Rate: d.ResponseRate, Min: m.Min, Max: m.Max}.Size(int(N))
		}
		if err != nil {
			return nil, nil, &SampleDesignError{Field: "size", Err: err}
		}
		alloc, err := Allocate(n, &d.Allocation, info)
		if err != nil {
			where := "domain " + dom.key
			if errors.Is(err, ErrCountsNotMet) {
				return nil, nil, &SampleFrameError{Stratum: dom.key, Err: fmt.Errorf("%s: %w", where, err)}
			}
			return nil, nil, &SampleFrameError{Stratum: dom.key, Err: err}
		}
		for i, h := range dom.strata {
			nh[h] = alloc[i]
		}
	}
	return nh, doms, nil
}

// selSortNull is the sort code of a missing value: it sorts last.
const selSortNull = math.MaxUint32

// rankSortCodes replaces the interned codes of the sort columns by the
// ranks of their values: byte order for strings, numeric order for numbers.
func (t *selTree) rankSortCodes() {
	for c, names := range t.sortNames {
		idx := make([]int, len(names))
		for i := range idx {
			idx[i] = i
		}
		if t.sortNum[c] {
			vals := make([]float64, len(names))
			for i, s := range names {
				vals[i], _ = strconv.ParseFloat(s, 64)
			}
			sort.Slice(idx, func(a, b int) bool { return vals[idx[a]] < vals[idx[b]] })
		} else {
			sort.Slice(idx, func(a, b int) bool { return names[idx[a]] < names[idx[b]] })
		}
		rank := make([]uint32, len(names))
		for r, i := range idx {
			rank[i] = uint32(r)
		}
		codes := t.sortCodes[c]
		for i, v := range codes {
			if v != selSortNull {
				codes[i] = rank[v]
			}
		}
	}
}
