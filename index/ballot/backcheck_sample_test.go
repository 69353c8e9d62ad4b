package ballot

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// sampleBallots builds a ballot table: per row the id, province,
// collector, commune and phone.
func sampleBallots(t testing.TB, mem memory.Allocator, rows [][4]string) arrow.RecordBatch {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ballot_id", Type: arrow.BinaryTypes.String}, {Name: "province", Type: arrow.BinaryTypes.String},
		{Name: "collector", Type: arrow.BinaryTypes.String}, {Name: "commune", Type: arrow.BinaryTypes.String},
		{Name: "phone", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i, r := range rows {
		for j := 0; j < 4; j++ {
			b.Field(j).(*array.StringBuilder).Append(r[j])
		}
		b.Field(4).(*array.Int64Builder).Append(int64(900000 + i))
	}
	return b.NewRecordBatch()
}

// randomFrame makes ballots in 3 provinces with collectors of very
// different loads (1 to 30 ballots) and communes.
func randomFrame(seed uint64) [][4]string {
	rng := rand.New(rand.NewPCG(seed, 7))
	var rows [][4]string
	id := 0
	for p := 0; p < 3; p++ {
		for c := 0; c < 6; c++ {
			k := 1 + rng.IntN(30)
			for i := 0; i < k; i++ {
				id++
				rows = append(rows, [4]string{fmt.Sprintf("b%04d", id), fmt.Sprintf("P%d", p), fmt.Sprintf("P%d-c%d", p, c), fmt.Sprintf("P%d-x%d", p, rng.IntN(5))})
			}
		}
	}
	return rows
}

// Coverage guarantees hold for every seed: each collector and unit gets its
// minimum (all when fewer), the random share reaches ceil(rate·n) and is
// never larger unless the minimums forced it, targeted ballots are never
// counted as random, and the visiting order is a permutation.
func TestBackcheckSampleCoverage(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	for seed := uint64(0); seed < 200; seed++ {
		rows := randomFrame(seed)
		rec := sampleBallots(t, mem, rows)
		targeted := []string{rows[seed%uint64(len(rows))][0], rows[(seed*7+3)%uint64(len(rows))][0]}
		opt := BackcheckSampleOptions{ID: "ballot_id", By: []string{"province"}, Collector: "collector", Unit: "commune",
			Rate: 0.1, MinCollector: 2, MinUnit: 3, Targeted: targeted, Keep: []string{"phone"}, Mem: mem}
		s, err := BackcheckSample(rec, opt, rand.NewPCG(seed, 1))
		if err != nil {
			t.Fatal(err)
		}
		isTargeted := map[string]bool{targeted[0]: true, targeted[1]: true}
		type cnt struct{ all, sel int }
		col, unit := map[string]*cnt{}, map[string]*cnt{}
		group := map[string]*cnt{}
		bump := func(m map[string]*cnt, k string, sel bool) {
			if m[k] == nil {
				m[k] = &cnt{}
			}
			if sel {
				m[k].sel++
			} else {
				m[k].all++
			}
		}
		for _, r := range rows {
			if !isTargeted[r[0]] {
				bump(col, r[2], false)
				bump(unit, r[3], false)
			}
			bump(group, r[1], false)
		}
		orders := map[string][]bool{}
		for _, r := range s.Rows {
			row := rows[r.Row]
			if r.Targeted != isTargeted[row[0]] {
				t.Fatalf("seed %d: %s targeted %v", seed, row[0], r.Targeted)
			}
			if !r.Targeted {
				bump(col, row[2], true)
				bump(unit, row[3], true)
				bump(group, row[1], true)
			}
			o := orders[row[1]]
			for len(o) < r.Order {
				o = append(o, false)
			}
			if o[r.Order-1] {
				t.Fatalf("seed %d: order %d twice in %s", seed, r.Order, row[1])
			}
			o[r.Order-1] = true
			orders[row[1]] = o
		}
		for k, c := range col {
			if c.sel < min(2, c.all) {
				t.Fatalf("seed %d: collector %s has %d of %d selected", seed, k, c.sel, c.all)
			}
		}
		for k, c := range unit {
			if c.sel < min(3, c.all) {
				t.Fatalf("seed %d: unit %s has %d of %d selected", seed, k, c.sel, c.all)
			}
		}
		for gi, g := range s.Groups {
			c := group[g.Key[0]]
			if g.Random != c.sel || g.Ballots != c.all || g.Target != int(math.Ceil(0.1*float64(c.all)-1e-9)) {
				t.Fatalf("seed %d: group %v: %+v, counted %+v", seed, g.Key, g, c)
			}
			if g.Random < g.Target || g.CollectorsCovered != g.Collectors {
				t.Fatalf("seed %d: group %+v below target or collectors not covered", seed, g)
			}
			if o := orders[g.Key[0]]; len(o) != g.Random+g.Targeted {
				t.Fatalf("seed %d: group %d order runs to %d, %d selected", seed, gi, len(o), g.Random+g.Targeted)
			}
		}
		if got := s.Table.NumRows(); got != int64(len(s.Rows)) {
			t.Fatalf("table has %d rows, %d selected", got, len(s.Rows))
		}
		s.Release()
		rec.Release()
	}
}

// With the coverage minimums met, the top-up is SRSWOR among the remaining
// ballots: each ballot's inclusion probability is what symmetry gives.
// Group of 40: collector A has 2 ballots (both always drawn by the
// minimum), B has 38; rate 0.25 → 10 random ballots, so B's ballots are
// each in with probability 8/38. With no minimums every ballot has
// 10/40. Checked over 4000 seeds, each frequency within 4.5 binomial
// standard deviations, and the chi-square over B's 38 ballots below its
// 0.9999 quantile.
func TestBackcheckSampleInclusion(t *testing.T) {
	var rows [][4]string
	for i := 0; i < 40; i++ {
		c := "B"
		if i < 2 {
			c = "A"
		}
		rows = append(rows, [4]string{fmt.Sprintf("b%02d", i), "P", c, "x"})
	}
	rec := sampleBallots(t, memory.DefaultAllocator, rows)
	defer rec.Release()
	const reps = 4000
	for _, c := range []struct {
		minCollector int
		p            []float64 // per row
	}{
		{2, nil}, {0, nil},
	} {
		p := make([]float64, 40)
		for i := range p {
			switch {
			case c.minCollector == 0:
				p[i] = 10.0 / 40
			case i < 2:
				p[i] = 1
			default:
				p[i] = 8.0 / 38
			}
		}
		hits := make([]int, 40)
		firstOrder := make([]int, 40) // how often each ballot is visited first
		for seed := uint64(0); seed < reps; seed++ {
			s, err := BackcheckSample(rec, BackcheckSampleOptions{ID: "ballot_id", Collector: "collector", Rate: 0.25, MinCollector: c.minCollector}, rand.NewPCG(seed, 99))
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Rows) != 10 {
				t.Fatalf("%d selected, want 10", len(s.Rows))
			}
			for _, r := range s.Rows {
				hits[r.Row]++
				if r.Order == 1 {
					firstOrder[r.Row]++
				}
			}
			s.Release()
		}
		chi := 0.0
		for i, h := range hits {
			want := p[i] * reps
			sd := math.Sqrt(reps * p[i] * (1 - p[i]))
			if math.Abs(float64(h)-want) > 4.5*sd+1e-9 {
				t.Errorf("min %d: ballot %d drawn %d times, expected %.0f ± %.1f", c.minCollector, i, h, want, sd)
			}
			if i >= 2 || c.minCollector == 0 {
				chi += (float64(h) - want) * (float64(h) - want) / want
			}
		}
		// Upper 0.9999 quantiles of chi-square: df 37 → 77.8, df 39 → 80.6
		// (qchisq(0.9999, df) in R). Draw counts are not independent, so
		// this is conservative.
		limit := 77.8
		if c.minCollector == 0 {
			limit = 80.6
		}
		if chi > limit {
			t.Errorf("min %d: chi-square %.1f over the ballots > %.1f", c.minCollector, chi, limit)
		}
		// The visiting order is uniform: each selected ballot is first with
		// probability 1/10 of its inclusion.
		for i, f := range firstOrder {
			want := float64(hits[i]) / 10
			if math.Abs(float64(f)-want) > 4.5*math.Sqrt(want*0.9)+1 {
				t.Errorf("min %d: ballot %d visited first %d times of %d", c.minCollector, i, f, hits[i])
			}
		}
	}
}

