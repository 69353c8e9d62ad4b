package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/weighting"
)

// withAge copies the ballots of testdata/index/sipas_small.csv into dir
// with a numeric column age (18–70, varying from ballot to ballot) and
// per-ballot bounds lo and hi, a respondent flag resp (yes/no), and returns the file and Σ weight·age.
func withAge(t *testing.T, dir string) (string, float64) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "index", "sipas_small.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	wcol, total := -1, 0.0
	for i := 0; sc.Scan(); i++ {
		line := sc.Text()
		cells := strings.Split(line, ",")
		if i == 0 {
			for j, c := range cells {
				if c == "weight" {
					wcol = j
				}
			}
			fmt.Fprintf(&b, "%s,age,lo,hi,resp\n", line)
			continue
		}
		age := 18 + (i*7919)%53
		var w float64
		fmt.Sscan(cells[wcol], &w)
		total += w * float64(age)
		fmt.Fprintf(&b, "%s,%d,%g,%g,%s\n", line, age, 0.4+0.01*float64(i%9), 1.8+0.05*float64(i%5), []string{"yes", "yes", "no", "yes", "yes", "no", "yes"}[i%7])
	}
	return writeFile(t, dir, "ballots.csv", b.String()), total
}

// TestIndexCalibratedStreamed: sipas index --weighting with a calibration
// to a numeric variable (linear; raking with per-ballot bounds; linear
// after a nonresponse adjustment by classes, after a post-stratification,
// a raking or a category calibration, and after nonresponse and
// post-stratification with a trimming step last; followed by a
// post-stratification, or by a raking and a trimming) streams the file in
// passes (--stream; stderr says how many) and prints the
// estimates, SEs and counts of the in-memory run at 1e-12; with
// --sums-out it prints the same, and --from-sums on that table with the
// same --weighting prints it again (sameFromCalibratedSums).
func TestIndexCalibratedStreamed(t *testing.T) {
	dir := t.TempDir()
	in, ageTotal := withAge(t, dir)
	design := []string{"--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--nest", "--by", "level"}
	specs := map[string]string{
		"linear":                        fmt.Sprintf(`{"design_weight": "weight", "steps": [{"calibrate": {"numeric": {"age": %v}, "margins": [{"by": ["field"], "totals": %s}]}}]}`, ageTotal*1.02, fieldTotals(t, in)),
		"raking":                        fmt.Sprintf(`{"design_weight": "weight", "steps": [{"calibrate": {"method": "raking", "numeric": {"age": %v}, "bounds_columns": ["lo", "hi"]}}]}`, ageTotal*0.97),
		"nonresponse":                   fmt.Sprintf(`{"design_weight": "weight", "steps": [{"nonresponse": {"classes": ["field"], "responded": "resp"}}, {"calibrate": {"numeric": {"age": %v}, "margins": [{"by": ["field"], "totals": %s}]}}]}`, ageTotal*1.02, fieldTotals(t, in)),
		"poststratify":                  fmt.Sprintf(`{"design_weight": "weight", "steps": [{"poststratify": {"by": ["level"], "totals": %s}}, {"calibrate": {"numeric": {"age": %v}, "margins": [{"by": ["field"], "totals": %s}]}}]}`, columnTotals(t, in, "level"), ageTotal*1.02, fieldTotals(t, in)),
		"rake":                          fmt.Sprintf(`{"design_weight": "weight", "steps": [{"rake": {"margins": [{"by": ["level"], "totals": %s}, {"by": ["respondent_type"], "totals": %s}]}}, {"calibrate": {"method": "raking", "numeric": {"age": %v}, "bounds_columns": ["lo", "hi"]}}]}`, columnTotals(t, in, "level", true), columnTotals(t, in, "respondent_type", true), ageTotal*0.97),
		"category":                      fmt.Sprintf(`{"design_weight": "weight", "steps": [{"calibrate": {"margins": [{"by": ["level"], "totals": %s}]}}, {"calibrate": {"numeric": {"age": %v}, "margins": [{"by": ["field"], "totals": %s}]}}]}`, columnTotals(t, in, "level"), ageTotal*1.02, fieldTotals(t, in)),
		"then poststratify":             fmt.Sprintf(`{"design_weight": "weight", "steps": [{"calibrate": {"numeric": {"age": %v}, "margins": [{"by": ["field"], "totals": %s}]}}, {"poststratify": {"by": ["level"], "totals": %s}}]}`, ageTotal*1.02, fieldTotals(t, in), columnTotals(t, in, "level")),
		"then rake then trim":           fmt.Sprintf(`{"design_weight": "weight", "steps": [{"calibrate": {"numeric": {"age": %v}}}, {"rake": {"margins": [{"by": ["level"], "totals": %s}, {"by": ["respondent_type"], "totals": %s}]}}, {"trim": {"max": 2.5}}]}`, ageTotal*1.02, columnTotals(t, in, "level", true), columnTotals(t, in, "respondent_type", true)),
		"nonresponse poststratify trim": fmt.Sprintf(`{"design_weight": "weight", "steps": [{"nonresponse": {"classes": ["field"], "responded": "resp"}}, {"poststratify": {"by": ["level"], "totals": %s}}, {"calibrate": {"numeric": {"age": %v}, "margins": [{"by": ["field"], "totals": %s}]}}, {"trim": {"max": 2.5}}]}`, columnTotals(t, in, "level"), ageTotal*1.02, fieldTotals(t, in)),
	}
	passes := map[string]string{"linear": "in 4 passes", "nonresponse": "in 5 passes", "poststratify": "in 5 passes", "category": "in 5 passes"}
	for name, js := range specs {
		spec := writeFile(t, dir, name+".json", js)
		args := append([]string{"--in", in, "--weighting", spec}, design...)
		mem := wfIndex(t, args...)
		code, stdout, stderr := vtRun(t, "", append([]string{"index", "--stream"}, args...)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		if !strings.Contains(stderr, "sipas index: streaming") || !strings.Contains(stderr, "passes") {
			t.Errorf("%s: stderr %q does not say the file is streamed in passes", name, stderr)
		}
		if p := passes[name]; p != "" && !strings.Contains(stderr, p) {
			t.Errorf("%s: stderr %q does not say %q", name, stderr, p)
		}
		var out struct {
			Estimates []wfIndexRow `json:"estimates"`
		}
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatal(err)
		}
		sameIndexRows(t, name, mem, out.Estimates)
		sameFromCalibratedSums(t, name, dir, spec, args, design, stdout)
	}
	// a second calibration that needs every row, and a category
	// calibration bounding the final weights after it, stream in the
	// passes of both; not with --sums-out (exit 2, no file)
	for name, js := range map[string]string{
		"two numeric calibrations": fmt.Sprintf(`{"design_weight": "weight", "steps": [{"calibrate": {"numeric": {"age": %v}, "margins": [{"by": ["field"], "totals": %s}]}}, {"poststratify": {"by": ["level"], "totals": %s}}, {"calibrate": {"method": "raking", "numeric": {"age": %v}}}]}`, ageTotal*1.02, fieldTotals(t, in), columnTotals(t, in, "level"), ageTotal),
		"bounds on the weights":    fmt.Sprintf(`{"design_weight": "weight", "steps": [{"calibrate": {"numeric": {"age": %v}, "margins": [{"by": ["field"], "totals": %s}]}}, {"calibrate": {"margins": [{"by": ["level"], "totals": %s}], "bounds": [1, 1e9], "bounds_const": true}}]}`, ageTotal*1.02, fieldTotals(t, in), columnTotals(t, in, "level")),
	} {
		spec := writeFile(t, dir, "chain.json", js)
		args := append([]string{"--in", in, "--weighting", spec}, design...)
		mem := wfIndex(t, args...)
		code, stdout, stderr := vtRun(t, "", append([]string{"index", "--stream"}, args...)...)
		// the passes: those SolveStream makes, and one that sums the ballots
		ws, err := weighting.ParseSpecBytes([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		st, err := weighting.SolveStream(context.Background(), ws, index.ScanFile(in))
		if err != nil {
			t.Fatal(err)
		}
		count := fmt.Sprintf("in %d passes (2 calibrations need every row: %d passes solve them, 1 sums the ballots)", st.Passes+1, st.Passes)
		if code != 0 || !strings.Contains(stderr, "sipas index: streaming") || !strings.Contains(stderr, count) {
			t.Errorf("%s: exit %d, stderr %q; want it streamed, saying %q", name, code, stderr, count)
		}
		var out struct {
			Estimates []wfIndexRow `json:"estimates"`
		}
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatal(err)
		}
		sameIndexRows(t, name, mem, out.Estimates)
		sums := filepath.Join(dir, "chain.sums.parquet")
		code, _, stderr = vtRun(t, "", append([]string{"index", "--sums-out", sums}, args...)...)
		if _, err := os.Stat(sums); code != 2 || err == nil || !strings.Contains(stderr, "carries the solve of one calibration") {
			t.Errorf("%s --sums-out: exit %d, stderr %q, file written: %v", name, code, stderr, err == nil)
		}
	}
	// a raking after a second calibration is read into memory, saying why
	spec := writeFile(t, dir, "after.json", fmt.Sprintf(`{"design_weight": "weight", "steps": [{"calibrate": {"numeric": {"age": %v}, "margins": [{"by": ["field"], "totals": %s}]}}, {"calibrate": {"numeric": {"age": %v}}}, {"rake": {"margins": [{"by": ["level"], "totals": %s}, {"by": ["respondent_type"], "totals": %s}]}}]}`, ageTotal*1.02, fieldTotals(t, in), ageTotal, columnTotals(t, in, "level", true), columnTotals(t, in, "respondent_type", true)))
	args := append([]string{"--in", in, "--weighting", spec}, design...)
	mem := wfIndex(t, args...)
	code, stdout, stderr := vtRun(t, "", append([]string{"index", "--stream"}, args...)...)
	if code != 0 || !strings.Contains(stderr, "into memory (not streamed: ") || !strings.Contains(stderr, "a raking after a second calibration") {
		t.Errorf("raking after two calibrations: exit %d, stderr %q; want it read into memory, saying why", code, stderr)
	}
	var out struct {
		Estimates []wfIndexRow `json:"estimates"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	sameIndexRows(t, "raking after two calibrations", mem, out.Estimates)
}

// fieldTotals are population totals of the column field: its weighted
// sample totals times 1.05, 0.95, … in turn.
func fieldTotals(t *testing.T, in string) string { return columnTotals(t, in, "field") }

// columnTotals are population totals of the column name: its weighted
// sample totals times 1.05, 0.95, … in turn (summing to 1.01 times the
// total weight with grand).
func columnTotals(t *testing.T, in, name string, grand ...bool) string {
	t.Helper()
	b, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	hdr := strings.Split(lines[0], ",")
	col := map[string]int{}
	for j, h := range hdr {
		col[h] = j
	}
	tot := map[string]float64{}
	for _, l := range lines[1:] {
		c := strings.Split(l, ",")
		var w float64
		fmt.Sscan(c[col["weight"]], &w)
		tot[c[col[name]]] += w
	}
	k := 0
	var all, sum float64
	for _, f := range slices.Sorted(maps.Keys(tot)) {
		all += tot[f]
		tot[f] *= 1 + 0.05*float64(1-2*(k%2))
		sum += tot[f]
		k++
	}
	if len(grand) > 0 && grand[0] {
		for f := range tot {
			tot[f] *= 1.01 * all / sum
		}
	}
	js, _ := json.Marshal(tot)
	return string(js)
}

// sameIndexRows checks that the index rows str (streamed) are those of mem
// (in memory): kind, id, n and level domain exactly, estimate and SE at
// 1e-12.
func sameIndexRows(t *testing.T, name string, mem, str []wfIndexRow) {
	t.Helper()
	if len(mem) != len(str) || len(mem) == 0 {
		t.Fatalf("%s: %d rows in memory, %d streamed", name, len(mem), len(str))
	}
	for i, m := range mem {
		s := str[i]
		if m.Kind != s.Kind || m.ID != s.ID || m.N != s.N || m.Domain["level"] != s.Domain["level"] {
			t.Errorf("%s row %d: %+v in memory, %+v streamed", name, i, m, s)
			continue
		}
		for _, p := range [][2]*float64{{m.Estimate, s.Estimate}, {m.SE, s.SE}} {
			if math.Abs(*p[0]-*p[1]) > 1e-12*math.Abs(*p[0]) {
				t.Errorf("%s %s %s %v: %.17g in memory, %.17g streamed", name, m.Kind, m.ID, m.Domain, *p[0], *p[1])
			}
		}
	}
}
