package selection

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// selTestFrame is a small register: one row per transaction.
type selTestFrame struct {
	province, level, district, commune, field []string
	capital                                   []bool
	id                                        []int64
	nulls                                     map[string]int // column -> row made null
}

func (f *selTestFrame) add(prov, level, dist, comm string, capital bool, rows int) {
	fields := []string{"land", "civil", "business", "construction"}
	for i := 0; i < rows; i++ {
		f.province = append(f.province, prov)
		f.level = append(f.level, level)
		f.district = append(f.district, dist)
		f.commune = append(f.commune, comm)
		f.capital = append(f.capital, capital)
		f.field = append(f.field, fields[(i*7+len(f.id))%4])
		f.id = append(f.id, int64(len(f.id)+1))
	}
}

func (f *selTestFrame) record(mem memory.Allocator) arrow.RecordBatch {
	str := func(name string, v []string) arrow.Array {
		b := array.NewStringBuilder(mem)
		defer b.Release()
		for i, s := range v {
			if r, ok := f.nulls[name]; ok && r == i {
				b.AppendNull()
			} else {
				b.Append(s)
			}
		}
		return b.NewArray()
	}
	bb := array.NewBooleanBuilder(mem)
	bb.AppendValues(f.capital, nil)
	ib := array.NewInt64Builder(mem)
	ib.AppendValues(f.id, nil)
	cols := []arrow.Array{str("province", f.province), str("level", f.level), str("district", f.district),
		str("commune", f.commune), str("field", f.field), bb.NewArray(), ib.NewArray()}
	bb.Release()
	ib.Release()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "province", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "level", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "district", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "commune", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "field", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "is_capital", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	rec := array.NewRecordBatch(schema, cols, int64(len(f.id)))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// selSplit cuts a record into batches of at most n rows (a streamed frame).
func selSplit(rec arrow.RecordBatch, n int64) []arrow.RecordBatch {
	var out []arrow.RecordBatch
	for i := int64(0); i < rec.NumRows(); i += n {
		out = append(out, rec.NewSlice(i, min(i+n, rec.NumRows())))
	}
	return out
}

// selTwoProvinces: province A has a capital district (2 communes) and four
// others; province B four districts, no capital.
func selTwoProvinces() *selTestFrame {
	f := &selTestFrame{}
	f.add("A", "commune", "A-cap", "A-cap-1", true, 30)
	f.add("A", "commune", "A-cap", "A-cap-2", true, 18)
	f.add("A", "commune", "A-d1", "A-d1-1", false, 12)
	f.add("A", "commune", "A-d1", "A-d1-2", false, 8)
	f.add("A", "commune", "A-d2", "A-d2-1", false, 10)
	f.add("A", "commune", "A-d3", "A-d3-1", false, 6)
	f.add("A", "commune", "A-d3", "A-d3-2", false, 14)
	f.add("A", "commune", "A-d3", "A-d3-3", false, 9)
	f.add("A", "commune", "A-d4", "A-d4-1", false, 15)
	f.add("B", "commune", "B-d1", "B-d1-1", false, 20)
	f.add("B", "commune", "B-d1", "B-d1-2", false, 10)
	f.add("B", "commune", "B-d2", "B-d2-1", false, 25)
	f.add("B", "commune", "B-d3", "B-d3-1", false, 7)
	f.add("B", "commune", "B-d3", "B-d3-2", false, 9)
	f.add("B", "commune", "B-d4", "B-d4-1", false, 16)
	return f
}

const selMultiStageJSON = `{
  "strata": ["province"],
  "size": {"column": "n_target"},
  "stages": [
    {"unit": "district", "method": "pps_systematic", "n": 3, "certainty": {"column": "is_capital"}},
    {"unit": "commune", "method": "pps_systematic", "n": 1},
    {"unit": "row", "method": "systematic", "sort": ["field"]}
  ],
  "reserve": 0.5
}`

func selMustDesign(t testing.TB, js string) *SampleDesign {
	t.Helper()
	d, err := ParseSampleDesign(strings.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// selWithTarget adds a constant n_target column.
func selWithTarget(rec arrow.RecordBatch, n int64) arrow.RecordBatch {
	b := array.NewInt64Builder(memory.DefaultAllocator)
	defer b.Release()
	for i := int64(0); i < rec.NumRows(); i++ {
		b.Append(n)
	}
	col := b.NewArray()
	defer col.Release()
	fields := append(rec.Schema().Fields(), arrow.Field{Name: "n_target", Type: arrow.PrimitiveTypes.Int64})
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), append(rec.Columns(), col), rec.NumRows())
}

type selRow struct {
	id           int64
	stratum, psu string
	pis          []float64
	pi, w, fpc   float64
	rank         int64
}

func selRows(t testing.TB, rec arrow.RecordBatch, k int) []selRow {
	t.Helper()
	col := func(name string) arrow.Array {
		c := selColumn(rec, name)
		if c == nil {
			t.Fatalf("output has no column %s; schema %s", name, rec.Schema())
		}
		return c
	}
	out := make([]selRow, rec.NumRows())
	for i := range out {
		r := &out[i]
		r.id = col("id").(*array.Int64).Value(i)
		r.stratum = col("stratum").(*array.String).Value(i)
		r.psu = col("psu").(*array.String).Value(i)
		for s := 1; s <= k; s++ {
			r.pis = append(r.pis, col(fmt.Sprintf("pi_%d", s)).(*array.Float64).Value(i))
		}
		r.pi = col("pi").(*array.Float64).Value(i)
		r.w = col("design_weight").(*array.Float64).Value(i)
		if c := selColumn(rec, "fpc_1"); c != nil {
			r.fpc = c.(*array.Float64).Value(i)
		}
		r.rank = col("reserve_rank").(*array.Int64).Value(i)
	}
	return out
}

func TestSelectSampleMultiStage(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	base := selTwoProvinces().record(mem)
	defer base.Release()
	rec := selWithTarget(base, 6)
	defer rec.Release()
	d := selMustDesign(t, selMultiStageJSON)
	batches := selSplit(rec, 37)
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	out, err := SelectSample(context.Background(), NewRecordFrame(batches...), d, rand.New(rand.NewPCG(7, 7)))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	rows := selRows(t, out, 3)
	main := map[string]int{}
	reserve := map[string][]int64{}
	seen := map[int64]bool{}
	for _, r := range rows {
		if seen[r.id] {
			t.Errorf("row %d twice", r.id)
		}
		seen[r.id] = true
		prod := r.pis[0] * r.pis[1] * r.pis[2]
		if math.Abs(prod-r.pi) > 1e-15 || math.Abs(r.w*r.pi-1) > 1e-12 {
			t.Errorf("row %d: pi %v ≠ Π pi_k %v or weight %v ≠ 1/pi", r.id, r.pi, prod, r.w)
		}
		prov := r.stratum[:1]
		if r.rank == 0 {
			main[prov]++
		} else {
			reserve[prov] = append(reserve[prov], r.rank)
		}
		if strings.HasPrefix(r.psu, "A/A-cap") {
			// the capital is a self-representing stratum; its PSUs are communes
			if r.stratum != "A/A-cap" || r.pis[0] != 1 || !strings.HasPrefix(r.psu, "A/A-cap/A-cap-") {
				t.Errorf("capital row %+v", r)
			}
		} else if r.pis[0] == 1 {
			// B-d1 (30 of 87 rows, n = 3) reaches π = 1.03 and is taken with
			// certainty: a stratum of its own too.
			if !strings.HasPrefix(r.psu, r.stratum+"/") || strings.Count(r.stratum, "/") != 1 {
				t.Errorf("certainty row %+v", r)
			}
		} else if r.stratum != prov || strings.Count(r.psu, "/") != 1 {
			t.Errorf("row %d: stratum %q psu %q", r.id, r.stratum, r.psu)
		}
	}
	if main["A"] != 6 || main["B"] != 6 {
		t.Errorf("main sample sizes %v, want 6 per province", main)
	}
	for p, ranks := range reserve {
		if len(ranks) != 3 {
			t.Errorf("province %s: %d reserve rows, want ⌈0.5·6⌉ = 3", p, len(ranks))
		}
		got := map[int64]bool{}
		for _, r := range ranks {
			got[r] = true
		}
		if !got[1] || !got[2] || !got[3] {
			t.Errorf("province %s: reserve ranks %v, want 1..3", p, ranks)
		}
	}
	if selColumn(out, "fpc_1") != nil {
		t.Error("fpc_1 written for a PPS first stage")
	}

	// Same frame, design and seed: byte-identical output, whatever the
	// batching of the frame.
	enc := func(r arrow.RecordBatch) []byte {
		var buf bytes.Buffer
		w := ipc.NewWriter(&buf, ipc.WithSchema(r.Schema()))
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
		w.Close()
		return buf.Bytes()
	}
	again, err := SelectSample(context.Background(), NewRecordFrame(rec), d, rand.New(rand.NewPCG(7, 7)))
	if err != nil {
		t.Fatal(err)
	}
	defer again.Release()
	if !bytes.Equal(enc(out), enc(again)) {
		t.Error("same seed gave a different sample")
	}
	other, err := SelectSample(context.Background(), NewRecordFrame(rec), d, rand.New(rand.NewPCG(8, 7)))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Release()
	if bytes.Equal(enc(out), enc(other)) {
		t.Error("another seed gave the same sample")
	}
}

// TestSelectSampleFrequencies: over 2,000 seeds each row's selection
// frequency in the main sample matches its π (per-unit binomial z test at
// |z| ≤ 4.5, see selFreqCheck). The expected π is derived by hand: the
// district's π (1 for the capital and for B-d1, else 2·size/Σ sizes of the
// others), times the commune's share of its district (PPS, one commune per
// district), times 2 rows out of the commune's R_c — that is
// π_d · 2 / R_d. The reported pi must equal it and the product of pi_k.
func TestSelectSampleFrequencies(t *testing.T) {
	f := selTwoProvinces()
	base := f.record(memory.DefaultAllocator)
	defer base.Release()
	rec := selWithTarget(base, 6)
	defer rec.Release()
	d := selMustDesign(t, selMultiStageJSON)
	d.Reserve = 0
	distRows := map[string]float64{}
	for _, dist := range f.district {
		distRows[dist]++
	}
	piD := map[string]float64{
		"A-cap": 1, "A-d1": 2 * 20.0 / 74, "A-d2": 2 * 10.0 / 74, "A-d3": 2 * 29.0 / 74, "A-d4": 2 * 15.0 / 74,
		"B-d1": 1, "B-d2": 2 * 25.0 / 57, "B-d3": 2 * 16.0 / 57, "B-d4": 2 * 16.0 / 57,
	}
	want := make([]float64, len(f.id))
	for i, dist := range f.district {
		want[i] = piD[dist] * 2 / distRows[dist]
	}
	const reps = 2000
	counts := make([]int, len(f.id))
	frame := NewRecordFrame(rec)
	for seed := uint64(1); seed <= reps; seed++ {
		out, err := SelectSample(context.Background(), frame, d, rand.New(rand.NewPCG(seed, 42)))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range selRows(t, out, 3) {
			i := r.id - 1
			counts[i]++
			if math.Abs(r.pi-want[i]) > 1e-12 {
				t.Fatalf("seed %d row %d: pi %v, want %v", seed, r.id, r.pi, want[i])
			}
		}
		out.Release()
	}
	selFreqCheck(t, "multi-stage", want, counts, reps)
}

// TestSelectSampleWeightsSumToN: for SRS and systematic single-stage designs
// the design weights of each stratum's sample add up to its N (n_h · N_h/n_h),
// and fpc_1 is N_h.
func TestSelectSampleWeightsSumToN(t *testing.T) {
	f := selTwoProvinces()
	rec := f.record(memory.DefaultAllocator)
	defer rec.Release()
	N := map[string]float64{"A": 122, "B": 87}
	for _, method := range []string{"srs", "systematic"} {
		d := selMustDesign(t, `{"strata":["province"],"size":{"total":50},"allocation":{"method":"equal"},
			"stages":[{"unit":"row","method":"`+method+`","sort":["field"]}]}`)
		out, err := SelectSample(context.Background(), NewRecordFrame(rec), d, rand.New(rand.NewPCG(3, 3)))
		if err != nil {
			t.Fatal(err)
		}
		sum := map[string]float64{}
		n := map[string]int{}
		for _, r := range selRows(t, out, 1) {
			sum[r.stratum] += r.w
			n[r.stratum]++
			if r.fpc != N[r.stratum] {
				t.Errorf("%s: fpc_1 %v, want %v", method, r.fpc, N[r.stratum])
			}
			if !strings.HasPrefix(r.psu, r.stratum+"/row") {
				t.Errorf("%s: psu %q", method, r.psu)
			}
		}
		out.Release()
		for s, v := range N {
			if math.Abs(sum[s]-v) > 1e-9 || n[s] != 25 {
				t.Errorf("%s stratum %s: Σ weights %v (n %d), want N = %v (n 25)", method, s, sum[s], n[s], v)
			}
		}
	}
}

// selWithFloat adds a float64 column computed from the row index.
func selWithFloat(rec arrow.RecordBatch, name string, v func(i int) float64) arrow.RecordBatch {
	b := array.NewFloat64Builder(memory.DefaultAllocator)
	defer b.Release()
	for i := 0; i < int(rec.NumRows()); i++ {
		b.Append(v(i))
	}
	col := b.NewArray()
	defer col.Release()
	fields := append(rec.Schema().Fields(), arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float64})
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), append(rec.Columns(), col), rec.NumRows())
}

