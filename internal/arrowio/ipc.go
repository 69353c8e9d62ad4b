package arrowio

import (
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

func corruptIPC(name string, f Format, err error) error {
	return &Error{File: name, Err: hiddenCause(ErrCorrupt, err, "%s %s", corruptMsg, f)}
}

// ipcReader reads an IPC file (random access to its batches) or stream.
type ipcReader struct {
	name   string
	format Format
	file   *ipc.FileReader
	stream *ipc.Reader
	next   int
	sel    []int
	schema *arrow.Schema
	cur    arrow.RecordBatch
	err    error
}

func newIPCFileReader(f *os.File, name string, cfg *config) (r *ipcReader, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, corruptIPC(name, IPCFile, fmt.Errorf("%v", p))
		}
	}()
	if err := checkIPCSchema(f, IPCFile); err != nil {
		return nil, corruptIPC(name, IPCFile, err)
	}
	fr, err := ipc.NewFileReader(f, ipcReadOptions(f, cfg)...)
	if err != nil {
		return nil, corruptIPC(name, IPCFile, err)
	}
	r = &ipcReader{name: name, format: IPCFile, file: fr}
	if err := r.project(fr.Schema(), cfg); err != nil {
		fr.Close()
		return nil, err
	}
	return r, nil
}

func newIPCStreamReader(f *os.File, name string, cfg *config) (r *ipcReader, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, corruptIPC(name, IPCStream, fmt.Errorf("%v", p))
		}
	}()
	if err := checkIPCSchema(f, IPCStream); err != nil {
		return nil, corruptIPC(name, IPCStream, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, &Error{File: name, Err: err}
	}
	// ipc.NewReader does not pass the size limits on to its message reader
	// (arrow-go v18.8.0), so a corrupt body length could ask for terabytes.
	opts := ipcReadOptions(f, cfg)
	sr, err := ipc.NewReaderFromMessageReader(ipc.NewMessageReader(f, opts...), opts...)
	if err != nil {
		return nil, corruptIPC(name, IPCStream, err)
	}
	r = &ipcReader{name: name, format: IPCStream, stream: sr}
	if err := r.project(sr.Schema(), cfg); err != nil {
		sr.Release()
		return nil, err
	}
	return r, nil
}

// ipcReadOptions bounds IPC messages by the file size instead of arrow-go's
// defaults (64 MiB metadata, 256 MiB body), which would reject big batches.
func ipcReadOptions(f *os.File, cfg *config) []ipc.Option {
	limit := int64(1 << 30)
	if st, err := f.Stat(); err == nil {
		limit = max(st.Size(), 1)
	}
	return []ipc.Option{ipc.WithAllocator(cfg.mem), ipc.WithMetadataSizeLimit(limit), ipc.WithBodySizeLimit(limit)}
}

func (r *ipcReader) project(full *arrow.Schema, cfg *config) error {
	if full == nil {
		return corruptIPC(r.name, r.format, fmt.Errorf("no schema"))
	}
	if err := uniqueNames(r.name, schemaNames(full)); err != nil {
		return err
	}
	sel, err := projection(r.name, schemaNames(full), cfg.cols)
	if err != nil {
		return err
	}
	r.sel = sel
	r.schema = projectSchema(full, sel)
	return nil
}

func (r *ipcReader) Schema() *arrow.Schema          { return r.schema }
func (r *ipcReader) RecordBatch() arrow.RecordBatch { return r.cur }
func (r *ipcReader) Err() error                     { return r.err }

func (r *ipcReader) Next() (ok bool) {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.err != nil {
		return false
	}
	var rec arrow.RecordBatch
	defer func() {
		if p := recover(); p != nil {
			if rec != nil && r.file != nil {
				rec.Release()
			}
			r.err, ok = corruptIPC(r.name, r.format, fmt.Errorf("%v", p)), false
		}
	}()
	if r.file != nil {
		if r.next >= r.file.NumRecords() {
			return false
		}
		var err error
		rec, err = r.file.RecordBatchAt(r.next)
		if err != nil {
			r.err = corruptIPC(r.name, r.format, fmt.Errorf("batch %d: %w", r.next, err))
			return false
		}
		r.next++
	} else {
		if !r.stream.Next() {
			if err := r.stream.Err(); err != nil && err != io.EOF {
				r.err = corruptIPC(r.name, r.format, err)
			}
			return false
		}
		rec = r.stream.RecordBatch()
		rec.Retain()
	}
	if err := validateRecord(rec); err != nil {
		rec.Release()
		r.err = corruptIPC(r.name, r.format, err)
		return false
	}
	if r.sel != nil {
		r.cur = selectColumns(rec, r.sel, r.schema)
		rec.Release()
	} else {
		r.cur = rec
	}
	return true
}

