package ballot

import (
	"context"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// The pairwise percent match compares every ballot with every other ballot
// of its group: 780 M pairs for 40,000 ballots in one group. Each ballot's
// answers are packed into lanes of a few uint64 words (4-bit lanes when the
// scale has at most 15 codes, else 8-bit lanes), lane value code−min+1, 0
// for no answer, and next to them the "answered" mask (the top bit of every
// answered lane). For two ballots x and y, lane by lane,
//
//	answered on both = ax & ay
//	equal            = the top bit of ^(((z & low) + low) | z) with z = x ^ y
//
// (low has every lane's bits but the top one: adding it carries into the
// top bit exactly when the lower bits of z are not all 0), so a pair costs
// a few word operations and two popcounts per word instead of a loop over
// the items.

// lanes describes a packing: bits per lane and the lane masks.
type lanes struct {
	bits      int    // 4 or 8
	perWord   int    // 64 / bits
	low, high uint64 // every lane's low bits; every lane's top bit
}

func lanesFor(codes int) lanes {
	if codes <= 15 {
		return lanes{bits: 4, perWord: 16, low: 0x7777777777777777, high: 0x8888888888888888}
	}
	return lanes{bits: 8, perWord: 8, low: 0x7f7f7f7f7f7f7f7f, high: 0x8080808080808080}
}

// packed holds n ballots of k items: ballot i is words[i*2w : (i+1)*2w],
// first its w code words, then its w answered-mask words.
type packed struct {
	lanes
	k, w  int
	words []uint64
}

// pack packs the lane values val (row-major, n×k, 0 = no answer, at most
// 15 or 255) of the ballots in the order given by rows.
func pack(val []uint8, k int, rows []int32, ln lanes) *packed {
	w := (k + ln.perWord - 1) / ln.perWord
	p := &packed{lanes: ln, k: k, w: w, words: make([]uint64, len(rows)*2*w)}
	for i, r := range rows {
		dst := p.words[i*2*w : (i+1)*2*w]
		for c, v := range val[int(r)*k : int(r+1)*k] {
			if v == 0 {
				continue
			}
			word, shift := c/ln.perWord, uint(c%ln.perWord*ln.bits)
			dst[word] |= uint64(v) << shift
			dst[w+word] |= uint64(1) << (shift + uint(ln.bits) - 1)
		}
	}
	return p
}

// bestMatch is a ballot's best qualifying pair: the other ballot's position
// j (−1: none) and the counts eq (identical answers) and both (items
// answered on both). Its share is eq/both; none starts at share −1/1, which
// every pair beats. A pair beats the best when eq·best.both > best.eq·both:
// ties keep the best, so a scan in increasing j keeps the smallest j.
type bestMatch struct {
	j        int32
	eq, both int32
}

var none = bestMatch{j: -1, eq: -1, both: 1}

// share returns eq/both, NaN when there is no match.
func (b bestMatch) share() float64 {
	if b.j < 0 {
		return nan
	}
	return float64(b.eq) / float64(b.both)
}

// span is a half-open range of positions: one group.
type span struct{ lo, hi int }

// matchAll finds, for every ballot i of p, its best match among the other
// ballots of its group (all) and, when coll is not nil, among the ballots of
// its group whose collector differs (other). Pairs answered on both for
// fewer than minBoth items do not qualify. Groups are the spans, which must
// cover disjoint ranges of positions. Work is shared by workers goroutines
// (GOMAXPROCS when ≤ 0); each ballot's result is computed by one goroutine
// scanning j in increasing order, so results do not depend on workers.
func matchAll(ctx context.Context, p *packed, groups []span, coll []int32, minBoth, workers int) (all, other []bestMatch, err error) {
	n := len(p.words) / (2 * p.w)
	all = make([]bestMatch, n)
	if coll != nil {
		other = make([]bestMatch, n)
	}
	for i := range all {
		all[i] = none
		if other != nil {
			other[i] = none
		}
	}
	// Tasks: chunks of rows of one group; each task scans its group's
	// ballots in blocks that stay in the core's cache.
	const chunk = 128
	type task struct{ lo, hi, glo, ghi int }
	var tasks []task
	for _, g := range groups {
		for lo := g.lo; lo < g.hi; lo += chunk {
			tasks = append(tasks, task{lo, min(lo+chunk, g.hi), g.lo, g.hi})
		}
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(tasks)))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				t := int(next.Add(1)) - 1
				if t >= len(tasks) || ctx.Err() != nil {
					return
				}
				tk := tasks[t]
				const block = 2048
				for jlo := tk.glo; jlo < tk.ghi; jlo += block {
					jhi := min(jlo+block, tk.ghi)
					for i := tk.lo; i < tk.hi; i++ {
						if p.w == 2 {
							scan2(p, i, jlo, jhi, coll, int32(minBoth), &all[i], otherAt(other, i))
						} else {
							scanW(p, i, jlo, jhi, coll, int32(minBoth), &all[i], otherAt(other, i))
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	return all, other, nil
}

func otherAt(other []bestMatch, i int) *bestMatch {
	if other == nil {
		return nil
	}
	return &other[i]
}

// scan2 updates ballot i's best matches with the ballots jlo..jhi−1 when a
// ballot takes two words (up to 32 items in 4-bit lanes, 16 in 8-bit). The
// best matches live in locals during the scan (through the pointers the
// compiler would reload them for every pair); the pair of i with itself is
// skipped where it would win, which is the only place it matters.
func scan2(p *packed, i, jlo, jhi int, coll []int32, minBoth int32, all, other *bestMatch) {
	words := p.words[jlo*4 : jhi*4]
	x := p.words[i*4 : i*4+4]
	x0, x1, ax0, ax1 := x[0], x[1], x[2], x[3]
	low := p.low
	a := *all
	var o bestMatch
	ci := int32(-1)
	if other != nil {
		o, ci = *other, coll[i]
		coll = coll[jlo:jhi]
	}
	for off, j := 0, jlo; off+4 <= len(words); off, j = off+4, j+1 {
		y := words[off : off+4 : off+4]
		a0, a1 := ax0&y[2], ax1&y[3]
		both := int32(bits.OnesCount64(a0) + bits.OnesCount64(a1))
		if both < minBoth {
			continue
		}
		z0, z1 := x0^y[0], x1^y[1]
		e0 := ^(((z0 & low) + low) | z0) & a0
		e1 := ^(((z1 & low) + low) | z1) & a1
		eq := int32(bits.OnesCount64(e0) + bits.OnesCount64(e1))
		if eq*a.both > a.eq*both && j != i {
			a = bestMatch{int32(j), eq, both}
		}
		if ci >= 0 && eq*o.both > o.eq*both && coll[j-jlo] != ci {
			o = bestMatch{int32(j), eq, both}
		}
	}
	*all = a
	if other != nil {
		*other = o
	}
}

// scanW is scan2 for any number of words.
func scanW(p *packed, i, jlo, jhi int, coll []int32, minBoth int32, all, other *bestMatch) {
	w := p.w
	x := p.words[i*2*w : (i+1)*2*w]
	low := p.low
	var ci int32
	if other != nil {
		ci = coll[i]
	}
	for j := jlo; j < jhi; j++ {
		if j == i {
			continue
		}
		y := p.words[j*2*w : (j+1)*2*w]
		var both, eq int32
		for k := 0; k < w; k++ {
			a := x[w+k] & y[w+k]
			z := x[k] ^ y[k]
			both += int32(bits.OnesCount64(a))
			eq += int32(bits.OnesCount64(^(((z & low) + low) | z) & a))
		}
		if both < minBoth {
			continue
		}
		if eq*all.both > all.eq*both {
			*all = bestMatch{int32(j), eq, both}
		}
		if other != nil && coll[j] != ci && eq*other.both > other.eq*both {
			*other = bestMatch{int32(j), eq, both}
		}
	}
}
