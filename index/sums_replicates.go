package index

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
)

// suppliedReplicates reports whether spec's replicate weights are columns
// of the data.
func suppliedReplicates(spec *sampling.DesignOptions) bool {
	return spec != nil && (spec.RepWeightsPrefix != "" || spec.Variance == sampling.SuppliedReplicates)
}

// repGroupColumn is the column of a Sums table that gives each cell its
// group of the replicate sums (Sums.Replicates): its domain.
const repGroupColumn = "\x00sipas_rep_group"

// repSums accumulates, for a design with replicate weights given as
// columns, the sums of sampling.ReplicateSums per group (the cells'
// domain): per replicate and item Σ w_r y and Σ w_r x, and the Gram matrix
// of the replicate weights. Rows whose replicate weights are proportional
// to those of a pending run of the group (the rows of one PSU, usually,
// or of one PSU and calibration class: the same weights) are first summed
// as Σ c y, Σ c x, Σ c² with c the factor, and added to the group's sums
// times the weights only when the run is flushed (a group holds up to
// repSlots runs; a row of other weights flushes the oldest): a row then
// costs R comparisons and the items' additions, not R·K products.
type repSums struct {
	R, K   int
	cols   []string // the replicate weight columns, in order
	domKey []int    // positions of the domain columns in the Sums' keys
	rowPSU bool     // no PSU column: count the rows of nonzero weight

	groups    map[string]int32 // domain key codes → group
	cellGroup []int32
	y, x      []float64   // [(g·R + r)·K + k]
	gram      [][]float64 // per group, packed upper triangle
	pos       []int64     // per group: rows of nonzero weight (rowPSU)
	rows      int64
	pend      [][]repRun                    // per group: the runs of rows not yet multiplied out
	last      []int                         // per group: the run of the last row
	item      func(i int, ys, xs []float64) // the batch's items of row i

	// scratch
	wr     [][]float64
	keyBuf []byte
	ys, xs []float64 // one row's items
}

// repRun are rows of one group whose replicate weights are c_i·v.
type repRun struct {
	n      int
	v      []float64
	c2     float64
	sy, sx []float64
}

// initReplicates sets up s's replicate sums when spec's replicate weights
// are columns of schema; K is the number of items.
func (s *Sums) initReplicates(spec *sampling.DesignOptions, by []string, schema *arrow.Schema, K int) error {
	if !suppliedReplicates(spec) {
		return nil
	}
	cols, err := sampling.ReplicateColumns(schema, spec.RepWeightsPrefix)
	if err != nil {
		return err
	}
	rp := &repSums{R: len(cols), K: K, cols: cols, rowPSU: spec.PSU == "", groups: map[string]int32{},
		ys: make([]float64, K), xs: make([]float64, K)}
	for _, b := range by {
		for j, k := range s.keys {
			if k.name == b {
				rp.domKey = append(rp.domKey, j)
			}
		}
	}
	s.rep = rp
	return nil
}

// groupOf returns the group of cell c, creating it if new.
func (rp *repSums) groupOf(s *Sums, c int32) int32 {
	for int(c) >= len(rp.cellGroup) {
		cc := len(rp.cellGroup)
		b := rp.keyBuf[:0]
		for _, j := range rp.domKey {
			v := uint32(s.cell[cc][j])
			b = append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
		}
		rp.keyBuf = b
		g, ok := rp.groups[string(b)]
		if !ok {
			g = int32(len(rp.gram))
			rp.groups[string(b)] = g
			rp.addGroup()
		}
		rp.cellGroup = append(rp.cellGroup, g)
	}
	return rp.cellGroup[c]
}

func (rp *repSums) addGroup() {
	R, K := rp.R, rp.K
	rp.y = append(rp.y, make([]float64, R*K)...)
	rp.x = append(rp.x, make([]float64, R*K)...)
	rp.gram = append(rp.gram, make([]float64, R*(R+1)/2))
	rp.pos = append(rp.pos, 0)
	runs := make([]repRun, repSlots)
	for k := range runs {
		runs[k] = repRun{v: make([]float64, R), sy: make([]float64, K), sx: make([]float64, K)}
	}
	rp.pend = append(rp.pend, runs)
	rp.last = append(rp.last, 0)
}