func (r *ipcReader) Close() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = corruptIPC(r.name, r.format, fmt.Errorf("%v", p))
		}
	}()
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.file != nil {
		return r.file.Close()
	}
	r.stream.Release()
	return nil
}

// validateRecord checks the buffers of arrays decoded from untrusted bytes so
// that a corrupt file fails here rather than panicking later in a caller's
// loop: buffer sizes of fixed-width columns, offsets of variable-width ones,
// dictionary indices.
func validateRecord(rec arrow.RecordBatch) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("invalid array data: %v", p)
		}
	}()
	for j, col := range rec.Columns() {
		if int64(col.Len()) != rec.NumRows() {
			return fmt.Errorf("column %q has %d values, the batch has %d rows", rec.ColumnName(j), col.Len(), rec.NumRows())
		}
		if err := validateArray(col); err != nil {
			return fmt.Errorf("column %q: %w", rec.ColumnName(j), err)
		}
	}
	return nil
}

type fullValidator interface{ ValidateFull() error }

func validateArray(a arrow.Array) error {
	d := a.Data()
	n := int64(d.Offset() + d.Len())
	bufs := d.Buffers()
	if d.Offset() < 0 || d.Len() < 0 {
		return fmt.Errorf("negative offset or length")
	}
	if a.NullN() > 0 && len(bufs) > 0 && bufs[0] != nil && int64(bufs[0].Len())*8 < n {
		return fmt.Errorf("validity bitmap too short")
	}
	if fw, ok := a.DataType().(arrow.FixedWidthDataType); ok && a.DataType().ID() != arrow.DICTIONARY && a.DataType().ID() != arrow.NULL {
		bits := int64(fw.BitWidth())
		if d.Len() > 0 {
			if len(bufs) < 2 || bufs[1] == nil || int64(bufs[1].Len())*8 < n*bits {
				return fmt.Errorf("value buffer too short for %d values of %s", d.Len(), a.DataType())
			}
		}
	}
	if v, ok := a.(fullValidator); ok {
		if err := v.ValidateFull(); err != nil {
			return err
		}
	}
	switch x := a.(type) {
	case *array.Dictionary:
		if err := validateArray(x.Indices()); err != nil {
			return err
		}
		if err := validateArray(x.Dictionary()); err != nil {
			return err
		}
		dl := x.Dictionary().Len()
		for i := 0; i < x.Len(); i++ {
			if x.IsValid(i) {
				if k := x.GetValueIndex(i); k < 0 || k >= dl {
					return fmt.Errorf("dictionary index %d out of range [0,%d)", k, dl)
				}
			}
		}
	case *array.Struct:
		for i := 0; i < x.NumField(); i++ {
			if err := validateArray(x.Field(i)); err != nil {
				return err
			}
		}
	case array.ListLike:
		if err := validateArray(x.ListValues()); err != nil {
			return err
		}
	}
	return nil
}

func writeIPC(w io.Writer, stream bool, schema *arrow.Schema, batches []arrow.RecordBatch, cfg *config) error {
	type recWriter interface {
		Write(arrow.RecordBatch) error
		Close() error
	}
	var iw recWriter
	if stream {
		iw = ipc.NewWriter(writerOnly{w}, ipc.WithSchema(schema), ipc.WithAllocator(cfg.mem))
	} else {
		fw, err := ipc.NewFileWriter(writerOnly{w}, ipc.WithSchema(schema), ipc.WithAllocator(cfg.mem))
		if err != nil {
			return err
		}
		iw = fw
	}
	for _, b := range batches {
		if err := iw.Write(b); err != nil {
			iw.Close()
			return err
		}
	}
	return iw.Close()
}
