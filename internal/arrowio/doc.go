// Package arrowio reads and writes tables as Apache Arrow record batches:
// CSV, Parquet, Arrow IPC (file and stream) and Excel workbooks (.xlsx),
// chosen by file extension (see FormatOf); "-" is standard input, in the format its first bytes
// tell (SniffFormat), or CSV on standard output.
//
// # Reading
//
// Open streams record batches; ReadAll concatenates them into one batch.
// WithColumns projects the read so only the columns a computation needs are
// decoded. Parquet is streamed with pqarrow's record reader (a whole-table
// read would peak at several times the data size); IPC files and streams are
// read one stored batch at a time. WithDictionary reads Parquet text
// columns that the file stores dictionary-encoded as Arrow dictionaries
// (a 30-million-row register's province and district columns then cost
// indices, not strings); Rows gives a Parquet file's row count from its
// metadata.
//
// CSV is UTF-8 text with a header row; a byte-order mark and CRLF line ends
// are accepted, quoted fields may contain delimiters, quotes and newlines.
// The delimiter is ',', ';' or tab, detected from the header line (or
// WithDelimiter); numbers may have a decimal comma in ';' and tab files
// (detected, or WithDecimal), as spreadsheets in Vietnamese settings save
// them. It is read in two passes. The first checks every row and infers each column's
// type from all its non-empty cells (not from a first block):
//
//   - int64 if every cell is an integer without leading zeros that fits in
//     64 bits;
//   - float64 if every cell is a decimal number (or NaN, Inf);
//   - bool if every cell is true or false (any case);
//   - string otherwise, and for columns with no values at all.
//
// A cell that is empty or only spaces is null. Codes with leading zeros
// ("001", "0912345678") and integers too long for int64 keep their column a
// string, so identifiers are not mangled. WithTypes forces a column's type;
// then a cell that does not convert is an error with its line and column.
// Without it, a column that is numeric for 10 000 rows and then holds "abc"
// is a string column: nothing is lost, and Ints or Float64s on it report the
// row and value that are not numbers.
//
// An Excel workbook is read one sheet at a time (the first, or WithSheet)
// in one streaming pass over its XML: its cells become the text a CSV file
// would hold (numbers as stored, dates as 2024-03-15 or 2024-03-15
// 08:30:00, booleans as true/false, formulas as their saved results) and
// then go through the same inference, typing and errors as CSV. The header
// is the first non-empty row; cells merged down from it make it span
// several rows (a group label over the names below it). Empty rows and
// unnamed empty columns are skipped. A cell holding an error value (#N/A),
// a formula without a saved result, or data in the sheet's last row (where
// Excel truncates) is an error naming the cell, e.g. Sheet1!F17.
//
// # Errors
//
// Every data error is an *Error naming the file, and where it applies the
// line (CSV; the header is line 1), the 1-based data row, the column and
// the value, and wraps a sentinel for errors.Is:
//
//	ballots.csv: file does not exist (check the path)            fs.ErrNotExist
//	ballots.csv: file is empty (expected a header row ...)        ErrEmpty
//	ballots.csv: line 17: has 5 fields but the header has 6 ...   ErrRagged
//	ballots.csv: line 17, column "access_3": value "abc" is not an integer (...)   ErrBadValue
//	ballots.parquet: missing column "access_5" (available columns: ...)           ErrMissingColumn
//	ballots.parquet: cannot read Parquet data (the file is truncated or not Parquet): ...   ErrCorrupt
//
// LocateRows adds, to an error of other code that names data rows of a
// CSV or Parquet file ("row 3900"), each row's line or row group, by
// reading the file again on that error path only.
//
// Reading a corrupt Parquet or IPC file returns an error and does not panic:
// arrow-go v18 reports most damage as errors, the rest is recovered in this
// package's own (goroutine-free) code paths, and IPC batches are validated
// (buffer sizes, offsets, dictionary indices) before they are handed out.
// Some damage would kill the process with an unrecoverable "out of memory"
// inside arrow-go v18.8.0, so it is checked first: the schema flatbuffer of
// IPC files and streams and the ARROW:schema metadata of Parquet files
// (vector lengths that run past their buffer), IPC message sizes (bounded by
// the file size; ipc.NewReader does not pass its limits on), and row counts
// from Parquet metadata (ReadAll does not preallocate on their word alone).
//
// # Memory
//
// Open holds about one batch per column plus pqarrow's page buffers (for
// 1M ballots with 28 columns, peak RSS about 160-190 MB). A Parquet reader
// also holds the current row group's column chunks as stored (compressed;
// up to 64 MB, the rest is read from the file as needed): each is read
// once, its page checksums are checked in memory and the page readers
// decode those very bytes. ReadAll copies
// Parquet batches into preallocated buffers as they arrive, so it holds the
// result plus one batch rather than the data twice, and recycles pqarrow's
// per-batch buffers instead of leaving them to the GC (peak RSS about 230 MB
// for the same file, whose result is ~105 MB). A soft memory limit
// (GOMEMLIMIT or debug.SetMemoryLimit in the program's main) lowers peaks
// further.
//
// # Writing
//
// Write and WriteRecord write atomically (temporary file and rename).
// Parquet is written with Snappy compression, dictionary encoding and the
// Arrow schema stored, in row groups of ParquetRowGroupRows rows.
//
// # Column helpers
//
// Float64s, Ints and Strings copy a column of any reasonable type into a
// plain Go slice plus an optional validity slice, for statistics code that
// loops over raw values.
package arrowio
