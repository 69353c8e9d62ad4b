package weighting

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// refAdjust is the per-vector residualization as R's svyrecvar writes it
// (and as this package computed it before the reduced, blocked form of
// Adjust): poststratify by class means of z·w0/w, rake by 10 literal
// back-fitting sweeps over the rows, greg by the normal equations of the
// least-squares fit of z/(g√w0) on √w0 x (Jacobi-scaled Cholesky factor of
// X'W0X), one vector at a time. Rows with weight 0 are left out.
func refAdjust(v *VarianceInfo, z []float64) {
	switch v.Kind {
	case "poststratify":
		k := maxClass(v.Classes) + 1
		num := make([]float64, k)
		den := make([]float64, k)
		for i, zi := range z {
			if v.NewWeights[i] == 0 {
				continue
			}
			c := v.Classes[i]
			num[c] += v.OldWeights[i] * zi / v.NewWeights[i]
			den[c] += v.OldWeights[i]
		}
		for i := range z {
			if v.NewWeights[i] == 0 {
				continue
			}
			c := v.Classes[i]
			z[i] -= v.NewWeights[i] * num[c] / den[c]
		}
	case "rake":
		v.adjustRakeSweeps(z)
	case "greg":
		// the Jacobi-scaled Cholesky factor of S X'W0X S (shared with Adjust)
		v.once.Do(v.prepare)
		chol, scl := v.op.greg.chol, v.op.greg.scl
		var rows []int
		for i := range v.W0 {
			if v.W0[i] != 0 && v.G[i] != 0 {
				rows = append(rows, i)
			}
		}
		rhs := mat.NewVecDense(v.P, nil)
		rv := make([]float64, len(z))
		for _, i := range rows {
			sw := math.Sqrt(v.W0[i])
			rv[i] = z[i] / (v.G[i] * sw)
			cols, vals := v.ModelRow(i)
			for q, c := range cols {
				rhs.SetVec(int(c), rhs.AtVec(int(c))+sw*vals[q]*scl[c]*rv[i])
			}
		}
		var beta mat.VecDense
		if err := chol.SolveVecTo(&beta, rhs); err != nil {
			panic(err)
		}
		for _, i := range rows {
			sw := math.Sqrt(v.W0[i])
			cols, vals := v.ModelRow(i)
			fit := 0.0
			for q, c := range cols {
				fit += sw * vals[q] * scl[c] * beta.AtVec(int(c))
			}
			z[i] = (rv[i] - fit) * v.G[i] * sw
		}
	default:
		panic("refAdjust: kind " + v.Kind)
	}
}

// infRandom makes n rows with four associated classifications (sizes 7, 3,
// 2, 5), a
// numeric variable, design weights with about 5% zeros (dropped
// nonrespondents) and margins whose totals differ from the weighted sample
// by up to ±20%.
func infRandom(r *rand.Rand, n int) (w []float64, ms []Margin, num NumericTotal) {
	sizes := []int{7, 3, 2, 5}
	w = make([]float64, n)
	x := make([]float64, n)
	idx := make([][]int32, len(sizes))
	for j := range idx {
		idx[j] = make([]int32, n)
	}
	for i := 0; i < n; i++ {
		for j, k := range sizes {
			idx[j][i] = int32(r.IntN(k))
		}
		// associated classifications: the back-fitting converges slowly,
		// so that 10 sweeps are not yet the limit and their count matters
		if r.Float64() < 0.7 {
			idx[1][i] = idx[0][i] % 3
			idx[3][i] = idx[2][i] + 2*idx[1][i]/2
		}
		if r.Float64() > 0.05 || i < 300 {
			w[i] = 5 + 20*r.Float64()
		}
		x[i] = 1 + 10*r.Float64()
	}
	var total, tx float64
	for i, v := range w {
		total += v
		tx += v * x[i]
	}
	for j, k := range sizes {
		ms = append(ms, randomMargin(r, fmt.Sprintf("m%d", j), idx[j], k, func(c int) string { return fmt.Sprintf("c%d", c) }, w, 1.05, total))
	}
	return w, ms, NumericTotal{Name: "x", Values: x, Total: tx * 1.07}
}

