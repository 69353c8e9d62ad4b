package arrowio

import (
	"fmt"
	"io"
	"math"
	"unicode/utf16"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/xuri/excelize/v2"
)

// maxCellChars is the most characters (UTF-16 units) an Excel cell holds.
const maxCellChars = 32767

// XLSXSheet is the name of the sheet Write puts a table in.
const XLSXSheet = "Sheet1"

// writeXLSX writes the batches as one sheet: a header row (frozen), then
// one row per record. Every cell is a typed value — a number, a boolean or
// text — never a formula, so text such as "=HYPERLINK(...)" stays text.
// Integers beyond ±2^53, which a spreadsheet would round, are written as
// text, as are NaN and ±Inf (NaN, +Inf, -Inf, as in CSV).
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
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter(XLSXSheet)
	if err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	row := make([]any, schema.NumFields())
	for j, fld := range schema.Fields() {
		if err := checkCellText(fld.Name, 1, j); err != nil {
			return err
		}
		row[j] = fld.Name
	}
	if err := sw.SetRow("A1", row); err != nil {
		return err
	}
	r := 1
	for _, b := range batches {
		vals := make([]func(i int) any, b.NumCols())
		for j, col := range b.Columns() {
			vals[j] = xlsxValue(col)
		}
		for i := 0; i < int(b.NumRows()); i++ {
			r++
			for j, col := range b.Columns() {
				if col.IsNull(i) {
					row[j] = nil
					continue
				}
				row[j] = vals[j](i)
				if s, ok := row[j].(string); ok {
					if err := checkCellText(s, r, j); err != nil {
						return err
					}
				}
			}
			cell, _ := excelize.CoordinatesToCellName(1, r)
			if err := sw.SetRow(cell, row); err != nil {
				return err
			}
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
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
		return func(i int) any { return a.Value(i) }
	case *array.Int16:
		return func(i int) any { return a.Value(i) }
	case *array.Int32:
		return func(i int) any { return a.Value(i) }
	case *array.Int64:
		return func(i int) any {
			if v := a.Value(i); v > -exact && v < exact {
				return v
			}
			return a.ValueStr(i)
		}
	case *array.Uint8:
		return func(i int) any { return a.Value(i) }
	case *array.Uint16:
		return func(i int) any { return a.Value(i) }
	case *array.Uint32:
		return func(i int) any { return a.Value(i) }
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
		return float32(v)
	}
	return v
}
