package index

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/synth"
	"github.com/sipas-go/sipas/sampling"
)

// sumsOf accumulates rec in batches of size rows into two Sums (alternate
// batches, as two readers of alternate row groups would), merges them and
// returns the table.
func sumsOf(t testing.TB, rec arrow.RecordBatch, q *Questionnaire, spec *sampling.DesignOptions, opt *Options, size int) arrow.RecordBatch {
	t.Helper()
	tab, err := mergedSums(t, rec, q, spec, opt, size).Table(memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// mergedSums accumulates rec in batches of size rows into two Sums
// (alternate batches, as two readers of alternate row groups would) and
// returns them merged.
func mergedSums(t testing.TB, rec arrow.RecordBatch, q *Questionnaire, spec *sampling.DesignOptions, opt *Options, size int) *Sums {
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
	return parts[0]
}

// sameRows asserts that two index results agree: labels, n, PSUs, DF and
// flags exactly; estimates, SEs, intervals, design effects (of every row:
// criteria, expectation shares, elements and SIPAS) and differences to the nation within tol relative.
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
				sameFromSums(t, fmt.Sprintf("%s by %v score %d", name, by, opt.Score), d, rec, spec, opt)
			}
		}
	}
}

// sameFromSums checks that the sums of rec (in batches of 333 ballots)
// finish to Compute's indices on the design d of spec at 1e-12.
func sameFromSums(t *testing.T, where string, d *sampling.Design, rec arrow.RecordBatch, spec *sampling.DesignOptions, opt *Options) {
	t.Helper()
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
	// a design without PSUs streams under linearization (per-stratum
	// moments, sums_units.go), not with replicates generated from it
	if err := SumsSupport(&sampling.DesignOptions{Weight: "weight"}); err != nil {
		t.Errorf("a design without PSUs: %v", err)
	}
	if SumsSupport(&sampling.DesignOptions{Weight: "weight", Variance: sampling.JK1}) == nil {
		t.Error("replicates of a design without PSUs: sums accepted")
	}
	// replicate weight columns stream with their per-domain replicate sums
	// (sums_replicates.go), with or without PSUs
	for _, sp := range []*sampling.DesignOptions{{Weight: "weight", PSU: "psu", Variance: sampling.SuppliedReplicates}, {Weight: "weight", RepWeightsPrefix: "rw"}} {
		if err := SumsSupport(sp); err != nil {
			t.Errorf("%+v: %v", sp, err)
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

// TestFromSumsOldTable checks that a sums table without the cross-products
// of the composites (the format before they were added) is refused with
// an error that says so, rather than giving empty design effects.
func TestFromSumsOldTable(t *testing.T) {
	rec := loadFixture(t)
	defer rec.Release()
	spec := &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu"}
	opt := &Options{By: []string{"province"}}
	tab := sumsOf(t, rec, nil, spec, opt, 1000)
	defer tab.Release()
	var fields []arrow.Field
	var cols []arrow.Array
	for j, f := range tab.Schema().Fields() {
		if strings.HasPrefix(f.Name, "wc_") || strings.Count(f.Name, "_") > 2 {
			continue // the composites' columns
		}
		fields = append(fields, f)
		cols = append(cols, tab.Column(j))
	}
	if len(fields) == int(tab.NumCols()) {
		t.Fatal("no column dropped")
	}
	old := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, tab.NumRows())
	defer old.Release()
	_, _, err := FromSums(context.Background(), old, nil, spec, opt)
	if !errors.Is(err, ErrSums) || !strings.Contains(err.Error(), "older") {
		t.Fatalf("got %v, want an error about an older sums table", err)
	}
}

// TestSumsPairColumns compares the pair columns of the sums table with
// their definition summed row by row (Σ w·y_a·y_b, Σ w·y_a·x_b, Σ w·x_a·y_b,
// Σ w·x_a·x_b per PSU), under the fixture's weights (runs of one weight
// and single rows), weights that differ on every row, and no weights,
// for both scores.
func TestSumsPairColumns(t *testing.T) {
	rec := loadFixture(t)
	defer rec.Release()
	q := DefaultQuestionnaire()
	n := int(rec.NumRows())
	w0, _, err := arrowio.Float64s(rec.Column(rec.Schema().FieldIndices("weight")[0]))
	if err != nil {
		t.Fatal(err)
	}
	distinct := make([]float64, n)
	for i, v := range w0 {
		distinct[i] = v * (1 + float64(i)*1e-7)
	}
	psu := rec.Column(rec.Schema().FieldIndices("psu")[0]).(*array.String)
	codes := make([][]int8, len(q.Criteria))
	for k, cr := range q.Criteria {
		codes[k] = make([]int8, n)
		if err := itemCodes(q, rec, cr.Column, codes[k]); err != nil {
			t.Fatal(err)
		}
	}
	for _, score := range []Score{ScoreShare, ScoreMean} {
		for name, w := range map[string][]float64{"fixture": w0, "distinct": distinct, "none": nil} {
			r := rec
			spec := &sampling.DesignOptions{PSU: "psu"}
			if w != nil {
				b := array.NewFloat64Builder(memory.DefaultAllocator)
				b.AppendValues(w, nil)
				wa := b.NewArray()
				b.Release()
				r = array.NewRecordBatch(arrow.NewSchema(append(rec.Schema().Fields(), arrow.Field{Name: "w2", Type: arrow.PrimitiveTypes.Float64}), nil),
					append(rec.Columns(), wa), rec.NumRows())
				wa.Release()
				defer r.Release()
				spec.Weight = "w2"
			}
			opt := &Options{Score: score, NoExpectations: true}
			tab := sumsOf(t, r, q, spec, opt, 700)
			defer tab.Release()
			s, err := NewSums(q, spec, opt, r.Schema())
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][]float64{}
			for i := 0; i < n; i++ {
				wi := 1.0
				if w != nil {
					wi = w[i]
				}
				m := want[psu.Value(i)]
				if m == nil {
					m = make([]float64, 4*len(s.pairs))
					want[psu.Value(i)] = m
				}
				for p, pr := range s.pairs {
					ck, cl := uint8(codes[pr.k][i]), uint8(codes[pr.l][i])
					yk, xk := s.ytab[pr.k][ck], s.xtab[pr.k][ck]
					yl, xl := s.ytab[pr.l][cl], s.xtab[pr.l][cl]
					m[4*p] += wi * yk * yl
					m[4*p+1] += wi * yk * xl
					m[4*p+2] += wi * xk * yl
					m[4*p+3] += wi * xk * xl
				}
			}
			tp := tab.Column(tab.Schema().FieldIndices("psu")[0]).(*array.String)
			bad := 0
			for p, pr := range s.pairs {
				for j, part := range pairParts {
					col := SumsPairColumn(part, q.Criteria[pr.k].Column, q.Criteria[pr.l].Column)
					got := tab.Column(tab.Schema().FieldIndices(col)[0]).(*array.Float64).Float64Values()
					for c, g := range got {
						m := want[tp.Value(c)]
						if e := m[4*p+j]; math.Abs(g-e) > 1e-12*math.Abs(e)+1e-9 && bad < 10 {
							t.Errorf("score %d, weights %s, PSU %s, %s: %.17g, row by row %.17g", score, name, tp.Value(c), col, g, e)
							bad++
						}
					}
				}
			}
		}
	}
}
