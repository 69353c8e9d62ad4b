package arrowio

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

var vietnamese = []string{"Hà Nội", "Thừa Thiên Huế", "Đắk Lắk", "Bà Rịa – Vũng Tàu", "TP. Hồ Chí Minh", "Hoà Bình", "Thủy ỷ ễ ộ ừ"}

// richRecord has every type the data layer must keep, with nulls.
func richRecord(t testing.TB, mem interface {
	Allocate(int) []byte
	Reallocate(int, []byte) []byte
	Free([]byte)
}) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ballot_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "province", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "access_1", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "psu", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "year", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "code", Type: arrow.PrimitiveTypes.Uint16, Nullable: true},
		{Name: "weight", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "valid", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "region", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true},
		{Name: "note", Type: arrow.BinaryTypes.LargeString, Nullable: true},
	}, nil)
	n := len(vietnamese)
	ids := make([]string, n)
	acc := make([]int8, n)
	psu := make([]int32, n)
	year := make([]int64, n)
	code := make([]uint16, n)
	w := make([]float64, n)
	valid := make([]bool, n)
	region := make([]string, n)
	for i := range ids {
		ids[i] = "00" + string(rune('1'+i))
		acc[i] = int8(i%4 + 1)
		psu[i] = int32(100 + i)
		year[i] = 2017 + int64(i%4)
		code[i] = uint16(i * 1000)
		w[i] = 1.0/3.0 + float64(i)
		valid[i] = i%2 == 0
		region[i] = []string{"Đồng bằng sông Hồng", "Tây Nguyên"}[i%2]
	}
	w[1] = 2 // integral float must stay float through CSV
	return buildRecord(t, mem, schema, []any{ids, vietnamese, acc, psu, year, code, w, valid, region, vietnamese},
		map[int][]int{0: {6}, 1: {3}, 2: {2, 5}, 3: {0}, 4: {4}, 5: {1}, 6: {5}, 7: {3}, 8: {2}, 9: {0}})
}

// TestRoundTripTyped: Parquet and IPC (file and stream) keep every type,
// every null and the Vietnamese text exactly.
func TestRoundTripTyped(t *testing.T) {
	mem := checkedMem(t)
	rec := richRecord(t, mem)
	defer rec.Release()
	dir := t.TempDir()
	for _, ext := range []string{".parquet", ".arrow", ".feather", ".arrows", ".ipc"} {
		p := filepath.Join(dir, "r"+ext)
		if err := WriteRecord(p, rec, WithAllocator(mem)); err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		back, err := ReadAll(p, WithAllocator(mem))
		if err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		if !back.Schema().Equal(rec.Schema()) {
			t.Errorf("%s: schema\n%s\nwant\n%s", ext, back.Schema(), rec.Schema())
		}
		if !array.RecordEqual(back, rec) {
			t.Errorf("%s: data differ:\n%v\nwant\n%v", ext, back, rec)
		}
		back.Release()
	}
}

