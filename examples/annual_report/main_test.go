package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a full report")
	}
	out := filepath.Join(t.TempDir(), "r")
	var buf bytes.Buffer
	if err := run(&buf, "../../testdata/index/sipas_small.csv", out, "level", 2021); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "4000 ballots: 4000 used, 0 excluded") || !strings.Contains(buf.String(), "SIPAS 2021:") {
		t.Errorf("output:\n%s", buf.String())
	}
	for _, f := range []string{"index.html", "tables/estimates.csv", "tables/ipa.csv", "charts/ipa.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}
