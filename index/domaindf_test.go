package index

import (
	"context"
	"testing"

	"github.com/sipas-go/sipas/internal/golden"
	"github.com/sipas-go/sipas/sampling"
)

// TestDomainDFMatchesR checks Options.DF = sampling.DFDomain against R
// (testdata/domaindf.R): each domain's df is degf(subset(design, domain)),
// and its logit (svyciprop) and Wald (confint(..., df)) intervals use it;
// for domains that cut across strata (level, field) as well as for domains
// that are strata (province). The national rows keep the design's df.
func TestDomainDFMatchesR(t *testing.T) {
	rec := loadFixture(t)
	defer rec.Release()
	rows := golden.Rows(t, "../testdata/index/domaindf_goldens.csv")
	specs := map[string]*sampling.DesignOptions{
		"strat_clus":     {Weight: "weight", Strata: "stratum", PSU: "psu"},
		"strat_clus_fpc": {Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "fpc"},
	}
	type key struct{ design, by, domain, kind, id string }
	got := map[key]Row{}
	for name, spec := range specs {
		d, err := sampling.NewDesign(rec, spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, by := range []string{"province", "level", "field"} {
			for _, ci := range []sampling.CIMethod{sampling.Logit, sampling.Wald} {
				res, err := Compute(context.Background(), d, rec, nil, &Options{By: []string{by}, CI: ci, DF: sampling.DFDomain})
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range res.Rows {
					if len(r.Domain) == 0 {
						if r.DF != d.DF() {
							t.Fatalf("%s by %s: national row %s has df %d, want the design's %d", name, by, r.ID, r.DF, d.DF())
						}
						continue
					}
					kind := r.Kind
					if ci == sampling.Wald {
						if kind == KindCriterion {
							kind = "wald"
						} else if kind != KindSIPAS {
							continue
						}
					} else if kind == KindSIPAS {
						continue
					}
					got[key{name, by, r.Domain[0].Value, kind, r.ID}] = r
					got[key{name, by, r.Domain[0].Value, "df", ""}] = r
				}
			}
		}
	}
	checked, small := 0, 0
	for _, g := range rows {
		k := key{g["design"], g["by"], g["domain"], g["kind"], g["id"]}
		r, ok := got[k]
		if !ok {
			t.Errorf("no row for golden %+v", k)
			continue
		}
		wantDF := int(golden.Float(t, g["df"]))
		if r.DF != wantDF {
			t.Errorf("%+v: df %d, R degf(subset) %d", k, r.DF, wantDF)
		}
		if wantDF < 10 {
			small++
		}
		if k.kind == "df" {
			checked++
			continue
		}
		lo, hi := golden.Float(t, g["ci_low"]), golden.Float(t, g["ci_high"])
		if r.Flag == sampling.FlagBoundary {
			// 0 or 100 with SE 0: Korn–Graubard here (METHODOLOGY §4),
			// the point in R's confint.
			if lo != hi || (r.Estimate != lo) {
				t.Errorf("%+v: boundary row, R interval [%g, %g]", k, lo, hi)
			}
			checked++
			continue
		}
		tol := 1e-9 // closed form: est ± t(df)·SE
		if k.kind == "criterion" {
			tol = 1e-7 // R fits a glm for the logit interval
		}
		if !golden.Close(r.CILow, lo, tol) || !golden.Close(r.CIHigh, hi, tol) {
			t.Errorf("%+v: interval [%.12g, %.12g], R [%.12g, %.12g]", k, r.CILow, r.CIHigh, lo, hi)
		}
		checked++
	}
	if checked < 1000 || small == 0 {
		t.Fatalf("checked %d golden rows (%d with df < 10); the goldens do not exercise domain df", checked, small)
	}
}

// TestDomainDFWidens: with the domain df the interval of a domain is the
// design-df interval widened by t(df_d)/t(df) on the logit scale (logit)
// or around the estimate (Wald), with the same estimate and SE.
func TestDomainDFWidens(t *testing.T) {
	rec := loadFixture(t)
	defer rec.Release()
	d, err := sampling.NewDesign(rec, &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu"})
	if err != nil {
		t.Fatal(err)
	}
	base, err := Compute(context.Background(), d, rec, nil, &Options{By: []string{"province"}, CI: sampling.Wald})
	if err != nil {
		t.Fatal(err)
	}
	dom, err := Compute(context.Background(), d, rec, nil, &Options{By: []string{"province"}, CI: sampling.Wald, DF: sampling.DFDomain})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, b := range base.Rows {
		r := dom.Rows[i]
		if r.Estimate != b.Estimate || r.SE != b.SE || b.DF != d.DF() {
			t.Fatalf("row %d: estimate/SE/df changed: %+v vs %+v", i, r, b)
		}
		if len(r.Domain) == 0 || !(b.SE > 1e-9) || r.CILow <= 0 || r.CIHigh >= 100 {
			// (Wald bounds are clipped to 0–100.)
			continue
		}
		// Wald: half-width ratio = t quantile ratio, computed here from the
		// rows' own df with gonum-free closed values for the fixture's df 2
		// (t_{2,0.975} = 4.302652729749464, from R qt(0.975, 2)).
		if r.DF != 2 {
			t.Fatalf("row %d: province df %d, want 2 (3 PSUs in one stratum)", i, r.DF)
		}
		wb, wd := b.CIHigh-b.Estimate, r.CIHigh-r.Estimate
		tb := (b.CIHigh - b.CILow) / (2 * b.SE)
		if !golden.Close(wd/wb, 4.302652729749464/tb, 1e-9) {
			t.Errorf("row %d: half-width ratio %.12g, want %.12g", i, wd/wb, 4.302652729749464/tb)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no domain row compared")
	}
}