// selWithBool adds a boolean column computed from the row index.
func selWithBool(rec arrow.RecordBatch, name string, v func(i int) bool) arrow.RecordBatch {
	b := array.NewBooleanBuilder(memory.DefaultAllocator)
	defer b.Release()
	for i := 0; i < int(rec.NumRows()); i++ {
		b.Append(v(i))
	}
	col := b.NewArray()
	defer col.Release()
	fields := append(rec.Schema().Fields(), arrow.Field{Name: name, Type: arrow.FixedWidthTypes.Boolean})
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), append(rec.Columns(), col), rec.NumRows())
}

func TestSelectSampleBadInput(t *testing.T) {
	f := selTwoProvinces()
	base := f.record(memory.DefaultAllocator)
	defer base.Release()
	rec := selWithTarget(base, 6)
	defer rec.Release()
	// tx: transactions per row; row 13 (district A-cap) negative in "neg",
	// district A-d2 (rows 69–78) all zero in "zero".
	neg := selWithFloat(rec, "neg", func(i int) float64 {
		if i == 12 {
			return -1
		}
		return 1
	})
	defer neg.Release()
	zero := selWithFloat(rec, "zero", func(i int) float64 {
		if f.district[i] == "A-d2" {
			return 0
		}
		return 2
	})
	defer zero.Release()
	f.nulls = map[string]int{"province": 5}
	nullRec := f.record(memory.DefaultAllocator)
	defer nullRec.Release()

	multi := func(stage0 string) string {
		return `{"strata":["province"],"size":{"column":"n_target"},"stages":[` + stage0 +
			`,{"unit":"commune","method":"pps_systematic","n":1},{"unit":"row","method":"systematic"}]}`
	}
	for _, c := range []struct {
		name   string
		rec    arrow.RecordBatch
		design string
		want   []string // substrings of the message
		counts bool     // wraps ErrCountsNotMet
	}{
		{"n > N", nil, `{"strata":["province"],"size":{"column":"n_target"}}`, []string{`stratum "A"`, "n_target", "larger than"}, true},
		{"total > N", rec, `{"strata":["province"],"size":{"total":500}}`, []string{"500", "larger than"}, true},
		{"negative size", neg, multi(`{"unit":"district","method":"pps_systematic","n":2,"size":"neg"}`), []string{`column "neg"`, "row 13", "-1"}, false},
		{"zero size", zero, multi(`{"unit":"district","method":"pps_systematic","n":2,"size":"zero"}`), []string{`stratum "A"`, `"A-d2"`, "size measure 0"}, false},
		{"zero size later stage", zero, `{"strata":["province"],"size":{"column":"n_target"},"stages":[{"unit":"district","method":"srs","n":1},{"unit":"commune","method":"pps_systematic","n":1,"size":"zero"},{"unit":"row","method":"srs"}]}`, []string{`stratum "A"`, `"A-d2-1"`, "size measure 0"}, false},
		{"certainty not boolean", rec, multi(`{"unit":"district","method":"pps_systematic","n":2,"certainty":{"column":"id"}}`), []string{`column "id"`, "boolean", "int64"}, false},
		{"missing stratum", nullRec, `{"strata":["province"],"size":{"total":10}}`, []string{`column "province"`, "row 6", "missing stratum"}, false},
		{"unit column absent", rec, multi(`{"unit":"ward","method":"srs","n":2}`), []string{`column "ward"`, "stages[0].unit", "not in the frame"}, false},
		{"stage n > units", rec, multi(`{"unit":"district","method":"srs","n":5}`), []string{`stratum "B"`, "stages[0].n = 5", "only 4"}, true},
		{"certainty > n", nil, multi(`{"unit":"district","method":"pps_systematic","n":1,"certainty":{"column":"big"}}`), []string{`stratum "A"`, "big", "2 certainty units"}, true},
		{"rows cannot be met", rec, `{"strata":["province"],"size":{"column":"n_target"},"stages":[{"unit":"commune","method":"srs","n":1},{"unit":"row","method":"srs"}]}`, nil, false},
		{"output column clash", rec, `{"size":{"total":5},"stages":[{"unit":"row","method":"srs"}]}`, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := selMustDesign(t, c.design)
			r := c.rec
			if c.name == "rows cannot be met" {
				// one commune per province with 6 rows wanted: A-d3-1 has 6 rows,
				// but a 7-row target fails whichever commune is drawn when it is
				// smaller; use a target of 31, more than any commune holds.
				r = selWithTarget(base, 31)
				defer r.Release()
				c.want = []string{"stratum", "31 rows to select", "hold at most 30 rows"}
				c.counts = true
			}
			switch c.name {
			case "n > N":
				r = selWithTarget(base, 500)
				defer r.Release()
			case "certainty > n":
				// two districts of A flagged: A-cap and A-d1
				r = selWithBool(rec, "big", func(i int) bool { return f.district[i] == "A-cap" || f.district[i] == "A-d1" })
				defer r.Release()
			}
			if c.name == "output column clash" {
				r = selWithFloat(rec, "pi", func(int) float64 { return 1 })
				defer r.Release()
				c.want = []string{`column "pi"`, "rename"}
			}
			out, err := SelectSample(context.Background(), NewRecordFrame(r), d, rand.New(rand.NewPCG(1, 1)))
			if err == nil {
				out.Release()
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if c.counts != errors.Is(err, ErrCountsNotMet) {
				t.Errorf("errors.Is(ErrCountsNotMet) = %v, want %v (%v)", !c.counts, c.counts, err)
			}
			var fe *SampleFrameError
			if !errors.As(err, &fe) {
				t.Errorf("%T is not a *SampleFrameError", err)
			}
		})
	}
}

