package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const bcFixtures = "../../index/ballot/testdata/"

func bcCompareArgs(out string, extra ...string) []string {
	return append([]string{"backcheck", "compare", "--survey", bcFixtures + "backcheck_survey.csv", "--backcheck", bcFixtures + "backcheck_bc.csv",
		"--id", "ballot_id", "--t1", "received,sex", "--t2", "age_group", "--t3", "rating_1,rating_2,rating_3",
		"--enumerator", "collector", "--enumteam", "team", "--backchecker", "bcer", "--bcteam", "bcteam",
		"--ttest", "rating_1", "--signrank", "rating_1,rating_2", "--reliability", "rating_1", "--out", out}, extra...)
}

// The command writes the set of files the contract names, with the
// contract's columns, and prints the flagged enumerators worst first. The
// numbers themselves are checked in the library's tests.
func TestBackcheckCompareCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "bc")
	code, stdout, stderr := vtRun(t, "", bcCompareArgs(out)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	headers := map[string]string{
		"differences.csv":  "ballot_id,type,variable,survey,backcheck,differ,enumerator,enumteam,backchecker,bcteam",
		"enumerators.csv":  "enumerator,type,differences,comparisons,error_rate,flagged",
		"enumteams.csv":    "enumteam,type,differences,comparisons,error_rate,flagged",
		"backcheckers.csv": "name,type,differences,comparisons,error_rate,flagged",
		"bcteams.csv":      "name,type,differences,comparisons,error_rate,flagged",
		"variables.csv":    "variable,type,differences,comparisons,error_rate,flagged",
		"stability.csv":    "variable,type,test,n,statistic,p_value,srv,rr",
	}
	for name, h := range headers {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("\ufeff"+h+"\n")) {
			t.Errorf("%s starts %q, want a BOM and %q", name, strings.SplitN(string(b), "\n", 2)[0], h)
		}
	}
	if recs := readCSV(t, filepath.Join(out, "differences.csv")); len(recs) != 1+33 {
		t.Errorf("differences.csv has %d rows, want the 33 differences", len(recs)-1)
	}
	recs := readCSV(t, filepath.Join(out, "backcheckers.csv"))
	if got := strings.Join(recs[1], ","); got != "Hoa,all,17,35,0.4857142857142857,1" {
		t.Errorf("backcheckers.csv first row %s", got)
	}
	var sum struct {
		Matched     int `json:"matched"`
		Comparisons int `json:"comparisons"`
		Stability   []struct {
			Test string   `json:"test"`
			Zero *int     `json:"zero"`
			RR   *float64 `json:"rr"`
		} `json:"stability"`
	}
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Matched != 12 || sum.Comparisons != 71 || len(sum.Stability) != 4 || sum.Stability[2].Zero == nil || *sum.Stability[2].Zero != 7 || sum.Stability[3].RR == nil {
		t.Errorf("summary.json: %s", b)
	}
	// Flagged enumerators, worst first: Bình and Chi (type 1, 50 %) before
	// the type 2 rows at 33 %, An's type 1 (17 %) last; Dũng type 1 (0 %)
	// and Em (no back-check) are not flagged.
	i1, i2, i3 := strings.Index(stdout, "Bình        1"), strings.Index(stdout, "Dũng        2"), strings.Index(stdout, "An          1")
	if i1 < 0 || i2 < i1 || i3 < i2 || strings.Contains(stdout, "Em ") || !strings.Contains(stdout, "error rate above 10.00%: 7") {
		t.Errorf("stdout:\n%s", stdout)
	}

	// --full lists every comparison.
	code, _, stderr = vtRun(t, "", bcCompareArgs(out, "--full")...)
	if code != 0 {
		t.Fatal(stderr)
	}
	if recs := readCSV(t, filepath.Join(out, "differences.csv")); len(recs) != 1+71 {
		t.Errorf("--full: %d rows, want 71", len(recs)-1)
	}
}

