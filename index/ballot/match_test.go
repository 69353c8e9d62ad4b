package ballot

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/synth"
)

// refMatch is the straightforward percent match the kernel must equal: for
// every position i, a loop over the other ballots j of its group in
// increasing order and over the items.
func refMatch(val []uint8, k int, rows []int32, groups []span, coll []int32, minBoth int) (all, other []bestMatch) {
	n := len(rows)
	all = make([]bestMatch, n)
	other = make([]bestMatch, n)
	for _, g := range groups {
		for i := g.lo; i < g.hi; i++ {
			all[i], other[i] = none, none
			x := val[int(rows[i])*k : int(rows[i]+1)*k]
			for j := g.lo; j < g.hi; j++ {
				if j == i {
					continue
				}
				y := val[int(rows[j])*k : int(rows[j]+1)*k]
				var eq, both int32
				for c := range x {
					if x[c] != 0 && y[c] != 0 {
						both++
						if x[c] == y[c] {
							eq++
						}
					}
				}
				if int(both) < minBoth {
					continue
				}
				if all[i].j < 0 || eq*all[i].both > all[i].eq*both {
					all[i] = bestMatch{int32(j), eq, both}
				}
				if coll != nil && coll[j] != coll[i] && (other[i].j < 0 || eq*other[i].both > other[i].eq*both) {
					other[i] = bestMatch{int32(j), eq, both}
				}
			}
		}
	}
	return all, other
}

// randomLanes draws n ballots of k items with codes 1..codes (lane
// values), a share miss of them missing, and copies: every 7th ballot
// repeats an earlier one with a few changes, so that many pairs tie.
func randomLanes(r *rand.Rand, n, k, codes int, miss float64) []uint8 {
	val := make([]uint8, n*k)
	for i := 0; i < n; i++ {
		row := val[i*k : (i+1)*k]
		if i%7 == 6 {
			copy(row, val[r.IntN(i)*k:])
			row[r.IntN(k)] = uint8(1 + r.IntN(codes))
			continue
		}
		for c := range row {
			if r.Float64() >= miss {
				row[c] = uint8(1 + r.IntN(codes))
			}
		}
	}
	return val
}

// TestMatchKernel compares the packed kernel with refMatch: 4- and 8-bit
// lanes, one, two and three words a ballot (the special two-word scan and
// the general one), heavy nonresponse (pairs that do not qualify), groups
// and collectors, and any number of workers.
func TestMatchKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		k, codes int
		miss     float64
	}{{5, 5, 0.1}, {22, 5, 0.05}, {22, 5, 0.45}, {17, 3, 0.2}, {40, 5, 0.1}, {22, 11, 0.1}, {22, 40, 0.1}, {9, 255, 0.1}, {33, 15, 0.3}} {
		n := 700
		val := randomLanes(r, n, c.k, c.codes, c.miss)
		rows := make([]int32, n)
		for i := range rows {
			rows[i] = int32(n - 1 - i) // positions need not follow rows
		}
		coll := make([]int32, n)
		for i := range coll {
			coll[i] = int32(r.IntN(6))
		}
		groups := []span{{0, 250}, {250, 251}, {251, 700}}
		minBoth := (c.k + 1) / 2
		wantAll, wantOther := refMatch(val, c.k, rows, groups, coll, minBoth)
		p := pack(val, c.k, rows, lanesFor(c.codes))
		for _, workers := range []int{1, 2, 5} {
			all, other, err := matchAll(context.Background(), p, groups, coll, minBoth, workers)
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("k=%d codes=%d miss=%v workers=%d (%d-bit lanes, %d words)", c.k, c.codes, c.miss, workers, p.bits, p.w)
			if !slices.Equal(all, wantAll) || !slices.Equal(other, wantOther) {
				for i := range all {
					if all[i] != wantAll[i] || other[i] != wantOther[i] {
						t.Fatalf("%s: position %d: all %+v other %+v, want %+v %+v", name, i, all[i], other[i], wantAll[i], wantOther[i])
					}
				}
			}
			if _, o, _ := matchAll(context.Background(), p, groups, nil, minBoth, workers); o != nil {
				t.Fatalf("%s: other without collectors", name)
			}
		}
	}
}

