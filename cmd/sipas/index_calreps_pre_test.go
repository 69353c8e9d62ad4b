package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestIndexCalibratedReplicatesEarlierStepsStreamed: sipas index
// --weighting with a nonresponse adjustment or a post-stratification
// before an unbounded linear calibration and a replicate --variance (JKn,
// JK1, the bootstrap with a seed) streams the file in passes (stderr says
// how many: one for the earlier steps' cells, one for the calibration,
// one sums, one checks the replicate weights) and prints what the
// in-memory run prints: every field equal, every number at 1e-12.
func TestIndexCalibratedReplicatesEarlierStepsStreamed(t *testing.T) {
	dir := t.TempDir()
	in, ageTotal := withAge(t, dir)
	cal := fmt.Sprintf(`{"calibrate": {"numeric": {"age": %v}, "margins": [{"by": ["field"], "totals": %s}]}}`, ageTotal*1.02, fieldTotals(t, in))
	specs := map[string]string{
		"nonresponse":  `{"design_weight": "weight", "steps": [{"nonresponse": {"classes": ["field"], "responded": "resp"}}, ` + cal + `]}`,
		"poststratify": `{"design_weight": "weight", "steps": [{"poststratify": {"by": ["level"], "totals": ` + columnTotals(t, in, "level") + `}}, ` + cal + `]}`,
	}
	variances := map[string][]string{
		"jkn":       {"--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--nest", "--variance", "jkn"},
		"jk1":       {"--psu", "psu", "--variance", "jk1"},
		"bootstrap": {"--strata", "stratum", "--psu", "psu", "--nest", "--variance", "bootstrap", "--replicates", "30", "--seed", "3"},
	}
	for name, js := range specs {
		spec := writeFile(t, dir, name+".json", js)
		for vname, v := range variances {
			where := name + " " + vname
			args := append([]string{"--in", in, "--weighting", spec, "--by", "level"}, v...)
			mem, str, stderr := indexBothWays(t, where, args)
			if !strings.Contains(stderr, "sipas index: streaming") || !strings.Contains(stderr, "in 6 passes") {
				t.Errorf("%s: stderr %q does not say the file is streamed in 6 passes", where, stderr)
			}
			sameJSONOut(t, where, mem, str, 1e-12)
		}
	}
}