// Bad input exits 2 naming the ids or columns, and leaves the output
// directory as it was.
func TestBackcheckCompareCommandErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "bc")
	if code, _, stderr := vtRun(t, "", bcCompareArgs(out)...); code != 0 {
		t.Fatal(stderr)
	}
	before := map[string][]byte{}
	ents, _ := os.ReadDir(out)
	for _, e := range ents {
		before[e.Name()], _ = os.ReadFile(filepath.Join(out, e.Name()))
	}
	sv, _ := os.ReadFile(bcFixtures + "backcheck_survey.csv")
	bv, _ := os.ReadFile(bcFixtures + "backcheck_bc.csv")
	dupS := writeFile(t, dir, "dup_s.csv", string(sv)+"B07,Chi,T2,có,2,3,4,4,4\n")
	dupB := writeFile(t, dir, "dup_b.csv", string(bv)+"B01,Hoa,MT,có,1,2,3,4,3\nB02,Hoa,MT,có,1,2,3,4,3\n")
	unk := writeFile(t, dir, "unk_b.csv", string(bv)+"Z1,Hoa,MT,có,1,2,3,4,3\nZ2,Hoa,MT,có,1,2,3,4,3\n")
	set := func(args []string, flag, value string) []string {
		a := append([]string{}, args...)
		for i := range a {
			if a[i] == flag {
				a[i+1] = value
			}
		}
		return a
	}
	for _, c := range []struct {
		name string
		args []string
		says []string
	}{
		{"duplicate survey id", set(bcCompareArgs(out), "--survey", dupS), []string{"dup_s.csv", "B07"}},
		{"duplicate back-check id", set(bcCompareArgs(out), "--backcheck", dupB), []string{"dup_b.csv", "B01, B02"}},
		{"id not in survey", set(bcCompareArgs(out), "--backcheck", unk), []string{"not in the survey", "Z1, Z2"}},
		{"missing variable", set(bcCompareArgs(out), "--t2", "age_group,phone"), []string{`"phone"`, "survey", "back-check"}},
		{"variable twice", set(bcCompareArgs(out), "--t2", "age_group,sex"), []string{`"sex"`, "type 1 and as type 2"}},
		{"okrange", bcCompareArgs(out, "--okrange", "rating_1=2:-2"), []string{"--okrange", "lower bound"}},
		{"nodiff form", bcCompareArgs(out, "--nodiff", "rating_1"), []string{"VARIABLE=VALUE"}},
	} {
		code, _, stderr := vtRun(t, "", c.args...)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2: %s", c.name, code, stderr)
		}
		for _, w := range c.says {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr %q lacks %q", c.name, stderr, w)
			}
		}
	}
	ents, _ = os.ReadDir(out)
	if len(ents) != len(before) {
		t.Errorf("output directory now holds %d entries, had %d", len(ents), len(before))
	}
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(out, e.Name()))
		if !bytes.Equal(b, before[e.Name()]) {
			t.Errorf("%s changed after a failed run", e.Name())
		}
	}
	// Allowed unmatched ids are listed in the summary.
	code, _, stderr := vtRun(t, "", append(set(bcCompareArgs(out), "--backcheck", unk), "--allow-unmatched")...)
	if code != 0 {
		t.Fatal(stderr)
	}
	b, _ := os.ReadFile(filepath.Join(out, "summary.json"))
	if !bytes.Contains(b, []byte(`"unmatched": [
    "Z1",
    "Z2"
  ]`)) {
		t.Errorf("summary.json does not list Z1, Z2: %s", b[:200])
	}
}

// bcBallots writes a ballot table: 3 provinces, collectors of uneven
// loads, communes, phones.
func bcBallots(t *testing.T, dir string) string {
	var sb strings.Builder
	sb.WriteString("ballot_id,province,collector,commune,phone\n")
	id := 0
	for p, prov := range []string{"Hà Nội", "Huế", "Cà Mau"} {
		for c := 0; c < 5; c++ {
			for i := 0; i < 3+7*c; i++ {
				id++
				fmt.Fprintf(&sb, "%05d,%s,c%d%d,x%d,09%08d\n", id, prov, p, c, (i+c)%4, id)
			}
		}
	}
	return writeFile(t, dir, "ballots.csv", sb.String())
}

