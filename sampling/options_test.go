package sampling

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
)

// Goldens of testdata/options.R (R survey 4.1 on the api data and mu284).

func optRows(t *testing.T, kase string) []map[string]string {
	t.Helper()
	var out []map[string]string
	for _, r := range golden.Rows(t, filepath.Join("..", "testdata", "options", "goldens.csv")) {
		if r["case"] == kase {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no golden rows for %s", kase)
	}
	return out
}

func optDesign(t *testing.T, data string, spec DesignOptions) (arrow.RecordBatch, *Design) {
	t.Helper()
	var rec arrow.RecordBatch
	if data == "mu284" {
		var err error
		if rec, err = arrowio.ReadAll(filepath.Join("..", "testdata", "options", "mu284.csv")); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(rec.Release)
	} else {
		rec = estLoad(t, data)
	}
	d, err := NewDesign(rec, &spec)
	if err != nil {
		t.Fatal(err)
	}
	return rec, d
}

func optCheck(t *testing.T, name string, got, want float64) {
	t.Helper()
	if !golden.Close(got, want, 1e-9) {
		t.Errorf("%s: %.15g, R %.15g", name, got, want)
	}
}

// optFind returns the estimate of res in the golden row's domain
// ("stype=E", or "" for the whole population).
func optFind(t *testing.T, res []Estimate, domain string) Estimate {
	t.Helper()
	_, val, _ := strings.Cut(domain, "=")
	for _, e := range res {
		if domain == "" && len(e.Domain) == 0 || len(e.Domain) == 1 && e.Domain[0].Value == val {
			return e
		}
	}
	t.Fatalf("no estimate for domain %q", domain)
	return Estimate{}
}

// TestFPCWeights: without a weight column the weights are Π N/n of the
// fpc at every stage, as R svydesign without weights.
func TestFPCWeights(t *testing.T) {
	specs := map[string]struct {
		data string
		spec DesignOptions
	}{
		"mu284":    {"mu284", DesignOptions{PSU: "id1", FPC: "n1", Stages: []Stage{{Unit: "id2", FPC: "n2"}}}},
		"stratfpc": {"apistrat", DesignOptions{Strata: "stype", FPC: "fpc"}},
		"clus1fpc": {"apiclus1", DesignOptions{PSU: "dnum", FPC: "fpc"}},
	}
	for _, r := range optRows(t, "fpcweights") {
		s := specs[r["design"]]
		rec, d := optDesign(t, s.data, s.spec)
		res, err := d.Estimates(rec, []Estimand{{Statistic: Statistic(r["stat"]), Num: r["var"]}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		name := r["design"] + " " + r["stat"]
		optCheck(t, name+" estimate", res[0].Estimate, golden.Float(t, r["est"]))
		optCheck(t, name+" SE", res[0].SE, golden.Float(t, r["se"]))
	}
}

// TestNormalIntervals: DFNormal gives R confint's default (df = Inf) and
// svyby(vartype = "ci").
func TestNormalIntervals(t *testing.T) {
	rec, d := optDesign(t, "apistrat", DesignOptions{Weight: "pw", Strata: "stype"})
	for _, r := range optRows(t, "normal") {
		var by []string
		if r["domain"] != "" {
			by = []string{"stype"}
		}
		res, err := d.Mean(rec, []string{"api00"}, &EstimateOptions{By: by, DF: DFNormal})
		if err != nil {
			t.Fatal(err)
		}
		e := optFind(t, res, r["domain"])
		optCheck(t, r["domain"]+" lo", e.CILow, golden.Float(t, r["lo"]))
		optCheck(t, r["domain"]+" hi", e.CIHigh, golden.Float(t, r["hi"]))
		if e.DF != 0 {
			t.Errorf("DF %d under DFNormal, want 0", e.DF)
		}
	}
}

// TestRepDF: a replicate design's degrees of freedom set by the user.
func TestRepDF(t *testing.T) {
	r := optRows(t, "repdf")[0]
	df, _ := strconv.Atoi(r["extra"])
	mse := false // R's default
	rec, d := optDesign(t, "apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", Variance: JK1, RepDF: df, MSE: &mse})
	if d.DF() != df {
		t.Fatalf("DF %d, want %d", d.DF(), df)
	}
	res, err := d.Mean(rec, []string{"api00"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	optCheck(t, "SE", res[0].SE, golden.Float(t, r["se"]))
	optCheck(t, "lo", res[0].CILow, golden.Float(t, r["lo"]))
	optCheck(t, "hi", res[0].CIHigh, golden.Float(t, r["hi"]))
	if _, err := NewDesign(rec, &DesignOptions{Weight: "pw", PSU: "dnum", RepDF: 5}); err == nil {
		t.Error("RepDF on a linearization design: no error")
	}
}

// TestShareIntervals: svyciprop(method = "asin" / "xlogit").
func TestShareIntervals(t *testing.T) {
	for _, r := range optRows(t, "ciprop") {
		data, spec := "apistrat", DesignOptions{Weight: "pw", Strata: "stype"}
		if r["design"] == "clus1" {
			data, spec = "apiclus1", DesignOptions{Weight: "pw", PSU: "dnum"}
		}
		rec, d := optDesign(t, data, spec)
		m, err := ParseCIMethod(r["stat"])
		if err != nil {
			t.Fatal(err)
		}
		level := golden.Float(t, r["domain"])
		res, err := d.Mean(rec, []string{"yes"}, &EstimateOptions{CI: m, Level: level})
		if err != nil {
			t.Fatal(err)
		}
		name := r["design"] + " " + r["stat"] + " " + r["domain"]
		optCheck(t, name+" lo", res[0].CILow, golden.Float(t, r["lo"]))
		optCheck(t, name+" hi", res[0].CIHigh, golden.Float(t, r["hi"]))
	}
}

// TestDeffWOR: design effects against sampling without replacement (R
// deff = TRUE) for means and totals.
func TestDeffWOR(t *testing.T) {
	specs := map[string]struct {
		data string
		spec DesignOptions
	}{
		"strat":    {"apistrat", DesignOptions{Weight: "pw", Strata: "stype"}},
		"stratfpc": {"apistrat", DesignOptions{Weight: "pw", Strata: "stype", FPC: "fpc"}},
		"clus1":    {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum"}},
	}
	for _, r := range optRows(t, "deffwor") {
		s := specs[r["design"]]
		rec, d := optDesign(t, s.data, s.spec)
		res, err := d.Estimates(rec, []Estimand{{Statistic: Statistic(r["stat"]), Num: r["var"]}}, &EstimateOptions{DeffWOR: true})
		if err != nil {
			t.Fatal(err)
		}
		optCheck(t, r["design"]+" "+r["stat"]+" deff", res[0].Deff, golden.Float(t, r["extra"]))
	}
}

// TestPopVariance: svyvar, overall and by domain. Where a domain has no
// observed value R returns 0 (SE 0); PopVariance returns NaN.
func TestPopVariance(t *testing.T) {
	for _, r := range optRows(t, "svyvar") {
		data, spec := "apistrat", DesignOptions{Weight: "pw", Strata: "stype"}
		if r["design"] == "clus1" {
			data, spec = "apiclus1", DesignOptions{Weight: "pw", PSU: "dnum"}
		}
		rec, d := optDesign(t, data, spec)
		var by []string
		if r["domain"] != "" {
			by = []string{"stype"}
		}
		res, err := d.PopVariance(rec, []string{r["var"]}, &EstimateOptions{By: by})
		if err != nil {
			t.Fatal(err)
		}
		e := optFind(t, res, r["domain"])
		name := r["design"] + " " + r["var"] + " " + r["domain"]
		if e.N == 0 {
			if r["est"] != "0" || e.Estimate == e.Estimate {
				t.Errorf("%s: empty domain: %v, R %s", name, e.Estimate, r["est"])
			}
			continue
		}
		optCheck(t, name+" estimate", e.Estimate, golden.Float(t, r["est"]))
		optCheck(t, name+" SE", e.SE, golden.Float(t, r["se"]))
	}
}
