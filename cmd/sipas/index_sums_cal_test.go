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
// every ballot, of index and of estimate, is refused (exit 2, nothing on
// stdout, no file written) with another --weighting, without one, with a
// missing column, as CSV (which keeps no metadata), and for generated
// replicates.
func TestIndexCalibratedSumsErrors(t *testing.T) {
	dir := t.TempDir()
	in, ageTotal := withAge(t, dir)
	spec := writeFile(t, dir, "spec.json", `{"design_weight": "weight", "steps": [{"calibrate": {"numeric": {"age": `+fmt.Sprint(ageTotal*1.02)+`}, "margins": [{"by": ["field"], "totals": `+fieldTotals(t, in)+`}]}}]}`)
	other := writeFile(t, dir, "other.json", `{"design_weight": "weight", "steps": [{"calibrate": {"numeric": {"age": `+fmt.Sprint(ageTotal*1.03)+`}, "margins": [{"by": ["field"], "totals": `+fieldTotals(t, in)+`}]}}]}`)
	for _, cmd := range []string{"index", "estimate"} {
		design := []string{"--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--nest", "--by", "level"}
		if cmd == "estimate" {
			design = append(design, "--mean", "age,access_1", "--ratio", "access_1/age")
		}
		sums := filepath.Join(dir, cmd+".parquet")
		if code, _, stderr := vtRun(t, "", append([]string{cmd, "--in", in, "--weighting", spec, "--sums-out", sums}, design...)...); code != 0 {
			t.Fatalf("%s: exit %d: %s", cmd, code, stderr)
		}
		// the table without its calibration's u column of the first item
		noCol := filepath.Join(dir, cmd+".nocol.parquet")
		dropFirstColumn(t, sums, noCol, "calu0_")
		for _, c := range []struct {
			name string
			args []string
			says string
			out  string // a file that must not be written
		}{
			{"another spec", []string{"--from-sums", sums, "--weighting", other}, "another weighting specification", ""},
			{"no weighting", []string{"--from-sums", sums}, "same weighting specification", ""},
			{"missing column", []string{"--from-sums", noCol, "--weighting", spec}, `missing column "calu0_`, ""},
			{"CSV", []string{"--in", in, "--weighting", spec, "--sums-out", filepath.Join(dir, "sums.csv")}, "cannot keep", filepath.Join(dir, "sums.csv")},
			{"CSV again", []string{"--from-sums", sums, "--weighting", spec, "--sums-out", filepath.Join(dir, "again.csv")}, "cannot keep", filepath.Join(dir, "again.csv")},
			{"replicates out", []string{"--in", in, "--weighting", spec, "--variance", "jkn", "--sums-out", filepath.Join(dir, "jk.parquet")}, "calibrated again in each replicate", filepath.Join(dir, "jk.parquet")},
			{"replicates from", []string{"--from-sums", sums, "--weighting", spec, "--variance", "jkn"}, "calibrated again in each replicate", ""},
			{"another spec out", []string{"--from-sums", sums, "--weighting", other, "--sums-out", filepath.Join(dir, "again.parquet")}, "another weighting specification", filepath.Join(dir, "again.parquet")},
		} {
			code, stdout, stderr := vtRun(t, "", append(append([]string{cmd}, c.args...), design...)...)
			if code != 2 || stdout != "" || !strings.Contains(stderr, c.says) {
				t.Errorf("%s %s: exit %d, stdout %.100q, stderr %q; want 2 saying %q", cmd, c.name, code, stdout, stderr, c.says)
			}
			if c.out != "" {
				if _, err := os.Stat(c.out); err == nil {
					t.Errorf("%s %s: %s written", cmd, c.name, c.out)
				}
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

// sameFromRepSums checks, for the ballots pq with replicate weight columns
// rw… (flags rflags), that index --sums-out writes the cells' table and
// the replicate sums beside it (sums.replicates.parquet, also as CSV)
// and prints the streamed output, that --from-sums on them prints it
// again byte for byte, and that a replicate table that does not fit (a
// missing item column, one replicate less, absent) is refused with exit 2
// and no output; and --sums-sql prints the queries of both tables
// (sameRepSumsSQL).
func sameFromRepSums(t *testing.T, dir, pq string, rflags []string) {
	t.Helper()
	design := append([]string{"--strata", "stratum", "--psu", "psu", "--repweights", "rw", "--by", "province", "--df", "domain"}, rflags...)
	code, want, errs := vtRun(t, "", append([]string{"index", "--in", pq, "--stream", "--weight", "weight"}, design...)...)
	if code != 0 {
		t.Fatalf("streamed: exit %d: %s", code, errs)
	}
	exts := []string{".parquet", ".csv"}
	if testing.Short() {
		exts = exts[:1]
	}
	for _, ext := range exts {
		sums := filepath.Join(dir, "sums"+ext)
		code, out, errs := vtRun(t, "", append([]string{"index", "--in", pq, "--weight", "weight", "--sums-out", sums}, design...)...)
		if code != 0 || out != want {
			t.Fatalf("--sums-out %s: exit %d: %s\n%.600s\nwant\n%.600s", ext, code, errs, out, want)
		}
		if _, err := os.Stat(filepath.Join(dir, "sums.replicates"+ext)); err != nil {
			t.Fatalf("--sums-out %s: no replicate sums table: %v", ext, err)
		}
		code, out, errs = vtRun(t, "", append([]string{"index", "--from-sums", sums}, design...)...)
		if code != 0 || out != want {
			t.Errorf("--from-sums %s: exit %d: %s\n%.600s\nwant\n%.600s", ext, code, errs, out, want)
		}
	}
	sums := filepath.Join(dir, "sums.parquet")
	bad := func(name string, edit func(reps arrow.RecordBatch) arrow.RecordBatch) string {
		reps, err := arrowio.ReadAll(filepath.Join(dir, "sums.replicates.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		defer reps.Release()
		out := filepath.Join(dir, name+".parquet")
		if err := copyFile(sums, out); err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			r := edit(reps)
			defer r.Release()
			if err := arrowio.WriteRecord(filepath.Join(dir, name+".replicates.parquet"), r); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	without := func(prefix string) func(arrow.RecordBatch) arrow.RecordBatch {
		return func(reps arrow.RecordBatch) arrow.RecordBatch {
			var fs []arrow.Field
			var cs []arrow.Array
			for i, f := range reps.Schema().Fields() {
				if f.Name != prefix {
					fs, cs = append(fs, f), append(cs, reps.Column(i))
				}
			}
			return array.NewRecordBatch(arrow.NewSchema(fs, nil), cs, reps.NumRows())
		}
	}
	for _, c := range []struct {
		name, from, says string
	}{
		{"missing column", bad("nox", without("x_procedures_1")), `missing column "x_procedures_1"`},
		{"one replicate less", bad("fewer", func(reps arrow.RecordBatch) arrow.RecordBatch {
			R := 0
			for reps.Schema().HasField(fmt.Sprintf("gram_%d", R+1)) {
				R++
			}
			return without(fmt.Sprintf("gram_%d", R))(reps)
		}), "(one per gram_ column)"},
		{"no replicate table", bad("none", nil), "replicate sums table beside"},
	} {
		code, out, errs := vtRun(t, "", append([]string{"index", "--from-sums", c.from, "--sums-out", filepath.Join(dir, "again.parquet")}, design...)...)
		if code != 2 || out != "" || !strings.Contains(errs, c.says) {
			t.Errorf("%s: exit %d, stdout %.80q, stderr %q; want 2 saying %q", c.name, code, out, errs, c.says)
		}
		if _, err := os.Stat(filepath.Join(dir, "again.parquet")); err == nil {
			t.Errorf("%s: --sums-out written", c.name)
		}
	}
	sameRepSumsSQL(t, dir, pq, sums, design)
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}
