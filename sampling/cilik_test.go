package sampling

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
)

// Goldens of testdata/cilik.R: R survey 4.1 svyciprop(method =
// "likelihood") on the api data.

var likSpecs = map[string]struct {
	data string
	spec DesignOptions
}{
	"strat":     {"apistrat", DesignOptions{Weight: "pw", Strata: "stype", FPC: "fpc"}},
	"stratclus": {"apistrat", DesignOptions{Weight: "pw", Strata: "stype", PSU: "dnum", FPC: "psufpc", Nest: true}},
	"clus1":     {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", FPC: "fpc"}},
	"clus1jk1":  {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", FPC: "fpc", Variance: JK1, MSE: new(bool)}},
}

func likDesign(t testing.TB, name string) (arrow.RecordBatch, *Design) {
	t.Helper()
	s := likSpecs[name]
	rec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "cilik", s.data+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Release)
	d, err := NewDesign(rec, &s.spec)
	if err != nil {
		t.Fatal(err)
	}
	return rec, d
}

// TestLikelihoodInterval: the interval, estimate and SE of every golden
// case (overall and by domain with each domain's df, levels 0.95 and 0.9,
// shares near 0.5, 0.02 and 0.98 and a mean of [0, 1] values), at 1e-7
// relative (R's IRLS and spline are iterative). On the JK1 design R
// gives NA, and so does sipas.
func TestLikelihoodInterval(t *testing.T) {
	rows := golden.Rows(t, filepath.Join("..", "testdata", "cilik", "goldens.csv"))
	designs := map[string]*Design{}
	recs := map[string]arrow.RecordBatch{}
	checked, worst := 0, 0.0
	for _, r := range rows {
		dn := r["design"]
		if designs[dn] == nil {
			recs[dn], designs[dn] = likDesign(t, dn)
		}
		o := &EstimateOptions{CI: Likelihood, Level: golden.Float(t, r["level"]), DF: DFDomain}
		if r["domain"] != "" {
			o.By = []string{"stype"}
		}
		res, err := designs[dn].Mean(recs[dn], []string{r["var"]}, o)
		if err != nil {
			t.Fatal(err)
		}
		e := optFind(t, res, r["domain"])
		name := strings.Join([]string{dn, r["var"], r["domain"], r["level"]}, " ")
		if e.DF != int(golden.Float(t, r["df"])) {
			t.Errorf("%s: df %d, R %s", name, e.DF, r["df"])
		}
		for _, c := range []struct {
			what      string
			got, want float64
		}{
			{"estimate", e.Estimate, golden.Float(t, r["est"])},
			{"SE", e.SE, golden.Float(t, r["se"])},
			{"lo", e.CILow, golden.Float(t, r["lo"])},
			{"hi", e.CIHigh, golden.Float(t, r["hi"])},
		} {
			if d := math.Abs(c.got-c.want) / math.Abs(c.want); d > worst && !math.IsNaN(d) {
				worst = d
			}
			if !golden.Close(c.got, c.want, 1e-7) {
				t.Errorf("%s %s: %.15g, R %.15g", name, c.what, c.got, c.want)
			}
		}
		checked++
	}
	t.Logf("%d cases, largest relative difference %.2g", checked, worst)
	if checked < 80 {
		t.Errorf("only %d golden cases", checked)
	}
}

// TestLikelihoodSameEstimate: the likelihood interval changes the interval
// only: estimate, SE, n, df and design effect are those of every other
// method.
func TestLikelihoodSameEstimate(t *testing.T) {
	for _, dn := range []string{"stratclus", "clus1jk1"} {
		rec, d := likDesign(t, dn)
		o := &EstimateOptions{CI: Likelihood, By: []string{"stype"}}
		want, err := d.Mean(rec, []string{"half", "frac"}, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []CIMethod{Wald, Logit, Beta, XLogit, Asin, Wilson} {
			o.CI = m
			got, err := d.Mean(rec, []string{"half", "frac"}, o)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				g, w := got[i], want[i]
				if g.Estimate != w.Estimate || g.SE != w.SE || g.N != w.N || g.DF != w.DF || g.Deff != w.Deff {
					t.Errorf("%s %v row %d: %+v, likelihood %+v", dn, m, i, g, w)
				}
				if g.CILow == w.CILow {
					t.Errorf("%s %v row %d: the same lower bound as likelihood", dn, m, i)
				}
			}
		}
	}
}

// TestLikelihoodSubShare: a sub-share y/x (x a 0/1 indicator) gets the
// interval of the mean of y in the domain x = 1 (R svyciprop on
// subset(design, x == 1)): the rows with x = 0 are not the share's rows.
func TestLikelihoodSubShare(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "cilik", "apistrat.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i := range lines {
		half := strings.Split(lines[i], ",")[7]
		switch {
		case i == 0:
			lines[i] += ",isE,halfE"
		case strings.Contains(lines[i], `,"E",`):
			lines[i] += ",1," + half
		default:
			lines[i] += ",0,0"
		}
	}
	path := filepath.Join(t.TempDir(), "strat.csv")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec, err := arrowio.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	spec := likSpecs["stratclus"].spec
	d, err := NewDesign(rec, &spec)
	if err != nil {
		t.Fatal(err)
	}
	o := &EstimateOptions{CI: Likelihood}
	sub, err := d.Ratio(rec, []string{"halfE"}, []string{"isE"}, o)
	if err != nil {
		t.Fatal(err)
	}
	o.By = []string{"stype"}
	dom, err := d.Mean(rec, []string{"half"}, o)
	if err != nil {
		t.Fatal(err)
	}
	e := optFind(t, dom, "stype=E")
	if !golden.Close(sub[0].Estimate, e.Estimate, 1e-12) || !golden.Close(sub[0].CILow, e.CILow, 1e-12) || !golden.Close(sub[0].CIHigh, e.CIHigh, 1e-12) || math.IsNaN(e.CILow) {
		t.Errorf("sub-share %v [%v, %v], domain mean %v [%v, %v]", sub[0].Estimate, sub[0].CILow, sub[0].CIHigh, e.Estimate, e.CILow, e.CIHigh)
	}
}
