package arrowio

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// ParquetRowGroupRows is the number of rows per Parquet row group written by
// Write. Readers hold about one row group's column chunks in memory.
const ParquetRowGroupRows = 256 * 1024

// corruptMsg is what a user reads about a damaged file; the cause (often
// a recovered runtime error) stays in the error chain for debugging.
const corruptMsg = "corrupt or truncated"

func corruptParquet(name string, err error) error {
	return &Error{File: name, Err: hiddenCause(ErrCorrupt, err, "%s Parquet file", corruptMsg)}
}

// parquetReader reads a Parquet file one row group at a time with one
// pqarrow column reader per selected field, so that it can hold every
// column of every row group to the row count the footer gives: a damaged
// page offset or page header otherwise ends a column early with no error
// (pqarrow's record reader then reports the end of the file), and the file
// reads short.
type parquetReader struct {
	name    string
	pf      *file.Reader
	fr      *pqarrow.FileReader
	leaves  []int
	fields  []arrow.Field // the readers' fields, in file order
	schema  *arrow.Schema
	order   []int // output column k is reader column order[k]
	batch   int64
	group   int                     // current row group
	readers []*pqarrow.ColumnReader // of the current row group; nil before it
	want    int64                   // rows of the current row group (footer)
	got     int64                   // rows read from it so far
	cur     arrow.RecordBatch
	err     error
	src     io.ReaderAt
	file    *chunkFile // the page readers' source: src and the held chunks
	// chunkBufs[j] holds read column j's chunk of the current row group
	chunkBufs [][]byte
	mem       memory.Allocator
	pool      *poolAllocator // ReadAll and WithRecycledBuffers: recycles batch buffers
	pages     *poolAllocator // with pool: recycles page buffers
	keep      func(int) bool // WithRowGroups
	start     int64          // input row of the current row group's first row
}

