package sampling

import (
	"errors"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
)

// estRepDesigns are the R replicate designs of estimation.R.
var estRepDesigns = map[string]struct {
	file  string
	spec  DesignOptions
	built bool // deterministic: our own weights must equal R's
}{
	"jk1":                 {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", Variance: JK1}, true},
	"jk1fpc":              {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", FPC: "fpc", Variance: JK1}, true},
	"jkn":                 {"apistrat", DesignOptions{Weight: "pw", Strata: "stype", Variance: JKn}, true},
	"jknfpc":              {"apistrat", DesignOptions{Weight: "pw", Strata: "stype", FPC: "fpc", Variance: JKn}, true},
	"boot":                {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", Variance: Bootstrap, Replicates: 40}, false},
	"bootstrat":           {"apistrat", DesignOptions{Weight: "pw", Strata: "stype", PSU: "dnum", Nest: true, Variance: Bootstrap, Replicates: 30}, false},
	"subboot":             {"apistrat", DesignOptions{Weight: "pw", Strata: "stype", PSU: "dnum", Nest: true, Variance: SubBootstrap, Replicates: 30}, false},
	"brr":                 {"apistrat", DesignOptions{Weight: "pw", Strata: "stype", PSU: "pair", Variance: BRR}, true},
	"fay":                 {"apistrat", DesignOptions{Weight: "pw", Strata: "stype", PSU: "pair", Variance: Fay, FayRho: 0.3}, true},
	"jknlonely_remove":    {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", Strata: "lstrat", Variance: JKn, Lonely: LonelyRemove}, true},
	"jknlonely_certainty": {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", Strata: "lstrat", Variance: JKn, Lonely: LonelyCertainty}, true},
	"jknlonely_adjust":    {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", Strata: "lstrat", Variance: JKn, Lonely: LonelyAdjust}, true},
	"jknlonely_average":   {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", Strata: "lstrat", Variance: JKn, Lonely: LonelyAverage}, true},
}

// estAddColumns returns rec with the columns of extra appended.
func estAddColumns(t testing.TB, rec, extra arrow.RecordBatch) arrow.RecordBatch {
	t.Helper()
	fields := append(append([]arrow.Field(nil), rec.Schema().Fields()...), extra.Schema().Fields()...)
	cols := append(append([]arrow.Array(nil), rec.Columns()...), extra.Columns()...)
	out := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
	t.Cleanup(out.Release)
	return out
}

func TestReplicatesMatchR(t *testing.T) {
	gold := estReadCSV(t, filepath.Join("..", "testdata", "estimation", "replicates.csv"))
	checked := 0
	for name, rd := range estRepDesigns {
		rec := estLoad(t, rd.file)
		repRec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "estimation", "repw_"+name+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(repRec.Release)
		all := estAddColumns(t, rec, repRec)
		meta := strings.Split(strings.TrimSpace(estReadFile(t, "repw_"+name+".txt")), "\n")
		scale := estF(t, meta[0])
		var rscales []float64
		for _, s := range strings.Fields(meta[1]) {
			rscales = append(rscales, estF(t, s))
		}
		wantDF, _ := strconv.Atoi(meta[2])
		for _, mse := range []bool{true, false} {
			mse := mse
			specs := map[string]DesignOptions{
				"supplied": {Weight: "pw", RepWeightsPrefix: "rw", RepType: "other", RepScale: scale, RepRScales: rscales, MSE: &mse},
			}
			if rd.built {
				s := rd.spec
				s.MSE = &mse
				specs["built"] = s
			}
			for how, spec := range specs {
				d, err := NewDesign(all, &spec)
				if err != nil {
					t.Fatalf("%s %s: %v", name, how, err)
				}
				if d.DF() != wantDF {
					t.Errorf("%s %s: DF %d, R degf %d", name, how, d.DF(), wantDF)
				}
				if how == "built" {
					if d.Replicates() != len(rscales) {
						t.Fatalf("%s: %d replicates, R %d", name, d.Replicates(), len(rscales))
					}
					sc, rs := d.ReplicateScales()
					if !golden.Close(sc, scale, 1e-12) {
						t.Errorf("%s: scale %v, R %v", name, sc, scale)
					}
					// The replicates are matched to R's by content, not
					// position: our strata and PSUs are numbered in sorted
					// order, R's jknweights in order of first appearance
					// (variances do not depend on the order).
					used := make([]bool, d.Replicates())
					for r := 0; r < d.Replicates(); r++ {
						got := d.ReplicateWeights(r)
						match := -1
						for q := range used {
							col, _ := arrowio.Column(repRec, "rw"+strconv.Itoa(q+1))
							want, _, _ := arrowio.Float64s(col)
							same := !used[q] && golden.Close(rs[r], rscales[q], 1e-12)
							for i := 0; same && i < len(got); i++ {
								same = golden.Close(got[i], want[i], 1e-12)
							}
							if same {
								match = q
								break
							}
						}
						if match < 0 {
							t.Fatalf("%s: replicate %d (rscale %v) is none of R's", name, r+1, rs[r])
						}
						used[match] = true
					}
				}
				for _, g := range gold {
					if g["design"] != name || (g["mse"] == "TRUE") != mse {
						continue
					}
					e := Estimand{Statistic: Statistic(g["stat"]), Num: g["var"]}
					if e.Statistic == "ratio" {
						p := strings.SplitN(e.Num, "/", 2)
						e.Num, e.Den = p[0], p[1]
					}
					var opt EstimateOptions
					if g["by"] != "" {
						opt.By = []string{g["by"]}
					}
					es, err := d.Estimates(all, []Estimand{e}, &opt)
					if err != nil {
						t.Fatal(err)
					}
					var got *Estimate
					for i := range es {
						if estDomainLabel(es[i].Domain) == g["domain"] {
							got = &es[i]
						}
					}
					if got == nil {
						t.Fatalf("%s: no domain %q", name, g["domain"])
					}
					if !golden.Close(got.Estimate, estF(t, g["est"]), 1e-9) || !golden.Close(got.SE, estF(t, g["se"]), 1e-9) {
						t.Errorf("%s %s mse=%v %v: est %.17g se %.17g; R %s %s", name, how, mse, g, got.Estimate, got.SE, g["est"], g["se"])
					}
					if g["deff"] != "" && !golden.Close(got.Deff, estF(t, g["deff"]), 1e-9) {
						t.Errorf("%s %s mse=%v %v: deff %.17g; R %s", name, how, mse, g, got.Deff, g["deff"])
					}
					checked++
				}
			}
		}
	}
	if checked < 300 {
		t.Errorf("only %d checked", checked)
	}
}

// TestBRRLinearExact: with a full orthogonal balance, the BRR (and Fay)
// variance of a total equals the linearization variance of the 2-PSU
// design, Σ_h (t_h1 − t_h2)² (Wolter 2007, §3.3).
func TestBRRLinearExact(t *testing.T) {
	rec := estLoad(t, "apistrat")
	lin, err := NewDesign(rec, &DesignOptions{Weight: "pw", Strata: "stype", PSU: "pair"})
	if err != nil {
		t.Fatal(err)
	}
	want, err := lin.Total(rec, []string{"api00", "enroll"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range []DesignOptions{
		{Weight: "pw", Strata: "stype", PSU: "pair", Variance: BRR},
		{Weight: "pw", Strata: "stype", PSU: "pair", Variance: Fay, FayRho: 0.5},
	} {
		d, err := NewDesign(rec, &spec)
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.Total(rec, []string{"api00", "enroll"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if !golden.Close(got[i].SE, want[i].SE, 1e-12) {
				t.Errorf("%v %s: SE %v, linearization %v", spec.Variance, got[i].Variable, got[i].SE, want[i].SE)
			}
		}
	}
}

// TestJK1AgreesWithLinearization: on a large unstratified cluster sample the
// JK1 and linearized SEs of a ratio agree closely (both estimate the same
// with-replacement variance; their difference is O(1/n_PSU)).
func TestJK1AgreesWithLinearization(t *testing.T) {
	if testing.Short() {
		t.Skip("large sample")
	}
	const P, m = 200, 50
	n := P * m
	psu := make([]*float64, n)
	y := make([]*float64, n)
	x := make([]*float64, n)
	w := make([]*float64, n)
	// deterministic pseudo-random data (a cluster effect and noise)
	s := uint64(12345)
	next := func() float64 {
		s = s*6364136223846793005 + 1442695040888963407
		return float64(s>>11) / (1 << 53)
	}
	for p := 0; p < P; p++ {
		eff := next()
		for j := 0; j < m; j++ {
			i := p*m + j
			psu[i] = fp(float64(p))
			xv := 1 + next()
			x[i] = fp(xv)
			y[i] = fp(xv*(2+eff) + next())
			w[i] = fp(1 + 3*next())
		}
	}
	mem := memory.NewGoAllocator()
	rec := estRecord(t, mem, estCol{name: "psu", f: psu}, estCol{name: "y", f: y}, estCol{name: "x", f: x}, estCol{name: "w", f: w})
	defer rec.Release()
	var se [2]float64
	for i, v := range []VarianceMethod{Linearization, JK1} {
		d, err := NewDesign(rec, &DesignOptions{Weight: "w", PSU: "psu", Variance: v})
		if err != nil {
			t.Fatal(err)
		}
		es, err := d.Ratio(rec, []string{"y"}, []string{"x"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		se[i] = es[0].SE
	}
	if math.Abs(se[1]/se[0]-1) > 0.01 {
		t.Errorf("JK1 SE %v, linearization %v: differ by more than 1%%", se[1], se[0])
	}
}

// TestBootstrapFactors: our bootstrap factors have mean 1 per PSU over
// replicates (each PSU is drawn n_h times out of n_h on average), and the
// bootstrap SE of a mean is close to the linearized one.
func TestBootstrapFactors(t *testing.T) {
	rec := estLoad(t, "apistrat")
	lin, _ := NewDesign(rec, &DesignOptions{Weight: "pw", Strata: "stype", PSU: "dnum", Nest: true})
	want, _ := lin.Mean(rec, []string{"api00"}, nil)
	for _, v := range []VarianceMethod{Bootstrap, SubBootstrap} {
		d, err := NewDesign(rec, &DesignOptions{Weight: "pw", Strata: "stype", PSU: "dnum", Nest: true, Variance: v, Replicates: 2000, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		P := d.NPSU()
		sum := make([]float64, P)
		for r := 0; r < d.Replicates(); r++ {
			f := d.reps.factors[r*P : (r+1)*P]
			for p := range f {
				sum[p] += f[p]
			}
		}
		for p := range sum {
			// each factor has mean 1 and variance ≤ n_h/(n_h−1) ≤ 2 (strata
			// here have ≥ 2 PSUs): 5 SE of the mean of 2000 is 5·sqrt(2/2000)
			if m := sum[p] / float64(d.Replicates()); math.Abs(m-1) > 5*math.Sqrt(2.0/2000) {
				t.Errorf("%v: PSU %d mean factor %v", v, p, m)
			}
		}
		got, _ := d.Mean(rec, []string{"api00"}, nil)
		if r := got[0].SE / want[0].SE; r < 0.9 || r > 1.1 {
			t.Errorf("%v SE %v vs linearization %v", v, got[0].SE, want[0].SE)
		}
		// same seed, same weights
		d2, _ := NewDesign(rec, &DesignOptions{Weight: "pw", Strata: "stype", PSU: "dnum", Nest: true, Variance: v, Replicates: 2000, Seed: 7})
		for i := range d.reps.factors {
			if d.reps.factors[i] != d2.reps.factors[i] {
				t.Fatalf("%v: not reproducible", v)
			}
		}
	}
}

// TestSuppliedTypeScales: supplied replicate weights with --rep-type and no
// scale take R svrepdesign's default scales (jk1 (R−1)/R, brr 1/R, fay
// 1/(R(1−ρ)²)), which are those of the designs that built them here.
func TestSuppliedTypeScales(t *testing.T) {
	for _, c := range []struct {
		name, typ string
		rho       float64
	}{{"jk1", "jk1", 0}, {"brr", "brr", 0}, {"fay", "fay", 0.3}} {
		rd := estRepDesigns[c.name]
		rec := estLoad(t, rd.file)
		repRec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "estimation", "repw_"+c.name+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		all := estAddColumns(t, rec, repRec)
		built, err := NewDesign(all, &rd.spec)
		if err != nil {
			t.Fatal(err)
		}
		sup, err := NewDesign(all, &DesignOptions{Weight: "pw", RepWeightsPrefix: "rw", RepType: c.typ, FayRho: c.rho})
		if err != nil {
			t.Fatal(err)
		}
		a, _ := built.Mean(all, []string{"api00", "enroll"}, nil)
		b, _ := sup.Mean(all, []string{"api00", "enroll"}, nil)
		for i := range a {
			if !golden.Close(b[i].SE, a[i].SE, 1e-10) {
				t.Errorf("%s: supplied SE %v, built %v", c.name, b[i].SE, a[i].SE)
			}
		}
		repRec.Release()
	}
	// bad supplied specs
	rec := estLoad(t, "apiclus1")
	repRec, _ := arrowio.ReadAll(filepath.Join("..", "testdata", "estimation", "repw_jk1.csv"))
	defer repRec.Release()
	all := estAddColumns(t, rec, repRec)
	for _, spec := range []DesignOptions{
		{RepWeightsPrefix: "rw", RepType: "jkn"},
		{RepWeightsPrefix: "rw", RepType: "fay"},
		{RepWeightsPrefix: "rw", RepType: "sdr"},
		{RepWeightsPrefix: "zz"},
		{RepWeightsPrefix: "rw", RepRScales: []float64{1, 2}},
	} {
		if _, err := NewDesign(all, &spec); !errors.Is(err, ErrBadDesign) {
			t.Errorf("%+v: err %v, want ErrBadDesign", spec, err)
		}
	}
}

// TestManyCombos: more than 64 combinations (bit masks in groups of 64).
func TestManyCombos(t *testing.T) {
	rec := estLoad(t, "apistrat")
	d, _ := NewDesign(rec, &DesignOptions{Weight: "pw", Strata: "stype"})
	col, _ := arrowio.Column(rec, "acs.k3")
	y, valid, _ := arrowio.Float64s(col)
	den := make([]float64, len(y))
	for i := range den {
		if valid == nil || valid[i] {
			den[i] = 1
		}
	}
	one := make([]float64, len(y))
	for i := range one {
		one[i] = 1
	}
	combos := make([][]float64, 70)
	for c := range combos {
		combos[c] = []float64{1, 0}
	}
	combos[69] = []float64{0, 1}
	res, err := d.EstimateRatios(&Ratios{Num: [][]float64{y, one}, Den: [][]float64{den, one}, Combos: combos})
	if err != nil {
		t.Fatal(err)
	}
	for c := 0; c < 69; c++ {
		if res.N[2+c] != res.N[0] || res.Var[2+c] != res.Var[0] {
			t.Errorf("combo %d: n %d var %v; want %d %v", c, res.N[2+c], res.Var[2+c], res.N[0], res.Var[0])
		}
	}
	if res.N[2+69] != 200 {
		t.Errorf("combo 69 n %d, want 200", res.N[2+69])
	}
}
