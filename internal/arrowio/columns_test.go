package arrowio

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestColumnHelpers(t *testing.T) {
	mem := checkedMem(t)
	rec := richRecord(t, mem)
	defer rec.Release()
	col := func(name string) arrow.Array {
		c, err := Column(rec, name)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// access_1 (int8): values i%4+1, nulls at rows 2 and 5.
	f, v, err := Float64s(col("access_1"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{1, 2, 0, 4, 1, 0, 3}; !reflect.DeepEqual(f, want) {
		t.Errorf("Float64s int8 = %v, want %v", f, want)
	}
	if want := []bool{true, true, false, true, true, false, true}; !reflect.DeepEqual(v, want) {
		t.Errorf("valid = %v", v)
	}
	n, _, err := Ints(col("code")) // uint16 i*1000, null at 1
	if err != nil || n[6] != 6000 || n[1] != 0 {
		t.Errorf("Ints uint16 = %v %v", n, err)
	}
	s, sv, err := Strings(col("region")) // dictionary, null at 2
	if err != nil || s[0] != "Đồng bằng sông Hồng" || s[1] != "Tây Nguyên" || sv[2] || s[2] != "" {
		t.Errorf("Strings dict = %q %v %v", s, sv, err)
	}
	s, _, _ = Strings(col("weight"))
	if s[1] != "2" || s[0] != "0.3333333333333333" {
		t.Errorf("Strings float = %q", s)
	}
	s, _, _ = Strings(col("valid"))
	if s[0] != "true" || s[1] != "false" {
		t.Errorf("Strings bool = %q", s)
	}
	// A sliced column keeps its offset.
	sl := array.NewSlice(col("province"), 2, 5)
	defer sl.Release()
	s, sv, _ = Strings(sl)
	if s[0] != "Đắk Lắk" || sv[1] || s[2] != "TP. Hồ Chí Minh" {
		t.Errorf("sliced Strings = %q %v", s, sv)
	}
	sl2 := array.NewSlice(col("access_1"), 3, 7)
	defer sl2.Release()
	n, nv, _ := Ints(sl2)
	if !reflect.DeepEqual(n, []int64{4, 1, 0, 3}) || nv[2] {
		t.Errorf("sliced Ints = %v %v", n, nv)
	}
	// Strings of numbers convert; a non-number names its row.
	b := array.NewStringBuilder(mem)
	b.AppendValues([]string{"1", " 2 ", "", "x"}, []bool{true, true, false, true})
	str := b.NewArray()
	b.Release()
	defer str.Release()
	_, _, err = Ints(str)
	errCase(t, err, `row 4: value "x" is not an integer`, ErrBadValue)
	_, _, err = Float64s(str)
	errCase(t, err, `row 4: value "x" is not a number`, ErrBadValue)
	part := array.NewSlice(str, 0, 3)
	defer part.Release()
	n, nv, err = Ints(part)
	if err != nil || !reflect.DeepEqual(n, []int64{1, 2, 0}) || nv[2] {
		t.Errorf("Ints strings = %v %v %v", n, nv, err)
	}
	// Floats convert to ints only when whole.
	fb := array.NewFloat64Builder(mem)
	fb.AppendValues([]float64{1, -2, 2.5}, nil)
	fl := fb.NewArray()
	fb.Release()
	defer fl.Release()
	_, _, err = Ints(fl)
	errCase(t, err, `row 3: value "2.5" is not a whole number`, ErrBadValue)
	ub := array.NewUint64Builder(mem)
	ub.AppendValues([]uint64{1, math.MaxUint64}, nil)
	u := ub.NewArray()
	ub.Release()
	defer u.Release()
	_, _, err = Ints(u)
	errCase(t, err, `row 2: value "18446744073709551615" is too large for int64`, ErrBadValue)
	if f, _, err := Float64s(u); err != nil || f[1] != math.MaxUint64 {
		t.Errorf("Float64s uint64: %v %v", f, err)
	}
	// Unsupported types.
	lb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int64)
	lb.Append(true)
	lst := lb.NewArray()
	lb.Release()
	defer lst.Release()
	for _, fn := range []func(arrow.Array) error{
		func(a arrow.Array) error { _, _, err := Float64s(a); return err },
		func(a arrow.Array) error { _, _, err := Ints(a); return err },
		func(a arrow.Array) error { _, _, err := Strings(a); return err },
	} {
		if err := fn(lst); !errors.Is(err, ErrType) {
			t.Errorf("list: %v", err)
		}
	}
	if _, _, err := Float64s(col("ballot_id")); err != nil {
		t.Errorf("ids 001.. are numbers as text: %v", err)
	}
	if _, _, err := Float64s(col("province")); !errors.Is(err, ErrBadValue) {
		t.Errorf("province as number: %v", err)
	}
}

func BenchmarkFloat64s(b *testing.B) {
	mem := memory.NewGoAllocator()
	bl := array.NewInt8Builder(mem)
	for i := 0; i < 1_000_000; i++ {
		if i%31 == 0 {
			bl.AppendNull()
		} else {
			bl.Append(int8(i%5 + 1))
		}
	}
	a := bl.NewArray()
	defer a.Release()
	b.ReportAllocs()
	for b.Loop() {
		Float64s(a)
	}
}

func TestPoolAllocator(t *testing.T) {
	mem := checkedMem(t)
	p := newPoolAllocator(mem)
	a := p.Allocate(100)
	if len(a) != 100 || cap(a) != 128 {
		t.Fatalf("len %d cap %d", len(a), cap(a))
	}
	for i := range a {
		a[i] = 0xAB
	}
	p.Free(a)
	b := p.Allocate(70) // same class: reused and zeroed
	if &b[0] != &a[0] {
		t.Error("buffer not reused")
	}
	for i, x := range b {
		if x != 0 {
			t.Fatalf("byte %d = %x, want 0", i, x)
		}
	}
	b = b[:10]
	b[5] = 1
	c := p.Reallocate(20, b[:6]) // grows in place, new bytes zeroed
	if len(c) != 20 || c[5] != 1 || c[6] != 0 {
		t.Fatalf("Reallocate in place: %v", c)
	}
	d := p.Reallocate(1000, c) // moves, keeps content
	if len(d) != 1000 || d[5] != 1 {
		t.Fatal("Reallocate move lost data")
	}
	p.drain()
	p.Free(d) // after drain: straight back to mem
	if mem.CurrentAlloc() != 0 {
		t.Errorf("%d bytes still allocated", mem.CurrentAlloc())
	}
}
