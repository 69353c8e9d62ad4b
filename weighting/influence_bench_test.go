package weighting

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/sampling"
)

// infBench is a SIPAS-like survey for the calibration-aware variance: n
// ballots in 63 provinces (skewed sizes; the strata) × 20 PSUs, raked to four
// margins (province, level, gender, age group), 22 Likert criteria (1–5,
// about 5% missing) and 10 yes/no expectations, with the index's estimands:
// the 10 expectation shares and 22 criterion shares as coded items, 5
// element and 1 SIPAS combinations, by province and nationally — what
// `sipas index --weighting W --by province` asks of the engine.
type infBench struct {
	rec    arrow.RecordBatch
	res    *Result // raked ("weight")
	cal    *Result // linear calibration to the same margins ("calweight")
	ratios *sampling.Ratios
}

func newInfBench(tb testing.TB, n int, seed uint64) *infBench {
	r := rand.New(rand.NewPCG(seed, 7))
	const H, P = 63, 20
	sizes := [4]int{H, 3, 2, 5}
	idx := [4][]int32{}
	for j := range idx {
		idx[j] = make([]int32, n)
	}
	w := make([]float64, n)
	prov := make([]int32, n)
	psu := make([]int64, n)
	for i := 0; i < n; i++ {
		p := int32(min(H-1, int(r.ExpFloat64()*20)))
		if i < H*P*2 { // every province has every PSU
			p = int32(i % H)
		}
		prov[i], idx[0][i] = p, p
		idx[1][i] = int32(r.IntN(3))
		idx[2][i] = int32(r.IntN(2))
		idx[3][i] = int32(r.IntN(5))
		w[i] = (20 + float64(p)) * (0.7 + 0.6*r.Float64())
		psu[i] = int64(p)*100 + int64(i/H%P)
	}
	var total float64
	for _, v := range w {
		total += v
	}
	var margins []Margin
	for j, k := range sizes {
		margins = append(margins, randomMargin(r, fmt.Sprintf("m%d", j), idx[j], k, func(c int) string { return fmt.Sprintf("m%d_%02d", j, c) }, w, 1.1, total))
	}
	fw, sr, err := Rake(w, margins, nil)
	if err != nil {
		tb.Fatal(err)
	}
	res := &Result{Weights: fw, Steps: []StepResult{*sr}}
	cw, cr, err := Calibrate(w, margins, nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	cal := &Result{Weights: cw, Steps: []StepResult{*cr}}

	mem := memory.DefaultAllocator
	wb := array.NewFloat64Builder(mem)
	wb.AppendValues(fw, nil)
	cb := array.NewFloat64Builder(mem)
	cb.AppendValues(cw, nil)
	pb := array.NewInt32Builder(mem)
	pb.AppendValues(prov, nil)
	ub := array.NewInt64Builder(mem)
	ub.AppendValues(psu, nil)
	cols := []arrow.Array{wb.NewArray(), pb.NewArray(), ub.NewArray(), cb.NewArray()}
	for _, b := range []array.Builder{wb, pb, ub, cb} {
		b.Release()
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "weight", Type: arrow.PrimitiveTypes.Float64},
		{Name: "province", Type: arrow.PrimitiveTypes.Int32}, {Name: "psu", Type: arrow.PrimitiveTypes.Int64},
		{Name: "calweight", Type: arrow.PrimitiveTypes.Float64}}, nil)
	rec := array.NewRecordBatch(schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}

	const NE, NC = 10, 22
	var items []sampling.Item
	for e := 0; e < NE; e++ {
		codes := make([]int8, n)
		for i := range codes {
			if r.Float64() < 0.3+0.04*float64(e) {
				codes[i] = 1
			}
		}
		items = append(items, sampling.Item{Codes: codes, Min: 0, Values: []float64{0, 100}})
	}
	sat := []float64{0, 0, 0, 100, 100}
	for c := 0; c < NC; c++ {
		codes := make([]int8, n)
		for i := range codes {
			if r.Float64() < 0.05 {
				codes[i] = -1 // missing
				continue
			}
			codes[i] = int8(1 + min(4, int(r.Float64()*3+float64(prov[i]%5)*0.4+float64(c%3)*0.3)))
		}
		items = append(items, sampling.Item{Codes: codes, Min: 1, Values: sat})
	}
	// elements: criteria 0–3, 4–8, 9–14, 15–17, 18–21; SIPAS: their mean
	bounds := []int{0, 4, 9, 15, 18, 22}
	var combos [][]float64
	sipas := make([]float64, NE+NC)
	for e := 0; e+1 < len(bounds); e++ {
		c := make([]float64, NE+NC)
		for k := bounds[e]; k < bounds[e+1]; k++ {
			c[NE+k] = 1 / float64(bounds[e+1]-bounds[e])
			sipas[NE+k] += c[NE+k] / 5
		}
		combos = append(combos, c)
	}
	combos = append(combos, sipas)
	ratios := &sampling.Ratios{Items: items, Combos: combos, Domain: prov, NDomains: H, Overall: true}
	return &infBench{rec: rec, res: res, cal: cal, ratios: ratios}
}

