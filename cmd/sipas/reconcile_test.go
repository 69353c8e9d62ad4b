package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReconcileCommand(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "first.csv")
	second := filepath.Join(dir, "second.csv")
	os.WriteFile(first, []byte("ballot_id,keyer,province,access_1,access_2\n"+
		"001,An,Hà Nội,4,5\n"+
		"002,An,Huế,3,\n"+
		"003,Bình,Huế,5,4\n"+
		"004,Bình,Huế,1,1\n"), 0o644)
	os.WriteFile(second, []byte("ballot_id,access_2,access_1,province,keyer,note\n"+
		"003,4,5,Hue,Chi,\n"+
		"001,5,4,Hà Nội,Chi,ok\n"+
		"002,,2,Huế,Dũng,\n"+
		"005,1,1,Huế,Dũng,\n"), 0o644)
	out := filepath.Join(dir, "disc.csv")
	code, stdout, stderr := vtRun(t, "", "reconcile", "--first", first, "--second", second, "--key", "ballot_id", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// Matched 001, 002, 003; 3 fields each; disagreements: 002 access_1,
	// 003 province → 7 of 9 agree.
	for _, want := range []string{
		"ballots in both 3, in first only 1, in second only 1",
		"agreement 77.78% (7 of 9 fields), discrepancies 2",
		"province        2        3   66.67%",
		"access_1        2        3   66.67%",
		"access_2        3        3  100.00%",
		// Chi keyed 003 (2 of 3 agree) and 001 (3 of 3): 5/6.
		"   1 An           2        6   83.33%",
		"   2 Chi          2        6   83.33%",
		"   2 Dũng         1        3   66.67%",
		"ballots in the first keying only (1): 004",
		"ballots in the second keying only (1): 005",
		"columns in the second keying only (not compared) (1): note",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := "ballot_id,column,first,second,first_row,second_row\n002,access_1,3,2,2,3\n003,province,Huế,Hue,3,1\n"
	if string(b) != want {
		t.Errorf("discrepancy file\n%s\nwant\n%s", b, want)
	}
}

func TestReconcileCommandErrors(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "first.csv")
	os.WriteFile(first, []byte("ballot_id,a\n1,2\n1,3\n"), 0o644)
	other := filepath.Join(dir, "other.csv")
	os.WriteFile(other, []byte("id,a\n1,2\n"), 0o644)
	out := filepath.Join(dir, "disc.csv")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--first", first, "--second", filepath.Join(dir, "nope.csv"), "--out", out}, "nope.csv"},
		{[]string{"--first", first, "--second", first, "--out", out}, `first keying: key "1" in column "ballot_id" occurs in rows 1 and 2`},
		{[]string{"--first", other, "--second", other, "--out", out}, `first keying: missing required column "ballot_id"; available columns are id, a`},
		{[]string{"--first", first, "--out", out}, "--first and --second are required"},
	} {
		code, _, stderr := vtRun(t, "", append([]string{"reconcile"}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %s", c.args, code, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: output written despite the error", c.args)
			os.Remove(out)
		}
	}
}
