package index

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sipas-go/sipas/internal/golden"
	"github.com/sipas-go/sipas/sampling"
)

// TestComputeLikelihood: under sampling.Likelihood the criterion and
// expectation rows get R svyciprop(method = "likelihood") on the rows that
// answered (testdata/cilik_index.R), nationally and by province, at 1e-7
// (iterative); the elements and SIPAS keep the logit interval.
func TestComputeLikelihood(t *testing.T) {
	rec := loadFixture(t)
	defer rec.Release()
	d, err := sampling.NewDesign(rec, &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "fpc", Nest: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Compute(context.Background(), d, rec, nil, &Options{By: []string{"province"}, CI: sampling.Likelihood})
	if err != nil {
		t.Fatal(err)
	}
	logit, err := Compute(context.Background(), d, rec, nil, &Options{By: []string{"province"}})
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ domain, kind, id string }
	got := map[key]Row{}
	for i, r := range res.Rows {
		dom := ""
		if len(r.Domain) > 0 {
			dom = r.Domain[0].Value
		}
		got[key{dom, r.Kind, r.ID}] = r
		l := logit.Rows[i]
		if r.Estimate != l.Estimate || r.SE != l.SE {
			t.Errorf("%v: estimate or SE differ from the logit run", key{dom, r.Kind, r.ID})
		}
		if (r.Kind == KindElement || r.Kind == KindSIPAS) && (r.CILow != l.CILow || r.CIHigh != l.CIHigh) {
			t.Errorf("%v: composite interval [%g, %g], logit [%g, %g]", key{dom, r.Kind, r.ID}, r.CILow, r.CIHigh, l.CILow, l.CIHigh)
		}
	}
	n := 0
	for _, g := range golden.Rows(t, filepath.Join("..", "testdata", "cilik", "index.csv")) {
		r, ok := got[key{g["domain"], g["kind"], g["id"]}]
		if !ok {
			t.Errorf("no row for %v", g)
			continue
		}
		n++
		where := g["domain"] + "/" + g["id"]
		if !golden.Close(r.Estimate, golden.Float(t, g["estimate"]), 1e-7) {
			t.Errorf("%s: estimate %.15g, R %s", where, r.Estimate, g["estimate"])
		}
		if !golden.Close(r.CILow, golden.Float(t, g["lo"]), 1e-7) || !golden.Close(r.CIHigh, golden.Float(t, g["hi"]), 1e-7) {
			t.Errorf("%s: [%.15g, %.15g], R [%s, %s]", where, r.CILow, r.CIHigh, g["lo"], g["hi"])
		}
	}
	if n < 100 {
		t.Errorf("only %d golden rows", n)
	}
}