// TestRoundTripChain: CSV -> Parquet -> IPC file -> IPC stream -> CSV keeps
// the CSV types (int64, float64, bool, string), nulls and text, and the
// final CSV is byte-identical to the first write.
func TestRoundTripChain(t *testing.T) {
	mem := checkedMem(t)
	dir := t.TempDir()
	src := writeFile(t, dir, "in.csv", "ballot_id,province,access_1,weight,valid,note\n"+
		"001,Hà Nội,4,1.5,true,\"có, dấu\"\n"+
		"002,,,2.0,false,\n"+
		"003,Đắk Lắk,1,,,\"nhiều\ndòng\"\n"+
		"004,Thừa Thiên Huế,5,0.1,true,\" lề \"\n")
	first, err := ReadAll(src, WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer first.Release()
	wantTypes := "utf8,utf8,int64,float64,bool,utf8"
	var got []string
	for _, f := range first.Schema().Fields() {
		got = append(got, f.Type.String())
	}
	if strings.Join(got, ",") != wantTypes {
		t.Fatalf("types %v", got)
	}
	cur := first
	cur.Retain()
	for _, name := range []string{"a.csv", "b.parquet", "c.arrow", "d.arrows", "e.csv"} {
		p := filepath.Join(dir, name)
		if err := WriteRecord(p, cur, WithAllocator(mem)); err != nil {
			t.Fatal(err)
		}
		next, err := ReadAll(p, WithAllocator(mem))
		if err != nil {
			t.Fatal(err)
		}
		cur.Release()
		cur = next
		if !cur.Schema().Equal(first.Schema()) || !array.RecordEqual(cur, first) {
			t.Fatalf("after %s:\n%v\nwant\n%v", name, cur, first)
		}
	}
	cur.Release()
	a, _ := os.ReadFile(filepath.Join(dir, "a.csv"))
	e, _ := os.ReadFile(filepath.Join(dir, "e.csv"))
	if !bytes.Equal(a, e) {
		t.Errorf("CSV changed:\n%s\n%s", a, e)
	}
}

// TestStreamingProjection reads a Parquet file in small batches with a
// projection in a non-file order, across several row groups.
func TestStreamingProjection(t *testing.T) {
	mem := checkedMem(t)
	dir := t.TempDir()
	const n = 1000
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "c", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	var batches []arrow.RecordBatch
	for k := 0; k < 4; k++ { // 4 batches -> written as buffered row groups
		as := make([]int64, n/4)
		bs := make([]string, n/4)
		cs := make([]float64, n/4)
		for i := range as {
			v := k*n/4 + i
			as[i], bs[i], cs[i] = int64(v), vietnamese[v%len(vietnamese)], float64(v)/2
		}
		batches = append(batches, buildRecord(t, mem, schema, []any{as, bs, cs}, map[int][]int{2: {7}}))
	}
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	for _, ext := range []string{".parquet", ".arrow", ".arrows", ".csv"} {
		p := filepath.Join(dir, "s"+ext)
		if err := Write(p, schema, batches, WithAllocator(mem)); err != nil {
			t.Fatal(err)
		}
		r, err := Open(p, WithColumns("c", "a"), WithBatchSize(128), WithAllocator(mem))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(schemaNames(r.Schema()), ","); got != "c,a" {
			t.Errorf("%s: projected schema %s", ext, got)
		}
		rows, nb := 0, 0
		for r.Next() {
			b := r.RecordBatch()
			nb++
			if b.NumCols() != 2 || b.ColumnName(0) != "c" {
				t.Fatalf("%s: batch schema %s", ext, b.Schema())
			}
			a, _, _ := Ints(b.Column(1))
			c, cv, _ := Float64s(b.Column(0))
			for i := range a {
				if a[i] != int64(rows+i) || (cv == nil || cv[i]) && c[i] != float64(rows+i)/2 {
					t.Fatalf("%s: row %d: a=%d c=%g", ext, rows+i, a[i], c[i])
				}
			}
			rows += len(a)
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		r.Close()
		if rows != n {
			t.Errorf("%s: %d rows", ext, rows)
		}
		wantBatches := 4 // IPC keeps the written batches
		if ext == ".parquet" || ext == ".csv" {
			wantBatches = (n + 127) / 128
		}
		if nb != wantBatches {
			t.Errorf("%s: %d batches, want %d", ext, nb, wantBatches)
		}
		_, err = Open(p, WithColumns("zz"), WithAllocator(mem))
		if !errors.Is(err, ErrMissingColumn) || !strings.Contains(err.Error(), "(available columns: a, b, c)") {
			t.Errorf("%s: %v", ext, err)
		}
	}
}

// TestCorruptFiles: truncations, garbage and random byte flips of valid
// Parquet and IPC files give errors (or, for harmless flips, data), never
// panics; the documented message shape is checked for plain garbage.
func TestCorruptFiles(t *testing.T) {
	mem := checkedMem(t)
	rec := richRecord(t, mem)
	defer rec.Release()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, ext := range []string{".parquet", ".arrow", ".arrows"} {
		good := filepath.Join(dir, "good"+ext)
		if err := WriteRecord(good, rec, WithAllocator(mem)); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(good)
		bad := filepath.Join(dir, "bad"+ext)
		try := func(b []byte) error {
			os.WriteFile(bad, b, 0o644)
			var err error
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("%s: panic: %v", ext, p)
					}
				}()
				var out arrow.RecordBatch
				// Go allocator: arrow-go may leak buffers of a batch
				// whose decoding panicked (recovered); the GC takes them.
				out, err = ReadAll(bad)
				if out != nil {
					out.Release()
				}
			}()
			return err
		}
		// Truncations at every length up to the file size (step to keep it fast).
		step := max(1, len(data)/100)
		for k := 1; k < len(data); k += step {
			if err := try(data[:k]); err == nil && ext != ".arrows" {
				t.Errorf("%s truncated to %d bytes: no error", ext, k)
			} else if err != nil && !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s truncated to %d: %v is not ErrCorrupt", ext, k, err)
			}
		}
		// Random flips of 1..8 bytes.
		for k := 0; k < 150; k++ {
			b := bytes.Clone(data)
			for f := 0; f < 1+rng.IntN(8); f++ {
				b[rng.IntN(len(b))] = byte(rng.Uint32())
			}
			if err := try(b); err != nil && !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s flipped: %v is not ErrCorrupt", ext, err)
			}
		}
		err := try([]byte("this is not a table at all, just some words\n"))
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s garbage: %v", ext, err)
		}
		wantPrefix := map[string]string{
			".parquet": bad + ": corrupt or truncated Parquet file",
			".arrow":   bad + ": corrupt or truncated Arrow IPC file",
			".arrows":  bad + ": corrupt or truncated Arrow IPC stream",
		}[ext]
		if err == nil || err.Error() != wantPrefix {
			t.Errorf("%s garbage message %q", ext, err)
		}
		if Cause(err) == nil {
			t.Errorf("%s garbage: the cause is lost", ext)
		}
		os.WriteFile(bad, nil, 0o644)
		_, err = ReadAll(bad)
		errCase(t, err, bad+": file is empty", ErrEmpty)
	}
}