func TestBackcheckSampleCommand(t *testing.T) {
	dir := t.TempDir()
	in := bcBallots(t, dir)
	targeted := writeFile(t, dir, "flagged.csv", "ballot_id,max_match\n00004,1\n00100,0.95\n")
	run := func(out string, seed string) (string, []byte) {
		code, stdout, stderr := vtRun(t, "", "backcheck", "sample", "--in", in, "--id", "ballot_id", "--by", "province", "--collector", "collector",
			"--unit", "commune", "--rate", "0.1", "--targeted", targeted, "--keep", "phone", "--seed", seed, "--out", out)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return stdout, b
	}
	stdout, a := run(filepath.Join(dir, "a.csv"), "7")
	_, b := run(filepath.Join(dir, "b.csv"), "7")
	_, c := run(filepath.Join(dir, "c.csv"), "8")
	if !bytes.Equal(a, b) {
		t.Error("same inputs and seed, different bytes")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds, same bytes")
	}
	recs := readCSV(t, filepath.Join(dir, "a.csv"))
	if got := strings.Join(recs[0], ","); got != "ballot_id,province,collector,commune,selection,order,phone" {
		t.Errorf("header %s", got)
	}
	// 00004 (Hà Nội) and 00100 (Huế: ids 86–170) are targeted; phones
	// keep their leading zero.
	targetedSeen := 0
	for _, r := range recs[1:] {
		if r[4] == "targeted" {
			targetedSeen++
			if r[0] != "00004" && r[0] != "00100" {
				t.Errorf("targeted %s", r[0])
			}
		}
		if !strings.HasPrefix(r[6], "09") {
			t.Errorf("phone %q", r[6])
		}
	}
	if targetedSeen != 2 {
		t.Errorf("%d targeted rows", targetedSeen)
	}
	// Each province has 85 ballots: target ceil(8.5) = 9, but 5 collectors
	// × 2 are drawn by the minimum; Huế's line: 85 ballots, target 9, 10
	// random (its communes were covered by then with this seed), 1
	// targeted.
	for _, want := range []string{"Hà Nội", "Huế", "Cà Mau", "5 / 5", "seed 7"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stdout, "85       9      10         1") {
		t.Errorf("stdout:\n%s", stdout)
	}

	// Bad input: exit 2 naming what is wrong; no output written.
	out := filepath.Join(dir, "bad.csv")
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--rate", "0"}, "outside (0, 1]"},
		{[]string{"--rate", "1.5"}, "outside (0, 1]"},
		{[]string{"--targeted", writeFile(t, dir, "t2.csv", "ballot_id\n99999\n00001\n")}, "99999"},
		{[]string{"--keep", "address"}, `"address"`},
		{[]string{"--in", writeFile(t, dir, "dup.csv", "ballot_id,province,collector\n1,A,c\n1,A,c\n")}, `repeats 1 id(s): 1`},
	} {
		args := append([]string{"backcheck", "sample", "--in", in, "--collector", "collector", "--seed", "1", "--out", out}, c.args...)
		code, _, stderr := vtRun(t, "", args...)
		if code != 2 || !strings.Contains(stderr, c.says) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", c.args, code, stderr, c.says)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%v: output written", c.args)
		}
	}
	if code, _, stderr := vtRun(t, "", "backcheck", "sample", "--in", in, "--collector", "collector", "--out", out); code != 2 || !strings.Contains(stderr, "--seed") {
		t.Errorf("no seed: exit %d %s", code, stderr)
	}
}

// validate --backcheck-failed: the confirmed ballots are excluded with
// reason backcheck_failed, the accounting holds, and an id that is not a
// ballot exits 2 naming it.
func TestValidateBackcheckFailed(t *testing.T) {
	dir := t.TempDir()
	in := vtBallots(t, dir, "ballots.csv",
		"B001|Hà Nội|"+good, "B002|Huế|"+good, "B003|Huế|"+good, "B004|Hà Nội|4455443322554433221175")
	// The verdict may list a ballot several times (e.g. differences.csv).
	failed := writeFile(t, dir, "failed.csv", "ballot_id,variable\nB002,received\nB002,sex\nB004,sex\n")
	out, exc := filepath.Join(dir, "clean.csv"), filepath.Join(dir, "excluded.csv")
	code, stdout, stderr := vtRun(t, "", "validate", "--in", in, "--backcheck-failed", failed, "--out", out, "--excluded", exc)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"rows in               4\n", "rows used             2\n", "rows excluded         2\n",
		"check: 4 rows in = 2 used + 2 excluded",
		// B004 also has an invalid code: its first reason is the verdict.
		"backcheck_failed            2 rows",
		`row 2 (ballot B002): backcheck_failed, column "ballot_id"`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if recs := readCSV(t, out); len(recs) != 3 || recs[1][0] != "B001" || recs[2][0] != "B003" {
		t.Errorf("clean table %v", recs)
	}
	bad := writeFile(t, dir, "bad.csv", "ballot_id\nB002\nB999\n")
	out2 := filepath.Join(dir, "clean2.csv")
	code, _, stderr = vtRun(t, "", "validate", "--in", in, "--backcheck-failed", bad, "--out", out2, "--excluded", filepath.Join(dir, "exc2.csv"))
	if code != 2 || !strings.Contains(stderr, "B999") || !strings.Contains(stderr, "bad.csv") {
		t.Errorf("unknown id: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(out2); err == nil {
		t.Error("output written despite the error")
	}
}

// Same inputs, same bytes: two runs of compare write identical files.
func TestBackcheckCompareSameBytes(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, out := range []string{a, b} {
		if code, _, stderr := vtRun(t, "", bcCompareArgs(out, "--full", "--okrange", "rating_3=-25%:25%", "--nodiff", "age_group=9", "--exclude", "rating_2=5")...); code != 0 {
			t.Fatal(stderr)
		}
	}
	ents, _ := os.ReadDir(a)
	if len(ents) != 8 {
		t.Fatalf("%d files, want 8", len(ents))
	}
	for _, e := range ents {
		x, _ := os.ReadFile(filepath.Join(a, e.Name()))
		y, err := os.ReadFile(filepath.Join(b, e.Name()))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs", e.Name())
		}
	}
}
