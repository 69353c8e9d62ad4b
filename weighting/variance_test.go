package weighting

import (
	"math"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"gonum.org/v1/gonum/mat"
)

// adjustInfluence applies what R's svyrecvar does with design$postStrata to
// influence values z, from a step's VarianceInfo (see its doc). It is the
// reference for the engine hook; the sampling package owns the real one.
func adjustInfluence(t *testing.T, v *VarianceInfo, z []float64) {
	n := len(z)
	switch v.Kind {
	case "poststratify":
		num := map[int32]float64{}
		den := map[int32]float64{}
		for i := range z {
			c := v.Classes[i]
			num[c] += v.OldWeights[i] * z[i] / v.NewWeights[i]
			den[c] += v.OldWeights[i]
		}
		for i := range z {
			c := v.Classes[i]
			z[i] -= v.NewWeights[i] * num[c] / den[c]
		}
	case "rake":
		for it := 0; it < 10; it++ { // R: for (iterations in 1:10)
			for _, m := range v.Margins {
				sum := map[int32]float64{}
				cnt := map[int32]float64{}
				for i := range z {
					sum[m.Classes[i]] += z[i] / m.Weights[i]
					cnt[m.Classes[i]]++
				}
				for i := range z {
					c := m.Classes[i]
					z[i] -= m.Weights[i] * sum[c] / cnt[c]
				}
			}
		}
	case "greg":
		p := v.P
		A := mat.NewDense(n, p, nil)
		r := mat.NewVecDense(n, nil)
		cw := make([]float64, n)
		for i := 0; i < n; i++ {
			sw := math.Sqrt(v.W0[i])
			cw[i] = v.G[i] * sw
			cols, vals := v.ModelRow(i)
			for q, k := range cols {
				A.Set(i, int(k), vals[q]*sw)
			}
			r.SetVec(i, z[i]/cw[i])
		}
		var qr mat.QR
		qr.Factorize(A)
		var beta mat.VecDense
		if err := qr.SolveVecTo(&beta, false, r); err != nil {
			t.Fatal(err)
		}
		var fit mat.VecDense
		fit.MulVec(A, &beta)
		for i := range z {
			z[i] = (r.AtVec(i) - fit.AtVec(i)) * cw[i]
		}
	default:
		t.Fatalf("unknown kind %q", v.Kind)
	}
}

// linVar is the with-replacement ultimate-cluster variance with fpc:
// Σ_h (1−n_h/N_h) n_h/(n_h−1) Σ_j (z_hj − z̄_h)².
func linVar(z []float64, strata, psu []string, fpc []float64) float64 {
	type key struct{ h, j string }
	tot := map[key]float64{}
	var order []key
	for i := range z {
		k := key{strata[i], psu[i]}
		if _, ok := tot[k]; !ok {
			order = append(order, k)
		}
		tot[k] += z[i]
	}
	nh := map[string]float64{}
	sh := map[string]float64{}
	Nh := map[string]float64{}
	for i := range z {
		Nh[strata[i]] = fpc[i]
	}
	for _, k := range order {
		nh[k.h]++
		sh[k.h] += tot[k]
	}
	var v float64
	for _, k := range order {
		d := tot[k] - sh[k.h]/nh[k.h]
		f := nh[k.h] / Nh[k.h]
		v += (1 - f) * nh[k.h] / (nh[k.h] - 1) * d * d
	}
	return v
}