func newParquetReader(f *os.File, name string, cfg *config) (r *parquetReader, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, corruptParquet(name, fmt.Errorf("%v", p))
		}
	}()
	mem, pageMem := cfg.mem, cfg.mem
	var pool, pages *poolAllocator
	if cfg.whole || cfg.recycle {
		// The batches' buffers come from pool, zeroed as arrow-go expects
		// (a validity bitmap, the values under nulls). The file reader's
		// allocator serves only the page readers: the compressed page, read
		// whole, and the uncompressed page, which every codec writes whole
		// (arrow-go checks the decoded length and fails the page otherwise).
		// Those are not zeroed when reused, as arrow-go itself reuses them
		// from page to page of a column chunk; zeroing them cost about 2 %
		// of a streamed index's CPU.
		pool = newPoolAllocator(cfg.mem)
		pages = newPoolAllocator(cfg.mem)
		pages.overwrite = true
		mem, pageMem = pool, pages
	}
	defer func() {
		if r == nil && pool != nil {
			pool.drain()
			pages.drain()
		}
	}()
	props := parquet.NewReaderProperties(pageMem)
	// Read column chunks through a small buffer instead of loading each
	// whole chunk: with many columns the chunks of a row group otherwise
	// stay in memory together.
	props.BufferedStreamEnabled = true
	props.BufferSize = 64 << 10
	cf := &chunkFile{f: f}
	pf, err := file.NewParquetReader(cf, file.WithReadProps(props))
	if err != nil {
		return nil, corruptParquet(name, err)
	}
	if v := pf.MetaData().KeyValueMetadata().FindValue("ARROW:schema"); v != nil {
		if err := checkParquetArrowSchema(*v); err != nil {
			pf.Close()
			return nil, corruptParquet(name, err)
		}
	}
	batch := int64(cfg.batch) // also for ReadAll: see readAccumulated
	ap := pqarrow.ArrowReadProperties{BatchSize: batch, PreAllocBinaryData: true}
	if cfg.dict {
		if err := readDictColumns(&ap, pf.MetaData(), cfg.dictCols); err != nil {
			pf.Close()
			return nil, corruptParquet(name, err)
		}
	}
	fr, err := pqarrow.NewFileReader(pf, ap, mem)
	if err != nil {
		pf.Close()
		return nil, corruptParquet(name, err)
	}
	full, err := fr.Schema()
	if err != nil {
		pf.Close()
		return nil, corruptParquet(name, err)
	}
	if err := uniqueNames(name, schemaNames(full)); err != nil {
		pf.Close()
		return nil, err
	}
	sel, err := projection(name, schemaNames(full), cfg.cols)
	if err != nil {
		pf.Close()
		return nil, err
	}
	if full.NumFields() == 0 {
		pf.Close()
		return nil, &Error{File: name, Err: because(ErrEmpty, "the Parquet file has no columns")}
	}
	var leaves []int
	if sel != nil {
		for _, i := range sel {
			leaves = appendLeaves(leaves, &fr.Manifest.Fields[i])
		}
	} else {
		for i := range fr.Manifest.Fields {
			leaves = appendLeaves(leaves, &fr.Manifest.Fields[i])
		}
	}
	if err := checkRowCounts(name, pf.MetaData(), leaves); err != nil {
		pf.Close()
		return nil, err
	}
	r = &parquetReader{name: name, pf: pf, fr: fr, leaves: leaves, batch: batch, src: f, file: cf, mem: mem, pool: pool, pages: pages, keep: cfg.groups}
	// The fields as pqarrow reads them (file order), from readers of no
	// row group.
	rdrs, rs, err := fr.GetFieldReaders(context.Background(), leaves, []int{})
	if err != nil {
		pf.Close()
		return nil, corruptParquet(name, err)
	}
	for _, c := range rdrs {
		c.Release()
	}
	r.fields = rs.Fields()
	// pqarrow returns columns in file order; put them in the asked order,
	// and drop the "PARQUET:field_id" = "-1" field metadata that pqarrow
	// adds, so that a schema survives a round trip unchanged.
	got := schemaNames(rs)
	if sel == nil {
		sel = make([]int, len(got))
		for i := range sel {
			sel[i] = i
		}
	}
	pos := make(map[string]int, len(got))
	for i := len(got) - 1; i >= 0; i-- {
		pos[got[i]] = i
	}
	r.order = make([]int, len(sel))
	fields := make([]arrow.Field, len(sel))
	for k, i := range sel {
		r.order[k] = pos[full.Field(i).Name]
		fields[k] = cleanField(rs.Field(r.order[k]))
	}
	if len(sel) == len(got) && sel[0] == 0 {
		// no projection: keep positions even if names repeat
		for k := range r.order {
			r.order[k] = k
			fields[k] = cleanField(rs.Field(k))
		}
	}
	// The schema metadata (key-value pairs such as sipas.validation) come
	// from the Arrow schema stored in the file (full), else from the
	// file's own key-value metadata: pqarrow's record reader drops them.
	var meta *arrow.Metadata
	if m := full.Metadata(); m.Len() > 0 {
		meta = &m
	} else if m := fileMetadata(pf.MetaData().KeyValueMetadata()); m.Len() > 0 {
		meta = &m
	}
	r.schema = arrow.NewSchema(fields, meta)
	return r, nil
}

// checkRowCounts checks that the footer agrees with itself: the file's row
// count is the sum of its row groups', and each flat column chunk of the
// read columns holds one value (or null) per row of its row group.
func checkRowCounts(name string, md *metadata.FileMetaData, leaves []int) error {
	var sum int64
	for g := 0; g < md.NumRowGroups(); g++ {
		rg := md.RowGroup(g)
		n := rg.NumRows()
		if n < 0 {
			return rowGroupError(name, g, "", fmt.Errorf("the footer gives a negative row count %d", n))
		}
		sum += n
		for _, c := range leaves {
			if md.Schema.Column(c).MaxRepetitionLevel() > 0 {
				continue // nested: values are not rows
			}
			cc, err := rg.ColumnChunk(c)
			if err != nil {
				return rowGroupError(name, g, md.Schema.Column(c).Path(), err)
			}
			if v := cc.NumValues(); v != n {
				return rowGroupError(name, g, md.Schema.Column(c).Path(),
					fmt.Errorf("the footer gives %d values for the row group's %d rows", v, n))
			}
		}
	}
	if total := md.GetNumRows(); total != sum {
		return corruptParquet(name, fmt.Errorf("the footer gives %d rows but its row groups hold %d", total, sum))
	}
	return nil
}

