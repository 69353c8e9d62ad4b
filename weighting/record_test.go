package weighting_test

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/weighting"
)

// recordSurvey: two years, two regions (one named with a colon), design
// weight 10, and who responded.
func recordSurvey(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "year", Type: arrow.PrimitiveTypes.Int64},
		{Name: "region", Type: arrow.BinaryTypes.String},
		{Name: "pw", Type: arrow.PrimitiveTypes.Float64},
		{Name: "ok", Type: arrow.FixedWidthTypes.Boolean},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	rows := []struct {
		year   int64
		region string
		ok     bool
	}{{2020, "North", true}, {2020, "North", false}, {2020, "South: Delta", true}, {2021, "North", true},
		{2021, "South: Delta", true}, {2021, "South: Delta", false}, {2021, "South: Delta", false}}
	for _, r := range rows {
		b.Field(0).(*array.Int64Builder).Append(r.year)
		b.Field(1).(*array.StringBuilder).Append(r.region)
		b.Field(2).(*array.Float64Builder).Append(10)
		b.Field(3).(*array.BooleanBuilder).Append(r.ok)
	}
	return b.NewRecordBatch()
}

// NewRecord splits the response rates by year when the year is a class
// column, from the classes' values (a region named with a colon stays
// whole); otherwise one entry lists the years. The JSON round-trips
// through schema metadata.
func TestRecordByYear(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rec := recordSurvey(t, mem)
	defer rec.Release()
	run := func(classes string) *weighting.Record {
		spec, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "pw", "steps": [{"nonresponse": {"classes": ` + classes + `, "responded": "ok"}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		res, err := weighting.Apply(spec, rec, nil)
		if err != nil {
			t.Fatal(err)
		}
		return weighting.NewRecord(rec, spec, res, "year")
	}
	r := run(`["region", "year"]`)
	if len(r.Years) != 2 || r.Years[0].Year != 2020 || r.Years[1].Year != 2021 {
		t.Fatalf("not split by year: %+v", r)
	}
	y21 := r.Years[1]
	if y21.Issued != 4 || y21.Valid != 2 || len(y21.Classes) != 2 || y21.Classes[1].Class != "South: Delta" ||
		y21.Classes[1].Issued != 3 || y21.Classes[1].Valid != 1 || y21.Classes[1].Factor != 3 || y21.Classes[1].ValidRate != 1.0/3 {
		t.Errorf("2021: %+v", y21)
	}
	md := r.SetIn(arrow.Metadata{})
	back, err := weighting.RecordFrom(md)
	if err != nil || !reflect.DeepEqual(back, r) {
		t.Errorf("read back %+v (%v), want %+v", back, err, r)
	}
	if got := r.For(2020, 2); got == nil || got.Issued != 3 {
		t.Errorf("For(2020) = %+v", got)
	}

	all := run(`["region"]`)
	if len(all.Years) != 1 || !reflect.DeepEqual(all.Years[0].Years, []int{2020, 2021}) || all.Years[0].Issued != 7 {
		t.Errorf("classes without the year: %+v", all)
	}
	if got := all.For(2020, 2); got != nil {
		t.Errorf("an entry of two years was returned for 2020: %+v", got)
	}
}

// Undefined rates are null in the JSON and NaN again when read back.
func TestRecordNaN(t *testing.T) {
	r := &weighting.Record{Version: weighting.RecordVersion, Years: []weighting.RecordYear{{Year: 2020,
		Classes: []weighting.RecordClass{{Class: "A", ReturnedRate: math.NaN(), ValidRate: 0.5, Factor: math.Inf(1)}}}}}
	md := r.SetIn(arrow.Metadata{})
	s, _ := md.GetValue(weighting.MetadataKey)
	if !strings.Contains(s, `"returned_rate":null,"valid_rate":0.5`) || !strings.Contains(s, `"factor":null`) {
		t.Errorf("JSON %s", s)
	}
	back, err := weighting.RecordFrom(md)
	if err != nil {
		t.Fatal(err)
	}
	if c := back.Years[0].Classes[0]; !math.IsNaN(c.ReturnedRate) || c.ValidRate != 0.5 || !math.IsNaN(c.Factor) {
		t.Errorf("read back %+v", c)
	}
	if _, err := weighting.RecordFrom(arrow.NewMetadata([]string{weighting.MetadataKey}, []string{`{"version":2}`})); err == nil ||
		!strings.Contains(err.Error(), "has version 2") {
		t.Errorf("version 2: %v", err)
	}
}
