package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/synth"
)

// trendFiles writes synthetic surveys (63 or 34 provinces, 2 communes × 4
// ballots each) to dir: one file per group of years, the years of a group
// in one file (so that files hold one year or several).
func trendFiles(t *testing.T, dir string, groups ...[]int) []string {
	t.Helper()
	var paths []string
	for gi, g := range groups {
		var recs []arrow.RecordBatch
		for _, y := range g {
			rb, _, err := synth.Survey(synth.SurveyConfig{Seed: 11, Year: y, PSUsPerStratum: 2, BallotsPerPSU: 4}, memory.DefaultAllocator)
			if err != nil {
				t.Fatal(err)
			}
			defer rb.Release()
			recs = append(recs, rb)
		}
		ext := []string{".arrow", ".parquet", ".csv"}[gi%3]
		p := filepath.Join(dir, "survey"+strings.Repeat("_", gi)+ext)
		if err := arrowio.Write(p, recs[0].Schema(), recs); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

var trendDesignArgs = []string{"--year-col", "year", "--weight", "weight", "--strata", "stratum", "--psu", "psu", "--draws", "200"}

// cliTrendFields are CLI.md's `trend` row fields and the flag of docs/cli.md, in order (written here
// from the contract, not taken from package index).
var cliTrendFields = []string{"domain", "kind", "id", "year", "estimate", "se", "change_prev", "se_change_prev", "p_change_prev",
	"significant_prev", "change_base", "se_change_base", "p_change_base", "significant_base", "rank", "rank_low", "rank_high",
	"tier", "vs_nation", "se_vs_nation", "p_vs_nation", "break", "flag"}

// jsonKeys returns the keys of a JSON object in order.
func jsonKeys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// TestTrendCommandJSON checks the JSON contract of `sipas trend` (CLI.md):
// the per-year design list, every row with exactly CLI.md's fields in
// order and nulls written (never omitted), national rows first with
// "domain": {} and null rank/tier/vs_nation*, null changes and break
// false in a domain's first year, one row per domain × index × year, and
// that the estimates are those of `sipas index` on the year alone.
func TestTrendCommandJSON(t *testing.T) {
	dir := t.TempDir()
	files := trendFiles(t, dir, []int{2019, 2020}, []int{2021})
	code, out, errs := vtRun(t, "", append([]string{"trend", "--in", files[0], "--in", files[1]}, trendDesignArgs...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Design    []map[string]any  `json:"design"`
		Estimates []json.RawMessage `json:"estimates"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if len(doc.Design) != 3 {
		t.Fatalf("design list %v", doc.Design)
	}
	for i, d := range doc.Design {
		if d["year"].(float64) != float64(2019+i) || d["rows"].(float64) != 63*2*4 || d["strata"].(float64) != 63 || d["psus"].(float64) != 126 {
			t.Errorf("design %d: %v", i, d)
		}
	}
	per := 22 + 5 + 1
	if len(doc.Estimates) != per*64*3 {
		t.Fatalf("%d rows, want %d", len(doc.Estimates), per*64*3)
	}
	type row = map[string]any
	rows := make([]row, len(doc.Estimates))
	for i, raw := range doc.Estimates {
		if k := jsonKeys(t, raw); strings.Join(k, ",") != strings.Join(cliTrendFields, ",") {
			t.Fatalf("row %d keys %v\nwant %v", i, k, cliTrendFields)
		}
		if err := json.Unmarshal(raw, &rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	nulls := func(r row, names ...string) bool {
		for _, n := range names {
			if r[n] != nil {
				return false
			}
		}
		return true
	}
	changes := []string{"change_prev", "se_change_prev", "p_change_prev", "significant_prev", "change_base", "se_change_base", "p_change_base", "significant_base"}
	for i, r := range rows {
		dom := r["domain"].(map[string]any)
		y := int(r["year"].(float64))
		if i < per*3 {
			if len(dom) != 0 {
				t.Fatalf("row %d: national rows first, got domain %v", i, dom)
			}
			if !nulls(r, "rank", "rank_low", "rank_high", "tier", "vs_nation", "se_vs_nation", "p_vs_nation") {
				t.Errorf("national row %d: %v", i, r)
			}
		} else {
			if _, ok := dom["province"].(string); !ok || len(dom) != 1 {
				t.Fatalf("row %d: domain %v", i, dom)
			}
			if r["rank"] == nil || r["tier"] == nil || r["vs_nation"] == nil || r["se_vs_nation"] == nil {
				t.Errorf("domain row %d: %v", i, r)
			}
			if lo, hi, rk := r["rank_low"].(float64), r["rank_high"].(float64), r["rank"].(float64); lo > rk || rk > hi || lo < 1 || hi > 63 {
				t.Errorf("row %d: rank %v not in [%v, %v]", i, rk, lo, hi)
			}
		}
		if y == 2019 {
			if !nulls(r, changes...) || r["break"] != false {
				t.Errorf("first-year row %d: %v", i, r)
			}
		} else if r["estimate"] != nil && (r["change_prev"] == nil || r["change_base"] == nil || (r["se_change_prev"].(float64) > 0 && r["significant_prev"] == nil)) {
			t.Errorf("row %d (%d): changes missing: %v", i, y, r)
		}
		// within a domain and index the years follow one another
		if want := 2019 + i%3; y != want {
			t.Fatalf("row %d: year %d, want %d", i, y, want)
		}
	}
	// The 2021 estimates are those of `sipas index` on the 2021 file alone.
	code, iout, errs := vtRun(t, "", "index", "--in", files[1], "--weight", "weight", "--strata", "stratum", "--psu", "psu", "--by", "province", "--no-expectations")
	if code != 0 {
		t.Fatalf("index: exit %d: %s", code, errs)
	}
	var idoc struct {
		Estimates []struct {
			Domain   map[string]string `json:"domain"`
			Kind, ID string
			Estimate *float64 `json:"estimate"`
			SE       *float64 `json:"se"`
		} `json:"estimates"`
	}
	if err := json.Unmarshal([]byte(iout), &idoc); err != nil {
		t.Fatal(err)
	}
	want := map[string][2]float64{}
	for _, r := range idoc.Estimates {
		if r.Estimate != nil {
			want[r.Domain["province"]+"|"+r.Kind+"|"+r.ID] = [2]float64{*r.Estimate, *r.SE}
		}
	}
	n := 0
	for _, r := range rows {
		if r["year"].(float64) != 2021 || r["estimate"] == nil {
			continue
		}
		p, _ := r["domain"].(map[string]any)["province"].(string)
		w, ok := want[p+"|"+r["kind"].(string)+"|"+r["id"].(string)]
		if !ok || math.Abs(w[0]-r["estimate"].(float64)) > 1e-9 || math.Abs(w[1]-r["se"].(float64)) > 1e-9 {
			t.Errorf("%s %s %s: trend %v ± %v, index %v", p, r["kind"], r["id"], r["estimate"], r["se"], w)
		}
		n++
	}
	if n < per*60 {
		t.Errorf("%d rows compared with sipas index", n)
	}
}

// TestTrendCommandFormats: csv has the --by columns and CLI.md's fields
// (empty cells for null) with the JSON's row count; table prints.
func TestTrendCommandFormats(t *testing.T) {
	dir := t.TempDir()
	files := trendFiles(t, dir, []int{2020, 2021})
	args := append([]string{"trend", "--in", files[0], "--adjust", "bh", "--base-year", "2021"}, trendDesignArgs...)
	code, out, errs := vtRun(t, "", append(args, "--format", "csv")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(recs[0], ","), "province,"+strings.Join(cliTrendFields[1:], ","); got != want {
		t.Fatalf("header %s\nwant %s", got, want)
	}
	if len(recs) != 1+28*64*2 {
		t.Fatalf("%d csv rows", len(recs))
	}
	// national first row: empty province, rank and vs_nation; base year
	// 2021, so 2020's base change is the negative of 2021's previous change.
	nat := recs[1]
	if nat[0] != "" || nat[14] != "" || nat[18] != "" || nat[3] != "2020" || nat[21] != "false" {
		t.Errorf("national csv row %v", nat)
	}
	if recs[2][3] != "2021" || nat[10] == "" || recs[2][10] != "" || recs[2][6] == "" {
		t.Errorf("base/prev changes: %v / %v", nat, recs[2])
	}
	if !strings.HasPrefix(nat[10], "-") == !strings.HasPrefix(recs[2][6], "-") && nat[10] != "0" {
		t.Errorf("2020 vs base 2021 %s should be minus 2021 vs 2020 %s", nat[10], recs[2][6])
	}
	code, out, errs = vtRun(t, "", append(args, "--format", "table")...)
	if code != 0 {
		t.Fatalf("table: exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "(national)") || !strings.Contains(out, "95% rank set") || strings.Count(out, "\n") != 1+28*64*2 {
		t.Errorf("table:\n%s", out[:min(len(out), 800)])
	}
}

// TestTrendCommandBadInput: bad usage and bad input exit 2 with a message
// naming the problem.
func TestTrendCommandBadInput(t *testing.T) {
	dir := t.TempDir()
	files := trendFiles(t, dir, []int{2020}, []int{2020, 2021})
	base := []string{"trend", "--in", files[0]}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no --in", []string{"trend", "--year-col", "year"}, "--in is required"},
		{"empty --year-col", []string{"trend", "--in", files[0], "--year-col", ""}, "--year-col: name the column"},
		{"no year column", append(base, "--year-col", "yr"), `no year column "yr"`},
		{"unknown base year", append(append(base, trendDesignArgs...), "--base-year", "2000"), "--base-year 2000 is not among"},
		{"bad adjust", append(append(base, trendDesignArgs...), "--adjust", "bonf"), "--adjust"},
		{"bad alpha", append(append(base, trendDesignArgs...), "--alpha", "2"), "--alpha"},
		{"bad geography", append(append(base, trendDesignArgs...), "--geography", "1990"), "--geography"},
		{"unknown column", append(append(base, trendDesignArgs...), "--by", "tinh"), "tinh"},
		{"lonely PSU", append(base, "--year-col", "year", "--strata", "psu", "--psu", "psu"), "year 2020"},
		{"year twice", append(append(base, "--in", files[1]), trendDesignArgs...), "year 2020 is in both"},
		{"bad crosswalk", append(append(base, trendDesignArgs...), "--crosswalk", files[0]), "--crosswalk"},
		{"missing file", []string{"trend", "--in", filepath.Join(dir, "none.csv"), "--year-col", "year"}, "none.csv"},
	} {
		code, _, errs := vtRun(t, "", c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%s: exit %d, stderr %q (want %q)", c.name, code, errs, c.want)
		}
	}
}

// TestTrendCommandGeography: years straddling the 2025 merger with
// --geography auto exit 2 suggesting --geography 2025; with it the 2024
// ballots are re-aggregated to the 34 provinces.
func TestTrendCommandGeography(t *testing.T) {
	dir := t.TempDir()
	files := trendFiles(t, dir, []int{2024}, []int{2025})
	args := append([]string{"trend", "--in", files[0], "--in", files[1]}, trendDesignArgs...)
	code, _, errs := vtRun(t, "", args...)
	if code != 2 || !strings.Contains(errs, "--geography 2025") {
		t.Fatalf("auto across 2025: exit %d, %s", code, errs)
	}
	code, out, errs := vtRun(t, "", append(args, "--geography", "2025", "--format", "csv", "--crosswalk", "../../internal/provinces/provinces.csv")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	provs := map[string]bool{}
	for _, r := range recs[1:] {
		if r[0] != "" {
			provs[r[0]] = true
		}
		if r[3] == "2025" && r[0] != "" && r[6] == "" && r[5] != "" {
			t.Errorf("2025 row without a change from 2024: %v", r)
		}
	}
	if len(provs) != 34 || len(recs) != 1+28*35*2 {
		t.Errorf("%d provinces, %d rows", len(provs), len(recs))
	}
}

// TestTrendCommandReplicates: a replicate variance method (JKn) runs through
// the whole chain (vs_nation through the same replicate engine).
func TestTrendCommandReplicates(t *testing.T) {
	dir := t.TempDir()
	files := trendFiles(t, dir, []int{2020, 2021})
	code, out, errs := vtRun(t, "", append([]string{"trend", "--in", files[0], "--variance", "jkn", "--format", "csv"}, trendDesignArgs...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+28*64*2 || recs[len(recs)-1][19] == "" {
		t.Errorf("%d rows; last %v", len(recs), recs[len(recs)-1])
	}
}

// TestTrendCommandMapping: a year with another questionnaire version
// (--year-questionnaire) is a break; without --mapping its changes are
// null, with a mapping only the declared indices are compared.
func TestTrendCommandMapping(t *testing.T) {
	dir := t.TempDir()
	files := trendFiles(t, dir, []int{2020, 2021})
	q := index.DefaultQuestionnaire()
	q2 := *q
	q2.ID = "sipas-2021"
	b, err := json.Marshal(&q2)
	if err != nil {
		t.Fatal(err)
	}
	qp := filepath.Join(dir, "q2021.json")
	mp := filepath.Join(dir, "mapping.json")
	mapping := `{"mappings": [{"from_version": "sipas-2017", "to_version": "sipas-2021",
	  "criteria": {"access_1": "access_1"}, "elements": {"access": "access"}, "sipas": true}]}`
	if err := os.WriteFile(qp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mp, []byte(mapping), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(extra ...string) [][]string {
		args := append(append([]string{"trend", "--in", files[0], "--format", "csv", "--by", "none", "--year-questionnaire", "2021=" + qp}, trendDesignArgs...), extra...)
		code, out, errs := vtRun(t, "", args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	// columns without --by: kind id year estimate se change_prev ... break
	for _, withMap := range []bool{false, true} {
		var recs [][]string
		if withMap {
			recs = run("--mapping", mp)
		} else {
			recs = run()
		}
		if len(recs) != 1+28*2 || recs[0][0] != "kind" {
			t.Fatalf("%d rows, header %v", len(recs), recs[0])
		}
		for _, r := range recs[1:] {
			if r[2] != "2021" {
				continue
			}
			comparable := withMap && (r[1] == "access_1" || r[1] == "access" || r[0] == "sipas")
			if r[20] != "true" || (r[5] != "") != comparable {
				t.Errorf("mapping %v: %v (break %s, change_prev %q)", withMap, r, r[20], r[5])
			}
		}
	}
	code, _, errs := vtRun(t, "", append([]string{"trend", "--in", files[0], "--year-questionnaire", "2019=" + qp}, trendDesignArgs...)...)
	if code != 2 || !strings.Contains(errs, "year 2019 is not among") {
		t.Errorf("unknown questionnaire year: exit %d %s", code, errs)
	}
}
