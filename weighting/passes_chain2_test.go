package weighting_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
	"github.com/sipas-go/sipas/weighting"
)

// calchain2Steps are the steps of the R goldens of testdata/calchain2.R,
// by case: a second calibration that needs every row after a first, with
// a post-stratification between or after them, and a calibration to the
// stype margin with bounds on the final weights after a calibration.
func calchain2Steps(t *testing.T) map[string]string {
	return golden.Steps(t, filepath.Join("..", "testdata", "calchain2", "steps.json"))
}

// TestSecondCalibrationR: a second calibration that needs every row, and
// a calibration bounding the final weights, after a calibration to a
// numeric variable, against R survey (testdata/calchain2.R:
// calibrate(calibrate(des, ...), ...), with bounds.const): the weights
// at 1e-9, and the estimates and linearized SEs (svyrecvar removes each
// calibration's projection in turn) at 1e-9; each streams, and the
// streamed weights equal R's and Apply's.
func TestSecondCalibrationR(t *testing.T) {
	checkCalibrationGoldens(t, "calchain2", calchain2Steps(t))
}

// chain2Cases are weightings with a second calibration that needs every
// row (or bounds the final weights) in other company: earlier steps with
// residuals, a raking or trimming between, a trimming or nonresponse
// step after, a third calibration, a working-model variance.
func chain2Cases() map[string]string {
	const stype = `{"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}`
	const wide = `{"by": ["sch.wide"], "totals": {"No": 1072, "Yes": 5122}}`
	const rake = `{"rake": {"margins": [` + stype + `, ` + wide + `], "max_iter": 1000, "epsilon": 1e-14}}`
	const post = `{"poststratify": ` + stype + `}`
	const lin = `{"calibrate": {"margins": [{"by": ["comp.imp"], "totals": {"No": 2200, "Yes": 3994}}], "numeric": {"enroll": 3811472}}}`
	const lin2 = `{"calibrate": {"margins": [` + stype + `], "numeric": {"api99": 3914069}}}`
	const raking2 = `{"calibrate": {"margins": [` + wide + `], "numeric": {"api99": 3914069}, "method": "raking", "epsilon": 1e-13, "max_iter": 200}}`
	const bc = `{"calibrate": {"margins": [` + stype + `], "bounds": [12, 46], "bounds_const": true, "epsilon": 1e-13, "max_iter": 200}}`
	const trim = `{"trim": {"max": 1.3, "min": 0.8}}`
	const nr = `{"nonresponse": {"classes": ["stype"], "responded": "sch.wide"}}`
	return map[string]string{
		"post_linear_linear":       post + `, ` + lin + `, ` + lin2,
		"rake_linear_raking_trim":  rake + `, ` + lin + `, ` + raking2 + `, ` + trim,
		"linear_rake_linear":       lin + `, ` + rake + `, ` + lin2,
		"linear_rake_post_bconst":  lin + `, ` + rake + `, ` + post + `, ` + bc,
		"linear_trim_linear_post":  lin + `, ` + trim + `, ` + lin2 + `, ` + post,
		"linear_linear_bconst":     lin + `, ` + lin2 + `, ` + bc,
		"nr_linear_bconst_nr_post": nr + `, ` + lin + `, ` + strings.Replace(bc, "46", "110", 1) + `, {"nonresponse": {"classes": ["comp.imp"], "responded": "sch.wide"}}, ` + post,
		"linear_variance":          lin + `, {"calibrate": {"numeric": {"api99": 3914069}, "variance": "enroll"}}`,
		"three calibrations":       lin + `, ` + lin2 + `, {"calibrate": {"margins": [` + wide + `], "numeric": {"api00": 4117230}, "method": "logit", "bounds": [0.6, 1.6], "epsilon": 1e-13, "max_iter": 200}}`,
	}
}

// TestSolveStreamSecondCalibration: the chains of chain2Cases, solved by
// passes over batches of apistrat, give Apply's weights and the residuals
// of AdjustInfluence composed from the rows' terms (chainResidual).
func TestSolveStreamSecondCalibration(t *testing.T) {
	dir := filepath.Join("..", "testdata", "calchain2")
	rec, err := arrowio.ReadAll(filepath.Join(dir, "apistrat.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	for key, steps := range chain2Cases() {
		spec := calpreSpec(t, steps)
		if err := weighting.StreamSupport(spec); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		passes := checkStreamed(t, key, spec, rec, nil)
		t.Logf("%s: %d passes", key, passes)
	}
}

// TestSolveStreamSecondCalibrationAggregate: a second calibration of
// cluster means after a first, on apiclus1 (clusters dnum, weights
// varying within them), by passes: Apply's weights and residuals.
func TestSolveStreamSecondCalibrationAggregate(t *testing.T) {
	rec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "calopts", "apiclus1.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	const first = `{"calibrate": {"numeric": {"enroll": 3811472}}}`
	for key, second := range map[string]string{
		"aggregate raking": `{"calibrate": {"margins": [{"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}], "aggregate": "dnum", "method": "raking", "epsilon": 1e-13, "max_iter": 200}}`,
		"aggregate linear": `{"calibrate": {"numeric": {"one": 6194, "api00": 4117230}, "aggregate": "dnum"}}`,
	} {
		spec, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "pw2", "steps": [` + first + `, ` + second + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		checkStreamed(t, key, spec, rec, nil)
	}
}
