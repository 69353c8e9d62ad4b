package sampling

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
)

func msLoad(t testing.TB, name string) arrow.RecordBatch {
	t.Helper()
	rec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "multistage", name+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Release)
	return rec
}

var msDesigns = map[string]struct {
	data string
	spec DesignOptions
}{
	"clus2": {"apiclus2", DesignOptions{Weight: "pw", PSU: "dnum", FPC: "fpc1", Stages: []Stage{{Unit: "snum", FPC: "fpc2"}}}},
	"mu284": {"mu284", DesignOptions{Weight: "w", PSU: "id1", FPC: "n1", Stages: []Stage{{Unit: "id2", FPC: "n2"}}}},
	// the second-stage fpc as a fraction gives the same design
	"mu284strat": {"mu284", DesignOptions{Weight: "ws", Strata: "str", PSU: "id1", FPC: "N1", Stages: []Stage{{Unit: "id2", FPC: "frac2"}}}},
	"three_remove": {"three", DesignOptions{Weight: "w", Strata: "stratum", PSU: "psu", FPC: "fpc1", Lonely: LonelyRemove,
		Stages: []Stage{{Unit: "ssu", FPC: "fpc2"}, {Unit: "el", FPC: "fpc3"}}}},
	"three_certainty": {"three", DesignOptions{Weight: "w", Strata: "stratum", PSU: "psu", FPC: "fpc1", Lonely: LonelyCertainty,
		Stages: []Stage{{Unit: "ssu", FPC: "fpc2"}, {Unit: "el", FPC: "fpc3"}}}},
	"three_adjust": {"three", DesignOptions{Weight: "w", Strata: "stratum", PSU: "psu", FPC: "fpc1", Lonely: LonelyAdjust,
		Stages: []Stage{{Unit: "ssu", FPC: "fpc2"}, {Unit: "el", FPC: "fpc3"}}}},
}

// TestMultistageR compares means, totals, ratios and domain means with R
// survey 4.1's full multistage variance (testdata/multistage.R) at 1e-9.
func TestMultistageR(t *testing.T) {
	rows := golden.Rows(t, filepath.Join("..", "testdata", "multistage", "goldens.csv"))
	n := 0
	for name, m := range msDesigns {
		rec := msLoad(t, m.data)
		d, err := NewDesign(rec, &m.spec)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, r := range rows {
			if r["design"] != name {
				continue
			}
			e := Estimand{Statistic: Statistic(r["stat"]), Num: r["var"]}
			if num, den, ok := strings.Cut(r["var"], "/"); ok {
				e = Estimand{Statistic: StatRatio, Num: num, Den: den}
			}
			var opt *EstimateOptions
			want := 0
			if by, val, ok := strings.Cut(r["domain"], "="); ok {
				opt = &EstimateOptions{By: []string{by}}
				res, err := d.Estimates(rec, []Estimand{e}, opt)
				if err != nil {
					t.Fatal(err)
				}
				want = -1
				for i, es := range res {
					if es.Domain[0].Value == val {
						want = i
					}
				}
				if want < 0 {
					t.Fatalf("%s: no domain %s", name, r["domain"])
				}
				msCheck(t, name+" "+r["domain"], res[want], r)
			} else {
				res, err := d.Estimates(rec, []Estimand{e}, nil)
				if err != nil {
					t.Fatal(err)
				}
				msCheck(t, name, res[0], r)
			}
			n++
		}
	}
	if n != len(rows) {
		t.Errorf("checked %d of %d golden rows", n, len(rows))
	}
}

func msCheck(t *testing.T, name string, got Estimate, r map[string]string) {
	t.Helper()
	if want := golden.Float(t, r["est"]); !golden.Close(got.Estimate, want, 1e-9) {
		t.Errorf("%s %s %s: estimate %.15g, R %.15g", name, r["stat"], r["var"], got.Estimate, want)
	}
	if want := golden.Float(t, r["se"]); !golden.Close(got.SE, want, 1e-9) {
		t.Errorf("%s %s %s: SE %.15g, R %.15g", name, r["stat"], r["var"], got.SE, want)
	}
}

// TestMultistageCovariance: the multistage terms enter covariances (a
// logistic regression's influence values, a combination) as they enter
// variances: Var(a − b) = Var(a) + Var(b) − 2 Cov(a, b).
func TestMultistageCovariance(t *testing.T) {
	rec := msLoad(t, "three")
	m := msDesigns["three_adjust"]
	d, err := NewDesign(rec, &m.spec)
	if err != nil {
		t.Fatal(err)
	}
	y, _ := estMeanColumn(t, rec, "y")
	x, _ := estMeanColumn(t, rec, "x")
	res, err := d.EstimateRatios(&Ratios{Num: [][]float64{y, x}, Combos: [][]float64{{1, -1}}, Cov: true})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Cov[0]
	if got, want := res.Var[2], c.At(0, 0)+c.At(1, 1)-2*c.At(0, 1); !golden.Close(got, want, 1e-9) {
		t.Errorf("Var(y − x) = %v, from the covariance %v", got, want)
	}
	// and the later stages add variance here: the ultimate-cluster design differs
	uc := m.spec
	uc.Stages = nil
	d1, err := NewDesign(rec, &uc)
	if err != nil {
		t.Fatal(err)
	}
	r1, err := d1.EstimateRatios(&Ratios{Num: [][]float64{y}})
	if err != nil {
		t.Fatal(err)
	}
	if golden.Close(r1.Var[0], res.Var[0], 1e-6) {
		t.Errorf("multistage variance %v equals the ultimate-cluster one", res.Var[0])
	}
}

func TestMultistageErrors(t *testing.T) {
	rec := msLoad(t, "three")
	for _, c := range []struct {
		name string
		spec DesignOptions
		want error
	}{
		{"fpc at one stage only", DesignOptions{Weight: "w", Strata: "stratum", PSU: "psu", FPC: "fpc1", Stages: []Stage{{Unit: "ssu"}}}, ErrBadFPC},
		{"fpc varies in a PSU", DesignOptions{Weight: "w", Strata: "stratum", PSU: "psu", FPC: "fpc1", Lonely: LonelyRemove, Stages: []Stage{{Unit: "ssu", FPC: "fpc3"}}}, ErrBadFPC},
		{"lonely SSU under fail", DesignOptions{Weight: "w", Strata: "stratum", PSU: "psu", FPC: "fpc1", Stages: []Stage{{Unit: "ssu", FPC: "fpc2"}}}, ErrLonelyPSU},
		{"lonely SSU under average", DesignOptions{Weight: "w", Strata: "stratum", PSU: "psu", FPC: "fpc1", Lonely: LonelyAverage, Stages: []Stage{{Unit: "ssu", FPC: "fpc2"}}}, ErrLonelyPSU},
		{"no PSU", DesignOptions{Weight: "w", Strata: "stratum", Stages: []Stage{{Unit: "el", FPC: "fpc3"}}}, ErrBadDesign},
		{"missing column", DesignOptions{Weight: "w", Strata: "stratum", PSU: "psu", FPC: "fpc1", Lonely: LonelyRemove, Stages: []Stage{{Unit: "nosuch", FPC: "fpc2"}}}, arrowio.ErrMissingColumn},
	} {
		if _, err := NewDesign(rec, &c.spec); !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		}
	}
}
