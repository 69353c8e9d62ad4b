package arrowio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Reader streams the record batches of a table file.
//
// Next advances to the next batch and returns false at the end or on error
// (then Err says which). The batch returned by RecordBatch is owned by the
// Reader and valid until the next call to Next or Close; Retain it to keep
// it longer. Close releases everything and must always be called.
type Reader interface {
	Schema() *arrow.Schema
	Next() bool
	RecordBatch() arrow.RecordBatch
	Err() error
	Close() error
}

// Open opens a table file for streaming, choosing the format by extension
// (see FormatOf; WithFormat overrides it). "-" reads standard input (see
// WithStdin), which is first copied to a temporary file, in the format its
// first bytes tell (SniffFormat): CSV, Parquet, an Arrow IPC file or
// stream, or an Excel workbook.
//
// Parquet is read with pqarrow's record reader in batches of WithBatchSize
// rows (one row group column chunk at a time), so a large file is never
// materialised whole; IPC files and streams are read one stored batch at a
// time. CSV is read in two passes: the first checks the shape of every row
// and infers each column's type from all its values (see the package
// documentation), the second builds the batches.
//
// A missing file is an *Error wrapping fs.ErrNotExist; an empty one wraps
// ErrEmpty; a file that does not parse wraps ErrCorrupt; a projected column
// that is not in the file wraps ErrMissingColumn.
func Open(path string, opts ...Option) (Reader, error) {
	return open(path, newConfig(opts))
}

func open(path string, cfg *config) (Reader, error) {
	format := cfg.format
	if !cfg.hasFormat {
		var err error
		if format, err = FormatOf(path); err != nil {
			return nil, err
		}
	}
	f, name, cleanup, err := openInput(path, cfg)
	if err != nil {
		return nil, err
	}
	if path == "-" && !cfg.hasFormat {
		if format, err = sniffFile(f); err != nil {
			f.Close()
			cleanup()
			return nil, &Error{File: name, Err: err}
		}
	}
	if path == "-" && format == CSV {
		// standard input is read once: its rows' lines are counted now,
		// for the errors that name them (LocateRows)
		if err := rememberStdinLines(f); err != nil {
			f.Close()
			cleanup()
			return nil, &Error{File: name, Err: err}
		}
	}
	var r Reader
	switch format {
	case CSV:
		r, err = newCSVReader(f, name, cfg)
	case Parquet:
		r, err = newParquetReader(f, name, cfg)
	case IPCFile:
		r, err = newIPCFileReader(f, name, cfg)
	case IPCStream:
		r, err = newIPCStreamReader(f, name, cfg)
	case XLSX:
		r, err = newXLSXReader(f, name, cfg)
	}
	if err != nil {
		f.Close()
		cleanup()
		return nil, err
	}
	if path == "-" && format != CSV {
		// standard input cannot be read again: the places of its rows, for
		// the errors that name them, are a Parquet file's row groups, an
		// Excel sheet's rows (which its reader recorded), none for IPC
		rec := &recorded{}
		if pr, ok := r.(*parquetReader); ok {
			g := groupsOf(pr.pf.MetaData())
			rec = &g
		} else if x, ok := recalled(name); ok && format == XLSX {
			rec = x
		}
		remember("-", rec)
	}
	return &closingReader{Reader: r, f: f, cleanup: cleanup}, nil
}

// closingReader closes the file and removes a stdin spool after the format
// reader has released its resources.
type closingReader struct {
	Reader
	f       *os.File
	cleanup func()
	closed  bool
}

func (c *closingReader) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	err := c.Reader.Close()
	c.f.Close()
	c.cleanup()
	return err
}

// SniffFile returns the format of the file at path from its first bytes
// (SniffFormat), whatever its name: for a copy of standard input, say.
func SniffFile(path string) (Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return sniffFile(f)
}

// sniffFile returns the format of f from its first bytes (SniffFormat)
// and leaves f at its start.
func sniffFile(f *os.File) (Format, error) {
	head := make([]byte, 8)
	n, err := f.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return 0, err
	}
	return SniffFormat(head[:n]), nil
}

