package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestNonFiniteInputs checks that inputs whose results would be NaN,
// infinite or overflowed are refused with a message naming the row or
// the step, where sipas used to write NaN weights or print null or
// overflowed estimates with exit 0.
func TestNonFiniteInputs(t *testing.T) {
	dir := t.TempDir()
	api := filepath.Join(etAPI, "apistrat.csv")
	f, err := os.Open(api)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	col := func(name string) int {
		for j, h := range rows[0] {
			if h == name {
				return j
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	variant := func(name string, edit func(rs [][]string)) string {
		rs := make([][]string, len(rows))
		for i, r := range rows {
			rs[i] = append([]string(nil), r...)
		}
		edit(rs)
		p := filepath.Join(dir, name)
		fh, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		w := csv.NewWriter(fh)
		w.WriteAll(rs)
		fh.Close()
		return p
	}
	api00, pw := col("api00"), col("pw")
	inf := variant("inf.csv", func(rs [][]string) { rs[3][api00] = "Inf" })
	huge := variant("huge.csv", func(rs [][]string) { rs[3][api00] = "1e308" })
	wHuge := variant("whuge.csv", func(rs [][]string) { rs[3][pw] = "1e308" })
	wZero := variant("wzero.csv", func(rs [][]string) {
		for _, r := range rs[1:] {
			r[pw] = "0"
		}
	})
	trim := writeFile(t, dir, "trim.json", `{"design_weight": "pw", "steps": [{"trim": {"max": 1e308}}], "output": {"weight": "final"}}`)
	out := filepath.Join(dir, "out.csv")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"mean with Inf", []string{"estimate", "--in", inf, "--weight", "pw", "--mean", "api00"}, []string{"inf.csv", `"api00"`, "row 3", "not finite"}},
		{"mean with 1e308", []string{"estimate", "--in", huge, "--weight", "pw", "--mean", "api00"}, []string{"huge.csv", `"api00"`, "row 3", "too large"}},
		{"weight 1e308", []string{"estimate", "--in", wHuge, "--weight", "pw", "--mean", "api00"}, []string{"whuge.csv", `"pw"`, "row 3"}},
		{"all weights 0", []string{"estimate", "--in", wZero, "--weight", "pw", "--mean", "api00"}, []string{"wzero.csv", `"pw"`, "every weight is 0"}},
		{"trim max 1e308", []string{"weight", "--in", api, "--spec", trim, "--out", out}, []string{"trim.json", "steps[0].trim", "overflow"}},
	} {
		code, stdout, stderr := vtRun(t, "", tc.args...)
		if code != 2 {
			t.Errorf("%s: exit %d, stdout %.200q, stderr %q; want 2", tc.name, code, stdout, stderr)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: %q lacks %q", tc.name, stderr, w)
			}
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: output written", tc.name)
			os.Remove(out)
		}
	}
}

// TestUndefinedSaysWhy: a criterion nobody answered leaves the criterion,
// its element and SIPAS undefined; each such row says why, in the output
// (JSON "undefined", the CSV column of that name) and in a warning, where
// the run used to print null with no word.
func TestUndefinedSaysWhy(t *testing.T) {
	dir := t.TempDir()
	in := vtBallots(t, dir, "b.csv", "B1|Hà Nội|0455443322554433221145", "B2|Huế|9455443322554433221145")
	code, stdout, stderr := vtRun(t, "", "index", "--in", in, "--weight", "weight", "--by", "province")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out struct {
		Warnings  []string
		Estimates []struct {
			Domain    map[string]string
			Kind, ID  string
			Estimate  *float64
			Undefined string
		}
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"access_1": "no valid answer", "access": "criterion access_1 has no valid answer", "sipas": "criterion access_1 has no valid answer"}
	for _, r := range out.Estimates {
		if w, ok := want[r.ID]; ok != (r.Estimate == nil) || r.Undefined != w {
			t.Errorf("%v %s: estimate %v, undefined %q; want %q", r.Domain, r.ID, r.Estimate, r.Undefined, w)
		}
	}
	for _, w := range []string{"the national SIPAS is undefined: criterion access_1 has no valid answer", "6 domain rows are undefined, the first criterion access_1 of province=Hà Nội: no valid answer"} {
		if !strings.Contains(stderr, "sipas: warning: "+w) || !slices.Contains(out.Warnings, w) {
			t.Errorf("warning %q missing: stderr %q, output %q", w, stderr, out.Warnings)
		}
	}
	_, stdout, _ = vtRun(t, "", "index", "--in", in, "--weight", "weight", "--format", "csv")
	if !strings.Contains(stdout, ",undefined\n") || !strings.Contains(stdout, ",criterion access_1 has no valid answer\n") {
		t.Errorf("CSV lacks the undefined column:\n%s", stdout)
	}
}
