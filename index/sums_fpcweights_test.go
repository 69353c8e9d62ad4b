package index

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
)

// fpcWeightedSpecs are designs without weight column whose weights come
// from the fpc (N_h/n_h, or 1/f_h for a sampling fraction; n_h PSUs, or
// ballots without PSU column) on the fixture with the columns frac (a
// sampling fraction of 0.25) and pop (a population of 10⁶ ballots per
// stratum): with PSUs and a population count of PSUs per stratum (fpc),
// PSUs and a fraction without strata, and without PSU column a fraction
// and a count, with strata and without.
func fpcWeightedSpecs(t *testing.T) (arrow.RecordBatch, map[string]*sampling.DesignOptions) {
	base := loadFixture(t)
	defer base.Release()
	n := int(base.NumRows())
	rec := withColumns(base, map[string][]float64{"frac": constant(n, 0.25), "pop": constant(n, 1e6)}, nil)
	return rec, map[string]*sampling.DesignOptions{
		"strat_clus_fpc":   {Strata: "stratum", PSU: "psu", FPC: "fpc"},
		"clus_frac":        {PSU: "psu", FPC: "frac"},
		"strat_frac_nopsu": {Strata: "stratum", FPC: "frac"},
		"strat_pop_nopsu":  {Strata: "stratum", FPC: "pop"},
		"pop_nopsu":        {FPC: "pop"},
	}
}

// TestFromSumsFPCWeights: the indices of designs weighted by their fpc
// (no weight column), with PSUs and without, from the sums of the ballots
// accumulated with weight 1 in batches by two Sums, merged, and scaled by
// Table, equal those computed from the ballots at 1e-12 (estimates, SEs,
// intervals, design effects, n, PSUs, df, differences to the nation),
// nationally and by domains that are strata, cut across strata or combine
// two columns; the table's weights sum to those of the ballots' design.
// In short mode each design and domain runs one of the two options, in
// turn.
func TestFromSumsFPCWeights(t *testing.T) {
	rec, specs := fpcWeightedSpecs(t)
	defer rec.Release()
	pair := 0
	for _, name := range slices.Sorted(maps.Keys(specs)) {
		spec := specs[name]
		if err := SumsSupport(spec); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d, err := sampling.NewDesign(rec, spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, by := range [][]string{nil, {"province"}, {"level"}, {"region", "field"}} {
			opts := inTurn([]*Options{
				{By: by, VsNation: by != nil},
				{By: by, Score: ScoreMean, DF: sampling.DFDomain, NoExpectations: true},
			}, pair)
			pair++
			for _, opt := range opts {
				sameFromSums(t, fmt.Sprintf("%s by %v score %d", name, by, opt.Score), d, rec, spec, opt)
			}
		}
		tab := sumsOf(t, rec, nil, spec, &Options{}, 333)
		sameWeightsSum(t, name, tab, d)
		tab.Release()
	}
}

// TestSumFileFPCWeights: SumFile streams a CSV file under a design
// weighted by its fpc (with PSUs, and without) and its sums finish to the
// ballots' indices at 1e-12 by province.
func TestSumFileFPCWeights(t *testing.T) {
	rec, specs := fpcWeightedSpecs(t)
	defer rec.Release()
	path := filepath.Join(t.TempDir(), "b.csv")
	if err := arrowio.Write(path, rec.Schema(), []arrow.RecordBatch{rec}); err != nil {
		t.Fatal(err)
	}
	read := []arrowio.Option{arrowio.WithTypes(map[string]arrow.DataType{"psu": arrow.BinaryTypes.String, "province_code": arrow.BinaryTypes.String})}
	for _, name := range []string{"strat_clus_fpc", "strat_frac_nopsu"} {
		spec := specs[name]
		d, err := sampling.NewDesign(rec, spec)
		if err != nil {
			t.Fatal(err)
		}
		opt := &Options{By: []string{"province"}, VsNation: true}
		want, err := Compute(context.Background(), d, rec, nil, opt)
		if err != nil {
			t.Fatal(err)
		}
		s, err := SumFile(context.Background(), path, nil, spec, opt, &StreamOptions{Read: read})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		tab, err := s.Table(nil)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := FromSums(context.Background(), tab, nil, spec, opt)
		tab.Release()
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, name, want, got, 1e-12)
	}
}

