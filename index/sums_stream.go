package index

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// StreamOptions configure SumFile. The zero value (or nil) reads with two
// workers and reports no progress.
type StreamOptions struct {
	// Workers is the number of goroutines that decode and sum a Parquet
	// file's row groups (each its own share of them); default 2. With a
	// Weighting they are instead the accumulators, each summing its own
	// share of the cells of every batch, fed by one decoder per two (each
	// cell is then held once and summed in input order). Other formats
	// are decoded by one goroutine and summed by another.
	Workers int
	// Progress, when set, is called after every batch with the number of
	// rows summed so far (from the workers' goroutines, one call at a time).
	Progress func(rows int64)
	// Read are further options of the file reader (e.g. standard input).
	Read []arrowio.Option
	// Columns are further columns to read (for Transform), if the file
	// has them.
	Columns []string
	// Transform, when set, is given every batch before it is summed (from
	// the workers' goroutines, possibly at once), with the number of input
	// rows before it (for the row numbers of messages), and returns the
	// batch to sum instead, with the same rows (released after summing);
	// its error stops the run as a bad row does.
	Transform func(rec arrow.RecordBatch, first int64) (arrow.RecordBatch, error)
	// Weighting, when set, sums the design weights of its specification
	// in cells also keyed by its classes (WeightingSumsSupport), to be
	// finished by FromWeightedSums; the design's weight must be unset.
	Weighting *weighting.Spec
	// MaxCellBytesPerRow, when > 0, bounds the memory of the cells: the
	// run stops with a *CellLimitError (wrapping ErrCellLimit) as soon as
	// the bytes its cells hold exceed this many per row of the file (its
	// rows when the reader knows them before the data, as for Parquet and
	// CSV, else the rows read so far). A design whose cells can be as many
	// as the rows (units of a last stage, distinct design weights) can
	// thus be tried streamed and read otherwise. 0: no bound.
	MaxCellBytesPerRow float64
}

// SumFile reads the ballots of the table file at path in one pass, batch by
// batch, and returns their Sums (see NewSums for q, spec and opt; only the
// columns they name are read). Memory is bounded by the cells (strata ×
// PSUs × domains) and a batch per worker, not by the rows. The first error
// stops every worker: a reader error (a corrupt Parquet row group is named
// in it) or an error of Sums.Add naming the input row.
func SumFile(ctx context.Context, path string, q *Questionnaire, spec *sampling.DesignOptions, opt *Options, so *StreamOptions) (*Sums, error) {
	if so == nil {
		so = &StreamOptions{}
	}
	if q == nil {
		q = DefaultQuestionnaire()
	}
	if opt == nil {
		opt = &Options{}
	}
	if err := weightingSumsSupport(spec, so.Weighting); err != nil {
		return nil, err
	}
	cols := append([]string(nil), q.Columns()...)
	wcols, wkeys := weightingColumns(so.Weighting)
	cols = append(cols, wcols...)
	if !opt.NoExpectations {
		cols = append(cols, q.ExpectationColumns()...)
	}
	cols = append(cols, designColumns(spec, opt.By)...)
	rc, err := replicateColumnsOf(path, spec, so.Read)
	if err != nil {
		return nil, err
	}
	cols = append(cols, rc...)
	so = repBatches(so, len(rc))
	keys := dictColumns(spec, opt.By)
	keys = append(keys, wkeys...)
	s, err := sumFile(ctx, path, cols, keys, so, func(sch *arrow.Schema) (*Sums, error) {
		s, err := newSums(q, spec, opt, sch, so.Weighting)
		if err == nil && madeSums != nil {
			madeSums(s)
		}
		return s, err
	})
	if err != nil {
		return nil, err
	}
	if err := s.checkDesign(spec); err != nil {
		return nil, err
	}
	return s, s.checkWeighting(so.Weighting)
}

// madeSums, when set (by tests), is given every accumulator SumFile makes.
var madeSums func(*Sums)

