package index

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// ErrCellLimit is wrapped by the error of a streamed run stopped because
// its cells held more memory than StreamOptions.MaxCellBytesPerRow allows
// (a *CellLimitError); the file itself may be fine.
var ErrCellLimit = errors.New("index: the cells of the stream exceed their memory bound")

// CellLimitError is the error of a streamed run stopped by
// StreamOptions.MaxCellBytesPerRow: after Rows rows (with several
// goroutines summing, about: those they had summed) its Cells cells
// (counted over every goroutine) held Bytes bytes, more than Limit. FileRows are the rows of the file when the reader knew them
// before reading the data, else 0. It wraps ErrCellLimit.
type CellLimitError struct {
	Cells          int
	Bytes, Limit   int64
	Rows, FileRows int64
}

func (e *CellLimitError) Error() string {
	of := ""
	if e.FileRows > 0 {
		of = fmt.Sprintf(" of %d", e.FileRows)
	}
	return fmt.Sprintf("%v: %d cells held %d bytes after %d%s rows, more than the bound of %d", ErrCellLimit, e.Cells, e.Bytes, e.Rows, of, e.Limit)
}

func (e *CellLimitError) Unwrap() error { return ErrCellLimit }

// cellLimit checks the cells' memory of the Sums of every worker against
// perRow bytes per row of the file (its rows when known, else the rows
// read so far).
type cellLimit struct {
	perRow   float64
	fileRows int64
	mu       sync.Mutex
	held     []int64 // per worker: the bytes of its cells
	cells    []int
	rows     []int64 // per worker: the rows of its batch summed so far
}

// newCellLimit returns the bound of so for the file at path read by
// workers goroutines, or nil when so sets none.
func newCellLimit(path string, so *StreamOptions, workers int) *cellLimit {
	if so.MaxCellBytesPerRow <= 0 {
		return nil
	}
	l := &cellLimit{perRow: so.MaxCellBytesPerRow, held: make([]int64, workers), cells: make([]int, workers), rows: make([]int64, workers)}
	if r, err := arrowio.Open(path, so.Read...); err == nil {
		l.fileRows, _ = arrowio.DataRows(r)
		r.Close()
	}
	return l
}

// check records the cells of worker w's Sums s, inBatch rows into its
// batch (0 at the end of a batch: then in done, the rows of the batches
// summed), and returns a *CellLimitError when the cells of all workers
// exceed the bound.
func (l *cellLimit) check(w int, s *Sums, done *atomic.Int64, inBatch int) error {
	if l == nil {
		return nil
	}
	b := s.heldBytes()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.held[w], l.cells[w], l.rows[w] = b, len(s.n), int64(inBatch)
	var held int64
	cells, rows := 0, done.Load()
	for i := range l.held {
		held += l.held[i]
		cells += l.cells[i]
		rows += l.rows[i]
	}
	limit := int64(l.perRow * float64(max(l.fileRows, rows)))
	if held <= limit {
		return nil
	}
	return &CellLimitError{Cells: cells, Bytes: held, Limit: limit, Rows: rows, FileRows: l.fileRows}
}

// watch makes the Sums s of worker w check the bound whenever it makes a
// cell (its squared-weight sums too), with the rows of the batch read so
// far besides the done rows of every worker.
func (l *cellLimit) watch(w int, s *Sums, done *atomic.Int64) {
	if l == nil {
		return
	}
	grow := func(rows int) error { return l.check(w, s, done, rows) }
	s.grow = grow
	if s.sq != nil {
		s.sq.grow = grow
	}
}

// unwatch ends the checks of watch.
func (s *Sums) unwatch() {
	s.grow = nil
	if s.sq != nil {
		s.sq.grow = nil
	}
}

// heldBytes is about the memory of the cells of s, the same for every
// cell: its sums (the lengths of the per-cell slices; not their spare
// capacity), its key and its entry in the cell map, and the same of its
// squared-weight sums, estimands' sums and calibration sums.
func (s *Sums) heldBytes() int64 {
	b := floatBytes(s.w, s.y, s.x, s.yy, s.uy, s.wcomb) + intBytes(s.first, s.n, s.nk, s.nz, s.ncomb, s.ncz, s.pos)
	cells := int64(len(s.n))
	b += cells * int64(4*len(s.pairs)*8+2*24) // the pair sums and two slice headers
	// a key: its codes, the map's copy as a string, the entry (about)
	b += cells * (8*int64(len(s.keys)) + 48)
	if s.sq != nil {
		b += s.sq.heldBytes()
	}
	if v := s.vals; v != nil {
		for p := range v.f {
			b += floatBytes(v.f[p], v.fc[p])
		}
		for p := range v.u {
			b += floatBytes(v.u[p], v.uc[p])
		}
		for p := range v.r {
			b += floatBytes(v.r[p], v.rc[p])
		}
		b += floatBytes(v.w2, v.w2c) + intBytes(v.n, v.nobs)
		b += v.cal.heldBytes() + v.rcal.heldBytes()
	}
	return b + s.cal.heldBytes() + s.rcal.heldBytes()
}

func (cs *calSums) heldBytes() int64 {
	if cs == nil {
		return 0
	}
	return floatBytes(cs.B, cs.U, cs.V, cs.D, cs.Q, cs.BB, cs.WYB, cs.WXB)
}

func (rr *rowRepSums) heldBytes() int64 {
	if rr == nil {
		return 0
	}
	return floatBytes(rr.Y0, rr.X0, rr.S, rr.T, rr.Q, rr.D)
}

func floatBytes(v ...[]float64) int64 {
	var n int
	for _, x := range v {
		n += len(x)
	}
	return int64(n) * 8
}

func intBytes(v ...[]int64) int64 {
	var n int
	for _, x := range v {
		n += len(x)
	}
	return int64(n) * 8
}
