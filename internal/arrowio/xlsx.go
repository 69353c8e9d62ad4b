package arrowio

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	kflate "github.com/klauspost/compress/flate"
)

// An Excel workbook (.xlsx, Office Open XML) is read in one streaming pass
// over the chosen sheet's XML: every cell becomes text (a number as Excel
// stored it, a date in ISO form, a boolean true/false, a shared or inline
// string as is) and the rows are spooled to a temporary CSV file, which is
// then read like any CSV file, so that an Excel table goes through the same
// type inference, typing options and errors as CSV. Error positions are
// translated back to the sheet's cells (Sheet1!F17).
//
// The sheet XML is tokenized by this package, not by excelize's row
// iterator: on 100 000 rows × 30 columns the iterator alone takes ~6 s
// (encoding/xml tokens and reflection per cell), and its string-only rows
// do not say which cells are errors, booleans or dates.

// MaxSheetRows is the number of rows an Excel sheet holds. A sheet whose
// data reach its last row was most likely cut there when the file was
// saved, so it is refused.
const MaxSheetRows = 1 << 20

const maxSheetCols = 1 << 14 // XFD

// maxHeaderRows bounds the rows a merged header may span.
const maxHeaderRows = 16

// xlsxBook is the parts of a workbook needed to read one sheet.
type xlsxBook struct {
	zr       *zip.Reader
	sheets   []xlsxSheetRef
	styles   string // part paths ("" when absent)
	strings  string
	date1904 bool
}

type xlsxSheetRef struct {
	Name string
	Part string
}

// cellKind is how a numeric cell of a style is read.
type cellKind uint8

const (
	kindNumber cellKind = iota
	kindDate            // a date or date and time format
	kindTime            // a time-only format
)

func badWorkbook(name string, format string, args ...any) error {
	return &Error{File: name, Err: because(ErrCorrupt, format, args...)}
}

