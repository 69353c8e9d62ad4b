package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// sumsFlags are index's flags for the per-(stratum, PSU, domain) sums.
type sumsFlags struct {
	out, from, sql string
	*streamFlags
}

// streamFlags are the flags of the commands that stream large inputs
// (index, estimate): force streaming, and the progress report.
type streamFlags struct {
	stream, quiet, progress bool
}

func addStreamFlags(fs *flag.FlagSet) *streamFlags {
	f := &streamFlags{}
	fs.BoolVar(&f.stream, "stream", false, "read the input in one pass, batch by batch, even a small file (larger files are streamed whenever the design allows: index from 2 MB, estimate from 64 MB; see docs/sums.md)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress report on standard error")
	fs.BoolVar(&f.progress, "progress", false, "report the progress of a streamed run on standard error even when it is not a terminal or the input is smaller than 64 MB (with --stream); not with --quiet")
	return f
}

// wantStream reports whether a file is to be streamed when its design
// allows it: asked for, or large.
func (f *streamFlags) wantStream(path string) bool { return f.stream || big(path) }

func addSumsFlags(fs *flag.FlagSet) *sumsFlags {
	return addSumsFlagsHelp(fs,
		"also write the per-(stratum, PSU, domain) sums the indices are finished from (Parquet, IPC or CSV; after a --weighting calibration that needs every ballot Parquet or IPC, whose metadata carries its solve; with --repweights the replicate sums go beside it, to NAME.replicates.EXT; see docs/sums.md)",
		"finish the indices from a sums table (written by --sums-out or by the SQL of docs/sums.md) instead of --in; give the same --strata, --psu, --fpc, --by, --weighting and --repweights (whose replicate sums it reads from NAME.replicates.EXT)",
		"print the SQL GROUP BY that computes the sums table from the ballots table TABLE in a database (with the design flags, --by, --score and --questionnaire; with --repweights also the replicate sums table, whose columns come from the header of --in FILE) and exit")
}

// addSumsFlagsHelp adds --sums-out, --from-sums and --sums-sql with the
// help texts out, from and sql, and the stream flags.
func addSumsFlagsHelp(fs *flag.FlagSet, out, from, sql string) *sumsFlags {
	f := &sumsFlags{}
	fs.StringVar(&f.out, "sums-out", "", out)
	fs.StringVar(&f.from, "from-sums", "", from)
	fs.StringVar(&f.sql, "sums-sql", "", sql)
	f.streamFlags = addStreamFlags(fs)
	return f
}

// designNote says how a multistage design with an fpc at every stage, a
// PPS design or a design with PSUs weighted by its fpc (no weight column,
// not weighted) streams ("" for the others).
func designNote(spec *sampling.DesignOptions, weighted bool) string {
	var notes []string
	if spec.Weight == "" && (spec.FPC != "" || spec.PPS == sampling.PPSJoint) && spec.PSU != "" && !weighted {
		notes = append(notes, "no --weight: the ballots are summed with weight 1, and each cell's sums scaled at the end by the weight from the fpc, N/n of every stage (1/π under --pps; under --pps ht, π from --joint-prob)")
	}
	if spec.PPS != sampling.PPSNone {
		notes = append(notes, fmt.Sprintf("a PPS first stage (%s): the cells are per PSU, with its inclusion probability", spec.PPS))
	}
	if len(spec.Stages) > 0 && spec.FPC != "" {
		notes = append(notes, "a multistage design: the cells are per unit of every stage, whose totals R's full multistage variance needs")
	}
	return strings.Join(notes, "; ")
}

