package index

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// BenchmarkCalibratedReplicatesStream: sipas index's two paths for JKn
// after a linear calibration to level, gender and a numeric covariate, by
// province, on SIPAS_CAL_BALLOTS generated ballots (default 1M) from one
// Parquet file whose 63 strata have 2 PSUs each (the generator's 20 PSUs
// of a stratum joined into two halves: 126 replicates). "streamed" is
// weighting.SolveStream, SumCalibratedFile, NewCalibratedReplicates,
// CheckFile and FromCalibratedReplicateSums (5 passes); "in-memory" reads
// the file and runs weighting.NewDesign (126 calibrations of the rows)
// and Compute. It reports wall seconds, the peak heap (sampled every ms)
// and the largest relative difference between the two paths' estimates
// and SEs. SIPAS_CAL_MARGINS=province,level calibrates to those margins
// (the weighted totals × 1.01) instead of level, gender and the numeric
// covariate. SIPAS_CAL_BEFORE=poststratify (or rake) puts a
// post-stratification by province (a raking to province and level)
// before the calibration, which every replicate re-runs on its cells:
//
//	go test ./index -run '^$' -bench CalibratedReplicatesStream -benchtime 1x
func BenchmarkCalibratedReplicatesStream(b *testing.B) { benchCalibratedReplicates(b, "") }

// BenchmarkNewtonReplicatesStream is BenchmarkCalibratedReplicatesStream
// with a raking-ratio calibration: "streamed" solves the 126 replicates'
// Newton iterations in passes over the file (SolveNewtonReplicates) and
// sums the ballots with their replicate weights (NewtonReplicates.SumFile);
// "streamed-rows" is "streamed" with every Newton iteration a pass over
// the file (not over the groups of rows alike); "in-memory" rakes the
// rows 126 times (weighting.NewDesign):
//
//	go test ./index -run '^$' -bench NewtonReplicatesStream -benchtime 1x
func BenchmarkNewtonReplicatesStream(b *testing.B) { benchCalibratedReplicates(b, "raking") }

// benchCalibratedReplicates runs both paths of
// BenchmarkCalibratedReplicatesStream with the calibration method method
// ("": linear), changed by edit.
func benchCalibratedReplicates(b *testing.B, method string, edit ...func(*weighting.CalibrateStep)) {
	path, ws, _ := halvesSurvey(b)
	ws.Steps[len(ws.Steps)-1].Calibrate.Method = method
	for _, e := range edit {
		e(ws.Steps[len(ws.Steps)-1].Calibrate)
	}
	design := &sampling.DesignOptions{Strata: "stratum", PSU: "half", Variance: sampling.JKn}
	benchReplicatePaths(b, path, design, ws, &Options{By: []string{"province"}}, method != "")
}

