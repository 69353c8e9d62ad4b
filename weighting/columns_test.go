package weighting

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestColumnKinds(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	dictType := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "d", Type: dictType},
		{Name: "i", Type: arrow.PrimitiveTypes.Int16},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "flag_s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "flag_i", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "u", Type: arrow.PrimitiveTypes.Uint32},
		{Name: "flag_d", Type: dictType, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	db := b.Field(0).(*array.BinaryDictionaryBuilder)
	for _, v := range []string{"Hà Nội", "Huế", "Hà Nội", "Huế"} {
		if err := db.AppendString(v); err != nil {
			t.Fatal(err)
		}
	}
	b.Field(1).(*array.Int16Builder).AppendValues([]int16{1, 2, 2, 1}, nil)
	b.Field(2).(*array.StringBuilder).AppendValues([]string{"a", "", "b", "c"}, []bool{true, false, true, true})
	b.Field(3).(*array.StringBuilder).AppendValues([]string{"yes", "No", "", "TRUE"}, []bool{true, true, false, true})
	b.Field(4).(*array.Int8Builder).AppendValues([]int8{1, 0, 0, 2}, []bool{true, true, false, true})
	b.Field(5).(*array.Uint32Builder).AppendValues([]uint32{10, 20, 30, 40}, nil)
	fdb := b.Field(6).(*array.BinaryDictionaryBuilder)
	for _, v := range []string{"no", "Yes", "", "y"} {
		if v == "" {
			fdb.AppendNull()
		} else if err := fdb.AppendString(v); err != nil {
			t.Fatal(err)
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()

	cl, err := ClassesOf(rec, []string{"d", "i"})
	if err != nil {
		t.Fatal(err)
	}
	// Classes come in sorted order (by d, then i; text in byte order, so
	// "Huế" < "Hà Nội"), not in order of first appearance: the order does
	// not depend on the order of the rows.
	if strings.Join(cl.Labels, "|") != "Huế:1|Huế:2|Hà Nội:1|Hà Nội:2" || cl.Name != "d*i" || !slices.Equal(cl.Index, []int32{2, 1, 3, 0}) {
		t.Errorf("%+v", cl)
	}
	if _, err := ClassesOf(rec, []string{"s"}); !errors.Is(err, ErrBadData) || !strings.Contains(err.Error(), `"s" row 2`) {
		t.Errorf("null category: %v", err)
	}
	if _, err := ClassesOf(rec, []string{"nope"}); !errors.Is(err, ErrUnknownColumn) || !strings.Contains(err.Error(), "columns: d, i, s") {
		t.Errorf("unknown column: %v", err)
	}
	fs, err := flagColumn(rec, "flag_s")
	if err != nil || fs[0] != true || fs[1] != false || fs[2] != false || fs[3] != true {
		t.Errorf("string flags %v %v", fs, err)
	}
	fi, err := flagColumn(rec, "flag_i")
	if err != nil || fi[0] != true || fi[1] != false || fi[2] != false || fi[3] != true {
		t.Errorf("int flags %v %v", fi, err)
	}
	if _, err := flagColumn(rec, "s"); !errors.Is(err, ErrBadData) || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("bad flag text: %v", err)
	}
	// dictionary-encoded text (an R factor, a pandas categorical)
	fd, err := flagColumn(rec, "flag_d")
	if err != nil || !slices.Equal(fd, []bool{false, true, false, true}) {
		t.Errorf("dictionary flags %v %v", fd, err)
	}
	if _, err := flagColumn(rec, "d"); !errors.Is(err, ErrBadData) || !strings.Contains(err.Error(), `"d" row 1: "Hà Nội"`) {
		t.Errorf("bad dictionary flag: %v", err)
	}
	u, err := numericColumn(rec, "u")
	if err != nil || u[3] != 40 {
		t.Errorf("uint32 %v %v", u, err)
	}
	if _, err := numericColumn(rec, "flag_i"); !errors.Is(err, ErrBadData) || !strings.Contains(err.Error(), "row 3") {
		t.Errorf("numeric null: %v", err)
	}
	if _, err := numericColumn(rec, "s"); !errors.Is(err, ErrBadData) {
		t.Errorf("numeric of strings: %v", err)
	}
}

// Returned ballots that are not valid count in the returned rate only.
func TestNonresponseReturned(t *testing.T) {
	w := []float64{1, 1, 1, 1}
	cl := Classes{Name: "all", Index: []int32{0, 0, 0, 0}, Labels: []string{"all"}}
	out, res, err := Nonresponse(w, cl, []bool{true, false, false, true}, []bool{true, true, false, true})
	if err != nil {
		t.Fatal(err)
	}
	r := res.ResponseRates[0]
	if r.Issued != 4 || r.Returned != 3 || r.Valid != 2 || r.ReturnedRate != 0.75 || r.ValidRate != 0.5 || r.Factor != 2 {
		t.Errorf("%+v", r)
	}
	if out[0] != 2 || out[1] != 0 || out[3] != 2 {
		t.Errorf("%v", out)
	}
	if _, _, err := Nonresponse(w, cl, []bool{true, false, false, true}, []bool{false, true, false, true}); !errors.Is(err, ErrBadData) || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("valid but not returned: %v", err)
	}
}
