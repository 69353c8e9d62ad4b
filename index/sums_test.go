package index

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/synth"
	"github.com/sipas-go/sipas/sampling"
)

// sumsOf accumulates rec in batches of size rows into two Sums (alternate
// batches, as two readers of alternate row groups would), merges them and
// returns the table.
func sumsOf(t testing.TB, rec arrow.RecordBatch, q *Questionnaire, spec *sampling.DesignOptions, opt *Options, size int) arrow.RecordBatch {
	t.Helper()
	var parts [2]*Sums
	for i := range parts {
		s, err := NewSums(q, spec, opt, rec.Schema())
		if err != nil {
			t.Fatal(err)
		}
		parts[i] = s
	}
	n := int(rec.NumRows())
	for b, i0 := 0, 0; i0 < n; b, i0 = b+1, i0+size {
		i1 := min(n, i0+size)
		sl := rec.NewSlice(int64(i0), int64(i1))
		err := parts[b%2].Add(sl, int64(i0))
		sl.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	parts[0].Merge(parts[1])
	tab, err := parts[0].Table(memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// sameRows asserts that two index results agree: labels, n, PSUs, DF and
// flags exactly; estimates, SEs, intervals, design effects (criteria and
// expectation shares) and differences to the nation within tol relative.
func sameRows(t *testing.T, where string, want, got *Result, tol float64) {
	t.Helper()
	if len(want.Rows) != len(got.Rows) {
		t.Fatalf("%s: %d rows from the sums, %d from the ballots", where, len(got.Rows), len(want.Rows))
	}
	close := func(a, b, tol, floor float64) bool {
		if math.IsNaN(a) || math.IsNaN(b) {
			return math.IsNaN(a) && math.IsNaN(b)
		}
		return math.Abs(a-b) <= tol*math.Max(math.Abs(a), math.Abs(b)) || math.Abs(a-b) <= floor
	}
	bad := 0
	for i := range want.Rows {
		w, g := want.Rows[i], got.Rows[i]
		id := fmt.Sprintf("%s: row %d %v/%s/%s", where, i, w.Domain, w.Kind, w.ID)
		if fmt.Sprint(w.Domain) != fmt.Sprint(g.Domain) || w.Kind != g.Kind || w.ID != g.ID || w.N != g.N || w.PSUs != g.PSUs || w.DF != g.DF || w.Flag != g.Flag {
			t.Errorf("%s: labels/counts differ:\n ballots %+v\n sums    %+v", id, w, g)
			bad++
		}
		deffW := w.Deff
		if w.Kind == KindElement || w.Kind == KindSIPAS {
			deffW = math.NaN() // composites: no design effect from the sums
		}
		// The difference to the nation is a difference of two estimates
		// that agree within tol: its error is relative to theirs.
		vsOK := math.IsNaN(w.VsNation) && math.IsNaN(g.VsNation) || math.Abs(w.VsNation-g.VsNation) <= tol*math.Abs(w.Estimate)*2
		if !vsOK {
			t.Errorf("%s: vs_nation %.17g from the ballots, %.17g from the sums", id, w.VsNation, g.VsNation)
			bad++
		}
		// An SE below tol·estimate is rounding noise around 0 (every PSU
		// of the domain with the same share) on both sides. The design
		// effect divides by v_srs, whose sums add another rounding: 10·tol.
		noise := tol * math.Abs(w.Estimate)
		deffFloor := 0.0
		if w.SE <= noise {
			deffFloor = math.Inf(1) // a ratio of two noises
		}
		for _, p := range []struct {
			name       string
			a, b       float64
			tol, floor float64
		}{{"estimate", w.Estimate, g.Estimate, tol, 0}, {"se", w.SE, g.SE, tol, noise},
			{"ci_low", w.CILow, g.CILow, tol, noise}, {"ci_high", w.CIHigh, g.CIHigh, tol, noise},
			{"deff", deffW, g.Deff, 10 * tol, deffFloor}, {"se_vs_nation", w.SEVsNation, g.SEVsNation, tol, noise}} {
			if !close(p.a, p.b, p.tol, p.floor) {
				t.Errorf("%s: %s %.17g from the ballots, %.17g from the sums", id, p.name, p.a, p.b)
				bad++
			}
		}
		if bad > 20 {
			t.Fatal("too many differences")
		}
	}
}

// TestFromSumsEqualsCompute computes the indices of the R-golden fixture
// (testdata/index) from its sums table and from the ballots, under the
// designs of TestComputeMatchesR and the generated replicate designs,
// nationally and by domains that are strata, cut across strata or combine
// two columns: every estimate and SE agrees at 1e-12.
func TestFromSumsEqualsCompute(t *testing.T) {
	rec := loadFixture(t)
	defer rec.Release()
	specs := map[string]*sampling.DesignOptions{
		"strat_clus":     {Weight: "weight", Strata: "stratum", PSU: "psu"},
		"strat_clus_fpc": {Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "fpc"},
		"clus":           {Weight: "weight", PSU: "psu"},
		"jkn":            {Weight: "weight", Strata: "stratum", PSU: "psu", Variance: sampling.JKn},
		"jk1":            {Weight: "weight", PSU: "psu", Variance: sampling.JK1},
		"bootstrap":      {Weight: "weight", Strata: "stratum", PSU: "psu", Variance: sampling.Bootstrap, Replicates: 20, Seed: 3},
	}
	bys := [][]string{nil, {"province"}, {"level"}, {"region", "field"}}
	for name, spec := range specs {
		d, err := sampling.NewDesign(rec, spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, by := range bys {
			// Replicate designs get Wald intervals: their logit interval
			// takes the logit of every replicate estimate, which for a
			// replicate at exactly 0 or 100% from the sums is infinite,
			// while the ballots' sums in another order may leave it a
			// rounding error inside (0, 100), so the interval is noise.
			ci := sampling.Logit
			if spec.Variance != sampling.Linearization {
				ci = sampling.Wald
			}
			for _, opt := range []*Options{
				{By: by, VsNation: by != nil, CI: ci},
				{By: by, Score: ScoreMean, DF: sampling.DFDomain, NoExpectations: true, CI: ci},
			} {
				where := fmt.Sprintf("%s by %v score %d", name, by, opt.Score)
				want, err := Compute(context.Background(), d, rec, nil, opt)
				if err != nil {
					t.Fatal(err)
				}
				tab := sumsOf(t, rec, nil, spec, opt, 333)
				got, _, err := FromSums(context.Background(), tab, nil, spec, opt)
				tab.Release()
				if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				sameRows(t, where, want, got, 1e-12)
			}
		}
	}
}

// TestFromSumsSynthetic1M is the same comparison on a generated survey of
// 1M ballots (63 province strata × 20 PSUs), by province.
func TestFromSumsSynthetic1M(t *testing.T) {
	if testing.Short() {
		t.Skip("1M ballots")
	}
	rec, _, err := synth.Survey(synth.SurveyConfig{Seed: 11, Ballots: 1_000_000}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	spec := &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "fpc"}
	d, err := sampling.NewDesign(rec, spec)
	if err != nil {
		t.Fatal(err)
	}
	opt := &Options{By: []string{"province"}, VsNation: true}
	want, err := Compute(context.Background(), d, rec, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	tab := sumsOf(t, rec, nil, spec, opt, 65536)
	defer tab.Release()
	if tab.NumRows() != 63*20 {
		t.Errorf("%d cells, want %d (one per PSU)", tab.NumRows(), 63*20)
	}
	got, _, err := FromSums(context.Background(), tab, nil, spec, opt)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "1M by province", want, got, 1e-12)
}

// TestSumsErrorsNameRows checks that a bad answer code, weight or PSU in a
// later batch is reported with its row in the whole input.
func TestSumsErrorsNameRows(t *testing.T) {
	rec, _, err := synth.Survey(synth.SurveyConfig{Seed: 1, Ballots: 3000}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	spec := &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu"}
	s, err := NewSums(nil, spec, nil, rec.Schema())
	if err != nil {
		t.Fatal(err)
	}
	bad := corruptCode(t, rec, "access_2", 2500, 7)
	defer bad.Release()
	for i0 := 0; i0 < 3000; i0 += 1000 {
		sl := bad.NewSlice(int64(i0), int64(i0+1000))
		err = s.Add(sl, int64(i0))
		sl.Release()
		if err != nil {
			break
		}
	}
	var ic *InvalidCodeError
	if !errors.As(err, &ic) || ic.Row != 2501 || ic.Column != "access_2" {
		t.Fatalf("got %v, want an invalid code at row 2501 of access_2", err)
	}
	for _, sp := range []*sampling.DesignOptions{{Weight: "weight"}, {Weight: "weight", PSU: "psu", Variance: sampling.SuppliedReplicates}} {
		if SumsSupport(sp) == nil {
			t.Errorf("%+v: sums accepted", sp)
		}
	}
}

// corruptCode returns rec with column col's value at row i (0-based) set
// to v (an int8 or int64 column).
func corruptCode(t *testing.T, rec arrow.RecordBatch, col string, i int, v int8) arrow.RecordBatch {
	t.Helper()
	cols := make([]arrow.Array, rec.NumCols())
	for j := range cols {
		cols[j] = rec.Column(j)
		if rec.ColumnName(j) != col {
			continue
		}
		var b array.Builder
		switch a := rec.Column(j).(type) {
		case *array.Int8:
			bb := array.NewInt8Builder(memory.DefaultAllocator)
			for r := 0; r < a.Len(); r++ {
				switch {
				case r == i:
					bb.Append(v)
				case a.IsNull(r):
					bb.AppendNull()
				default:
					bb.Append(a.Value(r))
				}
			}
			b = bb
		case *array.Int64:
			bb := array.NewInt64Builder(memory.DefaultAllocator)
			for r := 0; r < a.Len(); r++ {
				switch {
				case r == i:
					bb.Append(int64(v))
				case a.IsNull(r):
					bb.AppendNull()
				default:
					bb.Append(a.Value(r))
				}
			}
			b = bb
		default:
			t.Fatalf("column %s: type %s", col, a.DataType())
		}
		cols[j] = b.NewArray()
		b.Release()
		defer cols[j].Release()
	}
	return array.NewRecordBatch(rec.Schema(), cols, rec.NumRows())
}
