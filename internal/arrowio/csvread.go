package arrowio

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Inference candidates for a CSV column; a bit is cleared by the first
// non-empty value that does not fit.
const (
	canInt uint8 = 1 << iota
	canFloat
	canBool
	canFloatComma // a number with a decimal comma (or without decimals)
)

type csvCol struct {
	name   string
	src    int // field index in the file
	typ    arrow.DataType
	forced bool
	can    uint8
	bytes  int64 // total bytes of non-null values (string columns)
	// the first value with a decimal point and with a decimal comma
	dotAt, commaAt   int
	dotVal, commaVal string
}

type csvReader struct {
	name    string
	f       *os.File
	mem     memory.Allocator
	cols    []*csvCol
	nfields int
	schema  *arrow.Schema
	rows    int64 // data rows in the file (from the first pass)
	read    int64
	batch   int
	cr      *csv.Reader
	cur     arrow.RecordBatch
	err     error
	delim   rune
	decimal rune // '.' or ','; 0 until the first pass decides
	skip    int
	pad     bool
	padded  []string
}

// newCSVStream returns a csv.Reader over r that skips a UTF-8 byte-order
// mark. Fields may span lines inside quotes; CRLF line ends read as LF.
// delim 0 detects the delimiter from the first line (see detectDelimiter).
func newCSVStream(r io.Reader, delim rune) (*csv.Reader, rune) {
	br := bufio.NewReaderSize(r, 1<<16)
	if b, err := br.Peek(3); err == nil && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		br.Discard(3)
	}
	if delim == 0 {
		b, _ := br.Peek(1 << 16)
		delim = detectDelimiter(b)
	}
	cr := csv.NewReader(br)
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return cr, delim
}

// detectDelimiter returns the one of ',', ';' and tab that occurs most
// often outside quotes in the first line of b (',' on a tie or when none
// does).
func detectDelimiter(b []byte) rune {
	var n [3]int
	quoted := false
	for _, c := range b {
		if c == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if c == '\n' {
			break
		}
		switch c {
		case ',':
			n[0]++
		case ';':
			n[1]++
		case '\t':
			n[2]++
		}
	}
	switch {
	case n[1] > n[0] && n[1] >= n[2]:
		return ';'
	case n[2] > n[0] && n[2] > n[1]:
		return '\t'
	}
	return ','
}

func newCSVReader(f *os.File, name string, cfg *config) (*csvReader, error) {
	r := &csvReader{name: name, f: f, mem: cfg.mem, batch: cfg.batch, delim: cfg.delim, decimal: cfg.decimal, skip: cfg.skip, pad: cfg.pad}
	if err := r.scan(cfg); err != nil {
		return nil, err
	}
	if cfg.whole && r.rows > 0 {
		r.batch = int(min(r.rows, math.MaxInt32))
	}
	fields := make([]arrow.Field, len(r.cols))
	for k, c := range r.cols {
		fields[k] = arrow.Field{Name: c.name, Type: c.typ, Nullable: true}
	}
	r.schema = arrow.NewSchema(fields, nil)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, &Error{File: name, Err: err}
	}
	r.cr, _ = newCSVStream(f, r.delim)
	if cfg.header == nil {
		if _, err := r.cr.Read(); err != nil { // header, checked by scan
			return nil, r.csvErr(err)
		}
	}
	for i := 0; i < r.skip; i++ {
		if _, err := r.cr.Read(); err != nil {
			return nil, r.csvErr(err)
		}
	}
	return r, nil
}

// record reads the next record, padded to the header's width when the
// reader pads (a spooled sheet writes rows up to their last value).
func (r *csvReader) record(cr *csv.Reader) ([]string, error) {
	rec, err := cr.Read()
	if err != nil || !r.pad || len(rec) >= r.nfields {
		if r.pad && len(rec) > r.nfields {
			rec = rec[:r.nfields]
		}
		return rec, err
	}
	r.padded = append(r.padded[:0], rec...)
	for len(r.padded) < r.nfields {
		r.padded = append(r.padded, "")
	}
	return r.padded, nil
}

// csvErr turns an error of encoding/csv into an *Error with its line.
func (r *csvReader) csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &Error{File: r.name, Line: pe.Line, Err: causedBy(ErrCorrupt, pe.Err, "malformed CSV (check the quotes on this line)")}
	}
	if err == io.EOF {
		return &Error{File: r.name, Err: because(ErrCorrupt, "file changed while it was being read")}
	}
	return &Error{File: r.name, Err: err}
}

