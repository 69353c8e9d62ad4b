package catcode

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// decode returns the level of every row ("<null>" for −1).
func decode(c Coded) []string {
	out := make([]string, len(c.Codes))
	for i, k := range c.Codes {
		if k < 0 {
			out[i] = "<null>"
		} else {
			out[i] = c.Levels[k]
		}
	}
	return out
}

func TestCodeKinds(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	valid := []bool{true, true, false, true, true, true}
	build := func(b array.Builder) arrow.Array { defer b.Release(); return b.NewArray() }

	sb := array.NewStringBuilder(mem)
	sb.AppendValues([]string{"b", "a", "", "Z", "b", "ä"}, valid)
	ib := array.NewInt16Builder(mem)
	ib.AppendValues([]int16{10, -2, 0, 9, 10, 300}, valid)
	ub := array.NewUint64Builder(mem)
	ub.AppendValues([]uint64{math.MaxUint64, 1, 0, 1 << 63, math.MaxUint64, 7}, valid)
	fb := array.NewFloat64Builder(mem)
	fb.AppendValues([]float64{2.5, math.NaN(), 0, -1, 2.5, 10}, valid)
	bb := array.NewBooleanBuilder(mem)
	bb.AppendValues([]bool{true, false, false, true, true, false}, valid)
	// dictionary: unused entry "x", duplicate entry "b", null entry
	dictVals := array.NewStringBuilder(mem)
	dictVals.AppendValues([]string{"x", "b", "a", "b", ""}, []bool{true, true, true, true, false})
	dv := build(dictVals)
	defer dv.Release()
	idb := array.NewInt8Builder(mem)
	idb.AppendValues([]int8{1, 2, 0, 4, 3, 2}, []bool{true, true, false, true, true, true})
	di := build(idb)
	defer di.Release()
	dict := array.NewDictionaryArray(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}, di, dv)
	cols := []arrow.Array{build(sb), build(ib), build(ub), build(fb), build(bb), dict}
	for _, c := range cols {
		defer c.Release()
	}
	cases := []struct {
		levels string
		rows   string
	}{
		{"Z|a|b|ä", "b|a|<null>|Z|b|ä"},          // byte order: "Z" < "a" < "ä"
		{"-2|9|10|300", "10|-2|<null>|9|10|300"}, // numeric, not "10" < "9"
		{"1|7|9223372036854775808|18446744073709551615", "18446744073709551615|1|<null>|9223372036854775808|18446744073709551615|7"},
		{"-1|2.5|10|NaN", "2.5|NaN|<null>|-1|2.5|10"},
		{"false|true", "true|false|<null>|true|true|false"},
		{"a|b", "b|a|<null>|<null>|b|a"}, // "x" unused, null entry is null
	}
	for k, c := range cols {
		got, err := Code(c, NullMissing)
		if err != nil {
			t.Fatal(err)
		}
		if l, r := strings.Join(got.Levels, "|"), strings.Join(decode(got), "|"); l != cases[k].levels || r != cases[k].rows {
			t.Errorf("%s: levels %s rows %s, want %s and %s", c.DataType(), l, r, cases[k].levels, cases[k].rows)
		}
		got, err = Code(c, NullLevel)
		if err != nil || got.Levels[len(got.Levels)-1] != "" || got.Codes[2] != int32(len(got.Levels)-1) {
			t.Errorf("%s NullLevel: %v %v", c.DataType(), got, err)
		}
		var ne *NullError
		if _, err := Code(c, NullFail); !errors.As(err, &ne) || ne.Rows[0] != 3 {
			t.Errorf("%s NullFail: %v", c.DataType(), err)
		}
	}
	var ne *NullError
	if _, err := Code(dict, NullFail); !errors.As(err, &ne) || !slices.Equal(ne.Rows, []int{3, 4}) || ne.Error() != "missing values at 2 rows, the first at row 3" {
		t.Errorf("dictionary null entry: %v", err)
	}
	lb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int8)
	lst := build(lb)
	defer lst.Release()
	if _, err := Code(lst, NullMissing); !errors.Is(err, ErrType) || !strings.Contains(err.Error(), "list") {
		t.Errorf("list column: %v", err)
	}
}

