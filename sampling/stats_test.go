package sampling

import (
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
)

// Goldens from testdata/stats.R (R survey 4.1.1; see
// testdata/stats/versions.txt). The api data with a 0/1 column with
// missing values (yesna) is in testdata/stats.

func statsLoad(t testing.TB, name string) arrow.RecordBatch {
	t.Helper()
	rec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "stats", name+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Release)
	return rec
}

func statsGold(t testing.TB, name string) []map[string]string {
	t.Helper()
	return golden.Rows(t, filepath.Join("..", "testdata", "stats", name))
}

// statsByDomain indexes estimates by their domain label ("" for none).
func statsByDomain(es []Estimate) map[string]Estimate {
	m := map[string]Estimate{}
	for _, e := range es {
		m[estDomainLabel(e.Domain)] = e
	}
	return m
}

// Logit intervals under replicate weights follow R svyciprop(method =
// "logit"), whose svyglm refits the model on every replicate; the delta
// method (right under linearization) is not what R gives there.
func TestLogitReplicatesMatchR(t *testing.T) {
	gold := statsGold(t, "logit_replicates.csv")
	clus1, strat := statsLoad(t, "apiclus1"), statsLoad(t, "apistrat")
	repRec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "estimation", "repw_boot.csv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(repRec.Release)
	bootRec := estAddColumns(t, clus1, repRec)
	meta := strings.Split(strings.TrimSpace(estReadFile(t, "repw_boot.txt")), "\n")
	var rscales []float64
	for _, s := range strings.Fields(meta[1]) {
		rscales = append(rscales, estF(t, s))
	}
	checked := 0
	for _, g := range gold {
		mse := g["mse"] == "TRUE"
		var rec arrow.RecordBatch
		var spec DesignOptions
		switch g["design"] {
		case "jk1":
			rec, spec = clus1, DesignOptions{Weight: "pw", PSU: "dnum", Variance: JK1}
		case "jkn":
			rec, spec = strat, DesignOptions{Weight: "pw", Strata: "stype", Variance: JKn}
		case "boot":
			rec, spec = bootRec, DesignOptions{Weight: "pw", RepWeightsPrefix: "rw", RepType: "other",
				RepScale: estF(t, meta[0]), RepRScales: rscales}
		default:
			t.Fatalf("unknown design %q", g["design"])
		}
		spec.MSE = &mse
		d, err := NewDesign(rec, &spec)
		if err != nil {
			t.Fatal(err)
		}
		if df, _ := strconv.Atoi(g["df"]); d.DF() != df {
			t.Errorf("%s: df %d, R %d", g["design"], d.DF(), df)
		}
		by := statsBy(g["by"])
		es, err := d.Mean(rec, []string{"yes"}, &EstimateOptions{By: by, CI: Logit, Level: estF(t, g["level"])})
		if err != nil {
			t.Fatal(err)
		}
		e, ok := statsByDomain(es)[g["domain"]]
		if !ok {
			t.Fatalf("%v: no domain", g)
		}
		if e.CILow == 0 && e.CIHigh == 1 && estF(t, g["lo"]) < 0.01 && estF(t, g["hi"]) > 0.99 {
			// a replicate where the domain's share is 0 or 1 has an
			// infinite logit: [0, 1]; R's glm stops at a large finite
			// coefficient, an interval as wide but not a number to match
			continue
		}
		// R's estimate and bounds come from the iterative glm fit
		if !golden.Close(e.Estimate, estF(t, g["est"]), 1e-7) || !golden.Close(e.CILow, estF(t, g["lo"]), 1e-7) ||
			!golden.Close(e.CIHigh, estF(t, g["hi"]), 1e-7) {
			t.Errorf("%s mse=%v level %s %s: %.17g [%.17g, %.17g], R %s [%s, %s]", g["design"], mse, g["level"],
				g["domain"], e.Estimate, e.CILow, e.CIHigh, g["est"], g["lo"], g["hi"])
		}
		checked++
	}
	if checked < 40 {
		t.Errorf("only %d rows checked", checked)
	}
}