// growingCells says what the cells of a design that can make as many
// cells as the ballots are per, or "" for the others: a multistage design
// with an fpc at every stage (per unit of the last stage: one per ballot
// when that stage is the ballot) and, without PSUs (linearized, no
// replicate weight columns), a weighting that caps each row's weight
// (trim, bounds_const), whose cells are keyed by each ballot's design
// weight (weighting.CellKeys DesignWeight): one per ballot when the
// weights differ from ballot to ballot. With PSUs that key adds nothing
// when the weights are constant within a PSU. Such a design streams by
// default under a bound of its cells' memory (cellBound), and is read into
// memory when they exceed it (cellsExceeded).
func growingCells(spec *sampling.DesignOptions, ws *weighting.Spec) string {
	if len(spec.Stages) > 0 && spec.FPC != "" {
		return "its cells, per unit of the last stage,"
	}
	if ws == nil || spec.PSU != "" || spec.RepWeightsPrefix != "" || spec.Variance != sampling.Linearization {
		return ""
	}
	if keys, err := weighting.CellKeysOf(ws); err != nil || !keys.DesignWeight {
		return ""
	}
	return "its cells, per design weight (a --weighting that trims or bounds each ballot's weight without --psu),"
}

// cellBound is the bound of the cells' memory (bytes per row of the file,
// index.StreamOptions.MaxCellBytesPerRow) of a streamed run of a design
// whose cells can be as many as the ballots (growingCells), streamed
// because the file is large (not asked for by --stream or --sums-out), so
// that it never holds more memory than the in-memory run would: that run
// holds at least 8 bytes per row for each of the cols columns it reads
// (measured on 1M ballots of a two-stage design, 250k vs 1M: index, 36
// columns, 633 bytes per row; estimate of one mean, 8 columns, 213), and
// the streamed run up to three copies of the cells' sums at its peak (the
// sums as they grow, the sums table, the finish's totals), so the cells
// may hold a third of 8 bytes per row and column (memColumnBytes).
func cellBound(cols int) float64 { return memColumnBytes * float64(cols) / 3 }

// memColumnBytes is the least memory per row and column read of the
// in-memory run (cellBound): a variable so that tests can raise it (and
// stream a small file of few cells).
var memColumnBytes = 8.0

// boundedStream returns the bound of the cells' memory of a streamed run
// of a design of growingCells (sf asking for neither the stream nor the
// sums), reading the columns cols besides the design's, and what its cells
// are per; 0 and "" for the others.
func boundedStream(sf *sumsFlags, df *designFlags, spec *sampling.DesignOptions, cols []string) (float64, string) {
	per := growingCells(spec, df.wspec)
	if per == "" || sf.stream || sf.out != "" {
		return 0, ""
	}
	return cellBound(len(estUnique(append(df.columns(), cols...)))), per
}

// cellsExceeded reports, when err is the stop of a bounded stream
// (index.CellLimitError), that command cmd reads path into memory instead
// and why: per, what the cells are per (boundedStream).
func cellsExceeded(e *env, cmd, path, per string, err error) bool {
	var ce *index.CellLimitError
	if !errors.As(err, &ce) {
		return false
	}
	rows := thousands(ce.Rows)
	if ce.FileRows > 0 {
		rows += " of " + thousands(ce.FileRows)
	}
	many := "as many as the rows read"
	if ce.Rows > int64(ce.Cells) {
		many = fmt.Sprintf("one per %.3g rows read", float64(ce.Rows)/float64(ce.Cells))
	}
	fmt.Fprintf(e.stderr, "sipas %s: reading %s into memory instead (not streamed: %s exceeded %s after %s rows (%s cells, %s): the bound is a third of 8 bytes per row and column read, less than the rows take in memory; --stream streams it anyway)\n",
		cmd, displayName(path), per, megabytes(ce.Limit), rows, thousands(int64(ce.Cells)), many)
	return true
}

// indexColumns are the answer, expectation (unless opt leaves them out)
// and domain columns that sipas index reads.
func indexColumns(q *index.Questionnaire, opt *index.Options) []string {
	cols := append(q.Columns(), opt.By...)
	if !opt.NoExpectations {
		cols = append(cols, q.ExpectationColumns()...)
	}
	return cols
}

