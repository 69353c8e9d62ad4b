package arrowio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/parquet/file"
)

// LocateRows returns err with each data row its message names ("row 3900",
// 1-based, row 1 the first after a CSV's header) followed by the row's
// place in the table file at path: its first line in a CSV file or on
// standard input ("-"; the header is line 1; blank lines and newlines
// inside quoted fields count, so the line is not the row + 1 in general),
// its row group in a Parquet file, its record batch in an Arrow IPC file
// or stream, its sheet and sheet row in an Excel workbook (the header's
// rows and blank rows count):
//
//	column "officials_5", row 3900, line 3911: invalid answer code "7"
//	weight column "weight": negative at row 3900, row group 8 of 9; ...
//	column "officials_5", row 3900, sheet "Data" row 3901: ...
//
// The place is found on this error path only, by scanning the file again
// (a CSV file's bytes, counting quotes and line ends; a Parquet file's
// footer; an IPC file's batches up to the row), so reading pays nothing
// for it; standard input, which cannot be read again, and Excel sheets,
// whose rows the reader finds anyway, are placed from what the last read
// of that path in this process recorded (a scan of the spooled input's
// lines; the sheet rows of its records). err is returned as it is when it
// is nil, names no row, already names a line or row group (an *Error of
// the reader), or when the input's places cannot be had. The result wraps
// err, so errors.Is and errors.As see through it.
func LocateRows(path string, err error) error {
	if err == nil || path == "" {
		return err
	}
	var done *locatedError
	var re *Error
	if errors.As(err, &done) || errors.As(err, &re) && (re.Line > 0 || re.RowGroup > 0) {
		return err
	}
	msg := err.Error()
	ms := rowMention.FindAllStringSubmatchIndex(msg, -1)
	if len(ms) == 0 {
		return err
	}
	lists := make([][]int64, len(ms))
	var rows []int64
	for k, m := range ms {
		from, to := m[2], m[3]
		if from < 0 {
			from, to = m[4], m[5]
		}
		for _, d := range strings.Split(msg[from:to], ", ") {
			n, _ := strconv.ParseInt(d, 10, 64)
			lists[k] = append(lists[k], n)
		}
		rows = append(rows, lists[k]...)
	}
	pl, ok := placeRows(path, rows)
	if !ok {
		return err
	}
	var b strings.Builder
	last := 0
	for k, m := range ms {
		if p := pl.describe(lists[k]); p != "" {
			b.WriteString(msg[last:m[1]])
			b.WriteString(p)
			last = m[1]
		}
	}
	if last == 0 {
		return err
	}
	b.WriteString(msg[last:])
	return &locatedError{msg: b.String(), err: err}
}

// rowMention is how messages name data rows: "row 17", or "rows 17, 18,
// 40" (two or more numbers; "rows 17 and 18" is left alone).
var rowMention = regexp.MustCompile(`\brow ([0-9]+)\b|\brows ([0-9]+(?:, [0-9]+)+)\b`)

// locatedError is an error whose message names the rows' places in the file.
type locatedError struct {
	msg string
	err error
}

func (e *locatedError) Error() string { return e.msg }
func (e *locatedError) Unwrap() error { return e.err }

// places are the places of data rows in a file: CSV lines, Parquet row
// groups or Arrow IPC record batches (1-based) of groups, or Excel sheet
// rows of sheet.
type places struct {
	at     map[int64]int64
	unit   string // "row group", "record batch"; "" for CSV lines, Excel rows
	groups int    // the file's row groups or record batches
	sheet  string // Excel: the sheet
}

// describe is what follows the mention of rows: ", line 17", ", row group
// 2 of 5", ", record batch 2 of 5" or `, sheet "Data" row 18` for one row,
// " (lines 17, 18)", " (row groups 1, 2 of 5)" or the like for several;
// "" when a row has no place (past the end of the file: the message names
// a row of something else).
func (p places) describe(rows []int64) string {
	at := make([]string, len(rows))
	for i, r := range rows {
		v, ok := p.at[r]
		if !ok {
			return ""
		}
		at[i] = strconv.FormatInt(v, 10)
	}
	list := strings.Join(at, ", ")
	one := len(rows) == 1
	switch {
	case p.sheet != "" && one:
		return fmt.Sprintf(", sheet %q row %s", p.sheet, list)
	case p.sheet != "":
		return fmt.Sprintf(" (sheet %q rows %s)", p.sheet, list)
	case p.unit == "" && one:
		return ", line " + list
	case p.unit == "":
		return " (lines " + list + ")"
	case one:
		return fmt.Sprintf(", %s %s of %d", p.unit, list, p.groups)
	}
	units := p.unit + "s" // row groups
	if p.unit == "record batch" {
		units = "record batches"
	}
	return fmt.Sprintf(" (%s %s of %d)", units, list, p.groups)
}

