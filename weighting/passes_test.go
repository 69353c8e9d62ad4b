package weighting_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
	"github.com/sipas-go/sipas/weighting"
)

// checkStreamed solves spec by passes over rec in batches of 37 rows and
// checks it against Apply on the whole record at 1e-12: every final
// weight, their sum, every step's iterations, and the residuals of a
// random influence vector formed from Terms' per-row terms (composed with
// the earlier steps' residuals on cells of one row each) against
// Result.AdjustInfluence; and the weights against R's (r, when set) at
// 1e-9. It returns the passes.
func checkStreamed(t *testing.T, key string, spec *weighting.Spec, rec arrow.RecordBatch, r []float64) int {
	t.Helper()
	want, err := weighting.Apply(spec, rec, nil)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	st, err := weighting.SolveStream(context.Background(), spec, weighting.ScanRecord(rec, 37))
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	sameSolved(t, key, spec, st)
	rt, err := st.Terms(rec, 0)
	if err != nil {
		t.Fatal(err)
	}
	w, b, tt := rt.W, rt.B, rt.T
	for i := range w {
		if d := math.Abs(w[i]-want.Weights[i]) / want.Weights[i]; d > 1e-12 {
			t.Fatalf("%s row %d: streamed weight %v, in memory %v", key, i+1, w[i], want.Weights[i])
		}
		if r != nil && !golden.Close(w[i], r[i], 1e-9) {
			t.Fatalf("%s row %d: streamed weight %v, R %v", key, i+1, w[i], r[i])
		}
	}
	if d := math.Abs(st.Result.Final.Sum-want.Final.Sum) / want.Final.Sum; d > 1e-12 {
		t.Errorf("%s: final sum %v, in memory %v", key, st.Result.Final.Sum, want.Final.Sum)
	}
	if last := want.Steps[len(want.Steps)-1]; last.Trim != nil && last.Trim.Trimmed == 0 {
		t.Errorf("%s: the trimming changes no weight", key)
	}
	if len(st.Result.Steps) != len(want.Steps) {
		t.Fatalf("%s: %d steps, in memory %d", key, len(st.Result.Steps), len(want.Steps))
	}
	for j := range want.Steps {
		got, in := st.Result.Steps[j].Iterations, want.Steps[j].Iterations
		if want.Steps[j].Kind == "rake" && math.Abs(float64(got-in)) <= 1 {
			// raking on the cells adds the class totals in another order:
			// at a tolerance near rounding the last sweep may differ
			continue
		}
		if got != in {
			t.Errorf("%s step %d: %d iterations, in memory %d", key, j, st.Result.Steps[j].Iterations, want.Steps[j].Iterations)
		}
	}
	// an influence vector of a domain mean: z_i = w_i (y_i − ȳ)/W
	rng := rand.New(rand.NewPCG(1, uint64(len(key))))
	p, n := st.P(), len(w)
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
	z1 := z
	if st.EarlierResiduals() {
		// the earlier steps' residuals on cells of one row each
		ones := make([]float64, n)
		for i := range ones {
			ones[i] = 1
		}
		pre, err := weighting.RunCells(st.EarlierSpec(), rec, rt.D, ones)
		if err != nil {
			t.Fatal(err)
		}
		z1 = append([]float64(nil), z...)
		pre.AdjustInfluence(z1)
		for i := range z {
			d := (z[i] - z1[i]) / rt.D[i]
			for k := 0; k < p; k++ {
				rhs[k] -= d * rt.Q[i*p+k]
			}
		}
	} else if rt.D != nil {
		t.Errorf("%s: design weights in the terms without earlier residuals", key)
	}
	var scale float64
	for _, v := range zw {
		scale = math.Max(scale, math.Abs(v))
	}
	if st.Calibrations() > 1 {
		zc := chainResidual(t, key, st, rec, rt, z, z1)
		for i := range z {
			if d := math.Abs(zc[i]-zw[i]) / scale; d > 1e-10 {
				t.Fatalf("%s row %d: residual %v, in memory %v", key, i+1, zc[i], zw[i])
			}
		}
		return st.Passes
	}
	cf := st.Coefficients(rhs)
	zc := make([]float64, n)
	for i := range z {
		zc[i] = z1[i]
		for k := 0; k < p; k++ {
			zc[i] -= b[i*p+k] * cf[k]
		}
	}
	if X := st.LaterP(); X > 0 {
		// the later steps' residuals on cells of one row each
		xb, ones := rowCells(rt.XB, n, X)
		lc, err := st.NewLaterCells(rec, xb, ones)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		var delta []float64
		if st.EarlierResiduals() {
			delta = make([]float64, n)
			for i := range z {
				delta[i] = (z[i] - z1[i]) / rt.D[i]
			}
		}
		lc.Adjust(zc, delta, cf, func(k int) []float64 {
			out := make([]float64, n)
			for i, zi := range z {
				if zi != 0 {
					out[i] = zi / w[i] * rt.XT[i*X+k]
				}
			}
			return out
		})
	}
	for i := range z {
		zi := zc[i]
		if d := math.Abs(zi-zw[i]) / scale; d > 1e-10 {
			t.Fatalf("%s row %d: residual %v, in memory %v", key, i+1, zi, zw[i])
		}
	}
	return st.Passes
}

