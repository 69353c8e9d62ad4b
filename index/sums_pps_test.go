package index

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// ppsSpecs are the PPS designs of the streaming tests on withStages's
// inclusion probabilities pi: Brewer's and Overton's variances with and
// without strata, Brewer's with a second stage (fpc at both), and the
// Horvitz–Thompson variance with the joint probabilities of strata drawn
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
	}
}

// TestSumFilePPSEqualsCompute streams PPS designs from a Parquet file of 8
// row groups and compares the indices finished from the sums (and from
// the sums table written to Parquet and read back) with Compute on the
// whole table at 1e-12 relative: every estimate, SE, interval, design
// effect, n, PSU count and df, nationally, by the strata and by a domain
// across them.
func TestSumFilePPSEqualsCompute(t *testing.T) {
	base := loadFixture(t)
	defer base.Release()
	rec := withStages(t, base)
	defer rec.Release()
	dir := t.TempDir()
	pq := filepath.Join(dir, "b.parquet")
	if err := arrowio.Write(pq, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(500)); err != nil {
		t.Fatal(err)
	}
	read := []arrowio.Option{arrowio.WithTypes(map[string]arrow.DataType{"psu": arrow.BinaryTypes.String, "province_code": arrow.BinaryTypes.String})}
	for name, spec := range ppsSpecs(t, rec) {
		if err := SumsSupport(spec); err != nil {
			t.Fatalf("%s: SumsSupport: %v", name, err)
		}
		d, err := sampling.NewDesign(rec, spec)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, opt := range []*Options{{}, {By: []string{"province"}, VsNation: true}, {By: []string{"level"}, VsNation: true}} {
			where := fmt.Sprintf("%s by %v", name, opt.By)
			want, err := Compute(context.Background(), d, rec, nil, opt)
			if err != nil {
				t.Fatal(err)
			}
			if r := want.Rows[0]; !(r.SE > 0) || !(r.Deff > 0) {
				t.Fatalf("%s: in memory SE %v, deff %v of %s %s: not a variance to compare", where, r.SE, r.Deff, r.Kind, r.ID)
			}
			s, err := SumFile(context.Background(), pq, nil, spec, opt, &StreamOptions{Read: read})
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
			sameRows(t, where, want, got, 1e-12)
			out := filepath.Join(dir, "sums.parquet")
			if err := arrowio.WriteRecord(out, tab); err != nil {
				t.Fatal(err)
			}
			tab.Release()
			back, err := arrowio.ReadAll(out)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err = FromSums(context.Background(), back, nil, spec, opt)
			back.Release()
			if err != nil {
				t.Fatalf("%s from the file: %v", where, err)
			}
			sameRows(t, where+" from the file", want, got, 1e-12)
		}
	}
}

// TestEstimandSumsPPS: the means, totals and ratios of PPS designs
// finished from streamed cell sums equal sampling's Estimates on the
// ballots at 1e-12, nationally and by domain.
func TestEstimandSumsPPS(t *testing.T) {
	base := loadFixture(t)
	defer base.Release()
	rec := withStages(t, base)
	defer rec.Release()
	pq := filepath.Join(t.TempDir(), "b.parquet")
	if err := arrowio.Write(pq, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(500)); err != nil {
		t.Fatal(err)
	}
	read := []arrowio.Option{arrowio.WithTypes(map[string]arrow.DataType{"psu": arrow.BinaryTypes.String, "province_code": arrow.BinaryTypes.String})}
	est := []sampling.Estimand{{Statistic: sampling.StatMean, Num: "access_1"}, {Statistic: sampling.StatTotal, Num: "access_2"},
		{Statistic: sampling.StatRatio, Num: "access_3", Den: "access_4"}}
	specs := ppsSpecs(t, rec)
	for _, name := range []string{"brewer strata", "overton no strata", "ht", "brewer 2-stage"} {
		spec := specs[name]
		if err := EstimandSumsSupport(spec, nil); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d, err := sampling.NewDesign(rec, spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, by := range [][]string{nil, {"level"}} {
			want, err := d.Estimates(rec, est, &sampling.EstimateOptions{By: by})
			if err != nil {
				t.Fatal(err)
			}
			sameEstimates(t, fmt.Sprintf("%s by %v", name, by), want, streamedEstimates(t, pq, read, spec, est, by), false)
		}
	}
}

// TestSumFilePPSErrors: an inclusion probability that varies within a PSU
// is the in-memory design's error naming the same input row; PPS without
// a PSU column, and a weighting of a PPS design, are not streamed, saying
// why.
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
	if err := WeightingSumsSupport(&sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "pi", PPS: sampling.PPSBrewer}, &weighting.Spec{DesignWeight: "weight"}); err == nil || !strings.Contains(err.Error(), "PPS") {
		t.Errorf("weighting of a PPS design: %v, want why it is not streamed", err)
	}
}