// megabytes writes n bytes in MB (10^6 bytes), with one decimal.
func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// indexStreamed computes the indices of the ballots at path in one pass
// over record batches when the design allows it (index.SumsSupport) and
// the file is not tiny (streamMin) or its sums are asked for, and
// reports done = false, having done nothing, when it does not (the caller
// then reads the file into memory). Standard input comes here as the
// temporary file it was copied to (spoolStdin), and streams as a file.
func indexStreamed(e *env, sf *sumsFlags, df *designFlags, path string, spec *sampling.DesignOptions, q *index.Questionnaire, opt *index.Options, format string, notes *runNotes) (done bool, err error) {
	why := index.SumsSupport(spec)
	if df.wspec != nil {
		// the steps run on the class totals of per-(PSU, domain, class)
		// cells; a step that needs every row is named in why
		why = index.WeightingSumsSupport(spec, df.wspec)
	}
	if why == nil && opt.CI == sampling.Likelihood {
		why = fmt.Errorf("the likelihood interval profiles the model on the ballots")
	}
	if why != nil && errors.Is(why, weighting.ErrRowLevel) {
		// a calibration that needs every row: solved by passes over the file
		var done bool
		if done, why, err = indexCalibrated(e, sf, df, path, spec, q, opt, format, notes); done {
			return true, err
		}
	}
	if errors.Is(why, index.ErrCellLimit) {
		// its passes stopped at the bound of the cells, which said so
		return false, nil
	}
	if why != nil {
		if sf.out != "" {
			return true, usagef("--sums-out: the indices of this design cannot be finished from sums: %v", why)
		}
		if sf.wantStream(path) {
			fmt.Fprintf(e.stderr, "sipas index: reading %s into memory (not streamed: %v)\n", displayName(path), why)
		}
		return false, nil
	}
	if st, err := os.Stat(path); sf.out == "" && !sf.stream && (err != nil || st.Size() < streamMin) {
		// a tiny file is read into memory: the same numbers, as fast
		return false, nil
	}
	if sf.out != "" && sameFile(sf.out, path) {
		return true, usagef("--sums-out %s would overwrite --in", sf.out)
	}
	// a design whose cells can be as many as the ballots: each holds
	// every item's and pair's sums (about 9 KB for the default
	// questionnaire), so the stream stops, and the file is read into
	// memory, when they would take more memory than the rows
	bound, per := boundedStream(sf, df, spec, indexColumns(q, opt))
	so := &index.StreamOptions{Read: []arrowio.Option{e.in()}, Weighting: df.wspec, MaxCellBytesPerRow: bound}
	finish := func() {}
	if df.prov != nil {
		transform, extra, fin, err := df.prov.streamCanonical(e, path, append([]string{df.strata}, df.provUsed...), df.notes)
		if err != nil {
			return true, err
		}
		so.Transform, so.Columns, finish = transform, extra, fin
	}
	if p := newProgress(e.stderr, "index", path, sf.streamFlags); p != nil {
		so.Progress = p.update
		defer p.finish()
	}
	if spec.PSU == "" && spec.RepWeightsPrefix == "" && sf.wantStream(path) {
		fmt.Fprintf(e.stderr, "sipas index: streaming %s in one pass (no --psu: every ballot is its own PSU, and the variance comes from per-stratum moments of the ballots' influence values)\n", displayName(path))
	}
	if note := designNote(spec, df.wspec != nil); note != "" && sf.wantStream(path) {
		fmt.Fprintf(e.stderr, "sipas index: streaming %s in one pass (%s)\n", displayName(path), note)
	}
	defer cellsGC(df.wspec)()
	s, err := index.SumFile(e.ctx, path, q, spec, opt, so)
	if err == nil {
		finish()
	}
	if cellsExceeded(e, "index", path, per, err) {
		return false, nil
	}
	if err != nil {
		if e.ctx.Err() != nil {
			return true, e.ctx.Err()
		}
		return true, questionnaireHint(dataError(path, fmt.Errorf("%w%s", df.stepContext(designHint(err)), validateHint(err))), q)
	}
	tab, err := s.Table(memory.DefaultAllocator)
	if err != nil {
		return true, badInput(err)
	}
	defer tab.Release()
	if s.Replicates() != nil && sf.out != "" {
		cells, reps, err := index.ReplicateSumsTables(s, tab)
		if err != nil {
			return true, badInput(err)
		}
		defer cells.Release()
		defer reps.Release()
		return true, finishRepSums(e, sf.out, cells, reps, spec, q, opt, format, path, notes)
	}
	return true, finishSums(e, sf, tab, s.Replicates(), spec, df.wspec, q, opt, format, path, notes)
}