// rowGroupError is a corrupt-data error naming the row group (0-based g,
// shown 1-based) and, when known, the column.
func rowGroupError(name string, g int, column string, cause error) error {
	return &Error{File: name, RowGroup: g + 1, Column: column, Err: hiddenCause(ErrCorrupt, cause, "%s Parquet file", corruptMsg)}
}

// fileMetadata is the Parquet file's key-value metadata without the
// serialized Arrow schema (ARROW:schema), as Arrow schema metadata.
func fileMetadata(kv metadata.KeyValueMetadata) arrow.Metadata {
	var keys, vals []string
	for i, k := range kv.Keys() {
		if k == "ARROW:schema" {
			continue
		}
		keys = append(keys, k)
		vals = append(vals, kv.Values()[i])
	}
	return arrow.NewMetadata(keys, vals)
}

// readDictColumns asks ap to read as dictionaries the top-level string and
// binary columns (those in only, if not nil) whose data pages are
// dictionary-encoded in every row group (WithDictionary).
func readDictColumns(ap *pqarrow.ArrowReadProperties, md *metadata.FileMetaData, only map[string]bool) error {
	man, err := pqarrow.NewSchemaManifest(md.Schema, md.KeyValueMetadata(), ap)
	if err != nil {
		return err
	}
	for _, f := range man.Fields {
		if !f.IsLeaf() || (only != nil && !only[f.Field.Name]) {
			continue
		}
		if id := f.Field.Type.ID(); id != arrow.STRING && id != arrow.BINARY {
			continue
		}
		all := md.NumRowGroups() > 0
		for g := 0; g < md.NumRowGroups() && all; g++ {
			cc, err := md.RowGroup(g).ColumnChunk(f.ColIndex)
			if err != nil {
				return err
			}
			all = cc.HasDictionaryPage() && len(cc.EncodingStats()) > 0
			for _, st := range cc.EncodingStats() {
				if pt := st.PageType.String(); pt == "DATA_PAGE" || pt == "DATA_PAGE_V2" {
					all = all && (st.Encoding == parquet.Encodings.PlainDict || st.Encoding == parquet.Encodings.RLEDict)
				}
			}
		}
		if all {
			ap.SetReadDict(f.ColIndex, true)
		}
	}
	return nil
}

func appendLeaves(dst []int, f *pqarrow.SchemaField) []int {
	if f.IsLeaf() {
		return append(dst, f.ColIndex)
	}
	for i := range f.Children {
		dst = appendLeaves(dst, &f.Children[i])
	}
	return dst
}

func (r *parquetReader) numRows() int64 { return r.pf.NumRows() }

func (r *parquetReader) Schema() *arrow.Schema          { return r.schema }
func (r *parquetReader) RecordBatch() arrow.RecordBatch { return r.cur }
func (r *parquetReader) Err() error                     { return r.err }

// column is the name of reader column j for messages.
func (r *parquetReader) column(j int) string { return r.fields[j].Name }

func (r *parquetReader) releaseReaders() {
	for _, c := range r.readers {
		if c != nil {
			c.Release()
		}
	}
	r.readers = nil
}

