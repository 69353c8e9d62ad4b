package weighting_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"gonum.org/v1/gonum/floats/scalar"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// ndGolden reads testdata/weighting/NAME: the estimate and SE keyed by the
// first keyCols columns joined with "|".
func ndGolden(t *testing.T, name string, keyCols int) map[string][2]float64 {
	t.Helper()
	_, rows := golden.Table(t, filepath.Join("..", "testdata", "weighting", name))
	out := map[string][2]float64{}
	for _, r := range rows {
		est, err1 := strconv.ParseFloat(r[keyCols], 64)
		se, err2 := strconv.ParseFloat(r[keyCols+1], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: row %v", name, r)
		}
		out[strings.Join(r[:keyCols], "|")] = [2]float64{est, se}
	}
	return out
}

// NewDesign gives R's calibration-aware SEs: linearized after raking and
// logit calibration of apistrat (svymean(~api00), svytotal(~enroll);
// testdata/weighting/se_apistrat.csv, survey 4.1.1), and JKn with every
// step re-run on every replicate on the synthetic SIPAS survey
// (svymean(~access_1); se_sipas.csv), estimates at 1e-9 and SEs at 1e-7.
func TestNewDesignMatchesR(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	api, err := arrowio.ReadAll(filepath.Join("..", "testdata", "api", "apistrat.csv"), arrowio.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer api.Release()
	gAPI := ndGolden(t, "se_apistrat.csv", 3)
	steps := map[string]string{
		"rake":      `{"rake": {"margins": [{"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}, {"by": ["sch.wide"], "totals": {"No": 1072, "Yes": 5122}}]}}`,
		"cal_logit": `{"calibrate": {"method": "logit", "bounds": [0.8, 1.3], "margins": [{"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}], "numeric": {"enroll": 3811472}}}`,
	}
	for cs, step := range steps {
		spec, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "pw", "steps": [` + step + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		d, rec, err := weighting.NewDesign(context.Background(), api, spec, &sampling.DesignOptions{Strata: "stype", FPC: "fpc"})
		if err != nil {
			t.Fatalf("%s: %v", cs, err)
		}
		mean, err := d.Mean(rec, []string{"api00"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		total, err := d.Total(rec, []string{"enroll"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			key     string
			est, se float64
		}{{cs + "|mean|api00", mean[0].Estimate, mean[0].SE}, {cs + "|total|enroll", total[0].Estimate, total[0].SE}} {
			g, ok := gAPI[c.key]
			if !ok {
				t.Fatalf("no golden %s", c.key)
			}
			okSE := scalar.EqualWithinAbsOrRel(c.se, g[1], 0, 1e-7)
			if g[1] < 1e-12*g[0] { // a calibrated total: SE 0 up to rounding
				okSE = c.se < 1e-9*g[0]
			}
			if !scalar.EqualWithinAbsOrRel(c.est, g[0], 0, 1e-9) || !okSE {
				t.Errorf("%s: %.12g (SE %.12g), R %.12g (%.12g)", c.key, c.est, c.se, g[0], g[1])
			}
		}
		if got := rec.Schema().FieldIndices(weighting.FinalWeightColumn); len(got) != 1 {
			t.Errorf("%s: no column %s", cs, weighting.FinalWeightColumn)
		}
		rec.Release()
	}

	sip, err := arrowio.ReadAll(filepath.Join("..", "testdata", "index", "sipas_small.csv"), arrowio.WithAllocator(mem),
		arrowio.WithColumns("province", "stratum", "psu", "fpc", "weight", "level", "gender", "age_group", "education", "access_1"))
	if err != nil {
		t.Fatal(err)
	}
	defer sip.Release()
	gSIP := ndGolden(t, "se_sipas.csv", 2)
	for _, cs := range []string{"rake", "cal_logit"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "weighting", "sipas_"+cs+".json"))
		if err != nil {
			t.Fatal(err)
		}
		spec, err := weighting.ParseSpecBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []sampling.VarianceMethod{sampling.Linearization, sampling.JKn} {
			d, rec, err := weighting.NewDesign(context.Background(), sip, spec, &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc", Nest: true, Variance: v})
			if err != nil {
				t.Fatalf("%s %v: %v", cs, v, err)
			}
			est, err := d.Mean(rec, []string{"access_1"}, nil)
			rec.Release()
			if err != nil {
				t.Fatal(err)
			}
			key := cs + "|linearization"
			if v == sampling.JKn {
				key = cs + "|jkn_mse"
				if d.Replicates() == 0 {
					t.Errorf("%s: JKn design without replicates", cs)
				}
			}
			g := gSIP[key]
			if !scalar.EqualWithinAbsOrRel(est[0].Estimate, g[0], 0, 1e-9) || !scalar.EqualWithinAbsOrRel(est[0].SE, g[1], 0, 1e-7) {
				t.Errorf("%s: %.12g (SE %.12g), R %.12g (%.12g)", key, est[0].Estimate, est[0].SE, g[0], g[1])
			}
		}
	}
}

// A design that already has its weights is an error, not a silent choice.
func TestNewDesignErrors(t *testing.T) {
	api, err := arrowio.ReadAll(filepath.Join("..", "testdata", "api", "apistrat.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer api.Release()
	spec, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "pw", "steps": [{"poststratify": {"by": ["stype"], "totals": {"E": 1, "H": 2, "M": 3, "X": 4}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, ds := range []*sampling.DesignOptions{{Weight: "pw"}, {RepWeightsPrefix: "r"}, nil} {
		if _, _, err := weighting.NewDesign(context.Background(), api, spec, ds); err == nil {
			t.Errorf("%+v: no error", ds)
		}
	}
	// a cancelled context stops the replicate runs with its error
	ok, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "pw", "steps": [{"poststratify": {"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := weighting.NewDesign(ctx, api, ok, &sampling.DesignOptions{Strata: "stype", Variance: sampling.JKn}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: error %v, want context.Canceled", err)
	}
}
