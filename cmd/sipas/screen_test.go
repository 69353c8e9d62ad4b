package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const screenFixture = "../../testdata/screen/ballots.csv"

// TestScreenCommand runs sipas screen on the hand-made ballots of
// testdata/screen.R: the three outputs, their columns, values the R oracle
// gives (ballot 9's near-copy 10, collector f1 first in province 1), and the
// same bytes on a second run.
func TestScreenCommand(t *testing.T) {
	dir := t.TempDir()
	outs := [2]string{filepath.Join(dir, "a"), filepath.Join(dir, "b")}
	for _, o := range outs {
		code, stdout, stderr := vtRun(t, "", "screen", "--in", screenFixture, "--collector", "collector", "--out", o)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stdout, "3 near-copies") || !strings.Contains(stdout, "f1") {
			t.Errorf("stdout:\n%s", stdout)
		}
	}
	for _, name := range []string{"ballots.csv", "flagged.csv", "collectors.csv", "summary.json"} {
		a, err := os.ReadFile(filepath.Join(outs[0], name))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(outs[1], name))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs", name)
		}
		if strings.HasSuffix(name, ".csv") && !bytes.HasPrefix(a, []byte("\ufeff")) {
			t.Errorf("%s has no byte order mark", name)
		}
	}
	ballots := readCSV(t, filepath.Join(outs[0], "ballots.csv"))
	if got := strings.Join(ballots[0], ","); got != "ballot_id,province,collector,answered,nonresponse,longstring,irv,straightline,max_match,match_id,match_ref,flag_match,flag_straightline,flag_duplicate" {
		t.Errorf("ballots.csv header %s", got)
	}
	if len(ballots) != 51 {
		t.Fatalf("ballots.csv has %d rows, want 50 + header", len(ballots))
	}
	for _, r := range ballots[1:] {
		if r[0] == "9" && (r[9] != "10" || r[11] != "1") {
			t.Errorf("ballot 9: %v", r)
		}
		if r[0] == "1002" && (r[6] != "" || r[8] != "" || r[9] != "") {
			t.Errorf("ballot 1002 (nothing answered): %v", r)
		}
	}
	// flagged.csv: the flagged rows of ballots.csv, which sipas backcheck
	// sample takes as --targeted.
	flagged := readCSV(t, filepath.Join(outs[0], "flagged.csv"))
	nf := 0
	for _, r := range ballots[1:] {
		if r[11] == "1" || r[12] == "1" || r[13] == "1" {
			nf++
		}
	}
	if strings.Join(flagged[0], ",") != strings.Join(ballots[0], ",") || len(flagged)-1 != nf || nf == 0 {
		t.Errorf("flagged.csv has %d rows, ballots.csv %d flagged", len(flagged)-1, nf)
	}
	sample := filepath.Join(dir, "bc.csv")
	if code, _, stderr := vtRun(t, "", "backcheck", "sample", "--in", screenFixture, "--id", "ballot_id", "--by", "province", "--collector", "collector",
		"--targeted", filepath.Join(outs[0], "flagged.csv"), "--seed", "1", "--out", sample); code != 0 {
		t.Fatalf("backcheck sample --targeted flagged.csv: exit %d: %s", code, stderr)
	}
	targeted := 0
	for _, r := range readCSV(t, sample)[1:] {
		if slices.Contains(r, "targeted") {
			targeted++
		}
	}
	if targeted != nf {
		t.Errorf("%d targeted ballots in the back-check sample, %d flagged", targeted, nf)
	}
	coll := readCSV(t, filepath.Join(outs[0], "collectors.csv"))
	if coll[1][0] != "1" || coll[1][1] != "f1" || coll[1][15] != "1" || coll[0][15] != "rank" {
		t.Errorf("collectors.csv first row %v (header %v)", coll[1], coll[0])
	}
	var sum struct {
		Thresholds struct{ Match float64 } `json:"thresholds"`
		Groups     []struct {
			Key      map[string]string `json:"key"`
			MatchRef *float64          `json:"match_ref"`
		} `json:"groups"`
		BallotRows []json.RawMessage `json:"ballot_rows"`
	}
	b, _ := os.ReadFile(filepath.Join(outs[0], "summary.json"))
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Thresholds.Match != 0.85 || len(sum.Groups) != 2 || sum.Groups[0].Key["province"] != "1" || sum.Groups[0].MatchRef == nil || len(sum.BallotRows) != 50 {
		t.Errorf("summary.json: %+v", sum)
	}
	// --by none compares all ballots; without --collector there is no
	// reference and no collector row.
	o := filepath.Join(dir, "c")
	if code, _, stderr := vtRun(t, "", "screen", "--in", screenFixture, "--by", "none", "--out", o); code != 0 {
		t.Fatalf("--by none: exit %d: %s", code, stderr)
	}
	if c := readCSV(t, filepath.Join(o, "collectors.csv")); len(c) != 1 {
		t.Errorf("collectors.csv without --collector has %d rows", len(c))
	}
	if h := readCSV(t, filepath.Join(o, "ballots.csv"))[0]; h[1] != "collector" {
		t.Errorf("--by none header %v", h)
	}
}

// TestScreenBadInput: exit 2 naming the column (or ids), and no output.
func TestScreenBadInput(t *testing.T) {
	dir := t.TempDir()
	head := "ballot_id,province,collector,q1,q2,q3\n"
	cases := []struct {
		name, csv string
		args      []string
		want      []string
	}{
		{"duplicate id", head + "1,A,x,1,2,3\n2,A,y,1,2,3\n1,A,x,2,2,2\n", nil, []string{`"ballot_id"`, `duplicate ids "1"`, "rows 1, 3"}},
		{"invalid code", head + "1,A,x,1,2,3\n2,A,y,1,7,3\n", nil, []string{`"q2"`, "row 2", `"7"`}},
		{"missing column", head + "1,A,x,1,2,3\n", []string{"--items", "q1,q4"}, []string{`"q4"`}},
		{"empty collector", head + "1,A,x,1,2,3\n2,A,,1,2,3\n", nil, []string{`"collector"`, "row 2"}},
		{"item twice", head + "1,A,x,1,2,3\n", []string{"--items", "q1,q1"}, []string{`"q1"`, "twice"}},
		{"match", head + "1,A,x,1,2,3\n", []string{"--match", "1.5"}, []string{"--match"}},
		{"no out", head, []string{"--out", ""}, []string{"--out"}},
	}
	for _, c := range cases {
		in := writeFile(t, dir, "in.csv", c.csv)
		out := filepath.Join(dir, "out-"+strings.ReplaceAll(c.name, " ", "-"))
		args := append([]string{"screen", "--in", in, "--collector", "collector", "--out", out}, c.args...)
		if !strings.Contains(strings.Join(c.args, " "), "--items") {
			args = append(args, "--items", "q1,q2,q3")
		}
		code, _, stderr := vtRun(t, "", args...)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2 (%s)", c.name, code, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: message %q lacks %s", c.name, stderr, w)
			}
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: output directory written", c.name)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
}
