package index

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/weighting"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/sampling"
)

// TestNewtonReplicateSumsLaterSteps: JKn (with fpc), JK1 and the bootstrap
// after a calibration that needs every row (unbounded linear in closed
// form, raking-ratio, bounded logit with a working-model variance)
// followed by class steps (a post-stratification, a raking, a category
// calibration, a nonresponse adjustment; two in turn; after an earlier
// post-stratification), streamed: every replicate re-calibrates over the
// rows, then re-runs the later steps on its own class totals of its
// calibrated weights (one more pass per step). Every estimate, SE,
// interval, design effect and df equals weighting.NewDesign (which
// re-runs every step on every replicate's rows) + Compute at 1e-12,
// nationally and by domains.
func TestNewtonReplicateSumsLaterSteps(t *testing.T) {
	f := calRepFixture(t, func(base arrow.RecordBatch) map[string][]string {
		resp := make([]string, base.NumRows())
		for i := range resp {
			resp[i] = []string{"yes", "yes", "no", "yes", "yes", "yes", "no"}[i%7]
		}
		return map[string][]string{"responded": resp}
	})
	level, gender, num := f.level, f.gender, f.num
	region := marginJSON("region", testTotals(t, f.rec, "region", "weight", f.grand*1.01))
	region1 := marginJSON("region", testTotals(t, f.rec, "region", "weight", f.grand))
	specs := map[string]string{
		"linear then poststratify":        `{"calibrate": {"margins": [` + gender + `], "numeric": ` + num + `}}, {"poststratify": ` + region + `}`,
		"raking then rake":                `{"calibrate": {"method": "raking", "margins": [` + gender + `], "numeric": ` + num + `}}, {"rake": {"margins": [` + region1 + `, ` + level + `]}}`,
		"logit then category calibrate":   `{"calibrate": {"method": "logit", "bounds": [0.5, 2], "variance": "s2", "margins": [` + gender + `], "numeric": ` + num + `}}, {"calibrate": {"margins": [` + level + `]}}`,
		"linear then nonresponse, post":   `{"calibrate": {"margins": [` + level + `], "numeric": ` + num + `}}, {"nonresponse": {"classes": ["region"], "responded": "responded"}}, {"poststratify": ` + gender + `}`,
		"post then bounds then poststrat": `{"poststratify": ` + region + `}, {"calibrate": {"bounds": [0.5, 2], "margins": [` + gender + `], "numeric": ` + num + `}}, {"poststratify": ` + level + `}`,
	}
	designs := map[string]*sampling.DesignOptions{
		"jkn":       {Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn},
		"jk1":       {PSU: "psu", Variance: sampling.JK1},
		"bootstrap": {Strata: "stratum", PSU: "psu", Variance: sampling.Bootstrap, Replicates: 20, Seed: 7},
	}
	if testing.Short() {
		delete(designs, "jkn")
		delete(designs, "jk1")
	}
	sameCalibratedReps(t, f.rec, f.path, designs, specs)
}

// TestNewtonReplicateLaterStepsRows: with the groups of rows alike off (a
// pass over the rows per replicate sum), the replicates of a raking-ratio
// calibration followed by a raking and by a post-stratification equal
// weighting.NewDesign + Compute at 1e-12 as with the groups.
func TestNewtonReplicateLaterStepsRows(t *testing.T) {
	f := calRepFixture(t, pairColumn)
	region1 := marginJSON("region", testTotals(t, f.rec, "region", "weight", f.grand))
	defer func(m int) { newtonMaxGroups = m }(newtonMaxGroups)
	newtonMaxGroups = -1
	sameCalibratedReps(t, f.rec, f.path,
		map[string]*sampling.DesignOptions{"jkn": {Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn}},
		map[string]string{"raking then rake, poststratify": `{"calibrate": {"method": "raking", "margins": [` + f.gender + `], "numeric": ` + f.num + `}}, {"rake": {"margins": [` + region1 + `, ` + f.level + `]}}, {"poststratify": ` + f.gender + `}`})
}

// TestNewtonReplicateLaterStepsErrors: a replicate whose calibration makes
// weights negative before a post-stratification is the calibration's
// error (naming the replicate, count and smallest g), and a replicate
// whose later post-stratification meets an empty post-stratum (the only
// PSU of a class deleted) is the step's error, each as
// weighting.NewDesign gives it in memory.
func TestNewtonReplicateLaterStepsErrors(t *testing.T) {
	base := loadFixture(t)
	defer base.Release()
	n := int(base.NumRows())
	wc, _ := arrowio.Column(base, "weight")
	w0, _, _ := arrowio.Float64s(wc)
	pc, _ := arrowio.Column(base, "psu")
	psus, _, _ := arrowio.Strings(pc)
	z, one := make([]float64, n), make([]float64, n)
	club := make([]string, n) // a class of the first PSU's rows alone
	for i := range z {
		z[i] = float64(1 - 2*(i%2))
		one[i] = 1 + float64(i%5)
		club[i] = "b"
		if psus[i] == psus[0] {
			z[i] = 500
			club[i] = "a"
		}
	}
	rec := withColumns(base, map[string][]float64{"z": z, "one": one}, map[string][]string{"club": club})
	defer rec.Release()
	path := filepath.Join(t.TempDir(), "ballots.parquet")
	if err := arrowio.WriteRecord(path, rec, arrowio.WithBatchSize(700)); err != nil {
		t.Fatal(err)
	}
	clubs := marginJSON("club", testTotals(t, rec, "club", "weight", 28443265.0))
	design := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", Variance: sampling.JKn}
	for name, steps := range map[string]string{
		"negative": fmt.Sprintf(`{"calibrate": {"numeric": {"z": %v}}}, {"poststratify": %s}`, numericTotal(rec, w0, z, 1), clubs),
		"empty":    fmt.Sprintf(`{"calibrate": {"method": "raking", "numeric": {"one": %v}}}, {"poststratify": %s}`, numericTotal(rec, w0, one, 1.02), clubs),
	} {
		ws, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [` + steps + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		_, _, werr := weighting.NewDesign(context.Background(), rec, ws, design)
		if werr == nil || !strings.Contains(werr.Error(), "replicate") {
			t.Fatalf("%s: in memory: %v, want a replicate's error", name, werr)
		}
		_, err = calibratedRepStreamed(path, design, ws, &Options{})
		if err == nil || err.Error() != werr.Error() {
			t.Errorf("%s: streamed: %v\nin memory: %v", name, err, werr)
		}
		t.Logf("%s: %v", name, err)
	}
}
