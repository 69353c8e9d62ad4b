package arrowio

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/parquet/metadata"
)

// readPlaces holds, per input ("-" for standard input, or an Excel
// workbook's path), the places of the data rows that its last read in
// this process recorded: standard input cannot be read again, and an Excel
// reader finds its records' sheet rows anyway (LocateRows).
var readPlaces = struct {
	sync.Mutex
	m map[string]*recorded
}{m: map[string]*recorded{}}

// recorded is what a read recorded of its rows' places: the sheet rows of
// the data rows (sheetRows[r-1] for row r) of sheet, or the lines of a CSV
// text as the records where the line stops being row + 1 (jumps), or the
// rows that end each row group of a Parquet file (groupEnds, cumulative).
type recorded struct {
	sheet     string
	sheetRows []int32
	jumps     []lineJump
	groupEnds []int64
}

// groupsOf records the row groups of the Parquet file of metadata md.
func groupsOf(md *metadata.FileMetaData) recorded {
	ends := make([]int64, md.NumRowGroups())
	var end int64
	for g := range ends {
		end += md.RowGroup(g).NumRows()
		ends[g] = end
	}
	return recorded{groupEnds: ends}
}

// lineJump is a data row (1-based) that starts on line, not on the line
// after the previous row's first line.
type lineJump struct{ row, line int64 }

func remember(path string, r *recorded) {
	readPlaces.Lock()
	defer readPlaces.Unlock()
	readPlaces.m[path] = r
}

func recalled(path string) (*recorded, bool) {
	readPlaces.Lock()
	defer readPlaces.Unlock()
	r, ok := readPlaces.m[path]
	return r, ok
}

// place returns the places of rows.
func (r *recorded) place(rows []int64) places {
	p := places{at: make(map[int64]int64, len(rows)), sheet: r.sheet}
	if r.groupEnds != nil {
		p.unit, p.groups = "row group", len(r.groupEnds)
	}
	for _, row := range rows {
		switch {
		case row < 1:
		case r.groupEnds != nil:
			// the first group that ends at or after the row
			if g, _ := slices.BinarySearch(r.groupEnds, row); g < len(r.groupEnds) {
				p.at[row] = int64(g + 1)
			}
		case r.sheet != "":
			if row <= int64(len(r.sheetRows)) {
				p.at[row] = int64(r.sheetRows[row-1])
			}
		default:
			// the last jump at or before the row; rows past the end have
			// no line (the jumps end with the row after the last)
			i := lastJump(r.jumps, row)
			if i >= 0 && i < len(r.jumps)-1 {
				p.at[row] = r.jumps[i].line + row - r.jumps[i].row
			}
		}
	}
	return p
}

// lastJump returns the index of the last jump at or before row, or -1.
func lastJump(jumps []lineJump, row int64) int {
	i, found := slices.BinarySearchFunc(jumps, row, func(j lineJump, r int64) int {
		switch {
		case j.row < r:
			return -1
		case j.row > r:
			return 1
		}
		return 0
	})
	if found {
		return i
	}
	return i - 1
}

// rememberStdinLines records the first lines of the data rows of the CSV
// text in f (standard input spooled), and leaves f at its start.
func rememberStdinLines(f *os.File) error {
	var jumps []lineJump
	last := lineJump{0, 1} // the header
	err := csvRecordLines(f, func(rec, line int64) bool {
		if len(jumps) == 0 || line != last.line+rec-last.row {
			jumps = append(jumps, lineJump{rec, line})
		}
		last.row, last.line = rec, line
		return true
	})
	if err != nil {
		return err
	}
	// the row after the last closes the lines
	jumps = append(jumps, lineJump{last.row + 1, last.line + 1})
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	remember("-", &recorded{jumps: jumps})
	return nil
}

// ipcBatches returns the 1-based record batch of each data row of the
// Arrow IPC file or stream at path (reading its batches up to the last
// row's; a stream to its end, for the count), and the number of batches.
func ipcBatches(path string, format Format, rows []int64) (out map[int64]int64, n int, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, n, err = nil, 0, fmt.Errorf("%v", p)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	var counts []int64
	last := slices.Max(rows)
	if format == IPCFile {
		r, err := ipc.NewFileReader(f)
		if err != nil {
			return nil, 0, err
		}
		defer r.Close()
		n = r.NumRecords()
		var end int64
		for i := 0; i < n && end < last; i++ {
			rec, err := r.RecordBatchAt(i)
			if err != nil {
				return nil, 0, err
			}
			counts = append(counts, rec.NumRows())
			end += rec.NumRows()
			rec.Release()
		}
	} else {
		r, err := ipc.NewReader(f)
		if err != nil {
			return nil, 0, err
		}
		defer r.Release()
		for r.Next() {
			counts = append(counts, r.RecordBatch().NumRows())
		}
		if err := r.Err(); err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, err
		}
		n = len(counts)
	}
	out = make(map[int64]int64, len(rows))
	for _, row := range rows {
		var end int64
		for g, c := range counts {
			end += c
			if row >= 1 && row <= end {
				out[row] = int64(g + 1)
				break
			}
		}
	}
	return out, n, nil
}
