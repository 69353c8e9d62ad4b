package weighting

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// cellsFixture: n rows with classes a (3 levels), b (int, 4 levels), a
// respondent flag and a design weight of 3 values, and the same rows
// grouped into cells of equal (a, b, resp, w): the cells' record, their
// design weight totals and counts, and each row's cell.
func cellsFixture(n int) (rows, cells arrow.RecordBatch, wc, cnt []float64, cellOf []int) {
	rows, cells, wc, cnt, cellOf, _ = groupedRows(n, rand.New(rand.NewPCG(7, 1)),
		func(rng *rand.Rand) float64 { return []float64{10, 25, 40}[rng.IntN(3)] }, true)
	return rows, cells, wc, cnt, cellOf
}

// groupedRows: n rows with classes a (3 levels), b (int, 4 levels), a
// respondent flag (4 in 5 respond) and the design weight weight draws,
// drawn from rng, and the same rows grouped into cells of equal (a, b,
// resp), and w when keyW: the cells' record (its w column the cell's
// design weight when keyW, else the cell's design weight total), their
// design weight totals and counts, each row's cell and each row's design
// weight.
func groupedRows(n int, rng *rand.Rand, weight func(*rand.Rand) float64, keyW bool) (rows, cells arrow.RecordBatch, wc, cnt []float64, cellOf []int, ws []float64) {
	as, bs, rs := make([]string, n), make([]int32, n), make([]bool, n)
	ws = make([]float64, n)
	type key struct {
		a string
		b int32
		r bool
		w float64
	}
	idx := map[key]int{}
	var keys []key
	cellOf = make([]int, n)
	for i := range as {
		as[i] = []string{"u", "v", "x"}[rng.IntN(3)]
		bs[i] = int32(rng.IntN(4))
		rs[i] = rng.IntN(5) != 0
		ws[i] = weight(rng)
		k := key{as[i], bs[i], rs[i], 0}
		if keyW {
			k.w = ws[i]
		}
		c, ok := idx[k]
		if !ok {
			c = len(keys)
			idx[k] = c
			keys = append(keys, k)
			wc, cnt = append(wc, 0), append(cnt, 0)
		}
		cellOf[i] = c
		wc[c] += ws[i]
		cnt[c]++
	}
	build := func(a []string, b []int32, r []bool, w []float64) arrow.RecordBatch {
		schema := arrow.NewSchema([]arrow.Field{
			{Name: "a", Type: arrow.BinaryTypes.String}, {Name: "b", Type: arrow.PrimitiveTypes.Int32},
			{Name: "resp", Type: arrow.FixedWidthTypes.Boolean}, {Name: "w", Type: arrow.PrimitiveTypes.Float64}}, nil)
		rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer rb.Release()
		rb.Field(0).(*array.StringBuilder).AppendValues(a, nil)
		rb.Field(1).(*array.Int32Builder).AppendValues(b, nil)
		rb.Field(2).(*array.BooleanBuilder).AppendValues(r, nil)
		rb.Field(3).(*array.Float64Builder).AppendValues(w, nil)
		return rb.NewRecordBatch()
	}
	rows = build(as, bs, rs, ws)
	ca, cb, cr, cw := make([]string, len(keys)), make([]int32, len(keys)), make([]bool, len(keys)), make([]float64, len(keys))
	for c, k := range keys {
		ca[c], cb[c], cr[c], cw[c] = k.a, k.b, k.r, k.w
		if !keyW {
			cw[c] = wc[c]
		}
	}
	cells = build(ca, cb, cr, cw)
	return rows, cells, wc, cnt, cellOf, ws
}

