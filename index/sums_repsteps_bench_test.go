package index

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	benchReplicatePaths(b, path, &sampling.DesignOptions{Strata: "stratum", PSU: "half", Variance: sampling.JKn}, ws, &Options{By: []string{"province"}}, false)
}