// repSumsSQL prints the two queries of a design with replicate weight
// columns: cells, the cells' table's, and the replicate sums table's,
// repQuery of the replicate weight columns, which it names; the columns
// are read from the header of the file in (the rows are not read).
func repSumsSQL(e *env, in, cells string, spec *sampling.DesignOptions, repQuery func(replicates []string) string) error {
	if in == "" || in == "-" {
		return usagef("--sums-sql with --repweights needs --in FILE (a file of the ballots, or any file with their columns; only its header is read): the replicate sums table's query names every replicate weight column %s1 … %sR, and the file lists them", spec.RepWeightsPrefix, spec.RepWeightsPrefix)
	}
	r, err := arrowio.Open(in, e.in())
	if err != nil {
		return badInput(err)
	}
	schema := r.Schema()
	r.Close()
	reps, err := sampling.ReplicateColumns(schema, spec.RepWeightsPrefix)
	if err != nil {
		return badInput(fmt.Errorf("%s: --repweights %s: %w", displayName(in), spec.RepWeightsPrefix, err))
	}
	_, err = fmt.Fprintf(e.stdout, "-- the sums table: one row per cell (save it as SUMS.parquet)\n%s;\n-- the replicate sums table: one row per domain and replicate, %d replicates (save it beside, as SUMS.replicates.parquet)\n%s;\n",
		strings.TrimRight(cells, "\n"), len(reps), strings.TrimRight(repQuery(reps), "\n"))
	return err
}

// repSumsPath is the file of the replicate sums table beside the cells'
// table at path: sums.parquet → sums.replicates.parquet.
func repSumsPath(path string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + ".replicates" + ext
}

// writeRepSums writes the cells' table of a design with replicate weight
// columns to out and its replicate sums table beside it (repSumsPath),
// both or neither.
func writeRepSums(out string, cells, reps arrow.RecordBatch) error {
	if err := arrowio.WriteRecord(out, cells); err != nil {
		return writeError(err)
	}
	if err := arrowio.WriteRecord(repSumsPath(out), reps); err != nil {
		os.Remove(out)
		return writeError(err)
	}
	return nil
}

// finishRepSums computes the indices of a design with replicate weight
// columns from its cells' and replicate sums tables (what --sums-out
// writes, and --from-sums reads), writes them to out (when set: the cells
// to out, the replicate sums beside it; after the indices succeeded, so
// bad input leaves no file) and the result.
func finishRepSums(e *env, out string, cells, reps arrow.RecordBatch, spec *sampling.DesignOptions, q *index.Questionnaire, opt *index.Options, format, src string, notes *runNotes) error {
	res, d, err := index.FromReplicateSumsTables(e.ctx, cells, reps, q, spec, opt)
	if err != nil {
		return badInput(fmt.Errorf("%s: %w", displayName(src), designHint(err)))
	}
	if out != "" {
		if err := writeRepSums(out, cells, reps); err != nil {
			return err
		}
	}
	notes.undefinedWarnings(e.stderr, res.Rows)
	return writeIndexDesign(e.stdout, format, sumsDesign(d, cells), res, opt.By, notes)
}

