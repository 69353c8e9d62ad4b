package arrowio

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// arrow-go's IPC readers size Go slices from vector lengths in the schema
// flatbuffer (fields, children, custom metadata) before checking that the
// vectors fit in the buffer, so a few flipped bytes can ask for hundreds of
// gigabytes and kill the process with an unrecoverable "out of memory".
// checkIPCSchema walks the schema flatbuffer first and rejects vectors that
// run past the end of their buffer.

var errFlatbuf = errors.New("invalid schema metadata")

type fbuf []byte

func (b fbuf) u32(p int) (int, error) {
	if p < 0 || p+4 > len(b) {
		return 0, errFlatbuf
	}
	return int(binary.LittleEndian.Uint32(b[p:])), nil
}

func (b fbuf) u16(p int) (int, error) {
	if p < 0 || p+2 > len(b) {
		return 0, errFlatbuf
	}
	return int(binary.LittleEndian.Uint16(b[p:])), nil
}

// field returns the absolute position of field i of the table at t, or -1
// when the field is absent.
func (b fbuf) field(t, i int) (int, error) {
	so, err := b.u32(t)
	if err != nil {
		return 0, err
	}
	vt := t - int(int32(uint32(so)))
	vtsize, err := b.u16(vt)
	if err != nil || vtsize < 4 || vt+vtsize > len(b) {
		return 0, errFlatbuf
	}
	if 4+2*i+2 > vtsize {
		return -1, nil
	}
	off, _ := b.u16(vt + 4 + 2*i)
	if off == 0 {
		return -1, nil
	}
	return t + off, nil
}

// ref follows the uoffset stored in field i of table t (a table, vector or
// string); -1 when absent.
func (b fbuf) ref(t, i int) (int, error) {
	p, err := b.field(t, i)
	if err != nil || p < 0 {
		return p, err
	}
	u, err := b.u32(p)
	if err != nil {
		return 0, err
	}
	q := p + u
	if q >= len(b) {
		return 0, errFlatbuf
	}
	return q, nil
}

// vector checks the vector in field i of table t with elements of size
// elem bytes and returns the position of its first element and its length.
func (b fbuf) vector(t, i, elem int) (int, int, error) {
	v, err := b.ref(t, i)
	if err != nil || v < 0 {
		return 0, 0, err
	}
	n, err := b.u32(v)
	if err != nil || n > (len(b)-v-4)/elem {
		return 0, 0, errFlatbuf
	}
	return v + 4, n, nil
}

// tables checks a vector of tables and calls fn on each.
func (b fbuf) tables(t, i int, fn func(int) error) error {
	start, n, err := b.vector(t, i, 4)
	if err != nil {
		return err
	}
	for k := 0; k < n; k++ {
		p := start + 4*k
		u, _ := b.u32(p)
		if p+u >= len(b) {
			return errFlatbuf
		}
		if err := fn(p + u); err != nil {
			return err
		}
	}
	return nil
}

func (b fbuf) keyValues(t, i int) error {
	return b.tables(t, i, func(kv int) error {
		if _, _, err := b.vector(kv, 0, 1); err != nil {
			return err
		}
		_, _, err := b.vector(kv, 1, 1)
		return err
	})
}

// checkField checks Field { name, nullable, type_type, type, dictionary,
// children: [Field], custom_metadata: [KeyValue] }.
func (b fbuf) checkField(f, depth int, count *int) error {
	*count++
	if depth > 64 || *count > 1<<20 {
		return errFlatbuf
	}
	if _, _, err := b.vector(f, 0, 1); err != nil {
		return err
	}
	if err := b.keyValues(f, 6); err != nil {
		return err
	}
	return b.tables(f, 5, func(c int) error { return b.checkField(c, depth+1, count) })
}

// checkSchema checks Schema { endianness, fields: [Field],
// custom_metadata: [KeyValue], features: [long] }.
func (b fbuf) checkSchema(s int) error {
	count := 0
	if err := b.keyValues(s, 2); err != nil {
		return err
	}
	if _, _, err := b.vector(s, 3, 8); err != nil {
		return err
	}
	return b.tables(s, 1, func(f int) error { return b.checkField(f, 0, &count) })
}

func (b fbuf) root() (int, error) {
	r, err := b.u32(0)
	if err != nil || r >= len(b) {
		return 0, errFlatbuf
	}
	return r, nil
}

