package index

import (
	"context"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/synth"
	"github.com/sipas-go/sipas/sampling"
)

// withRepColumns returns rec with replicate weight columns rw1..rwR: the
// replicate weights of design d (R's analysis weights of a JKn or
// bootstrap design, constant within a PSU's rows of one weight) times
// mod(i, r), the row's factor for replicate r; its weight column is
// multiplied by mod(i, −1).
func withRepColumns(t testing.TB, rec arrow.RecordBatch, d *sampling.Design, mod func(i, r int) float64) arrow.RecordBatch {
	t.Helper()
	fields := append([]arrow.Field(nil), rec.Schema().Fields()...)
	cols := append([]arrow.Array(nil), rec.Columns()...)
	var made []arrow.Array
	wi := rec.Schema().FieldIndices(d.Spec().Weight)[0]
	w := append([]float64(nil), d.Weights()...)
	for i := range w {
		w[i] *= mod(i, -1)
	}
	b := array.NewFloat64Builder(memory.DefaultAllocator)
	b.AppendValues(w, nil)
	cols[wi] = b.NewArray()
	b.Release()
	fields[wi].Type = arrow.PrimitiveTypes.Float64
	made = append(made, cols[wi])
	for r := 0; r < d.Replicates(); r++ {
		w := d.ReplicateWeights(r)
		for i := range w {
			w[i] *= mod(i, r)
		}
		b := array.NewFloat64Builder(memory.DefaultAllocator)
		b.AppendValues(w, nil)
		a := b.NewArray()
		b.Release()
		made = append(made, a)
		fields = append(fields, arrow.Field{Name: "rw" + strconv.Itoa(r+1), Type: arrow.PrimitiveTypes.Float64})
		cols = append(cols, a)
	}
	out := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
	for _, a := range made {
		a.Release()
	}
	return out
}