func TestParseSampleDesignErrors(t *testing.T) {
	for _, c := range []struct{ js, want string }{
		{`{"size":{"total":10},"alocation":{}}`, "alocation"},
		{`{"size":{}}`, "field size: give exactly one"},
		{`{"size":{"total":10,"column":"x"}}`, "exactly one"},
		{`{"size":{"yamane":{"e":0}}}`, "size.yamane.e"},
		{`{"strata":["province"],"size":{"yamane":{"e":0.05,"by":["region"]}}}`, "size.by"},
		{`{"size":{"total":10},"stages":[{"unit":"row","method":"srs"},{"unit":"commune","method":"srs","n":1}]}`, "stages[0].unit"},
		{`{"size":{"total":10},"stages":[{"unit":"commune","method":"pps","n":1},{"unit":"row","method":"srs"}]}`, "stages[0].method"},
		{`{"size":{"total":10},"stages":[{"unit":"commune","method":"srs"},{"unit":"row","method":"srs"}]}`, "stages[0].n"},
		{`{"size":{"total":10},"stages":[{"unit":"commune","method":"srs","n":2,"certainty":{"column":"c"}},{"unit":"row","method":"srs"}]}`, "stages[0].certainty"},
		{`{"size":{"total":10},"stages":[{"unit":"row","method":"srs","n":3}]}`, "stages[0].n"},
		{`{"size":{"total":10},"allocation":{"method":"neyman"}}`, "allocation.sd"},
		{`{"size":{"total":10},"response_rate":1.5}`, "response_rate"},
		{`{"size":{"total":"ten"}}`, "size.total"},
		{`{"size":{"total":10}`, "invalid JSON"},
	} {
		_, err := ParseSampleDesign(strings.NewReader(c.js))
		var de *SampleDesignError
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &de) {
			t.Errorf("%s: error %v, want a *SampleDesignError containing %q", c.js, err, c.want)
		}
	}
}