func readCalopts(t *testing.T, name string) arrow.RecordBatch {
	t.Helper()
	rec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "calopts", name+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestSolveStream: calibrations that need every row, solved by passes
// over batches of R's apistrat, give Apply's weights and residuals
// (linear with margins and two numeric variables in closed form, bounded
// linear, raking-ratio, logit, per-row bounds, a working-model variance
// with raking, calibrate's trim of g; a trimming step after the
// calibration: the median's multiples or absolute bounds, proportional or
// R's equal redistribution, once or strictly).
func TestSolveStream(t *testing.T) {
	rec := readCalopts(t, "apistrat")
	defer rec.Release()
	const stype = `"margins": [{"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}]`
	const num = `"numeric": {"enroll": 3811472, "api00": 4117230}`
	for key, step := range map[string]string{
		"linear":          stype + `, ` + num,
		"linear bounds":   stype + `, ` + num + `, "bounds": [0.8, 1.6]`,
		"raking":          stype + `, ` + num + `, "method": "raking"`,
		"raking bounds":   stype + `, ` + num + `, "method": "raking", "bounds": [0.7, 1.5]`,
		"logit":           stype + `, ` + num + `, "method": "logit", "bounds": [0.5, 2.5]`,
		"bounds columns":  stype + `, ` + num + `, "bounds_columns": ["glo", "ghi"]`,
		"variance raking": num + `, "variance": "enroll", "method": "raking"`,
		"trim":            stype + `, ` + num + `, "trim": [0.9, 1.3]`,
		// a trimming step after the calibration
		"then trim":              stype + `, ` + num + `}}, {"trim": {"max": 1.6, "min": 0.5`,
		"then trim equal":        stype + `, ` + num + `}}, {"trim": {"max": 1.6, "min": 0.5, "redistribute": "equal"`,
		"then trim strict":       stype + `, ` + num + `, "method": "raking"}}, {"trim": {"max": 1.3, "redistribute": "equal", "strict": true`,
		"then trim absolute":     stype + `, ` + num + `}}, {"trim": {"max": 40, "relative_to": "absolute"`,
		"raking then trim upper": stype + `, ` + num + `, "method": "raking"}}, {"trim": {"max": 1.2`,
	} {
		spec, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "pw", "steps": [{"calibrate": {` + step + `}}]}`))
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		t.Logf("%s: %d passes", key, checkStreamed(t, key, spec, rec, nil))
	}
}

// TestSolveStreamCalopts: every calibration of the R goldens of
// testdata/calopts.R (working-model variances, bounds on the final
// weights, per-row bounds, g constant within clusters: raked, bounded,
// and unbounded linear in closed form) solved by passes over the rows
// gives R's weights at 1e-9 and Apply's at 1e-12, also after
// post-stratification or raking and before post-stratification, raking or
// trimming (Apply's weights and residuals); and where R's linear weights
// of cluster means go negative, the same error as in memory.
func TestSolveStreamCalopts(t *testing.T) {
	dir := filepath.Join("..", "testdata", "calopts")
	weights := caseWeights(t, filepath.Join(dir, "weights.csv"))
	strat, clus1 := readCalopts(t, "apistrat"), readCalopts(t, "apiclus1")
	defer strat.Release()
	defer clus1.Release()
	for key, step := range caloptsSteps {
		rec, dw := strat, "pw"
		if strings.HasPrefix(key, "agg_") {
			rec = clus1
			if strings.HasSuffix(key, "_w2") {
				dw = "pw2"
			}
		}
		spec, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "` + dw + `", "steps": [{"calibrate": {` + step + `}}]}`))
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		checkStreamed(t, key, spec, rec, weights[key])
	}
	// cluster aggregates after class-cell steps and before later steps
	const stype = `{"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}`
	const rakeNR = `{"rake": {"margins": [` + stype + `, {"by": ["size"], "totals": {"big": 2900, "small": 3294}}]}}`
	big := make([]string, clus1.NumRows())
	enr, _ := arrowio.Column(clus1, "enroll")
	ev, _, _ := arrowio.Float64s(enr)
	for i, v := range ev {
		big[i] = "small"
		if v > 500 {
			big[i] = "big"
		}
	}
	sized := withStrings(t, clus1, "size", big)
	defer sized.Release()
	for key, steps := range map[string]string{
		"post_agg_raking":  `{"poststratify": ` + stype + `}, {"calibrate": {"numeric": {"one": 6194, "enroll": 3811472}, "aggregate": "dnum", "method": "raking", "epsilon": 1e-13, "max_iter": 200}}`,
		"rake_agg_linear":  rakeNR + `, {"calibrate": {"margins": [` + stype + `], "aggregate": "dnum"}}`,
		"post_agg_bounded": `{"poststratify": {"by": ["size"], "totals": {"big": 2900, "small": 3294}}}, {"calibrate": {"numeric": {"one": 6194, "enroll": 3811472}, "aggregate": "dnum", "bounds": [0.2, 5], "epsilon": 1e-13, "max_iter": 200}}, ` + rakeNR,
		"agg_linear_post":  `{"calibrate": {"margins": [` + stype + `], "aggregate": "dnum"}}, {"poststratify": {"by": ["size"], "totals": {"big": 2900, "small": 3294}}}, {"trim": {"max": 1.5}}`,
	} {
		for _, dw := range []string{"pw", "pw2"} {
			spec, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "` + dw + `", "steps": [` + steps + `]}`))
			if err != nil {
				t.Fatal(err)
			}
			checkStreamed(t, key+" "+dw, spec, sized, nil)
		}
	}
	spec, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "pw", "steps": [{"calibrate": {"margins": [{"by": ["stype"],
		"totals": {"E": 4421, "H": 755, "M": 1018}}], "numeric": {"enroll": 3811472}, "aggregate": "dnum"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, want := weighting.Apply(spec, clus1, nil)
	_, err = weighting.SolveStream(context.Background(), spec, weighting.ScanRecord(clus1, 37))
	if !errors.Is(err, weighting.ErrNegativeWeight) || want == nil || err.Error() != want.Error() {
		t.Errorf("negative cluster weights: streamed error %v, in memory %v", err, want)
	}
}

// withStrings returns rec with the string column name of values v added
// (the caller releases it).
func withStrings(t *testing.T, rec arrow.RecordBatch, name string, v []string) arrow.RecordBatch {
	t.Helper()
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	b.AppendValues(v, nil)
	a := b.NewArray()
	defer a.Release()
	fields := append(append([]arrow.Field(nil), rec.Schema().Fields()...), arrow.Field{Name: name, Type: arrow.BinaryTypes.String})
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), append(append([]arrow.Array(nil), rec.Columns()...), a), rec.NumRows())
}

// chainResidual composes the residual of z on a chain of calibrations
// from the rows' terms, each row its own cell: the earlier steps' (z1),
// then per calibration its coefficients from the right-hand side less
// the corrections before it (Q, Cross, CrossTerms) and its later steps'
// (AdjustAfter).
func chainResidual(t *testing.T, key string, st *weighting.Streamed, rec arrow.RecordBatch, rt *weighting.RowTerms, z, z1 []float64) []float64 {
	t.Helper()
	n, P, X := len(z), st.P(), st.LaterP()
	xb, ones := rowCells(rt.XB, n, X)
	var lc *weighting.LaterCells
	if X > 0 {
		var err error
		if lc, err = st.NewLaterCells(rec, xb, ones); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
	}
	var delta []float64
	if st.EarlierResiduals() {
		delta = make([]float64, n)
		for i := range z {
			delta[i] = (z[i] - z1[i]) / rt.D[i]
		}
	}
	zc := append([]float64(nil), z1...)
	var alpha, betas [][]float64
	for m := range st.Calibrations() {
		off, p := st.CalibrationTerms(m)
		rhs := make([]float64, p)
		for i, zi := range z {
			if zi == 0 {
				continue
			}
			for k := range p {
				rhs[k] += zi / rt.W[i] * rt.T[i*P+off+k]
			}
		}
		for i, d := range delta {
			for k := range p {
				rhs[k] -= d * rt.Q[i*P+off+k]
			}
		}
		for m2, c := range betas {
			C := st.Cross(m, m2)
			for k := range p {
				for q, v := range c {
					rhs[k] -= C[k*len(c)+q] * v
				}
			}
		}
		if m > 0 {
			col, nr := st.CrossTerms(m)
			if nr != len(alpha) {
				t.Fatalf("%s: %d later residuals before calibration %d, %d adjusted", key, nr, m, len(alpha))
			}
			for q, a := range alpha {
				for i := range n {
					for k := range p {
						rhs[k] -= a[i] * xb[col+q*p+k][i]
					}
				}
			}
		}
		cf := st.CoefficientsOf(m, rhs)
		betas = append(betas, cf)
		for i := range zc {
			for k := range p {
				zc[i] -= rt.B[i*P+off+k] * cf[k]
			}
		}
		if lc != nil {
			alpha = lc.AdjustAfter(m, zc, delta, cf, func(k int) []float64 {
				out := make([]float64, n)
				for i, zi := range z {
					if zi != 0 {
						out[i] = zi / rt.W[i] * rt.XT[i*X+k]
					}
				}
				return out
			}, alpha)
		}
	}
	return zc
}

// rowCells are the columns of the n×X row-major terms XB as sums over
// cells of one row each, and those cells' counts.
func rowCells(XB []float64, n, X int) (xb [][]float64, ones []float64) {
	ones = make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	xb = make([][]float64, X)
	for k := range xb {
		xb[k] = make([]float64, n)
		for i := range n {
			xb[k][i] = XB[i*X+k]
		}
	}
	return xb, ones
}
