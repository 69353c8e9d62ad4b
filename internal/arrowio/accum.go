package arrowio

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// accumulator concatenates streamed batches into one batch whose row count
// is known in advance, copying each batch into preallocated buffers as it
// arrives. Peak memory is the result plus one batch, where collecting the
// batches and concatenating at the end would hold the data twice. Columns of
// other types than fixed-width primitives, booleans and (large) strings and
// binaries are collected and concatenated at the end.
type accumulator struct {
	mem     memory.Allocator
	schema  *arrow.Schema
	total   int // expected rows (a hint)
	capRows int // rows the buffers can hold
	n       int
	cols    []*colAccum
}

type colAccum struct {
	dt     arrow.DataType
	kind   int // accFixed, accBool, accBinary, accBinary64, accOther
	width  int // bytes per value (accFixed)
	values *memory.Buffer
	valid  *memory.Buffer // nil until the first null
	nulls  int
	data   *memory.Buffer // accBinary*: value bytes
	dlen   int
	parts  []arrow.Array // accOther
}

const (
	accFixed = iota
	accBool
	accBinary
	accBinary64
	accOther
)

// newAccumulator prepares for about total rows (a hint from file metadata,
// capped by limit so that a corrupt row count cannot ask for terabytes; the
// buffers grow if more rows arrive).
func newAccumulator(mem memory.Allocator, schema *arrow.Schema, total, limit int) *accumulator {
	a := &accumulator{mem: mem, schema: schema, total: total, cols: make([]*colAccum, schema.NumFields())}
	for j, f := range schema.Fields() {
		c := &colAccum{dt: f.Type, kind: accOther}
		switch id := f.Type.ID(); {
		case id == arrow.BOOL:
			c.kind = accBool
		case id == arrow.STRING || id == arrow.BINARY:
			c.kind = accBinary
			c.width = 4
			c.data = memory.NewResizableBuffer(mem)
		case id == arrow.LARGE_STRING || id == arrow.LARGE_BINARY:
			c.kind = accBinary64
			c.width = 8
			c.data = memory.NewResizableBuffer(mem)
		case arrow.IsPrimitive(id) || id == arrow.DATE32 || id == arrow.DATE64 || id == arrow.TIMESTAMP:
			if fw, ok := f.Type.(arrow.FixedWidthDataType); ok && fw.BitWidth()%8 == 0 {
				c.kind = accFixed
				c.width = fw.BitWidth() / 8
			}
		}
		if c.kind != accOther {
			c.values = memory.NewResizableBuffer(mem)
		}
		a.cols[j] = c
	}
	a.grow(max(0, min(total, limit)))
	return a
}

// grow makes room for rows rows in every column, keeping what is there.
func (a *accumulator) grow(rows int) {
	for _, c := range a.cols {
		switch c.kind {
		case accBool:
			c.values.Resize(int(bitutil.BytesForBits(int64(rows))))
		case accFixed:
			c.values.Resize(c.width * rows)
		case accBinary, accBinary64:
			c.values.Resize(c.width * (rows + 1))
			if a.capRows == 0 {
				clear(c.values.Bytes()[:c.width]) // offsets[0] = 0
			}
		}
		if c.valid != nil {
			c.valid.Resize(int(bitutil.BytesForBits(int64(rows))))
		}
	}
	a.capRows = rows
}

func (a *accumulator) release() {
	for _, c := range a.cols {
		for _, b := range []*memory.Buffer{c.values, c.valid, c.data} {
			if b != nil {
				b.Release()
			}
		}
		for _, p := range c.parts {
			p.Release()
		}
		c.values, c.valid, c.data, c.parts = nil, nil, nil, nil
	}
}

func (a *accumulator) add(rec arrow.RecordBatch) error {
	m := int(rec.NumRows())
	if a.n+m > a.capRows {
		a.grow(max(a.n+m, a.capRows+a.capRows/2))
	}
	for j, c := range a.cols {
		if err := c.add(a.mem, rec.Column(j), a.n, a.capRows); err != nil {
			return err
		}
	}
	a.n += m
	return nil
}