// TestRunCellsEqualsApply: every step run on cells of rows that share
// their classes, flag and design weight gives each row the weight Apply
// gives it, and AdjustInfluence on the cells' sums of influence values
// gives the cells' sums of the rows' adjusted values (raking by the
// reduced operator and by R's sweeps).
func TestRunCellsEqualsApply(t *testing.T) {
	rows, cells, wc, cnt, cellOf := cellsFixture(3000)
	defer rows.Release()
	defer cells.Release()
	if len(cnt) >= 3000/5 {
		t.Fatalf("%d cells: the fixture should group rows", len(cnt))
	}
	a := `{"by": ["a"], "totals": {"u": 31000, "v": 29000, "x": 33000}}`
	b := `{"by": ["b"], "totals": {"0": 20000, "1": 25000, "2": 23000, "3": 25000}}`
	specs := map[string]string{
		"nonresponse+rake+trim": `{"design_weight": "w", "steps": [{"nonresponse": {"classes": ["a"], "responded": "resp"}},
			{"rake": {"margins": [` + a + `, ` + b + `]}}, {"trim": {"max": 1.3, "min": 0.8}}]}`,
		"poststratify+trim equal": `{"design_weight": "w", "steps": [{"poststratify": ` + b + `}, {"trim": {"max": 1.2, "redistribute": "equal"}}]}`,
		"logit":                   `{"design_weight": "w", "steps": [{"calibrate": {"method": "logit", "bounds": [0.5, 2], "margins": [` + a + `, ` + b + `]}}]}`,
		"linear bounds_const":     `{"design_weight": "w", "steps": [{"calibrate": {"method": "linear", "bounds": [8, 70], "bounds_const": true, "margins": [` + a + `, ` + b + `]}}]}`,
		"linear trim":             `{"design_weight": "w", "steps": [{"calibrate": {"margins": [` + a + `, ` + b + `], "trim": [0.97, 1.05]}}]}`,
	}
	for name, js := range specs {
		spec := mustSpec(t, js)
		want, err := Apply(spec, rows, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := RunCells(spec, cells, wc, cnt)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sum := make([]float64, len(cnt))
		for i, v := range want.Weights {
			sum[cellOf[i]] += v
		}
		for c := range sum {
			if math.Abs(sum[c]-got.Weights[c]) > 1e-12*math.Abs(sum[c])+1e-9 {
				t.Errorf("%s: cell %d: final weight %.17g on the cells, %.17g summed over the rows", name, c, got.Weights[c], sum[c])
			}
		}
		// influence values: z = w·y on respondents
		rng := rand.New(rand.NewPCG(3, 3))
		z := make([]float64, len(want.Weights))
		zc := make([]float64, len(cnt))
		for i, v := range want.Weights {
			z[i] = v * rng.NormFloat64()
			zc[cellOf[i]] += z[i]
		}
		var scale float64
		for _, v := range z {
			scale = max(scale, math.Abs(v))
		}
		zc2 := append([]float64(nil), zc...)
		want.AdjustInfluence(z)
		got.AdjustInfluence(zc)
		adj := make([]float64, len(cnt))
		for i, v := range z {
			adj[cellOf[i]] += v
		}
		for c := range adj {
			if math.Abs(adj[c]-zc[c]) > 1e-10*scale {
				t.Errorf("%s: cell %d: adjusted influence %.17g on the cells, %.17g summed over the rows", name, c, zc[c], adj[c])
			}
		}
		for _, st := range got.Steps {
			if v := st.Variance; v != nil && v.Kind == "rake" {
				v.adjustRakeSweeps(zc2)
				for c := range adj {
					if math.Abs(adj[c]-zc2[c]) > 1e-10*scale {
						t.Errorf("%s: cell %d: R's sweeps on the cells %.17g, rows %.17g", name, c, zc2[c], adj[c])
					}
				}
			}
		}
	}
}

// TestCellKeysOf: the columns cells are keyed by, and the steps that need
// every row.
func TestCellKeysOf(t *testing.T) {
	k, err := CellKeysOf(mustSpec(t, `{"design_weight": "w", "steps": [{"nonresponse": {"classes": ["a"], "responded": "resp"}},
		{"poststratify": {"by": ["b", "a"], "totals": {"1:x": 1}}}]}`))
	if err != nil || fmt.Sprint(k.Columns, k.Flags, k.DesignWeight) != "[a resp b] [resp] false" {
		t.Errorf("got %+v, %v", k, err)
	}
	if k, err := CellKeysOf(mustSpec(t, `{"steps": [{"trim": {"max": 3}}]}`)); err != nil || !k.DesignWeight {
		t.Errorf("trim: got %+v, %v", k, err)
	}
	for _, step := range []string{`"numeric": {"x": 1}`, `"variance": "x", "margins": [{"by": ["a"], "totals": {"x": 1}}]`,
		`"aggregate": "b", "margins": [{"by": ["a"], "totals": {"x": 1}}]`} {
		_, err := CellKeysOf(mustSpec(t, `{"steps": [{"poststratify": {"by": ["a"], "totals": {"x": 1}}}, {"calibrate": {`+step+`}}]}`))
		var se *StepError
		if !errors.Is(err, ErrRowLevel) || !errors.As(err, &se) || se.Path != "steps[1].calibrate" {
			t.Errorf("%s: got %v", step, err)
		}
	}
}

// TestRunCellsCountRows: steps run on cells count rows, not cells, in
// their errors and in the cells of their diagnostics, as Apply does on the
// rows the cells stand for.
func TestRunCellsCountRows(t *testing.T) {
	rows, cells, wc, cnt, _ := cellsFixture(3000)
	defer rows.Release()
	defer cells.Release()
	noX := `{"by": ["a"], "totals": {"u": 31000, "v": 29000}}`
	a := `{"by": ["a"], "totals": {"u": 31000, "v": 29000, "x": 33000}}`
	b := `{"by": ["b"], "totals": {"0": 20000, "1": 25000, "2": 23000, "3": 25000}}`
	for name, js := range map[string]string{
		"poststratify": `{"design_weight": "w", "steps": [{"poststratify": ` + noX + `}]}`,
		"rake":         `{"design_weight": "w", "steps": [{"rake": {"margins": [` + b + `, ` + noX + `]}}]}`,
		"calibrate":    `{"design_weight": "w", "steps": [{"nonresponse": {"classes": ["b"], "responded": "resp"}}, {"calibrate": {"margins": [` + noX + `]}}]}`,
	} {
		spec := mustSpec(t, js)
		_, want := Apply(spec, rows, nil)
		_, got := RunCells(spec, cells, wc, cnt)
		if want == nil || got == nil || got.Error() != want.Error() {
			t.Errorf("%s: on the cells %v, on the rows %v", name, got, want)
		}
	}
	spec := mustSpec(t, `{"design_weight": "w", "steps": [{"poststratify": `+a+`}, {"rake": {"margins": [`+b+`, `+a+`]}}, {"calibrate": {"margins": [`+a+`]}}]}`)
	want, err := Apply(spec, rows, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := RunCells(spec, cells, wc, cnt)
	if err != nil {
		t.Fatal(err)
	}
	for s := range want.Steps {
		w, g := want.Steps[s].Cells, got.Steps[s].Cells
		if len(w) == 0 || len(w) != len(g) {
			t.Fatalf("step %d: %d cells on the rows, %d on the cells", s, len(w), len(g))
		}
		for c := range w {
			if w[c].N != g[c].N {
				t.Errorf("step %d, %s %s: %d rows on the cells, %d on the rows", s, w[c].Margin, w[c].Label, g[c].N, w[c].N)
			}
		}
	}
}
