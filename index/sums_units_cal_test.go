package index

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// TestCalibratedSumsWithoutPSU: a calibration to numeric variables (and
// category margins) of a design without PSU column, every ballot its own
// PSU — linear, raking-ratio and logit with bounds, per-row bounds, a
// working-model variance, after nonresponse or followed by trimming —
// solved by passes over the file and finished from the cells' moments of
// the ballots' residual terms, equals weighting.NewDesign + Compute on the
// rows at 1e-12 (estimates, SEs, intervals, design effects, n, df, the
// differences from the nation), without strata, with strata, with strata
// and fpc, nationally and by domains, the fixture's missing answers
// included; and so does its sums table written and read back.
func TestCalibratedSumsWithoutPSU(t *testing.T) {
	f := numericCalFixture(t)
	defer f.rec.Release()
	level, gender, num := f.level, f.gender, f.num
	specs := []struct{ name, steps string }{
		{"linear numeric", `{"calibrate": {"numeric": ` + num + `}}`},
		{"linear", `{"calibrate": {"margins": [` + level + `, ` + gender + `], "numeric": ` + num + `}}`},
		{"raking bounds", `{"calibrate": {"method": "raking", "bounds": [0.3, 3], "margins": [` + level + `], "numeric": ` + num + `}}`},
		{"logit", `{"calibrate": {"method": "logit", "bounds": [0.4, 2.6], "margins": [` + gender + `], "numeric": ` + num + `}}`},
		{"bounds columns", `{"calibrate": {"bounds_columns": ["lo", "hi"], "margins": [` + level + `], "numeric": ` + num + `}}`},
		{"variance", `{"calibrate": {"variance": "s2", "margins": [` + level + `], "numeric": ` + num + `}}`},
		{"nonresponse then linear", `{"nonresponse": {"classes": ["region"], "responded": "responded"}}, {"calibrate": {"margins": [` + gender + `], "numeric": ` + num + `}}`},
		{"raking then trim", `{"calibrate": {"method": "raking", "margins": [` + level + `], "numeric": ` + num + `}}, {"trim": {"max": 1.5, "redistribute": "equal"}}`},
	}
	designs := []*sampling.DesignOptions{
		{},
		{Strata: "stratum"},
		{Strata: "stratum", FPC: "fpc"},
	}
	opts := []*Options{
		{},
		{By: []string{"level"}, VsNation: true},
		{By: []string{"province"}, Score: ScoreMean, NoExpectations: true},
	}
	for i, sp := range specs {
		if testing.Short() && !fullTests() && i%3 != 0 {
			continue // the race run: three specs, each on one design
		}
		ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [` + sp.steps + `]}`))
		if err != nil {
			t.Fatalf("%s: %v", sp.name, err)
		}
		st, err := weighting.SolveStream(context.Background(), ws, ScanFile(f.path))
		if err != nil {
			t.Fatalf("%s: %v", sp.name, err)
		}
		for j, design := range designs {
			// each spec meets every design and every option over the
			// specs (all of them with SIPAS_FULL_TESTS=1)
			if !fullTests() && (testing.Short() || j != i%len(designs)) && j != (i+1)%len(designs) {
				continue
			}
			if err := CalibratedSumsSupport(design, ws); err != nil {
				t.Fatalf("%s: %v", sp.name, err)
			}
			d, out, err := weighting.NewDesign(context.Background(), f.rec, ws, design)
			if err != nil {
				t.Fatalf("%s: %v", sp.name, err)
			}
			for k, opt := range opts {
				if !fullTests() && k != (i+j)%len(opts) {
					continue
				}
				where := fmt.Sprintf("%s, strata %q fpc %q, by %v", sp.name, design.Strata, design.FPC, opt.By)
				want, err := Compute(context.Background(), d, out, nil, opt)
				if err != nil {
					t.Fatal(err)
				}
				got := calibratedSummed(t, f.path, design, ws, st, opt)
				sameRows(t, where, want, got, 1e-12)
			}
			out.Release()
		}
	}
}

// TestCalibratedSumsWithoutPSURefused: without PSU column a calibration
// that needs every ballot streams alone (nonresponse before it, trimming
// after it); with post-stratification, raking or another calibration, or
// under replicates, it is refused with the reason.
func TestCalibratedSumsWithoutPSURefused(t *testing.T) {
	num := `{"age": 1000, "income": 500}`
	lv := `{"by": ["level"], "totals": {"1": 10, "2": 20}}`
	for _, c := range []struct {
		steps string
		spec  *sampling.DesignOptions
		want  error
	}{
		{`{"poststratify": ` + lv + `}, {"calibrate": {"numeric": ` + num + `}}`, &sampling.DesignOptions{}, errNoPSUWeighting},
		{`{"calibrate": {"numeric": ` + num + `}}, {"rake": {"margins": [` + lv + `]}}`, &sampling.DesignOptions{Strata: "stratum"}, errNoPSUWeighting},
		{`{"calibrate": {"margins": [` + lv + `]}}, {"calibrate": {"numeric": ` + num + `}}`, &sampling.DesignOptions{}, errNoPSUWeighting},
		{`{"trim": {"max": 3}}, {"calibrate": {"numeric": ` + num + `}}`, &sampling.DesignOptions{}, errNoPSUWeighting},
		{`{"calibrate": {"numeric": ` + num + `}}`, &sampling.DesignOptions{Variance: sampling.JK1}, errNoPSUReplicates},
	} {
		ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [` + c.steps + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		if err := CalibratedSumsSupport(c.spec, ws); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.steps, err, c.want)
		}
	}
	// means, totals and ratios: not yet
	ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [{"calibrate": {"numeric": ` + num + `}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := CalibratedEstimandSumsSupport(&sampling.DesignOptions{Strata: "stratum"}, ws); !errors.Is(err, errNoPSUEstimands) {
		t.Errorf("estimands: %v, want %v", err, errNoPSUEstimands)
	}
}