// indexFromSums finishes the indices from the sums table of --from-sums.
func indexFromSums(e *env, sf *sumsFlags, df *designFlags, spec *sampling.DesignOptions, q *index.Questionnaire, opt *index.Options, format string) error {
	calibrated := false
	if df.wspec != nil {
		if err := index.WeightingSumsSupport(spec, df.wspec); err != nil {
			if !errors.Is(err, weighting.ErrRowLevel) {
				return usagef("--from-sums with --weighting: %v", err)
			}
			// a calibration that needs every ballot: its solve is in the
			// table's metadata (written by --sums-out)
			if err := index.CalibratedSumsSupport(spec, df.wspec); err != nil {
				return usagef("--from-sums with --weighting: %v", err)
			}
			if spec.Variance != sampling.Linearization {
				return usagef("--from-sums with --weighting: %v", errCalRepSumsTable)
			}
			calibrated = true
		}
	}
	if spec.Weight != "" {
		return usagef("--from-sums: drop --weight: the sums are weighted already")
	}
	if opt.CI == sampling.Likelihood {
		return usagef("--from-sums and --ci likelihood exclude each other: the likelihood interval profiles the model on the ballots, which the sums do not carry")
	}
	tab, err := arrowio.ReadAll(sf.from, e.in())
	if err != nil {
		return readError(err)
	}
	defer tab.Release()
	if !opt.NoExpectations {
		for _, c := range q.ExpectationColumns() {
			if !schemaHas(tab.Schema(), index.SumsColumn("y", c)) {
				opt.NoExpectations = true
			}
		}
		opt.NoExpectations = opt.NoExpectations || len(q.ExpectationColumns()) == 0
	}
	if calibrated {
		return indexFromCalibratedSums(e, sf, df, tab, spec, q, opt, format)
	}
	if spec.RepWeightsPrefix != "" {
		rp := repSumsPath(sf.from)
		if sameFile(sf.out, sf.from) || (sf.out != "" && sameFile(repSumsPath(sf.out), rp)) {
			return usagef("--sums-out %s would overwrite --from-sums", sf.out)
		}
		reps, err := arrowio.ReadAll(rp, e.in())
		if err != nil {
			return readError(fmt.Errorf("the replicate sums table beside %s (written by --sums-out with --repweights): %w", sf.from, err))
		}
		defer reps.Release()
		return finishRepSums(e, sf.out, tab, reps, spec, q, opt, format, sf.from, &runNotes{})
	}
	return finishSums(e, &sumsFlags{out: sf.out, streamFlags: sf.streamFlags}, tab, nil, spec, df.wspec, q, opt, format, sf.from, &runNotes{})
}

// finishSums computes the indices from tab (of the design weights of ws,
// when set; with the replicate sums rs of replicate weight columns, when
// set), writes --sums-out (after the indices succeeded, so bad input
// leaves no file) and the result.
func finishSums(e *env, sf *sumsFlags, tab arrow.RecordBatch, rs *sampling.ReplicateSums, spec *sampling.DesignOptions, ws *weighting.Spec, q *index.Questionnaire, opt *index.Options, format, src string, notes *runNotes) error {
	var res *index.Result
	var d *sampling.Design
	var wres *weighting.Result
	var err error
	switch {
	case rs != nil:
		res, d, err = index.FromReplicateSums(e.ctx, tab, rs, q, spec, opt)
	case ws != nil:
		res, d, wres, err = index.FromWeightedSums(e.ctx, tab, q, spec, ws, opt)
	default:
		res, d, err = index.FromSums(e.ctx, tab, q, spec, opt)
	}
	if err != nil {
		return badInput(fmt.Errorf("%s: %w", displayName(src), designHint(err)))
	}
	if sf.out != "" {
		if err := arrowio.WriteRecord(sf.out, tab); err != nil {
			return writeError(err)
		}
	}
	dj := sumsDesign(d, tab)
	if wres != nil {
		dj.WeightsSum = jsonNum(wres.Final.Sum) // the final weights
	}
	notes.undefinedWarnings(e.stderr, res.Rows)
	return writeIndexDesign(e.stdout, format, dj, res, opt.By, notes)
}

// sumsDesign is the design block of the indices of the design d of the
// cells of the sums table tab: the ballots and their weights.
func sumsDesign(d *sampling.Design, tab arrow.RecordBatch) designJSON {
	dj := describeDesign(d)
	dj.Rows, dj.WeightsSum = 0, 0
	if rows := tab.Schema().FieldIndices(index.SumsRows); len(rows) > 0 {
		n, _, _ := arrowio.Float64s(tab.Column(rows[0]))
		for _, v := range n {
			dj.Rows += int(v)
		}
	}
	if w := tab.Schema().FieldIndices(index.SumsWeights); len(w) > 0 {
		v, _, _ := arrowio.Float64s(tab.Column(w[0]))
		s := 0.0
		for _, x := range v {
			s += x
		}
		dj.WeightsSum = jsonNum(s)
	}
	return dj
}