// TestEstimandSumsFPCWeights: means, totals and ratios (a share among
// them) under designs with PSUs weighted by their fpc, from the per-cell
// sums accumulated with weight 1 in batches and scaled by Table, equal
// the rows' estimates at 1e-12 (estimate, SE, interval, design effect, n,
// PSUs, df), nationally and by domains.
func TestEstimandSumsFPCWeights(t *testing.T) {
	rec, specs := fpcWeightedSpecs(t)
	defer rec.Release()
	est := []sampling.Estimand{
		{Statistic: sampling.StatMean, Num: "access_1"},
		{Statistic: sampling.StatTotal, Num: "access_2"},
		{Statistic: sampling.StatRatio, Num: "access_1", Den: "access_2"},
	}
	for _, name := range []string{"strat_clus_fpc", "clus_frac"} {
		spec := specs[name]
		if err := EstimandSumsSupport(spec, nil); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d, err := sampling.NewDesign(rec, spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, by := range [][]string{nil, {"region"}, {"region", "field"}} {
			where := fmt.Sprintf("%s by %v", name, by)
			eopt := &sampling.EstimateOptions{By: by}
			want, err := d.Estimates(rec, est, eopt)
			if err != nil {
				t.Fatal(err)
			}
			s := sumBatches(t, rec, 333, func() (*Sums, error) { return NewEstimandSums(spec, by, est, nil, rec.Schema()) })
			tab, err := s.Table(memory.DefaultAllocator)
			if err != nil {
				t.Fatal(err)
			}
			dc, cells, err := EstimandSums(tab, spec, est, s.Shares())
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			dm, err := sampling.NewDomains(tab, by)
			if err != nil {
				t.Fatal(err)
			}
			got, err := dc.EstimatesFromCells(est, cells, dm, eopt)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			sameEstimates(t, where, want, got, false)
			tab.Release()
		}
	}
}

// TestFPCWeightsOtherDesigns: weights from the fpc with later stages (N/n
// of every stage's unit), PPS (1/π of each PSU) and replicates of such a
// design stream (the cells' sums are scaled by them:
// TestSumFileFPCWeightsCombo), as with a weight column.
func TestFPCWeightsOtherDesigns(t *testing.T) {
	for name, spec := range map[string]*sampling.DesignOptions{
		"stages":    {PSU: "psu", FPC: "fpc", Stages: []sampling.Stage{{Unit: "ssu", FPC: "fpc2"}}},
		"pps":       {PSU: "psu", FPC: "pi", PPS: sampling.PPSBrewer},
		"bootstrap": {Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.Bootstrap},
	} {
		if err := SumsSupport(spec); err != nil {
			t.Errorf("%s without a weight column: %v", name, err)
		}
		w := *spec
		w.Weight = "weight"
		if err := SumsSupport(&w); err != nil {
			t.Errorf("%s with a weight column: %v", name, err)
		}
	}
}

// TestSumsSQLFPCWeightsRefused: the SQL of the sums weighs every ballot 1,
// so a design weighted by its fpc is not what it sums; SumsSQLSupport
// says so.
func TestSumsSQLFPCWeightsRefused(t *testing.T) {
	if err := SumsSQLSupport(&sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc"}); err == nil {
		t.Error("a design weighted by its fpc: no error")
	}
	if err := SumsSQLSupport(&sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "fpc"}); err != nil {
		t.Errorf("a weighted design: %v", err)
	}
}

// sameWeightsSum checks that the weights of the sums table tab sum to
// those of the ballots' design d, at 1e-12.
func sameWeightsSum(t *testing.T, where string, tab arrow.RecordBatch, d *sampling.Design) {
	t.Helper()
	w, err := sumsFloats(tab, SumsWeights)
	if err != nil {
		t.Fatal(err)
	}
	got := 0.0
	for _, v := range w {
		got += v
	}
	if want := d.WeightsSum(); !relClose(want, got, 1e-12, want) {
		t.Errorf("%s: the table's weights sum to %.17g, the design's to %.17g", where, got, want)
	}
}
