package synth

import (
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestFieldwork: collectors in teams, the fabricating collectors (one per
// province, half of their ballots), what they planted, and that every
// other ballot is exactly what Respond gives without fieldwork.
func TestFieldwork(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	plain, res0, _ := respondFixture(t, mem, Config{Seed: 42}, 2020, 8)
	defer plain.Release()
	defer res0.Release()
	sample, res, _ := respondFixture(t, mem, Config{Seed: 42, Fieldwork: &Fieldwork{}}, 2020, 8)
	defer sample.Release()
	defer res.Release()

	b0, b := res0.Ballots, res.Ballots
	if b.NumRows() != b0.NumRows() || int(b.NumCols()) != int(b0.NumCols())+len(FieldworkColumns) {
		t.Fatalf("ballots %dx%d, without fieldwork %dx%d", b.NumRows(), b.NumCols(), b0.NumRows(), b0.NumCols())
	}
	for i, f := range b0.Schema().Fields() {
		if b.Schema().Field(i).Name != f.Name {
			t.Fatalf("column %d: %s, without fieldwork %s", i, b.Schema().Field(i).Name, f.Name)
		}
	}
	for k, name := range FieldworkColumns {
		if got := b.Schema().Field(int(b0.NumCols()) + k).Name; got != name {
			t.Fatalf("fieldwork column %d: %s, want %s", k, got, name)
		}
	}
	ft := res.Fieldwork
	if len(ft.Fabricators) != 2*defaultFabricators {
		t.Fatalf("%d fabricators, want %d", len(ft.Fabricators), 2*defaultFabricators)
	}
	provs := map[string]bool{}
	total := 0
	for _, f := range ft.Fabricators {
		if provs[f.Province] {
			t.Errorf("two fabricators in %s", f.Province)
		}
		provs[f.Province] = true
		if f.Ballots < minFabricatorBallots || f.Fabricated != (f.Ballots+1)/2 && f.Fabricated != f.Ballots/2 {
			t.Errorf("%+v", f)
		}
		total += f.Fabricated
	}
	if len(ft.Fabricated) != total || !slices.IsSorted(ft.Fabricated) {
		t.Fatalf("%d fabricated ids, fabricators say %d", len(ft.Fabricated), total)
	}

	ids := col[*array.String](t, b, "ballot_id")
	coll := col[*array.String](t, b, "collector")
	kind := map[string]string{}
	for _, f := range ft.Fabricators {
		kind[f.Collector] = f.Kind
	}
	faulty := map[int]bool{}
	for _, f := range res.Faults {
		faulty[f.Row] = true
	}
	crit := make([][]int8, len(Criteria))
	crit0 := make([][]int8, len(Criteria))
	for c, name := range Criteria {
		crit[c] = col[*array.Int8](t, b, name).Int8Values()
		crit0[c] = col[*array.Int8](t, b0, name).Int8Values()
	}
	row := func(cr [][]int8, i int) []int8 {
		out := make([]int8, len(cr))
		for c := range cr {
			out[c] = cr[c][i]
		}
		return out
	}
	perCollector := map[string][]int{}
	for i := 0; i < int(b.NumRows()); i++ {
		perCollector[coll.Value(i)] = append(perCollector[coll.Value(i)], i)
	}
	for i := 0; i < int(b.NumRows()); i++ {
		fab := slices.Contains(ft.Fabricated, ids.Value(i))
		if !fab {
			if !slices.Equal(row(crit, i), row(crit0, i)) {
				t.Fatalf("ballot %s (not fabricated) differs from the run without fieldwork", ids.Value(i))
			}
			continue
		}
		if faulty[i] {
			continue
		}
		x := row(crit, i)
		switch kind[coll.Value(i)] {
		case "straightline":
			if slices.ContainsFunc(x, func(v int8) bool { return v != x[0] }) || (x[0] != 4 && x[0] != 5) {
				t.Errorf("straight-lined ballot %s: %v", ids.Value(i), x)
			}
		case "copy":
			// One of the collector's ballots agrees on 21 of 22 items.
			best := 0
			for _, j := range perCollector[coll.Value(i)] {
				if j == i {
					continue
				}
				same := 0
				for c, v := range row(crit, j) {
					if v == x[c] {
						same++
					}
				}
				best = max(best, same)
			}
			if best < len(Criteria)-1 {
				t.Errorf("copied ballot %s agrees with at most %d items of its collector's ballots", ids.Value(i), best)
			}
		default:
			t.Fatalf("ballot %s fabricated by %s, who is no fabricator", ids.Value(i), coll.Value(i))
		}
	}

	// The back-check: honest ballots agree, fabricated ones mostly not.
	var all []string
	for i := 0; i < int(b.NumRows()); i++ {
		all = append(all, ids.Value(i))
	}
	slices.Sort(all)
	all = slices.Compact(all)
	bc, err := res.Fieldwork.Backcheck(all, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Release()
	bc2, _ := res.Fieldwork.Backcheck(all, mem)
	defer bc2.Release()
	if !array.RecordEqual(bc, bc2) {
		t.Error("Backcheck is not deterministic")
	}
	gender := col[*array.String](t, b, "gender")
	bg, bf, brec := col[*array.String](t, bc, "gender"), col[*array.String](t, bc, "filled_by"), col[*array.Int8](t, bc, "received").Int8Values()
	firstRow := map[string]int{}
	for i := 0; i < int(b.NumRows()); i++ {
		if _, ok := firstRow[ids.Value(i)]; !ok {
			firstRow[ids.Value(i)] = i
		}
	}
	var honest, honestDiff, fab, fabDiff int
	for j, id := range all {
		i := firstRow[id]
		diff := bg.Value(j) != gender.Value(i) || bf.Value(j) != "respondent" || brec[j] != 1
		if slices.Contains(ft.Fabricated, id) {
			fab++
			if diff {
				fabDiff++
			}
		} else {
			honest++
			if diff {
				honestDiff++
			}
		}
	}
	if float64(honestDiff) > 0.06*float64(honest) || float64(fabDiff) < 0.8*float64(fab) {
		t.Errorf("back-check differs on %d of %d honest and %d of %d fabricated ballots", honestDiff, honest, fabDiff, fab)
	}
	if _, err := res.Fieldwork.Backcheck([]string{"nope"}, mem); err == nil {
		t.Error("unknown id: no error")
	}
}