func FuzzParseSampleDesign(f *testing.F) {
	f.Add(selMultiStageJSON)
	f.Add(`{"strata":["province","level"],"size":{"yamane":{"e":0.05,"by":["province"]}},"response_rate":0.8,"allocation":{"method":"proportional","min":30}}`)
	f.Add(`{"size":{"moe":{"e":0.05,"deff":1.5}},"plan":{"deff_by":{"A":2}}}`)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseSampleDesign(strings.NewReader(s))
		if err == nil {
			// a valid design validates again and has a final row stage
			if err := d.Validate(); err != nil {
				t.Fatalf("valid design fails Validate: %v", err)
			}
			if d.Stages[len(d.Stages)-1].Unit != "row" {
				t.Fatal("no row stage")
			}
		}
	})
}

// TestSelectSampleSortImplicitStratification: systematic selection of 10
// rows out of 100 after sorting takes exactly one row from each block of 10
// in sort order. The frame holds num = a permutation of 1..100 (numeric
// order, not string order: "9" < "10") and grp with 30 "a" and 70 "b" rows
// scattered, so sorting by grp gives exactly 3 "a" in every sample.
func TestSelectSampleSortImplicitStratification(t *testing.T) {
	mem := memory.DefaultAllocator
	perm := rand.New(rand.NewPCG(9, 9)).Perm(100)
	ib := array.NewInt64Builder(mem)
	nb := array.NewInt64Builder(mem)
	gb := array.NewStringBuilder(mem)
	for i, p := range perm {
		ib.Append(int64(i + 1))
		nb.Append(int64(p + 1))
		if (p*37)%100 < 30 {
			gb.Append("a")
		} else {
			gb.Append("b")
		}
	}
	cols := []arrow.Array{ib.NewArray(), nb.NewArray(), gb.NewArray()}
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "num", Type: arrow.PrimitiveTypes.Int64}, {Name: "grp", Type: arrow.BinaryTypes.String}}, nil)
	rec := array.NewRecordBatch(schema, cols, 100)
	defer rec.Release()
	for _, c := range cols {
		c.Release()
	}
	batches := selSplit(rec, 17)
	frame := NewRecordFrame(batches...)
	for seed := uint64(0); seed < 50; seed++ {
		for _, col := range []string{"num", "grp"} {
			d := selMustDesign(t, `{"size":{"total":10},"stages":[{"unit":"row","method":"systematic","sort":["`+col+`"]}]}`)
			out, err := SelectSample(context.Background(), frame, d, rand.New(rand.NewPCG(seed, 1)))
			if err != nil {
				t.Fatal(err)
			}
			nums := selColumn(out, "num").(*array.Int64)
			grps := selColumn(out, "grp").(*array.String)
			decile := map[int64]int{}
			as := 0
			for i := 0; i < int(out.NumRows()); i++ {
				decile[(nums.Value(i)-1)/10]++
				if grps.Value(i) == "a" {
					as++
				}
			}
			if col == "num" && len(decile) != 10 {
				t.Errorf("seed %d sort by num: deciles %v, want one row in each", seed, decile)
			}
			if col == "grp" && as != 3 {
				t.Errorf("seed %d sort by grp: %d rows of group a, want 3", seed, as)
			}
			out.Release()
		}
	}
}