func TestWriteErrors(t *testing.T) {
	mem := checkedMem(t)
	rec := richRecord(t, mem)
	defer rec.Release()
	dir := t.TempDir()
	if err := WriteRecord(filepath.Join(dir, "x.ods"), rec); !errors.Is(err, ErrFormat) {
		t.Errorf("ods: %v", err)
	}
	other := arrow.NewSchema([]arrow.Field{{Name: "z", Type: arrow.PrimitiveTypes.Int64}}, nil)
	if err := Write(filepath.Join(dir, "x.csv"), other, []arrow.RecordBatch{rec}); err == nil || !strings.Contains(err.Error(), "batch 0 has schema") {
		t.Errorf("schema mismatch: %v", err)
	}
	if err := WriteRecord(filepath.Join(dir, "no/such/dir/x.parquet"), rec); err == nil {
		t.Error("no error for a missing directory")
	}
	// An existing file is replaced only on success and no temp files stay.
	p := filepath.Join(dir, "keep.parquet")
	if err := WriteRecord(p, rec, WithAllocator(mem)); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

// TestAccumulator: slices of a batch (with offsets, nulls, strings,
// booleans, dictionaries) copied into one batch give the original back.
func TestAccumulator(t *testing.T) {
	mem := checkedMem(t)
	rec := richRecord(t, mem)
	defer rec.Release()
	for _, cuts := range [][]int64{{0, 7}, {0, 1, 2, 3, 7}, {0, 3, 3, 5, 7}} {
		for _, limit := range []int{0, 2, 7, 100} {
			acc := newAccumulator(mem, rec.Schema(), int(rec.NumRows()), limit)
			for k := 0; k+1 < len(cuts); k++ {
				part := rec.NewSlice(cuts[k], cuts[k+1])
				if err := acc.add(part); err != nil {
					t.Fatal(err)
				}
				part.Release()
			}
			got, err := acc.finish()
			if err != nil {
				t.Fatal(err)
			}
			if !array.RecordEqual(got, rec) {
				t.Errorf("cuts %v, limit %d:\n%v\nwant\n%v", cuts, limit, got, rec)
			}
			got.Release()
		}
	}
	// Parquet ReadAll in many small batches (through the accumulator)
	// equals the record.
	p := filepath.Join(t.TempDir(), "a.parquet")
	big := make([]arrow.RecordBatch, 50)
	for i := range big {
		big[i] = rec
	}
	if err := Write(p, rec.Schema(), big, WithAllocator(mem)); err != nil {
		t.Fatal(err)
	}
	got, err := ReadAll(p, WithBatchSize(3), WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	if got.NumRows() != 50*rec.NumRows() {
		t.Fatalf("%d rows", got.NumRows())
	}
	for i := int64(0); i < 50; i++ {
		s := got.NewSlice(i*rec.NumRows(), (i+1)*rec.NumRows())
		if !array.RecordEqual(s, rec) {
			t.Fatalf("copy %d differs:\n%v", i, s)
		}
		s.Release()
	}
}

// TestEmptyTable: a table with columns but no rows survives every format.
func TestEmptyTable(t *testing.T) {
	mem := checkedMem(t)
	rec := richRecord(t, mem)
	defer rec.Release()
	empty := rec.NewSlice(0, 0)
	defer empty.Release()
	dir := t.TempDir()
	for _, ext := range []string{".parquet", ".arrow", ".arrows", ".csv"} {
		p := filepath.Join(dir, "e"+ext)
		if err := WriteRecord(p, empty, WithAllocator(mem)); err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		if err := Write(filepath.Join(dir, "n"+ext), rec.Schema(), nil, WithAllocator(mem)); err != nil {
			t.Fatalf("%s no batches: %v", ext, err)
		}
		for _, name := range []string{"e", "n"} {
			back, err := ReadAll(filepath.Join(dir, name+ext), WithAllocator(mem))
			if err != nil {
				t.Fatalf("%s%s: %v", name, ext, err)
			}
			if back.NumRows() != 0 || back.NumCols() != rec.NumCols() {
				t.Errorf("%s%s: %d rows %d cols", name, ext, back.NumRows(), back.NumCols())
			}
			if ext != ".csv" && !back.Schema().Equal(rec.Schema()) {
				t.Errorf("%s%s: schema %s", name, ext, back.Schema())
			}
			back.Release()
		}
	}
}

// TestReadAllMatchesStream: ReadAll (accumulator and buffer pool) gives the
// same table as streaming with Open and concatenating, on a ballot file of
// several row groups, with and without projection.
func TestReadAllMatchesStream(t *testing.T) {
	mem := checkedMem(t)
	batches := ballotBatches(3*DefaultBatchSize+123, 5)
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	p := filepath.Join(t.TempDir(), "b.parquet")
	if err := Write(p, ballotSchema(), batches, WithAllocator(mem)); err != nil {
		t.Fatal(err)
	}
	for _, cols := range [][]string{nil, {"weight", "province", "access_3", "ballot_id"}} {
		all, err := ReadAll(p, WithColumns(cols...), WithAllocator(mem), WithBatchSize(1000))
		if err != nil {
			t.Fatal(err)
		}
		r, err := Open(p, WithColumns(cols...), WithAllocator(mem), WithBatchSize(7777))
		if err != nil {
			t.Fatal(err)
		}
		var parts []arrow.RecordBatch
		for r.Next() {
			b := r.RecordBatch()
			b.Retain()
			parts = append(parts, b)
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		r.Close()
		want, err := concatBatches(r.Schema(), parts, mem)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range parts {
			b.Release()
		}
		if !array.RecordEqual(all, want) || all.NumRows() != int64(3*DefaultBatchSize+123) {
			t.Errorf("cols %v: ReadAll differs from the stream", cols)
		}
		if cols == nil {
			orig, err := concatBatches(ballotSchema(), batches, mem)
			if err != nil {
				t.Fatal(err)
			}
			if !array.RecordEqual(all, orig) {
				t.Error("ReadAll differs from what was written")
			}
			orig.Release()
		}
		all.Release()
		want.Release()
	}
}