func (r *parquetReader) Next() (ok bool) {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.err != nil {
		return false
	}
	col := -1 // the column being read, for a recovered panic
	defer func() {
		if p := recover(); p != nil {
			name := ""
			if col >= 0 {
				name = r.column(col)
			}
			r.err, ok = rowGroupError(r.name, r.group, name, fmt.Errorf("%v", p)), false
			r.releaseReaders()
		}
	}()
	for r.readers == nil || r.got == r.want {
		if r.readers != nil {
			if err := r.finishGroup(&col); err != nil {
				r.err = err
				return false
			}
			r.start += r.want
			r.group++
		}
		for r.keep != nil && r.group < r.pf.NumRowGroups() && !r.keep(r.group) {
			r.start += r.pf.MetaData().RowGroup(r.group).NumRows()
			r.group++
		}
		if r.group >= r.pf.NumRowGroups() {
			return false
		}
		if err := r.verifyGroup(); err != nil {
			r.err = err
			return false
		}
		rdrs, _, err := r.fr.GetFieldReaders(context.Background(), r.leaves, []int{r.group})
		if err != nil {
			r.err = rowGroupError(r.name, r.group, "", err)
			return false
		}
		r.readers = rdrs
		r.want, r.got = r.pf.MetaData().RowGroup(r.group).NumRows(), 0
	}
	n := min(r.batch, r.want-r.got)
	cols := make([]arrow.Array, len(r.readers))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for j, rdr := range r.readers {
		col = j
		ch, err := rdr.NextBatch(n)
		if err != nil {
			r.err = rowGroupError(r.name, r.group, r.column(j), err)
			r.releaseReaders()
			return false
		}
		cols[j], err = single(ch, r.mem)
		ch.Release()
		if err != nil {
			r.err = rowGroupError(r.name, r.group, r.column(j), err)
			r.releaseReaders()
			return false
		}
		if m := int64(cols[j].Len()); m != n {
			r.err = rowGroupError(r.name, r.group, r.column(j),
				fmt.Errorf("the column ends after %d of the %d rows the footer gives", r.got+m, r.want))
			r.releaseReaders()
			return false
		}
	}
	col = -1
	r.got += n
	all := array.NewRecordBatch(arrow.NewSchema(r.fields, nil), cols, n)
	r.cur = selectColumns(all, r.order, r.schema)
	all.Release()
	return true
}

// heldGroupMax is the most bytes of a row group's column chunks that a
// Parquet reader holds in memory (verifyGroup); chunks past it are read
// twice, once for their checksums and once by the page readers.
const heldGroupMax = 64 << 20

// verifyGroup checks the page checksums of the current row group's column
// chunks, where the writer stored them. Each chunk is read whole, up to
// heldGroupMax bytes of them, checked in memory and held for the page
// readers (chunkFile); a chunk that reads short is checked from the file,
// for the error that names the page.
func (r *parquetReader) verifyGroup() error {
	rg := r.pf.MetaData().RowGroup(r.group)
	r.file.held = r.file.held[:0]
	if len(r.chunkBufs) < len(r.leaves) {
		r.chunkBufs = make([][]byte, len(r.leaves))
	}
	var held int64
	for j, c := range r.leaves {
		cc, err := rg.ColumnChunk(c)
		if err == nil {
			err = r.verifyChunk(cc, j, &held)
		}
		if err != nil {
			r.file.held = r.file.held[:0]
			return rowGroupError(r.name, r.group, r.pf.MetaData().Schema.Column(c).Path(), err)
		}
	}
	return nil
}

// verifyChunk checks the page checksums of column chunk cc (read column
// j), holding it in memory when it fits in what is left of heldGroupMax
// after held bytes.
func (r *parquetReader) verifyChunk(cc *metadata.ColumnChunkMetaData, j int, held *int64) error {
	start, size, err := chunkRange(cc)
	if err != nil || *held+size > heldGroupMax {
		return verifyPageCRCs(r.src, cc)
	}
	if int64(cap(r.chunkBufs[j])) < size {
		// room for the next row groups' chunks, a little larger or smaller
		r.chunkBufs[j] = make([]byte, size, size+size/4)
	}
	b := r.chunkBufs[j][:size]
	if n, _ := r.src.ReadAt(b, start); int64(n) < size {
		return verifyPageCRCs(r.src, cc)
	}
	h := heldChunk{off: start, b: b}
	if err := verifyPageCRCs(&h, cc); err != nil {
		return err
	}
	*held += size
	r.file.held = append(r.file.held, h)
	return nil
}

// finishGroup checks that no column of the current row group holds rows
// past the footer's count and releases the group's readers.
func (r *parquetReader) finishGroup(col *int) error {
	defer r.releaseReaders()
	for j, rdr := range r.readers {
		*col = j
		ch, err := rdr.NextBatch(1)
		if err != nil {
			return rowGroupError(r.name, r.group, r.column(j), err)
		}
		extra := ch.Len()
		ch.Release()
		if extra > 0 {
			return rowGroupError(r.name, r.group, r.column(j),
				fmt.Errorf("the column holds more than the %d rows the footer gives", r.want))
		}
	}
	*col = -1
	return nil
}

