package index

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// BenchmarkLaterStepsReplicatesStream: sipas index's two paths for JKn
// (126 replicates) after the linear calibration of halvesSurvey (level,
// gender and a numeric covariate; SIPAS_CAL_BALLOTS ballots, default 1M)
// followed by a post-stratification by province (the weighted totals ×
// 1.01), by province. "streamed" is weighting.SolveStream,
// SolveNewtonReplicates (every replicate's closed form, then one pass that
// re-runs the post-stratification on every replicate's province totals)
// and the sums pass with the replicate weights; "in-memory" reads the file
// and runs weighting.NewDesign (126 calibrations and post-stratifications
// of the rows) and Compute. It reports wall and CPU seconds (user +
// system, of the process while the path ran), the peak heap (sampled
// every ms) and the largest relative difference between the two paths'
// estimates and SEs. SIPAS_CAL_METHOD=raking makes the calibration
// raking-ratio. SIPAS_REPSTEPS_DIR=DIR also writes the file and the
// weighting specification there (DIR/halves.parquet, DIR/weighting.json)
// for the CLI:
//
//	go test ./index -run '^$' -bench LaterStepsReplicatesStream -benchtime 1x
func BenchmarkLaterStepsReplicatesStream(b *testing.B) {
	path, ws, _ := halvesSurvey(b)
	ws.Steps[len(ws.Steps)-1].Calibrate.Method = os.Getenv("SIPAS_CAL_METHOD")
	rec, err := arrowio.ReadAll(path)
	if err != nil {
		b.Fatal(err)
	}
	wc, _ := arrowio.Column(rec, "weight")
	w, _, _ := arrowio.Float64s(wc)
	var grand float64
	for _, x := range w {
		grand += x
	}
	post, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [{"poststratify": ` + marginJSON("province", testTotals(b, rec, "province", "weight", grand*1.01)) + `}]}`))
	rec.Release()
	if err != nil {
		b.Fatal(err)
	}
	ws.Steps = append(ws.Steps, post.Steps[0])
	if dir := os.Getenv("SIPAS_REPSTEPS_DIR"); dir != "" {
		// the specification as WEIGHTING.json spells it (the calibration
		// of halvesSurvey, then the post-stratification)
		c := ws.Steps[len(ws.Steps)-2].Calibrate
		var ms []string
		for _, m := range c.Margins {
			ms = append(ms, marginJSON(m.By[0], m.Totals))
		}
		num, _ := json.Marshal(c.Numeric)
		ps := ws.Steps[len(ws.Steps)-1].PostStratify
		js := fmt.Sprintf(`{"design_weight": "weight", "steps": [{"calibrate": {"method": %q, "margins": [%s], "numeric": %s}}, {"poststratify": %s}]}`,
			cmp.Or(c.Method, "linear"), strings.Join(ms, ", "), num, marginJSON(ps.By[0], ps.Totals))
		if len(ws.Steps) != 2 {
			b.Fatal("SIPAS_REPSTEPS_DIR: steps before the calibration are not written")
		}
		if err := os.WriteFile(filepath.Join(dir, "weighting.json"), []byte(js), 0o644); err != nil {
			b.Fatal(err)
		}
		if err := os.Link(path, filepath.Join(dir, "halves.parquet")); err != nil {
			b.Fatal(err)
		}
	}
	design := &sampling.DesignOptions{Strata: "stratum", PSU: "half", Variance: sampling.JKn}
	opt := &Options{By: []string{"province"}}
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
