package arrowio

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/parquet/metadata"
)

// Parquet page checksums. The format gives every page header an optional
// crc field: the CRC-32 (IEEE, as in gzip) of the page's bytes as stored,
// after the header. arrow-go v18 neither writes nor verifies it, so this
// file does both: crcWriter sits between pqarrow's file writer and the file
// and puts a checksum into every page header (moving the offsets of the
// footer to match), and verifyPageCRCs walks the pages of a column chunk
// before it is decoded and compares the checksums that are present.

var (
	errShort  = errors.New("thrift: unexpected end of data")
	errThrift = errors.New("thrift: invalid compact protocol data")
	errFooter = errors.New("not a page header")
)

// Thrift compact protocol types.
const (
	tStop   = 0
	tTrue   = 1
	tFalse  = 2
	tByte   = 3
	tI16    = 4
	tI32    = 5
	tI64    = 6
	tDouble = 7
	tBinary = 8
	tList   = 9
	tSet    = 10
	tMap    = 11
	tStruct = 12
)

// tcReader reads the thrift compact protocol from a byte slice.
type tcReader struct {
	b     []byte
	p     int
	depth int
}

func (r *tcReader) byte() (byte, error) {
	if r.p >= len(r.b) {
		return 0, errShort
	}
	c := r.b[r.p]
	r.p++
	return c, nil
}

func (r *tcReader) uvarint() (uint64, error) {
	var x uint64
	for s := 0; s < 64; s += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		x |= uint64(c&0x7f) << s
		if c < 0x80 {
			return x, nil
		}
	}
	return 0, errThrift
}

func (r *tcReader) varint() (int64, error) {
	u, err := r.uvarint()
	return int64(u>>1) ^ -int64(u&1), err
}

// field reads a field header after the field last; stop is true at the end
// of a struct.
func (r *tcReader) field(last int) (id int, typ byte, stop bool, err error) {
	c, err := r.byte()
	if err != nil {
		return 0, 0, false, err
	}
	if c == tStop {
		return 0, 0, true, nil
	}
	typ = c & 0x0f
	if d := int(c >> 4); d != 0 {
		return last + d, typ, false, nil
	}
	v, err := r.varint()
	return int(v), typ, false, err
}

func (r *tcReader) skip(typ byte) error {
	switch typ {
	case tTrue, tFalse:
		return nil
	case tByte:
		_, err := r.byte()
		return err
	case tI16, tI32, tI64:
		_, err := r.uvarint()
		return err
	case tDouble:
		if r.p+8 > len(r.b) {
			return errShort
		}
		r.p += 8
		return nil
	case tBinary:
		n, err := r.uvarint()
		if err != nil {
			return err
		}
		if n > uint64(len(r.b)-r.p) {
			return errShort
		}
		r.p += int(n)
		return nil
	case tList, tSet:
		c, err := r.byte()
		if err != nil {
			return err
		}
		n, et := uint64(c>>4), c&0x0f
		if n == 15 {
			if n, err = r.uvarint(); err != nil {
				return err
			}
		}
		return r.skipN(n, et)
	case tMap:
		n, err := r.uvarint()
		if err != nil || n == 0 {
			return err
		}
		c, err := r.byte()
		if err != nil {
			return err
		}
		for i := uint64(0); i < n; i++ {
			if err := r.skip(c >> 4); err != nil {
				return err
			}
			if err := r.skip(c & 0x0f); err != nil {
				return err
			}
		}
		return nil
	case tStruct:
		return r.skipStruct()
	}
	return errThrift
}

func (r *tcReader) skipN(n uint64, et byte) error {
	if n > uint64(len(r.b)-r.p) && et != tTrue && et != tFalse {
		return errShort // every element takes at least a byte
	}
	for i := uint64(0); i < n; i++ {
		if et == tTrue || et == tFalse { // list<bool>: one byte each
			if _, err := r.byte(); err != nil {
				return err
			}
			continue
		}
		if err := r.skip(et); err != nil {
			return err
		}
	}
	return nil
}

func (r *tcReader) skipStruct() error {
	if r.depth++; r.depth > 64 {
		return errThrift
	}
	defer func() { r.depth-- }()
	last := 0
	for {
		id, typ, stop, err := r.field(last)
		if err != nil || stop {
			return err
		}
		if err := r.skip(typ); err != nil {
			return err
		}
		last = id
	}
}

// pageHeader is what checksumming needs of a Parquet PageHeader.
type pageHeader struct {
	size       int   // bytes of the header
	compressed int64 // bytes of the page after the header
	crc        int64 // -1 when absent
	end3       int   // where field 3 (compressed_page_size) ends
	next       int   // position of the field header after field 3; -1 when the struct ends there
	nextID     int
}