// scan is the first pass: header, projection, row shapes, and the type of
// every projected column from all its values.
func (r *csvReader) scan(cfg *config) error {
	var bom [2]byte
	if n, _ := r.f.ReadAt(bom[:], 0); n == 2 && (bom == [2]byte{0xFF, 0xFE} || bom == [2]byte{0xFE, 0xFF}) {
		return &Error{File: r.name, Err: because(ErrCorrupt, "file is UTF-16 text; save it as CSV UTF-8")}
	}
	cr, delim := newCSVStream(r.f, r.delim)
	r.delim = delim
	if r.decimal == 0 && delim == ',' {
		r.decimal = '.'
	}
	head := cfg.header
	if head == nil {
		var err error
		head, err = cr.Read()
		if err == io.EOF {
			return &Error{File: r.name, Err: because(ErrEmpty, "file is empty (expected a header row with column names)")}
		}
		if err != nil {
			return r.csvErr(err)
		}
	}
	for i := 0; i < r.skip; i++ {
		if _, err := cr.Read(); err != nil {
			return r.csvErr(err)
		}
	}
	names := make([]string, len(head))
	seen := make(map[string]int, len(head))
	for i, h := range head {
		h = strings.TrimSpace(h)
		if !utf8.ValidString(h) {
			return &Error{File: r.name, Line: 1, Err: because(ErrCorrupt, "header column %d is not valid UTF-8 (save the file as UTF-8)", i+1)}
		}
		if h == "" {
			return &Error{File: r.name, Line: 1, Err: because(ErrCorrupt, "header column %d has no name; every column needs a name", i+1)}
		}
		if j, dup := seen[h]; dup {
			return &Error{File: r.name, Line: 1, Column: h, Err: because(ErrCorrupt, "appears twice in the header (columns %d and %d); column names must be unique", j+1, i+1)}
		}
		seen[h] = i
		names[i] = h
	}
	r.nfields = len(names)
	sel, err := projection(r.name, names, cfg.cols)
	if err != nil {
		return err
	}
	if sel == nil {
		sel = make([]int, len(names))
		for i := range sel {
			sel[i] = i
		}
	}
	r.cols = make([]*csvCol, len(sel))
	for k, i := range sel {
		c := &csvCol{name: names[i], src: i, can: canInt | canFloat | canBool | canFloatComma}
		if t, ok := cfg.types[c.name]; ok && t != nil {
			if !csvTypeSupported(t) {
				panic(fmt.Sprintf("arrowio: WithTypes: column %q: type %s is not supported for CSV", c.name, t))
			}
			c.typ, c.forced = t, true
		}
		r.cols[k] = c
	}
	for {
		rec, err := r.record(cr)
		if err == io.EOF {
			break
		}
		if err != nil {
			return r.csvErr(err)
		}
		r.rows++
		if len(rec) != r.nfields {
			line, _ := cr.FieldPos(0)
			return &Error{File: r.name, Line: line, Err: because(ErrRagged, "has %d fields but the header has %d (check for a missing or extra %s, or an unquoted %[3]s inside a value)", len(rec), r.nfields, delimName(r.delim))}
		}
		for _, c := range r.cols {
			v := rec[c.src]
			t := trimCell(v)
			if t == "" {
				continue
			}
			c.bytes += int64(len(v))
			if r.decimal != '.' {
				c.noteDecimal(t, cr, r.decimal)
			}
			if c.forced {
				if err := checkForced(c.typ, decimalPoint(t, r.decimal)); err != nil {
					line, _ := cr.FieldPos(c.src)
					return &Error{File: r.name, Line: line, Column: c.name, Value: v, Err: err}
				}
				if !utf8.ValidString(v) {
					line, _ := cr.FieldPos(c.src)
					return &Error{File: r.name, Line: line, Column: c.name, Err: because(ErrCorrupt, "is not valid UTF-8 (save the file as UTF-8)")}
				}
				continue
			}
			if c.can != 0 {
				c.can &= classify(t)
			}
			if c.can == 0 && !utf8.ValidString(v) {
				line, _ := cr.FieldPos(c.src)
				return &Error{File: r.name, Line: line, Column: c.name, Err: because(ErrCorrupt, "is not valid UTF-8 (save the file as UTF-8)")}
			}
		}
	}
	if err := r.decideDecimal(); err != nil {
		return err
	}
	floatBit := canFloat
	if r.decimal == ',' {
		floatBit = canFloatComma
	}
	for _, c := range r.cols {
		if c.forced {
			continue
		}
		switch {
		case c.bytes == 0: // no values at all
			c.typ = arrow.BinaryTypes.String
		case c.can&canInt != 0:
			c.typ = arrow.PrimitiveTypes.Int64
		case c.can&floatBit != 0:
			c.typ = arrow.PrimitiveTypes.Float64
		case c.can&canBool != 0:
			c.typ = arrow.FixedWidthTypes.Boolean
		default:
			c.typ = arrow.BinaryTypes.String
		}
	}
	return nil
}

