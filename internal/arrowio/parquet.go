package arrowio

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// ParquetRowGroupRows is the number of rows per Parquet row group written by
// Write. Readers hold about one row group's column chunks in memory.
const ParquetRowGroupRows = 256 * 1024

func corruptParquet(name string, err error) error {
	return &Error{File: name, Err: causedBy(ErrCorrupt, err, "cannot read Parquet data (the file is truncated or not Parquet)")}
}

type parquetReader struct {
	name   string
	pf     *file.Reader
	rr     pqarrow.RecordReader
	schema *arrow.Schema
	order  []int // output column k is rr column order[k]
	cur    arrow.RecordBatch
	err    error
	pool   *poolAllocator // ReadAll only: recycles batch buffers
}

func newParquetReader(f *os.File, name string, cfg *config) (r *parquetReader, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, corruptParquet(name, fmt.Errorf("%v", p))
		}
	}()
	mem := cfg.mem
	var pool *poolAllocator
	if cfg.whole {
		pool = newPoolAllocator(cfg.mem)
		mem = pool
	}
	defer func() {
		if r == nil && pool != nil {
			pool.drain()
		}
	}()
	props := parquet.NewReaderProperties(mem)
	// Read column chunks through a small buffer instead of loading each
	// whole chunk: with many columns the chunks of a row group otherwise
	// stay in memory together.
	props.BufferedStreamEnabled = true
	props.BufferSize = 64 << 10
	pf, err := file.NewParquetReader(f, file.WithReadProps(props))
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
	sel, err := projection(name, schemaNames(full), cfg.cols)
	if err != nil {
		pf.Close()
		return nil, err
	}
	var leaves []int
	if sel != nil {
		for _, i := range sel {
			leaves = appendLeaves(leaves, &fr.Manifest.Fields[i])
		}
	}
	if full.NumFields() == 0 {
		pf.Close()
		return nil, &Error{File: name, Err: because(ErrEmpty, "the Parquet file has no columns")}
	}
	rr, err := fr.GetRecordReader(context.Background(), leaves, nil)
	if err != nil {
		pf.Close()
		return nil, corruptParquet(name, err)
	}
	r = &parquetReader{name: name, pf: pf, rr: rr, pool: pool}
	// pqarrow returns columns in file order; put them in the asked order,
	// and drop the "PARQUET:field_id" = "-1" field metadata that pqarrow
	// adds, so that a schema survives a round trip unchanged.
	got := schemaNames(rr.Schema())
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
		fields[k] = cleanField(rr.Schema().Field(r.order[k]))
	}
	if len(sel) == len(got) && sel[0] == 0 {
		// no projection: keep positions even if names repeat
		for k := range r.order {
			r.order[k] = k
			fields[k] = cleanField(rr.Schema().Field(k))
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

func (r *parquetReader) Next() (ok bool) {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.err != nil {
		return false
	}
	defer func() {
		if p := recover(); p != nil {
			r.err, ok = corruptParquet(r.name, fmt.Errorf("%v", p)), false
		}
	}()
	if !r.rr.Next() {
		if err := r.rr.Err(); err != nil && err != io.EOF {
			r.err = corruptParquet(r.name, err)
		}
		return false
	}
	r.cur = selectColumns(r.rr.RecordBatch(), r.order, r.schema)
	return true
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
	r.rr.Release()
	err = r.pf.Close()
	if r.pool != nil {
		r.pool.drain()
	}
	return err
}

// writeParquet writes batches with pqarrow: Snappy compression, dictionary
// encoding for strings (province names, strata), plain for numbers, statistics,
// row groups of ParquetRowGroupRows rows, and the Arrow schema stored in the
// file so that types such as int8 and dictionary come back unchanged.
func writeParquet(w io.Writer, schema *arrow.Schema, batches []arrow.RecordBatch, cfg *config) error {
	wopts := []parquet.WriterProperty{
		parquet.WithAllocator(cfg.mem),
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithDictionaryDefault(true),
		parquet.WithStats(true),
		parquet.WithMaxRowGroupLength(ParquetRowGroupRows),
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
	fw, err := pqarrow.NewFileWriter(schema, writerOnly{w}, props, aprops)
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
	return fw.Close()
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
