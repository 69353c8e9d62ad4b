package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// stagesFixture writes the index fixture with a generated second and third
// stage to dir and returns its path: the j-th ballot of a PSU (in file
// order) is in SSU "s{j mod 3}" and, in it, in unit "e{(j div 3) mod 4}";
// fpc2 (SSUs in the PSU) is constant within the PSU, fpc3 (units in the
// SSU) within the SSU, and fpc0 is the PSU count of a design without
// strata (as index's sums_stages_test.go); fpcb, twice the PSU's ballots
// (constant within the PSU), is the fpc of a second stage whose unit is
// the ballot (ballot_id).
func stagesFixture(t *testing.T, dir string) string {
	t.Helper()
	rows := readCSV(t, indexFixture)
	pc, hc, fc := slices.Index(rows[0], "psu"), slices.Index(rows[0], "stratum"), slices.Index(rows[0], "fpc")
	count := map[string]int{}
	psus := map[string]map[string]bool{}
	for _, r := range rows[1:] {
		count[r[pc]]++
		if psus[r[hc]] == nil {
			psus[r[hc]] = map[string]bool{}
		}
		psus[r[hc]][r[pc]] = true
	}
	seen := map[string]int{}
	rows[0] = append(rows[0], "ssu", "el", "fpc2", "fpc3", "fpc0", "pi", "fpcb")
	for i, r := range rows[1:] {
		p := r[pc]
		j := seen[p]
		seen[p]++
		N, err := strconv.ParseFloat(r[fc], 64)
		if err != nil {
			t.Fatal(err)
		}
		pi := min(0.95, float64(len(psus[r[hc]]))/N*(0.6+0.2*float64(count[p]%5)))
		rows[i+1] = append(r, fmt.Sprintf("s%d", j%3), fmt.Sprintf("e%d", (j/3)%4),
			strconv.Itoa(5+count[p]%7), strconv.Itoa(8+3*(j%3)+count[p]%5), strconv.Itoa(2*len(count)),
			strconv.FormatFloat(pi, 'g', -1, 64), strconv.Itoa(2*count[p]))
	}
	path := filepath.Join(dir, "staged.csv")
	writeCSVRows(t, path, rows)
	return path
}

// TestIndexStreamsMultistage: a multistage design with an fpc at every
// stage (--psu psu,ssu[,el] --fpc fpc,fpc2[,fpc3]) and a PPS design
// (--pps brewer or overton, --fpc pi; also with a second stage) stream
// under --stream,
// saying so, and prints what the in-memory run prints (the same rows and
// labels, every number within 1e-12 relative), with and without strata,
// nationally and by domain; its sums table (--sums-out) carries the stage
// columns and gives the same again through --from-sums.
func TestIndexStreamsMultistage(t *testing.T) {
	dir := t.TempDir()
	in := stagesFixture(t, dir)
	for i, design := range [][]string{
		{"--strata", "stratum", "--psu", "psu,ssu,el", "--fpc", "fpc,fpc2,fpc3", "--lonely-psu", "adjust", "--by", "province"},
		{"--psu", "psu,ssu", "--fpc", "fpc0,fpc2", "--lonely-psu", "remove", "--by", "level"},
		{"--strata", "stratum", "--psu", "psu,ssu", "--fpc", "fpc,fpc2", "--lonely-psu", "remove"},
		{"--strata", "stratum", "--psu", "psu", "--fpc", "pi", "--pps", "brewer", "--lonely-psu", "remove", "--by", "level"},
		{"--psu", "psu", "--fpc", "pi", "--pps", "overton"},
		{"--strata", "stratum", "--psu", "psu,ssu", "--fpc", "pi,fpc2", "--pps", "brewer", "--lonely-psu", "remove", "--by", "province"},
	} {
		args := append([]string{"index", "--in", in, "--format", "csv", "--weight", "weight"}, design...)
		code, mem, errs := vtRun(t, "", args...)
		if code != 0 || strings.Contains(errs, "streaming") {
			t.Fatalf("%v in memory: exit %d, stderr %q", design, code, errs)
		}
		code, str, errs := vtRun(t, "", append(args, "--stream")...)
		if code != 0 || !strings.Contains(errs, "sipas index: streaming") || !strings.Contains(errs, "multistage") && !strings.Contains(errs, "PPS") {
			t.Fatalf("%v streamed: exit %d, stderr %q", design, code, errs)
		}
		sameCSVTol(t, fmt.Sprint(design, " streamed"), mem, str, 1e-12, 1e-12)
		sums := filepath.Join(dir, "s"+strconv.Itoa(i)+".parquet")
		if code, _, errs := vtRun(t, "", append(args, "--sums-out", sums)...); code != 0 {
			t.Fatalf("%v --sums-out: exit %d, %s", design, code, errs)
		}
		code, fs, errs := vtRun(t, "", append([]string{"index", "--from-sums", sums, "--format", "csv"}, design...)...)
		if code != 0 {
			t.Fatalf("%v --from-sums: exit %d, %s", design, code, errs)
		}
		sameCSVTol(t, fmt.Sprint(design, " --from-sums"), mem, fs, 1e-12, 1e-12)
	}
}