// repSumsResult computes the indices of rec from its sums accumulated in
// batches of size rows into two merged Sums, as a streamed run does.
func repSumsResult(t *testing.T, rec arrow.RecordBatch, spec *sampling.DesignOptions, opt *Options, size int) *Result {
	t.Helper()
	s := mergedSums(t, rec, nil, spec, opt, size)
	tab, err := s.Table(memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	if _, _, err := FromSums(context.Background(), tab, nil, spec, opt); err == nil || !strings.Contains(err.Error(), "each replicate's sums") {
		t.Errorf("FromSums without the replicate sums: %v, want an error saying a table lacks them", err)
	}
	got, _, err := FromReplicateSums(context.Background(), tab, s.Replicates(), nil, spec, opt)
	if err != nil {
		t.Fatal(err)
	}
	sameFromRepTables(t, fmt.Sprintf("%+v by %v", *spec, opt.By), s, tab, spec, opt, got)
	return got
}

// TestReplicateColumnsSumsEqualCompute: with replicate weights given as
// columns, the indices from the per-(domain, replicate) sums and the Gram
// matrices of the replicate weights (accumulated in batches by two Sums
// and merged) equal Compute's on the ballots to 1e-12 on every estimate,
// SE, interval, design effect and difference to the nation, and the
// degrees of freedom (design and domain, the rank of the replicate
// weights) exactly: R's JKn and bootstrap weights of the R-golden fixture
// as they are (one vector per PSU and weight), scaled row by row with the
// weight (every row's weights proportional to its PSU's), and perturbed
// row by row (no two rows proportional), with and without a PSU column,
// nationally and by domains that are strata or combine two columns,
// replicate types other, jk1 and jkn (rscales), centred on the estimate or
// on the replicates' mean.
func TestReplicateColumnsSumsEqualCompute(t *testing.T) {
	rec := loadFixture(t)
	defer rec.Release()
	mseFalse := false
	bases := map[string]*sampling.DesignOptions{
		"jkn":       {Weight: "weight", Strata: "stratum", PSU: "psu", Variance: sampling.JKn},
		"bootstrap": {Weight: "weight", Strata: "stratum", PSU: "psu", Variance: sampling.Bootstrap, Replicates: 30, Seed: 5},
	}
	mods := map[string]func(i, r int) float64{
		"as is":     func(i, r int) float64 { return 1 },
		"row scale": func(i, r int) float64 { return float64(1 + i%3) },
		"perturbed": func(i, r int) float64 {
			if r < 0 {
				return 1
			}
			return 1 + 0.01*float64((i*7+r*3)%11)
		},
	}
	bys := [][]string{nil, {"province"}, {"region", "field"}}
	if testing.Short() {
		delete(bases, "jkn") // 197 replicates: slow under the race detector
		bys = bys[:2]
	}
	for bname, base := range bases {
		d, err := sampling.NewDesign(rec, base)
		if err != nil {
			t.Fatal(err)
		}
		scale, rscales := d.ReplicateScales()
		for mi, mname := range slices.Sorted(maps.Keys(mods)) {
			mod := mods[mname]
			if bname == "jkn" && mname == "row scale" {
				continue // 197 replicates: the eigenvalues of the ranks are slow
			}
			rrec := withRepColumns(t, rec, d, mod)
			specs := map[string]*sampling.DesignOptions{
				"other, psu":    {Weight: "weight", Strata: "stratum", PSU: "psu", RepWeightsPrefix: "rw", RepScale: scale, RepRScales: rscales},
				"other, no psu": {Weight: "weight", RepWeightsPrefix: "rw", RepScale: scale, RepRScales: rscales, MSE: &mseFalse},
				"jk1":           {Weight: "weight", RepWeightsPrefix: "rw", RepType: "jk1"},
				"jkn":           {Weight: "weight", PSU: "psu", RepWeightsPrefix: "rw", RepType: "jkn", RepRScales: rscales, MSE: &mseFalse},
			}
			for si, sname := range slices.Sorted(maps.Keys(specs)) {
				spec := specs[sname]
				dm, err := sampling.NewDesign(rrec, spec)
				if err != nil {
					t.Fatal(err)
				}
				for bi, by := range bys {
					for oi, opt := range []*Options{
						{By: by, VsNation: by != nil, CI: sampling.Wald, DF: sampling.DFDomain},
						{By: by, Score: ScoreMean, NoExpectations: true, CI: sampling.Logit, DF: sampling.DFDomain},
					} {
						// every replicate set (base, modification, type)
						// nationally with one option set and by one kind
						// of domain (provinces or two combined columns,
						// in turn) with the other: the domain ranks meet
						// every kind of replicate weights, and each
						// option set every domain kind;
						// SIPAS_FULL_TESTS=1 runs all six
						if k := si + len(specs)*mi; !fullTests() &&
							(bi > 0 && bi != 1+(k/2)%(len(bys)-1) || oi != (k+min(bi, 1))%2) {
							continue
						}
						where := fmt.Sprintf("%s %s, %s by %v ci %v", bname, mname, sname, by, opt.CI)
						want, err := Compute(context.Background(), dm, rrec, nil, opt)
						if err != nil {
							t.Fatal(err)
						}
						got := repSumsResult(t, rrec, spec, opt, 333)
						if got.DF != want.DF {
							t.Errorf("%s: design df %d from the sums, %d from the ballots", where, got.DF, want.DF)
						}
						sameRows(t, where, want, got, 1e-12)
					}
				}
			}
			rrec.Release()
		}
	}
}

// TestReplicateColumnsDomainRank: the domain degrees of freedom from the
// Gram matrices equal the rank of the domain rows' replicate weights when
// that rank is short (a domain in 3 PSUs of a JKn design of many), and
// the in-memory rule's. In short mode on the ballots of the first 16 of
// the 63 strata (48 PSUs and replicates): the ranks' eigen
// decompositions of the 189 PSUs' domains took minutes under the race
// detector.
func TestReplicateColumnsDomainRank(t *testing.T) {
	rec := loadFixture(t)
	if testing.Short() {
		strata := stringColumn(t, rec, "stratum")
		end, k := 0, 0
		for end < len(strata) && k < 16 {
			if end++; end == len(strata) || strata[end] != strata[end-1] {
				k++
			}
		}
		first := rec.NewSlice(0, int64(end))
		rec.Release()
		rec = first
	}
	defer rec.Release()
	d, err := sampling.NewDesign(rec, &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", Variance: sampling.JKn})
	if err != nil {
		t.Fatal(err)
	}
	rrec := withRepColumns(t, rec, d, func(i, r int) float64 { return 1 })
	defer rrec.Release()
	spec := &sampling.DesignOptions{Weight: "weight", PSU: "psu", RepWeightsPrefix: "rw"}
	dm, err := sampling.NewDesign(rrec, spec)
	if err != nil {
		t.Fatal(err)
	}
	opt := &Options{By: []string{"psu"}, DF: sampling.DFDomain, CI: sampling.Wald, NoExpectations: true}
	want, err := Compute(context.Background(), dm, rrec, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	got := repSumsResult(t, rrec, spec, opt, 500)
	sameRows(t, "by psu", want, got, 1e-12)
	// every PSU of a JKn design: its weights are 0 in its own replicate
	// and constant in the others, rank 1, df 0
	for _, r := range got.Rows {
		if len(r.Domain) > 0 && r.DF != 0 {
			t.Fatalf("PSU domain %v: df %d, want 0 (one vector of replicate weights)", r.Domain, r.DF)
		}
	}
}

// TestReplicateColumnsStreamSynthetic: a generated survey of 60,000
// ballots with 40 replicate weight columns written as a Parquet file of
// 12 row groups, streamed by two readers (SumFile), gives Compute's
// indices by province to 1e-12, degrees of freedom included.
func TestReplicateColumnsStreamSynthetic(t *testing.T) {
	if testing.Short() {
		t.Skip("60,000 ballots with 40 replicate columns")
	}
	rec, _, err := synth.Survey(synth.SurveyConfig{Seed: 7, Ballots: 60_000}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	d, err := sampling.NewDesign(rec, &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", Variance: sampling.Bootstrap, Replicates: 40, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	rrec := withRepColumns(t, rec, d, func(i, r int) float64 { return 1 + 0.1*float64(i%2) }) // rows of a PSU in two weights
	defer rrec.Release()
	path := filepath.Join(t.TempDir(), "reps.parquet")
	if err := arrowio.Write(path, rrec.Schema(), []arrow.RecordBatch{rrec}, arrowio.WithRowGroupRows(5000)); err != nil {
		t.Fatal(err)
	}
	scale, rscales := d.ReplicateScales()
	spec := &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", RepWeightsPrefix: "rw", RepScale: scale, RepRScales: rscales}
	dm, err := sampling.NewDesign(rrec, spec)
	if err != nil {
		t.Fatal(err)
	}
	opt := &Options{By: []string{"province"}, VsNation: true, DF: sampling.DFDomain}
	want, err := Compute(context.Background(), dm, rrec, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	s, err := SumFile(context.Background(), path, nil, spec, opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := s.Table(memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	got, _, err := FromReplicateSums(context.Background(), tab, s.Replicates(), nil, spec, opt)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "60,000 ballots, 12 row groups", want, got, 1e-12)
}

// TestReplicateColumnsBadWeightLate: a negative or missing replicate
// weight in a late batch is an error naming the column and the input row.
func TestReplicateColumnsBadWeightLate(t *testing.T) {
	rec := loadFixture(t)
	defer rec.Release()
	d, err := sampling.NewDesign(rec, &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", Variance: sampling.JKn})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []float64{-1, 0} {
		rrec := withRepColumns(t, rec, d, func(i, r int) float64 {
			if i == 3899 && r == 4 {
				if bad == 0 {
					return math.NaN()
				}
				return bad
			}
			return 1
		})
		spec := &sampling.DesignOptions{Weight: "weight", PSU: "psu", RepWeightsPrefix: "rw"}
		s, err := NewSums(nil, spec, nil, rrec.Schema())
		if err != nil {
			t.Fatal(err)
		}
		var aerr error
		for i0 := int64(0); i0 < rrec.NumRows() && aerr == nil; i0 += 1000 {
			sl := rrec.NewSlice(i0, min(rrec.NumRows(), i0+1000))
			aerr = s.Add(sl, i0)
			sl.Release()
		}
		if aerr == nil || !strings.Contains(aerr.Error(), `"rw5", row 3900`) {
			t.Errorf("bad weight %v: %v, want an error naming rw5 and row 3900", bad, aerr)
		}
		rrec.Release()
	}
}

// TestWriteRepScaleFile writes the data of the replicate-columns benchmark
// (docs/sums.md) when SIPAS_REPSCALE_FILE names the output: the scale
// file's generated survey (SIPAS_SCALE_BALLOTS ballots, default 1M; 63
// province strata × 20 PSUs) with 80 replicate weight columns rw1..rw80,
// R's bootstrap weights of its stratified cluster design (scale and
// rscales printed).
func TestWriteRepScaleFile(t *testing.T) {
	path := os.Getenv("SIPAS_REPSCALE_FILE")
	if path == "" {
		t.Skip("set SIPAS_REPSCALE_FILE to write the replicate-columns benchmark data")
	}
	ballots := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("SIPAS_SCALE_BALLOTS")); err == nil {
		ballots = v
	}
	rec, _, err := synth.Survey(synth.SurveyConfig{Seed: 17, Ballots: ballots}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	q := DefaultQuestionnaire()
	cols := append([]string{"province", "stratum", "psu", "fpc", "weight"}, append(q.Columns(), q.ExpectationColumns()...)...)
	var fields []arrow.Field
	var arrs []arrow.Array
	for _, c := range cols {
		i := rec.Schema().FieldIndices(c)[0]
		fields = append(fields, rec.Schema().Field(i))
		arrs = append(arrs, rec.Column(i))
	}
	sel := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, rec.NumRows())
	defer sel.Release()
	d, err := sampling.NewDesign(sel, &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", Variance: sampling.Bootstrap, Replicates: 80, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	out := withRepColumns(t, sel, d, func(i, r int) float64 { return 1 })
	defer out.Release()
	if err := arrowio.Write(path, out.Schema(), []arrow.RecordBatch{out}); err != nil {
		t.Fatal(err)
	}
	scale, _ := d.ReplicateScales()
	t.Logf("--rep-scale %.17g (rscales 1)", scale)
}

// TestSumFileWorkersReadTheirRowGroups: each of the two Parquet workers
// reads its own row groups even when the reader options given have room
// to spare (before, both appended their row-group filter to one shared
// slice, so that both could read the same groups: rows were summed twice
// or not at all, and a bad value in a skipped group passed).
func TestSumFileWorkersReadTheirRowGroups(t *testing.T) {
	rec := loadFixture(t)
	defer rec.Release()
	path := filepath.Join(t.TempDir(), "b.parquet")
	if err := arrowio.Write(path, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(250)); err != nil {
		t.Fatal(err)
	}
	spec := &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu"}
	runs := 30
	if testing.Short() {
		runs = 5 // under the race detector in CI, which reports the sharing itself
	}
	for i := 0; i < runs; i++ {
		// two options: the reader's option list then has room to spare
		so := &StreamOptions{Read: []arrowio.Option{arrowio.WithBatchSize(100), arrowio.WithBatchSize(0)}}
		s, err := SumFile(context.Background(), path, nil, spec, &Options{NoExpectations: true}, so)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, v := range s.n {
			n += v
		}
		if n != rec.NumRows() {
			t.Fatalf("run %d: %d ballots summed, want %d", i, n, rec.NumRows())
		}
	}
}
