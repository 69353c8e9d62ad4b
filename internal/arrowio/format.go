package arrowio

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
)

// Format is a table file format.
type Format int

const (
	// CSV: comma-separated text with a header row, UTF-8 (a byte-order mark
	// and CRLF line ends are accepted). Extension .csv; "-" means CSV on
	// stdout (Open tells the format of standard input from its first bytes:
	// SniffFormat).
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
const supportedExt = `.csv (CSV), .parquet (Parquet), .arrow or .feather (Arrow IPC file), .arrows or .ipc (Arrow IPC stream), .xlsx (Excel workbook), or "-" for standard input (any of these, told by its first bytes) or CSV on standard output`

// FormatOf returns the format of path chosen by its extension
// (case-insensitive): .csv, .parquet, .arrow/.feather (IPC file),
// .arrows/.ipc (IPC stream), .xlsx (Excel). "-" is CSV (what "-" writes;
// Open reads standard input in the format its first bytes tell,
// SniffFormat). Any other extension is an error
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

// SniffFormat returns the format of a table file from its first bytes
// head (8 suffice): Parquet ("PAR1"), an Arrow IPC file ("ARROW1"), an
// Arrow IPC stream (a message's continuation marker 0xFFFFFFFF), an Excel
// workbook (a ZIP archive, "PK\x03\x04"), and CSV otherwise (text never
// starts with those bytes). It is how standard input, which has no
// extension, is read.
func SniffFormat(head []byte) Format {
	switch {
	case bytes.HasPrefix(head, []byte("PAR1")):
		return Parquet
	case bytes.HasPrefix(head, []byte("ARROW1")):
		return IPCFile
	case bytes.HasPrefix(head, []byte{0xff, 0xff, 0xff, 0xff}):
		return IPCStream
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return XLSX
	}
	return CSV
}

// Ext is the file name extension of format f: ".csv", ".parquet",
// ".arrow", ".arrows" or ".xlsx" (FormatOf gives f back for it).
func (f Format) Ext() string {
	return [...]string{CSV: ".csv", Parquet: ".parquet", IPCFile: ".arrow", IPCStream: ".arrows", XLSX: ".xlsx"}[f]
}
