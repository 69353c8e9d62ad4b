package arrowio

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Format is a table file format.
type Format int

const (
	// CSV: comma-separated text with a header row, UTF-8 (a byte-order mark
	// and CRLF line ends are accepted). Extension .csv; "-" means CSV on
	// stdin/stdout.
	CSV Format = iota
	// Parquet: Apache Parquet. Extension .parquet.
	Parquet
	// IPCFile: the Arrow IPC file format (Feather v2). Extensions .arrow and
	// .feather.
	IPCFile
	// IPCStream: the Arrow IPC streaming format. Extensions .arrows and .ipc.
	IPCStream
	// XLSX: an Excel workbook (Office Open XML). Extension .xlsx. One sheet
	// is read (the first, or WithSheet) as a table whose first non-empty
	// row is the header.
	XLSX
)

var formatNames = [...]string{CSV: "CSV", Parquet: "Parquet", IPCFile: "Arrow IPC file", IPCStream: "Arrow IPC stream", XLSX: "Excel workbook"}

func (f Format) String() string {
	if f < 0 || int(f) >= len(formatNames) {
		return fmt.Sprintf("Format(%d)", int(f))
	}
	return formatNames[f]
}

// supportedExt is the message part listing what FormatOf accepts.
const supportedExt = `.csv (CSV), .parquet (Parquet), .arrow or .feather (Arrow IPC file), .arrows or .ipc (Arrow IPC stream), .xlsx (Excel workbook), or "-" for CSV on stdin/stdout`

// FormatOf returns the format of path chosen by its extension
// (case-insensitive): .csv, .parquet, .arrow/.feather (IPC file),
// .arrows/.ipc (IPC stream), .xlsx (Excel). "-" is CSV. Any other extension is an error
// wrapping ErrFormat that lists the supported ones.
func FormatOf(path string) (Format, error) {
	if path == "-" {
		return CSV, nil
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return CSV, nil
	case ".parquet":
		return Parquet, nil
	case ".arrow", ".feather":
		return IPCFile, nil
	case ".arrows", ".ipc":
		return IPCStream, nil
	case ".xlsx":
		return XLSX, nil
	case ".xls":
		return 0, &Error{File: path, Err: because(ErrFormat, "Excel 97-2003 workbooks (.xls) are not read; open the file in Excel or LibreOffice and save it as .xlsx")}
	}
	ext := filepath.Ext(path)
	if ext == "" {
		return 0, &Error{File: path, Err: because(ErrFormat, "cannot tell the format: the name has no extension; use %s", supportedExt)}
	}
	return 0, &Error{File: path, Err: because(ErrFormat, "unsupported extension %q; use %s", ext, supportedExt)}
}
