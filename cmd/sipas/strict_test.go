package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStrictNumbers: a code or weight is read only when written in
// decimal. strconv would read "0x1p2" as 4, "1_000" as 1000 and "NaN" as a
// missing answer; the methodology excludes any code other than the
// scale's and the missing codes, and a weight that is not a number is
// bad input naming its row.
func TestStrictNumbers(t *testing.T) {
	dir := t.TempDir()
	row := func(id, first string) string {
		return "=" + id + ",2019,Hà Nội," + first + "," + strings.Repeat("4,", 20) + "4,1.5"
	}
	for _, tc := range []struct {
		code    string
		invalid bool
	}{{"0x1p2", true}, {"1_000", true}, {"NaN", true}, {"Inf", true}, {"4.0", false}, {"4", false}} {
		in := vtBallots(t, dir, "codes.csv", row("B1", tc.code), row("B2", "4"))
		code, stdout, stderr := vtRun(t, "", "validate", "--in", in, "--out", filepath.Join(dir, "c.csv"), "--excluded", filepath.Join(dir, "x.csv"))
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.code, code, stderr)
		}
		if got := strings.Contains(stdout, "invalid_code"); got != tc.invalid {
			t.Errorf("code %q: excluded as invalid_code %v, want %v\n%s", tc.code, got, tc.invalid, stdout)
		}
	}
	for _, w := range []string{"1_000", "0x1p2", "Infinity"} {
		in := writeFile(t, dir, "w.csv", "y,w\n1,2\n2,"+w+"\n3,1\n")
		code, _, stderr := vtRun(t, "", "estimate", "--in", in, "--weight", "w", "--mean", "y")
		if code != 2 || !strings.Contains(stderr, "row 2") || !strings.Contains(stderr, w) {
			t.Errorf("weight %q: exit %d, stderr %q; want 2 naming row 2", w, code, stderr)
		}
	}
}

// TestDuplicateIDsNFC: ballot ids that differ only in Unicode
// normalisation (ộ precomposed, or o + U+0302 + U+0323 as some keyboards
// type it) are one id.
func TestDuplicateIDsNFC(t *testing.T) {
	dir := t.TempDir()
	in := vtBallots(t, dir, "ids.csv", "HN-Hội-1|Hà Nội|"+good, "HN-Ho\u0302\u0323i-1|Hà Nội|"+good)
	code, stdout, stderr := vtRun(t, "", "validate", "--in", in, "--out", filepath.Join(dir, "c.csv"), "--excluded", filepath.Join(dir, "x.csv"))
	if code != 0 || !strings.Contains(stdout, "duplicate_ballot_id") {
		t.Errorf("exit %d, stdout %q, stderr %q; want the second id a duplicate", code, stdout, stderr)
	}
}

// TestHeaderNearMiss: a province column headed "PROVINCE", or with a
// zero-width character in its name, is refused by name (validate used to
// skip every province check without a word).
func TestHeaderNearMiss(t *testing.T) {
	dir := t.TempDir()
	for _, h := range []string{"PROVINCE", "prov\u200bince", "Province"} {
		in := vtBallots(t, dir, "b.csv", "B1|Atlantis|"+good)
		b, _ := os.ReadFile(in)
		in = writeFile(t, dir, "h.csv", strings.Replace(string(b), ",province,", ","+h+",", 1))
		code, _, stderr := vtRun(t, "", "validate", "--in", in, "--out", filepath.Join(dir, "c.csv"), "--excluded", filepath.Join(dir, "x.csv"))
		if code != 2 || !strings.Contains(stderr, fmt.Sprintf("%q", h)) || !strings.Contains(stderr, "--province-col") {
			t.Errorf("header %q: exit %d, stderr %q; want 2 naming it", h, code, stderr)
		}
	}
}
