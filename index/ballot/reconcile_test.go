package ballot

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/internal/column"
)

func TestReconcile(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	f1 := []arrow.Field{
		{Name: "ballot_id", Type: arrow.BinaryTypes.String},
		{Name: "keyer", Type: arrow.BinaryTypes.String},
		{Name: "province", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "a_1", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "a_2", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "note", Type: arrow.BinaryTypes.String, Nullable: true},
	}
	// The second keying has a_2 as text (one cell was keyed "4x"), no note
	// column and an extra column.
	f2 := []arrow.Field{
		{Name: "ballot_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "a_2", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "a_1", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "province", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "keyer", Type: arrow.BinaryTypes.String},
		{Name: "entered_at", Type: arrow.BinaryTypes.String, Nullable: true},
	}
	first := recordFromJSON(t, mem, f1, `[
	 {"ballot_id": "1", "keyer": "An",  "province": "Hà Nội", "a_1": 4, "a_2": 5, "note": "x"},
	 {"ballot_id": "2", "keyer": "An",  "province": "Huế",    "a_1": 3, "a_2": null, "note": null},
	 {"ballot_id": "3", "keyer": "Bình","province": "Huế",    "a_1": 5, "a_2": 4, "note": null},
	 {"ballot_id": "4", "keyer": "Bình","province": "Huế",    "a_1": 1, "a_2": 1, "note": null}
	]`)
	defer first.Release()
	second := recordFromJSON(t, mem, f2, `[
	 {"ballot_id": 3, "a_2": "4x", "a_1": 5, "province": "Hue", "keyer": "Chi", "entered_at": null},
	 {"ballot_id": 1, "a_2": "5",  "a_1": 4, "province": "Hà Nội", "keyer": "Chi", "entered_at": null},
	 {"ballot_id": 2, "a_2": " ",  "a_1": 2, "province": "Huế", "keyer": "Dũng", "entered_at": null},
	 {"ballot_id": 5, "a_2": "1",  "a_1": 1, "province": "Huế", "keyer": "Dũng", "entered_at": null}
	]`)
	defer second.Release()

	r, err := Reconcile(first, second, "ballot_id", &ReconcileOptions{Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	// Matched: 1, 2, 3. Fields compared: province, a_1, a_2 (first's order).
	//   ballot 1: all agree (a_2 5 vs "5" compared as text).
	//   ballot 2: a_1 3 vs 2 differs; a_2 null vs " " agree (blank = null).
	//   ballot 3: province "Huế" vs "Hue" and a_2 4 vs "4x" differ.
	if r.Matched != 3 {
		t.Errorf("matched %d", r.Matched)
	}
	wantFields := []FieldAgreement{
		{"province", 3, 2, 2.0 / 3},
		{"a_1", 3, 2, 2.0 / 3},
		{"a_2", 3, 2, 2.0 / 3},
	}
	if !reflect.DeepEqual(r.Fields, wantFields) {
		t.Errorf("fields %+v", r.Fields)
	}
	if r.Compared != 9 || r.Agreed != 6 || r.Rate != 6.0/9 {
		t.Errorf("overall %d/%d %v", r.Agreed, r.Compared, r.Rate)
	}
	// Keyers: An keyed 1 and 2 (3+2 agreements of 6), Bình keyed 3 (1 of 3);
	// Chi keyed 3 and 1 (1+3 of 6), Dũng keyed 2 (2 of 3).
	wantKeyers := []KeyerAgreement{
		{1, "An", 2, 6, 5, 5.0 / 6},
		{1, "Bình", 1, 3, 1, 1.0 / 3},
		{2, "Chi", 2, 6, 4, 4.0 / 6},
		{2, "Dũng", 1, 3, 2, 2.0 / 3},
	}
	if !reflect.DeepEqual(r.Keyers, wantKeyers) {
		t.Errorf("keyers %+v", r.Keyers)
	}
	if !reflect.DeepEqual(r.OnlyFirst, []string{"4"}) || !reflect.DeepEqual(r.OnlySecond, []string{"5"}) {
		t.Errorf("one pass only: %v %v", r.OnlyFirst, r.OnlySecond)
	}
	if !reflect.DeepEqual(r.ColumnsOnlyFirst, []string{"note"}) || !reflect.DeepEqual(r.ColumnsOnlySecond, []string{"entered_at"}) {
		t.Errorf("columns in one pass only: %v %v", r.ColumnsOnlyFirst, r.ColumnsOnlySecond)
	}
	d := r.Discrepancies
	if got := strings.Join(column.Names(d.Schema()), ","); got != "ballot_id,column,first,second,first_row,second_row" {
		t.Errorf("discrepancy columns %s", got)
	}
	var rows []string
	for i := 0; i < int(d.NumRows()); i++ {
		rows = append(rows, fmt.Sprintf("%s %s %s %s %d %d", column.TextAt(d.Column(0), i), column.TextAt(d.Column(1), i),
			column.TextAt(d.Column(2), i), column.TextAt(d.Column(3), i), d.Column(4).(*array.Int64).Value(i), d.Column(5).(*array.Int64).Value(i)))
	}
	want := []string{"2 a_1 3 2 2 3", "3 province Huế Hue 3 1", "3 a_2 4 4x 3 1"}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("discrepancies\n got %q\nwant %q", rows, want)
	}
}

func TestReconcileIdentical(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := recordFromJSON(t, mem, miniFields, miniRows[:strings.Index(miniRows, `{"ballot_id": "B1", "province": "Huế"`)]+`{"ballot_id": "B3", "a_1": 1}]`)
	defer rec.Release()
	r, err := Reconcile(rec, rec, "ballot_id", &ReconcileOptions{Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	if r.Matched != 3 || r.Rate != 1 || r.Discrepancies.NumRows() != 0 || len(r.Fields) != 6 || len(r.Keyers) != 0 {
		t.Errorf("identical keyings: %+v", r)
	}
}

func TestReconcileErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	f := []arrow.Field{{Name: "ballot_id", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "a", Type: arrow.PrimitiveTypes.Int64}}
	ok := recordFromJSON(t, mem, f, `[{"ballot_id": "1", "a": 1}]`)
	defer ok.Release()
	dup := recordFromJSON(t, mem, f, `[{"ballot_id": "1", "a": 1}, {"ballot_id": "2", "a": 1}, {"ballot_id": " 1", "a": 2}]`)
	defer dup.Release()
	blank := recordFromJSON(t, mem, f, `[{"ballot_id": "1", "a": 1}, {"ballot_id": null, "a": 1}]`)
	defer blank.Release()
	nokey := recordFromJSON(t, mem, f[1:], `[{"a": 1}]`)
	defer nokey.Release()

	_, err := Reconcile(ok, dup, "ballot_id", nil)
	var ke *KeyError
	if !errors.As(err, &ke) || !errors.Is(err, ErrDuplicateKey) || ke.Pass != "second" || !reflect.DeepEqual(ke.Rows, []int{1, 3}) {
		t.Errorf("duplicate: %v", err)
	}
	_, err = Reconcile(blank, ok, "ballot_id", nil)
	if !errors.Is(err, ErrMissingKey) || !strings.Contains(err.Error(), "first keying: row 2") {
		t.Errorf("blank key: %v", err)
	}
	_, err = Reconcile(ok, nokey, "ballot_id", nil)
	if !errors.Is(err, index.ErrMissingColumn) || err.Error() != `second keying: missing required column "ballot_id"; available columns are a` {
		t.Errorf("no key column: %v", err)
	}
}

func TestReconcileEmptyRate(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	f := []arrow.Field{{Name: "k", Type: arrow.BinaryTypes.String}, {Name: "a", Type: arrow.PrimitiveTypes.Int64}}
	a := recordFromJSON(t, mem, f, `[{"k": "1", "a": 1}]`)
	defer a.Release()
	b := recordFromJSON(t, mem, f, `[{"k": "2", "a": 1}]`)
	defer b.Release()
	r, err := Reconcile(a, b, "k", &ReconcileOptions{Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	if r.Matched != 0 || !math.IsNaN(r.Rate) || !math.IsNaN(r.Fields[0].Rate) {
		t.Errorf("no overlap: %+v", r)
	}
}

// TestReconcileProperty keys random ballots twice, changing known cells in
// the second keying, dropping some ballots from each and shuffling the
// second; the discrepancies must be exactly the changed cells.
func TestReconcileProperty(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(3, 4))
	cols := []string{"a", "b", "c"}
	for iter := 0; iter < 40; iter++ {
		n := 1 + rng.IntN(80)
		type cell struct{ key, col string }
		changed := map[cell]bool{}
		b1 := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{
			{Name: "id", Type: arrow.BinaryTypes.String},
			{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			{Name: "b", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			{Name: "c", Type: arrow.BinaryTypes.String, Nullable: true},
		}, nil))
		b2 := array.NewRecordBuilder(mem, b1.Schema())
		perm := rng.Perm(n)
		inFirst, inSecond := 0, 0
		matched := 0
		for _, i := range perm {
			key := strconv.Itoa(1000 + i)
			vals := []int64{rng.Int64N(6), rng.Int64N(6), rng.Int64N(6)}
			drop := rng.IntN(10)
			for pass, b := range []*array.RecordBuilder{b1, b2} {
				if drop == pass { // 0: only in second, 1: only in first
					continue
				}
				b.Field(0).(*array.StringBuilder).Append(key)
				for k := range cols {
					v := vals[k]
					if pass == 1 && drop > 1 && rng.IntN(8) == 0 {
						v = (v + 1 + rng.Int64N(5)) % 6
						changed[cell{key, cols[k]}] = true
					}
					switch {
					case v == 0:
						b.Field(1 + k).AppendNull()
					case k == 2:
						b.Field(3).(*array.StringBuilder).Append(strconv.FormatInt(v, 10))
					default:
						b.Field(1 + k).(*array.Int64Builder).Append(v)
					}
				}
			}
			switch drop {
			case 0:
				inSecond++
			case 1:
				inFirst++
			default:
				matched++
			}
		}
		r1, r2 := b1.NewRecordBatch(), b2.NewRecordBatch()
		b1.Release()
		b2.Release()
		r, err := Reconcile(r1, r2, "id", &ReconcileOptions{Mem: mem})
		if err != nil {
			t.Fatal(err)
		}
		if r.Matched != matched || len(r.OnlyFirst) != inFirst || len(r.OnlySecond) != inSecond {
			t.Fatalf("iter %d: matched %d/%d, only first %d/%d, only second %d/%d", iter, r.Matched, matched, len(r.OnlyFirst), inFirst, len(r.OnlySecond), inSecond)
		}
		d := r.Discrepancies
		got := map[cell]bool{}
		for i := 0; i < int(d.NumRows()); i++ {
			got[cell{column.TextAt(d.Column(0), i), column.TextAt(d.Column(1), i)}] = true
		}
		if !reflect.DeepEqual(got, changed) {
			t.Fatalf("iter %d: discrepancies %v, changed %v", iter, got, changed)
		}
		if r.Compared != 3*matched || r.Compared-r.Agreed != len(changed) {
			t.Fatalf("iter %d: compared %d agreed %d, changed %d", iter, r.Compared, r.Agreed, len(changed))
		}
		r.Release()
		r1.Release()
		r2.Release()
	}
}

// TestReconcileSameTypeRaw: the raw-value comparisons of two Int8 and two
// Float64 columns (equalRaw) agree exactly where the values (or both nulls)
// agree. Counted by hand: k1 agrees on "1" and "3" (nulls), not on "2";
// x agrees on "1", not on "2" (2.5 vs 2.25) nor on "3" (null vs 1).
func TestReconcileSameTypeRaw(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	f := []arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String},
		{Name: "k1", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}
	a := recordFromJSON(t, mem, f, `[{"id": "1", "k1": 4, "x": 0.5}, {"id": "2", "k1": 5, "x": 2.5}, {"id": "3", "k1": null, "x": null}]`)
	defer a.Release()
	b := recordFromJSON(t, mem, f, `[{"id": "3", "k1": null, "x": 1}, {"id": "2", "k1": 3, "x": 2.25}, {"id": "1", "k1": 4, "x": 0.5}]`)
	defer b.Release()
	r, err := Reconcile(a, b, "id", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	want := []FieldAgreement{
		{Column: "k1", Compared: 3, Agreed: 2, Rate: 2.0 / 3},
		{Column: "x", Compared: 3, Agreed: 1, Rate: 1.0 / 3},
	}
	if !reflect.DeepEqual(r.Fields, want) {
		t.Errorf("fields %+v, want %+v", r.Fields, want)
	}
	if got := r.Discrepancies.NumRows(); got != 3 {
		t.Errorf("%d discrepancies, want 3", got)
	}
}