// A register of 20 transactions in two provinces; 6 ballots allocated
// proportionally (3.6 and 2.4 → 4 and 2 by largest remainder), drawn
// systematically every N_h/n_h rows of the list sorted by field (implicit
// stratification: Hà Nội's four are two "business", one "civil status",
// one "land"), with a reserve of ⌈0.34 n_h⌉ in random order.
func ExampleSelectSample() {
	mem := memory.DefaultAllocator
	pb := array.NewStringBuilder(mem)
	fb := array.NewStringBuilder(mem)
	ib := array.NewInt64Builder(mem)
	for i := 0; i < 20; i++ {
		prov := "Hà Nội"
		if i >= 12 {
			prov = "Huế"
		}
		pb.Append(prov)
		fb.Append([]string{"land", "civil status", "business"}[i%3])
		ib.Append(int64(i + 1))
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "province", Type: arrow.BinaryTypes.String}, {Name: "field", Type: arrow.BinaryTypes.String}}, nil)
	cols := []arrow.Array{ib.NewArray(), pb.NewArray(), fb.NewArray()}
	rec := array.NewRecordBatch(schema, cols, 20)
	defer rec.Release()
	for _, c := range cols {
		c.Release()
	}
	ib.Release()
	pb.Release()
	fb.Release()

	d, err := ParseSampleDesign(strings.NewReader(`{
	  "strata": ["province"],
	  "size": {"total": 6},
	  "stages": [{"unit": "row", "method": "systematic", "sort": ["field"]}],
	  "reserve": 0.34}`))
	if err != nil {
		panic(err)
	}
	out, err := SelectSample(context.Background(), NewRecordFrame(rec), d, rand.New(rand.NewPCG(2024, 0)))
	if err != nil {
		panic(err)
	}
	defer out.Release()
	ids := selColumn(out, "id").(*array.Int64)
	strata := selColumn(out, "stratum").(*array.String)
	w := selColumn(out, "design_weight").(*array.Float64)
	rank := selColumn(out, "reserve_rank").(*array.Int64)
	for i := 0; i < int(out.NumRows()); i++ {
		fmt.Printf("id %d %s weight %.1f reserve %d\n", ids.Value(i), strata.Value(i), w.Value(i), rank.Value(i))
	}
	// Output:
	// id 1 Hà Nội weight 3.0 reserve 2
	// id 3 Hà Nội weight 3.0 reserve 0
	// id 4 Hà Nội weight 3.0 reserve 0
	// id 6 Hà Nội weight 3.0 reserve 1
	// id 8 Hà Nội weight 3.0 reserve 0
	// id 12 Hà Nội weight 3.0 reserve 0
	// id 15 Huế weight 4.0 reserve 0
	// id 18 Huế weight 4.0 reserve 1
	// id 20 Huế weight 4.0 reserve 0
}

