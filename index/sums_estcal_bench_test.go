package index

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// calibratedEstimands are estimands of the survey of calibratedSurvey:
// the mean and total of the first criterion, the mean of age and the
// ratio of the criterion to age.
func calibratedEstimands() []sampling.Estimand {
	c := DefaultQuestionnaire().Columns()[0]
	return []sampling.Estimand{{Statistic: sampling.StatMean, Num: c}, {Statistic: sampling.StatTotal, Num: c},
		{Statistic: sampling.StatMean, Num: "age"}, {Statistic: sampling.StatRatio, Num: c, Den: "age"}}
}

// TestCalibratedEstimandsSynthetic: estimates after a linear calibration
// to level, gender and a numeric covariate (alone, and after a raking to
// province and level), streamed from 20,000 generated ballots in 8
// Parquet row groups (each province's PSUs spread over several, as with
// more ballots), equal the in-memory ones at 1e-12, by province (63
// domains) and nationally, with contrasts; SIPAS_FULL_TESTS=1 takes
// 120,000 ballots.
func TestCalibratedEstimandsSynthetic(t *testing.T) {
	if testing.Short() {
		t.Skip("20k ballots, twice")
	}
	n := 20_000
	if fullTests() {
		n = 120_000
	}
	for _, before := range []string{"", "rake"} {
		path, ws := calibratedSurvey(t, t.TempDir(), n, before)
		rec, err := arrowio.ReadAll(path)
		if err != nil {
			t.Fatal(err)
		}
		defer rec.Release()
		design := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc"}
		ests := calibratedEstimands()
		d, wrec, err := weighting.NewDesign(context.Background(), rec, ws, design)
		if err != nil {
			t.Fatal(err)
		}
		defer wrec.Release()
		for _, by := range [][]string{nil, {"province"}} {
			opt := &sampling.EstimateOptions{By: by}
			want, err := d.Estimates(wrec, ests, opt)
			if err != nil {
				t.Fatal(err)
			}
			var cs [][]sampling.DomainCoef
			var wantC []sampling.ContrastEstimate
			if by != nil {
				cs = [][]sampling.DomainCoef{{{Domain: 0, Coef: 1}, {Domain: 1, Coef: -1}}, {{Domain: 2, Coef: 0.5}, {Domain: 5, Coef: 0.5}, {Domain: 40, Coef: -1}}}
				if wantC, err = d.EstimateContrasts(wrec, ests, cs, opt); err != nil {
					t.Fatal(err)
				}
			}
			got, gotC := estcalStreamed(t, context.Background(), path, design, ws, ests, opt, cs, nil)
			sameEstimates(t, "synthetic "+before, want, got, true)
			for i, w := range wantC {
				g := gotC[i]
				for _, p := range [][2]float64{{w.Estimate, g.Estimate}, {w.SE, g.SE}, {w.CILow, g.CILow}, {w.CIHigh, g.CIHigh}} {
					if !relClose(p[0], p[1], 1e-12, termScale(want, w)+w.SE) {
						t.Errorf("%s contrast %d %s: %+v in memory, %+v streamed", before, w.Contrast, w.Variable, w, g)
						break
					}
				}
			}
		}
	}
}

// BenchmarkCalibratedEstimandsStream: sipas estimate's two paths for the
// estimands of calibratedEstimands by province after a linear
// calibration to level, gender and a numeric covariate, on
// SIPAS_CAL_BALLOTS generated ballots (default 1M) from one Parquet file:
// "streamed" solves it in passes and sums the cells with the calibration
// terms; "in-memory" reads the file and runs weighting.NewDesign and
// Estimates. It reports the peak heap, peak live heap and ballots per
// second:
//
//	go test ./index -run '^$' -bench CalibratedEstimandsStream -benchtime 1x
func BenchmarkCalibratedEstimandsStream(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("SIPAS_CAL_BALLOTS")); err == nil {
		n = v
	}
	path, ws := calibratedSurvey(b, b.TempDir(), n, os.Getenv("SIPAS_CAL_BEFORE"))
	design := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc"}
	ests := calibratedEstimands()
	opt := &sampling.EstimateOptions{By: []string{"province"}}
	ctx := context.Background()
	run := func(b *testing.B, f func() error) { benchPeaks(b, n, f) }
	b.Run("streamed", func(b *testing.B) {
		run(b, func() error {
			st, err := weighting.SolveStream(ctx, ws, ScanFile(path))
			if err != nil {
				return err
			}
			s, err := SumCalibratedEstimandsFile(ctx, path, design, opt.By, ests, st, nil)
			if err != nil {
				return err
			}
			tab, err := s.Table(nil)
			if err != nil {
				return err
			}
			defer tab.Release()
			d, cells, err := CalibratedEstimandSums(tab, design, st, ests, s.Shares(), opt.By)
			if err != nil {
				return err
			}
			dm, err := sampling.NewDomains(tab, opt.By)
			if err != nil {
				return err
			}
			_, err = d.EstimatesFromCells(ests, cells, dm, opt)
			return err
		})
	})
	b.Run("in-memory", func(b *testing.B) {
		run(b, func() error { _, err := estimatesInMemory(ctx, path, ws, design, ests, opt); return err })
	})
}

// estimatesInMemory is the in-memory path of estimates after the
// weighting ws: the file at path read whole, weighting.NewDesign and
// Estimates.
func estimatesInMemory(ctx context.Context, path string, ws *weighting.Spec, design *sampling.DesignOptions, est []sampling.Estimand, opt *sampling.EstimateOptions) ([]sampling.Estimate, error) {
	rec, err := arrowio.ReadAll(path)
	if err != nil {
		return nil, err
	}
	defer rec.Release()
	d, out, err := weighting.NewDesign(ctx, rec, ws, design)
	if err != nil {
		return nil, err
	}
	defer out.Release()
	return d.Estimates(out, est, opt)
}
