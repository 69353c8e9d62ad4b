package weighting_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// TestCalibrateTrim: calibration with trim = c(lo, hi) against R survey's
// calibrate (testdata/caltrim.R): the weights and linearized SEs.
func TestCalibrateTrim(t *testing.T) {
	weights := caseWeights(t, filepath.Join("..", "testdata", "caltrim", "weights.csv"))
	ests := golden.Rows(t, filepath.Join("..", "testdata", "caltrim", "estimates.csv"))
	for key, want := range weights {
		parts := strings.Split(key, "_")
		data, lo, hi := parts[0], parts[1], parts[2]
		rec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "api", data+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer rec.Release()
		spec, err := weighting.ParseSpecBytes([]byte(fmt.Sprintf(`{"design_weight": "pw", "steps": [{"calibrate": {"method": "raking", "trim": [%s, %s], "epsilon": 1e-13, "max_iter": 200,
			"margins": [{"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}], "numeric": {"enroll": 3811472}}}]}`, lo, hi)))
		if err != nil {
			t.Fatal(err)
		}
		opt := &sampling.DesignOptions{Strata: "stype", FPC: "fpc"}
		if data == "apiclus1" {
			opt = &sampling.DesignOptions{PSU: "dnum", FPC: "fpc"}
		}
		d, wrec, err := weighting.NewDesign(context.Background(), rec, spec, opt)
		if err != nil {
			t.Fatal(err)
		}
		defer wrec.Release()
		for i, w := range d.Weights() {
			if !golden.Close(w, want[i], 1e-9) {
				t.Fatalf("%s row %d: weight %v, R %v", key, i+1, w, want[i])
			}
		}
		for _, r := range ests {
			if r["case"] != key {
				continue
			}
			res, err := d.Estimates(wrec, []sampling.Estimand{{Statistic: sampling.Statistic(r["stat"]), Num: r["var"]}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			est, se := golden.Float(t, r["est"]), golden.Float(t, r["se"])
			if se < 1e-12*math.Abs(est) { // a calibration variable: the SE is rounding noise
				if !golden.Close(res[0].Estimate, est, 1e-9) || res[0].SE > 1e-9*math.Abs(est) {
					t.Errorf("%s %s %s: %v (SE %v), R %v (SE ≈ 0)", key, r["stat"], r["var"], res[0].Estimate, res[0].SE, est)
				}
				continue
			}
			if !golden.Close(res[0].Estimate, est, 1e-9) || !golden.Close(res[0].SE, se, 1e-9) {
				t.Errorf("%s %s %s: %v (SE %v), R %s (SE %s)", key, r["stat"], r["var"], res[0].Estimate, res[0].SE, r["est"], r["se"])
			}
		}
	}
}