// checkDesign returns the error of the design of the ballots about their
// strata, PSUs and fpc (a PSU in two strata, an fpc that varies within a
// stratum or is no count or fraction; a later stage's fpc that varies
// within its unit above; an inclusion probability that varies within a
// PSU), or nil, naming the same input row:
// each cell is a row of a design in the order of the cells' first
// ballots, named by that ballot's row, so the first cell to break a rule
// is the one whose first ballot is the first row to break it.
func (s *Sums) checkDesign(spec *sampling.DesignOptions) error {
	stages := varianceStages(spec)
	rec, _, rows, err := s.firstCells(func(k *sumsKey) bool {
		if k.name == spec.Strata || k.name == spec.PSU || k.name == spec.FPC {
			return true
		}
		for _, st := range stages {
			if k.name == st.Unit || k.name == st.FPC {
				return true
			}
		}
		return false
	})
	if err != nil {
		return err
	}
	defer rec.Release()
	_, err = sampling.NewDesign(rec, &sampling.DesignOptions{Strata: spec.Strata, PSU: spec.PSU, FPC: spec.FPC, Stages: stages, Nest: spec.Nest,
		PPS: spec.PPS, JointProb: spec.JointProb, Lonely: sampling.LonelyRemove, RowNumbers: rows})
	return err
}

// firstCells returns the key columns that keep keeps (nil: all) of the
// cells in the order of their first ballots, as a record (the caller
// releases it), that order, and the input row (1-based) of each one's
// first ballot in that order.
func (s *Sums) firstCells(keep func(*sumsKey) bool) (rec arrow.RecordBatch, order []int, rows []int64, err error) {
	order = make([]int, len(s.n))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(s.first[a], s.first[b]) })
	rows = make([]int64, len(order))
	for i, c := range order {
		rows[i] = s.first[c] + 1
	}
	fields, cols, err := s.keyColumns(memory.DefaultAllocator, order, keep)
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	if err != nil {
		return nil, nil, nil, err
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(len(order))), order, rows, nil
}

// designColumns are the weight, design and domain columns of spec and by.
func designColumns(spec *sampling.DesignOptions, by []string) []string {
	var cols []string
	for _, c := range append([]string{spec.Weight, spec.Strata, spec.PSU, spec.FPC}, by...) {
		if c != "" {
			cols = append(cols, c)
		}
	}
	for _, st := range varianceStages(spec) {
		cols = append(cols, st.Unit, st.FPC)
	}
	return cols
}

// dictColumns are the columns read as dictionaries: the design and domain
// columns repeat a few values, so they are coded once per batch instead of
// copied string by string.
func dictColumns(spec *sampling.DesignOptions, by []string) []string {
	var keys []string
	for _, c := range append([]string{spec.Strata, spec.PSU}, by...) {
		if c != "" {
			keys = append(keys, c)
		}
	}
	for _, st := range varianceStages(spec) {
		keys = append(keys, st.Unit)
	}
	return keys
}

// withPresent is cols and those of so.Columns the file at path has (an
// unreadable file adds none: its reading reports the error).
func withPresent(path string, cols []string, so *StreamOptions) []string {
	if len(so.Columns) == 0 {
		return cols
	}
	if r, err := arrowio.Open(path, so.Read...); err == nil {
		for _, c := range so.Columns {
			if len(r.Schema().FieldIndices(c)) > 0 {
				cols = append(cols, c)
			}
		}
		r.Close()
	}
	return cols
}

// sumFile reads the columns cols of the file at path (keys as
// dictionaries) in one pass and adds every batch to the Sums that makeSums
// makes for the file's schema (one per Parquet worker, merged at the end).
func sumFile(ctx context.Context, path string, cols, keys []string, so *StreamOptions, makeSums func(*arrow.Schema) (*Sums, error)) (*Sums, error) {
	if so == nil {
		so = &StreamOptions{}
	}
	cols = withPresent(path, cols, so)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var done atomic.Int64
	var pmu sync.Mutex
	progress := func(n int) {
		d := done.Add(int64(n))
		if so.Progress != nil {
			pmu.Lock()
			so.Progress(d)
			pmu.Unlock()
		}
	}
	read := append(append([]arrowio.Option(nil), so.Read...), arrowio.WithColumns(cols...), arrowio.WithDictionary(keys...), arrowio.WithRecycledBuffers())
	if f, err := arrowio.FormatOf(path); err == nil && f == arrowio.Parquet {
		return sumParquet(ctx, cancel, path, makeSums, so, read, progress, &done)
	}
	lim := newCellLimit(path, so, 1)
	r, err := arrowio.Open(path, read...)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	s, err := makeSums(r.Schema())
	if err != nil {
		return nil, err
	}
	lim.watch(0, s, &done)
	// one goroutine decodes, this one sums
	batches := make(chan arrow.RecordBatch, 2)
	var rerr error
	go func() {
		defer close(batches)
		for r.Next() {
			rec := r.RecordBatch()
			rec.Retain()
			select {
			case batches <- rec:
			case <-ctx.Done():
				rec.Release()
				return
			}
		}
		rerr = r.Err()
	}()
	var first int64
	var aerr error
	for rec := range batches {
		if aerr == nil {
			if aerr = ctx.Err(); aerr == nil {
				aerr = so.add(s, rec, first)
			}
			if aerr != nil {
				cancel()
			}
			first += rec.NumRows()
			progress(int(rec.NumRows()))
			if aerr == nil {
				if aerr = lim.check(0, s, &done, 0); aerr != nil {
					cancel()
				}
			}
		}
		rec.Release()
	}
	if aerr != nil {
		return nil, aerr
	}
	if rerr != nil {
		return nil, rerr
	}
	s.unwatch()
	return s, nil
}

