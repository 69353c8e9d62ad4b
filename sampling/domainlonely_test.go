package sampling

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
)

// TestAdjustDomainLonelyMatchesR: R options(survey.adjust.domain.lonely =
// TRUE) with lonely.psu "adjust", "average" and "remove", with and without
// fpc, by a domain that lies in one commune of several in four provinces
// (testdata/domainlonely.R, survey 4.1.1): means, totals and ratios. Totals
// under "adjust" follow current R instead (TestAdjustDomainLonelyCurrentR).
func TestAdjustDomainLonelyMatchesR(t *testing.T) {
	rec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "domainlonely", "sipas.csv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Release)
	designs := map[string]*Design{}
	checked, changed := 0, 0
	for _, g := range golden.Rows(t, filepath.Join("..", "testdata", "domainlonely", "goldens.csv")) {
		if strings.HasPrefix(g["design"], "adjust") && g["stat"] == "total" {
			checked++ // survey 4.1's centre at 0; see TestAdjustDomainLonelyCurrentR
			continue
		}
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
	if checked != 60 || changed < 16 {
		t.Errorf("checked %d golden rows (want 60), %d where the option matters", checked, changed)
	}
	// unsupported designs are errors
	_, err = NewDesign(rec, &DesignOptions{Weight: "w", Strata: "province", PSU: "commune", Lonely: LonelyAdjust, AdjustDomainLonely: true,
		AdjustInfluence: func(...[]float64) {}})
	if err == nil {
		t.Error("calibration-aware design with the domain adjustment: no error")
	}
}

// TestAdjustDomainLonelyCurrentR: under "adjust" with the domain
// adjustment, a domain-lonely stratum's n_h PSU totals (the domain's and
// n_h − 1 zeros) are centred at the mean PSU total over all strata of the
// domain, as current R survey (≥ 4.4), not at 0 as survey 4.1. Goldens from
// the formula in plain R (testdata/domainlonely_current.R; Debian ships
// survey 4.1.1), which checks itself against survey 4.1.1 with the old
// centre. Means and ratios are unaffected (their influence values sum to
// 0): their formula SEs equal survey 4.1.1's. Also with a stratum that is
// lonely in the whole design (province P12 with one commune), and through
// the covariance path.
func TestAdjustDomainLonelyCurrentR(t *testing.T) {
	dir := filepath.Join("..", "testdata", "domainlonely")
	recs := map[string]arrow.RecordBatch{}
	for _, f := range []string{"sipas", "sipas_lonely"} {
		rec, err := arrowio.ReadAll(filepath.Join(dir, f+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(rec.Release)
		recs[f] = rec
	}
	moved := 0
	rows := golden.Rows(t, filepath.Join(dir, "current.csv"))
	for _, g := range rows {
		rec := recs["sipas"]
		if strings.HasPrefix(g["design"], "lonely_") {
			rec = recs["sipas_lonely"]
		}
		spec := DesignOptions{Weight: "w", Strata: "province", PSU: "commune", Lonely: LonelyAdjust, AdjustDomainLonely: true}
		if strings.HasSuffix(g["design"], "_fpc") {
			spec.FPC = "fpc"
		}
		d, err := NewDesign(rec, &spec)
		if err != nil {
			t.Fatal(err)
		}
		name := g["design"] + " " + g["stat"] + " " + g["var"] + " " + g["domain"]
		se, se41 := golden.Float(t, g["se"]), golden.Float(t, g["se_survey41"])
		if g["stat"] != "total" && !golden.Close(se, se41, 1e-12) {
			t.Errorf("%s: formula SE %.17g differs from survey 4.1.1 %.17g for a mean or ratio", name, se, se41)
		}
		if !golden.Close(se, se41, 1e-6) {
			moved++
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
		if want := golden.Float(t, g["est"]); !golden.Close(got.Estimate, want, 1e-9) {
			t.Errorf("%s: estimate %.17g, R %.17g", name, got.Estimate, want)
		}
		if !golden.Close(got.SE, se, 1e-9) {
			t.Errorf("%s: SE %.17g, formula %.17g (survey 4.1.1 %.17g)", name, got.SE, se, se41)
		}
		if e.Statistic != StatTotal {
			continue
		}
		// the covariance path: both totals of the domain together
		dm, err := NewDomains(rec, []string{"rare"})
		if err != nil {
			t.Fatal(err)
		}
		r := &Ratios{Domain: dm.Code, NDomains: dm.Len(), Cov: true}
		for _, v := range []string{"visits", "sat"} {
			y, _ := estMeanColumn(t, rec, v)
			r.Num, r.Den = append(r.Num, y), append(r.Den, nil)
		}
		rr, err := d.EstimateRatios(r)
		if err != nil {
			t.Fatal(err)
		}
		gi := 0
		for ; estDomainLabel(dm.Labels(gi)) != g["domain"]; gi++ {
		}
		k := 0
		if g["var"] == "sat" {
			k = 1
		}
		if c := math.Sqrt(rr.Cov[gi].At(k, k)); !golden.Close(c, se, 1e-9) {
			t.Errorf("%s: SE from the covariance %.17g, formula %.17g", name, c, se)
		}
	}
	if len(rows) != 40 || moved < 6 {
		t.Errorf("%d golden rows (want 40), %d totals moved by the current rule (want ≥ 6)", len(rows), moved)
	}
}