// TestSelectSampleSRSFirstStage: with districts drawn by SRS (n = 2 of A's
// 5 and B's 4 districts), pi_1 = 2/N_h, fpc_1 = N_h (districts), the PSU is
// the district, and a later stage asking for more units than a district has
// takes them all (pi_2 = 1).
func TestSelectSampleSRSFirstStage(t *testing.T) {
	f := selTwoProvinces()
	base := f.record(memory.DefaultAllocator)
	defer base.Release()
	rec := selWithTarget(base, 8)
	defer rec.Release()
	d := selMustDesign(t, `{"strata":["province"],"size":{"column":"n_target"},"stages":[
		{"unit":"district","method":"srs","n":2},{"unit":"commune","method":"systematic","n":3},{"unit":"row","method":"srs"}]}`)
	out, err := SelectSample(context.Background(), NewRecordFrame(rec), d, selTestRNG(11))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	dist := selColumn(out, "district").(*array.String)
	nd := map[string]float64{"A": 5, "B": 4}
	for i, r := range selRows(t, out, 3) {
		if r.fpc != nd[r.stratum] || r.pis[0] != 2/nd[r.stratum] {
			t.Errorf("%+v: want fpc_1 %v and pi_1 %v", r, nd[r.stratum], 2/nd[r.stratum])
		}
		if r.psu != r.stratum+"/"+dist.Value(i) {
			t.Errorf("psu %q for district %q", r.psu, dist.Value(i))
		}
		if r.pis[1] != 1 {
			t.Errorf("pi_2 %v: districts have at most 3 communes, all taken", r.pis[1])
		}
	}
}