// read takes the batch's replicate weights; a missing, negative or
// non-finite one is an error naming its column and input row.
func (rp *repSums) read(rec arrow.RecordBatch, first int64) error {
	rp.wr = rp.wr[:0]
	for _, name := range rp.cols {
		col, err := arrowio.Column(rec, name)
		if err != nil {
			return err
		}
		var v []float64
		var valid []bool
		if f, ok := col.(*array.Float64); ok && f.NullN() == 0 {
			v = f.Float64Values() // no copy
		} else if v, valid, err = arrowio.Float64s(col); err != nil {
			return fmt.Errorf("replicate weight column %q: %w", name, err)
		}
		for i, x := range v {
			if (valid != nil && !valid[i]) || !(x >= 0) || math.IsInf(x, 1) {
				val := "missing"
				if valid == nil || valid[i] {
					val = strconv.FormatFloat(x, 'g', -1, 64)
				}
				return fmt.Errorf("replicate weight column %q, row %d: %w: %s (replicate weights must be finite and ≥ 0)", name, first+int64(i)+1, sampling.ErrBadWeight, val)
			}
		}
		rp.wr = append(rp.wr, v)
	}
	return nil
}

// addRun sums rows [i0, i1) of the batch read, all in cell c, weights w
// (nil: 1), their items' y and x from item.
func (rp *repSums) addRun(s *Sums, c int32, i0, i1 int, w []float64) {
	g := rp.groupOf(s, c)
	for i := i0; i < i1; i++ {
		p, f := rp.runOf(g, i)
		p.n++
		p.c2 += f * f
		rp.item(i, rp.ys, rp.xs)
		for k, y := range rp.ys {
			p.sy[k] += f * y
			p.sx[k] += f * rp.xs[k]
		}
		if rp.rowPSU && (w == nil || w[i] != 0) {
			rp.pos[g]++
		}
	}
	rp.rows += int64(i1 - i0)
}

// repSlots is the number of pending runs of a group.
const repSlots = 8

// runOf returns the pending run of group g whose weights row i's
// replicate weights are c times, c > 0, and c: the run of the group's
// last row if so, else the first such run, else a new run (in an empty
// slot, or the next slot after the last row's, flushed), c = 1.
func (rp *repSums) runOf(g int32, i int) (*repRun, float64) {
	runs, last := rp.pend[g], rp.last[g]
	for j := range runs {
		k := (last + j) % len(runs)
		p := &runs[k]
		if p.n == 0 {
			continue
		}
		same := true
		for r, v := range p.v {
			if rp.wr[r][i] != v {
				same = false
				break
			}
		}
		f := 1.0
		if !same {
			if f = rp.factor(p.v, i); f == 0 {
				continue
			}
		}
		rp.last[g] = k
		return p, f
	}
	k := -1
	for j := range runs {
		if runs[j].n == 0 {
			k = j
			break
		}
	}
	if k < 0 {
		k = (last + 1) % len(runs)
		rp.flushRun(g, &runs[k])
	}
	p := &runs[k]
	for r := range p.v {
		p.v[r] = rp.wr[r][i]
	}
	rp.last[g] = k
	return p, 1
}

// factor returns c when row i's replicate weights are exactly c·v, c > 0
// (0 otherwise).
func (rp *repSums) factor(v []float64, i int) float64 {
	var c float64
	for r, x := range v {
		if x != 0 {
			c = rp.wr[r][i] / x
			break
		}
	}
	if !(c > 0) || math.IsInf(c, 0) {
		return 0
	}
	for r, x := range v {
		if rp.wr[r][i] != c*x {
			return 0
		}
	}
	return c
}

