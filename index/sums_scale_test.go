package index

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/heappeak"
	"github.com/sipas-go/sipas/internal/synth"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// TestWriteScaleFile writes the data of the scale benchmarks (docs/sums.md)
// when SIPAS_SCALE_FILE names the output: a generated survey of
// SIPAS_SCALE_BALLOTS ballots (default 1M; 63 province strata × 20 PSUs,
// 22 criteria, 7 expectation items) with only the columns sipas index
// reads, repeated SIPAS_SCALE_COPIES times (default 1) so that 10M or 100M
// ballots of the same shape cost the memory of one copy to write. The file
// also holds level, gender and age_group; when SIPAS_SCALE_WEIGHTING names
// a file, a WEIGHTING.json raking the design weights to province, gender ×
// age_group and level (totals: the file's weighted class totals perturbed
// as testdata/weighting_index.R does) and trimming at 3.5 × the median is
// written there, for the streamed weighting benchmark. When
// SIPAS_SCALE_SSU is k > 0, the file also has a second stage: "ssu", the
// j-th ballot of a PSU (in file order) in unit j div k of that PSU (k
// ballots a unit, the last one fewer), and "fpc2", twice the PSU's units
// (constant within the PSU), for --psu psu,ssu --fpc fpc,fpc2.
func TestWriteScaleFile(t *testing.T) {
	path := os.Getenv("SIPAS_SCALE_FILE")
	if path == "" {
		t.Skip("set SIPAS_SCALE_FILE to write the scale benchmark data")
	}
	ballots, copies := 1_000_000, 1
	if v, err := strconv.Atoi(os.Getenv("SIPAS_SCALE_BALLOTS")); err == nil {
		ballots = v
	}
	if v, err := strconv.Atoi(os.Getenv("SIPAS_SCALE_COPIES")); err == nil {
		copies = v
	}
	rec, _, err := synth.Survey(synth.SurveyConfig{Seed: 17, Ballots: ballots}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	q := DefaultQuestionnaire()
	cols := append([]string{"province", "stratum", "psu", "fpc", "weight", "level", "gender", "age_group"}, append(q.Columns(), q.ExpectationColumns()...)...)
	var fields []arrow.Field
	var arrs []arrow.Array
	for _, c := range cols {
		i := rec.Schema().FieldIndices(c)[0]
		fields = append(fields, rec.Schema().Field(i))
		arrs = append(arrs, rec.Column(i))
	}
	sel := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, rec.NumRows())
	defer sel.Release()
	if k, err := strconv.Atoi(os.Getenv("SIPAS_SCALE_SSU")); err == nil && k > 0 {
		pc, _ := arrowio.Column(rec, "psu")
		psu, _, _ := arrowio.Strings(pc)
		ssu, fpc2 := make([]string, len(psu)), make([]float64, len(psu))
		seen, units := map[string]int{}, map[string]int{}
		for i, p := range psu {
			ssu[i] = p + ":" + strconv.Itoa(seen[p]/k)
			seen[p]++
			units[p] = (seen[p] + k - 1) / k
		}
		for i, p := range psu {
			fpc2[i] = float64(2 * units[p])
		}
		staged := withColumns(sel, map[string][]float64{"fpc2": fpc2}, map[string][]string{"ssu": ssu})
		defer staged.Release()
		sel = staged
	}
	batches := make([]arrow.RecordBatch, copies)
	for i := range batches {
		batches[i] = sel
	}
	if err := arrowio.Write(path, sel.Schema(), batches); err != nil {
		t.Fatal(err)
	}
	if wpath := os.Getenv("SIPAS_SCALE_WEIGHTING"); wpath != "" {
		ga := make([]string, rec.NumRows())
		gc, _ := arrowio.Column(rec, "gender")
		ac, _ := arrowio.Column(rec, "age_group")
		g, _, _ := arrowio.Strings(gc)
		a, _, _ := arrowio.Strings(ac)
		for i := range ga {
			ga[i] = g[i] + ":" + a[i]
		}
		withGA := withColumns(rec, nil, map[string][]string{"gender_age": ga})
		defer withGA.Release()
		wc, _ := arrowio.Column(rec, "weight")
		w, _, _ := arrowio.Float64s(wc)
		grand := 0.0
		for _, v := range w {
			grand += v
		}
		grand *= float64(copies)
		ts := testTotals(t, withGA, "gender_age", "weight", grand)
		gaTot := map[string]float64{}
		for k, v := range ts {
			gaTot[k] = v
		}
		b, _ := json.Marshal(gaTot)
		spec := `{"design_weight": "weight", "steps": [{"rake": {"margins": [` + marginJSON("province", testTotals(t, rec, "province", "weight", grand)) +
			`, {"by": ["gender", "age_group"], "totals": ` + string(b) + `}, ` + marginJSON("level", testTotals(t, rec, "level", "weight", grand)) +
			`]}}, {"trim": {"max": 3.5}}]}`
		if err := os.WriteFile(wpath, []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkSumFile streams the Parquet file that SIPAS_SCALE_FILE names
// (written by TestWriteScaleFile) as sipas index does, by province, and
// finishes the indices from the sums; it reports ballots per second. For
// a profile of the streamed path:
//
//	SIPAS_SCALE_FILE=/tmp/s1m.parquet go test ./index -run TestWriteScaleFile
//	SIPAS_SCALE_FILE=/tmp/s1m.parquet go test ./index -run '^$' -bench SumFile -benchtime 3x -cpuprofile cpu.prof
func BenchmarkSumFile(b *testing.B) {
	path := os.Getenv("SIPAS_SCALE_FILE")
	if path == "" {
		b.Skip("set SIPAS_SCALE_FILE to a file written by TestWriteScaleFile")
	}
	spec := &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "fpc"}
	opt := &Options{By: []string{"province"}}
	var rows int64
	c0 := cpuSeconds()
	for b.Loop() {
		s, err := SumFile(context.Background(), path, nil, spec, opt, &StreamOptions{Progress: func(n int64) { rows = n }})
		if err != nil {
			b.Fatal(err)
		}
		tab, err := s.Table(nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := FromSums(context.Background(), tab, nil, spec, opt); err != nil {
			b.Fatal(err)
		}
		tab.Release()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "ballots/s")
	b.ReportMetric(float64(rows)*float64(b.N)/(cpuSeconds()-c0), "ballots/cpu-s")
	b.ReportMetric((cpuSeconds()-c0)*1e9/float64(b.N)/float64(rows), "cpu-ns/ballot")
}

// BenchmarkSumsAdd sums 200,000 generated ballots (in memory, batches of
// 64Ki rows) by province: the accumulation alone, without the decoding.
func BenchmarkSumsAdd(b *testing.B) {
	rec, _, err := synth.Survey(synth.SurveyConfig{Seed: 5, Ballots: 200_000}, memory.DefaultAllocator)
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Release()
	spec := &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "fpc"}
	opt := &Options{By: []string{"province"}}
	n := rec.NumRows()
	var batches []arrow.RecordBatch
	for i := int64(0); i < n; i += 1 << 16 {
		batches = append(batches, rec.NewSlice(i, min(n, i+1<<16)))
	}
	c0 := cpuSeconds()
	for b.Loop() {
		s, err := NewSums(nil, spec, opt, rec.Schema())
		if err != nil {
			b.Fatal(err)
		}
		for i, bt := range batches {
			if err := s.Add(bt, int64(i)<<16); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric((cpuSeconds()-c0)*1e9/float64(b.N)/float64(n), "cpu-ns/ballot")
}

// cpuSeconds returns the process's user + system CPU time: on a shared
// machine the figure to compare, wall-clock time depending on the load.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// BenchmarkSumFileWeighted streams the Parquet file that SIPAS_SCALE_FILE
// names with the WEIGHTING.json that SIPAS_SCALE_WEIGHTING names (both
// written by TestWriteScaleFile) as sipas index --weighting does, with
// PSUs, by province, and finishes the indices from the sums. It reports
// the most heap live at once over the run (heappeak: the collector kept
// at 10% growth, so that the figure is what is live, not when garbage
// is collected), in MB: the copies of the cells' sums held together.
//
//	SIPAS_SCALE_FILE=/work/scale/s1m.parquet SIPAS_SCALE_WEIGHTING=/tmp/WEIGHTING.json \
//	  go test ./index -run '^$' -bench SumFileWeighted -benchtime 1x
func BenchmarkSumFileWeighted(b *testing.B) {
	path, wpath := os.Getenv("SIPAS_SCALE_FILE"), os.Getenv("SIPAS_SCALE_WEIGHTING")
	if path == "" || wpath == "" {
		b.Skip("set SIPAS_SCALE_FILE and SIPAS_SCALE_WEIGHTING to the files written by TestWriteScaleFile")
	}
	f, err := os.Open(wpath)
	if err != nil {
		b.Fatal(err)
	}
	ws, err := weighting.ParseSpec(f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	spec := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc"}
	opt := &Options{By: []string{"province"}}
	var peak uint64
	for b.Loop() {
		peak = max(peak, heappeak.Peak(func() {
			s, err := SumFile(context.Background(), path, nil, spec, opt, &StreamOptions{Weighting: ws})
			if err != nil {
				b.Fatal(err)
			}
			tab, err := s.Table(nil)
			if err != nil {
				b.Fatal(err)
			}
			defer tab.Release()
			if _, _, _, err := FromWeightedSums(context.Background(), tab, nil, spec, ws, opt); err != nil {
				b.Fatal(err)
			}
		}))
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-live-MB")
}
