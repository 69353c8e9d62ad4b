package index

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// yearTable builds a table of an id column 0..n-1 and a text year column.
func yearTable(t *testing.T, years []string, null []bool) arrow.RecordBatch {
	t.Helper()
	ib := array.NewInt64Builder(memory.DefaultAllocator)
	sb := array.NewStringBuilder(memory.DefaultAllocator)
	defer ib.Release()
	defer sb.Release()
	for i, y := range years {
		ib.Append(int64(i))
		if null != nil && null[i] {
			sb.AppendNull()
		} else {
			sb.Append(y)
		}
	}
	id, yr := ib.NewArray(), sb.NewArray()
	defer id.Release()
	defer yr.Release()
	s := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "year", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	return array.NewRecordBatch(s, []arrow.Array{id, yr}, int64(len(years)))
}

// TestSplitYears: years come in increasing order, each with its rows in
// their original order, every row in exactly one part.
func TestSplitYears(t *testing.T) {
	rec := yearTable(t, []string{"2024", "2023", " 2024 ", "2025", "2023", "2024"}, nil)
	defer rec.Release()
	parts, err := SplitYears(rec, "year")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, p := range parts {
			p.Ballots.Release()
		}
	}()
	want := map[int][]int64{2023: {1, 4}, 2024: {0, 2, 5}, 2025: {3}}
	var got []int
	for _, p := range parts {
		got = append(got, p.Year)
		ids := p.Ballots.Column(0).(*array.Int64).Int64Values()
		if !slices.Equal(ids, want[p.Year]) {
			t.Errorf("year %d: rows %v, want %v", p.Year, ids, want[p.Year])
		}
	}
	if !slices.Equal(got, []int{2023, 2024, 2025}) {
		t.Errorf("years %v", got)
	}
	// one year: the table itself
	one := yearTable(t, []string{"2022", "2022"}, nil)
	defer one.Release()
	p1, err := SplitYears(one, "year")
	if err != nil || len(p1) != 1 || p1[0].Year != 2022 || p1[0].Ballots.NumRows() != 2 {
		t.Fatalf("one year: %v %v", p1, err)
	}
	p1[0].Ballots.Release()
}

// TestSplitYearsErrors: each bad table names the row and the column.
func TestSplitYearsErrors(t *testing.T) {
	rec := yearTable(t, []string{"2024"}, nil)
	defer rec.Release()
	if _, err := SplitYears(rec, "nam"); !errors.Is(err, ErrMissingColumn) || !strings.Contains(err.Error(), `"nam"`) {
		t.Errorf("missing column: %v", err)
	}
	for _, c := range []struct {
		years []string
		null  []bool
		want  string
	}{
		{[]string{"2024", "2024"}, []bool{false, true}, "row 2"},
		{[]string{"2024", "hai nghìn"}, nil, `row 2: "hai nghìn"`},
		{[]string{"2024", "2024", "24"}, nil, "row 3: year 24"},
		{[]string{"2024.5"}, nil, "row 1"},
	} {
		r := yearTable(t, c.years, c.null)
		_, err := SplitYears(r, "year")
		r.Release()
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `"year"`) {
			t.Errorf("%q: error %v, want one naming %s and the column", c.years, err, c.want)
		}
	}
	empty := yearTable(t, nil, nil)
	defer empty.Release()
	if _, err := SplitYears(empty, "year"); err == nil {
		t.Error("empty table: no error")
	}
}
