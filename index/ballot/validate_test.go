package ballot

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
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

func miniQ(t testing.TB) *index.Questionnaire {
	t.Helper()
	q, err := index.LoadQuestionnaire("../testdata/mini.json")
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// recordFromJSON builds a record batch from JSON rows.
func recordFromJSON(t testing.TB, mem memory.Allocator, fields []arrow.Field, rows string) arrow.RecordBatch {
	t.Helper()
	rec, _, err := array.RecordFromJSON(mem, arrow.NewSchema(fields, nil), strings.NewReader(rows))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

var miniFields = []arrow.Field{
	{Name: "ballot_id", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "province", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "a_1", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "a_2", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "b_1", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "x_1", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "weight", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}

const miniRows = `[
 {"ballot_id": "B1", "province": "Hà Nội", "a_1": 4, "a_2": 5, "b_1": 3, "x_1": 1, "weight": 1.5},
 {"ballot_id": "B2", "province": "ha noi", "a_1": 9, "a_2": null, "b_1": 1, "x_1": 0, "weight": 2},
 {"ballot_id": "B1", "province": "Huế", "a_1": 4, "a_2": 4, "b_1": 4, "x_1": 0, "weight": 1},
 {"ballot_id": null, "province": "Huế", "a_1": 4, "a_2": 4, "b_1": 4, "x_1": 0, "weight": 1},
 {"ballot_id": "  ", "province": "Huế", "a_1": 4, "a_2": 4, "b_1": 4, "x_1": 0, "weight": 1},
 {"ballot_id": "B6", "province": "", "a_1": 4, "a_2": 4, "b_1": 4, "x_1": null, "weight": 1},
 {"ballot_id": "B7", "province": "Atlantis", "a_1": 4, "a_2": 4, "b_1": 4, "x_1": 1, "weight": 1},
 {"ballot_id": "B8", "province": "Huế", "a_1": 7, "a_2": 4, "b_1": 6, "x_1": 1, "weight": 1},
 {"ballot_id": "B9", "province": "Huế", "a_1": 0, "a_2": 9, "b_1": null, "x_1": 1, "weight": 1},
 {"ballot_id": "B10", "province": "Huế", "a_1": 2, "a_2": 2, "b_1": 2, "x_1": 2, "weight": 1},
 {"ballot_id": "B11", "province": null, "a_1": -1, "a_2": 2, "b_1": 2, "x_1": 1, "weight": 1},
 {"ballot_id": "B8", "province": "Huế", "a_1": 5, "a_2": 5, "b_1": 5, "x_1": 0, "weight": 3}
]`

// fakeProvince canonicalises two spellings and rejects the rest with a
// matcher-like message.
func fakeProvince(raw string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "hà nội", "ha noi":
		return "Hà Nội", nil
	case "huế", "hue":
		return "Thừa Thiên Huế", nil
	}
	return "", fmt.Errorf("unknown province %q; closest: Hà Nội, Thừa Thiên Huế", raw)
}

func TestValidateBallots(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := recordFromJSON(t, mem, miniFields, miniRows)
	defer rec.Release()
	v, err := Validate(context.Background(), rec, &ValidateOptions{Questionnaire: miniQ(t), Province: fakeProvince, Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()

	type ex struct {
		row                  int
		id, reason, col, val string
	}
	want := []ex{
		{3, "B1", ReasonDuplicateID, "ballot_id", "1"},
		{4, "", ReasonMissingID, "ballot_id", ""},
		{5, "  ", ReasonMissingID, "ballot_id", ""},
		{6, "B6", ReasonMissingProvince, "province", ""},
		{7, "B7", ReasonUnknownProvince, "province", "Atlantis"},
		{8, "B8", ReasonInvalidCode, "a_1", "7"},
		{8, "B8", ReasonInvalidCode, "b_1", "6"},
		{9, "B9", ReasonAllMissing, "", ""},
		{10, "B10", ReasonInvalidCode, "x_1", "2"},
		{11, "B11", ReasonMissingProvince, "province", ""},
		{11, "B11", ReasonInvalidCode, "a_1", "-1"},
		{12, "B8", ReasonDuplicateID, "ballot_id", "8"},
	}
	var got []ex
	for _, e := range v.Exclusions {
		got = append(got, ex{e.Row, e.BallotID, e.Reason, e.Column, e.Value})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("exclusions:\n got %v\nwant %v", got, want)
	}
	if v.RowsIn != 12 || v.RowsUsed != 2 || v.RowsExcluded != 10 {
		t.Errorf("rows in/used/excluded = %d/%d/%d, want 12/2/10", v.RowsIn, v.RowsUsed, v.RowsExcluded)
	}
	wantBy := map[string]int{ReasonDuplicateID: 2, ReasonMissingID: 2, ReasonMissingProvince: 2, ReasonUnknownProvince: 1, ReasonInvalidCode: 2, ReasonAllMissing: 1}
	if !reflect.DeepEqual(v.ByReason, wantBy) {
		t.Errorf("ByReason = %v, want %v", v.ByReason, wantBy)
	}
	if v.Entries[ReasonInvalidCode] != 4 {
		t.Errorf("invalid code entries = %d, want 4", v.Entries[ReasonInvalidCode])
	}
	if !v.Reconciles() {
		t.Error("counts do not reconcile")
	}
	if !strings.Contains(v.Exclusions[4].Detail, "closest: Hà Nội") {
		t.Errorf("unknown province detail %q lacks the matcher's message", v.Exclusions[4].Detail)
	}
	if d := v.Exclusions[5].Detail; d != `code 7 in column "a_1" is outside 1..5 or a missing code (0, 9)` {
		t.Errorf("invalid code detail %q", d)
	}

	// The clean table: every column, same types, canonical provinces.
	c := v.Clean
	if !c.Schema().Equal(rec.Schema()) {
		t.Errorf("clean schema %v, want %v", c.Schema(), rec.Schema())
	}
	if c.NumRows() != 2 {
		t.Fatalf("clean rows %d", c.NumRows())
	}
	ids := c.Column(0).(*array.String)
	prov := c.Column(1).(*array.String)
	w := c.Column(6).(*array.Float64)
	if ids.Value(0) != "B1" || ids.Value(1) != "B2" || prov.Value(0) != "Hà Nội" || prov.Value(1) != "Hà Nội" ||
		w.Value(0) != 1.5 || w.Value(1) != 2 || !c.Column(3).IsNull(1) {
		t.Errorf("clean table wrong: %v", c)
	}

	// The exclusion table mirrors the list.
	x := v.Excluded
	if x.NumRows() != int64(len(want)) || x.NumCols() != 6 {
		t.Fatalf("excluded %dx%d", x.NumRows(), x.NumCols())
	}
	names := column.Names(x.Schema())
	if strings.Join(names, ",") != "row,ballot_id,reason,column,value,detail" {
		t.Errorf("excluded columns %v", names)
	}
	if x.Column(0).(*array.Int64).Value(11) != 12 || x.Column(4).(*array.String).Value(11) != "8" || !x.Column(1).IsNull(1) {
		t.Errorf("excluded table content wrong: %v", x)
	}
}

// Without a matcher, a province is only required to be non-blank, and the
// province column is untouched.
func TestValidateNoMatcher(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := recordFromJSON(t, mem, miniFields, miniRows)
	defer rec.Release()
	v, err := Validate(context.Background(), rec, &ValidateOptions{Questionnaire: miniQ(t), Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	if v.RowsUsed != 3 || v.ByReason[ReasonUnknownProvince] != 0 || !v.Reconciles() {
		t.Errorf("used %d, by reason %v", v.RowsUsed, v.ByReason)
	}
	if p := v.Clean.Column(1).(*array.String); p.Value(1) != "ha noi" || p.Value(2) != "Atlantis" {
		t.Errorf("province changed without a matcher: %v", p)
	}
}

func TestValidateMissingColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := recordFromJSON(t, mem, miniFields[2:4], `[{"a_1": 1, "a_2": 2}]`)
	defer rec.Release()
	_, err := Validate(context.Background(), rec, &ValidateOptions{Questionnaire: miniQ(t), RequireProvince: true, Mem: mem})
	var me *index.MissingColumnsError
	if !errors.As(err, &me) || !errors.Is(err, index.ErrMissingColumn) {
		t.Fatalf("got %v", err)
	}
	want := `ballots: missing required columns "ballot_id", "b_1", "province"; available columns are a_1, a_2`
	if err.Error() != want {
		t.Errorf("message\n got %s\nwant %s", err, want)
	}
}

// Columns of other types: int8 codes, float codes, text codes, unsigned and
// integer ballot ids.
func TestValidateColumnTypes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	fields := []arrow.Field{
		{Name: "ballot_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "a_1", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "a_2", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "b_1", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "x_1", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
	}
	rec := recordFromJSON(t, mem, fields, `[
	 {"ballot_id": 10, "a_1": 5, "a_2": 4.0, "b_1": " 3 ", "x_1": 1},
	 {"ballot_id": 11, "a_1": 5, "a_2": 4.5, "b_1": "x", "x_1": 18446744073709551615},
	 {"ballot_id": 10, "a_1": null, "a_2": null, "b_1": "", "x_1": 0},
	 {"ballot_id": null, "a_1": 6, "a_2": 1, "b_1": "5.0", "x_1": 0},
	 {"ballot_id": 14, "a_1": 9, "a_2": 0, "b_1": "99999999999999999999", "x_1": 0}
	]`)
	defer rec.Release()
	v, err := Validate(context.Background(), rec, &ValidateOptions{Questionnaire: miniQ(t), Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	var got []string
	for _, e := range v.Exclusions {
		got = append(got, fmt.Sprintf("%d %s %s %s %q", e.Row, e.BallotID, e.Reason, e.Column, e.Value))
	}
	want := []string{
		`2 11 invalid_code a_2 "4.5"`,
		`2 11 invalid_code b_1 "x"`,
		`2 11 invalid_code x_1 "18446744073709551615"`,
		`3 10 duplicate_ballot_id ballot_id "1"`,
		`3 10 all_criteria_missing  ""`,
		`4  missing_ballot_id ballot_id ""`,
		`4  invalid_code a_1 "6"`,
		`5 14 invalid_code b_1 "99999999999999999999"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("exclusions:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if v.RowsUsed != 1 || v.RowsExcluded != 4 || !v.Reconciles() {
		t.Errorf("used %d excluded %d", v.RowsUsed, v.RowsExcluded)
	}
	if !v.Clean.Schema().Equal(rec.Schema()) {
		t.Error("clean schema changed")
	}

	// A boolean criterion column is a type error naming the column.
	bf := []arrow.Field{{Name: "ballot_id", Type: arrow.BinaryTypes.String}, {Name: "a_1", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "a_2", Type: arrow.PrimitiveTypes.Int64}, {Name: "b_1", Type: arrow.PrimitiveTypes.Int64}}
	rb := recordFromJSON(t, mem, bf, `[{"ballot_id": "x", "a_1": true, "a_2": 1, "b_1": 1}]`)
	defer rb.Release()
	if _, err := Validate(context.Background(), rb, &ValidateOptions{Questionnaire: miniQ(t), Mem: mem}); !errors.Is(err, index.ErrColumnType) || !strings.Contains(err.Error(), `column "a_1"`) {
		t.Errorf("bool column: %v", err)
	}
}

func TestValidateEmpty(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := recordFromJSON(t, mem, miniFields, `[]`)
	defer rec.Release()
	v, err := Validate(context.Background(), rec, &ValidateOptions{Questionnaire: miniQ(t), Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	if v.RowsIn != 0 || v.Clean.NumRows() != 0 || v.Excluded.NumRows() != 0 || !v.Reconciles() {
		t.Errorf("empty input: %+v", v)
	}
}

// TestValidateProperty validates random ballots and compares with a direct,
// row-by-row restatement of the rules; counts must reconcile every time.
func TestValidateProperty(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	q := index.DefaultQuestionnaire()
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 60; iter++ {
		n := rng.IntN(200)
		rec, rows := randomBallots(rng, q, n, mem)
		v, err := Validate(context.Background(), rec, &ValidateOptions{Questionnaire: q, Province: fakeProvince, Mem: mem})
		if err != nil {
			t.Fatal(err)
		}
		if !v.Reconciles() || v.RowsIn != n {
			t.Fatalf("iter %d: counts do not reconcile: in %d used %d excluded %d by %v", iter, v.RowsIn, v.RowsUsed, v.RowsExcluded, v.ByReason)
		}
		// Oracle.
		seen := map[string]bool{}
		wantUsed := make([]bool, n)
		for i, r := range rows {
			ok := true
			id := strings.TrimSpace(r.id)
			if r.idNull || id == "" {
				ok = false
			} else if seen[id] {
				ok = false
			} else {
				seen[id] = true
			}
			if r.provNull || r.prov == "" {
				ok = false
			} else if _, err := fakeProvince(r.prov); err != nil {
				ok = false
			}
			nvalid := 0
			for _, c := range r.codes {
				switch {
				case c == nullCode:
				case c >= 1 && c <= 5:
					nvalid++
				case c == 0 || c == 9:
				default:
					ok = false
				}
			}
			if nvalid == 0 {
				ok = false
			}
			wantUsed[i] = ok
		}
		if !reflect.DeepEqual(v.Used, wantUsed) {
			t.Fatalf("iter %d: used rows differ from the oracle\n got %v\nwant %v", iter, v.Used, wantUsed)
		}
		// Every excluded row has an entry; no used row has one.
		has := make([]bool, n)
		for _, e := range v.Exclusions {
			has[e.Row-1] = true
		}
		for i := range has {
			if has[i] == v.Used[i] {
				t.Fatalf("iter %d row %d: used %v but has exclusion %v", iter, i+1, v.Used[i], has[i])
			}
		}
		// Clean ids are the used rows' ids in order.
		ids := v.Clean.Column(0).(*array.String)
		k := 0
		for i, u := range v.Used {
			if u {
				if ids.Value(k) != rows[i].id {
					t.Fatalf("iter %d: clean row %d id %q, want %q", iter, k, ids.Value(k), rows[i].id)
				}
				k++
			}
		}
		v.Release()
		rec.Release()
	}
}

// With every id hashing alike, duplicates are still told from distinct ids
// by comparing the ids themselves.
func TestValidateHashCollisions(t *testing.T) {
	defer func(h func(maphash.Seed, string) uint64) { idHash = h }(idHash)
	idHash = func(_ maphash.Seed, s string) uint64 { return uint64(len(s) % 2) }
	TestValidateProperty(t)
	TestValidateBallots(t)
}

const nullCode = -1000

type randRow struct {
	id       string
	idNull   bool
	prov     string
	provNull bool
	codes    []int64
}

func randomBallots(rng *rand.Rand, q *index.Questionnaire, n int, mem memory.Allocator) (arrow.RecordBatch, []randRow) {
	provs := []string{"Hà Nội", "ha noi", "Huế", "Atlantis", "", " "}
	codes := []int64{1, 2, 3, 4, 5, 4, 5, 3, 0, 9, 6, 7, -1, nullCode}
	fields := []arrow.Field{{Name: "ballot_id", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "province", Type: arrow.BinaryTypes.String, Nullable: true}}
	for _, c := range q.Columns() {
		fields = append(fields, arrow.Field{Name: c, Type: arrow.PrimitiveTypes.Int8, Nullable: true})
	}
	b := array.NewRecordBuilder(mem, arrow.NewSchema(fields, nil))
	defer b.Release()
	rows := make([]randRow, n)
	nq := len(q.Columns())
	for i := range rows {
		r := &rows[i]
		switch rng.IntN(20) {
		case 0:
			r.idNull = true
		case 1:
			r.id = ""
		default:
			r.id = "B" + strconv.Itoa(rng.IntN(n+n/4+1))
		}
		if rng.IntN(15) == 0 {
			r.provNull = true
		} else if rng.IntN(4) == 0 {
			r.prov = provs[rng.IntN(len(provs))]
		} else {
			r.prov = provs[rng.IntN(3)]
		}
		allMissing := rng.IntN(10) == 0
		r.codes = make([]int64, nq)
		for k := range r.codes {
			switch {
			case allMissing:
				r.codes[k] = []int64{0, 9, nullCode}[rng.IntN(3)]
			case rng.IntN(50) == 0:
				r.codes[k] = codes[rng.IntN(len(codes))]
			default:
				r.codes[k] = codes[rng.IntN(8)]
			}
		}
		if r.idNull {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.StringBuilder).Append(r.id)
		}
		if r.provNull {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(r.prov)
		}
		for k, c := range r.codes {
			if c == nullCode {
				b.Field(2 + k).AppendNull()
			} else {
				b.Field(2 + k).(*array.Int8Builder).Append(int8(c))
			}
		}
	}
	return b.NewRecordBatch(), rows
}
