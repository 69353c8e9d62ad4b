package sampling

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
)

// TestAdjustDomainLonelyMatchesR: R options(survey.adjust.domain.lonely =
// TRUE) with lonely.psu "adjust", "average" and "remove", with and without
// fpc, by a domain that lies in one commune of several in four provinces
// (testdata/domainlonely.R, survey 4.1.1): means, totals and ratios.
func TestAdjustDomainLonelyMatchesR(t *testing.T) {
	rec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "domainlonely", "sipas.csv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Release)
	designs := map[string]*Design{}
	checked, changed := 0, 0
	for _, g := range golden.Rows(t, filepath.Join("..", "testdata", "domainlonely", "goldens.csv")) {
		d := designs[g["design"]]
		if d == nil {
			lp, fpc, _ := strings.Cut(g["design"], "_")
			policy, err := ParseLonelyPSU(lp)
			if err != nil {
				t.Fatal(err)
			}
			spec := DesignOptions{Weight: "w", Strata: "province", PSU: "commune", Lonely: policy, AdjustDomainLonely: true}
			if fpc != "" {
				spec.FPC = "fpc"
			}
			if d, err = NewDesign(rec, &spec); err != nil {
				t.Fatal(err)
			}
			designs[g["design"]] = d
		}
		e := Estimand{Statistic: Statistic(g["stat"]), Num: g["var"]}
		if num, den, ok := strings.Cut(g["var"], "/"); ok {
			e = Estimand{Statistic: StatRatio, Num: num, Den: den}
		}
		res, err := d.Estimates(rec, []Estimand{e}, &EstimateOptions{By: []string{"rare"}})
		if err != nil {
			t.Fatal(err)
		}
		got := statsByDomain(res)[g["domain"]]
		name := g["design"] + " " + g["stat"] + " " + g["var"] + " " + g["domain"]
		if want := golden.Float(t, g["est"]); !golden.Close(got.Estimate, want, 1e-9) {
			t.Errorf("%s: estimate %.17g, R %.17g", name, got.Estimate, want)
		}
		if want := golden.Float(t, g["se"]); !golden.Close(got.SE, want, 1e-9) {
			t.Errorf("%s: SE %.17g, R %.17g", name, got.SE, want)
		}
		// the option changes the rare domain's SE under adjust and average
		spec := d.Spec()
		spec.AdjustDomainLonely = false
		plain, err := NewDesign(rec, &spec)
		if err != nil {
			t.Fatal(err)
		}
		res0, err := plain.Estimates(rec, []Estimand{e}, &EstimateOptions{By: []string{"rare"}})
		if err != nil {
			t.Fatal(err)
		}
		if !golden.Close(statsByDomain(res0)[g["domain"]].SE, got.SE, 1e-9) {
			changed++
		}
		checked++
	}
	if checked != 60 || changed < 20 {
		t.Errorf("checked %d golden rows (want 60), %d where the option matters", checked, changed)
	}
	// unsupported designs are errors
	_, err = NewDesign(rec, &DesignOptions{Weight: "w", Strata: "province", PSU: "commune", Lonely: LonelyAdjust, AdjustDomainLonely: true,
		AdjustInfluence: func(...[]float64) {}})
	if err == nil {
		t.Error("calibration-aware design with the domain adjustment: no error")
	}
}
