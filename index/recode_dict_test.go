package index

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestCanonicalProvincesDictionary: a dictionary column (as streamed
// batches hold the province) gets the same names, recodes and errors as
// the same values in a plain string column, for every index type (the
// counting reads the raw indices of 8-, 16- and 32-bit ones), with and
// without nulls, and on a slice of the batch.
func TestCanonicalProvincesDictionary(t *testing.T) {
	read, err := ProvinceReader(Geo1997, nil)
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.DefaultAllocator
	for _, c := range []struct {
		vals []string
		it   arrow.DataType
	}{
		{[]string{"Hà Nội", "Ha Noi", "", "TP. Hồ Chí Minh", "Ha Noi", "Ho Chi Minh", "Hà Nội"}, arrow.PrimitiveTypes.Int32},
		{[]string{"Hà Nội", "Nowhere", "Ha Noi"}, arrow.PrimitiveTypes.Int32},
		{[]string{"Hà Nội", "Ha Noi", "", "TP. Hồ Chí Minh", "Ha Noi", "Ho Chi Minh", "Hà Nội"}, arrow.PrimitiveTypes.Int8},
		{[]string{"Ha Noi", "Hà Nội", "Ho Chi Minh", "Ha Noi", "Nowhere"}, arrow.PrimitiveTypes.Int16},
		{[]string{"Ha Noi", "Hà Nội", "Ho Chi Minh", "Ha Noi", "Hà Nội"}, arrow.PrimitiveTypes.Int8},
		{[]string{"Ha Noi", "", "Hà Nội", "Nowhere", "Ha Noi"}, arrow.PrimitiveTypes.Int8},
		{[]string{"Ha Noi", "", "Hà Nội", "Ho Chi Minh", "Ha Noi", "Hà Nội"}, arrow.PrimitiveTypes.Int64},
	} {
		vals := c.vals
		sb := array.NewStringBuilder(mem)
		db := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: c.it, ValueType: arrow.BinaryTypes.String}).(*array.BinaryDictionaryBuilder)
		for _, v := range vals {
			if v == "" {
				sb.AppendNull()
				db.AppendNull()
				continue
			}
			sb.Append(v)
			if err := db.AppendString(v); err != nil {
				t.Fatal(err)
			}
		}
		plain, dict := sb.NewArray(), db.NewArray()
		sb.Release()
		db.Release()
		mk := func(a arrow.Array) arrow.RecordBatch {
			return array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "province", Type: a.DataType(), Nullable: true}}, nil), []arrow.Array{a}, int64(a.Len()))
		}
		rp, rd := mk(plain), mk(dict)
		same := func(rp, rd arrow.RecordBatch) {
			op, recP, errP := CanonicalProvinces(rp, "province", read, nil)
			od, recD, errD := CanonicalProvinces(rd, "province", read, nil)
			if fmt.Sprint(errP) != fmt.Sprint(errD) || fmt.Sprint(recP) != fmt.Sprint(recD) {
				t.Errorf("%v (%s indices, %d rows): plain %v %v, dictionary %v %v", vals, c.it, rp.NumRows(), recP, errP, recD, errD)
			}
			if errP == nil {
				if _, ok := od.Column(0).(*array.Dictionary); !ok {
					t.Errorf("dictionary column came back as %s", od.Column(0).DataType())
				}
				for i := range int(rp.NumRows()) {
					a, b := op.Column(0).ValueStr(i), od.Column(0).ValueStr(i)
					if a != b {
						t.Errorf("%v row %d: plain %q, dictionary %q", vals, i, a, b)
					}
				}
				op.Release()
				od.Release()
			}
		}
		same(rp, rd)
		sp, sd := rp.NewSlice(1, rp.NumRows()), rd.NewSlice(1, rd.NumRows())
		same(sp, sd)
		sp.Release()
		sd.Release()
		rp.Release()
		rd.Release()
		plain.Release()
		dict.Release()
	}
}
