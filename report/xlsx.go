package report

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// WriteXLSX writes the report's tables (Tables) as one Excel workbook: a
// sheet per table with its header row frozen and bold, columns as wide as
// their content, numbers as numbers (not text) with a number format —
// one decimal for indices and other shares, thousands separators for
// counts, plain years, ranks and tiers, four decimals for p-values — and
// a last sheet, "Ghi chú" ("Notes" in English), with the methods note.
// Headers are in the report's language. Every cell is a typed value, never
// a formula: a label such as "=HYPERLINK(…)" is text.
func WriteXLSX(w io.Writer, data *Data, opt *Options) error {
	l := opt.lang()
	note := l.methodsNote(data)
	return writeTablesXLSX(w, l, Tables(data, opt), note)
}

// xlsxNoteSheet is the name of the notes sheet.
func (l Lang) xlsxNoteSheet() string {
	if l == LangEN {
		return "Notes"
	}
	return "Ghi chú"
}

// Number formats of the workbook's columns (Excel format codes; the
// reader's locale shows its own separators).
const (
	xfIndex = "0.0"
	xfCount = "#,##0"
	xfPlain = "0"
	xfP     = "0.0000"
)

// xlsxColumnFormats gives the format of the numeric columns whose header
// says what they hold; other integer columns are counts and other
// decimal columns indices.
func (l Lang) xlsxColumnFormats() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"col.year", "col.rank", "col.rank_low", "col.rank_high", "col.tier"} {
		m[l.text(k)] = xfPlain
	}
	for _, k := range []string{"col.n", "col.issued", "col.returned", "col.valid", "col.rows"} {
		m[l.text(k)] = xfCount
	}
	for _, k := range []string{"col.p", "col.p_vs_nation"} {
		m[l.text(k)] = xfP
	}
	return m
}

func writeTablesXLSX(w io.Writer, l Lang, tables []Table, note []string) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	styles := map[string]int{}
	for _, code := range []string{xfIndex, xfCount, xfPlain, xfP} {
		code := code
		if styles[code], err = f.NewStyle(&excelize.Style{CustomNumFmt: &code}); err != nil {
			return err
		}
	}
	formats := l.xlsxColumnFormats()
	for i, t := range tables {
		name := xlsxSheetName(t.Name)
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		if err := writeTableSheet(f, name, t, bold, styles, formats); err != nil {
			return fmt.Errorf("table %s: %w", t.Name, err)
		}
	}
	ns := l.xlsxNoteSheet()
	if len(tables) == 0 {
		if err := f.SetSheetName("Sheet1", ns); err != nil {
			return err
		}
	} else if _, err := f.NewSheet(ns); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(ns)
	if err != nil {
		return err
	}
	if err := sw.SetColWidth(1, 1, 120); err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	for i, p := range note {
		if err := sw.SetRow("A"+strconv.Itoa(i+1), []any{excelize.Cell{StyleID: wrap, Value: p}}); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	// The first sheet is the active one already (NewFile's Sheet1, renamed);
	// selecting it again would parse every streamed sheet back into memory.
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return err
	}
	return sortedZip(w, buf.Bytes())
}

// sortedZip rewrites a zip archive with its entries in name order
// ([Content_Types].xml first, as Office writes it): excelize writes them
// in map order, so that two runs gave different bytes.
func sortedZip(w io.Writer, b []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return err
	}
	files := append([]*zip.File(nil), zr.File...)
	sort.Slice(files, func(i, j int) bool {
		a, b := files[i].Name, files[j].Name
		if (a == "[Content_Types].xml") != (b == "[Content_Types].xml") {
			return a == "[Content_Types].xml"
		}
		return a < b
	})
	zw := zip.NewWriter(w)
	for _, f := range files {
		rc, err := f.Open()
		if err != nil {
			return err
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate})
		if err == nil {
			_, err = io.Copy(fw, rc)
		}
		rc.Close()
		if err != nil {
			return err
		}
	}
	return zw.Close()
}