// openInput opens path, or spools stdin to a temporary file for "-", and
// rejects empty files.
func openInput(path string, cfg *config) (f *os.File, name string, cleanup func(), err error) {
	cleanup = func() {}
	if path == "-" {
		name = "stdin"
		tmp, err := os.CreateTemp("", "sipas-stdin-*")
		if err != nil {
			return nil, name, cleanup, &Error{File: name, Err: fmt.Errorf("cannot buffer standard input: %w", err)}
		}
		cleanup = func() { os.Remove(tmp.Name()) }
		if _, err := io.Copy(tmp, cfg.stdin); err != nil {
			tmp.Close()
			cleanup()
			return nil, name, func() {}, &Error{File: name, Err: fmt.Errorf("cannot read standard input: %w", err)}
		}
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			tmp.Close()
			cleanup()
			return nil, name, func() {}, &Error{File: name, Err: err}
		}
		f = tmp
	} else {
		name = path
		if n, ok := cfg.names[path]; ok {
			name = n
		}
		f, err = os.Open(path)
		if err != nil {
			switch {
			case errors.Is(err, fs.ErrNotExist):
				return nil, name, cleanup, &Error{File: name, Err: causedBy(fs.ErrNotExist, nil, "file does not exist (check the path)")}
			case errors.Is(err, fs.ErrPermission):
				return nil, name, cleanup, &Error{File: name, Err: causedBy(fs.ErrPermission, nil, "permission denied")}
			}
			return nil, name, cleanup, &Error{File: name, Err: err}
		}
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		cleanup()
		return nil, name, func() {}, &Error{File: name, Err: err}
	}
	if st.IsDir() {
		f.Close()
		return nil, name, cleanup, &Error{File: name, Err: errors.New("is a directory, not a file")}
	}
	if st.Size() == 0 {
		f.Close()
		cleanup()
		return nil, name, func() {}, &Error{File: name, Err: because(ErrEmpty, "file is empty")}
	}
	return f, name, cleanup, nil
}

// Rows returns the number of rows of the file r reads when the file's
// metadata says (Parquet) without reading the data; ok is false for other
// formats.
func Rows(r Reader) (n int64, ok bool) {
	if cr, isCR := r.(*closingReader); isCR {
		r = cr.Reader
	}
	if nr, isNR := r.(interface{ numRows() int64 }); isNR {
		return nr.numRows(), true
	}
	return 0, false
}

// DataRows returns the number of data rows of the file r reads when r
// knows it before its first batch: from a Parquet file's metadata (as
// Rows) or from the first pass over a CSV file; ok is false for other
// formats.
func DataRows(r Reader) (n int64, ok bool) {
	if n, ok := Rows(r); ok {
		return n, true
	}
	if cr, isCR := r.(*closingReader); isCR {
		r = cr.Reader
	}
	if c, isCSV := r.(*csvReader); isCSV {
		return c.rows, true
	}
	return 0, false
}

