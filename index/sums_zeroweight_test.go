package index

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// zeroWeightFixture returns the R-golden fixture with a weight column
// "wz": the design weight, 0 on every 7th ballot and on the first 40
// ballots of the file (the caller releases it), and the number of zeros.
func zeroWeightFixture(t *testing.T) (arrow.RecordBatch, int) {
	t.Helper()
	base := loadFixture(t)
	defer base.Release()
	wc, _ := arrowio.Column(base, "weight")
	w, _, err := arrowio.Float64s(wc)
	if err != nil {
		t.Fatal(err)
	}
	wz := append([]float64(nil), w...)
	zeros := 0
	for i := range wz {
		if i%7 == 3 || i < 40 {
			wz[i] = 0
			zeros++
		}
	}
	return withColumns(base, map[string][]float64{"wz": wz}, nil), zeros
}

// sameDeffs asserts that every row's design effect agrees within tol
// relative (both NaN, or both an SE of rounding noise, also agree).
func sameDeffs(t *testing.T, where string, want, got *Result, tol float64) {
	t.Helper()
	if len(want.Rows) != len(got.Rows) {
		t.Fatalf("%s: %d rows, want %d", where, len(got.Rows), len(want.Rows))
	}
	bad := 0
	for i, w := range want.Rows {
		g := got.Rows[i]
		if math.IsNaN(w.Deff) && math.IsNaN(g.Deff) || w.SE <= 1e-12*math.Abs(w.Estimate) {
			continue
		}
		if !(math.Abs(w.Deff-g.Deff) <= tol*math.Abs(w.Deff)) {
			t.Errorf("%s: row %d %v/%s/%s: deff %.17g from the sums, %.17g from the ballots", where, i, w.Domain, w.Kind, w.ID, g.Deff, w.Deff)
			if bad++; bad > 10 {
				t.Fatal("too many differences")
			}
		}
	}
}

// TestSumsZeroWeightDeff: with ballots of weight 0 (scattered, and a run
// at the start of the file), the design effects of every criterion,
// expectation share, element and SIPAS from the sums (accumulated in
// batches by two Sums and merged) equal Compute's at 1e-12, nationally and
// by domains, under linearization with PSUs (with fpc, and without strata),
// without PSU column (the per-stratum moments), generated replicates (JKn,
// the bootstrap) and replicate weight columns; under linearization the
// design effect's n leaves those ballots out, as the engine does on the
// ballots, while a replicate design counts them. The rest of the rows
// (estimates, SEs, intervals, n, PSUs, df) agree as sameRows checks.
func TestSumsZeroWeightDeff(t *testing.T) {
	rec, zeros := zeroWeightFixture(t)
	defer rec.Release()
	if zeros < 500 {
		t.Fatalf("%d ballots of weight 0", zeros)
	}
	specs := map[string]*sampling.DesignOptions{
		"strat_clus_fpc": {Weight: "wz", Strata: "stratum", PSU: "psu", FPC: "fpc"},
		"clus":           {Weight: "wz", PSU: "psu"},
		"no psu strat":   {Weight: "wz", Strata: "stratum"},
		"no psu fpc":     {Weight: "wz", Strata: "stratum", FPC: "fpc"},
		"jkn":            {Weight: "wz", Strata: "stratum", PSU: "psu", Variance: sampling.JKn},
		"bootstrap":      {Weight: "wz", Strata: "stratum", PSU: "psu", Variance: sampling.Bootstrap, Replicates: 20, Seed: 3},
	}
	for name, spec := range specs {
		d, err := sampling.NewDesign(rec, spec)
		if err != nil {
			t.Fatal(err)
		}
		ci := sampling.Logit
		if spec.Variance != sampling.Linearization {
			ci = sampling.Wald // see TestFromSumsEqualsCompute
		}
		for _, opt := range []*Options{
			{CI: ci},
			{By: []string{"province"}, VsNation: true, CI: ci},
			{By: []string{"level", "field"}, Score: ScoreMean, NoExpectations: true, CI: ci},
		} {
			where := fmt.Sprintf("%s by %v", name, opt.By)
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
			sameDeffs(t, where, want, got, deffTol(spec))
		}
	}
	// replicate weight columns: JKn's of the design above, as columns
	d, err := sampling.NewDesign(rec, &sampling.DesignOptions{Weight: "wz", Strata: "stratum", PSU: "psu", Variance: sampling.JKn})
	if err != nil {
		t.Fatal(err)
	}
	rrec := withRepColumns(t, rec, d, func(i, r int) float64 { return 1 })
	defer rrec.Release()
	_, rscales := d.ReplicateScales()
	for _, spec := range []*sampling.DesignOptions{
		{Weight: "wz", PSU: "psu", RepWeightsPrefix: "rw", RepType: "jkn", RepRScales: rscales},
		{Weight: "wz", RepWeightsPrefix: "rw", RepType: "jkn", RepRScales: rscales},
	} {
		rd, err := sampling.NewDesign(rrec, spec)
		if err != nil {
			t.Fatal(err)
		}
		opt := &Options{By: []string{"province"}, VsNation: true, CI: sampling.Wald}
		where := fmt.Sprintf("replicate columns, psu %q", spec.PSU)
		want, err := Compute(context.Background(), rd, rrec, nil, opt)
		if err != nil {
			t.Fatal(err)
		}
		got := repSumsResult(t, rrec, spec, opt, 333)
		sameRows(t, where, want, got, 1e-12)
		sameDeffs(t, where, want, got, deffTol(spec))
	}
}

