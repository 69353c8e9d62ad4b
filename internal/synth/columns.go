package synth

import (
	"math"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Column construction. Values are written straight into buffers from the
// caller's allocator (sized up front, so normally nothing is copied), and
// the buffers are then wrapped as Arrow arrays: checked allocators see every
// byte, and the caller owns the arrays (it Releases the batches).

// fixed is a fixed-width column of T backed by a memory.Buffer.
type fixed[T int8 | uint8 | int32 | int64 | float64] struct {
	buf *memory.Buffer
	v   []T
}

func newFixed[T int8 | uint8 | int32 | int64 | float64](mem memory.Allocator, n int) fixed[T] {
	var z T
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(n * int(unsafe.Sizeof(z)))
	var v []T
	if n > 0 {
		v = unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(buf.Bytes()))), n)
	}
	return fixed[T]{buf: buf, v: v}
}

// array wraps the column as type dt (with an optional validity slice) and
// gives up the column's reference to its buffer.
func (f fixed[T]) array(mem memory.Allocator, dt arrow.DataType, valid []bool, nulls int) arrow.Array {
	vb := bitmapFrom(mem, valid)
	d := array.NewData(dt, len(f.v), []*memory.Buffer{vb, f.buf}, nil, nulls, 0)
	a := array.MakeFromData(d)
	d.Release()
	f.buf.Release()
	if vb != nil {
		vb.Release()
	}
	return a
}

// release frees a column that is not turned into an array.
func (f fixed[T]) release() { f.buf.Release() }

// strCol accumulates a utf8 column in allocator buffers.
type strCol struct {
	mem        memory.Allocator
	obuf, dbuf *memory.Buffer
	offs       []int32
	data       []byte
	valid      []bool // nil: all valid
	nulls      int
	rows, dcap int
}

// newStrCol prepares a column of up to rows rows and about dataCap bytes
// (it grows, by reallocation, if the estimate is short).
func newStrCol(mem memory.Allocator, rows, dataCap int) *strCol {
	s := &strCol{mem: mem, rows: rows, dcap: dataCap}
	s.alloc()
	return s
}

func (s *strCol) alloc() {
	s.obuf = memory.NewResizableBuffer(s.mem)
	s.obuf.Reserve(4 * (s.rows + 1))
	s.offs = unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(s.obuf.Buf()))), s.obuf.Cap()/4)[:1]
	s.offs[0] = 0
	s.dbuf = memory.NewResizableBuffer(s.mem)
	s.dbuf.Reserve(max(s.dcap, 64))
	s.data = s.dbuf.Buf()[:0]
	s.valid, s.nulls = nil, 0
}

// need makes room for n more bytes and one more row without leaving the buffers.
func (s *strCol) need(n int) {
	if len(s.data)+n > cap(s.data) {
		if len(s.data)+n > math.MaxInt32 {
			panic("synth: a string column exceeds 2 GiB (int32 offsets); generate fewer rows per batch")
		}
		l := len(s.data)
		s.dbuf.ResizeNoShrink(l)
		s.dbuf.Reserve(2 * (l + n))
		s.data = s.dbuf.Buf()[:l]
	}
	if len(s.offs) == cap(s.offs) {
		l := len(s.offs)
		s.obuf.ResizeNoShrink(4 * l)
		s.obuf.Reserve(8 * l)
		s.offs = unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(s.obuf.Buf()))), s.obuf.Cap()/4)[:l]
	}
}

func (s *strCol) add(v string) {
	s.need(len(v))
	s.data = append(s.data, v...)
	s.offs = append(s.offs, int32(len(s.data)))
	if s.valid != nil {
		s.valid = append(s.valid, true)
	}
}

// add2 appends the concatenation a+b as one value.
func (s *strCol) add2(a, b string) {
	s.need(len(a) + len(b))
	s.data = append(append(s.data, a...), b...)
	s.offs = append(s.offs, int32(len(s.data)))
	if s.valid != nil {
		s.valid = append(s.valid, true)
	}
}

