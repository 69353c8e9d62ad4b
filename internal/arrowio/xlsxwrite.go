package arrowio

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// maxCellChars is the most characters (UTF-16 units) an Excel cell holds.
const maxCellChars = 32767

// XLSXSheet is the name of the sheet Write puts a table in.
const XLSXSheet = "Sheet1"

// writeXLSX writes the batches as one sheet: a header row (frozen), then
// one row per record. Every cell is a typed value — a number, a boolean or
// text — never a formula, so text such as "=HYPERLINK(...)" stays text.
// Numbers are written in the shortest form that reads back to the same
// double (as Excel itself stores them; excelize's writer cuts them to 15
// digits, which changed weights in their last bits). Integers beyond
// ±2^53, which a spreadsheet would round, are written as text, as are NaN
// and ±Inf (NaN, +Inf, -Inf, as in CSV).
func writeXLSX(w io.Writer, schema *arrow.Schema, batches []arrow.RecordBatch) error {
	var rows int64
	for _, b := range batches {
		rows += b.NumRows()
	}
	if rows+1 > MaxSheetRows {
		return fmt.Errorf("the table has %d rows; an Excel sheet holds at most %d below its header (write CSV or Parquet instead)", rows, MaxSheetRows-1)
	}
	if schema.NumFields() > maxSheetCols {
		return fmt.Errorf("the table has %d columns; an Excel sheet holds at most %d", schema.NumFields(), maxSheetCols)
	}
	zw := zip.NewWriter(w)
	for _, p := range xlsxParts {
		fw, err := zw.Create(p[0])
		if err != nil {
			return err
		}
		if _, err := io.WriteString(fw, p[1]); err != nil {
			return err
		}
	}
	fw, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(fw, 1<<16)
	bw.WriteString(xml.Header + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		`<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>`)
	var line []byte
	line = append(line, `<row r="1">`...)
	for j, fld := range schema.Fields() {
		if err := checkCellText(fld.Name, 1, j); err != nil {
			return err
		}
		line = appendXLSXCell(line, j, 1, fld.Name, 1)
	}
	line = append(line, "</row>"...)
	bw.Write(line)
	r := 1
	for _, b := range batches {
		vals := make([]func(i int) any, b.NumCols())
		for j, col := range b.Columns() {
			vals[j] = xlsxValue(col)
		}
		for i := 0; i < int(b.NumRows()); i++ {
			r++
			line = append(line[:0], `<row r="`...)
			line = strconv.AppendInt(line, int64(r), 10)
			line = append(line, `">`...)
			for j, col := range b.Columns() {
				if col.IsNull(i) {
					continue
				}
				v := vals[j](i)
				if s, ok := v.(string); ok {
					if err := checkCellText(s, r, j); err != nil {
						return err
					}
				}
				line = appendXLSXCell(line, j, r, v, 0)
			}
			line = append(line, "</row>"...)
			if _, err := bw.Write(line); err != nil {
				return err
			}
		}
	}
	bw.WriteString(`</sheetData></worksheet>`)
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

// xlsxParts are the fixed parts of a one-sheet workbook; style 1 is bold
// (the header).
var xlsxParts = [][2]string{
	{"[Content_Types].xml", xml.Header + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
		`</Types>`},
	{"_rels/.rels", xml.Header + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
	{"xl/workbook.xml", xml.Header + `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		`<sheets><sheet name="` + XLSXSheet + `" sheetId="1" r:id="rId1"/></sheets></workbook>`},
	{"xl/_rels/workbook.xml.rels", xml.Header + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`},
	{"xl/styles.xml", xml.Header + `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		`<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>` +
		`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
		`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
		`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
		`<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>` +
		`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`},
}

// appendXLSXCell appends the cell at (col, row) holding v: an int64,
// uint64, float64, bool or string (as inline text).
func appendXLSXCell(d []byte, col, row int, v any, style int) []byte {
	d = append(d, `<c r="`...)
	d = append(d, colLetters(col)...)
	d = strconv.AppendInt(d, int64(row), 10)
	d = append(d, '"')
	if style > 0 {
		d = append(d, ` s="`...)
		d = strconv.AppendInt(d, int64(style), 10)
		d = append(d, '"')
	}
	switch v := v.(type) {
	case int64:
		d = append(d, "><v>"...)
		d = strconv.AppendInt(d, v, 10)
		return append(d, "</v></c>"...)
	case uint64:
		d = append(d, "><v>"...)
		d = strconv.AppendUint(d, v, 10)
		return append(d, "</v></c>"...)
	case float64:
		d = append(d, "><v>"...)
		d = strconv.AppendFloat(d, v, 'g', -1, 64)
		return append(d, "</v></c>"...)
	case bool:
		if v {
			return append(d, ` t="b"><v>1</v></c>`...)
		}
		return append(d, ` t="b"><v>0</v></c>`...)
	case string:
		d = append(d, ` t="inlineStr"><is><t`...)
		if v != strings.TrimSpace(v) {
			d = append(d, ` xml:space="preserve"`...)
		}
		d = append(d, '>')
		d = appendXMLText(d, v)
		return append(d, "</t></is></c>"...)
	}
	panic(fmt.Sprintf("arrowio: no Excel cell for %T", v))
}

// appendXMLText escapes text for an OOXML string: XML's special
// characters, characters XML cannot hold as _xHHHH_, and an underscore
// that would read as such an escape as _x005F_.
func appendXMLText(d []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '&':
			d = append(d, "&amp;"...)
		case c == '<':
			d = append(d, "&lt;"...)
		case c == '>':
			d = append(d, "&gt;"...)
		case c == '\r':
			d = append(d, "_x000D_"...)
		case c < 0x20 && c != '\t' && c != '\n':
			d = fmt.Appendf(d, "_x%04X_", c)
		case c == '_' && i+6 < len(s) && s[i+1] == 'x' && s[i+6] == '_' && isHex4(s[i+2:i+6]):
			d = append(d, "_x005F_"...)
		default:
			d = append(d, c)
		}
	}
	return d
}