// flushRun adds the pending run p of group g to its sums: Σ w_r y =
// v_r Σ c y, and c² v vᵀ to its Gram matrix.
func (rp *repSums) flushRun(g int32, p *repRun) {
	if p.n == 0 {
		return
	}
	R, K := rp.R, rp.K
	for r, vr := range p.v {
		y := rp.y[(int(g)*R+r)*K : (int(g)*R+r+1)*K]
		x := rp.x[(int(g)*R+r)*K : (int(g)*R+r+1)*K]
		for k := range y {
			y[k] += vr * p.sy[k]
			x[k] += vr * p.sx[k]
		}
	}
	m := rp.gram[g]
	j := 0
	for a := 0; a < R; a++ {
		va := p.c2 * p.v[a]
		for b := a; b < R; b++ {
			m[j] += va * p.v[b]
			j++
		}
	}
	p.n, p.c2 = 0, 0
	clear(p.sy)
	clear(p.sx)
}

func (rp *repSums) flushAll() {
	for g, runs := range rp.pend {
		for k := range runs {
			rp.flushRun(int32(g), &runs[k])
		}
	}
}

// merge adds o's sums (of a Sums merged into s, cell oc of o being cell
// cellMap[oc] of s).
func (rp *repSums) merge(s *Sums, o *repSums, cellMap []int32) {
	o.flushAll()
	gmap := make([]int32, len(o.gram))
	for oc, c := range cellMap {
		gmap[o.cellGroup[oc]] = rp.groupOf(s, c)
	}
	R, K := rp.R, rp.K
	for og, g := range gmap {
		for j := 0; j < R*K; j++ {
			rp.y[int(g)*R*K+j] += o.y[og*R*K+j]
			rp.x[int(g)*R*K+j] += o.x[og*R*K+j]
		}
		for j, v := range o.gram[og] {
			rp.gram[g][j] += v
		}
		rp.pos[g] += o.pos[og]
	}
	rp.rows += o.rows
}

// Replicates returns, for a Sums of a design whose replicate weights are
// columns of the data, the sums its replicate variance needs (nil for
// other designs): per domain of the cells, replicate and item (estimand,
// for NewEstimandSums) the weighted sums, and the Gram matrix of the
// replicate weights. Its groups are given per cell by a column of Table;
// FromReplicateSums and EstimandReplicateSums read them there.
func (s *Sums) Replicates() *sampling.ReplicateSums {
	rp := s.rep
	if rp == nil {
		return nil
	}
	rp.flushAll()
	out := &sampling.ReplicateSums{R: rp.R, K: rp.K, Y: rp.y, X: rp.x, Gram: rp.gram, Rows: rp.rows}
	if rp.rowPSU {
		out.RowPSUs = rp.pos
	}
	return out
}

// cellGroups returns the group of every cell (creating the groups of
// cells not yet seen).
func (rp *repSums) cellGroups(s *Sums) []int32 {
	if len(s.n) > 0 {
		rp.groupOf(s, int32(len(s.n)-1))
	}
	return rp.cellGroup
}

// withGroups returns rs with the groups of the rows of a sums table read
// from its group column.
func withGroups(tab arrow.RecordBatch, rs *sampling.ReplicateSums) (*sampling.ReplicateSums, error) {
	i := tab.Schema().FieldIndices(repGroupColumn)
	if len(i) == 0 {
		return nil, fmt.Errorf("%w: the table has no replicate groups (it was not made with the replicate sums)", ErrSums)
	}
	v, _, err := arrowio.Float64s(tab.Column(i[0]))
	if err != nil {
		return nil, fmt.Errorf("%w: replicate groups: %v", ErrSums, err)
	}
	out := *rs
	out.Group = make([]int32, len(v))
	for r, g := range v {
		out.Group[r] = int32(g)
	}
	return &out, nil
}

// errNoReplicateSums is the error of finishing a design with replicate
// weight columns from a sums table alone.
var errNoReplicateSums = fmt.Errorf("%w: replicate weights given as columns need each replicate's sums, which a sums table does not hold (a column per replicate and item); compute from the ballots", ErrSums)