// trimCell removes surrounding spaces and tabs; a cell that is empty after
// trimming is null.
func trimCell(s string) string {
	i, j := 0, len(s)
	for i < j && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	for j > i && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	return s[i:j]
}

// classify returns the inference candidates a non-empty trimmed cell allows.
//
// An integer is [+-]digits without leading zeros ("0" itself is fine) that
// fits in int64; a float is a decimal number [+-]digits[.digits][e[+-]digits]
// whose integer part has no leading zeros, or NaN, Inf, +Inf, -Inf. So codes
// such as "001" or "0912345678" and 20-digit identifiers keep their column a
// string. Booleans are true/false in any case.
func classify(s string) uint8 {
	if len(s) == 4 || len(s) == 5 {
		if strings.EqualFold(s, "true") || strings.EqualFold(s, "false") {
			return canBool
		}
	}
	switch s {
	case "NaN", "Inf", "+Inf", "-Inf":
		return canFloat | canFloatComma
	}
	i := 0
	if s[0] == '+' || s[0] == '-' {
		i++
	}
	ds := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	nint := i - ds
	if nint > 1 && s[ds] == '0' {
		return 0 // leading zero: an identifier or code
	}
	if i == len(s) {
		if nint == 0 {
			return 0
		}
		if nint <= 18 {
			return canInt | canFloat | canFloatComma
		}
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return canInt | canFloat | canFloatComma
		}
		return 0 // too long for int64: keep as text (an identifier)
	}
	nfrac := 0
	point := byte(0)
	if s[i] == '.' || s[i] == ',' {
		point = s[i]
		i++
		fs := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		nfrac = i - fs
	}
	if nint+nfrac == 0 {
		return 0
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		es := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == es {
			return 0
		}
	}
	if i != len(s) {
		return 0
	}
	switch point {
	case '.':
		return canFloat
	case ',':
		return canFloatComma
	}
	return canFloat | canFloatComma
}

// noteDecimal records the first value of the column written with a
// decimal point and with a decimal comma.
func (c *csvCol) noteDecimal(t string, cr *csv.Reader, decimal rune) {
	if c.commaAt > 0 && c.dotAt > 0 {
		return
	}
	k := classify(t)
	switch {
	case k == canFloat && c.dotAt == 0 && strings.IndexByte(t, '.') >= 0:
		c.dotAt, _ = cr.FieldPos(c.src)
		c.dotVal = t
	case k == canFloatComma && c.commaAt == 0:
		c.commaAt, _ = cr.FieldPos(c.src)
		c.commaVal = t
	}
}

// decideDecimal settles the decimal separator of a ';' or tab file read
// without one given: a comma when some numeric column has decimal commas,
// an error when another has decimal points.
func (r *csvReader) decideDecimal() error {
	if r.decimal == '.' {
		return nil
	}
	var dot, comma *csvCol
	for _, c := range r.cols {
		numeric := c.forced && isFloatType(c.typ) || !c.forced && c.can&canInt == 0
		if !numeric {
			continue
		}
		if c.commaAt > 0 && (c.forced || c.can&canFloatComma != 0) && comma == nil {
			comma = c
		}
		if c.dotAt > 0 && (c.forced || c.can&canFloat != 0) && dot == nil {
			dot = c
		}
	}
	if r.decimal == ',' {
		if dot != nil && dot.forced {
			return &Error{File: r.name, Line: dot.dotAt, Column: dot.name, Value: dot.dotVal, Err: because(ErrBadValue, "has a decimal point, but the file's decimal separator is a comma")}
		}
		return nil
	}
	switch {
	case dot != nil && comma != nil:
		return &Error{File: r.name, Line: comma.commaAt, Column: comma.name, Value: comma.commaVal, Err: because(ErrBadValue,
			"has a decimal comma, but line %d, column %q has a decimal point (%q); the file mixes both: set its decimal separator explicitly", dot.dotAt, dot.name, dot.dotVal)}
	case comma != nil:
		r.decimal = ','
	default:
		r.decimal = '.'
	}
	return nil
}