// sumParquet is SumFile for Parquet: worker i decodes and sums the row
// groups g with g mod workers = i; their Sums are merged at the end.
func sumParquet(ctx context.Context, cancel func(), path string, makeSums func(*arrow.Schema) (*Sums, error),
	so *StreamOptions, read []arrowio.Option, progress func(int), done *atomic.Int64) (*Sums, error) {
	nw := so.Workers
	if nw <= 0 {
		nw = 2
	}
	if so.Weighting != nil && nw > 1 {
		return sumShards(ctx, cancel, path, makeSums, so, read, progress, done, nw)
	}
	lim := newCellLimit(path, so, nw)
	sums := make([]*Sums, nw)
	errs := make([]error, nw)
	var wg sync.WaitGroup
	for wi := 0; wi < nw; wi++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := func() error {
				// a copy of read each: appending to a shared slice with
				// room to spare would let one worker's row groups
				// overwrite the other's
				r, err := arrowio.Open(path, append(read[:len(read):len(read)], arrowio.WithRowGroups(func(g int) bool { return g%nw == wi }))...)
				if err != nil {
					return err
				}
				defer r.Close()
				s, err := makeSums(r.Schema())
				if err != nil {
					return err
				}
				lim.watch(wi, s, done)
				sums[wi] = s
				for r.Next() {
					if err := ctx.Err(); err != nil {
						return err
					}
					rec := r.RecordBatch()
					_, first, _ := arrowio.BatchPosition(r)
					if err := so.add(s, rec, first); err != nil {
						return err
					}
					progress(int(rec.NumRows()))
					if err := lim.check(wi, s, done, 0); err != nil {
						return err
					}
				}
				return r.Err()
			}()
			if err != nil {
				errs[wi] = err
				cancel()
			}
		}()
	}
	wg.Wait()
	// the error that stopped the others, not their cancellation
	if err := firstError(errs...); err != nil {
		return nil, err
	}
	return mergeShards(sums), nil
}

// firstError is the first of errs that is not a cancellation (the error
// that stopped the others), else the first one, or nil.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// mergeShards merges the Sums of the workers into the first, dropping
// each once merged.
func mergeShards(sums []*Sums) *Sums {
	for i, s := range sums[1:] {
		sums[0].merge(s, true)
		sums[i+1] = nil // released
	}
	sums[0].unwatch()
	return sums[0]
}

// shardBatch is a batch of a Parquet file for the accumulators of
// sumShards, with the input row of its first row; each accumulator
// releases it once summed.
type shardBatch struct {
	rec   arrow.RecordBatch
	first int64
}

// sumShards is sumParquet with the cells shared out instead of the row
// groups: nd decoders (shardDecoders) each read the row groups g with
// g mod nd = i and hand every batch to all nw accumulators, which
// take the batches in the order of the file and each sums the rows of its
// shard of the cells (cellShard). So every cell is held once, not once per
// worker (with a weighting's cells, keyed by classes too, one copy of
// their sums is most of the memory), and its sums are added in the order
// of the input rows, as by a single worker, whatever the workers. The
// decoding and the summing still take both cores.
func sumShards(ctx context.Context, cancel func(), path string, makeSums func(*arrow.Schema) (*Sums, error),
	so *StreamOptions, read []arrowio.Option, progress func(int), done *atomic.Int64, nw int) (*Sums, error) {
	// the accumulators' Sums, made for the reader's schema
	r, err := arrowio.Open(path, read...)
	if err != nil {
		return nil, err
	}
	sch := r.Schema()
	r.Close()
	lim := newCellLimit(path, so, nw)
	sums := make([]*Sums, nw)
	for a := range sums {
		if sums[a], err = makeSums(sch); err != nil {
			return nil, err
		}
		lim.watch(a, sums[a], done)
		sums[a].shard, sums[a].shards = a, nw
		if sq := sums[a].sq; sq != nil {
			sq.shard, sq.shards = a, nw
		}
	}
	nd := shardDecoders(nw)
	chans := make([][]chan shardBatch, nd) // [decoder][accumulator]
	for d := range chans {
		chans[d] = make([]chan shardBatch, nw)
		for a := range chans[d] {
			chans[d][a] = make(chan shardBatch, 2)
		}
	}
	errs := make([]error, nw+nd) // the accumulators', then the decoders'
	var wg sync.WaitGroup
	for d := 0; d < nd; d++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				for _, ch := range chans[d] {
					close(ch)
				}
			}()
			if err := decodeShards(ctx, path, read, d, nd, so, chans[d]); err != nil {
				errs[nw+d] = err
				cancel()
			}
		}()
	}
	for a := 0; a < nw; a++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ins := make([]<-chan shardBatch, nd)
			for d := range ins {
				ins[d] = chans[d][a]
			}
			if err := accumulateShard(ctx, ins, sums[a], progress, func() error { return lim.check(a, sums[a], done, 0) }); err != nil {
				errs[a] = err
				cancel()
			}
		}()
	}
	wg.Wait()
	if err := firstError(errs...); err != nil {
		return nil, err
	}
	return mergeShards(sums), nil
}

