package index

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/synth"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// calibratedSurvey writes a generated survey of n ballots (63 province
// strata × 20 PSUs) with the columns sipas index reads, level, gender and
// a numeric covariate age varying from ballot to ballot, as Parquet in
// dir (row groups of at most 65,536 ballots), and returns its path and a weighting that calibrates the design
// weights linearly to level and gender (the weighted totals perturbed)
// and to the total of age (+2 %); before it, with before "poststratify",
// a post-stratification by province, with "rake" a raking to province
// and level (the weighted totals perturbed); after it, with after "rake",
// a raking to province and level (the weighted totals perturbed), with
// "calibrate" a raking-ratio calibration to province and the total of age
// (+4 %), with "bconst" a linear calibration to province bounding the
// final weights.
func calibratedSurvey(t testing.TB, dir string, n int, before string, after ...string) (string, *weighting.Spec) {
	rec, _, err := synth.Survey(synth.SurveyConfig{Seed: 23, Ballots: n}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	q := DefaultQuestionnaire()
	cols := append([]string{"province", "stratum", "psu", "fpc", "weight", "level", "gender"}, append(q.Columns(), q.ExpectationColumns()...)...)
	var fields []arrow.Field
	var arrs []arrow.Array
	for _, c := range cols {
		i := rec.Schema().FieldIndices(c)[0]
		fields = append(fields, rec.Schema().Field(i))
		arrs = append(arrs, rec.Column(i))
	}
	age := make([]float64, n)
	wc, _ := arrowio.Column(rec, "weight")
	w, _, _ := arrowio.Float64s(wc)
	var grand, ageTot float64
	for i := range age {
		age[i] = 18 + float64((i*7919)%53)
		grand += w[i]
		ageTot += w[i] * age[i]
	}
	ab := array.NewFloat64Builder(memory.DefaultAllocator)
	ab.AppendValues(age, nil)
	aa := ab.NewArray()
	ab.Release()
	defer aa.Release()
	sel := array.NewRecordBatch(arrow.NewSchema(append(fields, arrow.Field{Name: "age", Type: arrow.PrimitiveTypes.Float64}), nil), append(arrs, aa), rec.NumRows())
	defer sel.Release()
	path := filepath.Join(dir, "calibrated.parquet")
	if err := arrowio.WriteRecord(path, sel, arrowio.WithBatchSize(min(65536, max(1000, n/8)))); err != nil {
		t.Fatal(err)
	}
	pre := ""
	switch before {
	case "poststratify":
		pre = `{"poststratify": ` + marginJSON("province", testTotals(t, rec, "province", "weight", grand*1.01)) + `}, `
	case "rake":
		pre = `{"rake": {"margins": [` + marginJSON("province", testTotals(t, rec, "province", "weight", grand*1.01)) + `, ` +
			marginJSON("level", testTotals(t, rec, "level", "weight", grand*1.01)) + `]}}, `
	}
	js := `{"design_weight": "weight", "steps": [` + pre + `{"calibrate": {"margins": [` + marginJSON("level", testTotals(t, rec, "level", "weight", grand)) + `, ` +
		marginJSON("gender", testTotals(t, rec, "gender", "weight", grand)) + `], "numeric": {"age": ` + strconv.FormatFloat(ageTot*1.02, 'g', -1, 64) + `}}}`
	if len(after) > 0 {
		switch after[0] {
		case "rake":
			js += `, {"rake": {"margins": [` + marginJSON("province", testTotals(t, rec, "province", "weight", grand*1.01)) + `, ` +
				marginJSON("level", testTotals(t, rec, "level", "weight", grand*1.01)) + `]}}`
		case "calibrate":
			js += `, {"calibrate": {"method": "raking", "margins": [` + marginJSON("province", testTotals(t, rec, "province", "weight", grand*1.01)) +
				`], "numeric": {"age": ` + strconv.FormatFloat(ageTot*1.04, 'g', -1, 64) + `}}}`
		case "bconst":
			lo, hi := w[0], w[0]
			for _, v := range w {
				lo, hi = min(lo, v), max(hi, v)
			}
			js += fmt.Sprintf(`, {"calibrate": {"margins": [%s], "bounds": [%v, %v], "bounds_const": true}}`,
				marginJSON("province", testTotals(t, rec, "province", "weight", grand*1.01)), lo*0.5, hi*1.05)
		}
	}
	js += `]}`
	ws, err := weighting.ParseSpecBytes([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return path, ws
}

// TestCalibratedSumsSynthetic: the streamed calibration to a numeric
// variable, alone, after a post-stratification by province and before a
// raking to province and level, equals the in-memory run at 1e-12 on
// 20,000 generated ballots in 8 row groups of 2,500 (every one of the 63
// province strata × 20 PSUs spread over several row groups, as with
// more ballots), by province (63 domains); SIPAS_FULL_TESTS=1 takes
// 120,000 ballots (8 row groups of 15,000).
func TestCalibratedSumsSynthetic(t *testing.T) {
	if testing.Short() {
		t.Skip("20k ballots, three times")
	}
	n := 20_000
	if fullTests() {
		n = 120_000
	}
	for _, before := range []string{"", "poststratify", "then rake"} {
		var after []string
		if before == "then rake" {
			after = []string{"rake"}
		}
		path, ws := calibratedSurvey(t, t.TempDir(), n, strings.TrimPrefix(before, "then rake"), after...)
		rec, err := arrowio.ReadAll(path)
		if err != nil {
			t.Fatal(err)
		}
		design := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc"}
		opt := &Options{By: []string{"province"}, VsNation: true}
		want, _ := weightedInMemory(t, rec, design, ws, opt)
		rec.Release()
		got, st := calibratedStreamed(t, path, design, ws, opt)
		t.Logf("%s: %d passes", before, st.Passes+1)
		sameRows(t, "synthetic by province "+before, want, got, 1e-12)
	}
}

// peakHeap samples the heap every millisecond until stop is called, which
// returns the largest heap in MB (live and garbage objects) and the
// largest live heap (as marked by the last garbage collection).
func peakHeap() (stop func() (heap, live float64)) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	done := make(chan struct{})
	res := make(chan [2]uint64)
	go func() {
		var peak [2]uint64
		tk := time.NewTicker(time.Millisecond)
		defer tk.Stop()
		for {
			metrics.Read(s)
			peak[0] = max(peak[0], s[0].Value.Uint64())
			peak[1] = max(peak[1], s[1].Value.Uint64())
			select {
			case <-done:
				res <- peak
				return
			case <-tk.C:
			}
		}
	}()
	return func() (float64, float64) {
		close(done)
		p := <-res
		return float64(p[0]) / (1 << 20), float64(p[1]) / (1 << 20)
	}
}

// benchPeaks runs f b.N times, each after a garbage collection, and
// reports the peak heap (live and garbage objects) and peak live heap
// (peakHeap) and the n ballots per second.
func benchPeaks(b *testing.B, n int, f func() error) {
	var heap, live float64
	for b.Loop() {
		runtime.GC()
		stop := peakHeap()
		if err := f(); err != nil {
			b.Fatal(err)
		}
		h, l := stop()
		heap, live = max(heap, h), max(live, l)
	}
	b.ReportMetric(heap, "peak-heap-MB")
	b.ReportMetric(live, "peak-live-MB")
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "ballots/s")
}

// BenchmarkCalibratedStream: sipas index's two paths for a linear
// calibration to level, gender and a numeric covariate, by province, on
// SIPAS_CAL_BALLOTS generated ballots (default 1M) from one Parquet file:
// "streamed" solves it in passes (weighting.SolveStream) and sums the
// ballots with their final weights; "in-memory" reads the file and runs
// weighting.NewDesign and Compute. It reports the peak heap (live and
// garbage objects) and peak live heap (sampled every ms), and ballots per
// second. SIPAS_CAL_BEFORE=poststratify (or rake) puts a
// post-stratification by province (a raking to province and level)
// before the calibration, SIPAS_CAL_AFTER=rake a raking to province and
// level after it (calibrate: a second calibration, raking-ratio to
// province and age; bconst: a calibration to province bounding the final
// weights):
//
//	go test ./index -run '^$' -bench CalibratedStream -benchtime 1x
func BenchmarkCalibratedStream(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("SIPAS_CAL_BALLOTS")); err == nil {
		n = v
	}
	path, ws := calibratedSurvey(b, b.TempDir(), n, os.Getenv("SIPAS_CAL_BEFORE"), os.Getenv("SIPAS_CAL_AFTER"))
	design := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc"}
	opt := &Options{By: []string{"province"}}
	ctx := context.Background()
	run := func(b *testing.B, f func() error) { benchPeaks(b, n, f) }
	b.Run("streamed", func(b *testing.B) {
		run(b, func() error {
			st, err := weighting.SolveStream(ctx, ws, ScanFile(path))
			if err != nil {
				return err
			}
			s, err := SumCalibratedFile(ctx, path, nil, design, opt, st, nil)
			if err != nil {
				return err
			}
			tab, err := s.Table(nil)
			if err != nil {
				return err
			}
			defer tab.Release()
			_, _, err = FromCalibratedSums(ctx, tab, nil, design, st, opt)
			return err
		})
	})
	b.Run("in-memory", func(b *testing.B) {
		run(b, func() error {
			rec, err := arrowio.ReadAll(path)
			if err != nil {
				return err
			}
			defer rec.Release()
			d, out, err := weighting.NewDesign(ctx, rec, ws, design)
			if err != nil {
				return err
			}
			defer out.Release()
			if _, err := Compute(ctx, d, out, nil, opt); err != nil {
				return fmt.Errorf("compute: %w", err)
			}
			return nil
		})
	})
}