// replicateItems returns the function that gives the y and x of every
// item (estimand) on row i of the batch whose answer codes are codes.
func (s *Sums) replicateItems(codes [][]int8) func(i int, ys, xs []float64) {
	if v := s.vals; v != nil {
		return v.rowValues
	}
	return func(i int, ys, xs []float64) {
		for k := range ys {
			cd := uint8(codes[k][i])
			ys[k], xs[k] = s.ytab[k][cd], s.xtab[k][cd]
		}
	}
}

// rowValues sets the y (about the shift) and x of every estimand on row i
// of the batch read, 0 where it is not observed (the rows' Num and Den of
// sampling's estimators).
func (v *valueSums) rowValues(i int, ys, xs []float64) {
	for k, e := range v.est {
		jy := v.varIndex(e.Num)
		if !v.valid[jy][i] {
			ys[k], xs[k] = 0, 0
			continue
		}
		xi := 1.0
		if e.Statistic == sampling.StatRatio {
			jx := v.varIndex(e.Den)
			if !v.valid[jx][i] {
				ys[k], xs[k] = 0, 0
				continue
			}
			xi = v.val[jx][i]
		}
		ys[k], xs[k] = v.val[jy][i]-v.shift[k]*xi, xi
	}
}

// cellsDesign is the design of a sums table's cells prec (sampling.NewDesign),
// with the replicate sums rs when set.
func cellsDesign(prec arrow.RecordBatch, ds *sampling.DesignOptions, rs *sampling.ReplicateSums) (*sampling.Design, error) {
	if rs == nil {
		return sampling.NewDesign(prec, ds)
	}
	rg, err := withGroups(prec, rs)
	if err != nil {
		return nil, err
	}
	return sampling.NewReplicateSumsDesign(prec, ds, rg)
}

// FromReplicateSums is FromSums for a design whose replicate weights are
// columns of the ballots (spec.RepWeightsPrefix): sums is the table of a
// Sums (Sums.Table, whose column of the cells' domains it needs) and rs its
// Replicates. The replicate estimates come from rs and the degrees of
// freedom from the rank of its replicate weights, so estimates, SEs,
// intervals and degrees of freedom equal Compute's on the ballots (up to
// the order of the additions).
func FromReplicateSums(ctx context.Context, sums arrow.RecordBatch, rs *sampling.ReplicateSums, q *Questionnaire, spec *sampling.DesignOptions, opt *Options) (*Result, *sampling.Design, error) {
	if rs == nil {
		return nil, nil, errNoReplicateSums
	}
	r, d, _, err := fromSumsReps(ctx, sums, q, spec, opt, nil, nil, rs)
	return r, d, err
}

// EstimandReplicateSums is EstimandSums for a design whose replicate
// weights are columns (spec.RepWeightsPrefix), with rs the Replicates of
// the Sums whose Table tab is.
func EstimandReplicateSums(tab arrow.RecordBatch, rs *sampling.ReplicateSums, spec *sampling.DesignOptions, est []sampling.Estimand, shares []bool) (*sampling.Design, []sampling.CellSums, error) {
	if rs == nil {
		return nil, nil, errNoReplicateSums
	}
	d, cs, _, err := estimandSums(context.Background(), tab, spec, est, shares, rs, nil, nil, nil)
	return d, cs, err
}

// replicateColumnsOf returns the replicate weight columns of spec in the
// file at path (none when its replicates are not columns).
func replicateColumnsOf(path string, spec *sampling.DesignOptions, read []arrowio.Option) ([]string, error) {
	if !suppliedReplicates(spec) {
		return nil, nil
	}
	r, err := arrowio.Open(path, read...)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return sampling.ReplicateColumns(r.Schema(), spec.RepWeightsPrefix)
}

// repBatches returns so reading batches of fewer rows when R replicate
// weight columns are read (R > 0): about 1 MB of decoded replicate weights
// per batch, at least 4,096 rows, instead of R·8 bytes times the default
// batch.
func repBatches(so *StreamOptions, R int) *StreamOptions {
	if R == 0 {
		return so
	}
	out := *so
	out.Read = append(append([]arrowio.Option(nil), so.Read...), arrowio.WithBatchSize(max(4096, (1<<20)/(8*R))))
	return &out
}
