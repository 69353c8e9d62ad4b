package ballot

import (
	"context"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestFirstReasons: by hand, a row's first reason is the earliest in
// Reasons() whatever the order of its entries, and unknown reasons are
// left out; on a validation, counting the first reasons gives ByReason.
func TestFirstReasons(t *testing.T) {
	got := FirstReasons([]Exclusion{
		{Row: 3, Reason: ReasonInvalidCode},
		{Row: 3, Reason: ReasonDuplicateID},
		{Row: 3, Reason: ReasonInvalidCode},
		{Row: 5, Reason: ReasonAllMissing},
		{Row: 7, Reason: "no_such_reason"},
		{Row: 9, Reason: ReasonMissingProvince},
		{Row: 9, Reason: "no_such_reason"},
	})
	want := map[int]string{3: ReasonDuplicateID, 5: ReasonAllMissing, 9: ReasonMissingProvince}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FirstReasons = %v, want %v", got, want)
	}

	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := recordFromJSON(t, mem, miniFields, miniRows)
	defer rec.Release()
	v, err := Validate(context.Background(), rec, &ValidateOptions{Questionnaire: miniQ(t), Province: fakeProvince, Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	first := FirstReasons(v.Exclusions)
	by := map[string]int{}
	for row, r := range first {
		if v.Used[row-1] {
			t.Errorf("row %d is used but has first reason %s", row, r)
		}
		by[r]++
	}
	if len(first) != v.RowsExcluded || !reflect.DeepEqual(by, v.ByReason) {
		t.Errorf("first reasons count %v (%d rows), ByReason %v (%d rows)", by, len(first), v.ByReason, v.RowsExcluded)
	}
}