func isHex4(s string) bool {
	for i := 0; i < 4; i++ {
		c := s[i] | 0x20
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func checkCellText(s string, row, col int) error {
	if len(s) > maxCellChars && len(utf16.Encode([]rune(s))) > maxCellChars {
		return fmt.Errorf("cell %s: text of %d characters is longer than an Excel cell holds (%d)", cellRef(col, row), len([]rune(s)), maxCellChars)
	}
	return nil
}

// xlsxValue returns the typed value of element i of col.
func xlsxValue(col arrow.Array) func(i int) any {
	const exact = 1 << 53
	switch a := col.(type) {
	case *array.Int8:
		return func(i int) any { return int64(a.Value(i)) }
	case *array.Int16:
		return func(i int) any { return int64(a.Value(i)) }
	case *array.Int32:
		return func(i int) any { return int64(a.Value(i)) }
	case *array.Int64:
		return func(i int) any {
			if v := a.Value(i); v > -exact && v < exact {
				return v
			}
			return a.ValueStr(i)
		}
	case *array.Uint8:
		return func(i int) any { return int64(a.Value(i)) }
	case *array.Uint16:
		return func(i int) any { return int64(a.Value(i)) }
	case *array.Uint32:
		return func(i int) any { return int64(a.Value(i)) }
	case *array.Uint64:
		return func(i int) any {
			if v := a.Value(i); v < exact {
				return v
			}
			return a.ValueStr(i)
		}
	case *array.Float32:
		return func(i int) any { return xlsxFloat(float64(a.Value(i)), 32) }
	case *array.Float64:
		return func(i int) any { return xlsxFloat(a.Value(i), 64) }
	case *array.Boolean:
		return func(i int) any { return a.Value(i) }
	case *array.String:
		return func(i int) any { return a.Value(i) }
	case *array.LargeString:
		return func(i int) any { return a.Value(i) }
	case *array.StringView:
		return func(i int) any { return a.Value(i) }
	case *array.Dictionary:
		inner := xlsxValue(a.Dictionary())
		return func(i int) any { return inner(a.GetValueIndex(i)) }
	}
	return func(i int) any { return col.ValueStr(i) }
}

func xlsxFloat(v float64, bits int) any {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	if bits == 32 {
		f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', -1, 32), 64)
		return f // the float32's shortest decimal, as CSV writes it
	}
	return v
}
