package weighting

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// sliceScan is a Scan over rec in batches of size rows.
func sliceScan(rec arrow.RecordBatch, size int) Scan {
	return func(ctx context.Context, _ []string, fn func(arrow.RecordBatch, int64) error) error {
		n := rec.NumRows()
		for i := int64(0); i < n; i += int64(size) {
			b := rec.NewSlice(i, min(n, i+int64(size)))
			err := fn(b, i)
			b.Release()
			if err != nil {
				return err
			}
		}
		return nil
	}
}

// withColumns returns rec with float64 columns appended.
func withColumns(rec arrow.RecordBatch, names []string, vals [][]float64) arrow.RecordBatch {
	fields := append([]arrow.Field(nil), rec.Schema().Fields()...)
	cols := append([]arrow.Array(nil), rec.Columns()...)
	for k, name := range names {
		b := array.NewFloat64Builder(memory.DefaultAllocator)
		b.AppendValues(vals[k], nil)
		a := b.NewArray()
		b.Release()
		defer a.Release()
		fields = append(fields, arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float64})
		cols = append(cols, a)
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
}

// passCases are calibrations that need every row, on R's apistrat.
func passCases() map[string]*CalibrateStep {
	pop := map[string]float64{"E": 4421, "H": 755, "M": 1018}
	wide := map[string]float64{"No": 1072, "Yes": 5122}
	b := func(lo, hi float64) *[2]float64 { return &[2]float64{lo, hi} }
	num := map[string]float64{"enroll": 3811472}
	return map[string]*CalibrateStep{
		"linear":          {Margins: []MarginSpec{{By: []string{"stype"}, Totals: pop}, {By: []string{"sch.wide"}, Totals: wide}}, Numeric: num},
		"linear bounds":   {Margins: []MarginSpec{{By: []string{"stype"}, Totals: pop}}, Numeric: num, Bounds: b(0.8, 1.6)},
		"raking":          {Method: "raking", Margins: []MarginSpec{{By: []string{"stype"}, Totals: pop}}, Numeric: num},
		"raking bounds":   {Method: "raking", Margins: []MarginSpec{{By: []string{"stype", "sch.wide"}, Totals: map[string]float64{"E:No": 500, "E:Yes": 3921, "H:No": 300, "H:Yes": 455, "M:No": 272, "M:Yes": 746}}}, Numeric: num, Bounds: b(0.7, 1.5)},
		"logit":           {Method: "logit", Margins: []MarginSpec{{By: []string{"stype"}, Totals: pop}}, Numeric: num, Bounds: b(0.5, 2.5)},
		"bounds columns":  {Margins: []MarginSpec{{By: []string{"stype"}, Totals: pop}}, Numeric: num, BoundsColumns: &[2]string{"lo", "hi"}},
		"bounds const":    {Margins: []MarginSpec{{By: []string{"stype"}, Totals: pop}}, Numeric: num, Bounds: b(15, 60), BoundsConst: true},
		"variance":        {Margins: []MarginSpec{{By: []string{"stype"}, Totals: pop}}, Numeric: num, Variance: "s2"},
		"variance raking": {Method: "raking", Numeric: map[string]float64{"enroll": 3811472, "api00": 4.2e6}, Variance: "s2"},
		"trim":            {Margins: []MarginSpec{{By: []string{"stype"}, Totals: pop}}, Numeric: num, Trim: b(0.9, 1.3)},
	}
}

// TestSolveStream: the weights solved by passes over batches of rows are
// Apply's on the whole table, and so are the influence values' residuals
// formed from the per-row sums of Rows.
func TestSolveStream(t *testing.T) {
	api := apiRecord(t, memory.DefaultAllocator, "apistrat")
	defer api.Release()
	n := int(api.NumRows())
	lo, hi, s2 := make([]float64, n), make([]float64, n), make([]float64, n)
	enroll := api.Column(2).(*array.Int64)
	for i := range lo {
		lo[i], hi[i] = 0.6+0.002*float64(i%50), 1.5+0.01*float64(i%7)
		s2[i] = float64(enroll.Value(i))
	}
	rec := withColumns(api, []string{"lo", "hi", "s2"}, [][]float64{lo, hi, s2})
	defer rec.Release()
	rng := rand.New(rand.NewPCG(1, 2))
	for name, c := range passCases() {
		t.Run(name, func(t *testing.T) {
			spec := &Spec{DesignWeight: "pw", Steps: []Step{{Calibrate: c}}}
			want, err := Apply(spec, rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			st, err := SolveStream(context.Background(), spec, sliceScan(rec, 37))
			if err != nil {
				t.Fatal(err)
			}
			w, b, tt, err := st.Rows(rec, 0)
			if err != nil {
				t.Fatal(err)
			}
			for i := range w {
				if d := math.Abs(w[i]-want.Weights[i]) / want.Weights[i]; d > 1e-12 {
					t.Fatalf("row %d: streamed weight %v, in memory %v", i+1, w[i], want.Weights[i])
				}
			}
			if d := math.Abs(st.Result.Final.Sum-want.Final.Sum) / want.Final.Sum; d > 1e-12 {
				t.Errorf("final sum %v, in memory %v", st.Result.Final.Sum, want.Final.Sum)
			}
			if st.Result.Steps[0].Iterations != want.Steps[0].Iterations {
				t.Errorf("%d iterations, in memory %d", st.Result.Steps[0].Iterations, want.Steps[0].Iterations)
			}
			// an influence vector of a domain mean: z_i = w_i (y_i − ȳ)/W
			p := st.P()
			z := make([]float64, n)
			for i := range z {
				if rng.IntN(3) > 0 {
					z[i] = w[i] * (rng.Float64() - 0.4) / 1000
				}
			}
			zw := append([]float64(nil), z...)
			want.AdjustInfluence(zw)
			rhs := make([]float64, p)
			for i, zi := range z {
				for k := 0; k < p; k++ {
					rhs[k] += zi / w[i] * tt[i*p+k]
				}
			}
			cf := st.Coefficients(rhs)
			var scale float64
			for _, v := range zw {
				scale = math.Max(scale, math.Abs(v))
			}
			for i := range z {
				zi := z[i]
				for k := 0; k < p; k++ {
					zi -= b[i*p+k] * cf[k]
				}
				if d := math.Abs(zi-zw[i]) / scale; d > 1e-10 {
					t.Fatalf("row %d: residual %v, in memory %v", i+1, zi, zw[i])
				}
			}
			t.Logf("%d passes", st.Passes)
		})
	}
}
