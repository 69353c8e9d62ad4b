package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/sipas-go/sipas/internal/golden"
)

// TestEstimateAdjustDomainLonely: --adjust-domain-lonely against R
// options(survey.adjust.domain.lonely = TRUE) (testdata/domainlonely.R).
func TestEstimateAdjustDomainLonely(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "domainlonely")
	want := map[string]string{}
	for _, r := range golden.Rows(t, filepath.Join(dir, "goldens.csv")) {
		if r["design"] == "average_fpc" && r["stat"] == "mean" && r["var"] == "visits" {
			want[r["domain"]] = r["se"]
		}
	}
	code, stdout, stderr := vtRun(t, "", "estimate", "--in", filepath.Join(dir, "sipas.csv"), "--weight", "w", "--strata", "province",
		"--psu", "commune", "--fpc", "fpc", "--lonely-psu", "average", "--adjust-domain-lonely", "--mean", "visits", "--by", "rare")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out etOut
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Estimates) != 2 {
		t.Fatalf("%d estimates", len(out.Estimates))
	}
	for _, e := range out.Estimates {
		if w := golden.Float(t, want[e.Domain["rare"]]); !golden.Close(*e.SE, w, 1e-9) {
			t.Errorf("rare=%s: SE %v, R %v", e.Domain["rare"], *e.SE, w)
		}
	}
}