func TestBackcheckSampleDeterministic(t *testing.T) {
	rows := randomFrame(3)
	rec := sampleBallots(t, memory.DefaultAllocator, rows)
	defer rec.Release()
	opt := BackcheckSampleOptions{ID: "ballot_id", By: []string{"province"}, Collector: "collector", Unit: "commune", Rate: 0.2, MinCollector: 1, Keep: []string{"phone"}}
	a, err := BackcheckSample(rec, opt, rand.NewPCG(42, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	b, _ := BackcheckSample(rec, opt, rand.NewPCG(42, 0))
	defer b.Release()
	c, _ := BackcheckSample(rec, opt, rand.NewPCG(43, 0))
	defer c.Release()
	if fmt.Sprint(a.Rows) != fmt.Sprint(b.Rows) {
		t.Error("same seed, different samples")
	}
	if fmt.Sprint(a.Rows) == fmt.Sprint(c.Rows) {
		t.Error("different seeds, same sample")
	}
	// The table: columns and the kept phone of the right ballot.
	want := []string{"ballot_id", "province", "collector", "commune", "selection", "order", "phone"}
	for i, f := range a.Table.Schema().Fields() {
		if f.Name != want[i] {
			t.Fatalf("columns %v, want %v", a.Table.Schema(), want)
		}
	}
	ids := a.Table.Column(0).(*array.String)
	phones := a.Table.Column(6).(*array.Int64)
	for i, r := range a.Rows {
		if ids.Value(i) != rows[r.Row][0] || phones.Value(i) != int64(900000+r.Row) {
			t.Fatalf("row %d: %s %d, want %s", i, ids.Value(i), phones.Value(i), rows[r.Row][0])
		}
	}
	// Groups in ascending order.
	for i := 1; i < len(a.Groups); i++ {
		if a.Groups[i-1].Key[0] >= a.Groups[i].Key[0] {
			t.Errorf("groups out of order: %v", a.Groups)
		}
	}
}

func TestBackcheckSampleErrors(t *testing.T) {
	rec := sampleBallots(t, memory.DefaultAllocator, [][4]string{{"1", "P", "c", "x"}, {"2", "P", "c", "x"}, {"1", "P", "d", "y"}, {"3", "P", "d", "y"}, {"3", "P", "d", "y"}})
	defer rec.Release()
	ok := sampleBallots(t, memory.DefaultAllocator, [][4]string{{"1", "P", "c", "x"}, {"2", "P", "c", "x"}})
	defer ok.Release()
	var idErr *BackcheckIDError
	var colErr *BackcheckColumnsError
	for _, c := range []struct {
		name string
		rec  arrow.RecordBatch
		opt  BackcheckSampleOptions
		is   func(error) bool
		says string
	}{
		{"duplicate", rec, BackcheckSampleOptions{ID: "ballot_id", Rate: 0.5}, func(e error) bool { return errors.As(e, &idErr) }, "2 id(s): 1, 3"},
		{"rate 0", ok, BackcheckSampleOptions{ID: "ballot_id", Rate: 0}, func(e error) bool { return errors.Is(e, ErrSampleRate) }, "got 0"},
		{"rate 1.5", ok, BackcheckSampleOptions{ID: "ballot_id", Rate: 1.5}, func(e error) bool { return errors.Is(e, ErrSampleRate) }, "1.5"},
		{"column", ok, BackcheckSampleOptions{ID: "ballot_id", Rate: 1, Unit: "xa", Keep: []string{"addr"}}, func(e error) bool { return errors.As(e, &colErr) }, `"addr", "xa"`},
		{"targeted", ok, BackcheckSampleOptions{ID: "ballot_id", Rate: 1, Targeted: []string{"9", "2", "8"}}, func(e error) bool { return errors.As(e, &idErr) }, "9, 8"},
	} {
		_, err := BackcheckSample(c.rec, c.opt, rand.NewPCG(1, 1))
		if err == nil || !c.is(err) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// rate 1 takes everything; targeted ballots are not random.
	s, err := BackcheckSample(ok, BackcheckSampleOptions{ID: "ballot_id", Rate: 1, Targeted: []string{"2"}}, rand.NewPCG(1, 1))
	if err != nil || s.Groups[0].Random != 1 || s.Groups[0].Targeted != 1 {
		t.Errorf("rate 1: %v %+v", err, s.Groups)
	}
	s.Release()
}

// Groups whose values are integers order as numbers (as Screen's groups),
// before text.
func TestBackcheckSampleGroupOrder(t *testing.T) {
	var rows [][4]string
	for i, p := range []string{"10", "9", "x", "2", "10"} {
		rows = append(rows, [4]string{fmt.Sprint(i), p, "c", "u"})
	}
	rec := sampleBallots(t, memory.DefaultAllocator, rows)
	defer rec.Release()
	s, err := BackcheckSample(rec, BackcheckSampleOptions{ID: "ballot_id", By: []string{"province"}, Rate: 1}, rand.NewPCG(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	var got []string
	for _, g := range s.Groups {
		got = append(got, g.Key[0])
	}
	if strings.Join(got, ",") != "2,9,10,x" {
		t.Errorf("group order %v", got)
	}
}
