package sampling

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/golden"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// Goldens from testdata/estimation.R (R survey 4.1.1 on the api data; see
// testdata/estimation/versions.txt).

func estReadCSV(t testing.TB, path string) []map[string]string {
	t.Helper()
	return golden.Rows(t, path)
}

func estF(t testing.TB, s string) float64 {
	t.Helper()
	if s == "NA" {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func estLoad(t testing.TB, name string) arrow.RecordBatch {
	t.Helper()
	rec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "api", name+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Release)
	return rec
}

// estMeanColumn reads a numeric column of rec as the numerator and
// denominator of a mean for Ratios: the values with 0 where missing, and 1
// where observed, 0 where missing.
func estMeanColumn(t testing.TB, rec arrow.RecordBatch, name string) (num, den []float64) {
	t.Helper()
	c, err := arrowio.Column(rec, name)
	if err != nil {
		t.Fatal(err)
	}
	v, valid, err := arrowio.Float64s(c)
	if err != nil {
		t.Fatal(err)
	}
	den = make([]float64, len(v))
	for i := range v {
		if valid == nil || valid[i] {
			den[i] = 1
		} else {
			v[i] = 0
		}
	}
	return v, den
}

// estDomainsWithout codes the rows of rec by the column col (NewDomains)
// and returns the domains with a copy of their codes in which the rows of
// value out are in no domain (−1), to exercise rows outside every domain.
func estDomainsWithout(t testing.TB, rec arrow.RecordBatch, col, out string) (*Domains, []int32) {
	t.Helper()
	dom, err := NewDomains(rec, []string{col})
	if err != nil {
		t.Fatal(err)
	}
	code := append([]int32(nil), dom.Code...)
	for i := range code {
		if dom.Values[code[i]][0] == out {
			code[i] = -1
		}
	}
	return dom, code
}

// estDesigns are the Go equivalents of the R designs in estimation.R.
var estDesigns = map[string]struct {
	file string
	spec DesignOptions
}{
	"strat":            {"apistrat", DesignOptions{Weight: "pw", Strata: "stype"}},
	"stratfpc":         {"apistrat", DesignOptions{Weight: "pw", Strata: "stype", FPC: "fpc"}},
	"clus1":            {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum"}},
	"clus1fpc":         {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", FPC: "fpc"}},
	"clus2":            {"apiclus2", DesignOptions{Weight: "pw", PSU: "dnum", FPC: "fpc1"}},
	"unw":              {"apistrat", DesignOptions{}},
	"lonely_remove":    {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", Strata: "lstrat", Lonely: LonelyRemove}},
	"lonely_certainty": {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", Strata: "lstrat", Lonely: LonelyCertainty}},
	"lonely_adjust":    {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", Strata: "lstrat", Lonely: LonelyAdjust}},
	"lonely_average":   {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", Strata: "lstrat", Lonely: LonelyAverage}},
}

func estDomainLabel(dv []DomainValue) string {
	s := make([]string, len(dv))
	for i, v := range dv {
		s[i] = v.Value
	}
	return strings.Join(s, ".")
}

func TestLinearizationMatchesR(t *testing.T) {
	gold := estReadCSV(t, filepath.Join("..", "testdata", "estimation", "linearization.csv"))
	type key struct{ design, stat, vr, by string }
	groups := map[key][]map[string]string{}
	var order []key
	for _, g := range gold {
		k := key{g["design"], g["stat"], g["var"], g["by"]}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], g)
	}
	designs := map[string]*Design{}
	recs := map[string]arrow.RecordBatch{}
	checked := 0
	for _, k := range order {
		if k.design == "lonely_adjust" && k.stat == "total" {
			// survey 4.1 centred a lonely PSU's total at 0; sipas follows
			// survey ≥ 4.2 (TestLonelyAdjustTotals, goldens from the formula)
			continue
		}
		dd, ok := estDesigns[k.design]
		if !ok {
			t.Fatalf("no Go design for %q", k.design)
		}
		rec, ok := recs[dd.file]
		if !ok {
			rec = estLoad(t, dd.file)
			recs[dd.file] = rec
		}
		d, ok := designs[k.design]
		if !ok {
			var err error
			spec := dd.spec
			d, err = NewDesign(rec, &spec)
			if err != nil {
				t.Fatalf("%s: %v", k.design, err)
			}
			designs[k.design] = d
		}
		e := Estimand{Statistic: Statistic(k.stat), Num: k.vr}
		if k.stat == "ratio" {
			p := strings.SplitN(k.vr, "/", 2)
			e.Num, e.Den = p[0], p[1]
		}
		var by []string
		if k.by != "" {
			by = strings.Split(k.by, "+")
		}
		got, err := d.Estimates(rec, []Estimand{e}, &EstimateOptions{By: by})
		if err != nil {
			t.Fatalf("%v: %v", k, err)
		}
		if len(got) != len(groups[k]) {
			t.Errorf("%v: %d domains, R has %d", k, len(got), len(groups[k]))
			continue
		}
		byLabel := map[string]Estimate{}
		for _, g := range got {
			byLabel[estDomainLabel(g.Domain)] = g
		}
		for _, g := range groups[k] {
			es, ok := byLabel[g["domain"]]
			if !ok {
				t.Errorf("%v: no domain %q", k, g["domain"])
				continue
			}
			for _, c := range []struct {
				name      string
				got, want float64
			}{
				{"estimate", es.Estimate, estF(t, g["est"])},
				{"se", es.SE, estF(t, g["se"])},
				{"deff", es.Deff, estF(t, g["deff"])},
			} {
				if es.N == 0 && math.IsNaN(c.got) && c.want == 0 && c.name != "deff" {
					// R gives 0 for an empty domain; we give NaN (null) by design.
					continue
				}
				if !golden.Close(c.got, c.want, 1e-9) {
					t.Errorf("%v domain %q %s = %.17g, R %.17g", k, g["domain"], c.name, c.got, c.want)
				}
				checked++
			}
		}
	}
	if checked < 1500 {
		t.Errorf("only %d values checked", checked)
	}
	// degrees of freedom
	b, err := os.ReadFile(filepath.Join("..", "testdata", "estimation", "degf.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		want, _ := strconv.Atoi(f[1])
		if d := designs[f[0]]; d == nil {
			t.Errorf("degf: no design %s", f[0])
		} else if d.DF() != want {
			t.Errorf("%s: DF %d, R degf %d", f[0], d.DF(), want)
		}
	}
}
