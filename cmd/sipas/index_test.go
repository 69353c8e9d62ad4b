package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

const indexFixture = "../../testdata/index/sipas_small.csv"

// TestIndexCommandJSON checks the JSON contract of `sipas index`: design
// block, questionnaire block, national rows first with "domain": {},
// then the domains in sorted order, percent units, and that the CLI prints
// what the library computed (the numbers themselves are checked against R
// in package index).
func TestIndexCommandJSON(t *testing.T) {
	code, out, errs := vtRun(t, "", "index", "--in", indexFixture, "--weight", "weight", "--strata", "stratum", "--psu", "psu", "--by", "level")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Design        map[string]any `json:"design"`
		Questionnaire struct {
			ID       string `json:"id"`
			Elements int    `json:"elements"`
			Criteria int    `json:"criteria"`
		} `json:"questionnaire"`
		Estimates []struct {
			Domain   map[string]string `json:"domain"`
			Kind, ID string
			Estimate *float64 `json:"estimate"`
			SE       *float64 `json:"se"`
			CILow    *float64 `json:"ci_low"`
			CIHigh   *float64 `json:"ci_high"`
			N        int      `json:"n"`
		} `json:"estimates"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out[:min(len(out), 500)])
	}
	if doc.Questionnaire.ID != "sipas-2017" || doc.Questionnaire.Elements != 5 || doc.Questionnaire.Criteria != 22 {
		t.Errorf("questionnaire block %+v", doc.Questionnaire)
	}
	for _, k := range []string{"rows", "strata", "psus", "df", "variance", "weights_sum"} {
		if _, ok := doc.Design[k]; !ok {
			t.Errorf("design block lacks %q", k)
		}
	}
	if doc.Design["rows"].(float64) != 4000 || doc.Design["strata"].(float64) != 63 || doc.Design["psus"].(float64) != 189 {
		t.Errorf("design block %v", doc.Design)
	}
	// 22 criteria + 5 elements + SIPAS + 7 expectation shares, nationally and per level.
	per := 22 + 5 + 1 + 7
	if len(doc.Estimates) != per*4 {
		t.Fatalf("%d rows, want %d", len(doc.Estimates), per*4)
	}
	lastLevel := ""
	for i, r := range doc.Estimates {
		if i < per {
			if len(r.Domain) != 0 {
				t.Fatalf("row %d: national rows come first with domain {}", i)
			}
		} else if lv := r.Domain["level"]; lv < lastLevel {
			t.Fatalf("row %d: domains not sorted (%q after %q)", i, lv, lastLevel)
		} else {
			lastLevel = lv
		}
		if r.Estimate == nil || *r.Estimate < 0 || *r.Estimate > 100 || *r.CILow > *r.Estimate || *r.CIHigh < *r.Estimate {
			t.Fatalf("row %d: estimate/interval not in percent: %+v", i, r)
		}
	}
	if doc.Estimates[per-8].Kind != "sipas" {
		t.Errorf("row %d kind %q, want sipas", per-8, doc.Estimates[per-8].Kind)
	}
}

func TestIndexCommandFormats(t *testing.T) {
	for _, f := range []string{"csv", "table"} {
		code, out, errs := vtRun(t, "", "index", "--in", indexFixture, "--format", f)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", f, code, errs)
		}
		if !strings.Contains(out, "access_1") || !strings.Contains(out, "sipas") {
			t.Errorf("%s output lacks rows:\n%s", f, out[:min(len(out), 300)])
		}
	}
}

func TestIndexCommandBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := vtBallots(t, dir, "bad.csv", "b1|Hà Nội|"+good, "b2|Hà Nội|4455443322554433221175")
	lonely := vtBallots(t, dir, "lonely.csv", "b1|Hà Nội|"+good, "b2|Hà Nội|"+good, "b3|Huế|"+good)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"missing file", []string{"index", "--in", filepath.Join(dir, "nope.csv")}, []string{"nope.csv"}},
		{"invalid code", []string{"index", "--in", bad}, []string{`"feedback_3"`, "row 2", "sipas validate"}},
		{"unknown column", []string{"index", "--in", bad, "--by", "provnce"}, []string{"provnce", "province"}},
		{"unknown weight", []string{"index", "--in", bad, "--weight", "wt"}, []string{"wt", "weight"}},
		{"lonely psu", []string{"index", "--in", lonely, "--strata", "province"}, []string{"Huế", "lonely"}},
		{"bad format", []string{"index", "--in", bad, "--format", "xml"}, []string{"xml"}},
		{"bad df", []string{"index", "--in", bad, "--df", "psu"}, []string{"--df", "psu", "domain"}},
	} {
		code, out, errs := vtRun(t, "", tc.args...)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2 (stderr %q)", tc.name, code, errs)
			continue
		}
		if out != "" {
			t.Errorf("%s: wrote to stdout: %q", tc.name, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(strings.ToLower(errs), strings.ToLower(w)) {
				t.Errorf("%s: message %q lacks %q", tc.name, errs, w)
			}
		}
		// the library's advice and the command's name are said once each
		if n := strings.Count(errs, "exclude such ballots"); n > 1 {
			t.Errorf("%s: message %q repeats its advice %d times", tc.name, errs, n)
		}
	}
}

// TestIndexCommandDomainDF: with --df domain every domain row carries its
// own degrees of freedom (a province of the fixture is a stratum of 3 PSUs:
// df 2, R's degf(subset(design, province == x)), checked in package index)
// and a wider interval than with the design's df; national rows keep the
// design's df.
func TestIndexCommandDomainDF(t *testing.T) {
	type row struct {
		Domain   map[string]string `json:"domain"`
		Kind, ID string
		Estimate float64 `json:"estimate"`
		CILow    float64 `json:"ci_low"`
		CIHigh   float64 `json:"ci_high"`
		DF       int     `json:"df"`
	}
	get := func(extra ...string) []row {
		args := append([]string{"index", "--in", indexFixture, "--weight", "weight", "--strata", "stratum", "--psu", "psu", "--by", "province", "--ci", "wald"}, extra...)
		code, out, errs := vtRun(t, "", args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var doc struct {
			Design    map[string]any `json:"design"`
			Estimates []row          `json:"estimates"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Design["df"].(float64) != 189-63 {
			t.Fatalf("design df %v", doc.Design["df"])
		}
		return doc.Estimates
	}
	des, dom := get(), get("--df", "domain")
	if len(des) != len(dom) || len(des) == 0 {
		t.Fatalf("%d vs %d rows", len(des), len(dom))
	}
	wider := 0
	for i := range des {
		a, b := des[i], dom[i]
		wantDF := 2
		if len(a.Domain) == 0 {
			wantDF = 126
		}
		if a.DF != 126 || b.DF != wantDF {
			t.Fatalf("row %d: df %d (design) and %d (domain), want 126 and %d", i, a.DF, b.DF, wantDF)
		}
		if a.Kind == "sipas" && len(a.Domain) > 0 && b.CIHigh-b.CILow > 1.5*(a.CIHigh-a.CILow) {
			wider++
		}
	}
	if wider < 60 {
		t.Errorf("only %d of 63 province SIPAS intervals widened with --df domain", wider)
	}
}