// writeTableSheet writes one table: typed cells, the header frozen, the
// columns fitted.
func writeTableSheet(f *excelize.File, sheet string, t Table, bold int, styles map[string]int, formats map[string]string) error {
	ncol := len(t.Header)
	// a column is numeric when every non-empty cell is a plain number
	numeric := make([]bool, ncol)
	integer := make([]bool, ncol)
	for j := range numeric {
		numeric[j], integer[j] = true, true
		any := false
		for _, r := range t.Rows {
			if j >= len(r) || r[j] == "" {
				continue
			}
			any = true
			isNum, isInt := plainNumber(r[j])
			numeric[j] = numeric[j] && isNum
			integer[j] = integer[j] && isInt
		}
		numeric[j] = numeric[j] && any
	}
	colStyle := make([]int, ncol)
	for j, h := range t.Header {
		if !numeric[j] {
			continue
		}
		code, ok := formats[h]
		switch {
		case ok:
		case integer[j]:
			code = xfCount
		default:
			code = xfIndex
		}
		colStyle[j] = styles[code]
	}
	// widths: the longest cell as shown (numbers with their format)
	width := make([]int, ncol)
	for j, h := range t.Header {
		width[j] = min(utf8.RuneCountInString(h), 30) // long headers wrap
	}
	for _, r := range t.Rows {
		for j := 0; j < ncol && j < len(r); j++ {
			n := utf8.RuneCountInString(untext(r[j]))
			if numeric[j] && r[j] != "" {
				n = shownWidth(r[j], colStyle[j] == styles[xfCount], colStyle[j] == styles[xfP])
			}
			width[j] = max(width[j], n)
		}
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	for j := range width {
		if err := sw.SetColWidth(j+1, j+1, float64(min(max(width[j], 4), 60))+2); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	row := make([]any, ncol)
	for j, h := range t.Header {
		row[j] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", row); err != nil {
		return err
	}
	for i, r := range t.Rows {
		for j := range row {
			row[j] = nil
			if j >= len(r) || r[j] == "" {
				continue
			}
			if numeric[j] {
				v, _ := strconv.ParseFloat(r[j], 64)
				row[j] = excelize.Cell{StyleID: colStyle[j], Value: v}
				continue
			}
			row[j] = untext(r[j]) // a string cell: text, never a formula
		}
		if err := sw.SetRow("A"+strconv.Itoa(i+2), row); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// plainNumber reports whether s is a number a table column holds (an
// optional minus, digits without a leading zero, an optional fraction) and
// whether it is an integer. Codes with leading zeros ("01") stay text.
func plainNumber(s string) (isNum, isInt bool) {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	d := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == d || (i-d > 1 && s[d] == '0') {
		return false, false
	}
	if i == len(s) {
		return true, true
	}
	if s[i] != '.' {
		return false, false
	}
	i++
	f := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i == len(s) && i > f, false
}

// shownWidth is the width of a number as its column's format shows it.
func shownWidth(s string, count, p bool) int {
	v, _ := strconv.ParseFloat(s, 64)
	switch {
	case count:
		n := len(strconv.FormatFloat(v, 'f', 0, 64))
		return n + (n-1)/3
	case p:
		return len(strconv.FormatFloat(v, 'f', 4, 64))
	}
	return len(strconv.FormatFloat(v, 'f', 1, 64))
}

// untext removes the apostrophe that the CSV tables put before a label
// that a spreadsheet would otherwise read as a formula or a number
// (csvsafe.Text): a workbook's text cell needs no guard.
func untext(s string) string {
	if len(s) < 2 || s[0] != '\'' {
		return s
	}
	switch s[1] {
	case '=', '+', '-', '@', '\t', '\r':
		return s[1:]
	}
	for _, p := range []string{"＝", "＋", "－", "＠"} {
		if strings.HasPrefix(s[1:], p) {
			return s[1:]
		}
	}
	return s
}

// xlsxSheetName makes a table name a valid sheet name (at most 31
// characters, none of : \ / ? * [ ]).
func xlsxSheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '_'
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > 31 {
		s = string([]rune(s)[:31])
	}
	return s
}