// TestMultistageStreamsBounded: a large file of a multistage design with
// an fpc at every stage streams by default in sipas index and sipas
// estimate, under a bound of its cells' memory: when the units of the
// last stage hold several ballots (ssu) the cells stay under it and the
// run streams, saying so; when the last stage is the ballot (ballot_id)
// the cells pass it and the file is read into memory instead, saying why
// (the cells, after how many rows, --stream), also from standard input.
// Either prints what the in-memory run prints (1e-12), and --stream
// streams the ballot stage anyway, with the same numbers. The bound is
// raised (memColumnBytes) so that this small file's units fit under it
// and its 4,000 ballots do not; at the default bound the ballots' cells
// pass it too. So does a --weighting calibration that needs every ballot
// (to a numeric total), solved in passes before the bounded one that
// sums. A PPS design of one stage streams as any PSU design.
func TestMultistageStreamsBounded(t *testing.T) {
	dir := t.TempDir()
	in := stagesFixture(t, dir)
	text, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	num := stagesCalibration(t, dir, in)
	defer func(b, s int64, m float64) { bigInput, streamMin, memColumnBytes = b, s, m }(bigInput, streamMin, memColumnBytes)
	run := func(large bool, stdin string, args ...string) (string, string) {
		t.Helper()
		bigInput, streamMin = 1<<62, 1<<62
		if large {
			bigInput, streamMin = 0, 0
		}
		code, out, errs := vtRun(t, stdin, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d, %s", args, code, errs)
		}
		return out, errs
	}
	for _, c := range []struct {
		cmd  string
		mcb  float64 // memColumnBytes: the units' cells fit, the ballots' do not
		args []string
		same func(t *testing.T, where, a, b string)
	}{
		{"index", 400, []string{"--format", "csv", "--lonely-psu", "remove", "--by", "province", "--quiet"},
			func(t *testing.T, where, a, b string) { sameCSVTol(t, where, a, b, 1e-12, 1e-12) }},
		{"estimate", 100, []string{"--lonely-psu", "adjust", "--by", "level", "--mean", "access_1,outcomes_2", "--ratio", "access_2/access_3", "--quiet"}, esSame},
	} {
		for i, stage := range [][]string{{"--psu", "psu,ssu", "--fpc", "fpc,fpc2"}, {"--psu", "psu,ballot_id", "--fpc", "fpc,fpcb"},
			{"--psu", "psu,ssu", "--fpc", "fpc,fpc2", "--weighting", num}, {"--psu", "psu,ballot_id", "--fpc", "fpc,fpcb", "--weighting", num}} {
			ballots := stage[1] == "psu,ballot_id"
			weight := []string{"--weight", "weight"}
			if i >= 2 {
				weight = nil // the calibration's design weight
			}
			args := append(append(append([]string{c.cmd, "--strata", "stratum"}, weight...), stage...), c.args...)
			where := fmt.Sprint(c.cmd, " ", stage)
			memColumnBytes = 8
			mem, errs := run(false, "", append(args, "--in", in)...)
			if strings.Contains(errs, "streaming") {
				t.Fatalf("%s in memory: stderr %q", where, errs)
			}
			_, errs = run(true, "", append(args, "--in", in)...)
			if !strings.Contains(errs, "reading "+in+" into memory instead") || !strings.Contains(errs, "per unit of the last stage") || !strings.Contains(errs, "--stream streams it anyway") {
				t.Errorf("%s, large, default bound: stderr %q; want read into memory, saying why", where, errs)
			}
			memColumnBytes = c.mcb
			for _, src := range []string{in, "-"} {
				stdin := ""
				if src == "-" {
					stdin = string(text)
				}
				got, errs := run(true, stdin, append(args, "--in", src)...)
				switch {
				case ballots && (!strings.Contains(errs, "into memory instead") || !strings.Contains(errs, "4,000 rows (") || !strings.Contains(errs, "as many as the rows read")):
					t.Errorf("%s, large, --in %s: stderr %q; want read into memory after the ballots' cells passed the bound", where, src, errs)
				case !ballots && (!strings.Contains(errs, "sipas "+c.cmd+": streaming") || strings.Contains(errs, "reading")):
					t.Errorf("%s, large, --in %s: stderr %q; want streamed", where, src, errs)
				}
				c.same(t, fmt.Sprint(where, " --in ", src), mem, got)
			}
			got, errs := run(true, "", append(args, "--in", in, "--stream")...)
			if !strings.Contains(errs, "streaming") || strings.Contains(errs, "reading") {
				t.Errorf("%s --stream: stderr %q; want streamed, unbounded", where, errs)
			}
			c.same(t, where+" --stream", mem, got)
		}
	}
	_, errs := run(true, "", "index", "--in", in, "--format", "csv", "--weight", "weight", "--strata", "stratum",
		"--psu", "psu", "--fpc", "pi", "--pps", "brewer", "--lonely-psu", "remove", "--quiet")
	if !strings.Contains(errs, "streaming") || strings.Contains(errs, "reading") {
		t.Errorf("PPS, large: stderr %q; want streamed", errs)
	}
}