// deffTol is the tolerance of sameDeffs under spec: 1e-12, or 1e-11 for
// a replicate variance, whose differences of replicate estimates lose a
// digit to rounding on either path (sameRows allows 1e-11 to every design
// effect).
func deffTol(spec *sampling.DesignOptions) float64 {
	if spec.Variance != sampling.Linearization || spec.RepWeightsPrefix != "" {
		return 1e-11
	}
	return 1e-12
}

// TestSumFileZeroWeightDeff: a Parquet file of several row groups with
// ballots of weight 0, streamed by two workers, gives Compute's design
// effects at 1e-12, with and without PSU column, and so does its sums
// table written to Parquet and read back; a table without the columns of
// the answers of nonzero weight (written before they were added) is read
// as one without ballots of weight 0, and one whose count exceeds the
// answers' is refused.
func TestSumFileZeroWeightDeff(t *testing.T) {
	rec, _ := zeroWeightFixture(t)
	defer rec.Release()
	dir := t.TempDir()
	path := filepath.Join(dir, "b.parquet")
	if err := arrowio.Write(path, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(500)); err != nil {
		t.Fatal(err)
	}
	read := []arrowio.Option{arrowio.WithTypes(map[string]arrow.DataType{"psu": arrow.BinaryTypes.String, "province_code": arrow.BinaryTypes.String})}
	for _, spec := range []*sampling.DesignOptions{
		{Weight: "wz", Strata: "stratum", PSU: "psu", FPC: "fpc"},
		{Weight: "wz", Strata: "stratum"},
	} {
		d, err := sampling.NewDesign(rec, spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, opt := range []*Options{{}, {By: []string{"province"}, VsNation: true}} {
			where := fmt.Sprintf("psu %q by %v", spec.PSU, opt.By)
			want, err := Compute(context.Background(), d, rec, nil, opt)
			if err != nil {
				t.Fatal(err)
			}
			s, err := SumFile(context.Background(), path, nil, spec, opt, &StreamOptions{Workers: 2, Read: read})
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			tab, err := s.Table(nil)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := FromSums(context.Background(), tab, nil, spec, opt)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			sameRows(t, where+" streamed", want, got, 1e-12)
			sameDeffs(t, where+" streamed", want, got, 1e-12)
			// the table written and read back
			spath := filepath.Join(dir, "sums.parquet")
			if err := arrowio.Write(spath, tab.Schema(), []arrow.RecordBatch{tab}); err != nil {
				t.Fatal(err)
			}
			back, err := arrowio.ReadAll(spath)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err = FromSums(context.Background(), back, nil, spec, opt)
			if err != nil {
				t.Fatalf("%s: read back: %v", where, err)
			}
			sameRows(t, where+" read back", want, got, 1e-12)
			sameDeffs(t, where+" read back", want, got, 1e-12)
			back.Release()
			tab.Release()
		}
	}
	// an older table: without the nobs and ncobs columns the ballots of
	// weight 0 are not known, and every answer counts in the design
	// effect's n, as the design weight "weight" (no zeros) would
	spec := &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "fpc"}
	opt := &Options{By: []string{"province"}}
	d, err := sampling.NewDesign(rec, spec)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Compute(context.Background(), d, rec, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	tab := sumsOf(t, rec, nil, spec, opt, 500)
	defer tab.Release()
	old := dropObsColumns(t, tab)
	defer old.Release()
	if old.NumCols() >= tab.NumCols() {
		t.Fatalf("no column dropped from the %d", tab.NumCols())
	}
	got, _, err := FromSums(context.Background(), old, nil, spec, opt)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "older table", want, got, 1e-12)
	sameDeffs(t, "older table", want, got, 1e-12)
	// a count of nonzero weight above the answers'
	i := tab.Schema().FieldIndices(SumsColumn("nobs", "access_1"))[0]
	nb := array.NewInt64Builder(memory.DefaultAllocator)
	n := tab.Column(tab.Schema().FieldIndices(SumsColumn("n", "access_1"))[0]).(*array.Int64)
	for r := 0; r < n.Len(); r++ {
		nb.Append(n.Value(r) + int64(r%2))
	}
	cols := append([]arrow.Array(nil), tab.Columns()...)
	cols[i] = nb.NewArray()
	nb.Release()
	defer cols[i].Release()
	bad := array.NewRecordBatch(tab.Schema(), cols, tab.NumRows())
	defer bad.Release()
	if _, _, err := FromSums(context.Background(), bad, nil, spec, opt); !errors.Is(err, ErrSums) {
		t.Errorf("nobs above n: %v, want an error wrapping ErrSums", err)
	}
}

