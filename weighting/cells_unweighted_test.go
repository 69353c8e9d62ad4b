package weighting

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAdjustInfluenceCellsEqualsRows: cells keyed by the classes and flag
// only (CellKeysOf of a raking asks no design weight), whose rows' design
// weights all differ: AdjustInfluenceCells on the cells' Σ z and Σ z/d
// gives the cells' sums of the rows' adjusted values (AdjustInfluence on
// the rows, as R), for raking alone and chained with nonresponse,
// post-stratification and calibration, by the reduced operator and by R's
// sweeps. AdjustInfluence on the same cells' Σ z alone (what the cells
// keyed by the design weight relied on) does not.
func TestAdjustInfluenceCellsEqualsRows(t *testing.T) {
	const n = 3000
	// every row its own design weight; the w column of the cells is not
	// read by the steps
	rows, cells, wc, cnt, cellOf, ws := groupedRows(n, rand.New(rand.NewPCG(11, 5)),
		func(rng *rand.Rand) float64 { return 5 + 40*rng.Float64() }, false)
	defer rows.Release()
	defer cells.Release()
	if len(cnt) > 24 {
		t.Fatalf("%d cells", len(cnt))
	}
	a := `{"by": ["a"], "totals": {"u": 31000, "v": 29000, "x": 33000}}`
	b := `{"by": ["b"], "totals": {"0": 20000, "1": 25000, "2": 23000, "3": 25000}}`
	specs := map[string]string{
		"rake":                `{"design_weight": "w", "steps": [{"rake": {"margins": [` + a + `, ` + b + `]}}]}`,
		"nonresponse+rake":    `{"design_weight": "w", "steps": [{"nonresponse": {"classes": ["a"], "responded": "resp"}}, {"rake": {"margins": [` + a + `, ` + b + `]}}]}`,
		"poststratify+rake":   `{"design_weight": "w", "steps": [{"poststratify": ` + b + `}, {"rake": {"margins": [` + a + `, ` + b + `]}}]}`,
		"rake+poststratify":   `{"design_weight": "w", "steps": [{"rake": {"margins": [` + a + `, ` + b + `]}}, {"poststratify": ` + a + `}]}`,
		"rake+calibrate+rake": `{"design_weight": "w", "steps": [{"rake": {"margins": [` + b + `, ` + a + `]}}, {"calibrate": {"margins": [` + a + `, ` + b + `]}}, {"rake": {"margins": [` + a + `, ` + b + `]}}]}`,
	}
	for name, js := range specs {
		spec := mustSpec(t, js)
		if k, err := CellKeysOf(spec); err != nil || k.DesignWeight || !k.Unweighted {
			t.Fatalf("%s: keys %+v, %v", name, k, err)
		}
		want, err := Apply(spec, rows, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := RunCells(spec, cells, wc, cnt)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// the rows' influence values, their cells' Σ z and Σ z/d, and the
		// cells' sums of the rows' adjusted values
		zr := rand.New(rand.NewPCG(3, 3))
		var zs, zcs, ucs [][]float64
		for range 3 {
			z := make([]float64, n)
			zc, uc := make([]float64, len(cnt)), make([]float64, len(cnt))
			for i, v := range want.Weights {
				z[i] = v * zr.NormFloat64()
				zc[cellOf[i]] += z[i]
				uc[cellOf[i]] += z[i] / ws[i]
			}
			zs, zcs, ucs = append(zs, z), append(zcs, zc), append(ucs, uc)
		}
		var scale float64
		for _, v := range zs[0] {
			scale = max(scale, math.Abs(v))
		}
		old := append([]float64(nil), zcs[0]...)
		got.AdjustInfluence(old)
		want.AdjustInfluence(zs...)
		adj, uadj := make([][]float64, len(zs)), make([][]float64, len(zs))
		far := false
		for b, z := range zs {
			adj[b], uadj[b] = make([]float64, len(cnt)), make([]float64, len(cnt))
			for i, v := range z {
				adj[b][cellOf[i]] += v
				uadj[b][cellOf[i]] += v / ws[i]
			}
		}
		for c := range old {
			if math.Abs(adj[0][c]-old[c]) > 1e-6*scale {
				far = true
			}
		}
		if !far {
			t.Errorf("%s: AdjustInfluence on Σ z alone agrees with the rows: the fixture does not test the unweighted sums", name)
		}
		for _, sweeps := range []bool{false, true} {
			res := got
			if sweeps {
				if res, err = RunCells(spec, cells, wc, cnt); err != nil {
					t.Fatal(err)
				}
				for _, st := range res.Steps {
					if v := st.Variance; v != nil && v.Kind == "rake" {
						v.once.Do(func() { v.op = &adjOp{} }) // no reduced operator: R's sweeps
					}
				}
			}
			gz, gu := make([][]float64, len(zs)), make([][]float64, len(zs))
			for b := range zs {
				gz[b], gu[b] = append([]float64(nil), zcs[b]...), append([]float64(nil), ucs[b]...)
			}
			res.AdjustInfluenceCells(gz, gu)
			for b := range zs {
				for c := range gz[b] {
					if math.Abs(adj[b][c]-gz[b][c]) > 1e-10*scale || math.Abs(uadj[b][c]-gu[b][c]) > 1e-10*scale {
						t.Errorf("%s (sweeps %v): vector %d cell %d: adjusted Σ z %.17g, Σ z/d %.17g on the cells, %.17g and %.17g over the rows", name, sweeps, b, c, gz[b][c], gu[b][c], adj[b][c], uadj[b][c])
					}
				}
			}
		}
	}
}
