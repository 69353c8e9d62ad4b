package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/golden"
)

// TestEstimateGLMMatchesR: estimate --glm on the synthetic ballots against
// R svyglm (testdata/glm.R, model "ballots").
func TestEstimateGLMMatchesR(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "glm")
	code, stdout, stderr := vtRun(t, "", "estimate", "--in", filepath.Join(dir, "ballots.csv"),
		"--weight", "weight", "--strata", "stratum", "--psu", "psu", "--fpc", "fpc",
		"--glm", "satisfied ~ gender + age_group + field")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out struct {
		Model struct {
			Formula      string
			DF, N        int
			Dropped      int
			Coefficients []struct {
				Term                          string
				Estimate, SE, T, P, Low, High float64
				CILow                         float64 `json:"ci_low"`
				CIHigh                        float64 `json:"ci_high"`
			}
		}
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	var rows []map[string]string
	for _, r := range golden.Rows(t, filepath.Join(dir, "coef.csv")) {
		if r["model"] == "ballots" {
			rows = append(rows, r)
		}
	}
	m := out.Model
	if len(m.Coefficients) != len(rows) || m.DF != 116 || m.N != 3946 || m.Dropped != 54 {
		t.Fatalf("%d coefficients (R %d), df %d, n %d, dropped %d", len(m.Coefficients), len(rows), m.DF, m.N, m.Dropped)
	}
	for i, c := range m.Coefficients {
		r := rows[i]
		if c.Term != r["term"] {
			t.Fatalf("term %d: %q, R %q", i, c.Term, r["term"])
		}
		for _, q := range []struct {
			name string
			got  float64
		}{{"estimate", c.Estimate}, {"se", c.SE}, {"t", c.T}, {"p", c.P}, {"ci_low", c.CILow}, {"ci_high", c.CIHigh}} {
			if want := golden.Float(t, r[q.name]); !golden.Close(q.got, want, 1e-7) {
				t.Errorf("%s %s: %v, R %v", c.Term, q.name, q.got, want)
			}
		}
	}
}

func TestEstimateGLMErrors(t *testing.T) {
	in := filepath.Join("..", "..", "testdata", "glm", "apiclus1.csv")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--glm", "yes ~ stype +"}, "--glm"},
		{[]string{"--glm", "yes ~ stype", "--mean", "ell"}, "--glm excludes"},
		{[]string{"--glm", "ell ~ stype"}, "outside [0, 1]"},
		{[]string{"--glm", "yes ~ nosuch"}, "nosuch"},
		{[]string{"--glm", "yes ~ sch.wide"}, "did not converge"},
	} {
		args := append([]string{"estimate", "--in", in, "--weight", "pw", "--psu", "dnum"}, c.args...)
		code, stdout, stderr := vtRun(t, "", args...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, stdout, stderr, c.want)
		}
	}
}
