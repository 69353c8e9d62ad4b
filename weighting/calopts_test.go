package weighting_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// caloptsSteps are the calibrate steps of the R goldens of
// testdata/calopts.R, by case.
var caloptsSteps = func() map[string]string {
	const margins = `"margins": [{"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}], "numeric": {"enroll": 3811472}`
	const iter = `"epsilon": 1e-13, "max_iter": 200`
	const stype = `"margins": [{"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}]`
	return map[string]string{
		"ratio":           `"numeric": {"enroll": 3811472}, "variance": "enroll"`,
		"var_linear":      margins + `, "variance": "enroll"`,
		"var_bounded":     margins + `, "variance": "enroll", "bounds": [0.7, 1.6], ` + iter,
		"var_raking":      margins + `, "variance": "enroll", "method": "raking", ` + iter,
		"bconst_linear":   margins + `, "bounds": [15, 60], "bounds_const": true, ` + iter,
		"bconst_raking":   margins + `, "bounds": [15, 60], "bounds_const": true, "method": "raking", ` + iter,
		"rowbounds_logit": margins + `, "bounds_columns": ["glo", "ghi"], "method": "logit", ` + iter,
		"agg_raking":      margins + `, "aggregate": "dnum", "method": "raking", ` + iter,
		"agg_raking_w2":   margins + `, "aggregate": "dnum", "method": "raking", ` + iter,
		"agg_bounded":     `"numeric": {"one": 6194, "enroll": 3811472}, "aggregate": "dnum", "bounds": [0.2, 5], ` + iter,
		// unbounded linear (closed form) where R's weights stay positive
		"agg_linear":        stype + `, "aggregate": "dnum"`,
		"agg_linear_w2":     stype + `, "aggregate": "dnum"`,
		"agg_linear_num_w2": `"numeric": {"one": 6194, "api00": 4117230}, "aggregate": "dnum"`,
	}
}()

// caseWeights reads an R golden of weights (columns case, row, weight)
// by case, in row order.
func caseWeights(t *testing.T, path string) map[string][]float64 {
	t.Helper()
	weights := map[string][]float64{}
	for _, r := range golden.Rows(t, path) {
		weights[r["case"]] = append(weights[r["case"]], golden.Float(t, r["weight"]))
	}
	return weights
}

// TestCalibrateOptions: a working-model variance (the ratio estimator as a
// calibration), bounds on the final weights (bounds.const) and per-row
// bounds against R survey's calibrate (testdata/calopts.R): the weights
// and linearized SEs; g constant within clusters (aggregate) raked,
// bounded, and unbounded linear (closed form) where R's weights stay
// positive.
func TestCalibrateOptions(t *testing.T) {
	steps := caloptsSteps
	dir := filepath.Join("..", "testdata", "calopts")
	weights := caseWeights(t, filepath.Join(dir, "weights.csv"))
	ests := golden.Rows(t, filepath.Join(dir, "estimates.csv"))
	strat, err := arrowio.ReadAll(filepath.Join(dir, "apistrat.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer strat.Release()
	clus1, err := arrowio.ReadAll(filepath.Join(dir, "apiclus1.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer clus1.Release()
	if len(weights) != len(steps) {
		t.Fatalf("%d golden cases, %d in the test", len(weights), len(steps))
	}
	for key, want := range weights {
		rec, dw, opt := strat, "pw", &sampling.DesignOptions{Strata: "stype", FPC: "fpc"}
		if strings.HasPrefix(key, "agg_") {
			rec, opt = clus1, &sampling.DesignOptions{PSU: "dnum", FPC: "fpc"}
			if strings.HasSuffix(key, "_w2") {
				dw = "pw2"
			}
		}
		spec, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "` + dw + `", "steps": [{"calibrate": {` + steps[key] + `}}]}`))
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		d, wrec, err := weighting.NewDesign(context.Background(), rec, spec, opt)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
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

// The new calibrate fields reject what R would not make sense of.
func TestCalibrateOptionsSpecErrors(t *testing.T) {
	for _, c := range []string{
		`"numeric": {"enroll": 1}, "bounds_const": true`,
		`"numeric": {"enroll": 1}, "bounds": [10, 60], "bounds_columns": ["a", "b"]`,
		`"numeric": {"enroll": 1}, "bounds": [60, 10], "bounds_const": true`,
		`"numeric": {"enroll": 1}, "bounds": [10, 60]`,
		`"numeric": {"enroll": 1}, "bounds_columns": ["a"]`,
		`"numeric": {"enroll": 1}, "variance": 3`,
	} {
		if _, err := weighting.ParseSpecBytes([]byte(`{"steps": [{"calibrate": {` + c + `}}]}`)); err == nil {
			t.Errorf("%s: no error", c)
		}
	}
}

// Spec.Columns names the variance and bounds columns, so a reader loading
// only those columns has them.
func TestCalibrateOptionsColumns(t *testing.T) {
	spec, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "pw", "steps": [{"calibrate": {"numeric": {"enroll": 1},
		"variance": "v", "bounds_columns": ["lo", "hi"], "method": "logit"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(spec.Columns(), ",")
	if got != "pw,enroll,v,lo,hi" {
		t.Errorf("Columns = %s", got)
	}
}

// TestCalibrateAggregateRefusal: unbounded linear calibration of cluster
// means where R's weights go negative (calibrate(aggregate.stage = 1) on
// apiclus1 with stype + enroll; testdata/calopts.R, refusals.csv) is
// refused, and the error names every cluster R makes negative, the one
// with the smallest g first, with that g.
func TestCalibrateAggregateRefusal(t *testing.T) {
	dir := filepath.Join("..", "testdata", "calopts")
	r := golden.Rows(t, filepath.Join(dir, "refusals.csv"))[0]
	clus1, err := arrowio.ReadAll(filepath.Join(dir, "apiclus1.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer clus1.Release()
	spec, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "pw", "steps": [{"calibrate": {"margins": [{"by": ["stype"],
		"totals": {"E": 4421, "H": 755, "M": 1018}}], "numeric": {"enroll": 3811472}, "aggregate": "dnum"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = weighting.NewDesign(context.Background(), clus1, spec, &sampling.DesignOptions{PSU: "dnum", FPC: "fpc"})
	if !errors.Is(err, weighting.ErrNegativeWeight) {
		t.Fatalf("error %v, want ErrNegativeWeight", err)
	}
	msg := err.Error()
	clusters := strings.Fields(r["clusters"])
	want := []string{fmt.Sprintf("%d cluster(s)", len(clusters)), r["rows"] + " rows",
		fmt.Sprintf("%q (smallest g = %.4g)", r["min_cluster"], golden.Float(t, r["min_g"])), "steps[0]", "bounds"}
	for _, c := range clusters {
		want = append(want, strconv.Quote(c))
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not say %q", msg, w)
		}
	}
}
