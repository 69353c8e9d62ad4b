package index

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/synth"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// TestEstimandSumsNoPSUEqualMemory: designs without PSU column (every
// ballot its own PSU: stratified or not, weighted or not, with and
// without fpc, weighted by the fpc, a stratum of one ballot under
// LonelyAdjust and LonelyAverage, domain df), means (of
// values, of a 0/1 share, of a variable with holes), totals and ratios,
// nationally and by domains (cutting across the strata, the strata, two
// columns), with contrasts between domains: streamed from a Parquet file
// of many row groups in batches and finished from the cells' sums with
// their squared-weight moments, they equal sampling's Estimates and
// EstimateContrasts on the rows at 1e-12 on every estimate, SE, interval,
// design effect and degrees of freedom.
func TestEstimandSumsNoPSUEqualMemory(t *testing.T) {
	ctx := context.Background()
	base := estcalFixture(t, "apistrat.csv")
	defer base.Release()
	n := int(base.NumRows())
	stype, err := arrowio.Column(base, "stype")
	if err != nil {
		t.Fatal(err)
	}
	h := make([]string, n)
	for i := range h {
		h[i] = stype.ValueStr(i)
	}
	h[17] = "L" // a stratum of one ballot
	rec := withColumns(base, nil, map[string][]string{"h": h})
	defer rec.Release()
	pq := filepath.Join(t.TempDir(), "apistrat.parquet")
	if err := arrowio.Write(pq, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(37)); err != nil {
		t.Fatal(err)
	}
	read := []arrowio.Option{arrowio.WithBatchSize(41)}
	ests := []sampling.Estimand{
		{Statistic: sampling.StatMean, Num: "api00"}, {Statistic: sampling.StatMean, Num: "hi"}, {Statistic: sampling.StatMean, Num: "holes"},
		{Statistic: sampling.StatTotal, Num: "enroll"}, {Statistic: sampling.StatTotal, Num: "holes"},
		{Statistic: sampling.StatRatio, Num: "api00", Den: "enroll"}, {Statistic: sampling.StatRatio, Num: "holes", Den: "pw"},
	}
	specs := map[string]*sampling.DesignOptions{
		"strat_fpc":    {Weight: "pw", Strata: "stype", FPC: "fpc"},
		"strat":        {Weight: "pw", Strata: "stype"},
		"weighted":     {Weight: "pw"},
		"unweighted":   {},
		"strat_unw":    {Strata: "stype"},
		"fpc_weights":  {Strata: "stype", FPC: "fpc"}, // weights N_h/n_h
		"lonely_adj":   {Weight: "pw", Strata: "h", FPC: "fpc", Lonely: sampling.LonelyAdjust},
		"lonely_avg":   {Weight: "pw", Strata: "h", Lonely: sampling.LonelyAverage},
		"lonely_dfdom": {Weight: "pw", Strata: "h", Lonely: sampling.LonelyRemove},
	}
	bys := [][]string{nil, {"size"}, {"stype"}, {"size", "resp"}}
	for name, spec := range specs {
		if err := EstimandSumsSupport(spec, nil); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d, err := sampling.NewDesign(rec, spec)
		if err != nil {
			t.Fatal(name, err)
		}
		for _, by := range bys {
			for _, ci := range []sampling.CIMethod{sampling.Wald, sampling.Logit} {
				opt := &sampling.EstimateOptions{By: by, CI: ci}
				if strings.HasSuffix(name, "dfdom") {
					opt.DF = sampling.DFDomain
				}
				where := fmt.Sprintf("%s by %v %s", name, by, ci)
				want, err := d.Estimates(rec, ests, opt)
				if err != nil {
					t.Fatal(where, err)
				}
				var cs [][]sampling.DomainCoef
				var wantC []sampling.ContrastEstimate
				if by != nil {
					cs = [][]sampling.DomainCoef{{{Domain: 0, Coef: 1}, {Domain: 1, Coef: -1}}}
					dm, err := sampling.NewDomains(rec, by)
					if err != nil {
						t.Fatal(err)
					}
					if dm.Len() > 2 {
						cs = append(cs, []sampling.DomainCoef{{Domain: 0, Coef: 0.5}, {Domain: 1, Coef: 0.5}, {Domain: dm.Len() - 1, Coef: -1}})
					}
					if wantC, err = d.EstimateContrasts(rec, ests, cs, opt); err != nil {
						t.Fatal(where, err)
					}
				}
				s, err := SumEstimandsFile(ctx, pq, spec, by, ests, &StreamOptions{Read: read})
				if err != nil {
					t.Fatal(where, err)
				}
				tab, err := s.Table(nil)
				if err != nil {
					t.Fatal(where, err)
				}
				dc, cells, err := EstimandSums(tab, spec, ests, s.Shares())
				if err != nil {
					t.Fatal(where, err)
				}
				got, gotC := cellEstimates(t, tab, dc, cells, ests, opt, cs)
				tab.Release()
				sameEstimates(t, where, want, got, true)
				sameContrasts(t, where, want, wantC, gotC)
			}
		}
	}
}

