package index

import (
	"context"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index/internal/column"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
	"github.com/sipas-go/sipas/internal/synth"
	"github.com/sipas-go/sipas/sampling"
)

var updateFixture = flag.Bool("update-fixture", false, "rewrite testdata/index/sipas_small.csv from the generator (then rerun testdata/index.R)")

const indexFixture = "../testdata/index/sipas_small.csv"

// TestWriteIndexFixture regenerates the small synthetic SIPAS survey that
// testdata/index.R reads (go test ./index -run TestWriteIndexFixture
// -update-fixture). It is a fixture, not a golden: the goldens are R's.
func TestWriteIndexFixture(t *testing.T) {
	if !*updateFixture {
		t.Skip("run with -update-fixture to regenerate the fixture")
	}
	rec, _, err := synth.Survey(synth.SurveyConfig{Seed: 7, PSUsPerStratum: 3, Ballots: 4000}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if err := arrowio.WriteRecord(indexFixture, rec); err != nil {
		t.Fatal(err)
	}
}

func loadFixture(t testing.TB) arrow.RecordBatch {
	t.Helper()
	rec, err := arrowio.ReadAll(indexFixture, arrowio.WithTypes(map[string]arrow.DataType{
		"ballot_id": arrow.BinaryTypes.String, "psu": arrow.BinaryTypes.String, "province_code": arrow.BinaryTypes.String}))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// indexGolden is one row of testdata/index/goldens.csv (testdata/index.R).
type indexGolden struct {
	design, by, domain, kind, id string
	est, se, deff, lo, hi        float64
	n                            int
}

func readIndexGoldens(t *testing.T, path string) []indexGolden {
	t.Helper()
	var out []indexGolden
	for _, r := range golden.Rows(t, path) {
		out = append(out, indexGolden{design: r["design"], by: r["by"], domain: r["domain"], kind: r["kind"], id: r["id"],
			est: golden.Float(t, r["estimate"]), se: golden.Float(t, r["se"]), deff: golden.Float(t, r["deff"]),
			lo: golden.Float(t, r["ci_low"]), hi: golden.Float(t, r["ci_high"]), n: int(golden.Float(t, r["n"]))})
	}
	return out
}

// TestComputeMatchesR compares criterion, element, SIPAS and expectation
// indices (estimates, SEs, logit intervals, n, criterion deffs) with R
// survey (testdata/index.R: svyratio with covmat + svycontrast for the
// composites, svyciprop(method = "logit") on the valid-answer domain for
// the criterion intervals) nationally, by province (= stratum) and by
// variables that cut across strata (level, field), with and without fpc.
// Estimates, SEs and deffs are closed forms (1e-9 relative); R's logit
// interval comes from an iterative quasibinomial glm fit (1e-7).
func TestComputeMatchesR(t *testing.T) {
	base := loadFixture(t)
	defer base.Release()
	// a sampling fraction of 1/4 for the design without PSUs (testdata/index.R)
	rec := withColumns(base, map[string][]float64{"frac": constant(int(base.NumRows()), 0.25)}, nil)
	defer rec.Release()
	gold := readIndexGoldens(t, "../testdata/index/goldens.csv")
	// the design without PSUs (testdata/index.R nopsu)
	gold = append(gold, readIndexGoldens(t, "../testdata/index/goldens_nopsu.csv")...)
	if len(gold) == 0 {
		t.Fatal("no goldens")
	}
	specs := map[string]*sampling.DesignOptions{
		"strat_clus":     {Weight: "weight", Strata: "stratum", PSU: "psu"},
		"strat_clus_fpc": {Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "fpc"},
		"unweighted":     {},
		// every ballot its own PSU; also finished from its sums (moments)
		"strat_nopsu_fpc": {Weight: "weight", Strata: "stratum", FPC: "frac"},
	}
	type key struct{ design, by, domain, kind, id string }
	got := map[key]Row{}
	for name, spec := range specs {
		d, err := sampling.NewDesign(rec, spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, by := range []string{"", "province", "level", "field"} {
			opt := &Options{}
			if by != "" {
				opt.By = []string{by}
			}
			res, err := Compute(context.Background(), d, rec, nil, opt)
			if err != nil {
				t.Fatal(err)
			}
			results := map[string]*Result{name: res}
			if spec.PSU == "" && spec.Strata != "" {
				tab := sumsOf(t, rec, nil, spec, opt, 700)
				if results[name+"/sums"], _, err = FromSums(context.Background(), tab, nil, spec, opt); err != nil {
					t.Fatal(err)
				}
				tab.Release()
			}
			for rname, res := range results {
				for _, r := range res.Rows {
					dom := ""
					if len(r.Domain) > 0 {
						dom = r.Domain[0].Value
					} else if by != "" {
						continue // national rows are compared under by = ""
					}
					got[key{rname, by, dom, r.Kind, r.ID}] = r
				}
			}
		}
	}
	checked := 0
	var todo []indexGolden
	for _, g := range gold {
		todo = append(todo, g)
		if _, ok := got[key{g.design + "/sums", g.by, g.domain, g.kind, g.id}]; ok {
			g.design += "/sums" // the same golden, from the sums
			todo = append(todo, g)
		}
	}
	for _, g := range todo {
		r, ok := got[key{g.design, g.by, g.domain, g.kind, g.id}]
		if !ok {
			t.Errorf("no row for golden %+v", g)
			continue
		}
		checked++
		where := g.design + "/" + g.by + "=" + g.domain + "/" + g.kind + "/" + g.id
		if !golden.Close(r.Estimate, g.est, 1e-9) {
			t.Errorf("%s: estimate %.15g, R %.15g", where, r.Estimate, g.est)
		}
		if !golden.Close(r.SE, g.se, 1e-9) && math.Abs(r.SE-g.se) > 1e-12 { // SEs of boundary shares are rounding noise in R
			t.Errorf("%s: se %.15g, R %.15g", where, r.SE, g.se)
		}
		if r.N != g.n {
			t.Errorf("%s: n %d, R %d", where, r.N, g.n)
		}
		if r.Flag == sampling.FlagBoundary {
			// R gives a rounding-error SE and a meaningless logit interval
			// for a share of 100% computed as 0.99999999999999989; ours is
			// exactly 100 with SE 0 and a Korn–Graubard interval.
			if (r.Estimate != 0 && r.Estimate != 100) || r.SE != 0 || !(r.CILow <= r.Estimate && r.Estimate <= r.CIHigh) {
				t.Errorf("%s: boundary row %+v", where, r)
			}
			continue
		}
		// (an SE at rounding noise, e.g. every PSU of a province with the
		// same share, leaves the deff as a ratio of two noises)
		if !math.IsNaN(g.deff) && g.se > 1e-12 && !golden.Close(r.Deff, g.deff, 1e-9) {
			t.Errorf("%s: deff %.15g, R %.15g", where, r.Deff, g.deff)
		}
		if !math.IsNaN(g.lo) && (!golden.Close(r.CILow, g.lo, 1e-7) || !golden.Close(r.CIHigh, g.hi, 1e-7)) {
			t.Errorf("%s: CI [%.15g, %.15g], R [%.15g, %.15g]", where, r.CILow, r.CIHigh, g.lo, g.hi)
		}
	}
	t.Logf("compared %d rows with R", checked)
}

func TestWriteFixtureHelperPath(t *testing.T) {
	if _, err := os.Stat(filepath.Clean(indexFixture)); err != nil {
		t.Fatalf("fixture missing: %v (regenerate with -update-fixture)", err)
	}
}

// TestComputeConsistency checks identities that hold whatever the data
// (METHODOLOGY §3): SIPAS = mean of the element indices = the criterion
// indices weighted 1/(5·K_e); each element = mean of its criteria; the
// unweighted mode reproduces simple percentages exactly (counted here
// directly from the codes); and a domain's indices equal those of the same
// rows computed as a subset with every other row weighted 0 (R's subset
// semantics keep the PSUs, so estimates agree exactly).
func TestComputeConsistency(t *testing.T) {
	rec := loadFixture(t)
	defer rec.Release()
	q := DefaultQuestionnaire()
	d, err := sampling.NewDesign(rec, &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Compute(context.Background(), d, rec, q, &Options{By: []string{"level"}})
	if err != nil {
		t.Fatal(err)
	}
	type dk struct{ dom, kind, id string }
	est := map[dk]float64{}
	for _, r := range res.Rows {
		dom := ""
		if len(r.Domain) > 0 {
			dom = r.Domain[0].Value
		}
		est[dk{dom, r.Kind, r.ID}] = r.Estimate
	}
	for _, dom := range []string{"", "commune", "district", "province"} {
		var byCrit, byElem float64
		for _, el := range q.Elements {
			cs := q.CriteriaOf(el.ID)
			var m float64
			for _, c := range cs {
				m += est[dk{dom, KindCriterion, c.Column}] / float64(len(cs))
				byCrit += est[dk{dom, KindCriterion, c.Column}] / float64(5*len(cs))
			}
			if e := est[dk{dom, KindElement, el.ID}]; math.Abs(e-m) > 1e-10 {
				t.Errorf("%q element %s = %.15g, mean of its criteria %.15g", dom, el.ID, e, m)
			}
			byElem += est[dk{dom, KindElement, el.ID}] / 5
		}
		s := est[dk{dom, KindSIPAS, "sipas"}]
		if math.Abs(s-byElem) > 1e-10 || math.Abs(s-byCrit) > 1e-10 {
			t.Errorf("%q SIPAS %.15g, mean of elements %.15g, weighted criteria %.15g", dom, s, byElem, byCrit)
		}
	}

	// Unweighted: exact simple percentages from the raw codes.
	du, err := sampling.NewDesign(rec, &sampling.DesignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ru, err := Compute(context.Background(), du, rec, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ru.Rows {
		if r.Kind != KindCriterion {
			continue
		}
		col := rec.Column(column.Index(rec, r.ID))
		sat, valid := 0, 0
		for i := 0; i < col.Len(); i++ {
			if col.IsNull(i) {
				continue
			}
			v, _ := strconv.Atoi(col.ValueStr(i))
			if v >= 1 && v <= 5 {
				valid++
				if v >= 4 {
					sat++
				}
			}
		}
		if want := 100 * float64(sat) / float64(valid); r.Estimate != want || r.N != valid {
			t.Errorf("unweighted %s = %.17g (n %d), simple percentage %.17g (n %d)", r.ID, r.Estimate, r.N, want, valid)
		}
	}

	// A domain equals the same rows with every other weight set to 0.
	w := d.Weights()
	lv, err := arrowio.Column(rec, "level")
	if err != nil {
		t.Fatal(err)
	}
	levels, _, _ := arrowio.Strings(lv)
	w0 := make([]float64, len(w))
	for i := range w {
		if levels[i] == "district" {
			w0[i] = w[i]
		}
	}
	rec0 := withWeights(t, rec, w0)
	defer rec0.Release()
	d0, err := sampling.NewDesign(rec0, &sampling.DesignOptions{Weight: "w0", Strata: "stratum", PSU: "psu"})
	if err != nil {
		t.Fatal(err)
	}
	r0, err := Compute(context.Background(), d0, rec0, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range r0.Rows {
		want := est[dk{"district", r.Kind, r.ID}]
		if math.Abs(r.Estimate-want) > 1e-9*math.Abs(want) {
			t.Errorf("zero-weight subset %s %s = %.15g, domain %.15g", r.Kind, r.ID, r.Estimate, want)
		}
	}
}

func withWeights(t *testing.T, rec arrow.RecordBatch, w []float64) arrow.RecordBatch {
	t.Helper()
	b := array.NewFloat64Builder(memory.DefaultAllocator)
	defer b.Release()
	b.AppendValues(w, nil)
	a := b.NewArray()
	defer a.Release()
	fields := append(append([]arrow.Field{}, rec.Schema().Fields()...), arrow.Field{Name: "w0", Type: arrow.PrimitiveTypes.Float64})
	cols := append(append([]arrow.Array{}, rec.Columns()...), a)
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
}
