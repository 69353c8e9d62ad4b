package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoCommand runs the README's first command on one year and checks
// what it writes: the report, its tables, the clean ballots and the
// exclusions, and no temporary file left behind.
func TestDemoCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the synthetic pipeline")
	}
	out := filepath.Join(t.TempDir(), "demo")
	code, stdout, stderr := vtRun(t, "", "demo", "--out", out, "--years", "2021")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{"index.html", "tables/ranking.csv", "tables/estimates.csv", "tables/ipa.csv", "charts/ipa.png", "ballots_2021.parquet", "excluded_2021.csv", "index_2021.json"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	ents, _ := os.ReadDir(out)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
	if !strings.Contains(stdout, "(national)") || !strings.Contains(stdout, "Hà Nội") || !strings.Contains(stdout, "used +") {
		t.Errorf("stdout lacks the accounting or the index table:\n%s", stdout[:min(len(stdout), 600)])
	}
}

func TestDemoCommandUsage(t *testing.T) {
	for _, args := range [][]string{
		{"demo"},
		{"demo", "--out", t.TempDir(), "--years", "20x1"},
		{"demo", "--out", t.TempDir(), "--lang", "fr"},
		{"demo", "--out", t.TempDir(), "--register-rows", "500000"},
	} {
		if code, _, stderr := vtRun(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, stderr)
		}
	}
}