// TestCalibrationVarianceHook checks that the VarianceInfo of each step,
// used as R's svyrecvar uses design$postStrata, reproduces R's SEs of
// svymean(~api00) and svytotal(~enroll) (testdata/weighting/se_*.csv).
func TestCalibrationVarianceHook(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	for _, name := range []string{"apistrat", "apiclus1"} {
		rec := apiRecord(t, mem, name)
		hdr, rows := readCSV(t, filepath.Join("..", "testdata", "api", name+".csv"))
		col := map[string]int{}
		for i, h := range hdr {
			col[h] = i
		}
		n := len(rows)
		strata, psu := make([]string, n), make([]string, n)
		fpc := make([]float64, n)
		for i, r := range rows {
			fpc[i], _ = strconv.ParseFloat(r[col["fpc"]], 64)
			if name == "apistrat" {
				strata[i], psu[i] = r[col["stype"]], strconv.Itoa(i)
			} else {
				strata[i], psu[i] = "1", r[col["dnum"]]
			}
		}
		api00, _ := numericColumn(rec, "api00")
		enroll, _ := numericColumn(rec, "enroll")
		_, se := readCSV(t, filepath.Join("..", "testdata", "weighting", "se_"+name+".csv"))
		specs := goldenSpecs(name)
		for _, r := range se {
			cs, stat := r[0], r[1]
			wantEst, _ := strconv.ParseFloat(r[3], 64)
			wantSE, _ := strconv.ParseFloat(r[4], 64)
			res, err := Apply(mustSpec(t, specs[cs]), rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			w := res.Weights
			z := make([]float64, n)
			var est float64
			if stat == "mean" {
				var sw, swy float64
				for i := range w {
					sw += w[i]
					swy += w[i] * api00[i]
				}
				est = swy / sw
				for i := range w {
					z[i] = w[i] * (api00[i] - est) / sw
				}
			} else {
				for i := range w {
					z[i] = w[i] * enroll[i]
					est += z[i]
				}
			}
			z2 := append([]float64(nil), z...)
			for _, st := range res.Steps {
				if st.Variance != nil {
					adjustInfluence(t, st.Variance, z)
				}
			}
			res.AdjustInfluence(z2) // the production hook
			got := math.Sqrt(linVar(z, strata, psu, fpc))
			if got2 := math.Sqrt(linVar(z2, strata, psu, fpc)); relErr(got, got2) > 1e-9 && got > 1e-6 {
				t.Errorf("%s %s %s: AdjustInfluence SE %.12g, reference %.12g", name, cs, stat, got2, got)
			}
			if relErr(est, wantEst) > 1e-9 {
				t.Errorf("%s %s %s: estimate %.12g, R %.12g", name, cs, stat, est, wantEst)
			}
			ok := relErr(got, wantSE) < 1e-7
			if wantSE < 1e-12*math.Abs(wantEst) { // calibrated total: SE is 0 up to rounding
				ok = got < 1e-9*math.Abs(wantEst)
			}
			if !ok {
				t.Errorf("%s %s %s: SE %.12g, R %.12g (rel %.3g)", name, cs, stat, got, wantSE, relErr(got, wantSE))
			}
		}
		rec.Release()
	}
}

// AdjustInfluence may be called from several goroutines (the engine's
// workers): the lazily built factorization is shared safely and every call
// gives the same residuals.
func TestAdjustInfluenceConcurrent(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rec := apiRecord(t, mem, "apiclus1")
	defer rec.Release()
	res, err := Apply(mustSpec(t, goldenSpecs("apiclus1")["cal_logit"]), rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	y, _ := numericColumn(rec, "api00")
	base := make([]float64, len(y))
	for i := range y {
		base[i] = res.Weights[i] * y[i]
	}
	want := append([]float64(nil), base...)
	res.AdjustInfluence(want)
	res2, _ := Apply(mustSpec(t, goldenSpecs("apiclus1")["cal_logit"]), rec, nil) // fresh, not yet factorized
	done := make(chan []float64, 8)
	for g := 0; g < 8; g++ {
		go func() {
			z := append([]float64(nil), base...)
			res2.AdjustInfluence(z)
			done <- z
		}()
	}
	for g := 0; g < 8; g++ {
		z := <-done
		for i := range z {
			if z[i] != want[i] {
				t.Fatalf("row %d: %v vs %v", i+1, z[i], want[i])
			}
		}
	}
	// residuals are orthogonal to the calibration variables: Σ_i x_ik z_i/g_i = 0
	// (weighted normal equations of the regression on √w0 x with r = z/(g√w0)).
	v := res.Steps[0].Variance
	dot := make([]float64, v.P)
	scale := make([]float64, v.P)
	for i := range want {
		cols, vals := v.ModelRow(i)
		for q, c := range cols {
			dot[c] += vals[q] * want[i] / v.G[i]
			scale[c] += math.Abs(vals[q] * base[i] / v.G[i])
		}
	}
	for k, d := range dot {
		if math.Abs(d) > 1e-12*scale[k] {
			t.Errorf("column %s: Σ x z/g = %v, want 0", v.Names[k], d)
		}
	}
}