// A ratio that is 1 with SE 0 but is not a share (x/x) gets R's [1, 1],
// not the boundary interval of a share; a share of 1 still does.
func TestBoundaryOnlyForShares(t *testing.T) {
	g := statsGold(t, "ratio_one.csv")[0]
	rec := estLoad(t, "apistrat")
	d, err := NewDesign(rec, &DesignOptions{Weight: "pw", Strata: "stype"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ci := range []CIMethod{Wald, Logit, Beta} {
		es, err := d.Ratio(rec, []string{"api00"}, []string{"api00"}, &EstimateOptions{CI: ci})
		if err != nil {
			t.Fatal(err)
		}
		e := es[0]
		if e.Estimate != estF(t, g["est"]) || e.CILow != estF(t, g["lo"]) || e.CIHigh != estF(t, g["hi"]) || e.Flag != "" {
			t.Errorf("%v: api00/api00 = %v [%v, %v] flag %q, R %s [%s, %s]", ci, e.Estimate, e.CILow, e.CIHigh, e.Flag, g["est"], g["lo"], g["hi"])
		}
	}
	// the share of yes among the schools that met the target (yes ⊂ yes
	// is not a subpopulation: the same column) is not a share either;
	// the share of yes in domain stype = E where every school said yes is
	clus1 := estLoad(t, "apiclus1")
	dc, err := NewDesign(clus1, &DesignOptions{Weight: "pw", PSU: "dnum"})
	if err != nil {
		t.Fatal(err)
	}
	es, err := dc.Mean(clus1, []string{"yes"}, &EstimateOptions{By: []string{"sch.wide"}, CI: Logit})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Estimate == 1 && (e.Flag != FlagBoundary || e.CILow >= 1) {
			t.Errorf("share of 1 in %v: flag %q interval [%v, %v], want the boundary interval", e.Domain, e.Flag, e.CILow, e.CIHigh)
		}
	}
}

// The Korn–Graubard interval uses the rows with a value as n (R's rule
// on the design without the missing rows); R's own nrow(design), which
// counts the rows where the variable is missing, differs.
func TestBetaNRowsWithValue(t *testing.T) {
	gold := statsGold(t, "beta_n.csv")
	specs := map[string]DesignOptions{
		"strat": {Weight: "pw", Strata: "stype"},
		"clus1": {Weight: "pw", PSU: "dnum"},
	}
	checked := 0
	for _, g := range gold {
		rec := statsLoad(t, "api"+g["design"])
		spec := specs[g["design"]]
		d, err := NewDesign(rec, &spec)
		if err != nil {
			t.Fatal(err)
		}
		by := statsBy(g["by"])
		es, err := d.Mean(rec, []string{"yesna"}, &EstimateOptions{By: by, CI: Beta, Level: estF(t, g["level"])})
		if err != nil {
			t.Fatal(err)
		}
		e := statsByDomain(es)[g["domain"]]
		n, _ := strconv.Atoi(g["n"])
		same := golden.Close(e.CILow, estF(t, g["lo"]), 1e-9) && golden.Close(e.CIHigh, estF(t, g["hi"]), 1e-9)
		switch g["rule"] {
		case "valid":
			if e.N != n || !same {
				t.Errorf("%v: n %d [%.17g, %.17g]", g, e.N, e.CILow, e.CIHigh)
			}
			checked++
		case "nrow":
			if same || e.N == n {
				t.Errorf("%v: R's nrow rule should differ (n %d)", g, e.N)
			}
		}
	}
	if checked < 12 {
		t.Errorf("only %d rows checked", checked)
	}
}

// Lonely PSU "adjust": a lonely stratum's PSU total is centred at the mean
// PSU total over all strata (survey ≥ 4.2), not at 0 (survey 4.1).
// Goldens from the formula (stats.R; Debian's survey is 4.1), checked there
// against survey 4.5's own test value.
func TestLonelyAdjustTotals(t *testing.T) {
	gold := statsGold(t, "lonely_adjust.csv")
	for _, g := range gold {
		var rec arrow.RecordBatch
		var spec DesignOptions
		if g["data"] == "singleton" {
			rec = statsLoad(t, "singleton")
			spec = DesignOptions{Weight: "Design_Weight", Strata: "Stratum", PSU: "PSU", Lonely: LonelyAdjust}
		} else {
			rec = estLoad(t, "apiclus1")
			spec = DesignOptions{Weight: "pw", PSU: "dnum", Strata: "lstrat", Lonely: LonelyAdjust}
		}
		for _, cov := range []bool{false, true} {
			d, err := NewDesign(rec, &spec)
			if err != nil {
				t.Fatal(err)
			}
			by := statsBy(g["by"])
			var est, se float64
			if cov {
				// the same through EstimateRatios with the covariance asked
				y, v := estMeanColumn(t, rec, g["var"])
				r := &Ratios{Num: [][]float64{y}, Den: [][]float64{nil}, Valid: [][]bool{statsValid(v)}, Cov: true}
				if g["stat"] == "mean" {
					r.Den[0] = v
				}
				gi := 0
				if by != nil {
					dm, err := NewDomains(rec, by)
					if err != nil {
						t.Fatal(err)
					}
					r.Domain, r.NDomains = dm.Code, dm.Len()
					for gi = 0; estDomainLabel(dm.Labels(gi)) != g["domain"]; gi++ {
					}
				}
				res, err := d.EstimateRatios(r)
				if err != nil {
					t.Fatal(err)
				}
				est, se = res.Est[gi], math.Sqrt(res.Cov[gi].At(0, 0))
				if !golden.Close(res.SE[gi], se, 1e-12) {
					t.Errorf("%v: SE %v, covariance %v", g, res.SE[gi], se)
				}
			} else {
				es, err := d.Estimates(rec, []Estimand{{Statistic: Statistic(g["stat"]), Num: g["var"]}}, &EstimateOptions{By: by})
				if err != nil {
					t.Fatal(err)
				}
				e := statsByDomain(es)[g["domain"]]
				est, se = e.Estimate, e.SE
			}
			if !golden.Close(est, estF(t, g["est"]), 1e-9) || !golden.Close(se, estF(t, g["se"]), 1e-9) {
				t.Errorf("%s %s %s %s (cov %v): %.17g (SE %.17g), formula %s (%s)", g["design"], g["stat"], g["var"], g["domain"], cov, est, se, g["est"], g["se"])
			}
		}
	}
}

// statsValid turns a 0/1 denominator into a validity mask.
func statsValid(v []float64) []bool {
	b := make([]bool, len(v))
	for i, x := range v {
		b[i] = x != 0
	}
	return b
}

// statsBy is the by columns of a golden row: none for "".
func statsBy(col string) []string {
	if col == "" {
		return nil
	}
	return []string{col}
}

// statsContrastTerms parses the contrast labels of stats.R over the stype
// domains E, H, M (codes 0, 1, 2) for estimand j.
var statsContrasts = map[string][]ContrastTerm{
	"E-H":       {{0, 0, 1}, {1, 0, -1}},
	"E-M":       {{0, 0, 1}, {2, 0, -1}},
	"H-M":       {{1, 0, 1}, {2, 0, -1}},
	"(E+H)/2-M": {{0, 0, 0.5}, {1, 0, 0.5}, {2, 0, -1}},
}

// Contrasts match R svycontrast on svyby(covmat = TRUE) (domains) and on a
// joint svymean (two estimands), for stratified, clustered with fpc,
// lonely-PSU and replicate designs, means, totals and ratios.
func TestContrastsMatchR(t *testing.T) {
	gold := statsGold(t, "contrasts.csv")
	specs := map[string]struct {
		file string
		spec DesignOptions
	}{
		"strat":         {"apistrat", DesignOptions{Weight: "pw", Strata: "stype"}},
		"clus1fpc":      {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", FPC: "fpc"}},
		"lonely_remove": {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", Strata: "lstrat", Lonely: LonelyRemove}},
		"jk1":           {"apiclus1", DesignOptions{Weight: "pw", PSU: "dnum", Variance: JK1}},
		"jkn":           {"apistrat", DesignOptions{Weight: "pw", Strata: "stype", Variance: JKn}},
	}
	checked := 0
	for _, g := range gold {
		sp := specs[g["design"]]
		rec := estLoad(t, sp.file)
		spec := sp.spec
		d, err := NewDesign(rec, &spec)
		if err != nil {
			t.Fatal(err)
		}
		r := &Ratios{}
		var terms []ContrastTerm
		if g["contrast"] == "all" {
			for _, v := range strings.Split(g["var"], "-") {
				y, x := estMeanColumn(t, rec, v)
				r.Num, r.Den = append(r.Num, y), append(r.Den, x)
			}
			terms = []ContrastTerm{{0, 0, 1}, {0, 1, -1}}
		} else {
			num, den := g["var"], ""
			if g["stat"] == "ratio" {
				num, den, _ = strings.Cut(g["var"], "/")
			}
			y, x := estMeanColumn(t, rec, num)
			switch g["stat"] {
			case "total":
				x = nil
			case "ratio":
				x, _ = estMeanColumn(t, rec, den)
			}
			r.Num, r.Den = [][]float64{y}, [][]float64{x}
			dm, err := NewDomains(rec, []string{"stype"})
			if err != nil {
				t.Fatal(err)
			}
			r.Domain, r.NDomains = dm.Code, dm.Len()
			terms = statsContrasts[g["contrast"]]
		}
		_, res, err := d.Contrasts(r, [][]ContrastTerm{terms})
		if err != nil {
			t.Fatal(err)
		}
		if !golden.Close(res.Est[0], estF(t, g["est"]), 1e-9) || !golden.Close(res.SE[0], estF(t, g["se"]), 1e-9) {
			t.Errorf("%s %s %s %s: %.17g (SE %.17g), R %s (%s)", g["design"], g["stat"], g["var"], g["contrast"],
				res.Est[0], res.SE[0], g["est"], g["se"])
		}
		checked++
	}
	if checked < 100 {
		t.Errorf("only %d contrasts checked", checked)
	}
}

// A contrast domain − overall is the difference Ratios.VsOverall gives
// (lonely PSUs adjusted, totals and means, an item and a combination), and
// the calibration-aware path with a hook that changes nothing (every
// influence vector in full) gives what the sparse PSU-total path gives.
func TestContrastsConsistent(t *testing.T) {
	rec := estLoad(t, "apiclus1")
	r, _ := infRatios(t, "apiclus1")
	r.VsOverall, r.Cov = true, false
	spec := DesignOptions{Weight: "pw", PSU: "dnum", Strata: "lstrat", Lonely: LonelyAdjust}
	d, err := NewDesign(rec, &spec)
	if err != nil {
		t.Fatal(err)
	}
	d2, _ := NewDesign(rec, &spec)
	d2.spec.AdjustInfluence = func(zs ...[]float64) {}
	J := len(r.Num) + len(r.Items) + len(r.Combos)
	var cs [][]ContrastTerm
	for g := 0; g < r.NDomains; g++ {
		for j := 0; j < J; j++ {
			cs = append(cs, []ContrastTerm{{g, j, 1}, {r.NDomains, j, -1}})
		}
	}
	res, ct, err := d.Contrasts(r, cs)
	if err != nil {
		t.Fatal(err)
	}
	_, ct2, err := d2.Contrasts(r, cs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cs {
		if !golden.Close(ct.Est[i], res.VsEst[i], 1e-9) || !golden.Close(ct.SE[i], res.VsSE[i], 1e-9) {
			t.Errorf("contrast %d: %v (SE %v), VsOverall %v (%v)", i, ct.Est[i], ct.SE[i], res.VsEst[i], res.VsSE[i])
		}
		if !golden.Close(ct2.SE[i], ct.SE[i], 1e-9) {
			t.Errorf("contrast %d: SE %v with the identity hook, %v without", i, ct2.SE[i], ct.SE[i])
		}
	}
	lo, hi, p := ContrastInterval(1.96, 1, 0, 0.95)
	if math.Abs(lo-(1.96-1.959963984540054)) > 1e-12 || !golden.Close(hi, 1.96+1.959963984540054, 1e-12) || !golden.Close(p, 0.04999579029644097, 1e-9) {
		t.Errorf("ContrastInterval(1.96, 1, normal) = %v %v %v", lo, hi, p)
	}
}

// A domain in one PSU has no variance to estimate (a mean's linearized SE
// is exactly 0 there): SE, interval and design effect are NaN and the flag
// few_psu; a domain in fewer than LowPSU PSUs is flagged low_psu.
func TestFewPSUDomains(t *testing.T) {
	rec := estLoad(t, "apiclus1")
	d, err := NewDesign(rec, &DesignOptions{Weight: "pw", PSU: "dnum"})
	if err != nil {
		t.Fatal(err)
	}
	es, err := d.Mean(rec, []string{"api00"}, &EstimateOptions{By: []string{"dnum"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.PSUs != 1 || e.Flag != FlagFewPSU || !math.IsNaN(e.SE) || !math.IsNaN(e.CILow) || !math.IsNaN(e.CIHigh) || !math.IsNaN(e.Deff) || math.IsNaN(e.Estimate) {
			t.Errorf("district %v: %+v", e.Domain, e)
		}
	}
	es, err = d.Mean(rec, []string{"api00"}, &EstimateOptions{By: []string{"stype"}})
	if err != nil {
		t.Fatal(err)
	}
	want := statsPSUsByValue(t, rec, "stype")
	for _, e := range es {
		n := want[e.Domain[0].Value]
		if e.PSUs != n || e.Flag != PSUFlag(n) || (n >= 2 && math.IsNaN(e.SE)) {
			t.Errorf("stype %v: %d PSUs, flag %q, SE %v; want %d PSUs", e.Domain, e.PSUs, e.Flag, e.SE, n)
		}
	}
	if PSUFlag(1) != FlagFewPSU || PSUFlag(2) != FlagLowPSU || PSUFlag(LowPSU-1) != FlagLowPSU || PSUFlag(LowPSU) != "" {
		t.Error("PSUFlag thresholds")
	}
}

// statsPSUsByValue counts the distinct districts (dnum) per value of col.
func statsPSUsByValue(t *testing.T, rec arrow.RecordBatch, col string) map[string]int {
	t.Helper()
	c, _ := arrowio.Column(rec, col)
	vals, _, err := arrowio.Strings(c)
	if err != nil {
		t.Fatal(err)
	}
	dc, _ := arrowio.Column(rec, "dnum")
	dn, _, err := arrowio.Float64s(dc)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]map[float64]bool{}
	for i, v := range vals {
		if seen[v] == nil {
			seen[v] = map[float64]bool{}
		}
		seen[v][dn[i]] = true
	}
	out := map[string]int{}
	for v, s := range seen {
		out[v] = len(s)
	}
	return out
}