// TestEstimandSumsNoPSUTableWithoutMoments: a sums table written for a
// design with PSUs, finished as one without, is an error naming the
// column of the moments it lacks; one of a design without PSUs has them.
func TestEstimandSumsNoPSUTableWithoutMoments(t *testing.T) {
	rec := estcalFixture(t, "apistrat.csv")
	defer rec.Release()
	ests := []sampling.Estimand{{Statistic: sampling.StatMean, Num: "api00"}, {Statistic: sampling.StatTotal, Num: "enroll"}}
	withPSU := &sampling.DesignOptions{Weight: "pw", Strata: "stype", PSU: "snum"}
	noPSU := &sampling.DesignOptions{Weight: "pw", Strata: "stype"}
	s := sumBatches(t, rec, 50, func() (*Sums, error) { return NewEstimandSums(withPSU, nil, ests, nil, rec.Schema()) })
	tab, err := s.Table(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	if _, _, err := EstimandSums(tab, noPSU, ests, nil); !errors.Is(err, ErrSums) || !strings.Contains(err.Error(), SumsPositive) {
		t.Errorf("a table without the moments: %v", err)
	}
	s = sumBatches(t, rec, 50, func() (*Sums, error) { return NewEstimandSums(noPSU, nil, ests, nil, rec.Schema()) })
	tab2, err := s.Table(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tab2.Release()
	for _, c := range []string{SumsPositive, SumsColumn(SumsSquared+"yy", "mean_api00"), SumsColumn(SumsSquared+"xx", "total_enroll")} {
		if len(tab2.Schema().FieldIndices(c)) != 1 {
			t.Errorf("no column %q in the table of a design without PSUs", c)
		}
	}
}

// BenchmarkEstimandsNoPSU: sipas estimate's two paths for two means, a
// total and a ratio of criteria by province, and the contrast of the
// first two provinces, under a design without PSU column (strata,
// weights), on SIPAS_NOPSU_BALLOTS generated ballots (default 1M) from one
// Parquet file: "streamed" sums the cells with their squared-weight
// moments in one pass (SumEstimandsFile) and finishes them (EstimandSums,
// EstimatesFromCells, EstimateContrastsFromCells); "in-memory" reads the
// file and runs Estimates and EstimateContrasts on the rows. It reports
// the peak heap, the peak live heap and ballots per second.
// SIPAS_NOPSU_WEIGHTING=poststratify post-stratifies the design weights
// to province totals instead (weighting.NewDesign on the rows;
// SumEstimandsFile with the weighting and WeightedEstimandSums streamed):
//
//	go test ./index -run '^$' -bench EstimandsNoPSU -benchtime 1x
func BenchmarkEstimandsNoPSU(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("SIPAS_NOPSU_BALLOTS")); err == nil {
		n = v
	}
	rec, _, err := synth.Survey(synth.SurveyConfig{Seed: 31, Ballots: n}, memory.DefaultAllocator)
	if err != nil {
		b.Fatal(err)
	}
	c := DefaultQuestionnaire().Columns()
	var fields []arrow.Field
	var arrs []arrow.Array
	for _, name := range append([]string{"province", "stratum", "weight"}, c[:3]...) {
		i := rec.Schema().FieldIndices(name)[0]
		fields, arrs = append(fields, rec.Schema().Field(i)), append(arrs, rec.Column(i))
	}
	sel := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, rec.NumRows())
	var ws *weighting.Spec
	if os.Getenv("SIPAS_NOPSU_WEIGHTING") == "poststratify" {
		if ws, err = weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [{"poststratify": ` +
			marginJSON("province", testTotals(b, sel, "province", "weight", 1e8)) + `}]}`)); err != nil {
			b.Fatal(err)
		}
	}
	path := filepath.Join(b.TempDir(), "survey.parquet")
	err = arrowio.WriteRecord(path, sel, arrowio.WithRowGroupRows(65536))
	sel.Release()
	rec.Release()
	if err != nil {
		b.Fatal(err)
	}
	design := &sampling.DesignOptions{Weight: "weight", Strata: "stratum"}
	if ws != nil {
		design.Weight = ""
	}
	est := []sampling.Estimand{{Statistic: sampling.StatMean, Num: c[0]}, {Statistic: sampling.StatMean, Num: c[1]},
		{Statistic: sampling.StatTotal, Num: c[1]}, {Statistic: sampling.StatRatio, Num: c[2], Den: c[0]}}
	opt := &sampling.EstimateOptions{By: []string{"province"}}
	cs := [][]sampling.DomainCoef{{{Domain: 0, Coef: 1}, {Domain: 1, Coef: -1}}}
	ctx := context.Background()
	b.Run("streamed", func(b *testing.B) {
		benchPeaks(b, n, func() error {
			s, err := SumEstimandsFile(ctx, path, design, opt.By, est, &StreamOptions{Weighting: ws})
			if err != nil {
				return err
			}
			tab, err := s.Table(nil)
			if err != nil {
				return err
			}
			defer tab.Release()
			var d *sampling.Design
			var cells []sampling.CellSums
			if ws != nil {
				d, cells, _, err = WeightedEstimandSums(ctx, tab, design, ws, est, s.Shares(), opt.By)
			} else {
				d, cells, err = EstimandSums(tab, design, est, s.Shares())
			}
			if err != nil {
				return err
			}
			dm, err := sampling.NewDomains(tab, opt.By)
			if err != nil {
				return err
			}
			if _, err = d.EstimatesFromCells(est, cells, dm, opt); err != nil {
				return err
			}
			_, err = d.EstimateContrastsFromCells(est, cells, dm, cs, opt)
			return err
		})
	})
	b.Run("in-memory", func(b *testing.B) {
		benchPeaks(b, n, func() error {
			rec, err := arrowio.ReadAll(path)
			if err != nil {
				return err
			}
			defer rec.Release()
			var d *sampling.Design
			if ws != nil {
				var out arrow.RecordBatch
				if d, out, err = weighting.NewDesign(ctx, rec, ws, design); err != nil {
					return err
				}
				defer out.Release()
				rec = out
			} else if d, err = sampling.NewDesign(rec, design); err != nil {
				return err
			}
			if _, err = d.Estimates(rec, est, opt); err != nil {
				return err
			}
			_, err = d.EstimateContrasts(rec, est, cs, opt)
			return err
		})
	})
}