func isFloatType(t arrow.DataType) bool {
	return t.ID() == arrow.FLOAT32 || t.ID() == arrow.FLOAT64
}

// decimalPoint returns a number written with a decimal comma with a point.
func decimalPoint(t string, decimal rune) string {
	if decimal == '.' || strings.IndexByte(t, ',') < 0 {
		return t
	}
	return strings.Replace(t, ",", ".", 1)
}

func delimName(d rune) string {
	switch d {
	case ';':
		return "semicolon"
	case '\t':
		return "tab"
	}
	return "comma"
}

func csvTypeSupported(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.STRING, arrow.LARGE_STRING:
		return true
	}
	return false
}

// checkForced reports whether the trimmed cell t converts to t's type.
func checkForced(typ arrow.DataType, t string) error {
	switch typ.ID() {
	case arrow.BOOL:
		if _, err := strconv.ParseBool(t); err != nil {
			if _, ok := parseBoolWord(t); !ok {
				return because(ErrBadValue, "is not true/false")
			}
		}
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		bits := typ.(arrow.FixedWidthDataType).BitWidth()
		if _, err := strconv.ParseInt(t, 10, bits); err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return because(ErrBadValue, "is out of range for %s", typ)
			}
			return because(ErrBadValue, "is not an integer (expected a whole number; fix the cell or leave it empty for a missing value)")
		}
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		bits := typ.(arrow.FixedWidthDataType).BitWidth()
		if _, err := strconv.ParseUint(t, 10, bits); err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return because(ErrBadValue, "is out of range for %s", typ)
			}
			return because(ErrBadValue, "is not a non-negative integer (expected a whole number; fix the cell or leave it empty for a missing value)")
		}
	case arrow.FLOAT32, arrow.FLOAT64:
		bits := typ.(arrow.FixedWidthDataType).BitWidth()
		if _, err := strconv.ParseFloat(t, bits); err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return because(ErrBadValue, "is out of range for %s", typ)
			}
			return because(ErrBadValue, "is not a number (use a dot for decimals, e.g. 0.75)")
		}
	}
	return nil
}

func (r *csvReader) Schema() *arrow.Schema          { return r.schema }
func (r *csvReader) RecordBatch() arrow.RecordBatch { return r.cur }
func (r *csvReader) Err() error                     { return r.err }

func (r *csvReader) Close() error {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	return nil
}