// TestScreenDeterministic: the same survey gives the same result at any
// number of workers.
func TestScreenDeterministic(t *testing.T) {
	rec, _, err := synth.Survey(synth.SurveyConfig{Seed: 3, Ballots: 3000}, memory.NewGoAllocator())
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	var first *Screening
	for _, w := range []int{1, 2, 4} {
		s, err := Screen(context.Background(), rec, &ScreenOptions{ID: "ballot_id", By: []string{"province"}, Collector: "psu", Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = s
			continue
		}
		if fmt.Sprintf("%v", s) != fmt.Sprintf("%v", first) {
			t.Fatalf("workers %d: result differs", w)
		}
	}
}

// benchSurvey is a 40,000-ballot year (63 provinces) packed for the kernel.
func benchSurvey(b *testing.B) (val []uint8, rows []int32, provinces []span, k int) {
	b.Helper()
	rec, _, err := synth.Survey(synth.SurveyConfig{Seed: 1, Ballots: 40_000}, memory.NewGoAllocator())
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Release()
	q := index.DefaultQuestionnaire()
	k = len(q.Criteria)
	n := int(rec.NumRows())
	val = make([]uint8, n*k)
	for c, name := range q.Columns() {
		if err := readItem(rec, q, name, c, k, val); err != nil {
			b.Fatal(err)
		}
	}
	prov, err := readKey(rec, "province")
	if err != nil {
		b.Fatal(err)
	}
	rows = make([]int32, n)
	for i := range rows {
		rows[i] = int32(i)
	}
	slices.SortStableFunc(rows, func(a, b int32) int { return prov.compare(int(a), int(b)) })
	for p := 0; p < n; {
		e := p + 1
		for e < n && prov.s[rows[e]] == prov.s[rows[p]] {
			e++
		}
		provinces = append(provinces, span{p, e})
		p = e
	}
	return val, rows, provinces, k
}

// BenchmarkMatch: every pair within each province and nationally (780 M
// pairs) of a 40,000-ballot year, the packed kernel on all cores and on
// one, and the item loop (refMatch, one core). The national item loop
// takes minutes: run it with -benchtime 1x.
func BenchmarkMatch(b *testing.B) {
	val, rows, provinces, k := benchSurvey(b)
	national := []span{{0, len(rows)}}
	p := pack(val, k, rows, lanesFor(5))
	for _, c := range []struct {
		name   string
		groups []span
	}{{"province", provinces}, {"national", national}} {
		b.Run(c.name+"/packed", func(b *testing.B) {
			for b.Loop() {
				matchAll(context.Background(), p, c.groups, nil, (k+1)/2, 0)
			}
		})
		b.Run(c.name+"/packed-1core", func(b *testing.B) {
			for b.Loop() {
				matchAll(context.Background(), p, c.groups, nil, (k+1)/2, 1)
			}
		})
		b.Run(c.name+"/items-1core", func(b *testing.B) {
			for b.Loop() {
				refMatch(val, k, rows, c.groups, nil, (k+1)/2)
			}
		})
	}
}

// BenchmarkScreen is the whole screening of a 40,000-ballot year by
// province with collectors (the communes stand in for them).
func BenchmarkScreen(b *testing.B) {
	rec, _, err := synth.Survey(synth.SurveyConfig{Seed: 1, Ballots: 40_000}, memory.NewGoAllocator())
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Release()
	for _, by := range [][]string{{"province"}, nil} {
		b.Run(fmt.Sprintf("by=%v", by), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Screen(context.Background(), rec, &ScreenOptions{By: by, Collector: "psu"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