// randomMargin is the margin name over the k classes idx (labelled by
// label) whose totals are the weighted class sums of w, each perturbed by
// a uniform factor in [0.8, 1.2], rescaled to sum to f·total.
func randomMargin(r *rand.Rand, name string, idx []int32, k int, label func(c int) string, w []float64, f, total float64) Margin {
	labels := make([]string, k)
	s := make([]float64, k)
	for c := range labels {
		labels[c] = label(c)
	}
	for i, c := range idx {
		s[c] += w[i]
	}
	var sum float64
	for c := range s {
		s[c] *= 0.8 + 0.4*r.Float64()
		sum += s[c]
	}
	tot := map[string]float64{}
	for c := range s {
		tot[labels[c]] = s[c] * f * total / sum
	}
	return NewMargin(Classes{Name: name, Index: idx, Labels: labels}, tot)
}

// infVectors makes k influence vectors over the rows with non-zero weight:
// dense ones, and sparse ones (a random domain of about 10% of the rows,
// zero elsewhere), as the engine passes.
func infVectors(r *rand.Rand, w []float64, k int) [][]float64 {
	zs := make([][]float64, k)
	for j := range zs {
		z := make([]float64, len(w))
		sparse := j%2 == 1
		for i, wi := range w {
			if wi == 0 || (sparse && r.Float64() > 0.1) {
				continue
			}
			z[i] = wi * (r.NormFloat64() + float64(j%3))
		}
		zs[j] = z
	}
	return zs
}

// Adjust (the reduced rake, the blocked post-stratification and GREG) equals
// the per-vector path (refAdjust) at 1e-12 relative to the largest residual,
// vector by vector, on random data with dropped rows, for each kind of step
// and for a sequence of steps, with blocks of several sizes.
func TestAdjustBlockEqualsPerVector(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 5))
	w0, ms, num := infRandom(r, 3000)
	ps, sr, err := PostStratify(w0, ms[0])
	if err != nil {
		t.Fatal(err)
	}
	steps := map[string][]StepResult{"poststratify": {*sr}}
	_, sr, err = Rake(w0, ms, nil)
	if err != nil {
		t.Fatal(err)
	}
	steps["rake"] = []StepResult{*sr}
	_, sr2, err := Rake(w0, ms[1:3], nil)
	if err != nil {
		t.Fatal(err)
	}
	steps["rake2"] = []StepResult{*sr2}
	_, sr, err = Calibrate(w0, ms[:3], []NumericTotal{num}, &CalSettings{Method: RakingRatio})
	if err != nil {
		t.Fatal(err)
	}
	steps["greg"] = []StepResult{*sr}
	// post-stratify, then rake the post-stratified weights, then calibrate
	// linearly to a numeric total
	w1, sra, err := Rake(ps, ms[1:], nil)
	if err != nil {
		t.Fatal(err)
	}
	_, src, err := Calibrate(w1, ms[2:3], []NumericTotal{num}, nil)
	if err != nil {
		t.Fatal(err)
	}
	steps["sequence"] = []StepResult{steps["poststratify"][0], *sra, *src}
	for name, st := range steps {
		for _, k := range []int{1, 2, 7} {
			zs := infVectors(r, w0, k)
			orig := make([][]float64, k)
			want := make([][]float64, k)
			for j, z := range zs {
				orig[j] = append([]float64(nil), z...)
				want[j] = append([]float64(nil), z...)
				for i := range st {
					refAdjust(st[i].Variance, want[j])
				}
			}
			res := &Result{Weights: w0, Steps: st}
			res.AdjustInfluence(zs...)
			changed := false
			worstRel := 0.0
			for j := range zs {
				scale := 0.0
				for i, v := range want[j] {
					scale = math.Max(scale, math.Abs(v))
					if w0[i] == 0 && zs[j][i] != 0 {
						t.Fatalf("%s k=%d vector %d: row %d has weight 0 and residual %g", name, k, j, i, zs[j][i])
					}
				}
				worst := 0.0
				for i, v := range want[j] {
					worst = math.Max(worst, math.Abs(zs[j][i]-v))
					if math.Abs(v-orig[j][i]) > 1e-6*scale {
						changed = true
					}
				}
				worstRel = math.Max(worstRel, worst/scale)
				if !(worst <= 1e-12*scale) {
					t.Errorf("%s k=%d vector %d: largest difference %.3g, largest residual %.3g (rel %.3g)", name, k, j, worst, scale, worst/scale)
				}
			}
			if !changed {
				t.Errorf("%s: the adjustment changed nothing", name)
			}
			t.Logf("%s k=%d: largest difference / largest residual %.3g", name, k, worstRel)
		}
	}
}