// Next builds the next batch (second pass). Values were checked by the
// first pass, so conversion failures here mean the file changed meanwhile.
func (r *csvReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.err != nil || r.read >= r.rows {
		return false
	}
	n := int(min(int64(r.batch), r.rows-r.read))
	whole := int64(n) == r.rows
	bldrs := make([]array.Builder, len(r.cols))
	apps := make([]func(string) error, len(r.cols))
	for k, c := range r.cols {
		b := array.NewBuilder(r.mem, c.typ)
		b.Reserve(n)
		bldrs[k] = b
		apps[k] = appender(b, c, whole)
	}
	defer func() {
		for _, b := range bldrs {
			b.Release()
		}
	}()
	for i := 0; i < n; i++ {
		rec, err := r.record(r.cr)
		if err != nil {
			r.err = r.csvErr(err)
			return false
		}
		if len(rec) != r.nfields {
			line, _ := r.cr.FieldPos(0)
			r.err = &Error{File: r.name, Line: line, Err: because(ErrRagged, "has %d fields but the header has %d", len(rec), r.nfields)}
			return false
		}
		for k, c := range r.cols {
			v := rec[c.src]
			t := trimCell(v)
			if t == "" {
				bldrs[k].AppendNull()
				continue
			}
			if c.typ.ID() == arrow.STRING || c.typ.ID() == arrow.LARGE_STRING {
				t = v
			} else if r.decimal == ',' && isFloatType(c.typ) {
				t = decimalPoint(t, ',')
			}
			if err := apps[k](t); err != nil {
				line, _ := r.cr.FieldPos(c.src)
				r.err = &Error{File: r.name, Line: line, Column: c.name, Value: v, Err: err}
				return false
			}
		}
	}
	r.read += int64(n)
	cols := make([]arrow.Array, len(bldrs))
	for k, b := range bldrs {
		cols[k] = b.NewArray()
	}
	r.cur = array.NewRecordBatch(r.schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return true
}

// appender returns the function that appends one non-null trimmed cell.
func appender(b array.Builder, c *csvCol, whole bool) func(string) error {
	switch b := b.(type) {
	case *array.StringBuilder:
		if whole {
			b.ReserveData(int(c.bytes))
		}
		return func(s string) error { b.Append(s); return nil }
	case *array.LargeStringBuilder:
		if whole {
			b.ReserveData(int(c.bytes))
		}
		return func(s string) error { b.Append(s); return nil }
	case *array.Int64Builder:
		if !c.forced {
			return func(s string) error {
				v, ok := atoi64(s)
				if !ok {
					return because(ErrBadValue, "is not an integer")
				}
				b.UnsafeAppend(v)
				return nil
			}
		}
		return intAppender(64, func(v int64) { b.UnsafeAppend(v) })
	case *array.Int32Builder:
		return intAppender(32, func(v int64) { b.UnsafeAppend(int32(v)) })
	case *array.Int16Builder:
		return intAppender(16, func(v int64) { b.UnsafeAppend(int16(v)) })
	case *array.Int8Builder:
		return intAppender(8, func(v int64) { b.UnsafeAppend(int8(v)) })
	case *array.Uint64Builder:
		return uintAppender(64, func(v uint64) { b.UnsafeAppend(v) })
	case *array.Uint32Builder:
		return uintAppender(32, func(v uint64) { b.UnsafeAppend(uint32(v)) })
	case *array.Uint16Builder:
		return uintAppender(16, func(v uint64) { b.UnsafeAppend(uint16(v)) })
	case *array.Uint8Builder:
		return uintAppender(8, func(v uint64) { b.UnsafeAppend(uint8(v)) })
	case *array.Float64Builder:
		return func(s string) error {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil && !errors.Is(err, strconv.ErrRange) { // 1e999 is +Inf
				return because(ErrBadValue, "is not a number")
			}
			b.UnsafeAppend(v)
			return nil
		}
	case *array.Float32Builder:
		return func(s string) error {
			v, err := strconv.ParseFloat(s, 32)
			if err != nil && !errors.Is(err, strconv.ErrRange) {
				return because(ErrBadValue, "is not a number")
			}
			b.UnsafeAppend(float32(v))
			return nil
		}
	case *array.BooleanBuilder:
		return func(s string) error {
			v, err := strconv.ParseBool(s)
			if err != nil {
				v2, ok := parseBoolWord(s)
				if !ok {
					return because(ErrBadValue, "is not true/false")
				}
				v = v2
			}
			b.UnsafeAppend(v)
			return nil
		}
	}
	panic("arrowio: no CSV appender for " + c.typ.String())
}

func parseBoolWord(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

func intAppender(bits int, app func(int64)) func(string) error {
	return func(s string) error {
		v, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return because(ErrBadValue, "is not an integer of %d bits", bits)
		}
		app(v)
		return nil
	}
}

func uintAppender(bits int, app func(uint64)) func(string) error {
	return func(s string) error {
		v, err := strconv.ParseUint(s, 10, bits)
		if err != nil {
			return because(ErrBadValue, "is not an unsigned integer of %d bits", bits)
		}
		app(v)
		return nil
	}
}

// atoi64 parses an integer already accepted by classify.
func atoi64(s string) (int64, bool) {
	if len(s) > 18 {
		v, err := strconv.ParseInt(s, 10, 64)
		return v, err == nil
	}
	neg := false
	i := 0
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		i++
	}
	if i == len(s) {
		return 0, false
	}
	var v int64
	for ; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, false
		}
		v = v*10 + int64(d)
	}
	if neg {
		v = -v
	}
	return v, true
}
