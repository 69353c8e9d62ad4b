package arrowio

import (
	"math/bits"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// poolAllocator recycles the buffers that pqarrow allocates for every batch
// and that ReadAll releases right after copying them into its result. With
// the plain Go allocator each 1M-row read leaves ~400 MB of garbage behind,
// which the GC collects late: peak RSS was ~1.6x higher and a fifth of the
// CPU went to clearing and collecting fresh memory. Buffers come from the
// underlying allocator in power-of-two size classes, are zeroed when handed
// out again, and are all returned to the underlying allocator by drain.
// ReadAll uses it, on batches that never leave this package, and readers
// asked WithRecycledBuffers (a buffer is pooled only once freed, so a
// retained batch keeps its memory).
//
// A pool made with overwrite set hands reused buffers out as they are, not
// zeroed: only for users that write every byte they later read, as the
// Parquet page readers do (see newParquetReader).
type poolAllocator struct {
	mem       memory.Allocator
	mu        sync.Mutex
	free      [64][][]byte
	drained   bool // after drain, Free passes buffers straight through
	overwrite bool // reused buffers are not zeroed
}

const poolMinClass = 6 // 64 bytes

func newPoolAllocator(mem memory.Allocator) *poolAllocator { return &poolAllocator{mem: mem} }

func sizeClass(size int) int {
	if size <= 1<<poolMinClass {
		return poolMinClass
	}
	return bits.Len(uint(size - 1))
}

func (p *poolAllocator) Allocate(size int) []byte {
	if size == 0 {
		return p.mem.Allocate(0)
	}
	c := sizeClass(size)
	p.mu.Lock()
	if n := len(p.free[c]); n > 0 {
		b := p.free[c][n-1]
		p.free[c] = p.free[c][:n-1]
		p.mu.Unlock()
		if !p.overwrite {
			clear(b[:size])
		}
		return b[:size]
	}
	p.mu.Unlock()
	b := p.mem.Allocate(1 << c)
	return b[:size]
}

func (p *poolAllocator) Reallocate(size int, b []byte) []byte {
	if cap(b) >= size && cap(b) > 0 {
		if size > len(b) && !p.overwrite {
			clear(b[len(b):size])
		}
		return b[:size]
	}
	nb := p.Allocate(size)
	copy(nb, b)
	p.Free(b)
	return nb
}

func (p *poolAllocator) Free(b []byte) {
	if cap(b) == 0 {
		return
	}
	b = b[:cap(b)]
	c := sizeClass(len(b))
	if 1<<c != len(b) {
		p.mem.Free(b) // not one of ours (cannot happen); give it back
		return
	}
	p.mu.Lock()
	if p.drained {
		p.mu.Unlock()
		p.mem.Free(b)
		return
	}
	p.free[c] = append(p.free[c], b)
	p.mu.Unlock()
}

// drain returns every pooled buffer to the underlying allocator; buffers
// still in use (a dictionary shared with the result) go back when released.
func (p *poolAllocator) drain() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drained = true
	for c := range p.free {
		for _, b := range p.free[c] {
			p.mem.Free(b)
		}
		p.free[c] = nil
	}
}
