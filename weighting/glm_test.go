package weighting_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// TestLogisticPostStratified: a logistic regression on a post-stratified
// design takes the calibration residuals of its influence values, as R
// svyglm after postStratify (testdata/glm.R, model ps_clus1).
func TestLogisticPostStratified(t *testing.T) {
	rec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "glm", "apiclus1.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	spec, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "pw", "steps": [{"poststratify": {"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	d, wrec, err := weighting.NewDesign(context.Background(), rec, spec, &sampling.DesignOptions{PSU: "dnum", FPC: "fpc"})
	if err != nil {
		t.Fatal(err)
	}
	defer wrec.Release()
	f, err := sampling.ParseFormula("yes ~ ell + meals")
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Logistic(wrec, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range golden.Rows(t, filepath.Join("..", "testdata", "glm", "coef.csv")) {
		if r["model"] != "ps_clus1" {
			continue
		}
		c := res.Coef[n]
		n++
		if c.Term != r["term"] {
			t.Fatalf("term %q, R %q", c.Term, r["term"])
		}
		for _, q := range []struct {
			name string
			got  float64
		}{{"estimate", c.Estimate}, {"se", c.SE}, {"p", c.P}, {"ci_low", c.CILow}} {
			if want := golden.Float(t, r[q.name]); !golden.Close(q.got, want, 1e-7) {
				t.Errorf("%s %s: %.12g, R %.12g", c.Term, q.name, q.got, want)
			}
		}
	}
	if n != len(res.Coef) {
		t.Errorf("%d coefficients, R %d", len(res.Coef), n)
	}
}
