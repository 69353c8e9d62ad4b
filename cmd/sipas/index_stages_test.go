package main

import (
	"encoding/csv"
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
// strata (as index's sums_stages_test.go).
func stagesFixture(t *testing.T, dir string) string {
	t.Helper()
	f, err := os.Open(indexFixture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
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
	rows[0] = append(rows[0], "ssu", "el", "fpc2", "fpc3", "fpc0", "pi")
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
			strconv.FormatFloat(pi, 'g', -1, 64))
	}
	path := filepath.Join(dir, "staged.csv")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(out)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
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

// TestIndexMultistageStreamsOnlyAsked: a large file of a multistage design
// with an fpc at every stage is read into memory unless --stream (or
// --sums-out) asks for the stream, saying why: its cells are per unit of
// the last stage, which can be as many as the ballots. A PPS design of one
// stage streams as any PSU design.
func TestIndexMultistageStreamsOnlyAsked(t *testing.T) {
	in := stagesFixture(t, t.TempDir())
	defer func(b, s int64) { bigInput, streamMin = b, s }(bigInput, streamMin)
	bigInput, streamMin = 0, 0
	code, _, errs := vtRun(t, "", "index", "--in", in, "--format", "csv", "--weight", "weight", "--strata", "stratum",
		"--psu", "psu,ssu", "--fpc", "fpc,fpc2", "--lonely-psu", "remove", "--quiet")
	if code != 0 || !strings.Contains(errs, "reading") || !strings.Contains(errs, "streams with --stream only") {
		t.Errorf("multistage, large: exit %d, stderr %q; want read into memory, saying why", code, errs)
	}
	code, _, errs = vtRun(t, "", "index", "--in", in, "--format", "csv", "--weight", "weight", "--strata", "stratum",
		"--psu", "psu", "--fpc", "pi", "--pps", "brewer", "--lonely-psu", "remove", "--quiet")
	if code != 0 || !strings.Contains(errs, "streaming") || strings.Contains(errs, "reading") {
		t.Errorf("PPS, large: exit %d, stderr %q; want streamed", code, errs)
	}
}
