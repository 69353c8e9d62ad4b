package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// onePSUFiles writes the index fixture twice (years 2021 and 2022) with a
// column dom that is "solo" on the rows of its first PSU and "rest"
// elsewhere: a domain inside a single PSU.
func onePSUFiles(t *testing.T, dir string) (string, string) {
	t.Helper()
	b, err := os.ReadFile(indexFixture)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	head := strings.Split(lines[0], ",")
	psu, year := -1, -1
	for i, h := range head {
		switch h {
		case "psu":
			psu = i
		case "year":
			year = i
		}
	}
	first := strings.Split(lines[1], ",")[psu]
	var y21, y22 strings.Builder
	y21.WriteString(lines[0] + ",dom\n")
	y22.WriteString(lines[0] + ",dom\n")
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		dom := "rest"
		if f[psu] == first {
			dom = "solo"
		}
		y21.WriteString(l + "," + dom + "\n")
		f[year] = "2022"
		y22.WriteString(strings.Join(f, ",") + "," + dom + "\n")
	}
	return writeFile(t, dir, "y2021.csv", y21.String()), writeFile(t, dir, "y2022.csv", y22.String())
}

// TestOnePSUDomainFlagged: a domain whose ballots all lie in one PSU has no
// variance to estimate. Every output flags it few_psu with a null SE and
// interval: index, estimate (a population variance had SE 5e-16 and a
// zero-width interval, unflagged), and trend, whose rows had no flag and
// whose difference to the nation took the nation's SE alone (p 1.7e-20).
func TestOnePSUDomainFlagged(t *testing.T) {
	dir := t.TempDir()
	y21, y22 := onePSUFiles(t, dir)
	design := []string{"--weight", "weight", "--strata", "stratum", "--psu", "psu", "--by", "dom"}

	code, out, errs := vtRun(t, "", append([]string{"estimate", "--in", y21, "--mean", "access_1", "--var", "access_1", "--total", "access_1", "--format", "json"}, design...)...)
	if code != 0 {
		t.Fatalf("estimate: exit %d: %s", code, errs)
	}
	var est struct {
		Estimates []map[string]any `json:"estimates"`
	}
	if err := json.Unmarshal([]byte(out), &est); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range est.Estimates {
		if d, _ := r["domain"].(map[string]any); d["dom"] != "solo" {
			continue
		}
		seen[r["statistic"].(string)] = true
		if r["flag"] != "few_psu" || r["se"] != nil || r["ci_low"] != nil || r["ci_high"] != nil {
			t.Errorf("estimate %v of the one-PSU domain: %v", r["statistic"], r)
		}
	}
	if len(seen) != 3 {
		t.Errorf("statistics of the one-PSU domain: %v, want mean, var and total", seen)
	}

	code, out, errs = vtRun(t, "", append([]string{"index", "--in", y21, "--format", "json"}, design...)...)
	if code != 0 {
		t.Fatalf("index: exit %d: %s", code, errs)
	}
	var idx struct {
		Estimates []map[string]any `json:"estimates"`
	}
	if err := json.Unmarshal([]byte(out), &idx); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range idx.Estimates {
		if d, _ := r["domain"].(map[string]any); d["dom"] != "solo" {
			continue
		}
		n++
		if r["flag"] != "few_psu" || r["se"] != nil || r["ci_low"] != nil {
			t.Errorf("index row of the one-PSU domain: %v", r)
		}
	}
	if n == 0 {
		t.Error("no index row of the one-PSU domain")
	}

	code, out, errs = vtRun(t, "", append([]string{"trend", "--in", y21, "--in", y22, "--year-col", "year", "--draws", "200", "--format", "json"}, design...)...)
	if code != 0 {
		t.Fatalf("trend: exit %d: %s", code, errs)
	}
	var tr struct {
		Estimates []map[string]any `json:"estimates"`
	}
	if err := json.Unmarshal([]byte(out), &tr); err != nil {
		t.Fatal(err)
	}
	n = 0
	for _, r := range tr.Estimates {
		d, _ := r["domain"].(map[string]any)
		switch d["dom"] {
		case "solo":
			n++
			if r["flag"] != "few_psu" || r["se"] != nil || r["se_vs_nation"] != nil || r["p_vs_nation"] != nil || r["se_change_prev"] != nil {
				t.Errorf("trend row of the one-PSU domain: %v", r)
			}
		case "rest":
			if r["flag"] != nil || r["se"] == nil || r["se_vs_nation"] == nil {
				t.Errorf("trend row of a domain of many PSUs: %v", r)
			}
		}
	}
	if n == 0 {
		t.Error("no trend row of the one-PSU domain")
	}
}