// The codes follow the sorted values, whatever the row order and whatever
// the path (integer table or map, string map, dictionary): checked against
// a sort of the distinct values, on shuffled rows.
func TestCodeSortedAnyOrder(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, spread := range []int64{50, 1 << 40} { // table and map paths
		n := 3000
		vals := make([]int64, n)
		for i := range vals {
			vals[i] = (rng.Int64N(40) - 20) * spread
		}
		ib := array.NewInt64Builder(mem)
		ib.AppendValues(vals, nil)
		ia := ib.NewArray()
		ib.Release()
		sb := array.NewStringBuilder(mem)
		db := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Uint16, ValueType: arrow.BinaryTypes.String}).(*array.BinaryDictionaryBuilder)
		for _, v := range vals {
			s := fmt.Sprint(v)
			sb.Append(s)
			db.AppendString(s)
		}
		sa, da := sb.NewArray(), db.NewArray()
		sb.Release()
		db.Release()

		distinct := slices.Compact(slices.Sorted(slices.Values(vals)))
		var wantNum, wantText []string
		for _, v := range distinct {
			wantNum = append(wantNum, fmt.Sprint(v))
		}
		wantText = slices.Sorted(slices.Values(wantNum))
		for _, tc := range []struct {
			a    arrow.Array
			want []string
		}{{ia, wantNum}, {sa, wantText}, {da, wantText}} {
			got, err := Code(tc.a, NullFail)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Levels, tc.want) {
				t.Errorf("%s spread %d: levels %v, want %v", tc.a.DataType(), spread, got.Levels, tc.want)
			}
			for i, v := range vals {
				if got.Levels[got.Codes[i]] != fmt.Sprint(v) {
					t.Fatalf("%s row %d: %s, want %d", tc.a.DataType(), i, got.Levels[got.Codes[i]], v)
				}
			}
		}
		ia.Release()
		sa.Release()
		da.Release()
	}
}

// Combine: the combinations that occur, in lexicographic order of the
// codes, on both paths (table and map), against a sort of the observed
// pairs.
func TestCombine(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, L := range []int32{4, 100_000} {
		n := 5000
		a, b, c := make([]int32, n), make([]int32, n), make([]int32, n)
		for i := range a {
			a[i], b[i], c[i] = rng.Int32N(L), rng.Int32N(L), rng.Int32N(3)
			if rng.IntN(20) == 0 {
				b[i] = -1
			}
		}
		type tri [3]int32
		var want []tri
		for i := range a {
			if b[i] >= 0 {
				want = append(want, tri{a[i], b[i], c[i]})
			}
		}
		slices.SortFunc(want, func(x, y tri) int { return slices.Compare(x[:], y[:]) })
		want = slices.Compact(want)
		got, first := Combine(a, b, c)
		if len(first) != len(want) {
			t.Fatalf("L %d: %d combinations, want %d", L, len(first), len(want))
		}
		for g, i := range first {
			if (tri{a[i], b[i], c[i]}) != want[g] {
				t.Fatalf("L %d: combination %d is %v, want %v", L, g, tri{a[i], b[i], c[i]}, want[g])
			}
		}
		for i := range a {
			if b[i] < 0 {
				if got[i] != -1 {
					t.Fatalf("row %d with a null: %d", i, got[i])
				}
				continue
			}
			f := first[got[i]]
			if a[f] != a[i] || b[f] != b[i] || c[f] != c[i] {
				t.Fatalf("row %d coded %d", i, got[i])
			}
		}
	}
	if got, first := Combine([]int32{2, 0, 2}); !slices.Equal(got, []int32{1, 0, 1}) || !slices.Equal(first, []int32{1, 0}) {
		t.Errorf("one column: %v %v", got, first)
	}
}
