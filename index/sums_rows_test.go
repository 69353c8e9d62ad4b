package index

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/catcode"
	"github.com/sipas-go/sipas/sampling"
)

// TestSumsExpectationsEqualCodes: the expectation codes Sums.Add reads
// from int8 columns into its buffers, branch-free, are expectationCodes'
// (0 or 1, 0 for a null or a declared missing code, noAnswer in every
// item of a ballot that answered none), on columns with and without
// nulls, sliced at an offset that is no multiple of 8, batch after batch
// (the buffers reused); an invalid code gives expectationCodes' error.
func TestSumsExpectationsEqualCodes(t *testing.T) {
	q := DefaultQuestionnaire()
	if len(q.Missing) == 0 {
		t.Fatal("the default questionnaire declares no missing code")
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(3, 4))
	batch := func(n int, nulls bool, bad int) arrow.RecordBatch {
		var fields []arrow.Field
		var cols []arrow.Array
		for k, ex := range q.Expectations {
			b := array.NewInt8Builder(mem)
			for i := 0; i < n+5; i++ {
				switch r := rng.IntN(10); {
				case nulls && (r == 0 || k%3 == 0 && r < 6):
					b.AppendNull()
				case r == 1:
					b.Append(int8(q.Missing[rng.IntN(len(q.Missing))]))
				case i == bad+5 && k == 2:
					b.Append(3)
				default:
					b.Append(int8(rng.IntN(2)))
				}
			}
			a := b.NewArray()
			b.Release()
			cols = append(cols, array.NewSlice(a, 5, int64(n+5)))
			a.Release()
			fields = append(fields, arrow.Field{Name: ex.Column, Type: arrow.PrimitiveTypes.Int8, Nullable: true})
		}
		rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(n))
		for _, c := range cols {
			c.Release()
		}
		return rec
	}
	s := &Sums{q: q}
	for _, c := range []struct {
		n     int
		nulls bool
	}{{1000, true}, {77, false}, {1003, false}, {500, true}} {
		rec := batch(c.n, c.nulls, -1)
		got, err := s.expectations(rec, 40)
		if err != nil {
			t.Fatal(err)
		}
		want, err := expectationCodes(q, rec, 40)
		if err != nil {
			t.Fatal(err)
		}
		for k := range want {
			if !slices.Equal(got[k], want[k]) {
				for i := range want[k] {
					if got[k][i] != want[k][i] {
						t.Fatalf("%d rows, nulls %v, item %d, row %d: %d, want %d", c.n, c.nulls, k, i, got[k][i], want[k][i])
					}
				}
				t.Fatalf("%d rows, nulls %v, item %d: %d codes, want %d", c.n, c.nulls, k, len(got[k]), len(want[k]))
			}
		}
		rec.Release()
	}
	rec := batch(300, true, 200)
	defer rec.Release()
	_, err := s.expectations(rec, 40)
	_, want := expectationCodes(q, rec, 40)
	if err == nil || want == nil || err.Error() != want.Error() {
		t.Errorf("invalid code: %v, want %v", err, want)
	}
}

// TestSumsDictCodes: the key codes of dictionary batches name each row's
// value, whether the next batch brings the same dictionary, another of the
// same byte length, or one with values in another order, as the codes of
// the same rows as plain text do.
func TestSumsDictCodes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	k := &sumsKey{name: "psu", role: "PSU", index: map[string]int32{}, findex: map[uint64]int32{}}
	plain := &sumsKey{name: "psu", role: "PSU", index: map[string]int32{}, findex: map[uint64]int32{}}
	for _, vals := range [][]string{
		{"ab", "cd", "ab", "ab", "cd"},
		{"ab", "cd", "cd", "ab"},
		{"cd", "ab", "ab"},  // the dictionary in the other order
		{"xy", "ab", "xy"},  // another value, same byte length
		{"xy", "abc", "ab"}, // longer
	} {
		db := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}).(*array.BinaryDictionaryBuilder)
		sb := array.NewStringBuilder(mem)
		for _, v := range vals {
			if err := db.AppendString(v); err != nil {
				t.Fatal(err)
			}
			sb.Append(v)
		}
		d, s := db.NewArray(), sb.NewArray()
		db.Release()
		sb.Release()
		got, ok := k.dictCodes(d)
		if !ok {
			t.Fatal("a dictionary without nulls was not coded")
		}
		cd, err := catcode.Code(s, catcode.NullMissing)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if k.levels[got[i]] != v || cd.Levels[cd.Codes[i]] != v {
				t.Errorf("%v row %d: %q (plain %q), want %q", vals, i, k.levels[got[i]], cd.Levels[cd.Codes[i]], v)
			}
		}
		if _, ok := plain.dictCodes(s); ok {
			t.Error("plain text coded as a dictionary")
		}
		d.Release()
		s.Release()
	}
}

// TestSumsAllowedAll: the check of a criterion's codes eight at a time
// agrees with the code table on every code, at every place, whatever the
// length.
func TestSumsAllowedAll(t *testing.T) {
	s, err := NewSums(nil, &sampling.DesignOptions{PSU: "psu"}, nil, arrow.NewSchema([]arrow.Field{{Name: "psu", Type: arrow.BinaryTypes.String}}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if s.allowedRanges == nil {
		t.Fatal("the default questionnaire's codes are not ranges")
	}
	ok := []int8{}
	for c := -128; c < 128; c++ {
		if s.allowed[uint8(int8(c))] == 1 {
			ok = append(ok, int8(c))
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for c := -128; c < 128; c++ {
		for _, n := range []int{1, 8, 13, 64, 67} {
			v := make([]int8, n)
			for i := range v {
				v[i] = ok[rng.IntN(len(ok))]
			}
			if !s.allowedAll(v) {
				t.Fatalf("allowed codes %v refused", v)
			}
			at := rng.IntN(n)
			v[at] = int8(c)
			if got, want := s.allowedAll(v), s.allowed[uint8(int8(c))] == 1; got != want {
				t.Errorf("code %d at %d of %d: allowed %v, want %v", c, at, n, got, want)
			}
		}
	}
}
