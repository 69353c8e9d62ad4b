package ballot

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// recordTable builds a table with an int64 year column (null where year
// is 0) and, if reasons is not nil, the row and reason columns of an
// excluded table.
func recordTable(t *testing.T, mem memory.Allocator, years []int, rows []int64, reasons []string) arrow.RecordBatch {
	t.Helper()
	fields := []arrow.Field{{Name: "year", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}
	if reasons != nil {
		fields = []arrow.Field{{Name: "row", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "reason", Type: arrow.BinaryTypes.String}}
	}
	b := array.NewRecordBuilder(mem, arrow.NewSchema(fields, nil))
	defer b.Release()
	if reasons == nil {
		for _, y := range years {
			b.Field(0).(*array.Int64Builder).AppendValues([]int64{int64(y)}, []bool{y != 0})
		}
	} else {
		for i, r := range rows {
			b.Field(0).(*array.Int64Builder).AppendValues([]int64{r}, []bool{r != 0})
			b.Field(1).(*array.StringBuilder).Append(reasons[i])
		}
	}
	return b.NewRecordBatch()
}

// NewRecord counts each row once, under its year, excluded rows by their
// first reason in the order of Reasons; the JSON round-trips through
// schema metadata, keeping the other keys.
func TestRecordByYear(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rec := recordTable(t, mem, []int{2020, 2020, 2021, 2021, 2021, 0}, nil, nil)
	defer rec.Release()
	v := &Validation{Used: []bool{true, false, true, false, false, true}, Exclusions: []Exclusion{
		{Row: 2, Reason: ReasonInvalidCode}, {Row: 2, Reason: ReasonDuplicateID},
		{Row: 4, Reason: ReasonAllMissing}, {Row: 5, Reason: ReasonInvalidCode}, {Row: 5, Reason: ReasonInvalidCode}}}
	r := NewRecord(rec, v, "year", 1999)
	want := &Record{Version: 1, Years: []RecordYear{
		{Year: 0, RowsIn: 1, RowsUsed: 1, Excluded: []ReasonCount{}},
		{Year: 2020, RowsIn: 2, RowsUsed: 1, RowsExcluded: 1, Excluded: []ReasonCount{{ReasonDuplicateID, 1}}},
		{Year: 2021, RowsIn: 3, RowsUsed: 1, RowsExcluded: 2, Excluded: []ReasonCount{{ReasonInvalidCode, 1}, {ReasonAllMissing, 1}}},
	}}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("record %+v, want %+v", r, want)
	}
	md := r.SetIn(arrow.NewMetadata([]string{"other", MetadataKey}, []string{"x", "old"}))
	if md.Len() != 2 || md.Keys()[0] != "other" {
		t.Errorf("metadata keys %v", md.Keys())
	}
	back, err := RecordFrom(md)
	if err != nil || !reflect.DeepEqual(back, want) {
		t.Errorf("read back %+v (%v)", back, err)
	}
	if s, _ := md.GetValue(MetadataKey); !strings.Contains(s, `{"year":2020,"rows_in":2,"rows_used":1,"rows_excluded":1,"excluded":[{"reason":"duplicate_ballot_id","rows":1}]}`) {
		t.Errorf("JSON %s", s)
	}

	// no year column: every row is of the given year
	noYear := NewRecord(array.NewRecordBatch(arrow.NewSchema(nil, nil), nil, 6), v, "year", 2019)
	if len(noYear.Years) != 1 || noYear.Years[0].Year != 2019 || noYear.Years[0].RowsExcluded != 3 {
		t.Errorf("without a year column: %+v", noYear)
	}

	// For: the year's entry; a single unknown-year entry for a one-year table
	if y := want.For(2021, 3); y == nil || y.Year != 2021 {
		t.Errorf("For(2021) = %+v", y)
	}
	if y := want.For(2022, 3); y != nil {
		t.Errorf("For(2022) = %+v", y)
	}
	one := &Record{Version: 1, Years: []RecordYear{{RowsIn: 4}}}
	if y := one.For(2020, 1); y == nil || y.RowsIn != 4 {
		t.Errorf("single entry: %+v", y)
	}
	if y := one.For(2020, 2); y != nil {
		t.Errorf("single entry of a two-year table: %+v", y)
	}
}

func TestRecordFromErrors(t *testing.T) {
	if r, err := RecordFrom(arrow.Metadata{}); r != nil || err != nil {
		t.Errorf("no key: %v, %v", r, err)
	}
	for val, want := range map[string]string{`{"version":1,"years":[{`: "not valid JSON", `{"version":2,"years":[]}`: "has version 2"} {
		_, err := RecordFrom(arrow.NewMetadata([]string{MetadataKey}, []string{val}))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), MetadataKey) {
			t.Errorf("%s: %v, want %q naming the key", val, err, want)
		}
	}
}

// RecordOfExcluded counts an excluded table as NewRecord counts the
// validation; a bad table is an error naming the row.
func TestRecordOfExcluded(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	ex := recordTable(t, mem, nil, []int64{2, 2, 4, 5, 5}, []string{ReasonInvalidCode, ReasonDuplicateID, ReasonAllMissing, ReasonInvalidCode, ReasonInvalidCode})
	defer ex.Release()
	got, err := RecordOfExcluded(ex, 3, 2021)
	if err != nil {
		t.Fatal(err)
	}
	want := &RecordYear{Year: 2021, RowsIn: 6, RowsUsed: 3, RowsExcluded: 3,
		Excluded: []ReasonCount{{ReasonDuplicateID, 1}, {ReasonInvalidCode, 1}, {ReasonAllMissing, 1}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%+v, want %+v", got, want)
	}
	for _, c := range []struct {
		rows    []int64
		reasons []string
		want    string
	}{
		{[]int64{1, 0}, []string{ReasonAllMissing, ReasonAllMissing}, "row 2: the row column is empty"},
		{[]int64{1}, []string{"bogus"}, `row 1: unknown reason "bogus"`},
	} {
		bad := recordTable(t, mem, nil, c.rows, c.reasons)
		_, err := RecordOfExcluded(bad, 0, 0)
		bad.Release()
		if !errors.Is(err, ErrExcludedTable) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.reasons, err, c.want)
		}
	}
}