// selCancelFrame cancels its context after the first batch of the pass
// given by pass (1 = the first read of the frame).
type selCancelFrame struct {
	SampleFrame
	cancel      context.CancelFunc
	pass, scans int
}

func (f *selCancelFrame) Scan(cols []string, fn func(arrow.RecordBatch) error) error {
	f.scans++
	return f.SampleFrame.Scan(cols, func(rec arrow.RecordBatch) error {
		err := fn(rec)
		if f.scans == f.pass {
			f.cancel()
		}
		return err
	})
}

// TestSelectSampleCancel: a cancelled context stops SelectSample and Plan
// in either read of the frame with ctx.Err(), before the following batch.
func TestSelectSampleCancel(t *testing.T) {
	base := selTwoProvinces().record(memory.DefaultAllocator)
	defer base.Release()
	rec := selWithTarget(base, 6)
	defer rec.Release()
	// one-row batches: the frame has several batches to stop between
	var batches []arrow.RecordBatch
	for i := int64(0); i < rec.NumRows(); i++ {
		batches = append(batches, rec.NewSlice(i, i+1))
	}
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	d := selMustDesign(t, selMultiStageJSON)
	for pass := 1; pass <= 2; pass++ {
		ctx, cancel := context.WithCancel(context.Background())
		frame := &selCancelFrame{SampleFrame: NewRecordFrame(batches...), cancel: cancel, pass: pass}
		out, err := SelectSample(ctx, frame, d, rand.New(rand.NewPCG(7, 7)))
		if out != nil {
			out.Release()
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled in pass %d: err = %v, want context.Canceled", pass, err)
		}
		cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Plan(ctx, NewRecordFrame(batches...), d); !errors.Is(err, context.Canceled) {
		t.Errorf("Plan with a cancelled context: err = %v, want context.Canceled", err)
	}
}