// checkIPCSchema validates the schema flatbuffer of an IPC file (in its
// footer) or stream (its first message) before arrow-go parses it.
func checkIPCSchema(f *os.File, format Format) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	var meta fbuf
	if format == IPCFile {
		// ... Footer, int32 footer length, "ARROW1"
		if size < 6+4+6 {
			return errors.New("file too short for the Arrow IPC file format")
		}
		tail := make([]byte, 10)
		if _, err := f.ReadAt(tail, size-10); err != nil {
			return err
		}
		if string(tail[4:]) != "ARROW1" {
			return errors.New("missing the ARROW1 end marker")
		}
		n := int64(int32(binary.LittleEndian.Uint32(tail)))
		if n <= 0 || n > size-10 {
			return fmt.Errorf("footer length %d out of range", n)
		}
		meta = make(fbuf, n)
		if _, err := f.ReadAt(meta, size-10-n); err != nil {
			return err
		}
		footer, err := meta.root()
		if err != nil {
			return err
		}
		s, err := meta.ref(footer, 1)
		if err != nil {
			return err
		}
		if s < 0 {
			return errors.New("footer has no schema")
		}
		if _, _, err := meta.vector(footer, 2, 24); err != nil {
			return err
		}
		if _, _, err := meta.vector(footer, 3, 24); err != nil {
			return err
		}
		return meta.checkSchema(s)
	}
	head := make([]byte, 8)
	if _, err := f.ReadAt(head, 0); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("file too short for the Arrow IPC stream format")
		}
		return err
	}
	off, n := streamPrefix(head)
	if n <= 0 || off+n > size {
		return fmt.Errorf("first message length %d out of range", n)
	}
	meta = make(fbuf, n)
	if _, err := f.ReadAt(meta, off); err != nil {
		return err
	}
	if err := checkBody(meta, size-off-n); err != nil {
		return err
	}
	return checkSchemaMessage(meta)
}

// streamPrefix decodes the length prefix of an IPC stream message: the
// offset of its flatbuffer and its length.
func streamPrefix(head []byte) (off, n int64) {
	off, n = 4, int64(int32(binary.LittleEndian.Uint32(head)))
	if binary.LittleEndian.Uint32(head) == 0xFFFFFFFF {
		off, n = 8, int64(int32(binary.LittleEndian.Uint32(head[4:])))
	}
	return off, n
}

// checkSchemaMessage checks a Message flatbuffer whose header is a Schema.
func checkSchemaMessage(meta fbuf) error {
	msg, err := meta.root()
	if err != nil {
		return err
	}
	ht, err := meta.field(msg, 1)
	if err != nil {
		return err
	}
	if ht < 0 || ht >= len(meta) || meta[ht] != 1 { // MessageHeader.Schema
		return errors.New("the stream does not start with a schema")
	}
	s, err := meta.ref(msg, 2)
	if err != nil {
		return err
	}
	if s < 0 {
		return errors.New("the stream does not start with a schema")
	}
	return meta.checkSchema(s)
}

// bodyLength is the bodyLength field of a Message flatbuffer (0 when absent).
func (b fbuf) bodyLength() (int64, error) {
	msg, err := b.root()
	if err != nil {
		return 0, err
	}
	p, err := b.field(msg, 3)
	if err != nil || p < 0 {
		return 0, err
	}
	if p+8 > len(b) {
		return 0, errFlatbuf
	}
	return int64(binary.LittleEndian.Uint64(b[p:])), nil
}

// checkBody rejects a message whose body would run past the end of its
// container (arrow-go allocates the body before reading it).
func checkBody(meta fbuf, room int64) error {
	n, err := meta.bodyLength()
	if err != nil {
		return err
	}
	if n < 0 || n > room {
		return fmt.Errorf("message body length %d out of range", n)
	}
	return nil
}

// checkParquetArrowSchema checks the Arrow schema that Parquet writers store
// base64-encoded under "ARROW:schema" (an IPC stream holding one schema
// message), which pqarrow parses with the same IPC code.
func checkParquetArrowSchema(serialized string) error {
	var decoded []byte
	var err error
	if len(serialized)%4 == 0 {
		decoded, err = base64.StdEncoding.DecodeString(serialized)
	}
	if len(decoded) == 0 || err != nil {
		decoded, err = base64.RawStdEncoding.DecodeString(serialized)
	}
	if err != nil {
		return nil // pqarrow reports undecodable metadata itself
	}
	if len(decoded) < 8 {
		return errors.New("ARROW:schema metadata too short")
	}
	off, n := streamPrefix(decoded)
	if n <= 0 || off+n > int64(len(decoded)) {
		return fmt.Errorf("ARROW:schema message length %d out of range", n)
	}
	if err := checkSchemaMessage(fbuf(decoded[off : off+n])); err != nil {
		return fmt.Errorf("ARROW:schema metadata: %w", err)
	}
	if err := checkBody(fbuf(decoded[off:off+n]), int64(len(decoded))-off-n); err != nil {
		return fmt.Errorf("ARROW:schema metadata: %w", err)
	}
	return nil
}