// placeRows finds the data rows (1-based) in the file at path; ok is false
// for a file that cannot be read again or is of no format with places.
// Standard input ("-") and Excel workbooks are placed from what their
// last read recorded (readPlaces).
func placeRows(path string, rows []int64) (p places, ok bool) {
	if rp, found := recalled(path); found {
		return rp.place(rows), true
	}
	if path == "-" {
		return p, false
	}
	f, err := FormatOf(path)
	if err != nil {
		return p, false
	}
	switch f {
	case CSV:
		p.at, err = csvRowLines(path, rows)
	case Parquet:
		p.unit = "row group"
		p.at, p.groups, err = parquetRowGroups(path, rows)
	case IPCFile, IPCStream:
		p.unit = "record batch"
		p.at, p.groups, err = ipcBatches(path, f, rows)
	default:
		return p, false
	}
	return p, err == nil
}

// csvRowLines returns the first line of each data row of the CSV file at
// path, as its reader counts them (csvRecordLines).
func csvRowLines(path string, rows []int64) (map[int64]int64, error) {
	want := slices.Clone(rows)
	slices.Sort(want)
	want = slices.Compact(want)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := make(map[int64]int64, len(want))
	err = csvRecordLines(f, func(rec, line int64) bool {
		for len(want) > 0 && want[0] <= rec {
			if want[0] == rec {
				out[rec] = line
			}
			want = want[1:]
		}
		return len(want) > 0
	})
	return out, err
}

// csvRecordLines calls fn with the number (1-based) and first line of
// every data record of the CSV text r holds, in order, until fn returns
// false, as its reader counts them: a byte-order mark is skipped, blank
// lines between records are not records, and a newline inside a quoted
// field does not end its record. A field is quoted by its first byte, and
// a quote inside it is doubled, so outside a field's opening quote the
// quotes of a record that reads come in pairs: whether a line end is
// inside quotes is the parity of the quotes before it.
func csvRecordLines(r io.Reader, fn func(rec, line int64) bool) error {
	br := bufio.NewReaderSize(r, 1<<16)
	if b, err := br.Peek(3); err == nil && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		br.Discard(3)
	}
	line, rec := int64(1), int64(-1) // the header is record 0, data row r record r
	quoted, lineStart := false, true
	for {
		frag, err := br.ReadSlice('\n')
		if len(frag) > 0 {
			// a blank line: "\n", "\r\n", or "\r" at the end of the file
			blank := string(frag) == "\n" || string(frag) == "\r\n" || err == io.EOF && string(frag) == "\r"
			if lineStart && !quoted && !blank {
				rec++
				if rec > 0 && !fn(rec, line) {
					return nil
				}
			}
			if bytes.Count(frag, []byte{'"'})%2 == 1 {
				quoted = !quoted
			}
			lineStart = frag[len(frag)-1] == '\n'
			if lineStart {
				line++
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// parquetRowGroups returns the 1-based row group of each data row of the
// Parquet file at path, from the row counts in its footer, and the number
// of row groups.
func parquetRowGroups(path string, rows []int64) (out map[int64]int64, n int, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, n, err = nil, 0, fmt.Errorf("%v", p)
		}
	}()
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, 0, err
	}
	defer pf.Close()
	md := pf.MetaData()
	n = md.NumRowGroups()
	out = make(map[int64]int64, len(rows))
	for _, r := range rows {
		var end int64
		for g := 0; g < n; g++ {
			end += md.RowGroup(g).NumRows()
			if r <= end {
				out[r] = int64(g + 1)
				break
			}
		}
	}
	return out, n, nil
}