func (b *infBench) design(tb testing.TB, weight string, hook func(zs ...[]float64)) *sampling.Design {
	d, err := sampling.NewDesign(b.rec, &sampling.DesignOptions{Weight: weight, Strata: "province", PSU: "psu", AdjustInfluence: hook})
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// perVector is the former hook: refAdjust on one vector at a time (for
// raking, R's 10 back-fitting sweeps over the rows for every vector).
func perVector(res *Result) func(zs ...[]float64) {
	return func(zs ...[]float64) {
		for _, z := range zs {
			for i := range res.Steps {
				refAdjust(res.Steps[i].Variance, z)
			}
		}
	}
}

// BenchmarkIndexByProvinceRaked: the engine's calibration-aware
// linearization (EstimateRatios with Result.AdjustInfluence) for the index
// of 40,000 raked ballots by province and nationally (64 domains × 32
// estimands, 6 combinations). "sweeps" is the former per-vector path
// (perVector), "reduced" the production hook; "none" is the engine without
// a hook, "identity" the engine's own cost of the calibration-aware path
// (a hook that changes nothing).
func BenchmarkIndexByProvinceRaked(b *testing.B) {
	ib := newInfBench(b, 40_000, 1)
	defer ib.rec.Release()
	hooks := []struct {
		name string
		hook func(zs ...[]float64)
	}{
		{"none", nil},
		{"identity", func(zs ...[]float64) {}},
		{"sweeps", perVector(ib.res)},
		{"reduced", ib.res.AdjustInfluence},
	}
	for _, h := range hooks {
		d := ib.design(b, "weight", h.hook)
		b.Run(h.name, func(b *testing.B) { infRun(b, d, ib.ratios) })
	}
}

// BenchmarkIndexByProvinceCalibrated: the same after linear calibration
// (GREG) to the four margins: "pervector" solves per vector, "block" once
// per block of vectors.
func BenchmarkIndexByProvinceCalibrated(b *testing.B) {
	ib := newInfBench(b, 40_000, 1)
	defer ib.rec.Release()
	for _, h := range []struct {
		name string
		hook func(zs ...[]float64)
	}{{"pervector", perVector(ib.cal)}, {"block", ib.cal.AdjustInfluence}} {
		d := ib.design(b, "calweight", h.hook)
		b.Run(h.name, func(b *testing.B) { infRun(b, d, ib.ratios) })
	}
}

func infRun(b *testing.B, d *sampling.Design, r *sampling.Ratios) {
	c0, n := infCPU(), 0
	for b.Loop() {
		if _, err := d.EstimateRatios(r); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric((infCPU()-c0)/float64(n), "cpu-s/op")
}

// infCPU is the process's CPU time in seconds (user + system): the machine
// is shared, so CPU time is steadier than wall time.
func infCPU() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
