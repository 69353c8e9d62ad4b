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

// glmModels are the designs and formulas of testdata/glm.R.
var glmModels = map[string]struct {
	data    string
	spec    DesignOptions
	formula string
}{
	"clus1":        {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum"}, "yes ~ stype + ell + meals"},
	"clus1fpc":     {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", FPC: "fpc"}, "yes ~ stype + ell + meals"},
	"clus1na":      {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", FPC: "fpc"}, "yes ~ avg.ed + stype"},
	"stratfpc":     {"apistrat", DesignOptions{Weight: "pw", Strata: "stype", FPC: "fpc"}, "yes ~ ell + mobility + avg.ed"},
	"ballots":      {"ballots", DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "fpc"}, "satisfied ~ gender + age_group + field"},
	"ballotsnofpc": {"ballots", DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu"}, "satisfied ~ age_group + gender"},
	// replicate designs (R's default mse = FALSE, and TRUE)
	"clus1jk1":    {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", Variance: JK1, MSE: new(bool)}, "yes ~ stype + ell + meals"},
	"clus1jk1mse": {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", Variance: JK1}, "yes ~ stype + ell + meals"},
	"stratjkn":    {"apistrat", DesignOptions{Weight: "pw", Strata: "stype", Variance: JKn, MSE: new(bool)}, "yes ~ ell + mobility"},
}

func glmLoad(t testing.TB, name string) arrow.RecordBatch {
	t.Helper()
	rec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "glm", name+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Release)
	return rec
}

func glmFitModel(t testing.TB, model string) *GLMResult {
	t.Helper()
	m, ok := glmModels[model]
	if !ok {
		t.Fatalf("golden model %q not in glmModels", model)
	}
	rec := glmLoad(t, m.data)
	d, err := NewDesign(rec, &m.spec)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFormula(m.formula)
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Logistic(rec, f, nil)
	if err != nil {
		t.Fatalf("%s: %v", model, err)
	}
	return res
}

// TestLogisticR compares coefficients, SEs, t, p, intervals, df and n with
// R survey 4.1 svyglm(family = quasibinomial) (testdata/glm.R). The fit is
// iterative (1e-7), the rest follows from it.
func TestLogisticR(t *testing.T) {
	rows := golden.Rows(t, filepath.Join("..", "testdata", "glm", "coef.csv"))
	fits := map[string]*GLMResult{}
	seen := map[string]int{}
	for _, r := range rows {
		model := r["model"]
		if strings.HasPrefix(model, "ps_") {
			continue // calibrated designs: weighting's tests
		}
		res, ok := fits[model]
		if !ok {
			res = glmFitModel(t, model)
			fits[model] = res
			if f := glmModels[model].formula; f != r["formula"] {
				t.Fatalf("%s: Go formula %q, R formula %q", model, f, r["formula"])
			}
		}
		j := seen[model]
		seen[model]++
		if j >= len(res.Coef) {
			t.Fatalf("%s: R has more coefficients than %d", model, len(res.Coef))
		}
		c := res.Coef[j]
		if c.Term != r["term"] {
			t.Fatalf("%s coefficient %d: term %q, R %q", model, j, c.Term, r["term"])
		}
		for _, q := range []struct {
			name string
			got  float64
		}{{"estimate", c.Estimate}, {"se", c.SE}, {"t", c.T}, {"p", c.P}, {"ci_low", c.CILow}, {"ci_high", c.CIHigh}} {
			if want := golden.Float(t, r[q.name]); !golden.Close(q.got, want, 1e-7) {
				t.Errorf("%s %s %s: got %.12g, R %.12g", model, c.Term, q.name, q.got, want)
			}
		}
		if want := int(golden.Float(t, r["df"])); res.DF != want {
			t.Errorf("%s: df %d, R %d", model, res.DF, want)
		}
		if want := int(golden.Float(t, r["n"])); res.N != want {
			t.Errorf("%s: n %d, R %d", model, res.N, want)
		}
	}
	for model, res := range fits {
		if seen[model] != len(res.Coef) {
			t.Errorf("%s: %d coefficients, R %d", model, len(res.Coef), seen[model])
		}
	}
	// the whole covariance matrix
	vrows := golden.Rows(t, filepath.Join("..", "testdata", "glm", "vcov.csv"))
	for _, r := range vrows {
		if strings.HasPrefix(r["model"], "ps_") {
			continue
		}
		res := fits[r["model"]]
		i, j := glmTermIndex(res, r["row"]), glmTermIndex(res, r["col"])
		if i < 0 || j < 0 {
			t.Fatalf("%s: no term %q or %q", r["model"], r["row"], r["col"])
		}
		if got, want := res.Cov.At(i, j), golden.Float(t, r["value"]); !golden.Close(got, want, 1e-7) {
			t.Errorf("%s cov(%s, %s): got %.12g, R %.12g", r["model"], r["row"], r["col"], got, want)
		}
	}
}

func glmTermIndex(res *GLMResult, term string) int {
	for i, c := range res.Coef {
		if c.Term == term {
			return i
		}
	}
	return -1
}

func TestLogisticErrors(t *testing.T) {
	rec := glmLoad(t, "apiclus1")
	d, err := NewDesign(rec, &DesignOptions{Weight: "pw", PSU: "dnum"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		formula string
		want    error
	}{
		{"ell ~ stype", ErrBadDesign}, // not in [0, 1]
		{"yes ~ stype + nosuch", arrowio.ErrMissingColumn},
		{"yes ~ ell + factor(yes2)", arrowio.ErrMissingColumn},
		{"yes ~ sch.wide", ErrNotConverged}, // yes is sch.wide: complete separation
	} {
		f, err := ParseFormula(c.formula)
		if err != nil {
			t.Fatalf("%q: %v", c.formula, err)
		}
		_, err = d.Logistic(rec, f, nil)
		if !errors.Is(err, c.want) {
			t.Errorf("%q: error %v, want %v", c.formula, err, c.want)
		}
	}
}

func TestParseFormula(t *testing.T) {
	for _, c := range []struct {
		in, want string
	}{
		{"y ~ a + b", "y ~ a + b"},
		{" y~a+factor( b )", "y ~ a + factor(b)"},
		{"y ~ 1", "y ~ 1"},
		{"y ~ a - 1", "y ~ 0 + a"},
		{"y ~ -1 + a", "y ~ 0 + a"},
		{"y ~ 0 + a + avg.ed", "y ~ 0 + a + avg.ed"},
		{"y ~ 1 + a", "y ~ a"},
	} {
		f, err := ParseFormula(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got := f.String(); got != c.want {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
	}
	for _, bad := range []string{"y", "~ a", "y ~", "y ~ a +", "y ~ a + a", "y ~ y", "y ~ a*b", "y ~ a:b", "y ~ log(a)", "y ~ - a", "y ~ a b", "y ~ a ++ b"} {
		if _, err := ParseFormula(bad); !errors.Is(err, ErrFormula) {
			t.Errorf("%q: error %v, want ErrFormula", bad, err)
		}
	}
}