// benchReplicatePaths runs sipas index's two paths for the replicates of
// the weighting ws of design on the file at path by opt: "streamed"
// (calibratedRepStreamed) and, with rows, "streamed-rows" (every Newton
// iteration a pass over the file, not over the groups of rows alike);
// "in-memory" reads the file and runs weighting.NewDesign (every
// replicate's weighting on the rows) and Compute. It reports wall and CPU
// seconds (user + system, of the process while the path ran), the peak
// heap and peak live heap (sampled every ms) and the largest relative
// difference between the two paths' estimates and SEs.
func benchReplicatePaths(b *testing.B, path string, design *sampling.DesignOptions, ws *weighting.Spec, opt *Options, rows bool) {
	ctx := context.Background()
	var res [2]*Result
	cpu := func() float64 {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	}
	run := func(b *testing.B, j int, f func() (*Result, error)) {
		var heap, live float64
		for b.Loop() {
			runtime.GC()
			stop := peakHeap()
			t0, c0 := time.Now(), cpu()
			r, err := f()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(time.Since(t0).Seconds(), "wall-s")
			b.ReportMetric(cpu()-c0, "cpu-s")
			h, l := stop()
			heap, live = max(heap, h), max(live, l)
			res[j] = r
		}
		b.ReportMetric(heap, "peak-heap-MB")
		b.ReportMetric(live, "peak-live-MB")
	}
	b.Run("streamed", func(b *testing.B) {
		run(b, 0, func() (*Result, error) { return calibratedRepStreamed(path, design, ws, opt) })
	})
	if rows {
		b.Run("streamed-rows", func(b *testing.B) {
			defer func(m int) { newtonMaxGroups = m }(newtonMaxGroups)
			newtonMaxGroups = -1
			run(b, 0, func() (*Result, error) { return calibratedRepStreamed(path, design, ws, opt) })
		})
	}
	b.Run("in-memory", func(b *testing.B) {
		run(b, 1, func() (*Result, error) {
			rec, err := arrowio.ReadAll(path)
			if err != nil {
				return nil, err
			}
			defer rec.Release()
			d, out, err := weighting.NewDesign(ctx, rec, ws, design)
			if err != nil {
				return nil, err
			}
			defer out.Release()
			r, err := Compute(ctx, d, out, nil, opt)
			if err != nil {
				return nil, fmt.Errorf("compute: %w", err)
			}
			return r, nil
		})
	})
	if res[0] != nil && res[1] != nil {
		var de, ds float64
		for i, w := range res[1].Rows {
			g := res[0].Rows[i]
			de = math.Max(de, math.Abs(w.Estimate-g.Estimate)/math.Abs(w.Estimate))
			ds = math.Max(ds, math.Abs(w.SE-g.SE)/math.Abs(w.SE))
		}
		b.Logf("%d rows: largest relative difference %.2g (estimates), %.2g (SEs)", len(res[1].Rows), de, ds)
	}
}

// halvesSurvey writes SIPAS_CAL_BALLOTS generated ballots (default 1M) to
// one Parquet file whose 63 strata have 2 PSUs each, column half (the
// generator's 20 PSUs of a stratum joined into two halves: 126 JKn
// replicates), and returns it with the linear calibration of
// calibratedSurvey, after the steps SIPAS_CAL_BEFORE names (poststratify
// or rake; none by default), and the number of ballots.
func halvesSurvey(b *testing.B) (string, *weighting.Spec, int) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("SIPAS_CAL_BALLOTS")); err == nil {
		n = v
	}
	dir := b.TempDir()
	path0, ws := calibratedSurvey(b, dir, n, os.Getenv("SIPAS_CAL_BEFORE"))
	rec0, err := arrowio.ReadAll(path0)
	if err != nil {
		b.Fatal(err)
	}
	sc, _ := arrowio.Column(rec0, "stratum")
	strata, _, _ := arrowio.Strings(sc)
	pc, _ := arrowio.Column(rec0, "psu")
	psus, _, _ := arrowio.Strings(pc)
	byStr := map[string][]string{}
	for i, h := range strata {
		if !slices.Contains(byStr[h], psus[i]) {
			byStr[h] = append(byStr[h], psus[i])
		}
	}
	for _, l := range byStr {
		slices.Sort(l)
	}
	half := make([]string, len(psus))
	for i, h := range strata {
		k, _ := slices.BinarySearch(byStr[h], psus[i])
		half[i] = h + "/" + strconv.Itoa(2*k/len(byStr[h]))
	}
	if m := os.Getenv("SIPAS_CAL_MARGINS"); m != "" {
		var grand float64
		wc, _ := arrowio.Column(rec0, "weight")
		w, _, _ := arrowio.Float64s(wc)
		for _, x := range w {
			grand += x
		}
		var js []string
		for _, c := range strings.Split(m, ",") {
			js = append(js, marginJSON(c, testTotals(b, rec0, c, "weight", grand*1.01)))
		}
		cal, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [{"calibrate": {"margins": [` + strings.Join(js, ", ") + `]}}]}`))
		if err != nil {
			b.Fatal(err)
		}
		ws.Steps[len(ws.Steps)-1] = cal.Steps[0]
	}
	rec := withColumns(rec0, nil, map[string][]string{"half": half})
	rec0.Release()
	path := filepath.Join(dir, "halves.parquet")
	if err := arrowio.WriteRecord(path, rec, arrowio.WithBatchSize(65536)); err != nil {
		b.Fatal(err)
	}
	rec.Release()
	return path, ws, n
}
