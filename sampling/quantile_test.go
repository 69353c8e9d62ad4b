package sampling

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
)

// Goldens from testdata/quantile.R (R svyquantile, survey 4.1.1; see
// testdata/quantile/versions.txt): the math and hf7 rules, Woodruff
// intervals (interval.type = "mean") and, for replicate designs, the
// replicate quantile intervals (interval.type = "quantile"), overall and
// by domain, on apistrat, apiclus1 and a SIPAS-shaped file with ties and
// missing values.
func TestQuantilesMatchR(t *testing.T) {
	load := func(name string) arrow.RecordBatch {
		rec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "quantile", name+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(rec.Release)
		return rec
	}
	strat, clus1, sip := load("apistrat"), load("apiclus1"), load("sipas")
	no := false
	designs := map[string]struct {
		rec  arrow.RecordBatch
		spec DesignOptions
	}{
		"strat":    {strat, DesignOptions{Weight: "pw", Strata: "stype", FPC: "fpc"}},
		"clus1":    {clus1, DesignOptions{Weight: "pw", PSU: "dnum", FPC: "fpc"}},
		"sipas":    {sip, DesignOptions{Weight: "w", Strata: "province", PSU: "commune"}},
		"jk1":      {clus1, DesignOptions{Weight: "pw", PSU: "dnum", FPC: "fpc", Variance: JK1, MSE: &no}},
		"jkn":      {strat, DesignOptions{Weight: "pw", Strata: "stype", FPC: "fpc", Variance: JKn, MSE: &no}},
		"sipasjkn": {sip, DesignOptions{Weight: "w", Strata: "province", PSU: "commune", Variance: JKn, MSE: &no}},
	}
	built := map[string]*Design{}
	type key struct{ design, rule, interval, v, by string }
	results := map[key]map[string]Quantile{}
	checked := 0
	for _, g := range golden.Rows(t, filepath.Join("..", "testdata", "quantile", "quantiles.csv")) {
		dd, ok := designs[g["design"]]
		if !ok {
			t.Fatalf("unknown design %q", g["design"])
		}
		d := built[g["design"]]
		if d == nil {
			var err error
			if d, err = NewDesign(dd.rec, &dd.spec); err != nil {
				t.Fatal(err)
			}
			built[g["design"]] = d
		}
		k := key{g["design"], g["rule"], g["interval"], g["var"], g["by"]}
		if results[k] == nil {
			rule, err := ParseQuantileRule(g["rule"])
			if err != nil {
				t.Fatal(err)
			}
			o := &QuantileOptions{Rule: rule}
			if g["interval"] == "quantile" {
				o.Interval = ReplicateQuantiles
			}
			if g["by"] != "" {
				o.By = []string{g["by"]}
			}
			qs, err := d.Quantiles(dd.rec, []string{g["var"]}, []float64{0.25, 0.5, 0.9}, o)
			if err != nil {
				t.Fatal(err)
			}
			results[k] = map[string]Quantile{}
			for _, q := range qs {
				results[k][estDomainLabel(q.Domain)+"|"+strconv.FormatFloat(q.P, 'g', -1, 64)] = q
			}
		}
		dom := g["domain"]
		q, ok := results[k][dom+"|"+g["p"]]
		if !ok {
			t.Fatalf("%v: no result for %q p=%s", k, dom, g["p"])
		}
		name := fmt.Sprintf("%v %s p=%s", k, g["domain"], g["p"])
		if q.DF != int(golden.Float(t, g["df"])) {
			t.Errorf("%s: df %d, R %s", name, q.DF, g["df"])
		}
		for _, c := range []struct {
			what string
			got  float64
		}{{"est", q.Estimate.Estimate}, {"lo", q.CILow}, {"hi", q.CIHigh}, {"se", q.SE}} {
			want := golden.Float(t, g[c.what])
			if !golden.Close(c.got, want, 1e-9) {
				t.Errorf("%s: %s = %.17g, R %.17g", name, c.what, c.got, want)
			}
		}
		checked++
	}
	if checked < 400 {
		t.Fatalf("checked %d golden rows", checked)
	}
}

// The rules on small hand-made cases, with the values R 4.1.1's
// survey:::qrule_math and qrule_hf7 give for x = 1..4, weights 1.
func TestQuantileRules(t *testing.T) {
	x := []float64{1, 2, 3, 4}
	cw := qsCumsum([]float64{1, 1, 1, 1}, nil)
	for _, c := range []struct {
		p, math, hf7 float64
	}{
		// math: cw ≤ p·W = 2 last at k = 2 and exact: x_2 = 2
		{0.5, 2, 2.5},
		// p·W = 1.2: last cw ≤ 1.2 is k = 1, not exact: x_2
		{0.3, 2, 1.9},
		// no cw ≤ 0: pos = 1, not exact: x_2 (R's last() of none is 1)
		{0, 2, 1},
		{1, 4, 4},
	} {
		if got := qsMath(x, cw, c.p); got != c.math {
			t.Errorf("math(%v) = %v, want %v", c.p, got, c.math)
		}
		if got := qsHF7(x, cw, c.p); math.Abs(got-c.hf7) > 1e-12 {
			t.Errorf("hf7(%v) = %v, want %v", c.p, got, c.hf7)
		}
	}
}