// shardDecoders is the number of decoders of sumShards for nw
// accumulators: one per two. The decoding takes about a quarter of the
// CPU time of a weighting's cells, so one decoder keeps two accumulators
// busy, and each decoder holds its column readers' page buffers (about
// 100 MB for the 22 criteria and 7 expectation items).
func shardDecoders(nw int) int { return max(1, nw/2) }

// decodeShards reads decoder d's row groups of the file and sends every
// batch (transformed by so.Transform) to each of outs, one reference
// each.
func decodeShards(ctx context.Context, path string, read []arrowio.Option, d, nw int, so *StreamOptions, outs []chan shardBatch) error {
	r, err := arrowio.Open(path, append(read[:len(read):len(read)], arrowio.WithRowGroups(func(g int) bool { return g%nw == d }))...)
	if err != nil {
		return err
	}
	defer r.Close()
	for r.Next() {
		rec := r.RecordBatch()
		_, first, _ := arrowio.BatchPosition(r)
		if so.Transform != nil {
			if rec, err = so.Transform(rec, first); err != nil {
				return err
			}
		} else {
			rec.Retain()
		}
		shareable(rec)
		for range outs[1:] {
			rec.Retain()
		}
		for a, out := range outs {
			select {
			case out <- shardBatch{rec, first}:
			case <-ctx.Done():
				for range outs[a:] {
					rec.Release()
				}
				return ctx.Err()
			}
		}
	}
	return r.Err()
}

// shareable makes the lazily built parts of rec's arrays (a dictionary
// array's values, a null count not yet known), so that several goroutines
// read rec at once without writing to it.
func shareable(rec arrow.RecordBatch) {
	for _, col := range rec.Columns() {
		col.NullN()
		if d, ok := col.(*array.Dictionary); ok {
			d.Dictionary().NullN()
			d.Indices().NullN()
		}
	}
}

// accumulateShard adds the batches from the decoders ins, taken in the
// order of the file (that of their first rows; each decoder's come in
// that order), to s, which sums its shard of the cells, and checks the
// cells' bound after each (check). Shard 0 reports the progress. Every
// batch received is released, also after an error.
func accumulateShard(ctx context.Context, ins []<-chan shardBatch, s *Sums, progress func(int), check func() error) error {
	var err error
	head := make([]shardBatch, len(ins)) // the next batch of each decoder
	open := make([]bool, len(ins))
	for d, in := range ins {
		head[d], open[d] = <-in
	}
	for {
		d := -1
		for e := range head {
			if open[e] && (d < 0 || head[e].first < head[d].first) {
				d = e
			}
		}
		if d < 0 {
			return err
		}
		b := head[d]
		if err == nil {
			if err = ctx.Err(); err == nil {
				err = s.Add(b.rec, b.first)
			}
			if err == nil && s.shard == 0 {
				progress(int(b.rec.NumRows()))
			}
			if err == nil {
				err = check()
			}
		}
		b.rec.Release()
		head[d], open[d] = <-ins[d]
	}
}

// add sums rec into s, through Transform when set.
func (so *StreamOptions) add(s *Sums, rec arrow.RecordBatch, first int64) error {
	if so.Transform == nil {
		return s.Add(rec, first)
	}
	t, err := so.Transform(rec, first)
	if err != nil {
		return err
	}
	defer t.Release()
	return s.Add(t, first)
}
