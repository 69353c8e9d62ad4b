package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestProvinceNamesEveryCommand: index --by province, estimate --strata
// province and validate read province names with one rule (the built-in
// list, plus the spellings of --aliases) and say what they recoded; an
// unknown name stops index with the way to fix it. index used to split one
// province into a domain per spelling ("HN", NFD, zero-width spaces).
func TestProvinceNamesEveryCommand(t *testing.T) {
	dir := t.TempDir()
	in := vtBallots(t, dir, "b.csv", "B1|HN|"+good, "B2|Hà Nội|"+good, "B3|Ha\u0300 No\u0323i|"+good, "B4|Hà\u200bNội|"+good, "B5|Hà Thành|"+good, "B6|Huế|"+good, "B7|Tp.HCM|"+good)
	code, _, stderr := vtRun(t, "", "index", "--in", in, "--weight", "weight", "--by", "province")
	if code != 2 || !strings.Contains(stderr, `"Hà Thành"`) || !strings.Contains(stderr, "row 5") || !strings.Contains(stderr, "--aliases") {
		t.Errorf("unknown name: exit %d, stderr %q; want 2 naming it, its row and --aliases", code, stderr)
	}
	aliases := writeFile(t, dir, "aliases.csv", "alias,province\nHà Thành,Ha Noi\n")
	code, stdout, stderr := vtRun(t, "", "index", "--in", in, "--weight", "weight", "--by", "province", "--aliases", aliases)
	if code != 0 {
		t.Fatalf("index: exit %d: %s", code, stderr)
	}
	var out struct {
		Recoded []struct {
			Column, From, To string
			Rows             int
		}
		Estimates []struct{ Domain map[string]string }
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	doms := map[string]bool{}
	for _, r := range out.Estimates {
		if p, ok := r.Domain["province"]; ok {
			doms[p] = true
		}
	}
	if len(doms) != 3 || !doms["Hà Nội"] || !doms["Thừa Thiên Huế"] || !doms["Thành phố Hồ Chí Minh"] {
		t.Errorf("domains %v; want Hà Nội, Thừa Thiên Huế, Thành phố Hồ Chí Minh", doms)
	}
	rec := map[string]string{}
	for _, r := range out.Recoded {
		rec[r.From] = r.To
		if r.Column != "province" || r.Rows != 1 {
			t.Errorf("recode %+v", r)
		}
	}
	for from, to := range map[string]string{"HN": "Hà Nội", "Ha\u0300 No\u0323i": "Hà Nội", "Hà\u200bNội": "Hà Nội", "Hà Thành": "Hà Nội", "Huế": "Thừa Thiên Huế", "Tp.HCM": "Thành phố Hồ Chí Minh"} {
		if rec[from] != to {
			t.Errorf("recode of %q = %q, want %q (all: %v)", from, rec[from], to, rec)
		}
		if !strings.Contains(stderr, fmt.Sprintf("sipas: note: province %q read as %q (1 rows)\n", from, to)) {
			t.Errorf("stderr lacks the recode of %q: %s", from, stderr)
		}
	}
	code, stdout, stderr = vtRun(t, "", "estimate", "--in", in, "--weight", "weight", "--strata", "province", "--mean", "access_1", "--aliases", aliases, "--lonely-psu", "certainty")
	if code != 0 || !strings.Contains(stdout, `"recoded"`) || !strings.Contains(stdout, `"psus": 7`) {
		t.Errorf("estimate --strata province: exit %d, stderr %q\n%s", code, stderr, stdout)
	}
	code, stdout, stderr = vtRun(t, "", "validate", "--in", in, "--aliases", aliases, "--out", filepath.Join(dir, "c.csv"), "--excluded", filepath.Join(dir, "x.csv"))
	if code != 0 || !strings.Contains(stdout, "recoded province names (spelling → name, rows):\n") || !strings.Contains(stdout, `  "HN" → Hà Nội  1`+"\n") || !strings.Contains(stdout, `  "Hà Thành" → Hà Nội  1`+"\n") {
		t.Errorf("validate: exit %d, stderr %q, stdout:\n%s", code, stderr, stdout)
	}
}