// openWorkbook opens f as an xlsx package and lists its sheets.
func openWorkbook(f *os.File, name string) (*xlsxBook, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, &Error{File: name, Err: err}
	}
	var magic [8]byte
	n, _ := f.ReadAt(magic[:], 0)
	switch {
	case n >= 8 && bytes.Equal(magic[:], []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return nil, badWorkbook(name, "is an Excel 97-2003 workbook (.xls) or another OLE file, not .xlsx; open it in Excel or LibreOffice and save it as .xlsx (Excel Workbook)")
	case n < 4 || !bytes.Equal(magic[:4], []byte("PK\x03\x04")):
		return nil, badWorkbook(name, "is not an Excel workbook (.xlsx files are zip archives; this one is not); check that the file is what its name says, or save it as .xlsx")
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil {
		return nil, &Error{File: name, Err: hiddenCause(ErrCorrupt, err, "is not a readable Excel workbook (the zip archive is damaged or truncated)")}
	}
	zr.RegisterDecompressor(zip.Deflate, func(r io.Reader) io.ReadCloser { return kflate.NewReader(r) })
	b := &xlsxBook{zr: zr}
	notXLSX := func() error {
		return badWorkbook(name, "is a zip archive but not an Excel workbook (.xlsx): it has no workbook part; an .ods, .docx or other zip file must be saved as .xlsx first")
	}
	// The workbook part is named by the package relationships.
	wbPart := "xl/workbook.xml"
	var rels xlsxRels
	if ok, err := b.readXML("_rels/.rels", &rels); err != nil {
		return nil, badWorkbook(name, "its package relationships cannot be read (%v)", err)
	} else if ok {
		for _, r := range rels.Rels {
			if strings.HasSuffix(r.Type, "/officeDocument") {
				wbPart = strings.TrimPrefix(r.Target, "/")
			}
		}
	}
	var wb struct {
		Pr struct {
			Date1904 string `xml:"date1904,attr"`
		} `xml:"workbookPr"`
		Sheets []struct {
			Name string `xml:"name,attr"`
			ID   string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if ok, err := b.readXML(wbPart, &wb); err != nil {
		return nil, badWorkbook(name, "its workbook part %s cannot be read (%v)", wbPart, err)
	} else if !ok {
		return nil, notXLSX()
	}
	b.date1904 = wb.Pr.Date1904 == "1" || wb.Pr.Date1904 == "true"
	dir := path.Dir(wbPart)
	relPart := path.Join(dir, "_rels", path.Base(wbPart)+".rels")
	var wrels xlsxRels
	if _, err := b.readXML(relPart, &wrels); err != nil {
		return nil, badWorkbook(name, "its workbook relationships cannot be read (%v)", err)
	}
	target := map[string]string{}
	for _, r := range wrels.Rels {
		p := r.Target
		if strings.HasPrefix(p, "/") {
			p = strings.TrimPrefix(p, "/")
		} else {
			p = path.Join(dir, p)
		}
		target[r.ID] = p
		switch {
		case strings.HasSuffix(r.Type, "/styles"):
			b.styles = p
		case strings.HasSuffix(r.Type, "/sharedStrings"):
			b.strings = p
		}
	}
	for _, s := range wb.Sheets {
		p, ok := target[s.ID]
		if !ok {
			continue // a chart sheet or a dangling entry
		}
		b.sheets = append(b.sheets, xlsxSheetRef{Name: s.Name, Part: p})
	}
	if len(b.sheets) == 0 {
		return nil, badWorkbook(name, "the workbook has no worksheet")
	}
	return b, nil
}

type xlsxRels struct {
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

func (b *xlsxBook) part(name string) *zip.File {
	for _, f := range b.zr.File {
		if f.Name == name || strings.EqualFold(f.Name, name) {
			return f
		}
	}
	return nil
}

// readXML decodes a small part; ok is false when the part does not exist.
func (b *xlsxBook) readXML(name string, v any) (ok bool, err error) {
	f := b.part(name)
	if f == nil {
		return false, nil
	}
	if f.UncompressedSize64 > 64<<20 {
		return true, fmt.Errorf("part %s is too large", name)
	}
	rc, err := f.Open()
	if err != nil {
		return true, err
	}
	defer rc.Close()
	return true, xml.NewDecoder(io.LimitReader(rc, 64<<20)).Decode(v)
}

// SheetNames returns the names of the worksheets of an Excel workbook in
// their order (the first is the one read by default).
func SheetNames(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		_, _, _, err := openInput(path, newConfig(nil))
		return nil, err
	}
	defer f.Close()
	b, err := openWorkbook(f, path)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(b.sheets))
	for i, s := range b.sheets {
		names[i] = s.Name
	}
	return names, nil
}

// cellKinds reads the number format of every cell style.
func (b *xlsxBook) cellKinds() ([]cellKind, error) {
	if b.styles == "" {
		return nil, nil
	}
	var ss struct {
		NumFmts []struct {
			ID   int    `xml:"numFmtId,attr"`
			Code string `xml:"formatCode,attr"`
		} `xml:"numFmts>numFmt"`
		Xfs []struct {
			NumFmt int `xml:"numFmtId,attr"`
		} `xml:"cellXfs>xf"`
	}
	if _, err := b.readXML(b.styles, &ss); err != nil {
		return nil, err
	}
	custom := map[int]string{}
	for _, f := range ss.NumFmts {
		custom[f.ID] = f.Code
	}
	kinds := make([]cellKind, len(ss.Xfs))
	for i, x := range ss.Xfs {
		if code, ok := custom[x.NumFmt]; ok {
			kinds[i] = formatKind(code)
		} else {
			kinds[i] = builtinKind(x.NumFmt)
		}
	}
	return kinds, nil
}

// builtinKind classifies Excel's built-in number formats (ECMA-376 18.8.30
// and the East Asian date formats).
func builtinKind(id int) cellKind {
	switch {
	case id >= 14 && id <= 17, id == 22, id >= 27 && id <= 36, id >= 50 && id <= 58:
		return kindDate
	case id >= 18 && id <= 21, id >= 45 && id <= 47:
		return kindTime
	}
	return kindNumber
}

// formatKind classifies a custom number format code: a date if it has day,
// month or year parts, a time if only hours, minutes or seconds, else a
// number. Quoted text, escaped characters and [colour] or [$-locale]
// sections do not count.
func formatKind(code string) cellKind {
	if i := strings.IndexByte(code, ';'); i >= 0 {
		code = code[:i] // the positive section decides
	}
	var date, tm bool
	last := byte(0) // the last date or time letter
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				return kindNumber
			}
			i += j + 1
		case '\\', '_', '*':
			i++
		case '[':
			j := strings.IndexByte(code[i:], ']')
			if j < 0 {
				return kindNumber
			}
			in := strings.ToLower(code[i+1 : i+j])
			if in == "h" || in == "hh" || in == "m" || in == "mm" || in == "s" || in == "ss" {
				tm, last = true, 'h'
			}
			i += j
		default:
			switch l := c | 0x20; l {
			case 'd', 'y':
				date, last = true, l
			case 'm':
				// minutes after hours or before seconds, else months
				j := i
				for j < len(code) && code[j]|0x20 == 'm' {
					j++
				}
				run := j
				for j < len(code) && !isLetter(code[j]) {
					j++
				}
				if last == 'h' || j < len(code) && code[j]|0x20 == 's' {
					tm = true
				} else {
					date = true
				}
				last, i = l, run-1
			case 'h', 's':
				tm, last = true, l
			}
		}
	}
	if strings.EqualFold(strings.TrimSpace(code), "general") {
		return kindNumber
	}
	switch {
	case date:
		return kindDate
	case tm:
		return kindTime
	}
	return kindNumber
}

