package ballot

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gonum.org/v1/gonum/floats/scalar"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
)

// checkNum compares got with an R value ("NA" is NaN) at 1e-12 relative.
func checkNum(t *testing.T, what string, got float64, want string) {
	t.Helper()
	if w := golden.Float(t, want); !golden.Close(got, w, 1e-12) {
		t.Errorf("%s = %.17g, want %.17g (R)", what, got, w)
	}
}

func screenFixture(t *testing.T, opt *ScreenOptions, ropt ...arrowio.Option) *Screening {
	t.Helper()
	rec, err := arrowio.ReadAll("../../testdata/screen/ballots.csv", ropt...)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	s, err := Screen(context.Background(), rec, opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestScreenR checks every ballot and collector indicator against base R
// (testdata/screen.R: careless's longstring and irv, a brute-force percent
// match, quantile type 7, the z-scores) on hand-made ballots: all missing,
// one answer, fewer than half answered, exactly half, runs broken by missing
// codes, straight-lined with and without missing items, copies with a tie
// on the best match broken by the numerically smaller id, a duplicate, a
// collector alone, collectors whose other collectors agree exactly.
func TestScreenR(t *testing.T) {
	for _, workers := range []int{1, 2, 3} {
		s := screenFixture(t, &ScreenOptions{By: []string{"province"}, Collector: "collector", Workers: workers})
		want := golden.Rows(t, "../../testdata/screen/ballots_golden.csv")
		if len(s.Ballots) != len(want) {
			t.Fatalf("%d ballots, want %d", len(s.Ballots), len(want))
		}
		for i, w := range want {
			b := s.Ballots[i]
			id := "ballot " + b.ID
			if b.ID != w["ballot_id"] {
				t.Fatalf("row %d: id %s, want %s", i, b.ID, w["ballot_id"])
			}
			if strconv.Itoa(b.Answered) != w["answered"] || strconv.Itoa(b.Longstring) != w["longstring"] {
				t.Errorf("%s: answered %d longstring %d, want %s %s", id, b.Answered, b.Longstring, w["answered"], w["longstring"])
			}
			checkNum(t, id+" nonresponse", b.Nonresponse, w["nonresponse"])
			checkNum(t, id+" irv", b.IRV, w["irv"])
			checkNum(t, id+" max_match", b.MaxMatch, w["max_match"])
			checkNum(t, id+" match_ref", s.Groups[b.Group].MatchRef, w["match_ref"])
			mid := b.MatchID
			if mid == "" {
				mid = "NA"
			}
			if mid != w["match_id"] {
				t.Errorf("%s: match_id %s, want %s", id, mid, w["match_id"])
			}
			flags := []struct {
				got  bool
				name string
			}{{b.Straightline, "straightline"}, {b.FlagMatch, "flag_match"}, {b.FlagDuplicate, "flag_duplicate"}}
			for _, f := range flags {
				if (f.got && w[f.name] != "1") || (!f.got && w[f.name] != "0") {
					t.Errorf("%s: %s %v, want %s", id, f.name, f.got, w[f.name])
				}
			}
		}
		wc := golden.Rows(t, "../../testdata/screen/collectors_golden.csv")
		if len(s.Collectors) != len(wc) {
			t.Fatalf("%d collectors, want %d", len(s.Collectors), len(wc))
		}
		for i, w := range wc {
			c := s.Collectors[i]
			name := "province " + s.Groups[c.Group].Key[0] + " collector " + c.Collector
			if s.Groups[c.Group].Key[0] != w["province"] || c.Collector != w["collector"] || strconv.Itoa(c.Rank) != w["rank"] {
				t.Fatalf("collector row %d: %s rank %d, want province %s collector %s rank %s", i, name, c.Rank, w["province"], w["collector"], w["rank"])
			}
			if strconv.Itoa(c.Ballots) != w["ballots"] || strconv.Itoa(c.Risk) != w["risk"] {
				t.Errorf("%s: ballots %d risk %d, want %s %s", name, c.Ballots, c.Risk, w["ballots"], w["risk"])
			}
			for ind := Indicator(0); ind < NumIndicators; ind++ {
				checkNum(t, name+" "+ind.String(), c.Value[ind], w[ind.String()])
				checkNum(t, name+" z_"+ind.String(), c.Z[ind], w["z_"+ind.String()])
			}
			checkNum(t, name+" risk_sum", c.RiskSum, w["risk_sum"])
		}
	}
}

// TestScreenGroupsAndNoCollector: without a collector there is no chance
// reference and no collector table, and the flags use the fixed threshold.
// Without groups every ballot is compared with every other.
func TestScreenGroupsAndNoCollector(t *testing.T) {
	s := screenFixture(t, &ScreenOptions{})
	if len(s.Groups) != 1 || len(s.Collectors) != 0 || !math.IsNaN(s.Groups[0].MatchRef) {
		t.Fatalf("groups %+v, collectors %d", s.Groups, len(s.Collectors))
	}
	for _, b := range s.Ballots {
		if b.FlagMatch != (b.MaxMatch >= DefaultMatch) {
			t.Errorf("ballot %s: flag_match %v with max_match %v", b.ID, b.FlagMatch, b.MaxMatch)
		}
	}
	g := screenFixture(t, &ScreenOptions{By: []string{"province"}})
	// Provinces are numbers, ordered as numbers (1 before 2 although 2
	// comes first in the file).
	if len(g.Groups) != 2 || g.Groups[0].Key[0] != "1" || g.Groups[1].Key[0] != "2" || g.Groups[0].Ballots != 36 || g.Groups[1].Ballots != 14 {
		t.Fatalf("groups %+v", g.Groups)
	}
	// Nationally a ballot's best match is at least its best in its province.
	for i, b := range s.Ballots {
		if pb := g.Ballots[i]; !math.IsNaN(pb.MaxMatch) && !(b.MaxMatch >= pb.MaxMatch) {
			t.Errorf("ballot %s: national max %v < provincial %v", b.ID, b.MaxMatch, pb.MaxMatch)
		}
	}
}

// TestScreenTextKeys: ids and provinces read as text that hold numbers
// are ordered as numbers, so the result is the same as with integer
// columns (the tie on ballot 9's best match goes to "10", not "11").
func TestScreenTextKeys(t *testing.T) {
	opt := &ScreenOptions{By: []string{"province"}, Collector: "collector"}
	num := screenFixture(t, opt)
	text := screenFixture(t, opt, arrowio.WithTypes(map[string]arrow.DataType{"ballot_id": arrow.BinaryTypes.String, "province": arrow.BinaryTypes.String}))
	if fmt.Sprint(num) != fmt.Sprint(text) {
		t.Error("text ids and provinces give another result than integer ones")
	}
	k := keyColumn{s: []string{"b", "10", "9", "007", "7", "a"}, num: []int64{0, 10, 9, 7, 7, 0}, isNum: []bool{false, true, true, true, true, false}}
	idx := []int{0, 1, 2, 3, 4, 5}
	slices.SortFunc(idx, k.compare)
	if got := fmt.Sprint(idx); got != "[3 4 2 1 5 0]" { // 007, 7, 9, 10, a, b
		t.Errorf("order %s", got)
	}
}

// TestQuantile7 compares with R 4.x quantile(x, p, type = 7).
func TestQuantile7(t *testing.T) {
	x := []float64{0.2, 0.5, 0.5, 0.61, 0.7, 0.9, 1}
	for _, c := range []struct{ p, want float64 }{
		// R: quantile(c(0.2,0.5,0.5,0.61,0.7,0.9,1), c(0, .1, .25, .5, .99, 1), type = 7)
		{0, 0.2}, {0.1, 0.38}, {0.25, 0.5}, {0.5, 0.61}, {0.99, 0.994}, {1, 1},
	} {
		if got := Quantile7(x, c.p); !scalar.EqualWithinAbsOrRel(got, c.want, 1e-15, 1e-12) {
			t.Errorf("Quantile7(%v) = %.17g, want %v", c.p, got, c.want)
		}
	}
	if got := Quantile7([]float64{0.3}, 0.99); got != 0.3 {
		t.Errorf("one value: %v", got)
	}
	if !math.IsNaN(Quantile7(nil, 0.99)) {
		t.Error("no value: want NaN")
	}
}

// TestZOthers works the z-score rules by hand.
func TestZOthers(t *testing.T) {
	cases := []struct {
		v      float64
		others []float64
		want   float64
	}{
		// mean 2, sample sd 1: (4−2)/1.
		{4, []float64{1, 2, 3}, 2},
		// Others equal and v equal to them.
		{0.1, []float64{0.1, 0.1, 0.1}, 0},
		// Others equal, v apart: sd of {0,0,0,1} = 0.5, (1−0)/0.5 = 2 = √4.
		{1, []float64{0, 0, 0}, 2},
		{-3, []float64{0, 0, 0, 0, 0, 0, 0, 0}, -3},
		// Fewer than two others, or v undefined.
		{1, []float64{2}, math.NaN()},
		{math.NaN(), []float64{1, 2}, math.NaN()},
	}
	for _, c := range cases {
		got := zOthers(c.v, append([]float64(nil), c.others...))
		if !(math.IsNaN(c.want) && math.IsNaN(got)) && !scalar.EqualWithinAbsOrRel(got, c.want, 1e-15, 1e-12) {
			t.Errorf("zOthers(%v, %v) = %v, want %v", c.v, c.others, got, c.want)
		}
	}
}

// TestRankTies: with equal risk and risk sum, collectors rank by name.
func TestRankTies(t *testing.T) {
	// Four collectors, two ballots each, identical pairs of ballots: every
	// indicator equal, every z 0.
	b1 := []int64{4, 4, 3, 5, 2}
	b2 := []int64{1, 2, 3, 4, 5}
	var ids []int64
	var coll []string
	cols := make([][]int64, 5)
	for i, c := range []string{"d", "b", "a", "c"} {
		for j, b := range [][]int64{b1, b2} {
			ids = append(ids, int64(10*i+j))
			coll = append(coll, c)
			for k := range cols {
				cols[k] = append(cols[k], b[k])
			}
		}
	}
	rec := makeRecord(t, ids, coll, cols)
	defer rec.Release()
	s, err := Screen(context.Background(), rec, &ScreenOptions{Items: []string{"q1", "q2", "q3", "q4", "q5"}, Collector: "collector"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range s.Collectors {
		got = append(got, c.Collector+strconv.Itoa(c.Rank))
		if c.Risk != 0 || c.RiskSum != 0 {
			t.Errorf("collector %s: risk %d sum %v", c.Collector, c.Risk, c.RiskSum)
		}
	}
	if strings.Join(got, " ") != "a1 b2 c3 d4" {
		t.Errorf("ranks %v", got)
	}
	// Every ballot has an exact duplicate from another collector.
	for _, b := range s.Ballots {
		if !b.FlagDuplicate || b.MaxMatch != 1 || !b.FlagMatch {
			t.Errorf("ballot %s: %+v", b.ID, b)
		}
	}
}

// makeRecord builds ballots with int64 ids, a collector and items q1..qK.
func makeRecord(t *testing.T, ids []int64, coll []string, cols [][]int64) arrow.RecordBatch {
	t.Helper()
	mem := memory.NewGoAllocator()
	fields := []arrow.Field{{Name: "ballot_id", Type: arrow.PrimitiveTypes.Int64}, {Name: "collector", Type: arrow.BinaryTypes.String}}
	ib := array.NewInt64Builder(mem)
	ib.AppendValues(ids, nil)
	cb := array.NewStringBuilder(mem)
	cb.AppendValues(coll, nil)
	arrs := []arrow.Array{ib.NewArray(), cb.NewArray()}
	for k, c := range cols {
		fields = append(fields, arrow.Field{Name: "q" + strconv.Itoa(k+1), Type: arrow.PrimitiveTypes.Int64, Nullable: true})
		b := array.NewInt64Builder(mem)
		for _, v := range c {
			if v < 0 {
				b.AppendNull()
			} else {
				b.Append(v)
			}
		}
		arrs = append(arrs, b.NewArray())
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(len(ids)))
	for _, a := range arrs {
		a.Release()
	}
	return rec
}

// TestScreenErrors: bad input names the column (and rows or ids).
func TestScreenErrors(t *testing.T) {
	ctx := context.Background()
	items := []string{"q1", "q2"}
	rec := makeRecord(t, []int64{1, 2, 1}, []string{"a", "", "b"}, [][]int64{{1, 2, 3}, {4, 7, 5}})
	defer rec.Release()
	_, err := Screen(ctx, rec, &ScreenOptions{Items: items})
	var de *DataError
	if !errors.As(err, &de) || de.Column != "ballot_id" || !strings.Contains(err.Error(), `"1"`) || !strings.Contains(err.Error(), "rows 1, 3") {
		t.Errorf("duplicate id: %v", err)
	}
	rec2 := makeRecord(t, []int64{1, 2, 3}, []string{"a", "", "b"}, [][]int64{{1, 2, 3}, {4, 7, 5}})
	defer rec2.Release()
	if _, err := Screen(ctx, rec2, &ScreenOptions{Items: items, Collector: "collector"}); !errors.As(err, &de) || de.Column != "collector" || !strings.Contains(err.Error(), "row 2") {
		t.Errorf("empty collector: %v", err)
	}
	var ic *index.InvalidCodeError
	if _, err := Screen(ctx, rec2, &ScreenOptions{Items: items}); !errors.As(err, &ic) || ic.Column != "q2" || ic.Row != 2 || ic.Value != "7" {
		t.Errorf("invalid code: %v", err)
	}
	var me *index.MissingColumnsError
	if _, err := Screen(ctx, rec2, &ScreenOptions{Items: []string{"q1", "q9"}, By: []string{"province"}}); !errors.As(err, &me) || strings.Join(me.Missing, ",") != "province,q9" {
		t.Errorf("missing columns: %v", err)
	}
	if _, err := Screen(ctx, rec2, &ScreenOptions{Items: []string{"q1", "q1"}}); err == nil || !strings.Contains(err.Error(), `"q1"`) {
		t.Errorf("item twice: %v", err)
	}
	if _, err := Screen(ctx, rec2, &ScreenOptions{Items: items, Match: 1.5}); err == nil {
		t.Error("match 1.5: no error")
	}
}
