package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An interrupted command (its context cancelled, as Ctrl-C does) exits 1
// saying so, and leaves no output behind.
func TestInterrupted(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join("..", "..", "testdata", "index", "sipas_small.csv")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		args []string
		out  string
	}{
		{[]string{"validate", "--in", in, "--out", filepath.Join(dir, "clean.parquet"), "--excluded", filepath.Join(dir, "excluded.csv")}, "clean.parquet"},
		{[]string{"report", "--in", in, "--strata", "stratum", "--psu", "psu", "--weight", "weight", "--out", filepath.Join(dir, "rep")}, filepath.Join("rep", "index.html")},
	} {
		var stdout, stderr bytes.Buffer
		code := run(ctx, c.args, strings.NewReader(""), &stdout, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), "interrupted") {
			t.Errorf("%s: exit %d, stderr %q; want 1 and \"interrupted\"", c.args[0], code, stderr.String())
		}
		if _, err := os.Stat(filepath.Join(dir, c.out)); err == nil {
			t.Errorf("%s: %s was written", c.args[0], c.out)
		}
	}
}