func (c *colAccum) add(mem memory.Allocator, arr arrow.Array, at, capRows int) error {
	m := arr.Len()
	d := arr.Data()
	off := d.Offset()
	if c.kind == accOther {
		arr.Retain()
		c.parts = append(c.parts, arr)
		return nil
	}
	// validity
	if arr.NullN() > 0 && c.valid == nil {
		c.valid = memory.NewResizableBuffer(mem)
		c.valid.Resize(int(bitutil.BytesForBits(int64(capRows))))
		bitutil.SetBitsTo(c.valid.Bytes(), 0, int64(at), true)
	}
	if c.valid != nil {
		if arr.NullN() > 0 {
			bitutil.CopyBitmap(d.Buffers()[0].Bytes(), off, m, c.valid.Bytes(), at)
		} else {
			bitutil.SetBitsTo(c.valid.Bytes(), int64(at), int64(m), true)
		}
	}
	c.nulls += arr.NullN()
	switch c.kind {
	case accFixed:
		if m > 0 {
			src := d.Buffers()[1].Bytes()[off*c.width : (off+m)*c.width]
			copy(c.values.Bytes()[at*c.width:], src)
		}
	case accBool:
		if m > 0 {
			bitutil.CopyBitmap(d.Buffers()[1].Bytes(), off, m, c.values.Bytes(), at)
		}
	case accBinary:
		src := arrow.Int32Traits.CastFromBytes(d.Buffers()[1].Bytes())[off : off+m+1]
		dst := arrow.Int32Traits.CastFromBytes(c.values.Bytes())[at : at+m+1]
		nb := int(src[m] - src[0])
		if c.dlen+nb > math.MaxInt32 {
			return fmt.Errorf("a string column holds more than 2 GiB; it cannot be one batch")
		}
		base := dst[0] - src[0]
		for i := 1; i <= m; i++ {
			dst[i] = src[i] + base
		}
		c.appendData(d.Buffers()[2], int(src[0]), nb, at+m, capRows)
	case accBinary64:
		src := arrow.Int64Traits.CastFromBytes(d.Buffers()[1].Bytes())[off : off+m+1]
		dst := arrow.Int64Traits.CastFromBytes(c.values.Bytes())[at : at+m+1]
		base := dst[0] - src[0]
		for i := 1; i <= m; i++ {
			dst[i] = src[i] + base
		}
		c.appendData(d.Buffers()[2], int(src[0]), int(src[m]-src[0]), at+m, capRows)
	}
	return nil
}

// appendData copies nb value bytes from src starting at from, growing the
// data buffer by an estimate of the final size from the bytes per row so far
// (rows: the row count including this batch).
func (c *colAccum) appendData(src *memory.Buffer, from, nb, rows, total int) {
	if nb == 0 {
		return
	}
	need := c.dlen + nb
	if need > c.data.Cap() {
		est := int(float64(need) / float64(rows) * float64(total) * 1.05)
		c.data.Reserve(max(need, est, c.data.Cap()+c.data.Cap()/4))
	}
	c.data.ResizeNoShrink(need)
	copy(c.data.Bytes()[c.dlen:], src.Bytes()[from:from+nb])
	c.dlen = need
}

// finish returns the batch (owned by the caller) and releases the buffers.
func (a *accumulator) finish() (arrow.RecordBatch, error) {
	defer a.release()
	cols := make([]arrow.Array, len(a.cols))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for j, c := range a.cols {
		if c.kind == accOther {
			if len(c.parts) == 0 {
				cols[j] = array.MakeArrayOfNull(a.mem, c.dt, 0)
				continue
			}
			var err error
			if cols[j], err = array.Concatenate(c.parts, a.mem); err != nil {
				return nil, err
			}
			continue
		}
		bufs := []*memory.Buffer{c.valid, c.values}
		if c.data != nil {
			bufs = append(bufs, c.data)
		}
		data := array.NewData(c.dt, a.n, bufs, nil, c.nulls, 0)
		cols[j] = array.MakeFromData(data)
		data.Release()
	}
	return array.NewRecordBatch(a.schema, cols, int64(a.n)), nil
}