// Rows the engine leaves at zero (outside every domain, and all rows of an
// empty vector) give zero residuals, and blocks may be empty.
func TestAdjustEmptyAndZero(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 1))
	w0, ms, _ := infRandom(r, 500)
	_, sr, err := Rake(w0, ms, nil)
	if err != nil {
		t.Fatal(err)
	}
	res := &Result{Weights: w0, Steps: []StepResult{*sr}}
	res.AdjustInfluence()
	z := make([]float64, len(w0))
	res.AdjustInfluence(z)
	for i, v := range z {
		if v != 0 {
			t.Fatalf("row %d: residual of 0 is %g", i, v)
		}
	}
}

// With more pairs of classes than rakeMaxPairs the rake falls back to R's
// sweeps; both give the same residuals.
func TestAdjustRakeFallback(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 2))
	w0, ms, _ := infRandom(r, 800)
	_, sr, err := Rake(w0, ms, nil)
	if err != nil {
		t.Fatal(err)
	}
	zs := infVectors(r, w0, 3)
	want := make([][]float64, len(zs))
	for j, z := range zs {
		want[j] = append([]float64(nil), z...)
	}
	sr.Variance.Adjust(want...) // reduced
	v := &VarianceInfo{Kind: "rake", Margins: sr.Variance.Margins}
	v.once.Do(func() { v.op = &adjOp{} }) // no reduced operator: sweeps
	v.Adjust(zs...)
	for j := range zs {
		for i := range zs[j] {
			if d := math.Abs(zs[j][i] - want[j][i]); d > 1e-12*(1+math.Abs(want[j][i])) {
				t.Fatalf("vector %d row %d: sweeps %.17g, reduced %.17g", j, i, zs[j][i], want[j][i])
			}
		}
	}
}

// Several goroutines may adjust at once, the first calls racing to build
// the operators: every call gives exactly the residuals of a lone call.
func TestAdjustConcurrentBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 9))
	w0, ms, num := infRandom(r, 1500)
	ps, sp, err := PostStratify(w0, ms[0])
	if err != nil {
		t.Fatal(err)
	}
	w1, sr, err := Rake(ps, ms[1:], nil)
	if err != nil {
		t.Fatal(err)
	}
	_, sc, err := Calibrate(w1, ms[2:3], []NumericTotal{num}, nil)
	if err != nil {
		t.Fatal(err)
	}
	steps := func() []StepResult {
		// fresh copies of the variance records (no operator built yet)
		out := []StepResult{*sp, *sr, *sc}
		for i := range out {
			v := out[i].Variance
			out[i].Variance = &VarianceInfo{Kind: v.Kind, Classes: v.Classes, OldWeights: v.OldWeights, NewWeights: v.NewWeights,
				Margins: v.Margins, P: v.P, Names: v.Names, W0: v.W0, G: v.G, x: v.x}
		}
		return out
	}
	zs := infVectors(r, w0, 6)
	want := make([][]float64, len(zs))
	for j, z := range zs {
		want[j] = append([]float64(nil), z...)
	}
	(&Result{Weights: w0, Steps: steps()}).AdjustInfluence(want...)
	res := &Result{Weights: w0, Steps: steps()}
	var wg sync.WaitGroup
	got := make([][][]float64, 4)
	for g := range got {
		got[g] = make([][]float64, len(zs))
		for j, z := range zs {
			got[g][j] = append([]float64(nil), z...)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res.AdjustInfluence(got[g]...)
		}()
	}
	wg.Wait()
	for g := range got {
		for j := range zs {
			for i, v := range got[g][j] {
				if v != want[j][i] {
					t.Fatalf("goroutine %d vector %d row %d: %.17g, alone %.17g", g, j, i, v, want[j][i])
				}
			}
		}
	}
}
