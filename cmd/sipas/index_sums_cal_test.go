package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// sameFromCalibratedSums checks, for the calibration spec that needs
// every ballot (args: --in, --weighting spec and the design), that index
// --sums-out streams and prints want (the streamed output), and that
// index --from-sums on the table with the same --weighting and design
// prints want again, byte for byte.
func sameFromCalibratedSums(t *testing.T, name, dir, spec string, args, design []string, want string) {
	t.Helper()
	sums := filepath.Join(dir, name+".sums.parquet")
	code, stdout, stderr := vtRun(t, "", append([]string{"index", "--sums-out", sums}, args...)...)
	if code != 0 {
		t.Fatalf("%s --sums-out: exit %d: %s", name, code, stderr)
	}
	if !strings.Contains(stderr, "sipas index: streaming") || stdout != want {
		t.Errorf("%s --sums-out: stderr %q; stdout\n%.600s\nwant\n%.600s", name, stderr, stdout, want)
	}
	code, stdout, stderr = vtRun(t, "", append([]string{"index", "--from-sums", sums, "--weighting", spec}, design...)...)
	if code != 0 {
		t.Fatalf("%s --from-sums: exit %d: %s", name, code, stderr)
	}
	if stdout != want {
		t.Errorf("%s --from-sums printed\n%.600s\nthe ballots\n%.600s", name, stdout, want)
	}
}

// TestIndexCalibratedSumsErrors: a sums table of a calibration that needs
// every ballot is refused (exit 2, nothing on stdout, no file written)
// with another --weighting, without one, with a missing column, as CSV
// (which keeps no metadata), and for generated replicates.
func TestIndexCalibratedSumsErrors(t *testing.T) {
	dir := t.TempDir()
	in, ageTotal := withAge(t, dir)
	design := []string{"--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--nest", "--by", "level"}
	spec := writeFile(t, dir, "spec.json", `{"design_weight": "weight", "steps": [{"calibrate": {"numeric": {"age": `+fmt.Sprint(ageTotal*1.02)+`}, "margins": [{"by": ["field"], "totals": `+fieldTotals(t, in)+`}]}}]}`)
	other := writeFile(t, dir, "other.json", `{"design_weight": "weight", "steps": [{"calibrate": {"numeric": {"age": `+fmt.Sprint(ageTotal*1.03)+`}, "margins": [{"by": ["field"], "totals": `+fieldTotals(t, in)+`}]}}]}`)
	sums := filepath.Join(dir, "sums.parquet")
	if code, _, stderr := vtRun(t, "", append([]string{"index", "--in", in, "--weighting", spec, "--sums-out", sums}, design...)...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// the table without its calibration's u column of the first item
	noCol := filepath.Join(dir, "nocol.parquet")
	dropFirstColumn(t, sums, noCol, "calu0_")
	for _, c := range []struct {
		name string
		args []string
		says string
		out  string // a file that must not be written
	}{
		{"another spec", append([]string{"index", "--from-sums", sums, "--weighting", other}, design...), "another weighting specification", ""},
		{"no weighting", append([]string{"index", "--from-sums", sums}, design...), "same weighting specification", ""},
		{"missing column", append([]string{"index", "--from-sums", noCol, "--weighting", spec}, design...), `missing column "calu0_`, ""},
		{"CSV", append([]string{"index", "--in", in, "--weighting", spec, "--sums-out", filepath.Join(dir, "sums.csv")}, design...), "cannot keep", filepath.Join(dir, "sums.csv")},
		{"replicates out", append([]string{"index", "--in", in, "--weighting", spec, "--variance", "jkn", "--sums-out", filepath.Join(dir, "jk.parquet")}, design...), "calibrated again in each replicate", filepath.Join(dir, "jk.parquet")},
		{"replicates from", append([]string{"index", "--from-sums", sums, "--weighting", spec, "--variance", "jkn"}, design...), "calibrated again in each replicate", ""},
		{"another spec out", append([]string{"index", "--from-sums", sums, "--weighting", other, "--sums-out", filepath.Join(dir, "again.parquet")}, design...), "another weighting specification", filepath.Join(dir, "again.parquet")},
	} {
		code, stdout, stderr := vtRun(t, "", c.args...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, c.says) {
			t.Errorf("%s: exit %d, stdout %.100q, stderr %q; want 2 saying %q", c.name, code, stdout, stderr, c.says)
		}
		if c.out != "" {
			if _, err := os.Stat(c.out); err == nil {
				t.Errorf("%s: %s written", c.name, c.out)
			}
		}
	}
}

// dropFirstColumn copies the table at in to out without its first column
// whose name starts with prefix (its schema metadata kept).
func dropFirstColumn(t *testing.T, in, out, prefix string) {
	t.Helper()
	tab, err := arrowio.ReadAll(in)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	var fs []arrow.Field
	var cs []arrow.Array
	dropped := false
	for i, f := range tab.Schema().Fields() {
		if !dropped && strings.HasPrefix(f.Name, prefix) {
			dropped = true
			continue
		}
		fs, cs = append(fs, f), append(cs, tab.Column(i))
	}
	if !dropped {
		t.Fatalf("%s has no column %s…", in, prefix)
	}
	md := tab.Schema().Metadata()
	rec := array.NewRecordBatch(arrow.NewSchema(fs, &md), cs, tab.NumRows())
	defer rec.Release()
	if err := arrowio.WriteRecord(out, rec); err != nil {
		t.Fatal(err)
	}
}