// add3 appends a+b+c as one value.
func (s *strCol) add3(a, b, c string) {
	s.need(len(a) + len(b) + len(c))
	s.data = append(append(append(s.data, a...), b...), c...)
	s.offs = append(s.offs, int32(len(s.data)))
	if s.valid != nil {
		s.valid = append(s.valid, true)
	}
}

// addPadded appends prefix followed by n zero-padded to width digits.
func (s *strCol) addPadded(prefix string, n, width int) {
	d := 1
	for x := n; x >= 10; x /= 10 {
		d++
	}
	s.need(len(prefix) + max(d, width))
	s.data = appendPadded(append(s.data, prefix...), n, width)
	s.offs = append(s.offs, int32(len(s.data)))
	if s.valid != nil {
		s.valid = append(s.valid, true)
	}
}

// addRepeat appends v m times (one memmove per doubling).
func (s *strCol) addRepeat(v string, m int) {
	if m <= 0 {
		return
	}
	need := len(v) * m
	s.need(need)
	start := len(s.data)
	s.data = s.data[:start+need]
	dst := s.data[start:]
	if len(v) > 0 {
		copy(dst, v)
		for filled := len(v); filled < need; filled *= 2 {
			copy(dst[filled:], dst[:filled])
		}
	}
	off := int32(start)
	for k := 0; k < m; k++ {
		s.need(0)
		off += int32(len(v))
		s.offs = append(s.offs, off)
	}
	if s.valid != nil {
		for k := 0; k < m; k++ {
			s.valid = append(s.valid, true)
		}
	}
}

func (s *strCol) addNull() {
	s.need(0)
	if s.valid == nil {
		s.valid = make([]bool, len(s.offs)-1, s.rows)
		for i := range s.valid {
			s.valid[i] = true
		}
	}
	s.offs = append(s.offs, int32(len(s.data)))
	s.valid = append(s.valid, false)
	s.nulls++
}

// addNulls appends m nulls.
func (s *strCol) addNulls(m int) {
	for k := 0; k < m; k++ {
		s.addNull()
	}
}

func (s *strCol) len() int { return len(s.offs) - 1 }

// array wraps the accumulated values as a utf8 array and gives up the
// column's buffers; with again the column starts afresh (for the next batch).
func (s *strCol) array(again bool) arrow.Array {
	n := s.len()
	s.obuf.ResizeNoShrink(4 * len(s.offs))
	s.dbuf.ResizeNoShrink(len(s.data))
	vb := bitmapFrom(s.mem, s.valid)
	d := array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{vb, s.obuf, s.dbuf}, nil, s.nulls, 0)
	a := array.MakeFromData(d)
	d.Release()
	s.obuf.Release()
	s.dbuf.Release()
	if vb != nil {
		vb.Release()
	}
	s.obuf, s.dbuf, s.offs, s.data = nil, nil, nil, nil
	if again {
		s.alloc()
	}
	return a
}

func bitmapFrom(mem memory.Allocator, valid []bool) *memory.Buffer {
	if valid == nil {
		return nil
	}
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(len(valid)))))
	bm := buf.Bytes()
	for i := range bm {
		bm[i] = 0
	}
	for i, v := range valid {
		if v {
			bitutil.SetBit(bm, i)
		}
	}
	return buf
}

func boolArray(mem memory.Allocator, v []bool, valid []bool, nulls int) arrow.Array {
	buf := bitmapFrom(mem, v)
	if buf == nil {
		buf = memory.NewResizableBuffer(mem)
	}
	vb := bitmapFrom(mem, valid)
	d := array.NewData(arrow.FixedWidthTypes.Boolean, len(v), []*memory.Buffer{vb, buf}, nil, nulls, 0)
	a := array.MakeFromData(d)
	d.Release()
	buf.Release()
	if vb != nil {
		vb.Release()
	}
	return a
}

// batch assembles named columns into a record batch and releases the
// columns (the batch holds its own references).
func batch(names []string, cols []arrow.Array, rows int) arrow.RecordBatch {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: names[i], Type: c.DataType(), Nullable: true}
	}
	rb := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(rows))
	for _, c := range cols {
		c.Release()
	}
	return rb
}