// ReadAll reads a whole table file into one record batch (the file's batches
// or row groups concatenated), projected if WithColumns is given. The caller
// must Release the result. For big Parquet files prefer Open with a
// projection: the result holds every projected column in memory at once.
func ReadAll(path string, opts ...Option) (arrow.RecordBatch, error) {
	cfg := newConfig(opts)
	cfg.whole = true
	r, err := open(path, cfg)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if rows, ok := Rows(r); ok {
		limit := 1 << 16
		if st, err := r.(*closingReader).f.Stat(); err == nil {
			// Compressed files hold at least ~1 byte per 16 rows unless
			// columns are mostly null; past that the buffers grow.
			limit += int(min(st.Size(), math.MaxInt32)) * 16
		}
		return readAccumulated(r, int(rows), limit, cfg.mem)
	}
	var batches []arrow.RecordBatch
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	for r.Next() {
		b := r.RecordBatch()
		b.Retain()
		batches = append(batches, b)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return concatBatches(r.Schema(), batches, cfg.mem)
}

// readAccumulated copies the batches of r into one preallocated batch of
// total rows.
func readAccumulated(r Reader, total, limit int, mem memory.Allocator) (rec arrow.RecordBatch, err error) {
	var acc *accumulator
	defer func() {
		if p := recover(); p != nil {
			if acc != nil {
				acc.release()
			}
			rec, err = nil, fmt.Errorf("arrowio: cannot assemble batches: %v", p)
		}
	}()
	acc = newAccumulator(mem, r.Schema(), total, limit)
	for r.Next() {
		if err := acc.add(r.RecordBatch()); err != nil {
			acc.release()
			return nil, err
		}
	}
	if err := r.Err(); err != nil {
		acc.release()
		return nil, err
	}
	if acc.n != total {
		acc.release()
		return nil, fmt.Errorf("arrowio: read %d rows, the file's metadata gives %d", acc.n, total)
	}
	return acc.finish()
}

// concatBatches joins batches of one schema into a new batch the caller owns.
func concatBatches(schema *arrow.Schema, batches []arrow.RecordBatch, mem memory.Allocator) (rec arrow.RecordBatch, err error) {
	if len(batches) == 1 {
		batches[0].Retain()
		return batches[0], nil
	}
	defer func() {
		if p := recover(); p != nil {
			rec, err = nil, fmt.Errorf("arrowio: cannot concatenate batches: %v", p)
		}
	}()
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	var n int64
	for _, b := range batches {
		n += b.NumRows()
	}
	for j, fld := range schema.Fields() {
		if len(batches) == 0 {
			cols[j] = array.MakeArrayOfNull(mem, fld.Type, 0)
			continue
		}
		parts := make([]arrow.Array, len(batches))
		for i, b := range batches {
			parts[i] = b.Column(j)
		}
		if cols[j], err = array.Concatenate(parts, mem); err != nil {
			return nil, err
		}
	}
	return array.NewRecordBatch(schema, cols, n), nil
}

// projection resolves requested column names against available ones. It
// returns nil when every column is wanted in file order.
func projection(file string, available []string, want []string) ([]int, error) {
	if len(want) == 0 {
		return nil, nil
	}
	idx := make(map[string]int, len(available))
	for i := len(available) - 1; i >= 0; i-- {
		idx[available[i]] = i
	}
	sel := make([]int, len(want))
	var missing []string
	for k, n := range want {
		i, ok := idx[n]
		if !ok {
			missing = append(missing, n)
			continue
		}
		sel[k] = i
	}
	if len(missing) > 0 {
		return nil, missingError(file, missing, available)
	}
	return sel, nil
}

func missingError(file string, missing, available []string) error {
	for _, m := range missing {
		if near := NearMissOf(m, available); near != "" {
			return nearMissError(file, m, near)
		}
	}
	if len(missing) == 1 {
		return &Error{File: file, Err: because(ErrMissingColumn, "missing column %q (available columns: %s)", missing[0], listNames(available))}
	}
	q := make([]string, len(missing))
	for i, m := range missing {
		q[i] = fmt.Sprintf("%q", m)
	}
	return &Error{File: file, Err: because(ErrMissingColumn, "missing columns %s (available columns: %s)", strings.Join(q, ", "), listNames(available))}
}

// uniqueNames refuses a table with two columns of one name, which would
// leave it to chance which of them a computation reads (as for a CSV
// header).
func uniqueNames(file string, names []string) error {
	first := make(map[string]int, len(names))
	for i, n := range names {
		if j, dup := first[n]; dup {
			return &Error{File: file, Column: n, Err: because(ErrCorrupt, "appears twice in the schema (columns %d and %d); column names must be unique", j+1, i+1)}
		}
		first[n] = i
	}
	return nil
}

func schemaNames(s *arrow.Schema) []string {
	names := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		names[i] = f.Name
	}
	return names
}

// RequireColumns checks that schema has every named column. The error wraps
// ErrMissingColumn, names all missing columns and lists the available ones:
//
//	ballots.parquet: missing column "access_5" (available columns: ballot_id, province, ...)
//
// file is only used in the message and may be empty.
func RequireColumns(schema *arrow.Schema, file string, cols ...string) error {
	have := make(map[string]bool, schema.NumFields())
	for _, f := range schema.Fields() {
		have[f.Name] = true
	}
	var missing []string
	seen := map[string]bool{}
	for _, c := range cols {
		if !have[c] && !seen[c] {
			seen[c] = true
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return missingError(file, missing, schemaNames(schema))
}

// selectColumns returns a new batch (owned by the caller) holding the
// columns sel of rec, in that order, with schema out.
func selectColumns(rec arrow.RecordBatch, sel []int, out *arrow.Schema) arrow.RecordBatch {
	cols := make([]arrow.Array, len(sel))
	for k, i := range sel {
		cols[k] = rec.Column(i)
	}
	return array.NewRecordBatch(out, cols, rec.NumRows())
}

func projectSchema(s *arrow.Schema, sel []int) *arrow.Schema {
	if sel == nil {
		return s
	}
	fields := make([]arrow.Field, len(sel))
	for k, i := range sel {
		fields[k] = s.Field(i)
	}
	md := s.Metadata() // the file's schema metadata apply to any projection
	return arrow.NewSchema(fields, &md)
}
