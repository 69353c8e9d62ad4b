package index

import (
	"context"
	"math"
	"testing"

	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// BenchmarkCalibratedEstimandReplicatesStream: sipas estimate's two paths
// for JKn after a linear calibration to level, gender and a numeric
// covariate (after the steps SIPAS_CAL_BEFORE names), two means, a total
// and a ratio by province, on the survey of halvesSurvey (63 strata of 2
// PSUs: 126 replicates). "streamed" is weighting.SolveStream,
// SumCalibratedEstimandsFile, NewCalibratedReplicates, CheckFile and
// CalibratedEstimandReplicateSums (5 passes; 6 with earlier steps);
// "in-memory" reads the file and runs weighting.NewDesign (126
// calibrations of the rows) and Estimates. It reports the peak heap and
// peak live heap (sampled every ms), ballots per second, and the largest
// relative difference between the two paths' estimates and SEs:
//
//	go test ./index -run '^$' -bench CalibratedEstimandReplicatesStream -benchtime 1x
func BenchmarkCalibratedEstimandReplicatesStream(b *testing.B) {
	path, ws, n := halvesSurvey(b)
	design := &sampling.DesignOptions{Strata: "stratum", PSU: "half", Variance: sampling.JKn}
	ests := calibratedEstimands()
	opt := &sampling.EstimateOptions{By: []string{"province"}}
	ctx := context.Background()
	var res [2][]sampling.Estimate
	b.Run("streamed", func(b *testing.B) {
		benchPeaks(b, n, func() (err error) {
			res[0], err = calibratedEstimandReplicates(ctx, path, ws, design, ests, opt)
			return err
		})
	})
	b.Run("in-memory", func(b *testing.B) {
		benchPeaks(b, n, func() (err error) {
			res[1], err = estimatesInMemory(ctx, path, ws, design, ests, opt)
			return err
		})
	})
	if res[0] != nil && res[1] != nil {
		var de, ds float64
		for i, w := range res[1] {
			g := res[0][i]
			de = math.Max(de, math.Abs(w.Estimate-g.Estimate)/math.Abs(w.Estimate))
			ds = math.Max(ds, math.Abs(w.SE-g.SE)/math.Abs(w.SE))
		}
		b.Logf("%d estimates: largest relative difference %.2g (estimates), %.2g (SEs)", len(res[1]), de, ds)
	}
}

// calibratedEstimandReplicates is estimate's streamed path of the
// estimates est under spec's generated replicates after the calibration
// ws that needs every row: the passes that solve it, the sums pass, the
// replicates' solution from the sums and the check pass.
func calibratedEstimandReplicates(ctx context.Context, path string, ws *weighting.Spec, spec *sampling.DesignOptions, est []sampling.Estimand, opt *sampling.EstimateOptions) ([]sampling.Estimate, error) {
	st, err := weighting.SolveStream(ctx, ws, ScanFile(path))
	if err != nil {
		return nil, err
	}
	s, err := SumCalibratedEstimandsFile(ctx, path, spec, opt.By, est, st, nil)
	if err != nil {
		return nil, err
	}
	tab, err := s.Table(nil)
	if err != nil {
		return nil, err
	}
	defer tab.Release()
	cr, err := NewCalibratedReplicates(tab, spec, st)
	if err != nil {
		return nil, err
	}
	if err := cr.CheckFile(ctx, path, nil); err != nil {
		return nil, err
	}
	d, cells, err := CalibratedEstimandReplicateSums(ctx, tab, spec, cr, est, s.Shares(), opt.By)
	if err != nil {
		return nil, err
	}
	dm, err := sampling.NewDomains(tab, opt.By)
	if err != nil {
		return nil, err
	}
	return d.EstimatesFromCells(est, cells, dm, opt)
}