// single returns the chunks of ch as one array (the caller releases it).
func single(ch *arrow.Chunked, mem memory.Allocator) (arrow.Array, error) {
	switch len(ch.Chunks()) {
	case 0:
		return array.MakeArrayOfNull(mem, ch.DataType(), 0), nil
	case 1:
		a := ch.Chunk(0)
		a.Retain()
		return a, nil
	}
	return array.Concatenate(ch.Chunks(), mem)
}

func (r *parquetReader) Close() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = corruptParquet(r.name, fmt.Errorf("%v", p))
		}
	}()
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	r.releaseReaders()
	err = r.pf.Close()
	if r.pool != nil {
		r.pool.drain()
		r.pages.drain()
	}
	return err
}

// writeParquet writes batches with pqarrow: Snappy compression, dictionary
// encoding for strings (province names, strata), plain for numbers,
// statistics, row groups of ParquetRowGroupRows rows, the Arrow schema
// stored in the file so that types such as int8 and dictionary come back
// unchanged, and a CRC-32 checksum in every page header (see crcWriter).
// The same table gives the same bytes.
func writeParquet(w io.Writer, schema *arrow.Schema, batches []arrow.RecordBatch, cfg *config) error {
	wopts := []parquet.WriterProperty{
		parquet.WithAllocator(cfg.mem),
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithDictionaryDefault(true),
		// No fallback to plain pages in the middle of a chunk: arrow-go
		// lists a chunk's two data page encodings in map order, so a
		// fallback made the footer differ from run to run. A dictionary
		// holds at most one row group's distinct values, which the
		// buffered row group holds anyway.
		parquet.WithDictionaryPageSizeLimit(1 << 40),
		parquet.WithStats(true),
		parquet.WithMaxRowGroupLength(ParquetRowGroupRows),
	}
	if cfg.groupRows > 0 {
		wopts = append(wopts, parquet.WithMaxRowGroupLength(cfg.groupRows))
	}
	// Numbers are written PLAIN (then Snappy): reading dictionary-encoded
	// small integers with nulls costs about twice as much CPU in arrow-go
	// v18.8.0 (its spaced RLE-dictionary decoder allocates per run), for a
	// file about 1.5x as large (1M ballots: 41 MB instead of 27 MB).
	for _, f := range schema.Fields() {
		if arrow.IsInteger(f.Type.ID()) || arrow.IsFloating(f.Type.ID()) {
			wopts = append(wopts, parquet.WithDictionaryFor(f.Name, false))
		}
	}
	props := parquet.NewWriterProperties(wopts...)
	aprops := pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(cfg.mem))
	cw := &crcWriter{w: w}
	fw, err := pqarrow.NewFileWriter(schema, cw, props, aprops)
	if err != nil {
		return err
	}
	for _, b := range batches {
		if b.NumRows() == 0 {
			continue
		}
		if err := fw.WriteBuffered(b); err != nil {
			fw.Close()
			return err
		}
	}
	if err := fw.Close(); err != nil {
		return err
	}
	return cw.finish()
}

// writerOnly hides Close so that format writers do not close the file that
// fsutil.WriteAtomic still has to sync and rename.
type writerOnly struct{ w io.Writer }

func (w writerOnly) Write(p []byte) (int, error) { return w.w.Write(p) }

// cleanField removes pqarrow's placeholder field id from f and its children.
func cleanField(f arrow.Field) arrow.Field {
	if i := f.Metadata.FindKey("PARQUET:field_id"); i >= 0 && f.Metadata.Values()[i] == "-1" {
		keys, vals := []string{}, []string{}
		for k, key := range f.Metadata.Keys() {
			if k != i {
				keys = append(keys, key)
				vals = append(vals, f.Metadata.Values()[k])
			}
		}
		f.Metadata = arrow.NewMetadata(keys, vals)
	}
	return f
}