// dropObsColumns returns tab without its nobs_ and ncobs_ columns.
func dropObsColumns(t *testing.T, tab arrow.RecordBatch) arrow.RecordBatch {
	t.Helper()
	var fields []arrow.Field
	var cols []arrow.Array
	for j, f := range tab.Schema().Fields() {
		if len(f.Name) > 5 && (f.Name[:5] == "nobs_" || f.Name[:6] == "ncobs_") {
			continue
		}
		fields, cols = append(fields, f), append(cols, tab.Column(j))
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, tab.NumRows())
}

// TestWeightedSumsZeroWeightDeff: a weighting whose final weights are 0
// on some ballots (a nonresponse adjustment, then post-stratification and
// raking), finished from the per-cell sums of the design
// weights, gives weighting.NewDesign + Compute's design effects (whose n
// leaves those ballots out under linearization and counts them under a
// replicate variance, as in memory) and the rest of the rows, at 1e-12,
// nationally and by domains. A weighting refuses design weights of 0 and
// gives weight 0 only to the nonrespondents, whose flag keys the cells:
// whole cells of weight 0, as before the answers of nonzero weight were
// counted.
func TestWeightedSumsZeroWeightDeff(t *testing.T) {
	rec, level, gender, _, _ := weightingFixture(t)
	defer rec.Release()
	ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight2", "steps": [{"nonresponse": {"classes": ["region"], "responded": "responded"}},
		{"poststratify": ` + level + `}, {"rake": {"margins": [` + gender + `]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, design := range []*sampling.DesignOptions{
		{Strata: "stratum", PSU: "psu", FPC: "fpc"},
		{Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn},
	} {
		for _, opt := range []*Options{{CI: sampling.Wald}, {By: []string{"province"}, VsNation: true, CI: sampling.Wald}, {By: []string{"field"}, Score: ScoreMean, CI: sampling.Wald}} {
			where := fmt.Sprintf("%v by %v", design.Variance, opt.By)
			want, _ := weightedInMemory(t, rec, design, ws, opt)
			got, wres, _ := weightedStreamed(t, rec, design, ws, opt, 333)
			zeros := 0
			for _, v := range wres.Weights {
				if v == 0 {
					zeros++
				}
			}
			if zeros == 0 {
				t.Fatalf("%s: no cell of weight 0", where)
			}
			sameRows(t, where, want, got, 1e-12)
			sameDeffs(t, where, want, got, deffTol(design))
		}
	}
}

// TestSumsMultistageZeroWeightDeff: multistage designs (two and three
// stages with fpc; the full multistage variance and JKn) on ballots of
// which some weigh 0 give Compute's rows from the sums at 1e-12, design
// effects included.
func TestSumsMultistageZeroWeightDeff(t *testing.T) {
	base, _ := zeroWeightFixture(t)
	defer base.Release()
	rec := withStages(t, base)
	defer rec.Release()
	for _, name := range []string{"2-stage strata", "3-stage strata", "3-stage jackknife"} {
		spec := *stageSpecs()[name]
		spec.Weight = "wz"
		d, err := sampling.NewDesign(rec, &spec)
		if err != nil {
			t.Fatal(err)
		}
		ci := sampling.Logit
		if spec.Variance != sampling.Linearization {
			ci = sampling.Wald
		}
		for _, opt := range []*Options{{CI: ci}, {By: []string{"level"}, VsNation: true, CI: ci}} {
			where := fmt.Sprintf("%s by %v", name, opt.By)
			want, err := Compute(context.Background(), d, rec, nil, opt)
			if err != nil {
				t.Fatal(err)
			}
			tab := sumsOf(t, rec, nil, &spec, opt, 333)
			got, _, err := FromSums(context.Background(), tab, nil, &spec, opt)
			tab.Release()
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			sameRows(t, where, want, got, 1e-12)
			sameDeffs(t, where, want, got, deffTol(&spec))
		}
	}
}
