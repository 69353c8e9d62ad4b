package index

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// TestCalibratedReplicateSumsEarlierSteps: JKn, JK1 and the bootstrap
// after a nonresponse adjustment, a post-stratification or a raking and
// then an unbounded linear calibration, solved by passes over a Parquet
// file of several row groups, with every replicate's earlier steps re-run
// on its cell totals, its calibration solved from the sums per cell and
// its sums from the cells, equal weighting.NewDesign (which re-runs every
// step on every replicate's weights row by row) + Compute at 1e-12:
// estimates, replicate SEs, intervals, design effects and degrees of
// freedom, nationally and by domains.
func TestCalibratedReplicateSumsEarlierSteps(t *testing.T) {
	f := calRepFixture(t, respondedColumn)
	rec, path, level, gender, num := f.rec, f.path, f.level, f.gender, f.num
	region := marginJSON("region", testTotals(t, rec, "region", "weight", f.grand*1.01))
	specs := map[string]string{
		"nonresponse then linear":      `{"nonresponse": {"classes": ["region"], "responded": "responded"}}, {"calibrate": {"margins": [` + level + `, ` + gender + `], "numeric": ` + num + `}}`,
		"nonresponse then variance":    `{"nonresponse": {"classes": ["level", "gender"], "responded": "responded"}}, {"calibrate": {"variance": "s2", "margins": [` + gender + `], "numeric": ` + num + `}}`,
		"poststratify then linear":     `{"poststratify": ` + region + `}, {"calibrate": {"margins": [` + gender + `], "numeric": ` + num + `}}`,
		"rake then linear":             `{"rake": {"margins": [` + level + `, ` + gender + `]}}, {"calibrate": {"numeric": ` + num + `}}`,
		"nonresponse poststratify lin": `{"nonresponse": {"classes": ["region"], "responded": "responded"}}, {"poststratify": ` + level + `}, {"calibrate": {"margins": [` + gender + `], "numeric": ` + num + `}}`,
	}
	designs := map[string]*sampling.DesignOptions{
		"jkn":       {Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn},
		"jk1":       {PSU: "psu", Variance: sampling.JK1},
		"bootstrap": {Strata: "stratum", PSU: "psu", Variance: sampling.Bootstrap, Replicates: 30, Seed: 7},
	}
	// the covering set (sameCalibratedReps): every earlier step once,
	// every design once or twice
	sameCalibratedReps(t, rec, path, designs, specs)
}

// TestCalibratedReplicateNegativeWeightsEarlierSteps: after a nonresponse
// adjustment, a replicate whose calibration makes weights negative is the
// error weighting.NewDesign gives (same replicate, count, smallest g and
// row): the check skips the nonrespondents and scales by the replicate's
// nonresponse factors.
func TestCalibratedReplicateNegativeWeightsEarlierSteps(t *testing.T) {
	base := loadFixture(t)
	defer base.Release()
	n := int(base.NumRows())
	wc, _ := arrowio.Column(base, "weight")
	w0, _, _ := arrowio.Float64s(wc)
	pc, _ := arrowio.Column(base, "psu")
	psus, _, _ := arrowio.Strings(pc)
	z := make([]float64, n)
	resp := make([]string, n)
	for i := range z {
		z[i] = float64(1 - 2*(i%2))
		if psus[i] == psus[0] {
			z[i] = 500
		}
		resp[i] = []string{"yes", "yes", "no"}[i%3]
	}
	rec := withColumns(base, map[string][]float64{"z": z}, map[string][]string{"responded": resp})
	defer rec.Release()
	path := filepath.Join(t.TempDir(), "ballots.parquet")
	if err := arrowio.WriteRecord(path, rec, arrowio.WithBatchSize(700)); err != nil {
		t.Fatal(err)
	}
	ws, err := weighting.ParseSpecBytes([]byte(fmt.Sprintf(`{"design_weight": "weight", "steps": [{"nonresponse": {"classes": ["region"], "responded": "responded"}}, {"calibrate": {"numeric": {"z": %v}}}]}`, numericTotal(rec, w0, z, 1))))
	if err != nil {
		t.Fatal(err)
	}
	design := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", Variance: sampling.JKn}
	_, _, werr := weighting.NewDesign(context.Background(), rec, ws, design)
	if !errors.Is(werr, weighting.ErrNegativeWeight) || !strings.Contains(werr.Error(), "replicate") {
		t.Fatalf("in memory: %v, want a replicate's negative weights", werr)
	}
	_, err = calibratedRepStreamed(path, design, ws, &Options{})
	if err == nil || err.Error() != werr.Error() {
		t.Errorf("streamed: %v\nin memory: %v", err, werr)
	}
}
