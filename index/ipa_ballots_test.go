package index

import (
	"context"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gonum.org/v1/gonum/floats/scalar"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
	"github.com/sipas-go/sipas/internal/synth"
	"github.com/sipas-go/sipas/sampling"
)

// readIPAGoldens reads testdata/index/ipa_goldens.csv (testdata/ipa.R; the
// first line is a comment with the R version).
func readIPAGoldens(t *testing.T) []map[string]string {
	t.Helper()
	f, err := os.Open("../testdata/index/ipa_goldens.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = rec[i]
		}
		out = append(out, m)
	}
	return out
}

// TestIPAOfMatchesR compares the importance, performance, quadrant and n
// of every criterion, nationally and in each of the 63 provinces of the
// small synthetic survey, with R (testdata/ipa.R: cov.wt(cor = TRUE) on the
// leave-one-out overall satisfaction, weighted satisfied shares, quadrants
// at the means) at 1e-9 relative. Three province criteria that every
// respondent was satisfied with have no importance (NA in R, NaN here, no
// quadrant).
func TestIPAOfMatchesR(t *testing.T) {
	rec := loadFixture(t)
	defer rec.Release()
	d, err := sampling.NewDesign(rec, &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ImportancePerformanceOf(context.Background(), d, rec, nil, &Options{By: []string{"province"}})
	if err != nil {
		t.Fatal(err)
	}
	want := readIPAGoldens(t)
	if len(got) != len(want) || len(want) != 64*22 {
		t.Fatalf("%d rows, R %d", len(got), len(want))
	}
	undefined := 0
	for i, w := range want {
		g := got[i]
		key := ""
		if w["province"] != "" {
			key = "province=" + w["province"]
		}
		wi, wp := golden.Float(t, w["importance"]), golden.Float(t, w["performance"])
		n, _ := strconv.Atoi(w["n"])
		if g.DomainKey() != key || g.Criterion != w["criterion"] || g.N != n || g.Quadrant.String() != w["quadrant"] ||
			math.IsNaN(wi) != math.IsNaN(g.Importance) ||
			(!math.IsNaN(wi) && !scalar.EqualWithinAbsOrRel(g.Importance, wi, 0, 1e-9)) ||
			!scalar.EqualWithinAbsOrRel(g.Performance, wp, 0, 1e-9) {
			t.Errorf("row %d: %s %s n=%d %+v (%s); R %v", i, g.DomainKey(), g.Criterion, g.N, g.IPA, g.Quadrant, w)
		}
		if math.IsNaN(wi) {
			undefined++
		}
	}
	if undefined == 0 {
		t.Error("the goldens no longer hold an undefined importance: the NaN path is untested")
	}
}

// TestIPAOfConsistent: on the fixture with a quarter of the weights set to
// 0, every domain's result equals ImportancePerformance on the satisfied
// indicators of the domain's rows built by hand (valid 1..5, satisfied 4
// and 5), the performance equals Compute's criterion index and n its n.
func TestIPAOfConsistent(t *testing.T) {
	rec := loadFixture(t)
	defer rec.Release()
	d, err := sampling.NewDesign(rec, &sampling.DesignOptions{Weight: "weight"})
	if err != nil {
		t.Fatal(err)
	}
	w0 := append([]float64(nil), d.Weights()...)
	for i := range w0 {
		if i%4 == 1 {
			w0[i] = 0
		}
	}
	rec0 := withWeights(t, rec, w0)
	defer rec0.Release()
	d0, err := sampling.NewDesign(rec0, &sampling.DesignOptions{Weight: "w0"})
	if err != nil {
		t.Fatal(err)
	}
	q := DefaultQuestionnaire()
	opt := &Options{By: []string{"level"}}
	got, err := ImportancePerformanceOf(context.Background(), d0, rec0, q, opt)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := Compute(context.Background(), d0, rec0, q, opt)
	if err != nil {
		t.Fatal(err)
	}
	crit := map[string]Row{}
	for _, r := range idx.Rows {
		if r.Kind == KindCriterion {
			crit[r.DomainKey()+"|"+r.ID] = r
		}
	}

	// By hand: the indicators of every criterion, and the level of each row.
	n := int(rec0.NumRows())
	sat := make([][]float64, len(q.Criteria))
	for c, cr := range q.Criteria {
		col, err := arrowio.Column(rec0, cr.Column)
		if err != nil {
			t.Fatal(err)
		}
		a := col.(*array.Int64)
		sat[c] = make([]float64, n)
		for i := range sat[c] {
			v := a.Value(i)
			switch {
			case a.IsNull(i) || v < 1 || v > 5:
				sat[c][i] = math.NaN()
			case v >= 4:
				sat[c][i] = 1
			}
		}
	}
	lc, _ := arrowio.Column(rec0, "level")
	levels, _, _ := arrowio.Strings(lc)
	domains := []string{"", "commune", "district", "province"}
	if len(got) != len(domains)*len(q.Criteria) {
		t.Fatalf("%d rows", len(got))
	}
	for k, dom := range domains {
		var ws []float64
		sub := make([][]float64, len(sat))
		for i := 0; i < n; i++ {
			if dom != "" && levels[i] != dom {
				continue
			}
			ws = append(ws, w0[i])
			for c := range sat {
				sub[c] = append(sub[c], sat[c][i])
			}
		}
		want := ImportancePerformance(sub, ws)
		key := ""
		if dom != "" {
			key = "level=" + dom
		}
		for c, cr := range q.Criteria {
			g := got[k*len(q.Criteria)+c]
			if g.DomainKey() != key || g.Criterion != cr.Column || g.Element != cr.Element {
				t.Fatalf("row %d is %s %s, want %s %s", k*len(q.Criteria)+c, g.DomainKey(), g.Criterion, key, cr.Column)
			}
			wt := want[c]
			if !scalar.EqualWithinAbsOrRel(g.Importance, wt.Importance, 0, 1e-12) ||
				!scalar.EqualWithinAbsOrRel(g.Performance, wt.Performance, 0, 1e-12) || g.Quadrant != wt.Quadrant {
				t.Errorf("%s %s: %+v, by hand %+v", key, cr.Column, g.IPA, wt)
			}
			ci := crit[key+"|"+cr.Column]
			if !scalar.EqualWithinAbsOrRel(g.Performance, ci.Estimate, 0, 1e-12) || g.N != ci.N {
				t.Errorf("%s %s: performance %v n %d, Compute %v n %d", key, cr.Column, g.Performance, g.N, ci.Estimate, ci.N)
			}
		}
	}

	// Unweighted (nil design) is the same as weights of 1.
	u, err := ImportancePerformanceOf(context.Background(), nil, rec0, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	for c, r := range ImportancePerformance(sat, ones) {
		if u[c].IPA != r && !(math.IsNaN(r.Importance) && math.IsNaN(u[c].Importance)) {
			t.Errorf("unweighted %s: %+v, want %+v", q.Criteria[c].Column, u[c].IPA, r)
		}
	}
}

// TestIPAOfInvalidCode: a code neither on the scale nor declared missing
// is Compute's *InvalidCodeError naming the column and row.
func TestIPAOfInvalidCode(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	q := DefaultQuestionnaire()
	var fields []arrow.Field
	var cols []arrow.Array
	for c, cr := range q.Criteria {
		b := array.NewInt8Builder(mem)
		vals := []int8{4, 5, 2, 9}
		if c == 3 {
			vals[2] = 7
		}
		b.AppendValues(vals, nil)
		cols = append(cols, b.NewArray())
		b.Release()
		fields = append(fields, arrow.Field{Name: cr.Column, Type: arrow.PrimitiveTypes.Int8})
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, 4)
	for _, a := range cols {
		a.Release()
	}
	defer rec.Release()
	_, err := ImportancePerformanceOf(context.Background(), nil, rec, q, nil)
	var ic *InvalidCodeError
	if !errors.As(err, &ic) || ic.Column != q.Criteria[3].Column || ic.Row != 3 {
		t.Fatalf("error %v, want invalid code in %s row 3", err, q.Criteria[3].Column)
	}
}

// BenchmarkImportancePerformanceOf: one demo-sized year (30,000 ballots, 63
// provinces, 22 criteria).
func BenchmarkImportancePerformanceOf(b *testing.B) {
	rec, _, err := synth.Survey(synth.SurveyConfig{Seed: 3, Ballots: 30000}, memory.DefaultAllocator)
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Release()
	d, err := sampling.NewDesign(rec, &sampling.DesignOptions{Weight: "weight"})
	if err != nil {
		b.Fatal(err)
	}
	opt := &Options{By: []string{"province"}}
	b.ResetTimer()
	for b.Loop() {
		if _, err := ImportancePerformanceOf(context.Background(), d, rec, nil, opt); err != nil {
			b.Fatal(err)
		}
	}
}

// TestIPAMeans: the split is the mean over the criteria where both values
// are defined (by hand: (0.2+0.4)/2 and (80+90)/2), NaN without any.
func TestIPAMeans(t *testing.T) {
	nan := math.NaN()
	mi, mp := IPAMeans([]IPA{{Importance: 0.2, Performance: 80}, {Importance: nan, Performance: 10}, {Importance: 0.4, Performance: 90}})
	if math.Abs(mi-0.3) > 1e-15 || mp != 85 {
		t.Errorf("IPAMeans = %v, %v; want 0.3, 85", mi, mp)
	}
	if mi, mp := IPAMeans([]IPA{{Importance: nan, Performance: 50}}); !math.IsNaN(mi) || !math.IsNaN(mp) {
		t.Errorf("no defined criterion: %v, %v; want NaN", mi, mp)
	}
}

// TestIPAOfCallerErrors: a cancelled context and a design built on other
// rows are errors, not a result or a panic.
func TestIPAOfCallerErrors(t *testing.T) {
	rec := loadFixture(t)
	defer rec.Release()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ImportancePerformanceOf(ctx, nil, rec, nil, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: error %v, want context.Canceled", err)
	}
	half := rec.NewSlice(0, rec.NumRows()/2)
	defer half.Release()
	d, err := sampling.NewDesign(half, &sampling.DesignOptions{Weight: "weight"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ImportancePerformanceOf(context.Background(), d, rec, nil, nil); err == nil || !strings.Contains(err.Error(), "rows") {
		t.Errorf("design of other rows: error %v, want one naming the rows", err)
	}
}