// parsePageHeader parses a PageHeader at the start of b. It returns
// errShort when b ends inside the header and errFooter when b starts with
// something else (the file's footer, whose second field is a list).
func parsePageHeader(b []byte) (h pageHeader, err error) {
	r := &tcReader{b: b}
	h.crc, h.next = -1, -1
	last := 0
	for {
		at := r.p
		id, typ, stop, err := r.field(last)
		if err != nil {
			return h, err
		}
		if last == 3 && h.next < 0 {
			h.next, h.nextID = at, id
			if stop {
				h.next = at
			}
		}
		if stop {
			break
		}
		switch {
		case id <= last:
			return h, errThrift
		case id <= 3 && typ != tI32:
			return h, errFooter
		case id == 3 || id == 4:
			v, err := r.varint()
			if err != nil {
				return h, err
			}
			if id == 3 {
				if v < 0 {
					return h, errThrift
				}
				h.compressed, h.end3 = v, r.p
			} else {
				h.crc = int64(uint32(int32(v)))
			}
		default:
			if err := r.skip(typ); err != nil {
				return h, err
			}
		}
		last = id
	}
	if h.end3 == 0 {
		return h, errFooter
	}
	h.size = r.p
	return h, nil
}

// withCRC returns the header hdr (parsed as h) with the crc field set to
// sum, inserted after field 3.
func withCRC(dst, hdr []byte, h pageHeader, sum uint32) []byte {
	dst = append(dst, hdr[:h.end3]...)
	dst = append(dst, 1<<4|tI32)
	dst = binary.AppendUvarint(dst, uint64(uint32(int32(sum)<<1^int32(sum)>>31)))
	rest := hdr[h.next:]
	if c := rest[0]; c != tStop && c>>4 != 0 {
		// short form: the delta was from field 3, now from field 4
		dst = append(dst, byte(h.nextID-4)<<4|c&0x0f)
		rest = rest[1:]
	}
	return append(dst, rest...)
}

// crcWriter adds a checksum to every page header of the Parquet file
// written through it and, on finish, rewrites the footer with the offsets
// and sizes moved by the longer headers. It holds one page at a time.
type crcWriter struct {
	w       io.Writer
	buf     []byte
	started bool
	footer  bool
	pos     int64   // original offset of buf[0]
	starts  []int64 // original offsets of the pages
	grown   []int64 // total growth of the headers up to and including page i
	out     []byte
}

func (c *crcWriter) Write(p []byte) (int, error) {
	c.buf = append(c.buf, p...)
	if c.footer {
		return len(p), nil
	}
	if !c.started {
		if len(c.buf) < 4 {
			return len(p), nil
		}
		if _, err := c.w.Write(c.buf[:4]); err != nil {
			return 0, err
		}
		c.started = true
		c.consume(4)
	}
	for {
		h, err := parsePageHeader(c.buf)
		switch {
		case errors.Is(err, errShort):
			return len(p), nil
		case errors.Is(err, errFooter):
			c.footer = true
			return len(p), nil
		case err != nil:
			return 0, fmt.Errorf("page checksums: %w", err)
		}
		n := h.size + int(h.compressed)
		if len(c.buf) < n {
			return len(p), nil
		}
		c.out = c.out[:0]
		growth := int64(0)
		if h.crc < 0 && h.next >= 0 {
			c.out = withCRC(c.out, c.buf[:h.size], h, crc32.ChecksumIEEE(c.buf[h.size:n]))
			growth = int64(len(c.out) - h.size)
		} else {
			c.out = append(c.out, c.buf[:h.size]...)
		}
		c.out = append(c.out, c.buf[h.size:n]...)
		if _, err := c.w.Write(c.out); err != nil {
			return 0, err
		}
		prev := int64(0)
		if k := len(c.grown); k > 0 {
			prev = c.grown[k-1]
		}
		c.starts = append(c.starts, c.pos)
		c.grown = append(c.grown, prev+growth)
		c.consume(n)
	}
}

func (c *crcWriter) consume(n int) {
	c.pos += int64(n)
	k := copy(c.buf, c.buf[n:])
	c.buf = c.buf[:k]
}

// shift is how far original offset x moves: the growth of the headers of
// the pages that start before x.
func (c *crcWriter) shift(x int64) int64 {
	lo, hi := 0, len(c.starts)
	for lo < hi {
		m := (lo + hi) / 2
		if c.starts[m] < x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return 0
	}
	return c.grown[lo-1]
}

