package index

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/synth"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// BenchmarkWeightedEstimandReplicates: sipas estimate's two paths for
// means and a ratio of three criteria by province after raking to level
// and gender, with 50 bootstrap replicates (every step re-run on every
// replicate), on SIPAS_REP_BALLOTS generated ballots (default 1M; 63
// province strata × 20 PSUs) from one Parquet file: "streamed" sums the
// cells in one pass (SumEstimandsFile) and finishes them
// (WeightedEstimandSums, EstimatesFromCells); "in-memory" reads the file
// and runs weighting.NewDesign and Estimates. It reports the peak heap,
// the peak live heap and ballots per second:
//
//	go test ./index -run '^$' -bench WeightedEstimandReplicates -benchtime 1x
func BenchmarkWeightedEstimandReplicates(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("SIPAS_REP_BALLOTS")); err == nil {
		n = v
	}
	rec, _, err := synth.Survey(synth.SurveyConfig{Seed: 29, Ballots: n}, memory.DefaultAllocator)
	if err != nil {
		b.Fatal(err)
	}
	q := DefaultQuestionnaire()
	c := q.Columns()
	var fields []arrow.Field
	var arrs []arrow.Array
	for _, name := range append([]string{"province", "stratum", "psu", "fpc", "weight", "level", "gender"}, c[:3]...) {
		i := rec.Schema().FieldIndices(name)[0]
		fields, arrs = append(fields, rec.Schema().Field(i)), append(arrs, rec.Column(i))
	}
	sel := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, rec.NumRows())
	path := filepath.Join(b.TempDir(), "survey.parquet")
	err = arrowio.WriteRecord(path, sel, arrowio.WithRowGroupRows(65536))
	sel.Release()
	if err != nil {
		b.Fatal(err)
	}
	wc, _ := arrowio.Column(rec, "weight")
	w, _, _ := arrowio.Float64s(wc)
	grand := 0.0
	for _, v := range w {
		grand += v
	}
	ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [{"rake": {"margins": [` +
		marginJSON("level", testTotals(b, rec, "level", "weight", grand)) + `, ` + marginJSON("gender", testTotals(b, rec, "gender", "weight", grand)) + `]}}]}`))
	rec.Release()
	if err != nil {
		b.Fatal(err)
	}
	design := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.Bootstrap, Replicates: 50, Seed: 1}
	est := []sampling.Estimand{{Statistic: sampling.StatMean, Num: c[0]}, {Statistic: sampling.StatMean, Num: c[1]},
		{Statistic: sampling.StatRatio, Num: c[2], Den: c[0]}}
	opt := &sampling.EstimateOptions{By: []string{"province"}}
	ctx := context.Background()
	run := func(b *testing.B, f func() error) { benchPeaks(b, n, f) }
	b.Run("streamed", func(b *testing.B) {
		run(b, func() error {
			s, err := SumEstimandsFile(ctx, path, design, opt.By, est, &StreamOptions{Weighting: ws})
			if err != nil {
				return err
			}
			tab, err := s.Table(nil)
			if err != nil {
				return err
			}
			defer tab.Release()
			d, cells, _, err := WeightedEstimandSums(ctx, tab, design, ws, est, s.Shares(), opt.By)
			if err != nil {
				return err
			}
			dm, err := sampling.NewDomains(tab, opt.By)
			if err != nil {
				return err
			}
			_, err = d.EstimatesFromCells(est, cells, dm, opt)
			return err
		})
	})
	b.Run("in-memory", func(b *testing.B) {
		run(b, func() error { _, err := estimatesInMemory(ctx, path, ws, design, est, opt); return err })
	})
}
