package selection

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// Output columns added by SelectSample.
const (
	SampleStratumColumn = "stratum"
	SamplePiColumn      = "pi"
	SampleWeightColumn  = "design_weight"
	SamplePSUColumn     = "psu"
	SampleFPCColumn     = "fpc_1"
	SampleReserveColumn = "reserve_rank"
)

// selPicked is one selected frame row.
type selPicked struct {
	row  int64
	leaf int32
	rank int32   // 0 main sample, 1.. reserve
	pi   float64 // the row stage's probability of a PPS row (0: m_j / R_j)
}

// SelectSample draws a stratified multi-stage sample from frame as the
// design says (DESIGN.json, docs/cli.md; METHODOLOGY §5) and returns the
// selected rows — main sample and reserve — in frame order, with every
// frame column plus:
//
//	stratum        the stratum key (strata values joined with ":"); a first-
//	               stage certainty unit is a stratum of its own, key
//	               "<stratum>/<unit>" (self-representing)
//	pi_1..pi_k     each stage's inclusion probability, conditional on the
//	               earlier stages
//	pi             their product, the overall inclusion probability
//	design_weight  1/pi
//	psu            the primary unit, unique across strata ("<stratum>/<unit>";
//	               in a self-representing stratum the second-stage unit; a
//	               row is "<stratum>/row<N>" with N its 1-based frame row)
//	fpc_1          the number of first-stage units in the stratum (only for
//	               srs and systematic first stages)
//	reserve_rank   0 for the main sample, 1..k for the reserve in the
//	               random order in which replacements are used, per stratum
//
// The algorithm:
//  1. Read the frame (only the columns the design names): the strata, the
//     units of each stage, their size measures (the sum of the stage's size
//     column over the unit's rows, or the number of rows), certainty flags,
//     and per row its final-stage parent and the ranks of its sort values
//     (4 bytes each: 30 million rows with one sort column keep 240 MB).
//  2. Count ballots per stratum: the size rule per domain, divided by the
//     response rate, bounded, rounded up, allocated across the domain's
//     strata (Allocate).
//  3. Select units stage by stage in each stratum (strata and units in
//     sorted key order): SelectSRS, SelectSystematic, SelectPPSSystematic with
//     InclusionProbabilities after taking the certainty units (which count
//     toward n), or census. A later stage's n applies to each selected
//     parent; a parent with fewer units has them all taken.
//  4. Split the stratum's count evenly across the selected final-stage
//     parents (largest remainder, capped at their rows), and select rows in
//     each by the row stage's method, in the order of the row stage's sort
//     columns (then frame order): pi_k = m_j / R_j. When the units drawn
//     hold fewer rows than the count (another draw could have met it; see
//     Plan's MinRows), every row of them is taken (pi_k = 1) and the
//     stratum is recorded as a Shortfall in the schema metadata
//     (Shortfalls reads it back).
//  5. Reserve: ⌈reserve · n_h⌉ rows per stratum by simple random sampling
//     from the unselected rows of the selected parents, ranked in the order
//     drawn. A reserve row carries the stage probabilities of the parent it
//     was drawn in (the weight of the ballot it replaces).
//
// A second and last read of the frame takes every column of the selected
// rows. Randomness comes only from rng, consumed in a fixed order, so the same
// frame, design and seed give the same sample on every machine. The
// caller must Release the record. Errors name the stratum, column, row or
// design field: *SampleFrameError, *SampleDesignError, and ErrCountsNotMet
// for counts that no draw can meet (checked before drawing, as Plan does,
// so that the error does not depend on the seed). When ctx is cancelled SelectSample stops
// at the next record batch or stratum and returns ctx.Err().
func SelectSample(ctx context.Context, frame SampleFrame, d *SampleDesign, rng *rand.Rand) (arrow.RecordBatch, error) {
	if rng == nil {
		panic("selection: SelectSample: nil rng")
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	schema := frame.Schema()
	k := len(d.Stages)
	extra := []string{SampleStratumColumn}
	for s := 1; s <= k; s++ {
		extra = append(extra, "pi_"+strconv.Itoa(s))
	}
	extra = append(extra, SamplePiColumn, SampleWeightColumn, SamplePSUColumn)
	first := d.Stages[0].Method
	withFPC := first == SRS || first == Systematic
	if withFPC {
		extra = append(extra, SampleFPCColumn)
	}
	extra = append(extra, SampleReserveColumn)
	for _, c := range extra {
		if len(schema.FieldIndices(c)) > 0 {
			return nil, &SampleFrameError{Column: c, Err: fmt.Errorf("the frame already has a column named %q, which the sample output adds; rename it", c)}
		}
	}

	t, err := selScanTree(ctx, frame, d, true, true, false)
	if err != nil {
		return nil, err
	}
	nh, doms, err := t.sizes()
	if err != nil {
		return nil, err
	}
	if err := t.checkSizes(); err != nil {
		return nil, err
	}
	if _, err := t.checkCounts(nh); err != nil {
		return nil, err
	}
	s := &selRun{ctx: ctx, t: t, d: d, rng: rng, pi: make([]float64, len(t.parent)), certOut: make([]bool, len(t.parent)), m: map[int32]int{},
		warnings: d.sizeWarnings(doms)}
	var leavesPer [][]int32
	for h := range t.strata {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		leaves, err := s.selectUnits(h, nh[h])
		if err != nil {
			return nil, err
		}
		leavesPer = append(leavesPer, leaves)
	}
	picked, err := s.selectRows(leavesPer)
	if err != nil {
		return nil, err
	}
	return s.output(frame, picked, withFPC)
}

type selRun struct {
	ctx     context.Context
	t       *selTree
	d       *SampleDesign
	rng     *rand.Rand
	pi      []float64 // conditional inclusion probability of a selected unit node
	certOut []bool    // first-stage unit taken with certainty: its own stratum
	m       map[int32]int
	slots   []int32     // selected final-stage parents, indexed by selPicked.leaf
	short   []Shortfall // strata whose drawn units held fewer rows than their count
	// warnings name what the draw did not take as given (a design effect
	// below 1 sized with 1)
	warnings []string
}

// Shortfall is a stratum whose selected units held fewer rows than its
// count: every row of them is in the sample (with probability 1 given the
// units), Rows ballots instead of Count.
type Shortfall struct {
	Stratum string `json:"stratum"`
	Count   int    `json:"count"`
	Rows    int    `json:"rows"`
}

// ShortfallMetadataKey is the schema metadata key under which SelectSample
// records its shortfalls (a JSON list of Shortfall), when there are any.
const ShortfallMetadataKey = "sipas.sample.shortfall"

// WarningsMetadataKey is the schema metadata key under which SelectSample
// records, as a JSON list of strings, what it did not take from the design
// as given (a size.moe.deff below 1, sized with 1), when there is any.
const WarningsMetadataKey = "sipas.sample.warnings"

// Warnings returns the warnings SelectSample recorded in a sample's schema
// metadata (none when the key is absent).
func Warnings(sample arrow.RecordBatch) ([]string, error) {
	var out []string
	if _, err := arrowio.MetadataJSON(sample.Schema().Metadata(), WarningsMetadataKey, &out); err != nil {
		return nil, fmt.Errorf("selection: metadata %s: %w", WarningsMetadataKey, err)
	}
	return out, nil
}

// Shortfalls returns the shortfalls SelectSample recorded in a sample's
// schema metadata (none when the key is absent).
func Shortfalls(sample arrow.RecordBatch) ([]Shortfall, error) {
	md := sample.Schema().Metadata()
	i := md.FindKey(ShortfallMetadataKey)
	if i < 0 {
		return nil, nil
	}
	var out []Shortfall
	if err := json.Unmarshal([]byte(md.Values()[i]), &out); err != nil {
		return nil, fmt.Errorf("selection: metadata %s: %w", ShortfallMetadataKey, err)
	}
	return out, nil
}

// selectUnits selects the unit stages in stratum h and returns the selected
// final-stage parents (the stratum node itself for a one-stage design) with
// their row counts m_j set.
func (s *selRun) selectUnits(h, n int) ([]int32, error) {
	t := s.t
	parents := []int32{t.strata[h]}
	for st := 0; st < t.nStages; st++ {
		var next []int32
		for _, p := range parents {
			sel, err := s.selectStage(h, st, p)
			if err != nil {
				return nil, err
			}
			next = append(next, sel...)
		}
		parents = next
	}
	spec := s.d.Stages[len(s.d.Stages)-1]
	if spec.Method == Census {
		for _, p := range parents {
			s.m[p] = int(t.rows[p])
		}
		return parents, nil
	}
	info := make([]StratumInfo, len(parents))
	var R int64
	for i, p := range parents {
		info[i] = StratumInfo{Key: fmt.Sprintf("%012d", i), N: int(t.rows[p])}
		R += t.rows[p]
	}
	if int64(n) > R {
		// the units drawn hold fewer rows than the count (another draw
		// could have met it: checkCounts): take all of them
		s.short = append(s.short, Shortfall{Stratum: t.stratumID[h], Count: n, Rows: int(R)})
		n = int(R)
	}
	alloc, err := Allocate(n, &AllocationSpec{Method: Equal}, info)
	if err != nil {
		return nil, &SampleFrameError{Stratum: t.stratumID[h], Err: err}
	}
	for i, p := range parents {
		s.m[p] = alloc[i]
	}
	return parents, nil
}

// selectStage selects the units of stage st under parent p of stratum h and
// records their probabilities.
func (s *selRun) selectStage(h, st int, p int32) ([]int32, error) {
	t := s.t
	spec := s.d.Stages[st]
	units := t.children[p]
	N := len(units)
	n := spec.N
	if spec.Method == Census || (st > 0 && n >= N) {
		for _, u := range units {
			s.pi[u] = 1
		}
		return units, nil
	}
	if n > N {
		return nil, &SampleFrameError{Stratum: t.stratumID[h], Column: spec.Unit,
			Err: fmt.Errorf("%w: stages[%d].n = %d but the stratum has only %d units", ErrCountsNotMet, st, n, N)}
	}
	var sel []int32
	switch spec.Method {
	case SRS, Systematic:
		var idx []int
		if spec.Method == SRS {
			idx = SelectSRS(s.rng, N, n)
		} else {
			idx = SelectSystematic(s.rng, N, n)
		}
		// An srs/systematic first stage taking every unit is not a
		// certainty stratum: the units keep their stratum (fpc_1 = N_h
		// gives no first-stage variance). Only pps_systematic marks certOut.
		for _, i := range idx {
			u := units[i]
			s.pi[u] = float64(n) / float64(N)
			sel = append(sel, u)
		}
		return sel, nil
	}
	// pps_systematic
	var certain, others []int32
	var sizes []float64
	for _, u := range units {
		size := float64(t.rows[u])
		if spec.Size != "" {
			size = t.size[u]
		}
		if !(size > 0) {
			return nil, &SampleFrameError{Stratum: t.stratumID[h], Column: spec.Unit,
				Err: fmt.Errorf("unit %q has size measure %v (stages[%d].size %q); PPS needs positive sizes — remove the unit from the frame or fix its size", t.key[u], size, st, spec.Size)}
		}
		if t.cert[u] {
			certain = append(certain, u)
		} else {
			others = append(others, u)
			sizes = append(sizes, size)
		}
	}
	if len(certain) > n {
		return nil, &SampleFrameError{Stratum: t.stratumID[h], Column: spec.Certainty.Column,
			Err: fmt.Errorf("%w: %d certainty units but stages[%d].n = %d; certainty units count toward n", ErrCountsNotMet, len(certain), st, n)}
	}
	for _, u := range certain {
		s.pi[u] = 1
	}
	sel = append(sel, certain...)
	pik := InclusionProbabilities(sizes, n-len(certain))
	for _, i := range SelectPPSSystematic(s.rng, pik) {
		u := others[i]
		s.pi[u] = pik[i]
		sel = append(sel, u)
	}
	if st == 0 {
		for _, u := range sel {
			if s.pi[u] >= 1-selEps {
				s.pi[u] = 1
				s.certOut[u] = true
			}
		}
	}
	slices.SortFunc(sel, func(a, b int32) int {
		if t.key[a] < t.key[b] {
			return -1
		}
		if t.key[a] > t.key[b] {
			return 1
		}
		return 0
	})
	return sel, nil
}

// selectRows selects the rows of the selected final-stage parents (in the
// order of the sort ranks read in the first pass) and draws the reserve.
func (s *selRun) selectRows(leavesPer [][]int32) ([]selPicked, error) {
	t := s.t
	spec := s.d.Stages[len(s.d.Stages)-1]
	var leaves []int32
	for _, ls := range leavesPer {
		leaves = append(leaves, ls...)
	}
	// The selected final-stage parents are leaves of the tree (depth =
	// number of levels), so each frame row belongs to at most one of them.
	slotOfNode := make([]int32, len(t.parent))
	for i := range slotOfNode {
		slotOfNode[i] = -1
	}
	for slot, l := range leaves {
		slotOfNode[l] = int32(slot)
	}
	offset := make([]int64, len(leaves)+1)
	for i, l := range leaves {
		offset[i+1] = offset[i] + t.rows[l]
	}
	cand := make([]int64, offset[len(leaves)])
	fill := slices.Clone(offset[:len(leaves)])
	for row, leaf := range t.leafOfRow {
		if sl := slotOfNode[leaf]; sl >= 0 {
			cand[fill[sl]] = int64(row)
			fill[sl]++
		}
	}

	// Order each parent's rows by the sort columns (ranks read in the first
	// pass), then by frame row.
	if len(t.sortCols) > 0 {
		for i := range leaves {
			if err := s.ctx.Err(); err != nil {
				return nil, err
			}
			selSortSegment(cand[offset[i]:offset[i+1]], t.sortCodes)
		}
	}
	t.leafOfRow = nil // no longer needed: free the memory before the last pass
	t.sortCodes = nil

	var picked []selPicked
	pos := 0
	for _, ls := range leavesPer {
		if err := s.ctx.Err(); err != nil {
			return nil, err
		}
		var pool []int64
		var poolSlot []int32
		total := 0
		for range ls {
			slot := pos
			pos++
			l := leaves[slot]
			seg := cand[offset[slot]:offset[slot+1]]
			m := s.m[l]
			total += m
			var idx []int
			switch spec.Method {
			case Census:
				idx = make([]int, len(seg))
				for i := range idx {
					idx[i] = i
				}
			case SRS:
				idx = SelectSRS(s.rng, len(seg), m)
			case PPSSystematic:
				sizes := make([]float64, len(seg))
				for i, r := range seg {
					sizes[i] = t.rowSize[r]
				}
				pik := InclusionProbabilities(sizes, m)
				idx = SelectPPSSystematic(s.rng, pik)
				for _, i := range idx {
					picked = append(picked, selPicked{row: seg[i], leaf: int32(slot), pi: pik[i]})
				}
			default:
				idx = SelectSystematic(s.rng, len(seg), m)
			}
			taken := make([]bool, len(seg))
			for _, i := range idx {
				taken[i] = true
				if spec.Method != PPSSystematic {
					picked = append(picked, selPicked{row: seg[i], leaf: int32(slot)})
				}
			}
			if s.d.Reserve > 0 {
				for i, r := range seg {
					if !taken[i] {
						pool = append(pool, r)
						poolSlot = append(poolSlot, int32(slot))
					}
				}
			}
		}
		if s.d.Reserve > 0 && total > 0 {
			k := min(sizeCeil(s.d.Reserve*float64(total)), len(pool))
			for r, i := range selSRSOrdered(s.rng, len(pool), k) {
				picked = append(picked, selPicked{row: pool[i], leaf: poolSlot[i], rank: int32(r + 1)})
			}
		}
	}
	t.rowSize = nil
	sort.Slice(picked, func(a, b int) bool { return picked[a].row < picked[b].row })
	// leaf now holds the slot; translate to the selected parent node.
	s.slots = leaves
	return picked, nil
}

// selSortSegment sorts the rows of one parent by their sort ranks, then by
// frame row.
func selSortSegment(seg []int64, codes [][]uint32) {
	sort.Slice(seg, func(a, b int) bool {
		ra, rb := seg[a], seg[b]
		for _, c := range codes {
			if c[ra] != c[rb] {
				return c[ra] < c[rb]
			}
		}
		return ra < rb
	})
}

// output reads the frame a last time and builds the sample: the selected
// rows' frame columns (compute.Take per batch) and the design columns.
func (s *selRun) output(frame SampleFrame, picked []selPicked, withFPC bool) (arrow.RecordBatch, error) {
	t := s.t
	mem := memory.DefaultAllocator
	ctx := compute.WithAllocator(s.ctx, mem)
	schema := frame.Schema()
	nf := schema.NumFields()
	chunks := make([][]arrow.Array, nf)
	release := func() {
		for _, cs := range chunks {
			for _, a := range cs {
				a.Release()
			}
		}
	}
	defer release()
	var base int64
	next := 0
	err := frame.Scan(nil, func(rec arrow.RecordBatch) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := int64(rec.NumRows())
		var local []int64
		for next < len(picked) && picked[next].row < base+n {
			local = append(local, picked[next].row-base)
			next++
		}
		base += n
		if len(local) == 0 {
			return nil
		}
		ib := array.NewInt64Builder(mem)
		ib.AppendValues(local, nil)
		idx := ib.NewArray()
		ib.Release()
		defer idx.Release()
		for f := 0; f < nf; f++ {
			col := selColumn(rec, schema.Field(f).Name)
			if col == nil {
				return &SampleFrameError{Column: schema.Field(f).Name, Err: fmt.Errorf("column missing from a record batch")}
			}
			out, err := compute.TakeArray(ctx, col, idx)
			if err != nil {
				return fmt.Errorf("selection: taking rows of column %q: %w", schema.Field(f).Name, err)
			}
			if dict, ok := out.(*array.Dictionary); ok && schema.Field(f).Type.ID() != arrow.DICTIONARY {
				// A frame may deliver a string column dictionary-encoded (cheaper
				// to read); the sample keeps the frame schema's type.
				plain, err := compute.TakeArray(ctx, dict.Dictionary(), dict.Indices())
				out.Release()
				if err != nil {
					return fmt.Errorf("selection: decoding column %q: %w", schema.Field(f).Name, err)
				}
				out = plain
			}
			chunks[f] = append(chunks[f], out)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if next != len(picked) {
		return nil, fmt.Errorf("selection: the frame has fewer rows in the last pass (%d) than in the first (%d); it must not change while sampling", base, t.nrows)
	}
	cols := make([]arrow.Array, 0, nf+8)
	fields := slices.Clone(schema.Fields())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for f := 0; f < nf; f++ {
		var a arrow.Array
		if len(chunks[f]) == 0 {
			a = array.MakeArrayOfNull(mem, schema.Field(f).Type, 0)
		} else {
			var err error
			if a, err = array.Concatenate(chunks[f], mem); err != nil {
				return nil, err
			}
		}
		cols = append(cols, a)
	}

	k := len(s.d.Stages)
	stratumB := array.NewStringBuilder(mem)
	psuB := array.NewStringBuilder(mem)
	piB := make([]*array.Float64Builder, k+2) // pi_1..pi_k, pi, design_weight
	for i := range piB {
		piB[i] = array.NewFloat64Builder(mem)
	}
	fpcB := array.NewFloat64Builder(mem)
	rankB := array.NewInt64Builder(mem)
	S := t.nStrata
	path := make([]int32, len(t.levels)+1)
	for _, p := range picked {
		leaf := s.slots[p.leaf]
		n := leaf
		for d := len(t.levels); d >= 0; d-- {
			path[d] = n
			if d > 0 {
				n = t.parent[n]
			}
		}
		stratum := t.pathKey(path[S])
		if S == 0 {
			stratum = "all"
		}
		strat := stratum
		prod := 1.0
		for st := 0; st < t.nStages; st++ {
			pi := s.pi[path[S+st+1]]
			piB[st].Append(pi)
			prod *= pi
		}
		last := 1.0
		switch {
		case p.pi > 0: // a row drawn with probability proportional to size
			last = p.pi
		case s.d.Stages[k-1].Method != Census:
			last = float64(s.m[leaf]) / float64(t.rows[leaf])
		}
		piB[k-1].Append(last)
		prod *= last
		piB[k].Append(prod)
		piB[k+1].Append(1 / prod)
		rowID := "/row" + strconv.FormatInt(p.row+1, 10)
		var psu string
		switch {
		case t.nStages == 0:
			psu = strat + rowID
		case s.certOut[path[S+1]]:
			strat = stratum + "/" + t.key[path[S+1]]
			if t.nStages >= 2 {
				psu = strat + "/" + t.key[path[S+2]]
			} else {
				psu = strat + rowID
			}
		default:
			psu = stratum + "/" + t.key[path[S+1]]
		}
		stratumB.Append(strat)
		psuB.Append(psu)
		if withFPC {
			if t.nStages == 0 {
				fpcB.Append(float64(t.rows[path[S]]))
			} else {
				fpcB.Append(float64(len(t.children[path[S]])))
			}
		}
		rankB.Append(int64(p.rank))
	}
	add := func(name string, b array.Builder) {
		cols = append(cols, b.NewArray())
		b.Release()
		fields = append(fields, arrow.Field{Name: name, Type: cols[len(cols)-1].DataType()})
	}
	add(SampleStratumColumn, stratumB)
	for st := 0; st < k; st++ {
		add("pi_"+strconv.Itoa(st+1), piB[st])
	}
	add(SamplePiColumn, piB[k])
	add(SampleWeightColumn, piB[k+1])
	add(SamplePSUColumn, psuB)
	if withFPC {
		add(SampleFPCColumn, fpcB)
	} else {
		fpcB.Release()
	}
	add(SampleReserveColumn, rankB)
	var md arrow.Metadata
	if len(s.short) > 0 {
		if md, err = arrowio.SetMetadataJSON(md, ShortfallMetadataKey, s.short); err != nil {
			return nil, err
		}
	}
	if len(s.warnings) > 0 {
		if md, err = arrowio.SetMetadataJSON(md, WarningsMetadataKey, s.warnings); err != nil {
			return nil, err
		}
	}
	var mdp *arrow.Metadata
	if md.Len() > 0 {
		mdp = &md
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, mdp), cols, int64(len(picked))), nil
}

// checkSizes rejects a zero size measure on any unit of a PPS stage, before
// selecting, so that the error does not depend on which parents the seed
// happens to select.
func (t *selTree) checkSizes() error {
	var walk func(n int32, depth int) error
	walk = func(n int32, depth int) error {
		if st := depth - t.nStrata - 1; st >= 0 {
			spec := t.d.Stages[st]
			if spec.Method == PPSSystematic && spec.Size != "" && !(t.size[n] > 0) {
				s := n
				for d := depth; d > t.nStrata; d-- {
					s = t.parent[s]
				}
				return &SampleFrameError{Stratum: t.pathKey(s), Column: spec.Unit,
					Err: fmt.Errorf("unit %q has size measure %v (stages[%d].size %q); PPS needs positive sizes — remove the unit from the frame or fix its size", t.key[n], t.size[n], st, spec.Size)}
			}
		}
		for _, c := range t.children[n] {
			if err := walk(c, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(0, 0)
}