// finish rewrites the footer (all that is left in the buffer) with moved
// offsets and writes it.
func (c *crcWriter) finish() error {
	b := c.buf
	if len(b) < 8 || string(b[len(b)-4:]) != "PAR1" {
		return errors.New("page checksums: no footer")
	}
	n := int(binary.LittleEndian.Uint32(b[len(b)-8:]))
	if n+8 != len(b) {
		return errors.New("page checksums: data after the last page is not the footer")
	}
	md, err := metadata.NewFileMetaData(b[:n], nil)
	if err != nil {
		return fmt.Errorf("page checksums: %w", err)
	}
	move := func(p *int64) {
		if p != nil {
			*p += c.shift(*p)
		}
	}
	for _, rg := range md.RowGroups {
		if rg.FileOffset != nil && rg.TotalCompressedSize != nil {
			end := *rg.FileOffset + *rg.TotalCompressedSize
			*rg.TotalCompressedSize += c.shift(end) - c.shift(*rg.FileOffset)
		}
		move(rg.FileOffset)
		for _, cc := range rg.Columns {
			if m := cc.MetaData; m != nil {
				start := m.DataPageOffset
				if m.DictionaryPageOffset != nil && *m.DictionaryPageOffset > 0 && *m.DictionaryPageOffset < start {
					start = *m.DictionaryPageOffset
				}
				m.TotalCompressedSize += c.shift(start+m.TotalCompressedSize) - c.shift(start)
				move(&m.DataPageOffset)
				move(m.DictionaryPageOffset)
				move(m.IndexPageOffset)
				move(m.BloomFilterOffset)
			}
			move(&cc.FileOffset)
			move(cc.OffsetIndexOffset)
			move(cc.ColumnIndexOffset)
		}
	}
	ser, err := md.Serialize(context.Background())
	if err != nil {
		return fmt.Errorf("page checksums: %w", err)
	}
	ser = binary.LittleEndian.AppendUint32(ser, uint32(len(ser)))
	ser = append(ser, "PAR1"...)
	_, err = c.w.Write(ser)
	return err
}

// errChecksum: a page's bytes do not match the checksum in its header.
var errChecksum = errors.New("page checksum mismatch")

// chunkRange returns the offset and size of column chunk cc: from its
// dictionary page, if any, to the end of its data pages.
func chunkRange(cc *metadata.ColumnChunkMetaData) (start, size int64, err error) {
	start = cc.DataPageOffset()
	if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 && cc.DictionaryPageOffset() < start {
		start = cc.DictionaryPageOffset()
	}
	size = cc.TotalCompressedSize()
	if start < 0 || size < 0 {
		return 0, 0, fmt.Errorf("column chunk at %d of %d bytes", start, size)
	}
	return start, size, nil
}

// verifyPageCRCs walks the pages of column chunk cc in f and checks the
// checksum of every page that has one. The pages must fill the chunk
// exactly.
func verifyPageCRCs(f io.ReaderAt, cc *metadata.ColumnChunkMetaData) error {
	start, size, err := chunkRange(cc)
	if err != nil {
		return err
	}
	end := start + size
	mem, inMem := f.(*heldChunk)
	hdr := make([]byte, 256)
	for pos := start; pos < end; {
		var h pageHeader
		for {
			m := int(min(int64(len(hdr)), end-pos))
			k, err := f.ReadAt(hdr[:m], pos)
			if k < m {
				if err == nil {
					err = io.ErrUnexpectedEOF
				}
				return fmt.Errorf("page header at %d: %w", pos, err)
			}
			h, err = parsePageHeader(hdr[:m])
			if errors.Is(err, errShort) && int64(m) < end-pos && len(hdr) < 1<<24 {
				hdr = make([]byte, 2*len(hdr))
				continue
			}
			if err != nil {
				return fmt.Errorf("page header at %d: %w", pos, err)
			}
			break
		}
		data := pos + int64(h.size)
		if h.compressed > end-data {
			return fmt.Errorf("page at %d of %d bytes runs past the column chunk", pos, h.compressed)
		}
		if h.crc >= 0 {
			var got uint32
			if inMem {
				got = crc32.ChecksumIEEE(mem.b[data-mem.off : data-mem.off+h.compressed])
			} else {
				sum := crc32.NewIEEE()
				if _, err := io.Copy(sum, io.NewSectionReader(f, data, h.compressed)); err != nil {
					return fmt.Errorf("page at %d: %w", pos, err)
				}
				got = sum.Sum32()
			}
			if int64(got) != h.crc {
				return fmt.Errorf("page at %d: %w (stored %08x, computed %08x)", pos, errChecksum, uint32(h.crc), got)
			}
		}
		pos = data + h.compressed
	}
	return nil
}

// heldChunk is the bytes b of a file from offset off: a column chunk read
// whole.
type heldChunk struct {
	off int64
	b   []byte
}

// ReadAt reads from the chunk's bytes; past them is the end of the data.
func (c *heldChunk) ReadAt(p []byte, off int64) (int, error) {
	if off < c.off || off-c.off > int64(len(c.b)) {
		return 0, io.EOF
	}
	n := copy(p, c.b[off-c.off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// chunkFile is the file of a Parquet reader that holds the column chunks
// of the current row group (see parquetReader.verifyGroup): a read that
// falls within one of them is served from memory, any other from the file,
// so that the pages whose checksums were checked are read from the file
// once and the page readers decode the very bytes that were checked.
type chunkFile struct {
	f    *os.File
	held []heldChunk
}

func (c *chunkFile) ReadAt(p []byte, off int64) (int, error) {
	for i := range c.held {
		h := &c.held[i]
		if off >= h.off && off-h.off+int64(len(p)) <= int64(len(h.b)) {
			return copy(p, h.b[off-h.off:]), nil
		}
	}
	return c.f.ReadAt(p, off)
}

func (c *chunkFile) Seek(offset int64, whence int) (int64, error) { return c.f.Seek(offset, whence) }

// Close closes the file (the Parquet reader closes its source).
func (c *chunkFile) Close() error { return c.f.Close() }