// blank reports whether a cell holds only spaces and tabs (a null).
func blank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// atoiBytes parses a non-negative decimal integer; -1 if b is not one.
func atoiBytes(b []byte) int {
	if len(b) == 0 || len(b) > 9 {
		return -1
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// appendCSVBytes is appendCSVField for a byte slice.
func appendCSVBytes(d, b []byte) []byte {
	for _, c := range b {
		if c == ',' || c == '"' || c == '\r' || c == '\n' || c == '\\' || c == ' ' || c == '\t' {
			return appendCSVField(d, string(b))
		}
	}
	return append(d, b...)
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// sharedStrings reads the shared string table.
func (b *xlsxBook) sharedStrings() ([]string, error) {
	if b.strings == "" {
		return nil, nil
	}
	f := b.part(b.strings)
	if f == nil {
		return nil, nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	s := newXMLScanner(rc)
	var out []string
	var buf []byte
	inSI, inT, depthPh := false, false, 0
	for {
		switch s.next() {
		case tokEOF:
			if s.err != nil {
				return nil, s.err
			}
			return out, nil
		case tokStart:
			switch string(s.name) {
			case "si":
				inSI, buf = true, buf[:0]
				if s.self {
					out = append(out, "")
					inSI = false
				}
			case "rPh":
				if !s.self {
					depthPh++
				}
			case "t":
				inT = !s.self
			}
		case tokEnd:
			switch string(s.name) {
			case "si":
				if inSI {
					out = append(out, string(buf))
				}
				inSI = false
			case "rPh":
				depthPh--
			case "t":
				inT = false
			}
		case tokText:
			if inSI && inT && depthPh == 0 {
				buf = appendUnescaped(buf, s.text)
			}
		}
	}
}

// cellRef is the A1 reference of a 0-based column and 1-based row.
func cellRef(col, row int) string {
	return colLetters(col) + strconv.Itoa(row)
}

func colLetters(col int) string {
	var b [4]byte
	i := len(b)
	for col++; col > 0; col = (col - 1) / 26 {
		i--
		b[i] = byte('A' + (col-1)%26)
	}
	return string(b[i:])
}

// parseRef parses "AB12" into a 0-based column and 1-based row (row 0 when
// the reference has none).
func parseRef(r []byte) (col, row int, ok bool) {
	i := 0
	for i < len(r) && (r[i]|0x20) >= 'a' && (r[i]|0x20) <= 'z' {
		col = col*26 + int(r[i]|0x20-'a'+1)
		if col > maxSheetCols {
			return 0, 0, false
		}
		i++
	}
	if i == 0 {
		return 0, 0, false
	}
	for ; i < len(r); i++ {
		if r[i] == '$' {
			continue
		}
		if r[i] < '0' || r[i] > '9' {
			return 0, 0, false
		}
		row = row*10 + int(r[i]-'0')
		if row > MaxSheetRows+1 {
			return 0, 0, false
		}
	}
	return col - 1, row, true
}

// sheetRef writes a sheet name as Excel does in a reference: quoted when
// it is not a plain word.
func sheetRef(name string) string {
	plain := name != ""
	for _, r := range name {
		if !(r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r > 127 && r != '\u00a0') {
			plain = false
			break
		}
	}
	if plain {
		return name
	}
	return "'" + strings.ReplaceAll(name, "'", "''") + "'"
}

// excelTime converts a date serial number to a time.
func excelTime(v float64, date1904 bool) time.Time {
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	switch {
	case date1904:
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	case v < 61:
		// Excel counts a 29 February 1900 that did not exist.
		base = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	ms := math.Round(v * 86400 * 1000)
	return base.Add(time.Duration(ms) * time.Millisecond).Round(time.Second)
}

// dateText writes a date serial of a cell of kind k: 2024-03-15, or
// 2024-03-15 08:30:00 when it has a time of day, or 08:30:00 for a time.
func dateText(v float64, k cellKind, date1904 bool) string {
	t := excelTime(v, date1904)
	if k == kindTime && v < 1 && v >= 0 {
		return t.Format("15:04:05")
	}
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04:05")
}

// xlsxCellError is what a cell holding an error value means for the user.
func xlsxCellError(v string) string {
	switch v {
	case "#N/A":
		return "holds the error #N/A (a lookup found nothing)"
	case "#DIV/0!":
		return "holds the error #DIV/0! (a formula divided by zero)"
	case "#REF!":
		return "holds the error #REF! (a formula refers to a deleted cell)"
	case "#NAME?":
		return "holds the error #NAME? (a formula uses an unknown name)"
	}
	return fmt.Sprintf("holds the error %s", v)
}

// xlsxSpool is the result of the first pass over a sheet: the rows as CSV
// records in a temporary file, and what is needed to translate positions.
type xlsxSpool struct {
	sheet    string
	names    []string // column names (placeholders for unnamed empty columns)
	keep     []string // the named columns, in sheet order
	cols     []int    // sheet column of each name
	skip     int      // header records at the start of the spool
	lines    []int32  // spool line where record i starts (1-based)
	rows     []int32  // sheet row of record i
	headRows []int    // sheet rows of the header
}

// sheetRow is the sheet row of a spool line.
func (s *xlsxSpool) sheetRow(line int) int {
	i := sort.Search(len(s.lines), func(i int) bool { return int(s.lines[i]) > line }) - 1
	if i < 0 {
		return 0
	}
	return int(s.rows[i])
}

// spoolSheet streams the sheet into w as CSV records (one per non-empty
// row, up to its last non-empty cell) and works out the header.
func spoolSheet(b *xlsxBook, ref xlsxSheetRef, name string, w io.Writer) (*xlsxSpool, error) {
	kinds, err := b.cellKinds()
	if err != nil {
		return nil, badWorkbook(name, "its styles part cannot be read (%v)", err)
	}
	sst, err := b.sharedStrings()
	if err != nil {
		return nil, badWorkbook(name, "its shared strings cannot be read (%v)", err)
	}
	part := b.part(ref.Part)
	if part == nil {
		return nil, badWorkbook(name, "sheet %q has no data part (%s)", ref.Name, ref.Part)
	}
	rc, err := part.Open()
	if err != nil {
		return nil, &Error{File: name, Sheet: ref.Name, Err: hiddenCause(ErrCorrupt, err, "the sheet cannot be read (the workbook is damaged)")}
	}
	defer rc.Close()
	sp := &xlsxSpool{sheet: ref.Name}
	bad := func(col, row int, format string, args ...any) error {
		e := &Error{File: name, Sheet: ref.Name, Err: because(ErrCorrupt, format, args...)}
		if row > 0 {
			e.Cell = cellRef(col, row)
		}
		return e
	}
	badValue := func(col, row int, v, format string, args ...any) error {
		return &Error{File: name, Sheet: ref.Name, Cell: cellRef(col, row), Value: v, Err: because(ErrBadValue, format, args...)}
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	var (
		s        = newXMLScanner(rc)
		arena    []byte     // the current row's cell values
		cells    [][2]int32 // per column: the value's span in arena
		used     []bool
		newlines int // line breaks in the current row's values
		line     = int32(1)
		row      int
		lastRow  []int32 // per column: last row with a value
		head     [][]string
		merges   [][4]int // c0, r0, c1, r1
		inData   bool
		rec      []byte
		valBuf   []byte
		inlBuf   []byte
		maxCol   = -1
		sawCells bool
	)
	endRow := func() error {
		last := -1
		val := func(c int) []byte { return arena[cells[c][0]:cells[c][1]] }
		for c := len(cells) - 1; c >= 0; c-- {
			if used[c] && !blank(val(c)) {
				last = c
				break
			}
		}
		if last < 0 {
			return nil // an empty row
		}
		if row >= MaxSheetRows {
			return bad(0, row, "the sheet has data in its last row (%d), where Excel cuts off longer tables: rows past it were probably lost when the file was saved; split the table over several sheets or files, or use CSV or Parquet", MaxSheetRows)
		}
		for len(lastRow) <= last {
			lastRow = append(lastRow, 0)
		}
		rec = rec[:0]
		for c := 0; c <= last; c++ {
			if c > 0 {
				rec = append(rec, ',')
			}
			if used[c] {
				v := val(c)
				if !blank(v) {
					lastRow[c] = int32(row)
				}
				rec = appendCSVBytes(rec, v)
			}
		}
		if len(rec) == 0 {
			rec = append(rec, '"', '"')
		}
		rec = append(rec, '\n')
		if len(head) < maxHeaderRows {
			h := make([]string, last+1)
			for c := range h {
				if used[c] {
					h[c] = string(val(c))
				}
			}
			head = append(head, h)
			sp.headRows = append(sp.headRows, row)
		}
		sp.lines = append(sp.lines, line)
		sp.rows = append(sp.rows, int32(row))
		line += int32(1 + newlines)
		maxCol = max(maxCol, last)
		_, err := bw.Write(rec)
		return err
	}
	for {
		tok := s.next()
		if tok == tokEOF {
			break
		}
		if tok != tokStart {
			if tok == tokEnd && string(s.name) == "sheetData" {
				inData = false
			}
			continue
		}
		switch string(s.name) {
		case "sheetData":
			inData = !s.self
		case "mergeCell":
			r := s.attr("ref")
			a, z, _ := bytes.Cut(r, []byte{':'})
			c0, r0, ok0 := parseRef(a)
			c1, r1, ok1 := parseRef(z)
			if ok0 && ok1 && r0 > 0 && r1 >= r0 && c1 >= c0 {
				merges = append(merges, [4]int{c0, r0, c1, r1})
			}
		case "row":
			if !inData {
				continue
			}
			if r := s.attr("r"); r != nil {
				n, err := strconv.Atoi(string(r))
				if err != nil || n <= row || n > MaxSheetRows {
					if n > MaxSheetRows {
						return nil, bad(0, 0, "row number %s is past the last row Excel allows (%d)", r, MaxSheetRows)
					}
					return nil, bad(0, 0, "row number %q after row %d is not in order", r, row)
				}
				row = n
			} else {
				row++
			}
			for i := range used {
				used[i] = false
			}
			arena, newlines = arena[:0], 0
			if s.self {
				continue
			}
			col := -1
			for {
				t := s.next()
				if t == tokEOF {
					return nil, bad(0, row, "row %d is cut short (the file is truncated)", row)
				}
				if t == tokEnd && string(s.name) == "row" {
					break
				}
				if t != tokStart || string(s.name) != "c" {
					if t == tokStart {
						s.skip()
					}
					continue
				}
				sawCells = true
				r, ta, sa := s.attr3("r", "t", "s")
				if r != nil {
					c, rr, ok := parseRef(r)
					if !ok || (rr != 0 && rr != row) || c <= col {
						return nil, bad(0, row, "cell reference %q in row %d is not valid or not in order", r, row)
					}
					col = c
				} else {
					col++
				}
				if col >= maxSheetCols {
					return nil, bad(0, row, "row %d has more than %d columns", row, maxSheetCols)
				}
				typ := string(ta)
				style := 0
				if sa != nil {
					style = atoiBytes(sa)
				}
				valBuf, inlBuf = valBuf[:0], inlBuf[:0]
				hasV, hasF, inV, inT, inPh := false, false, false, false, 0
				if !s.self {
				cell:
					for {
						switch s.next() {
						case tokEOF:
							return nil, bad(col, row, "the cell is cut short (the file is truncated)")
						case tokStart:
							switch string(s.name) {
							case "v":
								hasV, inV = true, !s.self
							case "f":
								hasF = true
								s.skip()
							case "t":
								inT = !s.self
							case "rPh":
								if !s.self {
									inPh++
								}
							}
						case tokEnd:
							switch string(s.name) {
							case "c":
								break cell
							case "v":
								inV = false
							case "t":
								inT = false
							case "rPh":
								inPh--
							}
						case tokText:
							switch {
							case inV:
								valBuf = appendUnescaped(valBuf, s.text)
							case inT && inPh == 0:
								inlBuf = appendUnescaped(inlBuf, s.text)
							}
						}
					}
				}
				for len(cells) <= col {
					cells = append(cells, [2]int32{})
					used = append(used, false)
				}
				start := len(arena)
				switch typ {
				case "s":
					if !hasV {
						break
					}
					k := atoiBytes(bytes.TrimSpace(valBuf))
					if k < 0 || k >= len(sst) {
						return nil, bad(col, row, "the cell refers to shared string %q, which the workbook does not have (the file is damaged)", valBuf)
					}
					arena = append(arena, sst[k]...)
				case "inlineStr":
					arena = append(arena, inlBuf...)
				case "str":
					arena = append(arena, valBuf...)
				case "b":
					switch string(bytes.TrimSpace(valBuf)) {
					case "1", "true":
						arena = append(arena, "true"...)
					case "0", "false":
						arena = append(arena, "false"...)
					case "":
					default:
						return nil, badValue(col, row, string(valBuf), "is not a valid boolean cell (the file is damaged)")
					}
				case "e":
					return nil, badValue(col, row, string(valBuf), "%s; correct the formula or clear the cell (an empty cell is a missing value)", xlsxCellError(string(valBuf)))
				case "d":
					v := strings.TrimSuffix(strings.TrimSuffix(string(valBuf), "Z"), "T00:00:00")
					arena = append(arena, strings.Replace(v, "T", " ", 1)...)
				case "", "n":
					if !hasV || len(valBuf) == 0 {
						break
					}
					if style > 0 && style < len(kinds) && kinds[style] != kindNumber {
						f, err := strconv.ParseFloat(string(valBuf), 64)
						if err != nil {
							return nil, badValue(col, row, string(valBuf), "is not a number although the cell is numeric (the file is damaged)")
						}
						arena = append(arena, dateText(f, kinds[style], b.date1904)...)
						break
					}
					arena = append(arena, valBuf...)
				default:
					return nil, bad(col, row, "the cell has an unknown type %q (the file is damaged)", typ)
				}
				if hasF && !hasV && typ != "inlineStr" {
					return nil, &Error{File: name, Sheet: ref.Name, Cell: cellRef(col, row), Err: because(ErrBadValue,
						"has a formula but no saved result (the file was written by a program that does not compute formulas); open it in Excel or LibreOffice and save it again, or type the values")}
				}
				v := arena[start:]
				if typ != "" && typ != "n" {
					if !utf8.Valid(v) {
						return nil, bad(col, row, "the cell's text is not valid UTF-8 (the file is damaged)")
					}
					newlines += bytes.Count(v, []byte{'\n'})
				}
				cells[col], used[col] = [2]int32{int32(start), int32(len(arena))}, true
			}
			if err := endRow(); err != nil {
				return nil, err
			}
		default:
			if !inData && string(s.name) != "worksheet" && string(s.name) != "mergeCells" {
				s.skip()
			}
		}
	}
	if s.err != nil {
		return nil, &Error{File: name, Sheet: ref.Name, Err: hiddenCause(ErrCorrupt, s.err, "the sheet cannot be read (the workbook is damaged or truncated)")}
	}
	if err := bw.Flush(); err != nil {
		return nil, &Error{File: name, Err: fmt.Errorf("cannot buffer the sheet: %w", err)}
	}
	if len(sp.rows) == 0 {
		what := "has no cells"
		if sawCells {
			what = "has only empty cells"
		}
		return nil, &Error{File: name, Sheet: ref.Name, Err: because(ErrEmpty, "sheet %q %s (expected a header row with column names)", ref.Name, what)}
	}
	return sp, sp.header(name, head, merges, maxCol, lastRow)
}

// header works out the column names from the first non-empty row. Cells
// merged down from it make the header span several rows: then a column's
// name is its lowest non-empty header cell, a merged cell counting for every
// column it covers (group labels above the names, or a name merged over
// the header's rows). Columns without a name and without values are
// dropped (empty trailing columns); a column with values but no name is
// an error.
func (sp *xlsxSpool) header(name string, head [][]string, merges [][4]int, maxCol int, lastRow []int32) error {
	top := sp.headRows[0]
	depth := 1
	for _, m := range merges {
		if m[1] == top && m[3] > top {
			depth = max(depth, m[3]-top+1)
		}
	}
	// header rows: the spooled rows within [top, top+depth)
	k := 0
	for k < len(sp.headRows) && sp.headRows[k] < top+depth {
		k++
	}
	if depth > maxHeaderRows {
		return &Error{File: name, Sheet: sp.sheet, Cell: cellRef(0, top), Err: because(ErrCorrupt, "the header's merged cells span %d rows; at most %d are read", depth, maxHeaderRows)}
	}
	sp.skip = k
	width := maxCol + 1
	grid := make([][]string, k)
	for i := range grid {
		grid[i] = make([]string, width)
		copy(grid[i], head[i])
	}
	rowIdx := func(r int) int {
		for i := 0; i < k; i++ {
			if sp.headRows[i] == r {
				return i
			}
		}
		return -1
	}
	merged := make([]string, width) // the merge covering a column in the header's last row
	for _, m := range merges {
		if m[1] >= top+depth || m[3] < top {
			continue
		}
		src := rowIdx(m[1])
		v := ""
		if src >= 0 && m[0] < width {
			v = grid[src][m[0]]
		}
		for r := m[1]; r <= m[3]; r++ {
			i := rowIdx(r)
			if i < 0 {
				continue
			}
			for c := m[0]; c <= m[2] && c < width; c++ {
				grid[i][c] = v
				if i == k-1 && m[2] > m[0] {
					merged[c] = cellRef(m[0], m[1]) + ":" + cellRef(m[2], m[3])
				}
			}
		}
	}
	headEnd := top + depth - 1
	if k > 0 {
		headEnd = max(headEnd, sp.headRows[k-1])
	}
	seen := map[string]int{}
	for c := 0; c < width; c++ {
		n := ""
		for i := k - 1; i >= 0; i-- {
			if t := strings.TrimSpace(grid[i][c]); t != "" {
				n = t
				break
			}
		}
		hasData := c < len(lastRow) && int(lastRow[c]) > headEnd
		if n == "" {
			if hasData {
				return &Error{File: name, Sheet: sp.sheet, Cell: cellRef(c, top+depth-1), Err: because(ErrCorrupt,
					"the header cell is empty but column %s has values (e.g. %s); every column needs a name", colLetters(c), sheetRef(sp.sheet)+"!"+cellRef(c, int(lastRow[c])))}
			}
			sp.names = append(sp.names, "\x00"+colLetters(c)) // dropped
			continue
		}
		if j, dup := seen[n]; dup {
			if merged[c] != "" {
				return &Error{File: name, Sheet: sp.sheet, Cell: cellRef(c, top+depth-1), Column: n, Err: because(ErrCorrupt,
					"the header cells %s are merged: every column needs a name of its own (unmerge them, or add a row of names below the merged cell)", merged[c])}
			}
			return &Error{File: name, Sheet: sp.sheet, Cell: cellRef(c, top+depth-1), Column: n, Err: because(ErrCorrupt,
				"appears twice in the header (columns %s and %s); column names must be unique", colLetters(j), colLetters(c))}
		}
		seen[n] = c
		sp.names = append(sp.names, n)
		sp.keep = append(sp.keep, n)
	}
	sp.cols = make([]int, width)
	for c := range sp.cols {
		sp.cols[c] = c
	}
	return nil
}

// xlsxReader reads the spooled sheet with the CSV reader and reports
// positions as sheet cells.
type xlsxReader struct {
	*csvReader
	spool *os.File
	sp    *xlsxSpool
	name  string
	byCol map[string]int
}

func newXLSXReader(f *os.File, name string, cfg *config) (Reader, error) {
	b, err := openWorkbook(f, name)
	if err != nil {
		return nil, err
	}
	ref := b.sheets[0]
	if cfg.sheet != "" {
		found := false
		for _, s := range b.sheets {
			if s.Name == cfg.sheet {
				ref, found = s, true
				break
			}
		}
		if !found {
			names := make([]string, len(b.sheets))
			for i, s := range b.sheets {
				names[i] = fmt.Sprintf("%q", s.Name)
			}
			return nil, &Error{File: name, Err: because(ErrMissingSheet, "has no sheet %q (sheets: %s)", cfg.sheet, strings.Join(names, ", "))}
		}
	}
	tmp, err := os.CreateTemp("", "sipas-xlsx-*.csv")
	if err != nil {
		return nil, &Error{File: name, Err: fmt.Errorf("cannot create a temporary file: %w", err)}
	}
	os.Remove(tmp.Name()) // the open handle keeps it until Close
	sp, err := spoolSheet(b, ref, name, tmp)
	if err != nil {
		tmp.Close()
		return nil, err
	}
	// the sheet rows of the data rows, for the errors that name them
	// (LocateRows)
	remember(name, &recorded{sheet: sp.sheet, sheetRows: sp.rows[sp.skip:]})
	r := &xlsxReader{spool: tmp, sp: sp, name: name, byCol: map[string]int{}}
	for c, n := range sp.names {
		r.byCol[n] = c
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		tmp.Close()
		return nil, &Error{File: name, Err: err}
	}
	sub := *cfg
	sub.delim, sub.decimal = ',', '.'
	sub.header, sub.skip, sub.pad = sp.names, sp.skip, true
	if len(sub.cols) == 0 {
		sub.cols = sp.keep
	}
	cr, err := newCSVReader(tmp, name, &sub)
	if err != nil {
		tmp.Close()
		return nil, r.translate(err)
	}
	r.csvReader = cr
	return r, nil
}

// translate rewrites a CSV position (spool line, column name) as a cell.
func (r *xlsxReader) translate(err error) error {
	var e *Error
	if !errors.As(err, &e) || e.File != r.name || e.Sheet != "" {
		return err
	}
	out := *e
	out.Sheet = r.sp.sheet
	if e.Line > 0 {
		row := r.sp.sheetRow(e.Line)
		col, ok := r.byCol[e.Column]
		if ok && row > 0 {
			out.Cell = cellRef(col, row)
		} else if row > 0 {
			out.Cell = cellRef(0, row)
		}
		out.Line = 0
	}
	return &out
}

func (r *xlsxReader) Next() bool {
	ok := r.csvReader.Next()
	if !ok && r.csvReader.err != nil {
		r.csvReader.err = r.translate(r.csvReader.err)
	}
	return ok
}

func (r *xlsxReader) Close() error {
	err := r.csvReader.Close()
	r.spool.Close()
	return err
}
