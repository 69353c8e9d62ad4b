package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling/selection"
)

// smpFrame writes a register CSV: two provinces, capital districts flagged,
// one row per transaction.
func smpFrame(t *testing.T, dir string, capital func(dist string) string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("id,province,level,district,commune,field,is_capital\n")
	id := 0
	fields := []string{"land", "civil", "business"}
	for _, prov := range []string{"Hà Nội", "Huế"} {
		for d := 0; d < 5; d++ {
			dist := fmt.Sprintf("%s-d%d", prov, d)
			for c := 0; c < 3; c++ {
				for r := 0; r < 10+7*c+3*d; r++ {
					id++
					fmt.Fprintf(&b, "%d,%s,commune,%s,%s-c%d,%s,%s\n", id, prov, dist, dist, c, fields[id%3], capital(dist))
				}
			}
		}
	}
	p := filepath.Join(dir, "frame.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func smpDesign(t *testing.T, dir, js string) string { return writeFile(t, dir, "design.json", js) }

const smpDesignJSON = `{
  "strata": ["province", "level"],
  "size": {"yamane": {"e": 0.1, "by": ["province"]}},
  "response_rate": 0.8,
  "allocation": {"method": "proportional", "min": 30},
  "stages": [
    {"unit": "district", "method": "pps_systematic", "n": 3, "certainty": {"column": "is_capital"}},
    {"unit": "commune", "method": "pps_systematic", "n": 2},
    {"unit": "row", "method": "systematic", "sort": ["field"]}
  ],
  "reserve": 0.2,
  "plan": {"deff": 1.5}
}`

func TestSampleCommand(t *testing.T) {
	dir := t.TempDir()
	frame := smpFrame(t, dir, func(d string) string { return fmt.Sprint(strings.HasSuffix(d, "-d0")) })
	design := smpDesign(t, dir, smpDesignJSON)
	outs := []string{filepath.Join(dir, "s1.parquet"), filepath.Join(dir, "s2.parquet"), filepath.Join(dir, "s3.csv")}
	for _, out := range outs {
		code, _, stderr := vtRun(t, "", "sample", "--frame", frame, "--design", design, "--seed", "11", "--out", out)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	a, _ := os.ReadFile(outs[0])
	b, _ := os.ReadFile(outs[1])
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("same frame, design and seed: outputs differ")
	}
	// The same frame in Parquet (its text columns read as dictionaries)
	// gives the same sample.
	fr, err := arrowio.ReadAll(frame)
	if err != nil {
		t.Fatal(err)
	}
	pqFrame := filepath.Join(dir, "frame.parquet")
	err = arrowio.WriteRecord(pqFrame, fr)
	fr.Release()
	if err != nil {
		t.Fatal(err)
	}
	pqOut := filepath.Join(dir, "s4.parquet")
	if code, _, stderr := vtRun(t, "", "sample", "--frame", pqFrame, "--design", design, "--seed", "11", "--out", pqOut); code != 0 {
		t.Fatalf("Parquet frame: exit %d: %s", code, stderr)
	}
	if c, _ := os.ReadFile(pqOut); !bytes.Equal(a, c) {
		t.Error("the frame in Parquet gives another sample than in CSV")
	}
	rec, err := arrowio.ReadAll(outs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	for _, c := range []string{"id", "province", "field", "stratum", "pi_1", "pi_2", "pi_3", "pi", "design_weight", "psu", "reserve_rank"} {
		if len(rec.Schema().FieldIndices(c)) == 0 {
			t.Errorf("output lacks column %s", c)
		}
	}
	if len(rec.Schema().FieldIndices("fpc_1")) != 0 {
		t.Error("fpc_1 written for a PPS first stage")
	}
	// Yamane e = 0.1: each province has Σ_d Σ_c (10 + 7c + 3d) = 5·51 + 3·30
	// = 345 rows → 345/4.45 = 77.53, /0.8 = 96.9 → 97 issued.
	main := map[string]int{}
	strata := rec.Column(rec.Schema().FieldIndices("stratum")[0]).(*array.String)
	rank := rec.Column(rec.Schema().FieldIndices("reserve_rank")[0]).(*array.Int64)
	for i := 0; i < int(rec.NumRows()); i++ {
		if rank.Value(i) == 0 {
			main[strings.SplitN(strata.Value(i), ":", 2)[0]]++
		}
	}
	if main["Hà Nội"] != 97 || main["Huế"] != 97 {
		t.Errorf("main sample per province %v, want 97 each", main)
	}

	code, stdout, stderr := vtRun(t, "", "sample", "--frame", frame, "--design", design, "--plan")
	if code != 0 || !strings.Contains(stdout, "Hà Nội:commune") || !strings.Contains(stdout, "97") || !strings.Contains(stdout, "1.50") {
		t.Errorf("--plan: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = vtRun(t, "", "sample", "--frame", frame, "--design", design, "--plan", "--format", "json")
	if code != 0 || !strings.Contains(stdout, `"issued": 97`) {
		t.Errorf("--plan --format json: exit %d\n%s", code, stdout)
	}
}

func TestSampleCommandBadInput(t *testing.T) {
	dir := t.TempDir()
	intFrame := smpFrame(t, dir, func(d string) string {
		if strings.HasSuffix(d, "-d0") {
			return "1"
		}
		return "0"
	})
	intCSV, _ := os.ReadFile(intFrame)
	if err := os.WriteFile(filepath.Join(dir, "int.csv"), intCSV, 0o644); err != nil {
		t.Fatal(err)
	}
	intFrame = filepath.Join(dir, "int.csv")
	frame := smpFrame(t, dir, func(d string) string { return fmt.Sprint(strings.HasSuffix(d, "-d0")) })
	out := filepath.Join(dir, "out.csv")
	for _, c := range []struct {
		name, design, want string
	}{
		{"certainty not boolean", smpDesignJSON, `column "is_capital": certainty column must be boolean`},
		{"unit absent", strings.Replace(smpDesignJSON, `"unit": "commune"`, `"unit": "ward"`, 1), `column "ward"`},
		{"n > N", strings.Replace(strings.Replace(smpDesignJSON, `"n": 3, "certainty": {"column": "is_capital"}`, `"n": 6`, 1), "pps_systematic", "srs", 1), `stages[0].n = 6 but the stratum has only 5 units`},
		{"design typo", strings.Replace(smpDesignJSON, `"reserve"`, `"reserves"`, 1), `reserves`},
	} {
		design := smpDesign(t, dir, c.design)
		f := frame
		if c.name == "certainty not boolean" {
			f = intFrame
		}
		code, _, stderr := vtRun(t, "", "sample", "--frame", f, "--design", design, "--out", out)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", c.name, code, stderr, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: output file written", c.name)
		}
	}
	if code, _, _ := vtRun(t, "", "sample", "--frame", frame); code != 2 {
		t.Errorf("missing --design: exit %d", code)
	}
}

// TestSampleRegister30M runs `sipas sample` on the 30M-row register of the
// sampling benchmark when SIPAS_BENCH_REGISTER names it (skipped otherwise):
// go test ./cmd/sipas -run Register30M -cpuprofile cpu.prof.
func TestSampleRegister30M(t *testing.T) {
	path := os.Getenv("SIPAS_BENCH_REGISTER")
	if path == "" {
		t.Skip("SIPAS_BENCH_REGISTER not set")
	}
	dir := t.TempDir()
	design := smpDesign(t, dir, `{"strata": ["province", "level"], "size": {"total": 35000},
	  "allocation": {"method": "proportional", "min": 30},
	  "stages": [
	    {"unit": "district", "method": "pps_systematic", "size": "transactions", "n": 3, "certainty": {"column": "is_capital"}},
	    {"unit": "commune", "method": "pps_systematic", "size": "transactions", "n": 3},
	    {"unit": "row", "method": "systematic", "sort": ["field"]}],
	  "reserve": 0.2}`)
	code, _, stderr := vtRun(t, "", "sample", "--frame", path, "--design", design, "--out", filepath.Join(dir, "s.parquet"))
	if code != 0 {
		t.Fatal(stderr)
	}
	t.Log(stderr)
}

// TestSamplePlanWarnings: a design effect below 1 is planned with 1 and
// said in the plan (table and JSON "warnings") and on stderr (it was used
// as given, without a word); "response_rate": 0 exits 2 naming the field
// (it was read as 1).
func TestSamplePlanWarnings(t *testing.T) {
	dir := t.TempDir()
	frame := smpFrame(t, dir, func(d string) string { return fmt.Sprint(strings.HasSuffix(d, "-d0")) })
	design := smpDesign(t, dir, strings.Replace(smpDesignJSON, `"plan": {"deff": 1.5}`, `"plan": {"deff": 1.5, "deff_by": {"Huế": 0.25}}`, 1))
	code, stdout, stderr := vtRun(t, "", "sample", "--frame", frame, "--design", design, "--plan", "--format", "json")
	want := `design effect 0.25 (plan.deff_by[\"Huế\"]) is below 1; planned with 1`
	if code != 0 || !strings.Contains(stdout, `"warnings": [`) || !strings.Contains(stdout, want) {
		t.Errorf("--plan --format json: exit %d, want a warning %q in the JSON\n%s", code, want, stdout)
	}
	if want := `sipas sample: warning: design effect 0.25 (plan.deff_by["Huế"]) is below 1`; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
	if strings.Contains(stdout, `"deff": 0.25`) {
		t.Errorf("plan used deff 0.25:\n%s", stdout)
	}
	code, stdout, _ = vtRun(t, "", "sample", "--frame", frame, "--design", design, "--plan")
	if code != 0 || !strings.Contains(stdout, "Warning: design effect 0.25") {
		t.Errorf("--plan: exit %d, no warning in the table\n%s", code, stdout)
	}

	zero := writeFile(t, dir, "zero.json", strings.Replace(smpDesignJSON, `"response_rate": 0.8`, `"response_rate": 0`, 1))
	for _, args := range [][]string{{"--plan"}, {"--out", filepath.Join(dir, "s.csv")}} {
		code, _, stderr = vtRun(t, "", append([]string{"sample", "--frame", frame, "--design", zero}, args...)...)
		if code != 2 || !strings.Contains(stderr, "response_rate") || !strings.Contains(stderr, "zero.json") {
			t.Errorf("response_rate 0 %v: exit %d, stderr %q; want 2 naming the file and field", args, code, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "s.csv")); err == nil {
		t.Error("response_rate 0 wrote a sample")
	}
}

// TestSampleDrawWarnings: drawing with a size.moe.deff below 1 sizes the
// sample with 1, warns on stderr and records the warning with the sample
// (Parquet: schema metadata sipas.sample.warnings; CSV: its sidecar); the
// draw used 0.25 as given, without a word, before.
func TestSampleDrawWarnings(t *testing.T) {
	dir := t.TempDir()
	frame := smpFrame(t, dir, func(d string) string { return "false" })
	design := smpDesign(t, dir, `{"strata": ["province"], "size": {"moe": {"e": 0.1, "deff": 0.25, "by": ["province"]}}}`)
	one := writeFile(t, dir, "one.json", `{"strata": ["province"], "size": {"moe": {"e": 0.1, "deff": 1, "by": ["province"]}}}`)
	want := `design effect 0.25 (size.moe.deff) is below 1; sized with 1 in domains "Huế", "Hà Nội"` // key (byte) order
	pq, csv, ref := filepath.Join(dir, "s.parquet"), filepath.Join(dir, "s.csv"), filepath.Join(dir, "one.parquet")
	for _, out := range []string{pq, csv} {
		code, _, stderr := vtRun(t, "", "sample", "--frame", frame, "--design", design, "--out", out)
		if code != 0 || !strings.Contains(stderr, "sipas sample: warning: "+want+"\n") {
			t.Errorf("%s: exit %d, stderr %q; want the warning", out, code, stderr)
		}
	}
	if code, _, stderr := vtRun(t, "", "sample", "--frame", frame, "--design", one, "--out", ref); code != 0 || strings.Contains(stderr, "warning") {
		t.Fatalf("deff 1: exit %d, stderr %q", code, stderr)
	}
	a, _ := os.ReadFile(pq)
	b, _ := os.ReadFile(ref)
	rec, err := arrowio.ReadAll(pq)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	recOne, err := arrowio.ReadAll(ref)
	if err != nil {
		t.Fatal(err)
	}
	defer recOne.Release()
	if rec.NumRows() != recOne.NumRows() || len(a) == len(b) && bytes.Equal(a, b) {
		t.Errorf("deff 0.25 drew %d rows, want the %d of deff 1 (and a file that records the warning)", rec.NumRows(), recOne.NumRows())
	}
	if w, err := selection.Warnings(rec); err != nil || len(w) != 1 || w[0] != want {
		t.Errorf("Parquet sample records warnings %q (%v), want [%q]", w, err, want)
	}
	md, ok, err := arrowio.ReadSidecar(csv)
	var w []string
	if ok && err == nil {
		_, err = arrowio.MetadataJSON(md, selection.WarningsMetadataKey, &w)
	}
	if !ok || err != nil || len(w) != 1 || w[0] != want {
		t.Errorf("CSV sample's sidecar: ok %v, warnings %q (%v), want [%q]", ok, w, err, want)
	}
	// Weighting the CSV sample keeps its records, as for Parquet.
	spec := writeFile(t, dir, "w.json", `{"design_weight": "design_weight", "steps": [{"trim": {"max": 3}}]}`)
	wcsv := filepath.Join(dir, "w.csv")
	if code, _, stderr := vtRun(t, "", "weight", "--in", csv, "--spec", spec, "--out", wcsv); code != 0 {
		t.Fatalf("weight: exit %d: %s", code, stderr)
	}
	md, ok, err = arrowio.ReadSidecar(wcsv)
	w = nil
	if ok && err == nil {
		_, err = arrowio.MetadataJSON(md, selection.WarningsMetadataKey, &w)
	}
	if _, has := md.GetValue("sipas.weighting"); !has || err != nil || len(w) != 1 {
		t.Errorf("weighted CSV's sidecar %v (%v): want the sample's warning and the weighting record", md, err)
	}
}
