package index

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
)

// ppsSpecs are the PPS designs of the streaming tests on withStages's
// inclusion probabilities pi: Brewer's and Overton's variances with and
// without strata, Brewer's with a second stage (fpc at both), and the
// Horvitz–Thompson variance (weighted by the weight column, and without
// it by 1/π_ii) with the joint probabilities of strata drawn
// independently, each by a design whose joint probabilities are Overton's,
// π_ab = π_a π_b (n_h − 1)/(n_h − (π_a + π_b)/2) within stratum h of n_h
// PSUs and π_a π_b across strata (π_a on the diagonal).
func ppsSpecs(t testing.TB, rec arrow.RecordBatch) map[string]*sampling.DesignOptions {
	psu, pi, stratum := stringColumn(t, rec, "psu"), floatColumn(t, rec, "pi"), stringColumn(t, rec, "stratum")
	piOf, hOf, nh := map[string]float64{}, map[string]string{}, map[string]int{}
	for i, p := range psu {
		if _, ok := piOf[p]; !ok {
			nh[stratum[i]]++
		}
		piOf[p], hOf[p] = pi[i], stratum[i]
	}
	joint := &sampling.JointProb{Pi: func(a, b string) (float64, bool) {
		pa, okA := piOf[a]
		pb, okB := piOf[b]
		switch {
		case a == b:
			return pa, okA
		case hOf[a] != hOf[b]:
			return pa * pb, okA && okB
		}
		n := float64(nh[hOf[a]])
		return pa * pb * (n - 1) / (n - (pa+pb)/2), okA && okB
	}}
	return map[string]*sampling.DesignOptions{
		"brewer strata":     {Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "pi", PPS: sampling.PPSBrewer, Lonely: sampling.LonelyRemove},
		"brewer no strata":  {Weight: "weight", PSU: "psu", FPC: "pi", PPS: sampling.PPSBrewer},
		"overton strata":    {Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "pi", PPS: sampling.PPSOverton, Lonely: sampling.LonelyRemove},
		"overton no strata": {Weight: "weight", PSU: "psu", FPC: "pi", PPS: sampling.PPSOverton},
		"brewer 2-stage":    {Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "pi", PPS: sampling.PPSBrewer, Stages: []sampling.Stage{{Unit: "ssu", FPC: "fpc2"}}, Lonely: sampling.LonelyRemove},
		"ht":                {Weight: "weight", Strata: "stratum", PSU: "psu", PPS: sampling.PPSJoint, JointProb: joint},
		// weighted by 1/π_ii: the in-memory design's weights
		"ht no weight": {Strata: "stratum", PSU: "psu", PPS: sampling.PPSJoint, JointProb: joint},
	}
}

// TestSumFilePPSEqualsCompute streams PPS designs from a Parquet file of 8
// row groups and compares the indices finished from the sums (and from
// the sums table written to Parquet and read back) with Compute on the
// whole table at 1e-12 relative: every estimate, SE, interval, design
// effect, n, PSU count and df, nationally, by the strata and by a domain
// across them.
func TestSumFilePPSEqualsCompute(t *testing.T) {
	rec, pq, read := stagesParquet(t)
	defer rec.Release()
	for name, spec := range ppsSpecs(t, rec) {
		streamEqualsCompute(t, rec, pq, read, name, spec, []int{0}, nil)
	}
}

// TestEstimandSumsPPS: the means, totals and ratios of PPS designs
// finished from streamed cell sums equal sampling's Estimates on the
// ballots at 1e-12, nationally and by domain.
func TestEstimandSumsPPS(t *testing.T) {
	rec, pq, read := stagesParquet(t)
	defer rec.Release()
	estimandsEqualStreamed(t, rec, pq, read, ppsSpecs(t, rec), "brewer strata", "overton no strata", "ht", "ht no weight", "brewer 2-stage")
}

// TestSumFilePPSErrors: an inclusion probability that varies within a PSU
// is the in-memory design's error naming the same input row; PPS without
// a PSU column is not streamed, saying why; a calibration of a PPS design
// that needs every ballot is.
func TestSumFilePPSErrors(t *testing.T) {
	base := loadFixture(t)
	defer base.Release()
	good := withStages(t, base)
	defer good.Release()
	pi := floatColumn(t, good, "pi")
	pi[2500] *= 0.9
	rec := withColumns(base, map[string][]float64{"pi": pi}, nil)
	defer rec.Release()
	spec := &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "pi", PPS: sampling.PPSBrewer, Lonely: sampling.LonelyRemove}
	_, memErr := sampling.NewDesign(rec, spec)
	if memErr == nil || !strings.Contains(memErr.Error(), "row 2501") {
		t.Fatalf("in memory: %v, want row 2501", memErr)
	}
	pq := filepath.Join(t.TempDir(), "b.parquet")
	if err := arrowio.Write(pq, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(500)); err != nil {
		t.Fatal(err)
	}
	read := []arrowio.Option{arrowio.WithTypes(map[string]arrow.DataType{"psu": arrow.BinaryTypes.String, "province_code": arrow.BinaryTypes.String})}
	s, err := SumFile(context.Background(), pq, nil, spec, nil, &StreamOptions{Read: read})
	if s != nil || !errors.Is(err, sampling.ErrBadFPC) || err.Error() != memErr.Error() {
		t.Errorf("streamed: %v\nin memory: %v", err, memErr)
	}
	if err := SumsSupport(&sampling.DesignOptions{Weight: "weight", FPC: "pi", PPS: sampling.PPSBrewer}); err == nil || !strings.Contains(err.Error(), "PSU column") {
		t.Errorf("PPS without PSU: %v, want why it is not streamed", err)
	}
	if err := CalibratedSumsSupport(&sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "pi", PPS: sampling.PPSBrewer}, numericCalibration(t)); err != nil {
		t.Errorf("numeric calibration of a PPS design: %v, want it streamed", err)
	}
}
