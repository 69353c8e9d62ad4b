package arrowio

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/sipas-go/sipas/internal/csvsafe"
	"github.com/sipas-go/sipas/internal/fsutil"
)

// Write writes batches (all with the given schema) to path in the format of
// its extension (or WithFormat). The file appears atomically: the data go to
// a temporary file in the same directory that is renamed over path only when
// everything was written (internal/fsutil.WriteAtomic). "-" writes CSV to
// stdout (see WithStdout).
//
// CSV output has a header row, LF line ends, an empty cell for null, text
// cells that a spreadsheet would run as a formula prefixed with an
// apostrophe (internal/csvsafe; "=1+1" is written "'=1+1"), floats
// in the shortest form that reads back to the same value and always with a
// decimal point or exponent (2 is written "2.0") so that a float column reads
// back as float. CSV keeps no types beyond what inference recovers (int64,
// float64, bool, string); empty strings read back as null. Parquet and IPC
// keep every type. Excel (.xlsx) gets one sheet with a frozen header row
// and typed cells (numbers, booleans, text; never formulas); as in a
// spreadsheet, a float column of whole numbers reads back as integers.
func Write(path string, schema *arrow.Schema, batches []arrow.RecordBatch, opts ...Option) error {
	cfg := newConfig(opts)
	format := cfg.format
	if !cfg.hasFormat {
		var err error
		if format, err = FormatOf(path); err != nil {
			return err
		}
	}
	for i, b := range batches {
		if !b.Schema().Equal(schema) {
			return &Error{File: path, Err: fmt.Errorf("batch %d has schema %s, want %s", i, b.Schema(), schema)}
		}
	}
	if cfg.inputs != nil && format != CSV {
		var err error
		if schema, batches, err = recordInputs(schema, batches, cfg.inputs); err != nil {
			return &Error{File: path, Err: err}
		}
		defer func() {
			for _, b := range batches {
				b.Release()
			}
		}()
	}
	name := path
	if path == "-" {
		name = "stdout"
	}
	return fsutil.WriteAtomic(path, cfg.stdout, func(w io.Writer) error {
		var err error
		switch format {
		case CSV:
			err = writeCSV(w, schema, batches)
		case Parquet:
			err = writeParquet(w, schema, batches, cfg)
		case IPCFile:
			err = writeIPC(w, false, schema, batches, cfg)
		case XLSX:
			err = writeXLSX(w, schema, batches)
		default:
			err = writeIPC(w, true, schema, batches, cfg)
		}
		if err != nil {
			return &Error{File: name, Err: fmt.Errorf("cannot write %s: %w", format, err)}
		}
		return nil
	})
}

// WriteRecord writes one record batch; see Write.
func WriteRecord(path string, rec arrow.RecordBatch, opts ...Option) error {
	return Write(path, rec.Schema(), []arrow.RecordBatch{rec}, opts...)
}

func writeCSV(w io.Writer, schema *arrow.Schema, batches []arrow.RecordBatch) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var line []byte
	for j, f := range schema.Fields() {
		if j > 0 {
			line = append(line, ',')
		}
		line = appendCSVField(line, csvsafe.Cell(f.Name))
	}
	line = append(line, '\n')
	if _, err := bw.Write(line); err != nil {
		return err
	}
	for _, b := range batches {
		fmts := make([]cellFormatter, b.NumCols())
		for j, col := range b.Columns() {
			fmts[j] = formatterFor(col)
		}
		for i := 0; i < int(b.NumRows()); i++ {
			line = line[:0]
			for j, col := range b.Columns() {
				if j > 0 {
					line = append(line, ',')
				}
				if col.IsValid(i) {
					line = fmts[j](line, i)
				}
			}
			if len(line) == 0 {
				// A blank line would be skipped by readers: write one
				// empty quoted field (a single null column).
				line = append(line, '"', '"')
			}
			line = append(line, '\n')
			if _, err := bw.Write(line); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// cellFormatter appends the text of valid element i.
type cellFormatter func(dst []byte, i int) []byte

func formatterFor(col arrow.Array) cellFormatter {
	switch a := col.(type) {
	case *array.Int8:
		return func(d []byte, i int) []byte { return strconv.AppendInt(d, int64(a.Value(i)), 10) }
	case *array.Int16:
		return func(d []byte, i int) []byte { return strconv.AppendInt(d, int64(a.Value(i)), 10) }
	case *array.Int32:
		return func(d []byte, i int) []byte { return strconv.AppendInt(d, int64(a.Value(i)), 10) }
	case *array.Int64:
		return func(d []byte, i int) []byte { return strconv.AppendInt(d, a.Value(i), 10) }
	case *array.Uint8:
		return func(d []byte, i int) []byte { return strconv.AppendUint(d, uint64(a.Value(i)), 10) }
	case *array.Uint16:
		return func(d []byte, i int) []byte { return strconv.AppendUint(d, uint64(a.Value(i)), 10) }
	case *array.Uint32:
		return func(d []byte, i int) []byte { return strconv.AppendUint(d, uint64(a.Value(i)), 10) }
	case *array.Uint64:
		return func(d []byte, i int) []byte { return strconv.AppendUint(d, a.Value(i), 10) }
	case *array.Float32:
		return func(d []byte, i int) []byte { return appendFloat(d, float64(a.Value(i)), 32) }
	case *array.Float64:
		return func(d []byte, i int) []byte { return appendFloat(d, a.Value(i), 64) }
	case *array.Boolean:
		return func(d []byte, i int) []byte { return strconv.AppendBool(d, a.Value(i)) }
	case *array.String:
		return func(d []byte, i int) []byte { return appendCSVField(d, csvsafe.Cell(a.Value(i))) }
	case *array.LargeString:
		return func(d []byte, i int) []byte { return appendCSVField(d, csvsafe.Cell(a.Value(i))) }
	case *array.StringView:
		return func(d []byte, i int) []byte { return appendCSVField(d, csvsafe.Cell(a.Value(i))) }
	case *array.Dictionary:
		inner := formatterFor(a.Dictionary())
		return func(d []byte, i int) []byte { return inner(d, a.GetValueIndex(i)) }
	}
	return func(d []byte, i int) []byte { return appendCSVField(d, csvsafe.Cell(col.ValueStr(i))) }
}

// appendFloat writes the shortest decimal that parses back to v, with ".0"
// added to integral values so the column still reads as float.
func appendFloat(d []byte, v float64, bits int) []byte {
	switch {
	case math.IsNaN(v):
		return append(d, "NaN"...)
	case math.IsInf(v, 1):
		return append(d, "+Inf"...)
	case math.IsInf(v, -1):
		return append(d, "-Inf"...)
	}
	start := len(d)
	d = strconv.AppendFloat(d, v, 'g', -1, bits)
	for _, c := range d[start:] {
		if c == '.' || c == 'e' {
			return d
		}
	}
	return append(d, ".0"...)
}

// appendCSVField quotes s when needed (RFC 4180, as encoding/csv does).
func appendCSVField(d []byte, s string) []byte {
	if !fieldNeedsQuotes(s) {
		return append(d, s...)
	}
	d = append(d, '"')
	for {
		k := strings.IndexByte(s, '"')
		if k < 0 {
			break
		}
		d = append(d, s[:k+1]...)
		d = append(d, '"')
		s = s[k+1:]
	}
	d = append(d, s...)
	return append(d, '"')
}

func fieldNeedsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` {
		return true
	}
	if s[0] == ' ' || s[0] == '\t' || s[len(s)-1] == ' ' || s[len(s)-1] == '\t' {
		return true
	}
	return strings.ContainsAny(s, ",\"\r\n")
}
