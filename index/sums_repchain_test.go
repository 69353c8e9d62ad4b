package index

import (
	"testing"

	"github.com/sipas-go/sipas/sampling"
)

// TestTrimmedLinearReplicateSumsEqualCompute: JKn (with fpc), JK1, the
// bootstrap and Fay after an unbounded linear calibration with trimming of
// g (margins and numeric variables, with and without a working-model
// variance; after a post-stratification), streamed (every replicate's
// closed form in one pass, its trimming in another, over a Parquet file of
// several row groups) equal weighting.NewDesign (which calibrates and
// trims every replicate's weights in memory) + Compute at 1e-12:
// estimates, replicate SEs, intervals, design effects and degrees of
// freedom, nationally and by domains.
func TestTrimmedLinearReplicateSumsEqualCompute(t *testing.T) {
	f := calRepFixture(t, pairColumn)
	level, gender, num := f.level, f.gender, f.num
	region := marginJSON("region", testTotals(t, f.rec, "region", "weight", f.grand*1.01))
	specs := map[string]string{
		"linear trim":       `{"calibrate": {"trim": [0.9, 1.1], "margins": [` + level + `, ` + gender + `], "numeric": ` + num + `}}`,
		"variance trim":     `{"calibrate": {"trim": [0.95, 1.08], "variance": "s2", "margins": [` + level + `], "numeric": ` + num + `}}`,
		"poststratify trim": `{"poststratify": ` + region + `}, {"calibrate": {"trim": [0.9, 1.1], "margins": [` + gender + `], "numeric": ` + num + `}}`,
	}
	jkn := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn}
	boot := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", Variance: sampling.Bootstrap, Replicates: 20, Seed: 7}
	if testing.Short() { // the race run: two cases
		sameCalibratedReps(t, f.rec, f.path, map[string]*sampling.DesignOptions{"jkn": jkn, "bootstrap": boot}, map[string]string{"variance trim": specs["variance trim"]})
		return
	}
	// every weighting under JKn; JK1, the bootstrap and Fay under one
	sameCalibratedReps(t, f.rec, f.path, map[string]*sampling.DesignOptions{"jkn": jkn}, specs)
	sameCalibratedReps(t, f.rec, f.path, map[string]*sampling.DesignOptions{
		"jk1":       {PSU: "psu", Variance: sampling.JK1},
		"bootstrap": boot,
		"fay":       {Strata: "stratum", PSU: "pair", Variance: sampling.Fay, FayRho: 0.3},
	}, map[string]string{"linear trim": specs["linear trim"]})
}

// TestTrimmedLinearReplicateSumsR: the streamed JKn (with fpc) and JK1
// variances after an unbounded linear calibration with trimming of g equal
// R survey's calibrate(calfun = cal.linear, trim =) of as.svrepdesign()
// (which solves and trims every replicate's g) at 1e-9: the criteria's
// shares and SEs, nationally and by level (testdata/calrep_trim.R).
func TestTrimmedLinearReplicateSumsR(t *testing.T) {
	cases := map[string]calRepCase{
		"jkn_linear_trim": {readCalRepSpec(t, "calrep_trim_jkn_linear_trim.json"), &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc", Variance: sampling.JKn}},
		"jk1_linear_trim": {readCalRepSpec(t, "calrep_trim_jk1_linear_trim.json"), &sampling.DesignOptions{PSU: "psu", Variance: sampling.JK1}},
	}
	if testing.Short() {
		delete(cases, "jkn_linear_trim") // the race run: one case
	}
	sameCalRepR(t, "calrep_trim.csv", cases)
}