// streamMin is the file size from which sipas index streams the ballots
// when the design allows it. Measured (docs/sums.md): on the 1 MB,
// 4,000-ballot fixture both paths take the same CPU time; from 5 MB
// (50,000 ballots as CSV, 200,000 as Parquet) streaming takes 20–40 % less
// CPU and less memory. Below it the whole-file path also numbers the rows
// of the design's errors.
var streamMin int64 = 2 << 20

// bigInput is the file size from which a run streams (when the design
// allows it), reports progress on a terminal, or says it reads the file
// into memory. A variable so that tests can lower it.
var bigInput int64 = 64 << 20

// progressEvery is the least time between two progress reports (a
// variable so that tests can lower it).
var progressEvery = time.Second

func big(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Size() >= bigInput
}

// progress reports rows read, rate and time left on standard error, at
// most once every progressEvery: on a terminal as one line rewritten in
// place, elsewhere (--progress) as a line per report.
type progress struct {
	w     io.Writer
	cmd   string
	term  bool
	total int64 // rows in the file (Parquet), or 0
	start time.Time
	last  time.Time
	mu    sync.Mutex
	shown bool
}

// newProgress returns a progress report of command cmd for path on w, or
// nil: with --quiet, and without --progress when w is not a terminal or
// the input is small.
func newProgress(w io.Writer, cmd, path string, f *streamFlags) *progress {
	if f.quiet {
		return nil
	}
	term := false
	if fi, ok := w.(*os.File); ok {
		st, err := fi.Stat()
		term = err == nil && st.Mode()&os.ModeCharDevice != 0
	}
	if !f.progress && (!term || !big(path)) {
		return nil
	}
	p := &progress{w: w, cmd: cmd, term: term, start: time.Now()}
	p.last = p.start
	if r, err := arrowio.Open(path); err == nil {
		if n, ok := arrowio.Rows(r); ok {
			p.total = n
		}
		r.Close()
	}
	return p
}

func (p *progress) update(rows int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.last) < progressEvery {
		return
	}
	p.last = now
	el := now.Sub(p.start).Seconds()
	rate := float64(rows) / el
	msg := fmt.Sprintf("sipas %s: %s rows read, %s rows/s", p.cmd, thousands(rows), thousands(int64(rate)))
	if p.total > 0 && rate > 0 {
		left := time.Duration(float64(p.total-rows) / rate * float64(time.Second)).Round(time.Second)
		msg += fmt.Sprintf(", %d%%, about %s left", rows*100/p.total, left)
	}
	if p.term {
		fmt.Fprintf(p.w, "\r%s\x1b[K", msg)
	} else {
		fmt.Fprintln(p.w, msg)
	}
	p.shown = true
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown && p.term {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// thousands writes n with comma thousands separators (a terminal message,
// not report text).
func thousands(n int64) string {
	s := fmt.Sprint(n)
	out := ""
	for len(s) > 3 {
		out = "," + s[len(s)-3:] + out
		s = s[:len(s)-3]
	}
	return s + out
}

// cellsGC sets the collector to run at 50% heap growth (GOGC 50) for a
// streamed run with a weighting ws, unless GOGC is set, and returns the
// function that restores the setting. The cells' sums, keyed by the
// classes too, are then most of the live heap, and the reader leaves
// decoding garbage at a high rate: at the default 100% the heap grew to
// twice the cells and buffers before each collection (1.0 GB for 10M
// ballots against 0.8 GB), while the cells are pointer-free slices that
// cost the collector little to mark.
func cellsGC(ws *weighting.Spec) func() {
	if ws == nil || os.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(50)
	return func() { debug.SetGCPercent(old) }
}
